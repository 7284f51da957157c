//! User signatures: format, one-time use, and the audit trail.
//!
//! A signature is `{username}{DDMMYYYYHHMM}` (policy `signatures.pattern`); its 12 digits must
//! also be a real date and time when `signatures.check_timestamp` is on. Each signature is used
//! once: by one packet lock (plus that packet's own row in the audit file), or by one audit row
//! (spec enrichment and the like); a packet whose signature's single audit row does not name
//! the packet records another use (`signature.reused`). A malformed packet signature is
//! reported only as `signature.format`. The audit file (`layout.signature_audit`, default
//! `docs/SIGNATURE_AUDIT.md`) is read from its Markdown table with a `Signature` column
//! (`Used By`, `Date/Time`, `Purpose` columns are kept when present).

use crate::model::audit::{audit_time, parse_audit, timestamp_of, AuditRow};
use crate::policy::SignaturePolicy;

use std::collections::BTreeMap;

use regex::Regex;

use crate::error::Error;
use crate::model::packet::Packet;
use crate::report::{Severity, Span};
use crate::rules::{diag, Emitter, RuleInfo};
use crate::source::Workspace;

pub const RULES: &[RuleInfo] = &[
    RuleInfo {
        id: "signature.format",
        default: Severity::Error,
        summary:
            "A signature does not have the form {username}{DDMMYYYYHHMM} with a valid date and time",
        help:
            "A signature is the user's name followed by the day, month, year, hour and minute of \
               approval (ilja251220250328 = ilja, 25.12.2025 03:28). Ask the user for a correctly \
               formed signature; do not invent one.",
        example: "**User Signature Locked:** ilja251225032800   # 25.12.2503 28:00",
    },
    RuleInfo {
        id: "signature.reused",
        default: Severity::Error,
        summary: "a signature is used more than once (two packets, or several audit rows)",
        help:
            "Each signature authorises exactly one act. Ask the user for a new signature for the \
               second use and record it in the signature audit.",
        example: "WP-1-A.md and WP-1-B.md both locked with ilja251220250328",
    },
    RuleInfo {
        id: "signature.unrecorded",
        default: Severity::Warning,
        summary: "a packet's signature is missing from the signature audit file",
        help: "Record every consumed signature in docs/SIGNATURE_AUDIT.md (signature, used by, \
               date/time, purpose) so the audit trail is complete.",
        example: "WP-1-A.md locked with ilja251220250328; no row for it in docs/SIGNATURE_AUDIT.md",
    },
    RuleInfo {
        id: "signature.audit-mismatch",
        default: Severity::Warning,
        summary: "an audit row's Date/Time disagrees with the timestamp inside its signature",
        help: "The 12 digits of a signature are its DDMMYYYYHHMM timestamp; the audit row's \
               Date/Time column (YYYY-MM-DD HH:MM) should record the same moment. Correct the \
               row, or check whether the signature was typed wrongly.",
        example:
            "| ilja251220250037 | Orchestrator | 2025-12-26 00:37 | … |   # digits say 25.12.2025",
    },
];

/// Checks that the last 12 digits of `sig` are a valid `DDMMYYYYHHMM`; returns a reason when not.
pub fn timestamp_problem(sig: &str) -> Option<String> {
    let digits: String = sig
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    let digits: String = digits.chars().rev().collect();
    if digits.len() < 12 {
        return Some(format!(
            "ends in {} digit(s), not the 12 of DDMMYYYYHHMM",
            digits.len()
        ));
    }
    let d = &digits[digits.len() - 12..];
    let n = |r: std::ops::Range<usize>| d[r].parse::<u32>().unwrap_or(u32::MAX);
    let (day, month, year, hour, minute) = (n(0..2), n(2..4), n(4..8), n(8..10), n(10..12));
    if digits.len() > 12 {
        return Some(format!(
            "ends in {} digits; DDMMYYYYHHMM has 12",
            digits.len()
        ));
    }
    if crate::model::waiver::Date::new(year as i32, month, day).is_none() {
        return Some(format!(
            "`{d}` read as DDMMYYYYHHMM gives day {day:02}, month {month:02}, year {year:04}: not a date"
        ));
    }
    if !(1970..=2100).contains(&year) {
        return Some(format!("`{d}` gives the year {year}, which is implausible"));
    }
    if hour > 23 || minute > 59 {
        return Some(format!(
            "`{d}` gives the time {hour:02}:{minute:02}, which is not a time of day"
        ));
    }
    None
}

/// Why `sig` is malformed under `policy`, or `None` when it is well formed.
pub fn format_problem(sig: &str, policy: &SignaturePolicy) -> Result<Option<String>, Error> {
    Ok(problem_with(sig, &compile(policy)?, policy))
}

fn compile(policy: &SignaturePolicy) -> Result<Regex, Error> {
    Regex::new(&policy.pattern)
        .map_err(|e| Error::Usage(format!("signatures.pattern is not a usable regex: {e}")))
}

fn problem_with(sig: &str, re: &Regex, policy: &SignaturePolicy) -> Option<String> {
    if !re.is_match(sig) {
        return Some(format!(
            "does not match the signature pattern `{}` ({{username}}{{DDMMYYYYHHMM}})",
            policy.pattern
        ));
    }
    if policy.check_timestamp {
        return timestamp_problem(sig);
    }
    None
}

struct Use {
    path: String,
    line: usize,
    span: Span,
    wp: Option<String>,
}

/// Repository-level check of packet signatures and the audit file.
pub fn check(ws: &Workspace, out: &mut Emitter) -> Result<(), Error> {
    let audit_path = ws.resolve(&ws.policy.layout.signature_audit);
    let audit = ws.text(&audit_path)?;
    check_packets(
        ws.packets()?,
        audit.as_ref().map(|tf| (audit_path.as_str(), &*tf.text)),
        &ws.policy.signatures,
        out,
    )
}

/// The check over parsed packets and the audit file (`(path, text)`, `None` when absent).
pub fn check_packets(
    packets: &[Packet],
    audit_file: Option<(&str, &str)>,
    policy: &SignaturePolicy,
    out: &mut Emitter,
) -> Result<(), Error> {
    let audit_path = audit_file.map(|(p, _)| p.to_string()).unwrap_or_default();
    let audit = audit_file.map(|(_, t)| parse_audit(t));
    let re = compile(policy)?;

    // Packet uses, by signature.
    let mut packet_uses: BTreeMap<String, Vec<Use>> = BTreeMap::new();
    for p in packets {
        let Some(lock) = &p.lock else { continue };
        if !lock.real {
            continue;
        }
        let sig = lock.signature.value.trim().to_string();
        if let Some(why) = problem_with(&sig, &re, policy) {
            out.emit(
                diag(
                    "signature.format",
                    format!("signature `{sig}` of {} {why}", p.id),
                )
                .at(&p.path, lock.signature.line, lock.signature.span)
                .with_wp(&p.id),
            );
            // A malformed signature is reported once, as such (not also reused/unrecorded).
            continue;
        }
        packet_uses.entry(sig).or_default().push(Use {
            path: p.path.clone(),
            line: lock.signature.line,
            span: lock.signature.span,
            wp: Some(p.id.clone()),
        });
    }

    let mut audit_uses: BTreeMap<String, Vec<&AuditRow>> = BTreeMap::new();
    if let Some(rows) = &audit {
        for r in rows {
            if let Some(why) = problem_with(&r.signature, &re, policy) {
                out.emit(
                    diag(
                        "signature.format",
                        format!("audit entry `{}` {why}", r.signature),
                    )
                    .at(&audit_path, r.line, r.span),
                );
            }
            if let (Some(sig_t), Some(cell_t)) = (
                timestamp_of(&r.signature),
                r.date_time.as_deref().and_then(audit_time),
            ) {
                if sig_t != cell_t {
                    let (y, mo, d, h, mi) = sig_t;
                    out.emit(
                        diag(
                            "signature.audit-mismatch",
                            format!(
                                "audit entry `{}` records {} but its digits say {y:04}-{mo:02}-{d:02} {h:02}:{mi:02}",
                                r.signature,
                                r.date_time.as_deref().unwrap_or("")
                            ),
                        )
                        .at(&audit_path, r.line, r.span),
                    );
                }
            }
            audit_uses.entry(r.signature.clone()).or_default().push(r);
        }
    }

    // Two packets with one signature: every packet after the first is a reuse.
    for (sig, uses) in &packet_uses {
        if uses.len() > 1 {
            let first = &uses[0];
            for u in &uses[1..] {
                out.emit(
                    diag(
                        "signature.reused",
                        format!(
                            "signature `{sig}` is already used by {} ({}:{})",
                            first.wp.as_deref().unwrap_or("another packet"),
                            first.path,
                            first.line
                        ),
                    )
                    .at(&u.path, u.line, u.span)
                    .with_opt_wp(u.wp.as_deref()),
                );
            }
        }
    }
    // Several audit rows with one signature.
    for (sig, rows) in &audit_uses {
        if rows.len() > 1 {
            for r in &rows[1..] {
                out.emit(
                    diag(
                        "signature.reused",
                        format!(
                            "signature `{sig}` is recorded again (first at {audit_path}:{})",
                            rows[0].line
                        ),
                    )
                    .at(&audit_path, r.line, r.span),
                );
            }
        }
    }
    // A packet whose signature's single audit row records a different use.
    for (sig, uses) in &packet_uses {
        let Some(rows) = audit_uses.get(sig) else {
            if audit.is_some() {
                for u in uses {
                    out.emit(
                        diag(
                            "signature.unrecorded",
                            format!(
                                "signature `{sig}` of {} is not recorded in {audit_path}",
                                u.wp.as_deref().unwrap_or(&u.path)
                            ),
                        )
                        .at(&u.path, u.line, u.span)
                        .with_opt_wp(u.wp.as_deref()),
                    );
                }
            }
            continue;
        };
        if rows.len() != 1 || uses.len() != 1 {
            continue; // already reported above
        }
        let (u, r) = (&uses[0], rows[0]);
        let Some(wp) = u.wp.as_deref() else { continue };
        if !r.text.to_lowercase().contains(&wp.to_lowercase()) {
            out.emit(
                diag(
                    "signature.reused",
                    format!(
                        "signature `{sig}` locks {wp}, but its audit entry ({audit_path}:{}) records another use: {}",
                        r.line,
                        r.purpose.as_deref().unwrap_or(&r.text)
                    ),
                )
                .at(&u.path, u.line, u.span)
                .with_wp(wp),
            );
        }
    }
    Ok(())
}

/// Where `sig` is already used: a packet lock, a packet text, or the audit file
/// (`"docs/task_packets/WP-1-A.md:88"`), or `None` when it is unused. For `wpgate packet lock`.
pub fn is_used(sig: &str, ws: &Workspace) -> Result<Option<String>, Error> {
    let sig = sig.trim();
    if sig.is_empty() {
        return Ok(None);
    }
    for p in ws.packets()? {
        if let Some(lock) = &p.lock {
            if lock.real && lock.signature.value.trim() == sig {
                return Ok(Some(format!("{}:{}", p.path, lock.signature.line)));
            }
        }
    }
    for path in ws.packet_paths()? {
        let Some(tf) = ws.text(&path)? else { continue };
        if let Some(line) = find_word(&tf.text, sig) {
            return Ok(Some(format!("{path}:{line}")));
        }
    }
    let audit_path = &ws.resolve(&ws.policy.layout.signature_audit);
    if let Some(tf) = ws.text(audit_path)? {
        if let Some(r) = parse_audit(&tf.text).iter().find(|r| r.signature == sig) {
            return Ok(Some(format!("{audit_path}:{}", r.line)));
        }
        if let Some(line) = find_word(&tf.text, sig) {
            return Ok(Some(format!("{audit_path}:{line}")));
        }
    }
    Ok(None)
}

/// Line of the first occurrence of `word` not embedded in a longer alphanumeric token.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = text[from..].find(word) {
        let s = from + i;
        let e = s + word.len();
        let before = text[..s].chars().next_back();
        let after = text[e..].chars().next();
        let boundary = |c: Option<char>| c.map(|c| !c.is_alphanumeric()).unwrap_or(true);
        if boundary(before) && boundary(after) {
            return Some(crate::report::line_of(text, s));
        }
        from = e;
    }
    None
}
