//! The Master Spec: which file is current (`SPEC_CURRENT.md`), its section index, and the
//! rules over SPEC_ANCHOR references, the spec freeze and DONE_MEANS mapping.
//!
//! Section numbers: headings such as `# 1. Vision`, `## 2.3.12 Title [CX-DBP-001]`,
//! `##### 2.6.6.7.11 Validators`. Packets also cite sections appendix-style (`A2.6.6.7.11`,
//! `§A9.2.1`); when the spec has no `A`-numbered heading of that number the leading `A` is
//! dropped, so `§2.6.6.7.11` and `A2.6.6.7.11` resolve to the same heading.
//!
//! Real specs renumber locally (sub-documents pasted verbatim restart at `9.1` inside
//! section 6), so a number can name several headings. A heading is *canonical* when its
//! first number component equals the number of the enclosing top-level (`#`) section;
//! lookups prefer canonical headings, then shallower heading levels, then the first.
//!
//! Sections end at the next heading of the same or a higher level, except that an
//! unnumbered heading never ends a numbered section (in numbered specs those are accidents,
//! such as shell comments after a broken code fence); it becomes a child instead.

use crate::model::spec::{
    cites, contains_word, normalize_number, parse_spec_version, spec_name_in_current,
    title_matches, SpecIndex,
};
use crate::policy::SpecPolicy;

use regex::Regex;

use crate::error::Error;
use crate::model::packet::{Anchor, Packet};
use crate::report::{Severity, Span};
use crate::rules::{diag, Emitter, RuleInfo};
use crate::source::Workspace;

pub const RULES: &[RuleInfo] = &[
    RuleInfo {
        id: "spec.current-missing",
        default: Severity::Error,
        summary: "SPEC_CURRENT is missing or names no existing spec file",
        help:
            "Every packet anchors to the Master Spec named by SPEC_CURRENT; without it no anchor \
can be verified. Create the file (layout.spec_current) naming the current spec in bold, e.g. \
`**Project_Master_Spec_v01.002.md**`, and make sure that file exists at the repository root or \
next to SPEC_CURRENT (policy spec.search_dirs).",
        example: "docs/SPEC_CURRENT.md: **Handshake_Master_Spec_v02.100.md** (file absent)",
    },
    RuleInfo {
        id: "spec.not-latest",
        default: Severity::Error,
        summary: "a newer version of the current spec exists in the repository",
        help: "SPEC_CURRENT must point at the latest Master Spec version (Part 2, Step 1). Point \
SPEC_CURRENT at the newest version (versions compare numerically: v02.100 > v02.99) or remove \
the stale file.",
        example: "SPEC_CURRENT names Spec_v02.99.md while Spec_v02.100.md exists",
    },
    RuleInfo {
        id: "spec.anchor-missing",
        default: Severity::Error,
        summary: "a SPEC_ANCHOR names a section that does not exist in the current spec",
        help: "Anchors must exist in the latest Master Spec (5.2). Re-anchor the packet to the \
section that now holds the requirement (a new packet if the packet is locked).",
        example: "SPEC_ANCHOR: §2.3.99 (Nowhere)",
    },
    RuleInfo {
        id: "spec.anchor-roadmap",
        default: Severity::Error,
        summary: "a SPEC_ANCHOR points into the Roadmap / outside the Main Body",
        help:
            "Roadmap items are pointers; only the Main Body defines Done (CX-598). Anchor to the \
Main Body section the roadmap item points to (policy spec.main_body, \
spec.non_main_body_titles).",
        example: "SPEC_ANCHOR: §7.6.3.12 (under `## 7.6 Development Roadmap`)",
    },
    RuleInfo {
        id: "spec.anchor-malformed",
        default: Severity::Error,
        summary: "a SPEC_ANCHOR has no readable section number",
        help: "Write anchors as `§<number> (<title>) [<rule id>]`, e.g. `§2.3.12.1 (Four \
Portability Pillars)`; `§Roadmap` or `§Future Work` are not specific.",
        example: "SPEC_ANCHOR: §Future Work (Phase 2+)",
    },
    RuleInfo {
        id: "spec.anchor-title-mismatch",
        default: Severity::Warning,
        summary: "the anchored heading no longer carries the anchor's title or rule id",
        help: "The spec was renumbered or the requirement moved. The help says where the title \
or rule id lives now; re-anchor the packet there.",
        example:
            "SPEC_ANCHOR: §2.3.12.1 (Storage API) while 2.3.12.1 is `Four Portability Pillars`",
    },
    RuleInfo {
        id: "spec.frozen",
        default: Severity::Error,
        summary: "the current Master Spec is frozen during phase execution",
        help: "Spec-Version Lock (CX-585A): never modify the current spec file. To change the \
spec, add a new versioned file and repoint SPEC_CURRENT under a spec-update packet (policy \
spec.update_packet_pattern, default `*-SpecUpdate*`).",
        example: "commit modifies Handshake_Master_Spec_v02.100.md",
    },
    RuleInfo {
        id: "spec.done-means-unmapped",
        default: Severity::Warning,
        summary: "a DONE_MEANS item cites none of the packet's spec anchors",
        help: "Every DONE_MEANS item maps 1:1 to a SPEC_ANCHOR requirement (5.4, CX-602): cite \
it, e.g. `MUST: Database trait defined (§2.3.12.3, requirement 1)`. Only runs with \
spec.require_done_means_mapping = true.",
        example: "DONE_MEANS: - All tests pass   (anchor §2.3.12.3 not cited)",
    },
];

/// The current spec as loaded for a run.
#[derive(Debug, Clone)]
pub struct LoadedSpec {
    /// Repository path of the spec file.
    pub path: String,
    pub text: std::sync::Arc<str>,
    pub index: SpecIndex,
    /// Time spent building the index.
    pub build_time: std::time::Duration,
}

fn dir_of(path: &str) -> &str {
    path.rfind('/').map(|i| &path[..i]).unwrap_or("")
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() || name.starts_with(&format!("{dir}/")) {
        name.to_string()
    } else {
        format!("{}/{}", dir.trim_end_matches('/'), name)
    }
}

/// Where the spec named by SPEC_CURRENT lives: `Ok(None)` when SPEC_CURRENT is absent or
/// names no existing file. Returns (SPEC_CURRENT path, spec name, line, span, resolved path).
#[allow(clippy::type_complexity)]
fn locate(ws: &Workspace) -> Result<(Option<(String, usize, Span)>, Option<String>), Error> {
    let cur_path = ws.resolve(&ws.policy.layout.spec_current);
    let cur_path = cur_path.as_str();
    let Some(cur) = ws.text(cur_path)? else {
        return Ok((None, None));
    };
    let Some((name, line, span)) = spec_name_in_current(&cur.text) else {
        return Ok((None, None));
    };
    let mut dirs: Vec<String> = ws.policy.spec.search_dirs.clone();
    dirs.push(dir_of(cur_path).to_string());
    for d in &dirs {
        let p = join(d.trim_matches('/'), &name);
        if ws.files.exists(&p)? {
            return Ok((Some((name, line, span)), Some(p)));
        }
    }
    Ok((Some((name, line, span)), None))
}

/// The last index built: reused while the same decoded text (same `Arc`, i.e. the same
/// [`Workspace`]) and rule-id pattern are asked for, so a run indexes the spec once even when
/// several checks (spec, phase) load it.
static LAST: std::sync::Mutex<Option<(String, std::sync::Arc<LoadedSpec>)>> =
    std::sync::Mutex::new(None);

/// Loads and indexes the current spec (`Ok(None)` when SPEC_CURRENT names no existing file).
pub fn load(ws: &Workspace) -> Result<Option<std::sync::Arc<LoadedSpec>>, Error> {
    let (_, path) = locate(ws)?;
    let Some(path) = path else { return Ok(None) };
    let Some(tf) = ws.text(&path)? else {
        return Ok(None);
    };
    let pattern = ws.policy.spec.rule_id_pattern.clone();
    if let Ok(guard) = LAST.lock() {
        if let Some((pat, hit)) = guard.as_ref() {
            if *pat == pattern && hit.path == path && std::sync::Arc::ptr_eq(&hit.text, &tf.text) {
                return Ok(Some(hit.clone()));
            }
        }
    }
    let re = regex::RegexBuilder::new(&pattern)
        .size_limit(ws.policy.limits.regex_size_limit)
        .build()
        .map_err(|e| Error::Usage(format!("spec.rule_id_pattern: {e}")))?;
    let t0 = std::time::Instant::now();
    let index = SpecIndex::build_with(&tf.text, &re);
    let loaded = std::sync::Arc::new(LoadedSpec {
        path,
        text: tf.text.clone(),
        index,
        build_time: t0.elapsed(),
    });
    if let Ok(mut guard) = LAST.lock() {
        *guard = Some((pattern, loaded.clone()));
    }
    Ok(Some(loaded))
}

/// The path of the current spec file, when SPEC_CURRENT names an existing one.
pub fn current_spec_path(ws: &Workspace) -> Result<Option<String>, Error> {
    Ok(locate(ws)?.1)
}

// ---------------------------------------------------------------------------------------------
// Rules

/// Repository-level spec rules: `spec.current-missing`, `spec.not-latest`, and the anchor
/// and DONE_MEANS rules over every packet.
pub fn check(ws: &Workspace, out: &mut Emitter) -> Result<(), Error> {
    check_current(ws, out)?;
    let Some(spec) = load(ws)? else { return Ok(()) };
    // Archived (superseded) packets keep their historical anchors; they are not checked.
    let board = crate::rules::board::load(ws)?;
    let live: Vec<Packet> = ws
        .packets()?
        .iter()
        .filter(|p| !crate::rules::board::is_archived(p, board.as_deref(), &ws.policy.board))
        .cloned()
        .collect();
    check_packets(&live, &spec, &ws.policy.spec, out)
}

/// `spec.current-missing` and `spec.not-latest`.
pub fn check_current(ws: &Workspace, out: &mut Emitter) -> Result<(), Error> {
    let cur_path = ws.resolve(&ws.policy.layout.spec_current);
    let cur = ws.text(&cur_path)?;
    let (named, found) = locate(ws)?;
    let Some(cur) = cur else {
        out.emit(
            diag(
                "spec.current-missing",
                format!("{cur_path} does not exist: no current Master Spec is declared"),
            )
            .with_path(&cur_path),
        );
        return Ok(());
    };
    let Some((name, line, span)) = named else {
        out.emit(
            diag(
                "spec.current-missing",
                format!("{cur_path} names no spec file (expected a bold `**<Spec>_vNN.NNN.md**`)"),
            )
            .at(&cur_path, 1, Span::new(0, cur.text.len().min(1))),
        );
        return Ok(());
    };
    let Some(found) = found else {
        out.emit(
            diag(
                "spec.current-missing",
                format!("{cur_path} names `{name}`, which does not exist in the repository"),
            )
            .at(&cur_path, line, span)
            .with_help(format!(
                "searched {} and the directory of {cur_path}; add the file or fix the name",
                ws.policy
                    .spec
                    .search_dirs
                    .iter()
                    .map(|d| if d.is_empty() {
                        "the repository root".to_string()
                    } else {
                        d.clone()
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        );
        return Ok(());
    };
    let Some(cv) = parse_spec_version(&found) else {
        return Ok(());
    };
    let mut newest: Option<(Vec<u64>, String)> = None;
    for f in ws.files.list("")? {
        let Some(v) = parse_spec_version(&f) else {
            continue;
        };
        if v.stem == cv.stem && v.version > cv.version {
            let better = newest
                .as_ref()
                .map(|(nv, _)| &v.version > nv)
                .unwrap_or(true);
            if better {
                newest = Some((v.version, f));
            }
        }
    }
    if let Some((_, newer)) = newest {
        out.emit(
            diag(
                "spec.not-latest",
                format!("{cur_path} names `{name}` but a newer version exists: {newer}"),
            )
            .at(&cur_path, line, span)
            .with_help(format!(
                "point {cur_path} at `{}`",
                newer.rsplit('/').next().unwrap_or(&newer)
            )),
        );
    }
    Ok(())
}

/// Compiles `spec.non_main_body_titles`.
pub fn title_regexes(policy: &SpecPolicy) -> Result<Vec<Regex>, Error> {
    policy
        .non_main_body_titles
        .iter()
        .map(|r| {
            Regex::new(r).map_err(|e| Error::Usage(format!("spec.non_main_body_titles `{r}`: {e}")))
        })
        .collect()
}

/// Is heading `i` outside the Main Body? Returns the reason.
pub fn non_main_body_reason(index: &SpecIndex, i: usize, policy: &SpecPolicy) -> Option<String> {
    let res = title_regexes(policy).unwrap_or_default();
    non_main_body_reason_with(index, i, policy, &res)
}

/// [`non_main_body_reason`] with compiled title regexes.
pub fn non_main_body_reason_with(
    index: &SpecIndex,
    i: usize,
    policy: &SpecPolicy,
    title_res: &[Regex],
) -> Option<String> {
    let mut chain = vec![i];
    chain.extend(index.ancestors(i));
    for re in title_res {
        for &c in &chain {
            if re.is_match(&index.headings[c].title) {
                return Some(format!("it lies under {}", index.describe(c)));
            }
        }
    }
    if !policy.main_body.is_empty() {
        // The deepest canonical number in the chain decides.
        let num = chain
            .iter()
            .find(|&&c| index.headings[c].canonical)
            .and_then(|&c| index.headings[c].number.clone())
            .or_else(|| index.headings[i].top.clone());
        let inside = num
            .as_deref()
            .map(|n| policy.main_body.iter().any(|p| number_under(n, p)))
            .unwrap_or(false);
        if !inside {
            return Some(format!(
                "it is outside the Main Body (sections {})",
                policy.main_body.join(", ")
            ));
        }
    }
    None
}

/// `2.3.12` is under `2` and `2.3` (component boundaries), not under `2.31`.
pub fn number_under(n: &str, prefix: &str) -> bool {
    let n = n.trim_start_matches('A');
    let p = prefix.trim_start_matches('A').trim_end_matches('.');
    n == p || (n.starts_with(p) && n[p.len()..].starts_with('.'))
}

/// Anchor rules over parsed packets: `spec.anchor-missing`, `spec.anchor-roadmap`,
/// `spec.anchor-malformed`, `spec.anchor-title-mismatch`, `spec.done-means-unmapped`.
pub fn check_packets(
    packets: &[Packet],
    spec: &LoadedSpec,
    policy: &SpecPolicy,
    out: &mut Emitter,
) -> Result<(), Error> {
    let title_res = title_regexes(policy)?;
    for p in packets {
        for a in &p.spec_anchors {
            check_anchor(p, a, spec, policy, &title_res, out);
        }
        if policy.require_done_means_mapping {
            check_done_means(p, out);
        }
    }
    Ok(())
}

fn looks_like_rule_id(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty()
        && s.contains('-')
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
        && s.chars()
            .next()
            .map(|c| c.is_ascii_uppercase())
            .unwrap_or(false)
}

fn check_anchor(
    p: &Packet,
    a: &Anchor,
    spec: &LoadedSpec,
    policy: &SpecPolicy,
    title_res: &[Regex],
    out: &mut Emitter,
) {
    let index = &spec.index;
    let Some(number) = a.number.as_deref() else {
        out.emit(
            diag(
                "spec.anchor-malformed",
                format!("SPEC_ANCHOR `{}` has no section number", a.raw),
            )
            .at(&p.path, a.line, a.span)
            .with_wp(&p.id),
        );
        return;
    };
    // The anchor's title may really be a rule id: `(ACE-RAG-001)`.
    let mut rule_ids: Vec<String> = a.rule_ids.clone();
    let title = match a.title.as_deref() {
        Some(t) if looks_like_rule_id(t) => {
            rule_ids.push(t.trim().to_string());
            None
        }
        Some(t) => Some(t),
        None => None,
    };
    let cands = index.candidates(number);
    if cands.is_empty() {
        let mut d = diag(
            "spec.anchor-missing",
            format!(
                "SPEC_ANCHOR §{} does not exist in {}",
                normalize_number(number),
                spec.path
            ),
        )
        .at(&p.path, a.line, a.span)
        .with_wp(&p.id);
        let mut help = Vec::new();
        if let Some(h) = where_now(index, &spec.text, title, &rule_ids) {
            help.push(h);
        }
        if let Some(i) = nearest_parent(index, number) {
            let mut s = format!("the nearest existing section is {}", index.describe(i));
            if let Some(r) = non_main_body_reason_with(index, i, policy, title_res) {
                s.push_str(&format!(" (not Main Body: {r})"));
            }
            help.push(s);
        }
        if !help.is_empty() {
            d = d.with_help(help.join("; "));
        }
        out.emit(d);
        return;
    }
    // Pick the candidate that carries the title and rule ids, else the best one.
    let fits = |i: usize| {
        title
            .map(|t| title_matches(&index.headings[i].title, t))
            .unwrap_or(true)
            && rule_ids
                .iter()
                .all(|r| index.section_has_rule_id(&spec.text, i, r))
    };
    let chosen = cands.iter().copied().find(|&i| fits(i));
    let target = chosen.unwrap_or(cands[0]);
    if chosen.is_none() {
        let mut what = Vec::new();
        if let Some(t) = title {
            if !cands
                .iter()
                .any(|&i| title_matches(&index.headings[i].title, t))
            {
                what.push(format!("title `{t}`"));
            }
        }
        for r in &rule_ids {
            if !cands
                .iter()
                .any(|&i| index.section_has_rule_id(&spec.text, i, r))
            {
                what.push(format!("rule id `{r}`"));
            }
        }
        if what.is_empty() {
            what.push("title and rule ids together".to_string());
        }
        let mut d = diag(
            "spec.anchor-title-mismatch",
            format!(
                "SPEC_ANCHOR `{}`: {} does not carry the {}",
                a.raw,
                index.describe(target),
                what.join(" and ")
            ),
        )
        .at(&p.path, a.line, a.span)
        .with_wp(&p.id);
        if let Some(h) = where_now(index, &spec.text, title, &rule_ids) {
            d = d.with_help(h);
        }
        out.emit(d);
    }
    if let Some(reason) = non_main_body_reason_with(index, target, policy, title_res) {
        out.emit(
            diag(
                "spec.anchor-roadmap",
                format!(
                    "SPEC_ANCHOR `{}` resolves to {}, which is not Main Body: {reason}",
                    a.raw,
                    index.describe(target)
                ),
            )
            .at(&p.path, a.line, a.span)
            .with_wp(&p.id),
        );
    }
}

/// The closest existing ancestor number of a missing one (`7.6.3.7` → `7.6.3`).
fn nearest_parent(index: &SpecIndex, number: &str) -> Option<usize> {
    let mut n = normalize_number(number);
    while let Some(p) = n.rfind('.') {
        n.truncate(p);
        if let Some(&i) = index.candidates(&n).first() {
            return Some(i);
        }
    }
    None
}

/// "now at §2.3.13.1" help for a title / rule ids that moved.
fn where_now(
    index: &SpecIndex,
    text: &str,
    title: Option<&str>,
    rule_ids: &[String],
) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(t) = title {
        let found = index.find_title(t);
        if let Some(&i) = found.first() {
            parts.push(format!("title `{t}` is now at {}", index.describe(i)));
        }
    }
    for r in rule_ids {
        let mut found = index.find_rule_id(r);
        if found.is_empty() {
            // Unbracketed mention: first occurrence.
            if let Some(pos) = find_word(text, r) {
                let k = index.headings.partition_point(|h| h.span.start <= pos);
                if k > 0 {
                    found.push(k - 1);
                }
            }
        }
        if let Some(&i) = found.first() {
            parts.push(format!("rule id `{r}` is now at {}", index.describe(i)));
        }
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("; "))
    }
}

fn find_word(hay: &str, needle: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(p) = hay[from..].find(needle) {
        let s = from + p;
        if contains_word(&hay[s..s + needle.len()], needle) {
            let before_ok = hay[..s]
                .chars()
                .next_back()
                .map(|c| !(c.is_alphanumeric() || c == '-'))
                .unwrap_or(true);
            let after_ok = hay[s + needle.len()..]
                .chars()
                .next()
                .map(|c| !(c.is_alphanumeric() || c == '-'))
                .unwrap_or(true);
            if before_ok && after_ok {
                return Some(s);
            }
        }
        from = s + needle.len();
    }
    None
}

/// `spec.done-means-unmapped` for one packet.
pub fn check_done_means(p: &Packet, out: &mut Emitter) {
    let numbers: Vec<&str> = p
        .spec_anchors
        .iter()
        .filter_map(|a| a.number.as_deref())
        .collect();
    if numbers.is_empty() {
        return;
    }
    for dm in &p.done_means {
        if !numbers.iter().any(|n| cites(&dm.value, n)) {
            out.emit(
                diag(
                    "spec.done-means-unmapped",
                    format!(
                        "DONE_MEANS item `{}` cites none of the anchors ({})",
                        dm.value.trim(),
                        numbers
                            .iter()
                            .map(|n| format!("§{}", normalize_number(n)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .at(&p.path, dm.line, dm.span)
                .with_wp(&p.id),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Frozen spec (diff level)

/// How a path changed in a change set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Modified,
    Deleted,
    /// The path is the old name of a renamed file.
    Renamed,
}

/// Glob match of a packet id against a pattern (`*` and `?` only).
pub fn id_glob(pattern: &str, id: &str) -> bool {
    crate::glob::cached_matcher(pattern).is_some_and(|m| m.is_match(id))
}

/// `spec.frozen`: the current spec is never modified; adding a new spec version or changing
/// SPEC_CURRENT needs a spec-update packet. `ws` is the state before the change.
pub fn check_frozen(
    changed: &[(&str, ChangeKind)],
    bound_wp: Option<&str>,
    ws: &Workspace,
    out: &mut Emitter,
) -> Result<(), Error> {
    let cur_path = ws.resolve(&ws.policy.layout.spec_current);
    let spec_path = current_spec_path(ws)?;
    let stem = spec_path
        .as_deref()
        .and_then(parse_spec_version)
        .map(|v| v.stem);
    let is_update = bound_wp
        .map(|w| id_glob(&ws.policy.spec.update_packet_pattern, w))
        .unwrap_or(false);
    let pat = &ws.policy.spec.update_packet_pattern;
    for &(path, kind) in changed {
        if Some(path) == spec_path.as_deref() && kind != ChangeKind::Added {
            out.emit(
                diag(
                    "spec.frozen",
                    format!(
                        "the current Master Spec {path} is frozen ({}); it must not be {}",
                        cur_path,
                        match kind {
                            ChangeKind::Deleted => "deleted",
                            ChangeKind::Renamed => "renamed",
                            _ => "modified",
                        }
                    ),
                )
                .with_path(path)
                .with_opt_wp(bound_wp)
                .with_help(format!(
                    "add a new version (e.g. the next `_vNN.NNN.md`) and repoint {cur_path} under a packet matching `{pat}`"
                )),
            );
            continue;
        }
        if is_update {
            continue;
        }
        if path == cur_path {
            out.emit(
                diag(
                    "spec.frozen",
                    format!("{cur_path} changed outside a spec-update packet"),
                )
                .with_path(path)
                .with_opt_wp(bound_wp)
                .with_help(format!(
                    "repointing the current spec needs a packet whose id matches `{pat}` (bound: {})",
                    bound_wp.unwrap_or("none")
                )),
            );
            continue;
        }
        if kind == ChangeKind::Added {
            if let (Some(v), Some(stem)) = (parse_spec_version(path), stem.as_deref()) {
                if v.stem == stem {
                    out.emit(
                        diag(
                            "spec.frozen",
                            format!("new spec version {path} added outside a spec-update packet"),
                        )
                        .with_path(path)
                        .with_opt_wp(bound_wp)
                        .with_help(format!(
                            "spec versions are added under a packet whose id matches `{pat}` (bound: {})",
                            bound_wp.unwrap_or("none")
                        )),
                    );
                }
            }
        }
    }
    Ok(())
}
