//! Waivers: file format, application, expiry, unused waivers, phase boundaries, dates.

use std::path::Path;

use wpgate_core::model::waiver::{parse, Date, Expiry};
use wpgate_core::policy::Policy;
use wpgate_core::policy::WaiverPolicy;
use wpgate_core::report::{Diagnostic, Report, Severity};
use wpgate_core::rules::waiver::{self, apply, apply_with, outliving_phase, unused};
use wpgate_core::rules::Emitter;
use wpgate_core::source::{WorkTree, Workspace};

const FILE: &str = "docs/WAIVERS.toml";

fn fixture_text() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/gov2/waivers/WAIVERS.toml"),
    )
    .expect("fixture")
}

fn d(y: i32, m: u32, day: u32) -> Date {
    Date::new(y, m, day).expect("valid date")
}

fn finding(rule: &str, path: &str, wp: Option<&str>, sev: Severity) -> Diagnostic {
    let mut x = Diagnostic::new(rule, sev, "finding")
        .with_path(path)
        .with_line(3);
    x.wp = wp.map(str::to_string);
    x
}

#[test]
fn parses_the_documented_format() {
    let (ws, diags) = parse(FILE, &fixture_text(), &WaiverPolicy::default());
    assert!(diags.is_empty(), "{diags:#?}");
    let ids: Vec<&str> = ws.iter().map(|w| w.id.as_str()).collect();
    assert_eq!(ids, vec!["WVR-001", "WVR-002", "WVR-003", "WVR-004"]);
    let w = &ws[0];
    assert_eq!(w.rule, "content.unwrap");
    assert_eq!(w.paths, vec!["src/legacy/**".to_string()]);
    assert_eq!(w.approved, d(2025, 12, 25));
    assert_eq!(w.expires, Some(Expiry::Phase("1".into())));
    assert_eq!(w.line, 3, "the `[[waiver]]` header line");
    assert_eq!(ws[1].expires, Some(Expiry::Date(d(2026, 3, 1))));
    assert_eq!(ws[1].line, 12);
    assert_eq!(ws[3].line, 30);
    assert_eq!(ws[1].wps, vec!["WP-1-Storage-*".to_string()]);
}

#[test]
fn invalid_entries_are_diagnostics_at_their_lines() {
    let text = r#"
[[waiver]]
id = "W-1"
rule = "content.unwrap"
paths = ["src/**"]
reason = "legacy"
approved_by = "ilja"
approved = "25.12.2025"
expires = "phase:1"
colour = "red"

[[waiver]]
id = "W-2"
rule = "oss.*"
reason = "no scope"
approved_by = "ilja"
approved = 2025-12-25
expires = "soon"

[[waiver]]
id = "W-3"
rule = "content.todo-comment"
wps = ["WP-1-A"]
reason = "fine"
approved_by = "ilja"
approved = "2025-02-30"

[[waiver]]
id = "W-4"
rule = "content.todo-comment"
wps = ["WP-1-A"]
reason = "good one"
approved_by = "ilja"
approved = "2025-02-28"
expires = "2025-06-30"

[[waiver]]
id = "W-4"
rule = "content.unwrap"
wps = ["WP-1-B"]
reason = "duplicate id"
approved_by = "ilja"
approved = "2025-02-28"
expires = "2025-06-30"
"#;
    let (ws, diags) = parse(FILE, text, &WaiverPolicy::default());
    assert_eq!(ws.len(), 1, "only the good W-4 survives");
    assert_eq!(ws[0].id, "W-4");
    assert!(diags.iter().all(|x| x.rule == "waiver.invalid"));
    let at = |needle: &str| -> usize { text.lines().position(|l| l.contains(needle)).unwrap() + 1 };
    let lines: Vec<(usize, &str)> = diags
        .iter()
        .map(|x| (x.line.unwrap_or(0), x.message.as_str()))
        .collect();
    let has = |line: usize, frag: &str| lines.iter().any(|(l, m)| *l == line && m.contains(frag));
    assert!(has(at("25.12.2025"), "not a date"), "{lines:#?}");
    assert!(has(at("colour"), "unknown key `colour`"), "{lines:#?}");
    assert!(has(at("\"soon\""), "neither a date"), "{lines:#?}");
    assert!(lines
        .iter()
        .any(|(_, m)| m.contains("W-2") && m.contains("no scope")));
    assert!(has(at("2025-02-30"), "not a date"), "{lines:#?}");
    assert!(lines
        .iter()
        .any(|(_, m)| m.contains("W-3") && m.contains("missing `expires`")));
    assert!(lines
        .iter()
        .any(|(_, m)| m.contains("duplicate waiver id `W-4`")));

    // Without require_expiry, a waiver without `expires` is fine (if otherwise valid).
    let (ws, diags) = parse(
        FILE,
        "[[waiver]]\nid = \"A\"\nrule = \"x.y\"\npaths = [\"**\"]\nreason = \"r\"\napproved_by = \"u\"\napproved = \"2025-01-01\"\n",
        &WaiverPolicy {
            require_expiry: false,
            ..Default::default()
        },
    );
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(ws[0].expires, None);
}

#[test]
fn broken_toml_and_unknown_top_level_keys() {
    let (ws, diags) = parse(FILE, "[[waiver]]\nid = \"A\n", &WaiverPolicy::default());
    assert!(ws.is_empty());
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].line, Some(2));

    let (_, diags) = parse(FILE, "\n\nwaivers = []\n", &WaiverPolicy::default());
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].line, Some(3));
    assert!(diags[0].message.contains("unknown top-level key `waivers`"));
}

#[test]
fn apply_turns_matching_findings_into_notes() {
    let (ws, _) = parse(FILE, &fixture_text(), &WaiverPolicy::default());
    let mut r = Report::new();
    r.push(finding(
        "content.unwrap",
        "src/legacy/db.rs",
        None,
        Severity::Error,
    )); // WVR-001
    r.push(finding(
        "content.unwrap",
        "src/new/db.rs",
        None,
        Severity::Error,
    )); // not in scope
    r.push(finding(
        "content.todo-comment",
        "src/a.rs",
        Some("WP-1-Storage-Foundation"),
        Severity::Warning,
    )); // WVR-002 (glob over WP ids + rule glob content.*)
    r.push(finding(
        "content.todo-comment",
        "src/a.rs",
        Some("WP-2-Other"),
        Severity::Warning,
    ));
    r.push(finding(
        "oss.unregistered-dependency",
        "Cargo.toml",
        None,
        Severity::Error,
    )); // WVR-003 expired
    apply(&mut r, &ws, d(2026, 1, 15));
    let sev: Vec<(Severity, Option<&str>)> = r
        .diagnostics
        .iter()
        .map(|x| (x.severity, x.waiver.as_deref()))
        .collect();
    assert_eq!(sev[0], (Severity::Note, Some("WVR-001")));
    assert!(r.diagnostics[0].message.starts_with("waived by WVR-001"));
    assert_eq!(sev[1], (Severity::Error, None));
    assert_eq!(sev[2], (Severity::Note, Some("WVR-002")));
    assert_eq!(sev[3], (Severity::Warning, None));
    assert_eq!(
        sev[4],
        (Severity::Error, None),
        "expired waivers do not apply"
    );
    let expired: Vec<&Diagnostic> = r
        .diagnostics
        .iter()
        .filter(|x| x.rule == "waiver.expired")
        .collect();
    assert_eq!(expired.len(), 1);
    assert!(expired[0].message.contains("WVR-003"));
    assert_eq!(expired[0].severity, Severity::Error);
    assert_eq!(expired[0].path.as_deref(), Some(FILE));
}

#[test]
fn date_expiry_is_inclusive_and_phase_expiry_follows_closed_phases() {
    let (ws, _) = parse(FILE, &fixture_text(), &WaiverPolicy::default());
    let w2 = ws.iter().find(|w| w.id == "WVR-002").unwrap();
    assert!(!w2.is_expired(d(2026, 3, 1), &[]));
    assert!(w2.is_expired(d(2026, 3, 2), &[]));
    let w1 = ws.iter().find(|w| w.id == "WVR-001").unwrap();
    assert!(!w1.is_expired(d(2030, 1, 1), &[]));
    assert!(w1.is_expired(d(2026, 1, 1), &["1"]));

    let mut r = Report::new();
    r.push(finding(
        "content.unwrap",
        "src/legacy/db.rs",
        None,
        Severity::Error,
    ));
    apply_with(&mut r, &ws, d(2026, 1, 1), &["1"], &Policy::default());
    assert_eq!(r.diagnostics[0].severity, Severity::Error);
    assert!(r
        .diagnostics
        .iter()
        .any(|x| x.rule == "waiver.expired" && x.message.contains("WVR-001")));
}

#[test]
fn unused_waivers_are_reported_after_a_full_run() {
    let (ws, _) = parse(FILE, &fixture_text(), &WaiverPolicy::default());
    let policy = Policy::default();
    let mut r = Report::new();
    r.push(finding(
        "content.unwrap",
        "src/legacy/db.rs",
        None,
        Severity::Error,
    ));
    let today = d(2026, 1, 15);
    apply(&mut r, &ws, today);
    let mut out = Emitter::new(&policy);
    unused(&r, &ws, today, &mut out);
    let got: Vec<String> = out
        .finish()
        .diagnostics
        .into_iter()
        .map(|x| {
            assert_eq!(x.rule, "waiver.unused");
            assert_eq!(x.severity, Severity::Warning);
            x.message
        })
        .collect();
    // WVR-001 used; WVR-003 expired (reported as expired, not unused); 002 and 004 unused.
    assert_eq!(got.len(), 2, "{got:#?}");
    assert!(got[0].contains("WVR-002"));
    assert!(got[1].contains("WVR-004"));
}

#[test]
fn waivers_outliving_a_phase() {
    let (ws, _) = parse(FILE, &fixture_text(), &WaiverPolicy::default());
    // WVR-001 phase:1 ends with phase 1; WVR-004 phase:2 outlives it; date expiries outlive.
    assert_eq!(
        outliving_phase(&ws, "1"),
        vec!["WVR-002".to_string(), "WVR-003".into(), "WVR-004".into()]
    );
    assert_eq!(
        outliving_phase(&ws, "2"),
        vec!["WVR-002".to_string(), "WVR-003".into()]
    );
}

#[test]
fn load_reads_the_layout_path_and_routes_diagnostics_through_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("docs")).unwrap();
    std::fs::write(
        dir.path().join(FILE),
        "[[waiver]]\nid = \"A\"\nrule = \"content.unwrap\"\npaths = [\"**\"]\nreason = \"r\"\napproved_by = \"u\"\napproved = \"2025-01-01\"\nexpires = \"2025-13-01\"\n",
    )
    .unwrap();
    let policy = Policy::default();
    let tree = WorkTree::new(dir.path());
    let wsp = Workspace::new(&policy, &tree);
    let mut out = Emitter::new(&policy);
    let ws = waiver::load(&wsp, &mut out).unwrap();
    assert!(ws.is_empty());
    let r = out.finish();
    assert_eq!(r.diagnostics.len(), 1);
    assert_eq!(r.diagnostics[0].rule, "waiver.invalid");
    assert_eq!(r.diagnostics[0].line, Some(8));

    // No waiver file: no waivers, no findings.
    let empty = tempfile::tempdir().unwrap();
    let tree = WorkTree::new(empty.path());
    let wsp = Workspace::new(&policy, &tree);
    let mut out = Emitter::new(&policy);
    assert!(waiver::load(&wsp, &mut out).unwrap().is_empty());
    assert!(out.finish().diagnostics.is_empty());
}

#[test]
fn dates_from_days_and_parse() {
    assert_eq!(Date::from_days(0), d(1970, 1, 1));
    assert_eq!(Date::from_days(-1), d(1969, 12, 31));
    assert_eq!(Date::from_days(11_016), d(2000, 2, 29));
    assert_eq!(Date::from_days(20_454), d(2026, 1, 1));
    assert_eq!(Date::parse("2024-02-29"), Some(d(2024, 2, 29)));
    assert_eq!(Date::parse("2023-02-29"), None);
    assert_eq!(Date::parse("2023-2-28"), None);
    assert_eq!(Date::parse("1900-02-29"), None);
    assert_eq!(d(2026, 1, 2).to_string(), "2026-01-02");
    assert!(d(2025, 12, 31) < d(2026, 1, 1));
    // Round trip over a range of days.
    let mut prev = Date::from_days(-800);
    for n in -799..80_000 {
        let cur = Date::from_days(n);
        assert!(cur > prev, "{n}: {cur} after {prev}");
        assert_eq!(Date::parse(&cur.to_string()), Some(cur));
        prev = cur;
    }
}

#[test]
fn today_honours_wpgate_today() {
    // The only test of this binary that touches the variable.
    std::env::set_var("WPGATE_TODAY", "2026-02-03");
    assert_eq!(Date::today().unwrap(), d(2026, 2, 3));
    std::env::set_var("WPGATE_TODAY", "03.02.2026");
    assert!(Date::today().is_err());
    std::env::remove_var("WPGATE_TODAY");
    let t = Date::today().unwrap();
    assert!(t >= d(2025, 1, 1), "{t}");
}
