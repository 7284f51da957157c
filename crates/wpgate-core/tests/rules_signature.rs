//! Signature rules: format, one-time use, audit trail.

use std::path::Path;

use wpgate_core::model::audit::parse_audit;
use wpgate_core::model::packet::{Field, Lock, Packet};
use wpgate_core::policy::SignaturePolicy;
use wpgate_core::policy::{FieldAliases, Policy};
use wpgate_core::report::{Diagnostic, Severity, Span};
use wpgate_core::rules::signature::{self, check_packets, format_problem, timestamp_problem};
use wpgate_core::rules::Emitter;
use wpgate_core::source::{WorkTree, Workspace};

const AUDIT: &str = "docs/SIGNATURE_AUDIT.md";

fn audit_text() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/gov2/signatures/SIGNATURE_AUDIT.md"),
    )
    .expect("fixture")
}

/// A packet with only an id, a path and a lock (the other fields as the parser leaves them
/// for an empty file).
fn packet(id: &str, sig: &str, real: bool, line: usize) -> Packet {
    let path = format!("docs/task_packets/{id}.md");
    let mut p = wpgate_core::parse_packet(&path, "", &FieldAliases::default());
    p.id = id.to_string();
    p.lock = Some(Lock {
        signature: Field::new(sig.to_string(), Span::new(100, 100 + sig.len()), line),
        real,
        footer_end: None,
    });
    p
}

fn run(packets: &[Packet], audit: Option<&str>) -> Vec<Diagnostic> {
    let policy = Policy::default();
    let mut out = Emitter::new(&policy);
    check_packets(
        packets,
        audit.map(|t| (AUDIT, t)),
        &policy.signatures,
        &mut out,
    )
    .unwrap();
    let mut r = out.finish();
    r.sort();
    r.diagnostics
}

fn of<'a>(diags: &'a [Diagnostic], rule: &str) -> Vec<&'a Diagnostic> {
    diags.iter().filter(|d| d.rule == rule).collect()
}

fn audit_line(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn audit_table_rows_with_lines() {
    let text = audit_text();
    let rows = parse_audit(&text);
    assert_eq!(rows.len(), 6, "the code block row is not a row");
    assert_eq!(rows[0].signature, "ana010120261528");
    assert_eq!(rows[0].line, 7);
    assert_eq!(rows[0].used_by.as_deref(), Some("Orchestrator"));
    assert_eq!(rows[0].date_time.as_deref(), Some("2026-01-01 15:28"));
    assert_eq!(
        rows[0].purpose.as_deref(),
        Some("Task packet creation: WP-1-Alpha")
    );
    assert_eq!(
        &text[rows[0].span.start..rows[0].span.end],
        "ana010120261528"
    );
}

#[test]
fn well_formed_recorded_single_use_is_quiet() {
    let text = audit_text();
    let packets = [
        packet("WP-1-Alpha", "ana010120261528", true, 40),
        packet("WP-1-Beta", "ana010120261446", true, 41),
        // A placeholder lock is not a signature.
        packet("WP-1-Draft", "{signature}", false, 9),
    ];
    let diags = run(&packets, Some(&text));
    let packet_diags: Vec<_> = diags
        .iter()
        .filter(|d| d.path.as_deref() != Some(AUDIT))
        .collect();
    assert!(packet_diags.is_empty(), "{packet_diags:#?}");
}

#[test]
fn format_pattern_and_timestamp() {
    let pol = SignaturePolicy::default();
    assert_eq!(format_problem("ilja251220250328", &pol).unwrap(), None);
    assert!(format_problem("ilja-25-12-2025", &pol).unwrap().is_some());
    assert!(format_problem("251220250328", &pol).unwrap().is_some());
    // 25.12.2503 28:00: the pattern matches, the timestamp does not.
    let why = format_problem("ilja251225032800", &pol).unwrap().unwrap();
    assert!(why.contains("28:00") || why.contains("year"), "{why}");
    assert!(timestamp_problem("x310220251200")
        .unwrap()
        .contains("not a date"));
    assert!(
        timestamp_problem("x290220241200").is_none(),
        "2024 is a leap year"
    );
    assert!(timestamp_problem("x010120262460").is_some());
    let lax = SignaturePolicy {
        check_timestamp: false,
        ..SignaturePolicy::default()
    };
    assert_eq!(format_problem("ilja251225032800", &lax).unwrap(), None);

    // A malformed signature is only a format error, even when repeated and unrecorded.
    let diags = run(
        &[
            packet("WP-1-U1", "ilja", true, 7),
            packet("WP-1-U2", "ilja", true, 7),
        ],
        Some(&audit_text()),
    );
    let packet_rules: Vec<&str> = diags
        .iter()
        .filter(|d| d.wp.is_some())
        .map(|d| d.rule.as_str())
        .collect();
    assert_eq!(packet_rules, vec!["signature.format", "signature.format"]);

    let diags = run(&[packet("WP-1-Bad", "ilja31022025", true, 12)], None);
    let f = of(&diags, "signature.format");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].line, Some(12));
    assert_eq!(f[0].wp.as_deref(), Some("WP-1-Bad"));
    assert_eq!(f[0].severity, Severity::Error);
}

#[test]
fn malformed_audit_entries_are_reported_at_their_rows() {
    let text = audit_text();
    let diags = run(&[], Some(&text));
    let f = of(&diags, "signature.format");
    assert_eq!(f.len(), 1, "{diags:#?}");
    assert_eq!(f[0].path.as_deref(), Some(AUDIT));
    assert_eq!(f[0].line, Some(audit_line(&text, "ana251225032800")));
}

#[test]
fn audit_date_time_must_match_the_signature_digits() {
    let text = audit_text();
    let diags = run(&[], Some(&text));
    let mut lines: Vec<usize> = of(&diags, "signature.audit-mismatch")
        .iter()
        .map(|d| {
            assert_eq!(d.severity, Severity::Warning);
            d.line.unwrap()
        })
        .collect();
    lines.sort();
    assert_eq!(
        lines,
        vec![
            audit_line(&text, "19:17"),
            audit_line(&text, "ana251225032800")
        ]
    );
    // Rows that agree are quiet.
    assert!(!lines.contains(&audit_line(&text, "ana010120261528")));
}

#[test]
fn two_packets_with_one_signature() {
    let diags = run(
        &[
            packet("WP-1-A", "ana010120261200", true, 50),
            packet("WP-1-B", "ana010120261200", true, 51),
        ],
        None,
    );
    let r = of(&diags, "signature.reused");
    assert_eq!(r.len(), 1, "{diags:#?}");
    assert_eq!(r[0].wp.as_deref(), Some("WP-1-B"));
    assert!(r[0].message.contains("WP-1-A"));
    assert_eq!(r[0].line, Some(51));
}

#[test]
fn audit_rows_recording_a_signature_twice() {
    let text = audit_text();
    let diags = run(&[], Some(&text));
    let r = of(&diags, "signature.reused");
    assert_eq!(r.len(), 1, "{diags:#?}");
    assert_eq!(r[0].path.as_deref(), Some(AUDIT));
    assert_eq!(r[0].line, Some(audit_line(&text, "19:17")));
}

#[test]
fn packet_signature_recorded_for_another_purpose_is_a_reuse() {
    let text = audit_text();
    let diags = run(
        &[packet("WP-1-Delta", "ana010120260602", true, 77)],
        Some(&text),
    );
    let r: Vec<_> = of(&diags, "signature.reused")
        .into_iter()
        .filter(|d| d.wp.is_some())
        .collect();
    assert_eq!(r.len(), 1, "{diags:#?}");
    assert_eq!(r[0].wp.as_deref(), Some("WP-1-Delta"));
    assert!(r[0].message.contains("Spec Enrichment"));
}

#[test]
fn unrecorded_signature_warns_only_when_the_audit_exists() {
    let p = [packet("WP-1-Zeta", "ana020120261000", true, 30)];
    let diags = run(&p, Some(&audit_text()));
    let u = of(&diags, "signature.unrecorded");
    assert_eq!(u.len(), 1);
    assert_eq!(u[0].severity, Severity::Warning);
    assert_eq!(u[0].line, Some(30));
    let diags = run(&p, None);
    assert!(of(&diags, "signature.unrecorded").is_empty());
}

#[test]
fn is_used_finds_packets_and_the_audit_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("docs/task_packets")).unwrap();
    std::fs::write(dir.path().join(AUDIT), audit_text()).unwrap();
    std::fs::write(
        dir.path().join("docs/task_packets/WP-1-A.md"),
        "# Task Packet: WP-1-A\n\n---\n**User Signature Locked:** bob050120260930\n",
    )
    .unwrap();
    let policy = Policy::default();
    let tree = WorkTree::new(dir.path());
    let ws = Workspace::new(&policy, &tree);
    assert_eq!(
        signature::is_used("bob050120260930", &ws)
            .unwrap()
            .as_deref(),
        Some("docs/task_packets/WP-1-A.md:4")
    );
    assert_eq!(
        signature::is_used("ana010120261446", &ws)
            .unwrap()
            .as_deref(),
        Some("docs/SIGNATURE_AUDIT.md:8")
    );
    assert_eq!(signature::is_used("bob050120260931", &ws).unwrap(), None);
    // A prefix of a used signature is not a use.
    assert_eq!(signature::is_used("bob05012026093", &ws).unwrap(), None);
}

#[test]
fn workspace_check_runs_without_packets() {
    let dir = tempfile::tempdir().unwrap();
    let policy = Policy::default();
    let tree = WorkTree::new(dir.path());
    let ws = Workspace::new(&policy, &tree);
    let mut out = Emitter::new(&policy);
    signature::check(&ws, &mut out).unwrap();
    assert!(out.finish().diagnostics.is_empty());
}

/// The real corpus (skipped when absent): audit-file findings (packet locks need the parser).
#[test]
fn corpus_signature_audit() {
    let Some(root) = corpus_root() else {
        eprintln!("corpus not present; skipped");
        return;
    };
    let text = std::fs::read_to_string(root.join(AUDIT)).unwrap();
    let rows = parse_audit(&text);
    assert_eq!(rows.len(), rows_in_file(&text));
    let diags = run(&[], Some(&text));
    for d in &diags {
        eprintln!("{}:{} {} {}", AUDIT, d.line.unwrap_or(0), d.rule, d.message);
    }
    let bad: Vec<usize> = of(&diags, "signature.format")
        .iter()
        .filter_map(|d| d.line)
        .collect();
    assert!(bad.contains(&audit_line(&text, "| ilja251225032800 |")));
    assert!(bad.contains(&audit_line(&text, "| ilja251225041500 |")));
    assert!(of(&diags, "signature.reused").is_empty());
    let mut mismatched: Vec<usize> = of(&diags, "signature.audit-mismatch")
        .iter()
        .filter_map(|d| d.line)
        .collect();
    mismatched.sort();
    let mut expected = vec![
        audit_line(&text, "| ilja251225032800 |"),
        audit_line(&text, "| ilja251225041500 |"),
        audit_line(&text, "| ilja251220250037 |"),
    ];
    expected.sort();
    assert_eq!(mismatched, expected);
}

/// The corpus: `$WPGATE_CORPUS`, or `shared/corpus/handshake-2026-01-01` beside the
/// workspace (`/work/main`) or beside the worktree directory (`/work/wt/NAME`).
fn corpus_root() -> Option<std::path::PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut candidates: Vec<std::path::PathBuf> = Vec::new();
    if let Ok(p) = std::env::var("WPGATE_CORPUS") {
        candidates.push(p.into());
    }
    candidates.push(manifest.join("../../../shared/corpus/handshake-2026-01-01"));
    candidates.push(manifest.join("../../../../shared/corpus/handshake-2026-01-01"));
    candidates.into_iter().find(|p| p.join("docs").is_dir())
}

fn rows_in_file(text: &str) -> usize {
    text.lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| Signature"))
        .filter(|l| {
            l.split('|')
                .nth(1)
                .map(|c| c.trim().chars().any(|ch| ch.is_ascii_digit()))
                .unwrap_or(false)
        })
        .count()
}
