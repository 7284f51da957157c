//! The task board (`docs/TASK_BOARD.md`) as data: sections, entries, their status tags
//! and blockers. The rules over it are `crate::rules::board`.
//!
//! Entry formats handled (all seen in real boards):
//! - `- **[WP-1-X]** / FAIL: reason … [READY FOR DEV]` (bracket tag at the end of the line);
//! - `- **[WP-1-X]** - [VALIDATED]`, `- **[WP-1-X]** - [SUPERSEDED by WP-1-Y]`;
//! - `- **[WP-1-X]** / IN PROGRESS: text` (status word after `/`);
//! - `1. **[WP-1-X]** - text` with nested `- Status: [READY FOR DEV 🔴]` and
//!   `- Blocker: WP-1-Y (MUST COMPLETE FIRST)` sub-bullets;
//! - `1. ✅ WP-1-X [READY FOR DEV]`.
//!
//! The tag precedence is: `Status:` sub-bullet, trailing bracket tag, `/ WORD:` status;
//! with none of them the section heading stands for the status.

use std::collections::HashMap;

use serde::Serialize;

use regex::Regex;

use crate::error::Error;
use crate::policy::BoardPolicy;
use crate::report::Span;

/// A section heading of the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BoardSection {
    pub title: String,
    pub line: usize,
}

/// One packet entry of the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BoardEntry {
    pub id: String,
    /// Title of the enclosing `##` section.
    pub section: String,
    /// The status tag as written (`READY FOR DEV 🔴`, `SUPERSEDED by WP-1-Y`), if any.
    pub tag: Option<String>,
    /// 1-based line of the entry.
    pub line: usize,
    /// Byte span of the entry line.
    #[serde(skip)]
    pub span: Span,
    /// `Blocker:` / `Depends on:` sub-bullets: (text as written, packet ids named, line).
    pub blockers: Vec<(String, Vec<String>, usize)>,
}

/// The parsed board.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Board {
    pub path: String,
    pub sections: Vec<BoardSection>,
    pub entries: Vec<BoardEntry>,
}

impl Board {
    /// Entries naming `id`.
    pub fn entries_for<'b>(&'b self, id: &'b str) -> impl Iterator<Item = &'b BoardEntry> + 'b {
        self.entries.iter().filter(move |e| e.id == id)
    }
}

/// Normalises a status: uppercase, `-`/`_` as spaces, emoji and punctuation dropped,
/// whitespace collapsed.
pub fn normalize_status(s: &str) -> String {
    let mapped: String = s
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                ' '
            }
        })
        .filter(|c| c.is_ascii())
        .collect();
    mapped.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Is `needle` (normalised) a whole-word sequence of `hay` (normalised), not preceded by NOT?
pub fn status_contains(hay: &str, needle: &str) -> bool {
    let h: Vec<&str> = hay.split(' ').filter(|w| !w.is_empty()).collect();
    let n: Vec<&str> = needle.split(' ').filter(|w| !w.is_empty()).collect();
    if n.is_empty() || n.len() > h.len() {
        return false;
    }
    (0..=h.len() - n.len()).any(|i| h[i..i + n.len()] == n[..] && (i == 0 || h[i - 1] != "NOT"))
}

lazy_re!(
    sub_bullet_re,
    r"(?i)^(?:\s+[-*+]|\s+[0-9]+[.)])\s+(?:\*\*)?(status|blockers?|depends on)(?:\*\*)?\s*:\s*(?:\*\*)?\s*(.*)$"
);

lazy_re!(list_item_re, r"^ ?(?:[-*+]|[0-9]+[.)])\s+");

lazy_re!(
    slash_status_re,
    r"^[\]*\s]*/\s*([A-Za-z][A-Za-z _-]*?)\s*(?:\([^)]*\))?\s*:"
);

/// The bracketed tag ending a line: `… [READY FOR DEV]` → `READY FOR DEV`.
fn trailing_tag(s: &str) -> Option<&str> {
    let t = s.trim_end().trim_end_matches(['.', ' ']);
    let t = t.strip_suffix(']')?;
    let open = t.rfind('[')?;
    let inner = t[open + 1..].trim();
    if inner.is_empty() {
        None
    } else {
        Some(inner)
    }
}

fn clean_tag(s: &str) -> String {
    let s = s.trim().trim_matches('*').trim();
    let s = s.strip_prefix('[').unwrap_or(s);
    let s = s.strip_suffix(']').unwrap_or(s);
    s.trim().to_string()
}

/// Parses a task board. Never fails.
pub fn parse_board(path: &str, text: &str, id_re: &Regex) -> Board {
    let mut board = Board {
        path: path.to_string(),
        ..Board::default()
    };
    let mut section = String::new();
    let mut in_fence = false;
    let mut offset = 0usize;
    let mut current: Option<usize> = None;
    for (k, raw) in text.split_inclusive('\n').enumerate() {
        let line_no = k + 1;
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        if t.starts_with('#') && line.len() - t.len() <= 3 {
            let hashes = t.bytes().take_while(|&b| b == b'#').count();
            let rest = &t[hashes..];
            if hashes <= 6 && (rest.is_empty() || rest.starts_with(' ')) {
                if hashes <= 2 {
                    section = rest.trim().trim_end_matches('#').trim().to_string();
                    board.sections.push(BoardSection {
                        title: section.clone(),
                        line: line_no,
                    });
                }
                current = None;
                continue;
            }
        }
        if let Some(c) = sub_bullet_re().and_then(|re| re.captures(line)) {
            if let Some(ci) = current {
                let key = c
                    .get(1)
                    .map(|m| m.as_str().to_lowercase())
                    .unwrap_or_default();
                let val = c.get(2).map(|m| m.as_str()).unwrap_or("").trim();
                if key == "status" {
                    board.entries[ci].tag = Some(clean_tag(val));
                } else {
                    let ids: Vec<String> = id_re
                        .find_iter(val)
                        .map(|m| trim_id(m.as_str()).to_string())
                        .collect();
                    board.entries[ci]
                        .blockers
                        .push((val.to_string(), ids, line_no));
                }
            }
            continue;
        }
        let Some(li) = list_item_re().and_then(|re| re.find(line)) else {
            if !line.starts_with([' ', '\t']) && !t.is_empty() {
                current = None;
            }
            continue;
        };
        let body = &line[li.end()..];
        let Some(m) = id_re.find(body) else {
            current = None;
            continue;
        };
        let id = trim_id(m.as_str()).to_string();
        let after = &body[m.end()..];
        let tag = trailing_tag(after).map(clean_tag).or_else(|| {
            slash_status_re()
                .and_then(|re| re.captures(after))
                .and_then(|c| c.get(1))
                .map(|s| s.as_str().trim().to_string())
        });
        // In a `Blocked` section the reason names the blockers:
        // `- WP-1-B: Waiting for WP-1-A to VALIDATE`.
        let mut blockers = vec![];
        if normalize_status(&section).starts_with("BLOCKED") {
            let ids: Vec<String> = id_re
                .find_iter(after)
                .map(|m| trim_id(m.as_str()).to_string())
                .filter(|x| *x != id)
                .collect();
            if !ids.is_empty() {
                blockers.push((after.trim().to_string(), ids, line_no));
            }
        }
        board.entries.push(BoardEntry {
            id,
            section: section.clone(),
            tag,
            line: line_no,
            span: Span::new(start, start + line.len()),
            blockers,
        });
        current = Some(board.entries.len() - 1);
    }
    board
}

fn trim_id(s: &str) -> &str {
    s.trim_end_matches(['.', '-', '_'])
}

/// Compiles the board id pattern of the policy.
/// (compiled once per pattern per process: several rules load the board)
pub fn id_regex(policy: &BoardPolicy) -> Result<Regex, Error> {
    static CACHE: std::sync::OnceLock<std::sync::Mutex<HashMap<String, Regex>>> =
        std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(hit) = cache
        .lock()
        .ok()
        .and_then(|c| c.get(&policy.id_pattern).cloned())
    {
        return Ok(hit);
    }
    let re = Regex::new(&policy.id_pattern)
        .map_err(|e| Error::Usage(format!("board.id_pattern: {e}")))?;
    if let Ok(mut c) = cache.lock() {
        c.insert(policy.id_pattern.clone(), re.clone());
    }
    Ok(re)
}
