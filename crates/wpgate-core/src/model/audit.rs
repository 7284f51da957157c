//! The signature audit (`docs/SIGNATURE_AUDIT.md`) as data: its rows, signature
//! timestamps, and recording a new signature. The signature rules are
//! `crate::rules::signature`.

use regex::Regex;

use super::table::{markdown_tables, plain};
use crate::report::Span;

/// `(year, month, day, hour, minute)` of a `{username}{DDMMYYYYHHMM}` signature.
pub fn timestamp_of(sig: &str) -> Option<(u32, u32, u32, u32, u32)> {
    let n = sig.len();
    let d = sig.get(n.checked_sub(12)?..)?;
    if !d.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let v = |r: std::ops::Range<usize>| d[r].parse::<u32>().ok();
    Some((v(4..8)?, v(2..4)?, v(0..2)?, v(8..10)?, v(10..12)?))
}

/// `(year, month, day, hour, minute)` of an audit Date/Time cell (`YYYY-MM-DD HH:MM`).
pub fn audit_time(cell: &str) -> Option<(u32, u32, u32, u32, u32)> {
    static RE: std::sync::OnceLock<Option<Regex>> = std::sync::OnceLock::new();
    let re = RE
        .get_or_init(|| Regex::new(r"^\s*(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})").ok())
        .as_ref()?;
    let c = re.captures(cell)?;
    let g = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
    Some((g(1)?, g(2)?, g(3)?, g(4)?, g(5)?))
}

/// One row of the audit table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub signature: String,
    pub used_by: Option<String>,
    pub date_time: Option<String>,
    pub purpose: Option<String>,
    /// The whole row (all cells), for matching packet ids.
    pub text: String,
    pub line: usize,
    /// Span of the signature cell.
    pub span: Span,
}

/// Rows of every table of the audit file that has a `Signature` column.
pub fn parse_audit(text: &str) -> Vec<AuditRow> {
    let mut out = Vec::new();
    for t in markdown_tables(text) {
        let Some(sc) = t.column(&["Signature", "User Signature", "Signatures"]) else {
            continue;
        };
        let used = t.column(&["Used By", "User", "By"]);
        let dt = t.column(&["Date/Time", "Date", "Timestamp", "DateTime"]);
        let purpose = t.column(&["Purpose", "Use", "Used For"]);
        for r in &t.rows {
            let Some(cell) = r.cells.get(sc) else {
                continue;
            };
            let sig = plain(&cell.text);
            if sig.is_empty() {
                continue;
            }
            let get = |c: Option<usize>| {
                c.and_then(|i| r.cells.get(i))
                    .map(|c| plain(&c.text))
                    .filter(|s| !s.is_empty())
            };
            out.push(AuditRow {
                signature: sig,
                used_by: get(used),
                date_time: get(dt),
                purpose: get(purpose),
                text: r
                    .cells
                    .iter()
                    .map(|c| c.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" | "),
                line: r.line,
                span: cell.span,
            });
        }
    }
    out
}

/// The audit text with a row recording `sig` for locking `wp` appended to the first table
/// that has a Signature column (`None` when there is no such table). Used by
/// `wpgate packet lock` so the lock and its audit record are made together.
pub fn record_in_audit(text: &str, sig: &str, wp: &str, spec: Option<&str>) -> Option<String> {
    let table = markdown_tables(text).into_iter().find(|t| {
        t.column(&["Signature", "User Signature", "Signatures"])
            .is_some()
    })?;
    let sc = table.column(&["Signature", "User Signature", "Signatures"])?;
    let when = timestamp_of(sig)
        .map(|(y, mo, d, h, mi)| format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}"))
        .unwrap_or_default();
    let cells: Vec<String> = (0..table.header.len())
        .map(|i| {
            if i == sc {
                return sig.to_string();
            }
            let h: String = table.header[i]
                .chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect();
            match h.as_str() {
                "usedby" | "user" | "by" => "Orchestrator".to_string(),
                "datetime" | "date" | "timestamp" => when.clone(),
                "purpose" | "use" | "usedfor" => format!("Task packet lock: {wp}"),
                "masterspecversion" | "specversion" => spec.unwrap_or("").to_string(),
                "notes" => "recorded by `wpgate packet lock`".to_string(),
                _ => String::new(),
            }
        })
        .collect();
    let row = format!("| {} |", cells.join(" | "));
    // After the last row (or the delimiter row when the table is empty).
    let last_line = table.rows.last().map(|r| r.line).unwrap_or(table.line + 1);
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut out = String::with_capacity(text.len() + row.len() + 2);
    let mut inserted = false;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        out.push_str(line);
        if i + 1 == last_line {
            if !line.ends_with('\n') {
                out.push_str(nl);
            }
            out.push_str(&row);
            out.push_str(nl);
            inserted = true;
        }
    }
    if !inserted {
        return None;
    }
    Some(out)
}
