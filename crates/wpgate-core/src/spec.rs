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

use std::collections::HashMap;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::diag::{Severity, Span};
use crate::error::Error;
use crate::packet::{Anchor, Packet};
use crate::rules::{diag, Emitter, RuleInfo};
use crate::workspace::Workspace;

/// Policy section `[spec]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SpecPolicy {
    /// Directories (repository-relative, `""` = root) searched for the spec file named by
    /// SPEC_CURRENT; the directory of SPEC_CURRENT itself is always searched too.
    pub search_dirs: Vec<String>,
    /// Section-number prefixes of the Main Body (`"2"` covers 2, 2.3, 2.3.12…). Empty: every
    /// numbered section is Main Body unless a title below says otherwise.
    pub main_body: Vec<String>,
    /// Regexes over heading titles: a section under (or at) a heading whose title matches is
    /// not Main Body (Roadmap, Future Work).
    pub non_main_body_titles: Vec<String>,
    /// Glob of packet ids allowed to add a new spec version and repoint SPEC_CURRENT.
    pub update_packet_pattern: String,
    /// `spec.done-means-unmapped` only runs when true.
    pub require_done_means_mapping: bool,
    /// Regex of rule ids in the spec (`[CX-DBP-040]`); group 1 is the id.
    pub rule_id_pattern: String,
}

impl Default for SpecPolicy {
    fn default() -> Self {
        SpecPolicy {
            search_dirs: vec![String::new()],
            main_body: vec![],
            non_main_body_titles: vec![
                r"(?i)\broadmap\b".to_string(),
                r"(?i)\bfuture work\b".to_string(),
            ],
            update_packet_pattern: "*-SpecUpdate*".to_string(),
            require_done_means_mapping: false,
            rule_id_pattern: DEFAULT_RULE_ID_PATTERN.to_string(),
        }
    }
}

pub const DEFAULT_RULE_ID_PATTERN: &str = r"\[([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)\]";

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

// ---------------------------------------------------------------------------------------------
// Index

/// One heading of the spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpecHeading {
    pub level: u8,
    /// Section number as written without a trailing dot (`2.3.12`, `1`, `A9.2`).
    pub number: Option<String>,
    /// Title after the number, without trailing rule ids.
    pub title: String,
    /// Rule ids in the heading (`CX-DBP-001`).
    pub rule_ids: Vec<String>,
    /// 1-based line of the heading.
    pub line: usize,
    /// Byte range of the heading line.
    #[serde(skip)]
    pub span: Span,
    /// Byte range of the section: from the heading to the next heading of the same or a
    /// higher level (or the end of the text).
    #[serde(skip)]
    pub range: Span,
    /// Index of the enclosing heading (by level).
    pub parent: Option<usize>,
    /// Number of the enclosing top-level numbered section.
    pub top: Option<String>,
    /// See the module docs.
    pub canonical: bool,
}

/// Section index of a spec text, built in one pass.
#[derive(Debug, Clone, Default)]
pub struct SpecIndex {
    pub headings: Vec<SpecHeading>,
    by_number: HashMap<String, Vec<usize>>,
    /// Bracketed rule ids → headings whose own text (heading or body before a subsection)
    /// holds them.
    rule_ids: HashMap<String, Vec<usize>>,
    has_appendix_numbers: bool,
    /// Each heading's title as lower-case words (see [`title_matches`]), split on first
    /// use: title searches compare every heading.
    title_words: std::sync::OnceLock<Vec<Vec<String>>>,
}

lazy_re!(heading_number_re, r"^(A?[0-9]+(?:\.[0-9]+)*)\.?(?:\s+|$)");
lazy_re!(default_rule_id_re, DEFAULT_RULE_ID_PATTERN);

/// Fence state of a Markdown line scanner (``` and ~~~ fences, CommonMark-style).
#[derive(Default)]
struct Fence {
    open: Option<(u8, usize)>,
}

impl Fence {
    /// Feeds a line; returns true when the line is inside (or delimits) a fenced block.
    fn feed(&mut self, line: &str) -> bool {
        let trimmed = line.trim_start_matches(' ');
        let indent = line.len() - trimmed.len();
        let fence = if indent <= 3 {
            let b = trimmed.as_bytes();
            match b.first() {
                Some(&c) if c == b'`' || c == b'~' => {
                    let n = b.iter().take_while(|&&x| x == c).count();
                    if n >= 3 {
                        Some((c, n, trimmed[n..].trim()))
                    } else {
                        None
                    }
                }
                _ => None,
            }
        } else {
            None
        };
        match (self.open, fence) {
            (Some((c, n)), Some((fc, fnn, rest))) if fc == c && fnn >= n && rest.is_empty() => {
                self.open = None;
                true
            }
            (Some(_), _) => true,
            (None, Some((c, n, rest))) => {
                if c == b'`' && rest.contains('`') {
                    false
                } else {
                    self.open = Some((c, n));
                    true
                }
            }
            (None, None) => false,
        }
    }
}

/// Parses an ATX heading line: (level, text).
fn atx_heading(line: &str) -> Option<(u8, &str)> {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let hashes = trimmed.bytes().take_while(|&b| b == b'#').count();
    if hashes == 0 || hashes > 6 {
        return None;
    }
    let rest = &trimmed[hashes..];
    let rest = rest.trim_end_matches(['\n', '\r']);
    if !(rest.is_empty() || rest.starts_with(' ') || rest.starts_with('\t')) {
        return None;
    }
    let mut text = rest.trim();
    // Closing sequence of #.
    let no_close = text.trim_end_matches('#');
    if no_close.len() != text.len() && (no_close.is_empty() || no_close.ends_with([' ', '\t'])) {
        text = no_close.trim_end();
    }
    Some((hashes as u8, text))
}

impl SpecIndex {
    /// Builds the index with the default rule-id pattern.
    pub fn build(text: &str) -> SpecIndex {
        default_rule_id_re()
            .map(|re| Self::build_with(text, re))
            .unwrap_or_default()
    }

    /// Builds the index; `rule_id_re` group 1 (or the whole match) is a rule id.
    pub fn build_with(text: &str, rule_id_re: &Regex) -> SpecIndex {
        let mut idx = SpecIndex::default();
        let mut fence = Fence::default();
        let mut offset = 0usize;
        // Open headings: (index, effective level). An unnumbered heading nested under a
        // numbered one gets at least its parent's level + 1.
        let mut stack: Vec<(usize, u8)> = Vec::new();
        let mut top: Option<String> = None;
        for (k, line) in text.split_inclusive('\n').enumerate() {
            let line_no = k + 1;
            let start = offset;
            offset += line.len();
            if fence.feed(line) {
                continue;
            }
            let Some((level, htext)) = atx_heading(line) else {
                continue;
            };
            let (number, rest) = match heading_number_re().and_then(|re| re.captures(htext)) {
                Some(c) => {
                    let m = c.get(0).map(|m| m.end()).unwrap_or(0);
                    (c.get(1).map(|n| n.as_str().to_string()), &htext[m..])
                }
                None => (None, htext),
            };
            // Close sections of the same or a deeper level. An unnumbered heading never
            // closes a numbered section: in numbered specs those are accidents (shell
            // comments after a broken code fence) and become children instead.
            while let Some(&(last, eff)) = stack.last() {
                let lh = &idx.headings[last];
                if eff >= level && (number.is_some() || lh.number.is_none()) {
                    idx.headings[last].range.end = start;
                    stack.pop();
                } else {
                    break;
                }
            }
            let mut rule_ids = Vec::new();
            for c in rule_id_re.captures_iter(rest) {
                if let Some(m) = c.get(1).or_else(|| c.get(0)) {
                    rule_ids.push(m.as_str().to_string());
                }
            }
            let title = rule_id_re.replace_all(rest, "").trim().to_string();
            if level == 1 {
                if let Some(n) = number.as_ref().filter(|n| !n.contains('.')) {
                    top = Some(n.clone());
                }
            }
            let canonical = match (&number, &top) {
                (Some(n), Some(t)) => n.split('.').next() == Some(t.as_str()),
                _ => false,
            };
            let line_end = start + line.trim_end_matches(['\n', '\r']).len();
            let i = idx.headings.len();
            if let Some(n) = &number {
                idx.by_number.entry(n.clone()).or_default().push(i);
                if n.starts_with('A') {
                    idx.has_appendix_numbers = true;
                }
            }
            idx.headings.push(SpecHeading {
                level,
                number,
                title,
                rule_ids,
                line: line_no,
                span: Span::new(start, line_end),
                range: Span::new(start, text.len()),
                parent: stack.last().map(|&(p, _)| p),
                top: top.clone(),
                canonical,
            });
            let eff = match stack.last() {
                Some(&(_, pe)) if pe >= level => pe.saturating_add(1),
                _ => level,
            };
            stack.push((i, eff));
        }
        // Rule ids anywhere: attribute to the innermost section (last heading before).
        let starts: Vec<usize> = idx.headings.iter().map(|h| h.span.start).collect();
        for c in rule_id_re.captures_iter(text) {
            let Some(m) = c.get(1).or_else(|| c.get(0)) else {
                continue;
            };
            let pos = m.start();
            let k = starts.partition_point(|&s| s <= pos);
            if k == 0 {
                continue;
            }
            let e = idx.rule_ids.entry(m.as_str().to_string()).or_default();
            if !e.contains(&(k - 1)) {
                e.push(k - 1);
            }
        }
        idx
    }

    /// All headings with this number (after normalisation), best first.
    pub fn candidates(&self, number: &str) -> Vec<usize> {
        let n = normalize_number(number);
        let mut v = self.by_number.get(&n).cloned().unwrap_or_default();
        if v.is_empty() {
            if let Some(stripped) = n.strip_prefix('A') {
                v = self.by_number.get(stripped).cloned().unwrap_or_default();
            } else if self.has_appendix_numbers {
                v = self
                    .by_number
                    .get(&format!("A{n}"))
                    .cloned()
                    .unwrap_or_default();
            }
        }
        v.sort_by_key(|&i| {
            let h = &self.headings[i];
            (!h.canonical, h.level, h.line)
        });
        v
    }

    /// The best heading for a section number.
    pub fn find(&self, number: &str) -> Option<&SpecHeading> {
        self.candidates(number).first().map(|&i| &self.headings[i])
    }

    /// Headings whose title matches `title` (see [`title_matches`]).
    pub fn find_title(&self, title: &str) -> Vec<usize> {
        let all = self
            .title_words
            .get_or_init(|| self.headings.iter().map(|h| words(&h.title)).collect());
        let a = words(title);
        let mut v: Vec<usize> = (0..self.headings.len())
            .filter(|&i| words_match(&all[i], &a))
            .collect();
        v.sort_by_key(|&i| {
            let h = &self.headings[i];
            (!h.canonical, h.level, h.line)
        });
        v
    }

    /// Headings whose own text holds the bracketed rule id.
    pub fn find_rule_id(&self, id: &str) -> Vec<usize> {
        self.rule_ids.get(id).cloned().unwrap_or_default()
    }

    /// Does the section `i` (including subsections) mention rule id `id`?
    pub fn section_has_rule_id(&self, text: &str, i: usize, id: &str) -> bool {
        let h = &self.headings[i];
        if h.rule_ids.iter().any(|r| r == id) {
            return true;
        }
        text.get(h.range.start..h.range.end)
            .map(|s| contains_word(s, id))
            .unwrap_or(false)
    }

    /// Ancestors of heading `i` (nearest first), excluding `i`.
    pub fn ancestors(&self, i: usize) -> Vec<usize> {
        let mut v = Vec::new();
        let mut cur = self.headings[i].parent;
        while let Some(p) = cur {
            v.push(p);
            cur = self.headings[p].parent;
        }
        v
    }

    /// Shown form of a heading (`§2.3.12.1 Four Portability Pillars`).
    pub fn describe(&self, i: usize) -> String {
        let h = &self.headings[i];
        match &h.number {
            Some(n) => format!("§{n} ({}) at line {}", h.title, h.line),
            None => format!("`{}` at line {}", h.title, h.line),
        }
    }
}

/// Normalises a cited section number: drops `§`, spaces and trailing dots.
pub fn normalize_number(n: &str) -> String {
    n.trim()
        .trim_start_matches('§')
        .trim()
        .trim_end_matches('.')
        .to_string()
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

/// A heading title matches an anchor title when the anchor's words appear contiguously in
/// the heading's words (or the other way round), ignoring case and punctuation.
pub fn title_matches(heading: &str, anchor: &str) -> bool {
    words_match(&words(heading), &words(anchor))
}

fn words_match(h: &[String], a: &[String]) -> bool {
    if a.is_empty() {
        return true;
    }
    if h.is_empty() {
        return false;
    }
    let contains = |big: &[String], small: &[String]| {
        small.len() <= big.len() && big.windows(small.len()).any(|w| w == small)
    };
    contains(h, a) || contains(a, h)
}

fn contains_word(hay: &str, needle: &str) -> bool {
    let mut from = 0;
    while let Some(p) = hay[from..].find(needle) {
        let s = from + p;
        let e = s + needle.len();
        let before_ok = hay[..s]
            .chars()
            .next_back()
            .map(|c| !(c.is_alphanumeric() || c == '-'))
            .unwrap_or(true);
        let after_ok = hay[e..]
            .chars()
            .next()
            .map(|c| !(c.is_alphanumeric() || c == '-'))
            .unwrap_or(true);
        if before_ok && after_ok {
            return true;
        }
        from = e;
    }
    false
}

// ---------------------------------------------------------------------------------------------
// Which spec is current

/// A versioned spec file name: `<stem>_v<major>.<minor>.md`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecVersion {
    pub stem: String,
    pub version: Vec<u64>,
}

/// Parses `Handshake_Master_Spec_v02.100.md` → stem `Handshake_Master_Spec`, version [2, 100].
pub fn parse_spec_version(file_name: &str) -> Option<SpecVersion> {
    lazy_re!(re, r"^(.+?)[_ -]?v([0-9]+(?:\.[0-9]+)*)\.md$");
    let name = file_name.rsplit('/').next().unwrap_or(file_name);
    let c = re()?.captures(name)?;
    let stem = c.get(1)?.as_str().to_string();
    let version = c
        .get(2)?
        .as_str()
        .split('.')
        .map(|p| p.parse::<u64>().ok())
        .collect::<Option<Vec<u64>>>()?;
    Some(SpecVersion { stem, version })
}

/// The spec file name named by SPEC_CURRENT (first bold `**….md**` that looks versioned,
/// else the first bold `.md` name), with its line.
pub fn spec_name_in_current(text: &str) -> Option<(String, usize, Span)> {
    lazy_re!(bold_md_re, r"\*\*`?([^*`\n]+?\.md)`?\*\*");
    lazy_re!(
        any_versioned_md_re,
        r"[A-Za-z0-9_.-]+[_ -]v[0-9]+(?:\.[0-9]+)*\.md"
    );
    let mut first: Option<(String, usize, Span)> = None;
    for c in bold_md_re()
        .into_iter()
        .flat_map(|re| re.captures_iter(text))
    {
        let Some(m) = c.get(1) else { continue };
        let name = m.as_str().trim().to_string();
        let item = (
            name.clone(),
            crate::diag::line_of(text, m.start()),
            Span::new(m.start(), m.end()),
        );
        if parse_spec_version(&name).is_some() {
            return Some(item);
        }
        if first.is_none() {
            first = Some(item);
        }
    }
    if first.is_some() {
        return first;
    }
    // No bold name: the first versioned `.md` file name anywhere (links, backticks).
    any_versioned_md_re()?.find(text).map(|m| {
        (
            m.as_str().to_string(),
            crate::diag::line_of(text, m.start()),
            Span::new(m.start(), m.end()),
        )
    })
}

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
    let cur_path = ws.policy.layout.spec_current.as_str();
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
    let board = crate::board::load(ws)?;
    let live: Vec<Packet> = ws
        .packets()?
        .iter()
        .filter(|p| !crate::board::is_archived(p, board.as_deref(), &ws.policy.board))
        .cloned()
        .collect();
    check_packets(&live, &spec, &ws.policy.spec, out)
}

/// `spec.current-missing` and `spec.not-latest`.
pub fn check_current(ws: &Workspace, out: &mut Emitter) -> Result<(), Error> {
    let cur_path = ws.policy.layout.spec_current.clone();
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

/// Does `text` cite section `number` (`§2.3.12.3`, `2.3.12.3`, `A2.3.12.3`)?
pub fn cites(text: &str, number: &str) -> bool {
    let n = normalize_number(number);
    let n = n.trim_start_matches('A');
    if n.is_empty() {
        return false;
    }
    let mut from = 0;
    while let Some(p) = text[from..].find(n) {
        let s = from + p;
        let e = s + n.len();
        let before = text[..s].chars().next_back();
        let after = text[e..].chars().collect::<Vec<_>>();
        let before_ok = before
            .map(|c| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(true);
        let after_ok = match after.first() {
            None => true,
            Some(c) if c.is_ascii_digit() => false,
            Some('.') => !after.get(1).map(|c| c.is_ascii_digit()).unwrap_or(false),
            _ => true,
        };
        if before_ok && after_ok {
            return true;
        }
        from = e;
    }
    false
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
    let cur_path = ws.policy.layout.spec_current.clone();
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

// ---------------------------------------------------------------------------------------------
// Requirements and traceability

fn has_keyword(s: &str) -> bool {
    lazy_re!(keyword_re, r"\b(MUST|SHOULD)\b");
    keyword_re().is_some_and(|re| re.is_match(s))
}

/// Splits a line into sentences at `.`, `!`, `?` followed by whitespace.
fn sentences(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let b = line.as_bytes();
    for i in 0..b.len() {
        if matches!(b[i], b'.' | b'!' | b'?')
            && b.get(i + 1)
                .map(|c| c.is_ascii_whitespace())
                .unwrap_or(false)
        {
            out.push(&line[start..=i]);
            start = i + 1;
        }
    }
    if start < line.len() {
        out.push(&line[start..]);
    }
    out
}

/// MUST / SHOULD sentences (uppercase keywords, including MUST NOT / SHOULD NOT) of the
/// section numbered `section` (including its subsections), with 1-based lines. Fenced code
/// is skipped.
pub fn requirements(index: &SpecIndex, text: &str, section: &str) -> Vec<(usize, String)> {
    let Some(h) = index.find(section) else {
        return vec![];
    };
    let Some(body) = text.get(h.range.start..h.range.end) else {
        return vec![];
    };
    let mut out = Vec::new();
    let mut fence = Fence::default();
    for (k, line) in body.split_inclusive('\n').enumerate() {
        if fence.feed(line) {
            continue;
        }
        if !has_keyword(line) {
            continue;
        }
        for s in sentences(line.trim_end()) {
            if has_keyword(s) {
                let s = s
                    .trim()
                    .trim_start_matches(['-', '*', '>', ' '])
                    .trim()
                    .to_string();
                out.push((h.line + k, s));
            }
        }
    }
    out
}

/// One row of a packet's requirement trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceRow {
    /// The anchor number (`2.3.12.3`).
    pub anchor: String,
    /// Spec line of the requirement.
    pub line: usize,
    pub sentence: String,
    /// The DONE_MEANS item mapped to it, or `None` (unmapped).
    pub done_means: Option<String>,
}

const STOP: &[&str] = &[
    "must", "should", "shall", "with", "that", "this", "from", "have", "will", "into", "when",
    "each", "than", "then", "they", "their", "there", "which", "only", "also", "been", "were",
    "does", "done", "every", "other", "such", "these", "those", "what", "where", "while",
];

fn key_words(s: &str) -> Vec<String> {
    let mut v: Vec<String> = words(s)
        .into_iter()
        .filter(|w| w.chars().count() >= 4 && !STOP.contains(&w.as_str()))
        .collect();
    v.sort();
    v.dedup();
    v
}

/// The requirement trace of a packet: for each MUST/SHOULD sentence of each anchored
/// section, the DONE_MEANS item that maps to it.
///
/// Matching, in order:
/// 1. an item citing the anchor number and `requirement N` (N = 1-based position of the
///    sentence among the section's requirements, case-insensitive), e.g.
///    `MUST: Database trait defined (§2.3.12.3, requirement 1)`;
/// 2. otherwise the item sharing the most *key words* with the sentence (lowercased words of
///    4+ characters minus stop words such as must/should/with), provided it shares at least
///    two and at least 40% of the sentence's key words.
pub fn trace(packet: &Packet, index: &SpecIndex, text: &str) -> Vec<TraceRow> {
    let mut rows = Vec::new();
    for a in &packet.spec_anchors {
        let Some(num) = a.number.as_deref() else {
            continue;
        };
        let num = normalize_number(num);
        let reqs = requirements(index, text, &num);
        for (k, (line, sentence)) in reqs.into_iter().enumerate() {
            let tag = format!("requirement {}", k + 1);
            let by_number = packet.done_means.iter().find(|d| {
                let low = d.value.to_lowercase();
                cites(&d.value, &num)
                    && low.find(&tag).is_some_and(|p| {
                        !low[p + tag.len()..]
                            .chars()
                            .next()
                            .map(|c| c.is_ascii_digit())
                            .unwrap_or(false)
                    })
            });
            let mapped = by_number.map(|d| d.value.clone()).or_else(|| {
                let kw = key_words(&sentence);
                if kw.is_empty() {
                    return None;
                }
                let need = 2usize.max((kw.len() * 2).div_ceil(5));
                packet
                    .done_means
                    .iter()
                    .map(|d| {
                        let dk = key_words(&d.value);
                        (kw.iter().filter(|w| dk.contains(w)).count(), d)
                    })
                    .filter(|(n, _)| *n >= need)
                    .max_by_key(|(n, _)| *n)
                    .map(|(_, d)| d.value.clone())
            });
            rows.push(TraceRow {
                anchor: num.clone(),
                line,
                sentence,
                done_means: mapped,
            });
        }
    }
    rows
}
