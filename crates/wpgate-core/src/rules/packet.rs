//! The pre-work checklist (Parts 4, 5 and 8 of the protocol) as individual rules over one
//! parsed packet. Every rule is pure: it reads the [`Packet`], the decoded file and the
//! policy, and emits diagnostics through the [`Emitter`] (which applies severities).

use crate::model::packet::normalise_status;

use super::{diag, Emitter, RuleInfo};
use crate::model::packet::id_from_path;
use crate::model::packet::{is_path_like, Field, Packet};
use crate::model::text::TextFile;
use crate::policy::Policy;
use crate::report::{Severity, Span};

pub const RULES: &[RuleInfo] = &[
    RuleInfo {
        id: "packet.missing-field",
        default: Severity::Error,
        summary: "a field the checklist requires is missing from the packet",
        help: "The pre-work checklist (protocol Parts 5.1 and 8) needs every required field \
               before a packet is delegated: TASK_ID, STATUS, What/Why, IN_SCOPE_PATHS, \
               OUT_OF_SCOPE, SPEC_ANCHOR, RISK_TIER, TEST_PLAN, DONE_MEANS, ROLLBACK_HINT, the \
               BOOTSTRAP lists, dependencies and an effort estimate. Add the field (the label \
               may be a list item `- **FIELD**:`, a heading `### FIELD` or a bold line); the \
               list of required fields is `packet.required_fields` in the policy and the \
               accepted labels are `packet.fields.*`.",
        example: "## Quality Gate\n- **RISK_TIER**: HIGH\n# (no TEST_PLAN anywhere in the packet)",
    },
    RuleInfo {
        id: "packet.placeholder",
        default: Severity::Error,
        summary: "a template placeholder such as `{1-2 sentence description}` was never filled in",
        help: "Braces with words inside are the template's placeholders. A packet that still \
               has them is not ready: replace each with the real value (text inside backticks \
               and code blocks is not checked).",
        example: "- **What**: {1-2 sentence description}",
    },
    RuleInfo {
        id: "packet.missing-anchor",
        default: Severity::Error,
        summary: "the packet has no SPEC_ANCHOR, or none of its anchors names a spec section",
        help: "Every packet must cite the Master Spec main body (protocol Part 5.2) with a \
               section number, e.g. `§2.3.12.1 (Four Portability Pillars)` or `A2.6.6.7.11`. \
               Prose such as \"the bundle section\" cannot be checked against the spec: cite \
               the section number.",
        example: "- **SPEC_ANCHOR**: Workspace bundle/export section (per Master Spec Main Body)",
    },
    RuleInfo {
        id: "packet.vague-scope",
        default: Severity::Error,
        summary: "an IN_SCOPE_PATHS entry is prose, a bare glob or a too-shallow directory",
        help: "The coder may change exactly the files IN_SCOPE_PATHS lists (protocol Part \
               5.3), so each entry must be a repository path or glob: \
               `src/backend/handshake_core/src/storage/mod.rs`, `migrations/*.sql`. Prose \
               (\"Everything related to storage\"), `*`/`**` and directories with fewer \
               segments than `packet.min_dir_depth` (`src/`, `src/backend`) are too vague: \
               list the files instead.",
        example: "- **IN_SCOPE_PATHS**:\n  * src/backend\n  * Everything related to storage",
    },
    RuleInfo {
        id: "packet.missing-out-of-scope",
        default: Severity::Error,
        summary: "OUT_OF_SCOPE is missing or lists nothing",
        help: "OUT_OF_SCOPE tells the coder what must not be touched and where deferred work \
               goes (protocol Part 8). Add at least one item, e.g. \
               `Migrations rewrite (→ WP-1-Migration-Framework)`.",
        example: "- **OUT_OF_SCOPE**:\n## Quality Gate",
    },
    RuleInfo {
        id: "packet.empty-done-means",
        default: Severity::Error,
        summary: "DONE_MEANS is missing or lists no criteria",
        help: "DONE_MEANS are the measurable acceptance criteria, mapped 1:1 to the \
               SPEC_ANCHOR requirements (protocol Part 5.4). List each criterion as an item.",
        example: "- **DONE_MEANS**:\n- **ROLLBACK_HINT**: git revert <sha>",
    },
    RuleInfo {
        id: "packet.risk-tier",
        default: Severity::Error,
        summary: "RISK_TIER is missing or not one of the policy's tiers",
        help: "Assign exactly one tier from `packet.risk_tiers` (LOW, MEDIUM or HIGH by \
               default). The template's `LOW | MEDIUM | HIGH` is a placeholder, not a tier.",
        example: "- **RISK_TIER**: LOW | MEDIUM | HIGH",
    },
    RuleInfo {
        id: "packet.test-plan-commands",
        default: Severity::Error,
        summary: "TEST_PLAN is missing or contains no commands",
        help: "TEST_PLAN must list the exact commands the coder runs (protocol Part 8), in a \
               fenced code block or as list items with backticked commands. Comment lines \
               starting with `#` are not commands.",
        example: "- **TEST_PLAN**: {Exact bash commands}",
    },
    RuleInfo {
        id: "packet.bootstrap-size",
        default: Severity::Warning,
        summary: "FILES_TO_OPEN, SEARCH_TERMS or RISK_MAP has too few or too many items",
        help: "The BOOTSTRAP block gives the coder a work plan (protocol Part 5.5): 5-15 \
               FILES_TO_OPEN, 10-20 SEARCH_TERMS and 3-8 RISK_MAP failure modes by default \
               (`packet.files_to_open`, `packet.search_terms`, `packet.risk_map`). Add or trim \
               items.",
        example: "- **SEARCH_TERMS**:\n  * \"AppState\"",
    },
    RuleInfo {
        id: "packet.not-locked",
        default: Severity::Error,
        summary: "the packet carries no real USER_SIGNATURE lock",
        help: "A packet is delegated only after the user locked it (protocol Part 5.6): add \
               the user's signature as `- USER_SIGNATURE: <signature>` or in the footer \
               `**User Signature Locked:** <signature>`. `{placeholders}`, `<pending>`, empty \
               values and \"pending\" are not signatures.",
        example: "**User Signature Locked:** <pending>",
    },
    RuleInfo {
        id: "packet.encoding",
        default: Severity::Warning,
        summary: "the packet file is not valid UTF-8",
        help: "The file contains bytes that are not UTF-8 (often a `§` or an emoji saved in \
               another encoding, or a control character from a damaged fence). wpgate read it \
               with replacement characters, so anchors or fences near that line may be \
               misread. Re-save the file as UTF-8 and fix the damaged characters.",
        example: "- **SPEC_ANCHOR**: \\xA72.6.6.7.14   # a Latin-1 section sign",
    },
    RuleInfo {
        id: "packet.id-mismatch",
        default: Severity::Warning,
        summary: "TASK_ID differs from the packet's file name",
        help: "Tools and people find a packet by its file name: `docs/task_packets/<TASK_ID>.md`. \
               Rename the file or fix the TASK_ID (for a new variant, create a new packet \
               instead of editing a locked one).",
        example: "# docs/task_packets/WP-1-Storage-Foundation-20251228.md\n- TASK_ID: WP-1-Storage-Foundation-v2",
    },
    RuleInfo {
        id: "packet.projection-drift",
        default: Severity::Warning,
        summary: "a packet's Markdown projection says something its structured contract does not",
        help: "When a folder holds a structured contract (packet.json / packet.toml) and its \
               Markdown projection (packet.md), the contract is the authority: wpgate reads \
               scope, status and lock from it alone. A projection that differs misleads the \
               people and agents who read it. Regenerate the projection from the contract.",
        example: "packet.json: \"status\": \"In Progress\"   packet.md: - STATUS: Done",
    },
    RuleInfo {
        id: "packet.microtask-scope-escape",
        default: Severity::Error,
        summary: "a microtask's scope reaches outside its packet's scope",
        help: "A microtask refines its packet: every path it may touch must be one its packet \
               may touch (IN_SCOPE_PATHS, and not OUT_OF_SCOPE). A change bound to the \
               microtask is checked against both, so an escaping entry grants nothing, but \
               it means the microtask was planned outside its packet: fix the microtask or \
               widen the packet (a new variant, if it is locked).",
        example: "WP-1-Data/packet.json scope.in = [\"src/data/**\"]; MT-003.json scope.in = [\"src/ui/app.rs\"]",
    },
    RuleInfo {
        id: "packet.scope-escapes-repo",
        default: Severity::Error,
        summary: "an IN_SCOPE_PATHS entry is absolute or leaves the repository with `..`",
        help: "Scope paths are repository-relative. An absolute path (`/etc/passwd`, `C:\\x`) \
               or a `..` segment points outside the repository, where the scope check cannot \
               follow. Write the path relative to the repository root.",
        example: "- **IN_SCOPE_PATHS**:\n  * ../other-repo/src/lib.rs",
    },
    RuleInfo {
        id: "packet.inactive-status",
        default: Severity::Error,
        summary: "work committed under a packet whose STATUS is not an active state",
        help: "Work may be committed only under packets in an active state (policy \
               scope.active_statuses, default Ready for Dev / In Progress). A Done, Validated \
               or Superseded packet takes no more work: create a new variant packet.",
        example: "- STATUS: Validated   # and a new commit tagged [WP-1-Foo]",
    },
];

/// Runs the pre-work checklist on one packet.
pub fn check_packet(p: &Packet, file: &TextFile, policy: &Policy, out: &mut Emitter) {
    let path = p.path.as_str();
    let text: &str = &file.text;
    let (title_line, title_span) = match &p.title {
        Some(t) => (t.line, t.span),
        None => (1, first_line_span(text)),
    };
    let at_title = |d: crate::report::Diagnostic| d.at(path, title_line, title_span).with_wp(&p.id);
    let pp = &policy.packet;

    // packet.missing-field (a structured packet has its own list: its format has no
    // bootstrap section unless the team maps one)
    let required = if p.format.is_structured() {
        &pp.structured_required_fields
    } else {
        &pp.required_fields
    };
    for f in required {
        if !p.has_field(f) {
            out.emit(at_title(diag(
                "packet.missing-field",
                format!("packet {} has no {} field", p.id, field_display(f)),
            )));
        }
    }

    // packet.placeholder
    for ph in &p.placeholders {
        out.emit(
            diag(
                "packet.placeholder",
                format!("unfilled template placeholder `{}`", ph.value),
            )
            .at(path, ph.line, ph.span)
            .with_wp(&p.id),
        );
    }

    // packet.missing-anchor
    if !p.spec_anchors.iter().any(|a| a.number.is_some()) {
        let d = match &p.spec_anchor_field {
            Some(f) => diag(
                "packet.missing-anchor",
                format!(
                    "SPEC_ANCHOR `{}` names no spec section number",
                    shorten(&f.value, 80)
                ),
            )
            .at(path, f.line, f.span)
            .with_wp(&p.id),
            None => match p.field_label("spec_anchor") {
                Some(l) => diag("packet.missing-anchor", "SPEC_ANCHOR is empty")
                    .at(path, l.line, l.span)
                    .with_wp(&p.id),
                None => at_title(diag(
                    "packet.missing-anchor",
                    format!("packet {} has no SPEC_ANCHOR", p.id),
                )),
            },
        };
        out.emit(d);
    }

    // packet.vague-scope / packet.scope-escapes-repo
    for e in &p.in_scope_paths {
        let v = e.value.trim();
        if escapes_repo(v) {
            out.emit(
                diag(
                    "packet.scope-escapes-repo",
                    format!("IN_SCOPE path `{v}` is outside the repository"),
                )
                .at(path, e.line, e.span)
                .with_wp(&p.id),
            );
            continue;
        }
        if let Some(why) = vagueness(v, pp.min_dir_depth) {
            out.emit(
                diag(
                    "packet.vague-scope",
                    format!("IN_SCOPE entry `{}` {why}", shorten(v, 80)),
                )
                .at(path, e.line, e.span)
                .with_wp(&p.id),
            );
        }
    }

    // packet.missing-out-of-scope
    if p.out_of_scope.is_empty() {
        let msg = if p.has_field("out_of_scope") {
            "OUT_OF_SCOPE lists nothing"
        } else {
            "packet has no OUT_OF_SCOPE"
        };
        out.emit(
            at_label(p, "out_of_scope", path, title_line, title_span)
                .apply(diag("packet.missing-out-of-scope", msg)),
        );
    }

    // packet.empty-done-means
    if p.done_means.is_empty() {
        let msg = if p.has_field("done_means") {
            "DONE_MEANS lists no criteria"
        } else {
            "packet has no DONE_MEANS"
        };
        out.emit(
            at_label(p, "done_means", path, title_line, title_span)
                .apply(diag("packet.empty-done-means", msg)),
        );
    }

    // packet.risk-tier
    match &p.risk_tier {
        Some(rt) => {
            if !risk_tier_ok(&rt.value, &pp.risk_tiers) {
                out.emit(
                    diag(
                        "packet.risk-tier",
                        format!(
                            "RISK_TIER `{}` is not one of {}",
                            shorten(&rt.value, 60),
                            pp.risk_tiers.join(", ")
                        ),
                    )
                    .at(path, rt.line, rt.span)
                    .with_wp(&p.id),
                );
            }
        }
        None => out.emit(
            at_label(p, "risk_tier", path, title_line, title_span)
                .apply(diag("packet.risk-tier", "packet has no RISK_TIER value")),
        ),
    }

    // packet.test-plan-commands
    let wants_plan = !p.format.is_structured() || required.iter().any(|f| f == "test_plan");
    if wants_plan && (!p.has_test_plan || p.test_plan.is_empty()) {
        let msg = if p.has_test_plan {
            "TEST_PLAN contains no commands"
        } else {
            "packet has no TEST_PLAN"
        };
        out.emit(
            at_label(p, "test_plan", path, title_line, title_span)
                .apply(diag("packet.test-plan-commands", msg)),
        );
    }

    // packet.bootstrap-size
    let lists: [(&str, &str, usize, [usize; 2]); 3] = [
        (
            "files_to_open",
            "FILES_TO_OPEN",
            p.files_to_open.len(),
            pp.files_to_open,
        ),
        (
            "search_terms",
            "SEARCH_TERMS",
            p.search_terms.len(),
            pp.search_terms,
        ),
        ("risk_map", "RISK_MAP", p.risk_map.len(), pp.risk_map),
    ];
    for (canon, name, n, [min, max]) in lists {
        if !p.has_field(canon) {
            // Reported by packet.missing-field.
            continue;
        }
        if n < min || n > max {
            out.emit(at_label(p, canon, path, title_line, title_span).apply(diag(
                "packet.bootstrap-size",
                format!("{name} has {n} item(s); expected {min}-{max}"),
            )));
        }
    }

    // packet.not-locked
    match &p.lock {
        Some(l) if l.real => {}
        Some(l) => out.emit(
            diag(
                "packet.not-locked",
                format!(
                    "USER_SIGNATURE `{}` is a placeholder, not a lock",
                    shorten(&l.signature.value, 40)
                ),
            )
            .at(path, l.signature.line, l.signature.span)
            .with_wp(&p.id),
        ),
        None => out.emit(at_title(diag(
            "packet.not-locked",
            format!("packet {} carries no USER_SIGNATURE", p.id),
        ))),
    }

    // packet.encoding
    if let Some(line) = file.invalid_utf8_line {
        let span = line_span(text, line);
        out.emit(
            diag(
                "packet.encoding",
                format!("{path} is not valid UTF-8 (first invalid byte on line {line})"),
            )
            .at(path, line, span)
            .with_wp(&p.id),
        );
    }

    // packet.id-mismatch: the identity is the file stem or folder name, never the TASK_ID.
    if let Some(t) = &p.task_id {
        let stem = if pp.identity == "field" {
            id_from_path(path)
        } else {
            p.id.clone()
        };
        let tv = t.value.trim_end_matches(['.', ',', ';', ':']);
        if tv != stem {
            out.emit(
                diag(
                    "packet.id-mismatch",
                    format!(
                        "TASK_ID `{tv}` differs from the packet's id `{stem}` (its file or folder name); the packet is found as `{stem}`"
                    ),
                )
                .at(path, t.line, t.span)
                .with_wp(&p.id),
            );
        }
    }
}

/// Where a finding about a field points: its label when present, else the title.
struct Loc<'a> {
    path: &'a str,
    line: usize,
    span: Span,
    wp: &'a str,
}

impl Loc<'_> {
    fn apply(&self, d: crate::report::Diagnostic) -> crate::report::Diagnostic {
        d.at(self.path, self.line, self.span).with_wp(self.wp)
    }
}

fn at_label<'a>(
    p: &'a Packet,
    canon: &str,
    path: &'a str,
    title_line: usize,
    title_span: Span,
) -> Loc<'a> {
    match p.field_label(canon) {
        Some(l) => Loc {
            path,
            line: l.line,
            span: l.span,
            wp: &p.id,
        },
        None => Loc {
            path,
            line: title_line,
            span: title_span,
            wp: &p.id,
        },
    }
}

fn field_display(canon: &str) -> String {
    match canon {
        "what" => "What".into(),
        "why" => "Why".into(),
        "dependencies" => "Dependencies".into(),
        "effort" => "Effort".into(),
        "signature" => "USER_SIGNATURE".into(),
        other => other.to_ascii_uppercase(),
    }
}

/// Is a RISK_TIER value one of the tiers? The first word must be a tier, and the value
/// must not be the template's `LOW | MEDIUM | HIGH` list.
pub fn risk_tier_ok(value: &str, tiers: &[String]) -> bool {
    if value.contains('|') {
        return false;
    }
    let first = value
        .split(|c: char| !c.is_alphanumeric() && c != '_' && c != '-')
        .find(|w| !w.is_empty())
        .unwrap_or("");
    tiers.iter().any(|t| t.eq_ignore_ascii_case(first))
}

/// Is an IN_SCOPE path absolute or does it contain a `..` segment?
pub fn escapes_repo(v: &str) -> bool {
    let v = v.trim();
    if v.starts_with('/') || v.starts_with('\\') || v.starts_with('~') {
        return true;
    }
    let b = v.as_bytes();
    if b.len() >= 2
        && b[0].is_ascii_alphabetic()
        && b[1] == b':'
        && !v.contains(char::is_whitespace)
    {
        return true;
    }
    is_path_like(v) && v.split(['/', '\\']).any(|seg| seg == "..")
}

/// Why an IN_SCOPE entry is vague, if it is.
pub fn vagueness(v: &str, min_dir_depth: usize) -> Option<String> {
    let t = v.trim();
    if t.trim_matches(|c| c == '*' || c == '/').is_empty() {
        return Some("matches everything".into());
    }
    let bare_name = !t.is_empty() && t.chars().all(|c| c.is_alphanumeric() || "._-".contains(c));
    if t.contains(char::is_whitespace) || !(is_path_like(t) || bare_name) {
        return Some("is prose, not a path".into());
    }
    let segs: Vec<&str> = t
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    // Globs on the whole tree (`**`, `src/**`) are as vague as the directory they start at.
    let concrete: Vec<&str> = segs
        .iter()
        .copied()
        .take_while(|s| !s.contains('*'))
        .collect();
    let is_dir = t.ends_with('/')
        || segs
            .last()
            .map(|l| *l == "**" || *l == "*")
            .unwrap_or(false)
        || (segs.len() > 1
            && !t.contains('*')
            && !segs.last().map(|l| l.contains('.')).unwrap_or(false));
    if is_dir && concrete.len() < min_dir_depth {
        return Some(format!(
            "is a directory with {} segment(s); list files or use a directory at least {min_dir_depth} deep",
            concrete.len()
        ));
    }
    None
}

fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(n).collect();
        out.push('…');
        out
    }
}

fn first_line_span(text: &str) -> Span {
    let end = text.find('\n').unwrap_or(text.len());
    let end = text[..end].trim_end_matches('\r').len();
    Span::new(0, end)
}

fn line_span(text: &str, line: usize) -> Span {
    let mut start = 0;
    for _ in 1..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => break,
        }
    }
    let end = text[start..]
        .find('\n')
        .map(|i| start + i)
        .unwrap_or(text.len());
    let end = start + text[start..end].trim_end_matches('\r').len();
    Span::new(start, end)
}

/// The state of the packet a change is bound to, as the trusted revision has it: it must
/// be locked (`packet.not-locked`) and in an active state (`packet.inactive-status`; a
/// packet without STATUS is not active; `active` holds the policy's
/// `scope.active_statuses`, normalised with [`normalise_status`]).
pub fn check_bound_state(packet: &Packet, active: &[String], out: &mut Emitter) {
    if packet.kind != crate::policy::PacketKind::Active {
        let what = match packet.kind {
            crate::policy::PacketKind::Stub => "a stub (planned, not yet activated)",
            _ => "archived",
        };
        out.emit(
            diag(
                "packet.inactive-status",
                format!(
                    "work committed under {} which is {what}: only an active packet authorises work",
                    packet.id
                ),
            )
            .with_help(format!(
                "activate the packet first (an active packet of that id, locked and merged), or bind the work to the active packet that owns it; {} is {}",
                packet.id, packet.path
            ))
            .with_path(&packet.path)
            .with_wp(&packet.id),
        );
        return;
    }
    if !packet.is_locked() {
        out.emit(
            diag(
                "packet.not-locked",
                format!(
                    "work committed under {} which is not locked with a USER_SIGNATURE",
                    packet.id
                ),
            )
            .with_help(format!(
                "the trusted revision has {} unlocked: lock it (`wpgate packet lock`) and merge the lock first, then commit the work",
                packet.id
            ))
            .with_path(&packet.path)
            .with_opt_line(packet.lock.as_ref().map(|l| l.signature.line))
            .with_wp(&packet.id),
        );
    }
    let Some(st) = &packet.status else {
        // No STATUS is no active state: fail closed.
        out.emit(
            diag(
                "packet.inactive-status",
                format!(
                    "work committed under {} which has no STATUS, so it is not in an active state",
                    packet.id
                ),
            )
            .with_path(&packet.path)
            .with_wp(&packet.id),
        );
        return;
    };
    {
        if !active.contains(&normalise_status(&st.value)) {
            out.emit(
                diag(
                    "packet.inactive-status",
                    format!(
                        "work committed under {} whose STATUS is `{}`, not an active state",
                        packet.id, st.value
                    ),
                )
                .at(&packet.path, st.line, st.span)
                .with_wp(&packet.id),
            );
        }
    }
}

/// `packet.microtask-scope-escape`: every path-like IN_SCOPE entry of each microtask must
/// fall inside its packet's scope. A glob entry is judged by a sample path it matches.
pub fn check_microtasks(p: &Packet, out: &mut Emitter) {
    if p.microtasks.is_empty() {
        return;
    }
    let inside: Vec<&str> = p.in_scope_paths.iter().map(|f| f.value.as_str()).collect();
    let outside: Vec<&str> = p.out_of_scope.iter().map(|f| f.value.as_str()).collect();
    let scope = crate::glob::Scope::new(&inside, &outside);
    for mt in &p.microtasks {
        for e in &mt.in_scope_paths {
            let v = crate::glob::clean(&e.value);
            if !crate::glob::is_pattern(v) || !crate::model::packet::is_path_like(v) {
                continue;
            }
            let sample = sample_path(v);
            let why = match scope.verdict(&sample) {
                crate::glob::Verdict::In => continue,
                crate::glob::Verdict::NotListed => {
                    format!("not inside the IN_SCOPE_PATHS of {}", p.id)
                }
                crate::glob::Verdict::Excluded(x) => {
                    format!("excluded by OUT_OF_SCOPE entry `{x}` of {}", p.id)
                }
            };
            out.emit(
                diag(
                    "packet.microtask-scope-escape",
                    format!("microtask {} allows `{v}`, {why}", mt.id),
                )
                .at(&mt.path, e.line, e.span)
                .with_wp(&p.id),
            );
        }
    }
}

/// A path a scope entry covers: the entry itself, or a glob with its wildcards filled in
/// (`src/x/**` → `src/x/wpgate-sample/wpgate-sample`).
fn sample_path(entry: &str) -> String {
    let e = entry.trim_end_matches('/');
    if !e.contains(['*', '?', '[', '{']) {
        return e.to_string();
    }
    let mut out: Vec<String> = Vec::new();
    for seg in e.split('/') {
        if seg == "**" {
            out.push("wpgate-sample".into());
            out.push("wpgate-sample".into());
        } else if seg.contains(['[', '{']) {
            out.push("wpgate-sample".into());
            break;
        } else {
            out.push(
                seg.replace("**", "wpgate-sample")
                    .replace('*', "wpgate-sample")
                    .replace('?', "x"),
            );
        }
    }
    out.join("/")
}

/// `packet.projection-drift`: the fields read from a structured packet's Markdown
/// projection (`projection_text`) against the contract's. Only fields the projection
/// states are compared.
pub fn check_projection(
    p: &Packet,
    projection_path: &str,
    projection_text: &str,
    policy: &Policy,
    out: &mut Emitter,
) {
    let proj =
        crate::model::packet::parse_packet(projection_path, projection_text, &policy.packet.fields);
    let mut emit = |field: &str, line: usize, span: Span, msg: String| {
        out.emit(
            diag(
                "packet.projection-drift",
                format!("{projection_path}: {field} {msg}"),
            )
            .at(projection_path, line, span)
            .with_wp(&p.id)
            .with_help(format!(
                "{} is the authority; regenerate {projection_path} from it",
                p.path
            )),
        );
    };
    let scalar = |a: &Option<Field<String>>| a.as_ref().map(|f| f.value.trim().to_string());
    for (name, pv, cv) in [
        ("STATUS", &proj.status, &p.status),
        ("RISK_TIER", &proj.risk_tier, &p.risk_tier),
    ] {
        if let (Some(pf), Some(c)) = (pv, scalar(cv)) {
            if normalise_status(&pf.value) != normalise_status(&c) {
                emit(
                    name,
                    pf.line,
                    pf.span,
                    format!("is `{}` but the contract has `{c}`", pf.value.trim()),
                );
            }
        }
    }
    if let (Some(ps), Some(cs)) = (proj.signature(), p.signature()) {
        if ps.trim() != cs.trim() {
            if let Some(l) = &proj.lock {
                emit(
                    "USER_SIGNATURE",
                    l.signature.line,
                    l.signature.span,
                    format!("is `{ps}` but the contract has `{cs}`"),
                );
            }
        }
    }
    for (name, pl, cl) in [
        ("IN_SCOPE_PATHS", &proj.in_scope_paths, &p.in_scope_paths),
        ("OUT_OF_SCOPE", &proj.out_of_scope, &p.out_of_scope),
    ] {
        if pl.is_empty() {
            continue;
        }
        let paths = |l: &[Field<String>]| -> Vec<String> {
            l.iter()
                .map(|f| crate::glob::clean(&f.value).to_string())
                .filter(|v| crate::model::packet::is_path_like(v))
                .collect()
        };
        let (pp, cp) = (paths(pl), paths(cl));
        if let Some(extra) = pl.iter().find(|f| {
            let v = crate::glob::clean(&f.value);
            crate::model::packet::is_path_like(v) && !cp.iter().any(|c| c == v)
        }) {
            emit(
                name,
                extra.line,
                extra.span,
                format!(
                    "lists `{}`, which the contract does not",
                    crate::glob::clean(&extra.value)
                ),
            );
        } else if let Some(missing) = cp.iter().find(|c| !pp.contains(c)) {
            let first = &pl[0];
            emit(
                name,
                first.line,
                first.span,
                format!("lacks `{missing}`, which the contract lists"),
            );
        }
    }
}

/// Every per-packet rule on one packet of a workspace: the pre-work checklist, its lock
/// digest, its microtasks and its projection.
pub fn check_in(
    p: &Packet,
    ws: &crate::source::Workspace,
    out: &mut Emitter,
) -> Result<(), crate::error::Error> {
    if let Some(tf) = ws.text(&p.path)? {
        check_packet(p, &tf, ws.policy, out);
        crate::rules::lock::check_digest(&tf.text, p, ws.policy, out);
    }
    check_microtasks(p, out);
    if let Some(proj) = p.projection.as_deref() {
        if let Some(tf) = ws.text(proj)? {
            check_projection(p, proj, &tf.text, ws.policy, out);
        }
    }
    Ok(())
}
