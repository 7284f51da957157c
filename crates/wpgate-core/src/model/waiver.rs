//! Waivers as data: the waiver file, dates and expiries, and which findings a waiver
//! covers. Applying them, and the waiver rules, are `crate::rules::waiver`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::error::Error;
use crate::policy::WaiverPolicy;
use crate::report::{line_of, Diagnostic, Severity, Span};

/// A `waiver.invalid` finding (the emitter sets its severity).
fn diag(rule: &str, message: impl Into<String>) -> Diagnostic {
    Diagnostic::new(rule, Severity::Error, message)
}

// ---------------------------------------------------------------------------------------------
// Dates

/// A calendar date (proleptic Gregorian). Ordered chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

/// Days in `month` of `year` (0 for an invalid month).
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 => {
            if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 {
                29
            } else {
                28
            }
        }
        _ => 0,
    }
}

impl Date {
    /// A valid date, or `None`.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        if day >= 1 && day <= days_in_month(year, month) {
            Some(Date { year, month, day })
        } else {
            None
        }
    }

    /// Parses `YYYY-MM-DD` (exactly).
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = s.get(r)?;
            if part.bytes().all(|c| c.is_ascii_digit()) {
                part.parse().ok()
            } else {
                None
            }
        };
        Date::new(num(0..4)? as i32, num(5..7)?, num(8..10)?)
    }

    /// The date `days` days after 1970-01-01 (negative: before).
    /// Days since 1970-01-01 (inverse of [`Date::from_days`]).
    pub fn days_since_epoch(&self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    pub fn from_days(days: i64) -> Date {
        // civil_from_days (H. Hinnant).
        let z = days + 719_468;
        let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let y = if m <= 2 { y + 1 } else { y };
        Date {
            year: y as i32,
            month: m,
            day: d,
        }
    }

    /// Today (UTC), or `WPGATE_TODAY` when set. A malformed `WPGATE_TODAY` is an error.
    pub fn today() -> Result<Date, Error> {
        if let Ok(v) = std::env::var("WPGATE_TODAY") {
            let v = v.trim();
            if !v.is_empty() {
                return Date::parse(v).ok_or_else(|| {
                    Error::Usage(format!("WPGATE_TODAY=`{v}` is not a date (YYYY-MM-DD)"))
                });
            }
        }
        let secs = match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => d.as_secs() as i64,
            Err(e) => -(e.duration().as_secs() as i64),
        };
        Ok(Date::from_days(secs.div_euclid(86_400)))
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

// ---------------------------------------------------------------------------------------------
// Waivers

/// When a waiver stops applying.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Expiry {
    /// Applies through this day (inclusive).
    Date(Date),
    /// Applies until this phase is closed (`phase:1` → `"1"`).
    Phase(String),
}

impl std::fmt::Display for Expiry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expiry::Date(d) => write!(f, "{d}"),
            Expiry::Phase(p) => write!(f, "phase:{p}"),
        }
    }
}

/// One waiver of the waiver file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Waiver {
    pub id: String,
    /// A rule id or a glob over rule ids.
    pub rule: String,
    pub paths: Vec<String>,
    pub wps: Vec<String>,
    pub reason: String,
    pub approved_by: String,
    pub approved: Date,
    pub expires: Option<Expiry>,
    /// The waiver file and the line of the `[[waiver]]` entry.
    pub file: String,
    pub line: usize,
    #[serde(skip)]
    pub span: Span,
}

const KEYS: &[&str] = &[
    "id",
    "rule",
    "paths",
    "wps",
    "reason",
    "approved_by",
    "approved",
    "expires",
];

#[derive(Deserialize)]
struct RawFile {
    #[serde(default)]
    waiver: Vec<Spanned<BTreeMap<Spanned<String>, Spanned<toml::Value>>>>,
}

/// Parses a waiver file. Never fails: problems are `waiver.invalid` diagnostics (not yet
/// routed through an `Emitter`; see `crate::rules::waiver::load`) and invalid entries are left out.
pub fn parse(file: &str, text: &str, policy: &WaiverPolicy) -> (Vec<Waiver>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut out: Vec<Waiver> = Vec::new();
    let invalid = |span: std::ops::Range<usize>, msg: String| {
        let line = line_of(text, span.start);
        diag("waiver.invalid", msg).at(file, line, Span::new(span.start, span.end))
    };
    // Top-level keys: only `waiver`.
    match toml::from_str::<BTreeMap<Spanned<String>, toml::Value>>(text) {
        Ok(top) => {
            for k in top.keys() {
                if k.get_ref() != "waiver" {
                    diags.push(invalid(
                        k.span(),
                        format!(
                            "unknown top-level key `{}` in the waiver file (expected [[waiver]] entries)",
                            k.get_ref()
                        ),
                    ));
                }
            }
        }
        Err(e) => {
            diags.push(invalid(
                e.span().unwrap_or(0..0),
                format!("the waiver file is not valid TOML: {}", e.message()),
            ));
            return (out, diags);
        }
    }
    let raw: RawFile = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            diags.push(invalid(
                e.span().unwrap_or(0..0),
                format!(
                    "`waiver` must be an array of tables ([[waiver]]): {}",
                    e.message()
                ),
            ));
            return (out, diags);
        }
    };
    for entry in raw.waiver {
        let espan = entry.span();
        let table = entry.into_inner();
        let mut problems: Vec<(std::ops::Range<usize>, String)> = Vec::new();
        let get_str = |key: &str,
                       required: bool,
                       problems: &mut Vec<_>|
         -> Option<(String, std::ops::Range<usize>)> {
            match table.iter().find(|(k, _)| k.get_ref() == key) {
                None => {
                    if required {
                        problems.push((espan.clone(), format!("waiver is missing `{key}`")));
                    }
                    None
                }
                Some((_, v)) => match v.get_ref() {
                    toml::Value::String(s) if !s.trim().is_empty() => {
                        Some((s.trim().to_string(), v.span()))
                    }
                    toml::Value::Datetime(dt) => Some((dt.to_string(), v.span())),
                    _ => {
                        problems.push((v.span(), format!("`{key}` must be a non-empty string")));
                        None
                    }
                },
            }
        };
        for k in table.keys() {
            if !KEYS.contains(&k.get_ref().as_str()) {
                problems.push((
                    k.span(),
                    format!(
                        "unknown key `{}` in waiver (expected one of: {})",
                        k.get_ref(),
                        KEYS.join(", ")
                    ),
                ));
            }
        }
        let id = get_str("id", true, &mut problems);
        let rule = get_str("rule", true, &mut problems);
        let reason = get_str("reason", true, &mut problems);
        let approved_by = get_str("approved_by", true, &mut problems);
        let approved = get_str("approved", true, &mut problems);
        let expires = get_str("expires", policy.require_expiry, &mut problems);
        let list = |key: &str, problems: &mut Vec<_>| -> Vec<String> {
            match table.iter().find(|(k, _)| k.get_ref() == key) {
                None => vec![],
                Some((_, v)) => match v.get_ref() {
                    toml::Value::String(s) => vec![s.clone()],
                    toml::Value::Array(a) if a.iter().all(|x| x.is_str()) => a
                        .iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect(),
                    _ => {
                        problems.push((v.span(), format!("`{key}` must be a list of strings")));
                        vec![]
                    }
                },
            }
        };
        let paths = list("paths", &mut problems);
        let wps = list("wps", &mut problems);
        if paths.is_empty() && wps.is_empty() {
            problems.push((
                espan.clone(),
                "waiver has no scope: give `paths` (globs) and/or `wps` (packet ids); `paths = [\"**\"]` waives everywhere".into(),
            ));
        }
        for g in paths.iter().chain(wps.iter()) {
            if let Err(e) = globset::Glob::new(g) {
                problems.push((espan.clone(), format!("invalid glob `{g}` in scope: {e}")));
            }
        }
        if let Some((r, span)) = &rule {
            if let Err(e) = globset::Glob::new(r) {
                problems.push((span.clone(), format!("invalid rule pattern `{r}`: {e}")));
            }
        }
        let approved_date = approved
            .as_ref()
            .and_then(|(s, span)| match Date::parse(s) {
                Some(d) => Some(d),
                None => {
                    problems.push((
                        span.clone(),
                        format!("`approved` = `{s}` is not a date (YYYY-MM-DD)"),
                    ));
                    None
                }
            });
        let expiry = match &expires {
            None => None,
            Some((s, span)) => match parse_expiry(s) {
                Some(e) => Some(e),
                None => {
                    problems.push((
                        span.clone(),
                        format!("`expires` = `{s}` is neither a date (YYYY-MM-DD) nor `phase:N`"),
                    ));
                    None
                }
            },
        };
        if let Some((idv, span)) = &id {
            if out.iter().any(|w| &w.id == idv) {
                problems.push((span.clone(), format!("duplicate waiver id `{idv}`")));
            }
        }
        if !problems.is_empty() {
            for (span, msg) in problems {
                let msg = match &id {
                    Some((i, _)) => format!("waiver `{i}`: {msg}"),
                    None => msg,
                };
                diags.push(invalid(span, msg));
            }
            continue;
        }
        let (
            Some((id, _)),
            Some((rule, _)),
            Some((reason, _)),
            Some((approved_by, _)),
            Some(approved),
        ) = (id, rule, reason, approved_by, approved_date)
        else {
            continue;
        };
        out.push(Waiver {
            id,
            rule,
            paths,
            wps,
            reason,
            approved_by,
            approved,
            expires: expiry,
            file: file.to_string(),
            line: line_of(text, espan.start),
            span: Span::new(espan.start, espan.end),
        });
    }
    (out, diags)
}

fn parse_expiry(s: &str) -> Option<Expiry> {
    let s = s.trim();
    if let Some(p) = s.strip_prefix("phase:") {
        let p = p.trim();
        if !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            return Some(Expiry::Phase(p.to_string()));
        }
        return None;
    }
    Date::parse(s).map(Expiry::Date)
}

/// Compares phase names: numerically when both are numbers (`1` < `2` < `10`), else textually.
pub fn phase_le(a: &str, b: &str) -> bool {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x <= y,
        _ => a == b,
    }
}

impl Waiver {
    /// Is the waiver expired on `today`, given the phases already closed?
    pub fn is_expired(&self, today: Date, closed_phases: &[&str]) -> bool {
        match &self.expires {
            None => false,
            Some(Expiry::Date(d)) => today > *d,
            Some(Expiry::Phase(p)) => closed_phases.iter().any(|c| c == p),
        }
    }

    fn rule_matches(&self, rule: &str) -> bool {
        glob_match(&self.rule, rule)
    }

    /// Does this waiver cover `d` (rule and scope; expiry is not considered)?
    pub fn matches(&self, d: &Diagnostic) -> bool {
        if d.rule.starts_with("waiver.") || !self.rule_matches(&d.rule) {
            return false;
        }
        if !self.paths.is_empty() {
            let Some(p) = d.path.as_deref() else {
                return false;
            };
            if !self.paths.iter().any(|g| glob_match(g, p)) {
                return false;
            }
        }
        if !self.wps.is_empty() {
            let Some(wp) = d.wp.as_deref() else {
                return false;
            };
            if !self.wps.iter().any(|g| glob_match(g, wp)) {
                return false;
            }
        }
        true
    }
}

fn glob_match(pattern: &str, s: &str) -> bool {
    if pattern == s {
        return true;
    }
    match globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
    {
        Ok(g) => g.compile_matcher().is_match(s),
        Err(_) => false,
    }
}

/// Today as `YYYY-MM-DD` (UTC, or `WPGATE_TODAY`); the Unix epoch day if the clock is unusable.
pub fn today_string() -> String {
    Date::today()
        .unwrap_or_else(|_| Date::from_days(0))
        .to_string()
}

/// Seconds since the Unix epoch (for `board.stalled`); honours `WPGATE_TODAY` (midnight UTC).
pub fn now_unix() -> i64 {
    if let Ok(d) = Date::today() {
        if std::env::var_os("WPGATE_TODAY").is_some() {
            return d.days_since_epoch() * 86_400;
        }
    }
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(_) => 0,
    }
}
