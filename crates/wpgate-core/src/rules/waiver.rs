//! Waivers: approved, expiring exceptions to rules.
//!
//! # The waiver file
//!
//! Waivers live in `layout.waivers` (default `docs/WAIVERS.toml`), one `[[waiver]]` table each:
//!
//! ```toml
//! [[waiver]]
//! id = "WVR-001"                      # unique id, shown on every waived finding
//! rule = "content.unwrap"             # a rule id, or a glob over rule ids: "content.*"
//! paths = ["src/legacy/**"]           # scope: path globs …
//! wps = ["WP-1-Storage-Foundation"]   # … and/or packet ids (globs allowed); at least one of the two
//! reason = "Legacy module, rewritten by WP-1-Storage-Foundation-v3"
//! approved_by = "ilja"
//! approved = 2025-12-25               # YYYY-MM-DD (a TOML date or a string)
//! expires = "phase:1"                 # a date (YYYY-MM-DD) or a phase boundary `phase:N`
//! ```
//!
//! A finding is waived when its rule matches `rule` and it lies in the scope: when `paths` is
//! given, its path matches one of the globs; when `wps` is given, its packet matches one of
//! them (both must hold when both are given). `paths = ["**"]` waives a rule everywhere.
//!
//! Keys are `id`, `rule`, `paths`, `wps`, `reason`, `approved_by`, `approved`, `expires`;
//! anything else, a missing required key, a bad date or a duplicate id is a `waiver.invalid`
//! diagnostic pointing at the line (the entry is then ignored). `expires` is required unless
//! the policy says `waivers.require_expiry = false`.
//!
//! A date expiry is inclusive: a waiver expiring `2026-03-01` still applies on that day.
//! A `phase:N` expiry lasts until phase N is closed (see [`apply_with`]); [`outliving_phase`]
//! lists the waivers that would survive the closure of a phase, for the phase gate.
//!
//! # Today's date
//!
//! [`Date::today`] reads the system clock (UTC); the environment variable
//! `WPGATE_TODAY=YYYY-MM-DD` overrides it (tests, reproducible CI runs).

use crate::model::waiver::{parse, phase_le, Date, Expiry, Waiver};

use crate::error::Error;
use crate::policy::Policy;
use crate::report::{Diagnostic, Report, Severity};
use crate::rules::{diag, Emitter, RuleInfo};
use crate::source::Workspace;

pub const RULES: &[RuleInfo] = &[
    RuleInfo {
        id: "waiver.invalid",
        default: Severity::Error,
        summary: "a waiver entry cannot be read (unknown key, missing field, bad date, duplicate id)",
        help: "Waivers are an audit trail: each needs id, rule, a scope (paths and/or wps), reason, \
               approved_by, approved (YYYY-MM-DD) and expires (YYYY-MM-DD or phase:N). Fix the \
               entry at the reported line; an invalid waiver waives nothing.",
        example: "[[waiver]]\nid = \"WVR-1\"\nrule = \"content.unwrap\"\npaths = [\"src/**\"]\napproved = \"25.12.2025\"   # not YYYY-MM-DD",
    },
    RuleInfo {
        id: "waiver.expired",
        default: Severity::Error,
        summary: "a waiver has expired and no longer applies",
        help: "Waivers expire at their date or phase boundary. Fix the findings it covered, or get \
               a new approval and record a new waiver (new id, new approval date).",
        example: "[[waiver]]\nid = \"WVR-1\"\n…\nexpires = \"2025-01-31\"   # in the past",
    },
    RuleInfo {
        id: "waiver.unused",
        default: Severity::Warning,
        summary: "a live waiver matched no finding in a full run",
        help: "A waiver that waives nothing is stale: the finding was fixed or the scope is wrong. \
               Remove it, or correct its rule/paths/wps.",
        example: "[[waiver]]\nid = \"WVR-1\"\nrule = \"content.unwrap\"\npaths = [\"src/gone/**\"]",
    },
];

/// Reads `layout.waivers` (absent file: no waivers), reporting `waiver.invalid` through `out`.
pub fn load(ws: &Workspace, out: &mut Emitter) -> Result<Vec<Waiver>, Error> {
    let path = ws.resolve(&ws.policy.layout.waivers);
    let Some(tf) = ws.text(&path)? else {
        return Ok(vec![]);
    };
    let (waivers, diags) = parse(&path, &tf.text, &ws.policy.waivers);
    if !diags.is_empty() {
        out.report.add_source(&path, tf.text.clone());
    }
    for d in diags {
        out.emit(d);
    }
    Ok(waivers)
}

/// Applies `waivers` to `report` with the registry's default severities and no phase closed.
/// See [`apply_with`].
pub fn apply(report: &mut Report, waivers: &[Waiver], today: Date) {
    apply_with(report, waivers, today, &[], &Policy::default());
}

/// Turns every live error/warning a live waiver matches into a note carrying the waiver id
/// (the message is prefixed `waived by ID:`), and reports each expired waiver as
/// `waiver.expired` (expired waivers do not apply). `closed_phases` are the phases already
/// closed (a `phase:N` waiver is expired once N is among them). Severities of the `waiver.*`
/// findings come from `policy`.
pub fn apply_with(
    report: &mut Report,
    waivers: &[Waiver],
    today: Date,
    closed_phases: &[&str],
    policy: &Policy,
) {
    let mut new = Vec::new();
    for w in waivers {
        if w.is_expired(today, closed_phases) {
            if let Some(sev) = policy.severity_of("waiver.expired") {
                let mut d = diag(
                    "waiver.expired",
                    format!(
                        "waiver `{}` (rule `{}`, approved by {} on {}) expired ({}); it no longer waives anything",
                        w.id,
                        w.rule,
                        w.approved_by,
                        w.approved,
                        w.expires.as_ref().map(|e| e.to_string()).unwrap_or_default()
                    ),
                )
                .at(&w.file, w.line, w.span);
                d.severity = sev;
                d.code = policy.code_of("waiver.expired").map(str::to_string);
                d.help = crate::rules::info("waiver.expired").map(|r| r.summary.to_string());
                new.push(d);
            }
            continue;
        }
        for d in report.diagnostics.iter_mut() {
            if d.severity == Severity::Note || d.waiver.is_some() || !waivable(d, policy) {
                continue;
            }
            if w.matches(d) {
                d.severity = Severity::Note;
                d.waiver = Some(w.id.clone());
                d.message = format!("waived by {}: {}", w.id, d.message);
            }
        }
    }
    report.diagnostics.extend(new);
}

/// Reports `waiver.unused` for every live waiver that waived nothing in `report`.
/// Meaningful only after a full run (every rule over the whole repository).
pub fn unused(report: &Report, waivers: &[Waiver], today: Date, out: &mut Emitter) {
    for w in waivers {
        if w.is_expired(today, &[]) {
            continue;
        }
        let used = report
            .diagnostics
            .iter()
            .any(|d| d.waiver.as_deref() == Some(w.id.as_str()));
        if !used {
            out.emit(
                diag(
                    "waiver.unused",
                    format!(
                        "waiver `{}` (rule `{}`) matched no finding; remove it or fix its scope",
                        w.id, w.rule
                    ),
                )
                .at(&w.file, w.line, w.span),
            );
        }
    }
}

/// Ids of the waivers that would outlive the closure of `phase`: those without an expiry,
/// with a date expiry, or expiring at a later phase (`phase:M`, M > N). A waiver expiring
/// at `phase:N` or earlier ends with the phase.
pub fn outliving_phase(waivers: &[Waiver], phase: &str) -> Vec<String> {
    waivers
        .iter()
        .filter(|w| match &w.expires {
            Some(Expiry::Phase(p)) => !phase_le(p, phase),
            _ => true,
        })
        .map(|w| w.id.clone())
        .collect()
}

/// Loads the waiver file of `ws` and applies it to `report` (the last step of every
/// reporting command). `full_run`: the report holds every repository-level finding, so a
/// live waiver that matched nothing is reported as `waiver.unused`.
pub fn apply_from(ws: &Workspace, report: &mut Report, full_run: bool) -> Result<(), Error> {
    let mut out = Emitter::new(ws.policy);
    let waivers = load(ws, &mut out)?;
    if waivers.is_empty() && out.report.diagnostics.is_empty() {
        return Ok(());
    }
    let today = Date::today()?;
    let closed: Vec<&str> = ws
        .policy
        .waivers
        .closed_phases
        .iter()
        .map(String::as_str)
        .collect();
    apply_with(report, &waivers, today, &closed, ws.policy);
    if full_run {
        unused(report, &waivers, today, &mut out);
    }
    report.extend(out.finish());
    Ok(())
}

/// Can a waiver waive this finding? Never the gate's own protection (`policy.changed`),
/// the waiver rules themselves, or a finding on a governance file (the policy, the waiver
/// file, a packet, the board, the signature audit, the packet template): what decides
/// what the gate lets through cannot be waived away.
pub fn waivable(d: &Diagnostic, policy: &Policy) -> bool {
    if d.rule == "policy.changed" || d.rule.starts_with("waiver.") {
        return false;
    }
    match d.path.as_deref() {
        Some(path) => !policy.is_governance_file(path),
        None => true,
    }
}
