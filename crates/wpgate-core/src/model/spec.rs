//! The Master Spec as data: its section index, version names, the file SPEC_CURRENT
//! names, and queries over sections (requirements, citations, traces). The rules over
//! SPEC_ANCHOR references, the freeze and DONE_MEANS are `crate::rules::spec`.
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

use serde::Serialize;

use crate::policy::DEFAULT_RULE_ID_PATTERN;

use std::collections::HashMap;

use regex::Regex;

use crate::model::packet::Packet;
use crate::report::Span;

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
        Self::build_parts(text, rule_id_re, &[])
    }

    /// [`SpecIndex::build_with`] over the module bodies of a spec bundle joined into one
    /// text: `breaks` are the byte offsets where a module starts (each at a line start).
    /// A code fence left open at the end of a module is closed there, so one module's
    /// broken fence cannot hide the next module's headings. Everything else (sections,
    /// the enclosing top-level number, canonical headings) reads the joined text as one
    /// spec, the way the monolith it was split from reads.
    pub fn build_parts(text: &str, rule_id_re: &Regex, breaks: &[usize]) -> SpecIndex {
        let mut idx = SpecIndex::default();
        let mut fence = Fence::default();
        let mut offset = 0usize;
        let mut next_break = 0usize;
        // Open headings: (index, effective level). An unnumbered heading nested under a
        // numbered one gets at least its parent's level + 1.
        let mut stack: Vec<(usize, u8)> = Vec::new();
        let mut top: Option<String> = None;
        for (k, line) in text.split_inclusive('\n').enumerate() {
            let line_no = k + 1;
            let start = offset;
            offset += line.len();
            while next_break < breaks.len() && breaks[next_break] <= start {
                fence = Fence::default();
                next_break += 1;
            }
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

pub fn contains_word(hay: &str, needle: &str) -> bool {
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

/// Length in bytes and lines of a leading YAML frontmatter block (`---` on the first line
/// through the next line that is exactly `---` or `...`), `(0, 0)` when there is none or
/// it is never closed. Spec bundle modules carry machine metadata there; it is not spec
/// text (a `# comment` in it is no heading).
pub fn frontmatter_len(text: &str) -> (usize, usize) {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bom = text.len() - body.len();
    let mut lines = body.split_inclusive('\n');
    let mut len = match lines.next() {
        Some(first) if first.trim_end_matches(['\n', '\r']) == "---" => bom + first.len(),
        _ => return (0, 0),
    };
    let mut count = 1;
    for line in lines {
        len += line.len();
        count += 1;
        let t = line.trim_end_matches(['\n', '\r']);
        if t == "---" || t == "..." {
            return (len, count);
        }
    }
    (0, 0)
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
            crate::report::line_of(text, m.start()),
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
            crate::report::line_of(text, m.start()),
            Span::new(m.start(), m.end()),
        )
    })
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
    /// Spec line of the requirement (in [`TraceRow::path`] when set).
    pub line: usize,
    /// The spec file the line is in, when the spec is a bundle of modules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
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
                path: None,
                sentence,
                done_means: mapped,
            });
        }
    }
    rows
}
