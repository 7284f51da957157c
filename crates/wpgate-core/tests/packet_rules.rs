//! The pre-work checklist rules: each triggers on a bad packet and stays quiet on a
//! complete, locked one.

use std::path::Path;

use wpgate_core::packet::parse_packet;
use wpgate_core::policy::Policy;
use wpgate_core::rules::packet::{check_packet, RULES};
use wpgate_core::rules::Emitter;
use wpgate_core::workspace::TextFile;
use wpgate_core::{Diagnostic, Severity};

fn load(name: &str) -> TextFile {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/packets")
        .join(name);
    let raw = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    TextFile::decode(&format!("docs/task_packets/{name}"), raw)
}

fn check_file(tf: &TextFile, policy: &Policy) -> Vec<Diagnostic> {
    let p = parse_packet(&tf.path, &tf.text, &policy.packet.fields);
    let mut out = Emitter::new(policy);
    check_packet(&p, tf, policy, &mut out);
    out.finish().diagnostics
}

fn check_text(name: &str, text: &str) -> Vec<Diagnostic> {
    let tf = TextFile::decode(
        &format!("docs/task_packets/{name}"),
        text.as_bytes().to_vec(),
    );
    check_file(&tf, &Policy::embedded())
}

fn rules_of(ds: &[Diagnostic]) -> Vec<&str> {
    ds.iter().map(|d| d.rule.as_str()).collect()
}

fn with(ds: &[Diagnostic], rule: &str) -> Vec<Diagnostic> {
    ds.iter().filter(|d| d.rule == rule).cloned().collect()
}

fn good() -> String {
    load("WP-1-Complete-Example.md").text.to_string()
}

#[test]
fn registry_is_complete() {
    let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    for id in [
        "packet.missing-field",
        "packet.placeholder",
        "packet.missing-anchor",
        "packet.vague-scope",
        "packet.missing-out-of-scope",
        "packet.empty-done-means",
        "packet.risk-tier",
        "packet.test-plan-commands",
        "packet.bootstrap-size",
        "packet.not-locked",
        "packet.encoding",
        "packet.id-mismatch",
        "packet.scope-escapes-repo",
    ] {
        let r = RULES
            .iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("{id}"));
        assert!(!r.summary.is_empty() && !r.help.is_empty() && !r.example.is_empty());
        let want = if matches!(
            id,
            "packet.bootstrap-size" | "packet.encoding" | "packet.id-mismatch"
        ) {
            Severity::Warning
        } else {
            Severity::Error
        };
        assert_eq!(r.default, want, "{id}");
    }
    assert_eq!(ids.len(), 13);
}

#[test]
fn complete_locked_packet_is_clean() {
    let tf = load("WP-1-Complete-Example.md");
    let ds = check_file(&tf, &Policy::embedded());
    assert!(ds.is_empty(), "{:#?}", ds);
    // Also with CRLF line endings.
    let crlf = good().replace('\n', "\r\n");
    let ds = check_text("WP-1-Complete-Example.md", &crlf);
    assert!(ds.is_empty(), "{:#?}", ds);
}

#[test]
fn missing_field_one_per_field_at_title() {
    let text = good().replace("- **Effort**: 4-6 hours\n", "").replace(
        "- **What**: Add a cancellation endpoint for queued jobs.\n",
        "",
    );
    let ds = check_text("WP-1-Complete-Example.md", &text);
    let mf = with(&ds, "packet.missing-field");
    assert_eq!(mf.len(), 2, "{mf:#?}");
    assert!(mf
        .iter()
        .all(|d| d.line == Some(1) && d.wp.as_deref() == Some("WP-1-Complete-Example")));
    assert!(mf.iter().any(|d| d.message.contains("Effort")));
    assert!(mf.iter().any(|d| d.message.contains("What")));
    assert_eq!(mf[0].severity, Severity::Error);
}

#[test]
fn placeholder_rule() {
    let ds = check_file(&load("WP-1-Template-Placeholders.md"), &Policy::embedded());
    let ph = with(&ds, "packet.placeholder");
    assert!(ph
        .iter()
        .any(|d| d.message.contains("{1-2 sentence description}")));
    let text = load("WP-1-Template-Placeholders.md").text.to_string();
    for d in &ph {
        let sp = d.span.expect("span");
        assert!(text[sp.start..sp.end].starts_with('{'));
    }
    assert!(rules_of(&check_text("WP-1-Complete-Example.md", &good()))
        .iter()
        .all(|r| *r != "packet.placeholder"));
}

#[test]
fn missing_anchor_rule() {
    let ds = check_file(&load("WP-1-Bad-Checklist.md"), &Policy::embedded());
    assert_eq!(with(&ds, "packet.missing-anchor").len(), 1);
    let no_anchor = good().replace(
        "- **SPEC_ANCHOR**: §4.2.1 (Job Cancellation) [CX-JOB-010]\n",
        "",
    );
    let ds = check_text("WP-1-Complete-Example.md", &no_anchor);
    assert_eq!(with(&ds, "packet.missing-anchor").len(), 1);
    // The damaged section sign still counts as an anchor.
    let mangled = good().replace("§4.2.1", "??4.2.1");
    assert!(with(
        &check_text("WP-1-Complete-Example.md", &mangled),
        "packet.missing-anchor"
    )
    .is_empty());
}

#[test]
fn vague_scope_and_escapes() {
    let tf = load("WP-1-Bad-Checklist.md");
    let ds = check_file(&tf, &Policy::embedded());
    let vague: Vec<String> = with(&ds, "packet.vague-scope")
        .iter()
        .map(|d| {
            let sp = d.span.expect("span");
            tf.text[sp.start..sp.end].to_string()
        })
        .collect();
    assert_eq!(
        vague,
        vec!["src/", "src/backend", "**", "Everything related to storage"]
    );
    let esc = with(&ds, "packet.scope-escapes-repo");
    assert_eq!(esc.len(), 2, "{esc:#?}");
    assert!(esc[0].message.contains("../other-repo"));
    assert!(esc[1].message.contains("/etc/passwd"));
    // Prose from `### In Scope` is vague too.
    let ds = check_file(&load("WP-1-Bold-Status.md"), &Policy::embedded());
    assert_eq!(with(&ds, "packet.vague-scope").len(), 2);
    // min_dir_depth comes from the policy.
    let mut policy = Policy::embedded();
    policy.packet.min_dir_depth = 1;
    let ds = check_file(&tf, &policy);
    assert_eq!(with(&ds, "packet.vague-scope").len(), 2);
}

#[test]
fn out_of_scope_done_means_risk_tier_test_plan() {
    let ds = check_file(&load("WP-1-Bad-Checklist.md"), &Policy::embedded());
    let r = rules_of(&ds);
    assert!(r.contains(&"packet.missing-out-of-scope"));
    assert!(r.contains(&"packet.empty-done-means"));
    assert!(r.contains(&"packet.test-plan-commands"));
    let rt = with(&ds, "packet.risk-tier");
    assert_eq!(rt.len(), 1);
    assert!(rt[0].message.contains("CRITICAL"));
    // The template's `LOW | MEDIUM | HIGH` is not a tier.
    let ds = check_file(&load("WP-1-Template-Placeholders.md"), &Policy::embedded());
    assert_eq!(with(&ds, "packet.risk-tier").len(), 1);
    // No TEST_PLAN at all.
    let no_tp = good().replace("- **TEST_PLAN**:", "- **TESTING**:");
    let ds = check_text("WP-1-Complete-Example.md", &no_tp);
    assert_eq!(with(&ds, "packet.test-plan-commands").len(), 1);
}

#[test]
fn bootstrap_size_is_a_warning() {
    let ds = check_file(&load("WP-1-Bad-Checklist.md"), &Policy::embedded());
    let bs = with(&ds, "packet.bootstrap-size");
    assert_eq!(bs.len(), 3, "{bs:#?}");
    assert!(bs.iter().all(|d| d.severity == Severity::Warning));
    assert!(bs[0].message.contains("FILES_TO_OPEN has 1"));
    // Bounds from the policy.
    let mut policy = Policy::embedded();
    policy.packet.files_to_open = [1, 15];
    policy.packet.search_terms = [1, 20];
    policy.packet.risk_map = [1, 8];
    assert!(with(
        &check_file(&load("WP-1-Bad-Checklist.md"), &policy),
        "packet.bootstrap-size"
    )
    .is_empty());
}

#[test]
fn not_locked_rule() {
    for name in [
        "WP-1-Bad-Checklist.md",
        "WP-1-Bold-Status.md",
        "WP-1-Template-Placeholders.md",
    ] {
        let ds = check_file(&load(name), &Policy::embedded());
        assert_eq!(with(&ds, "packet.not-locked").len(), 1, "{name}");
    }
    let unsigned = good()
        .replace("- USER_SIGNATURE: alice020120261000\n", "")
        .replace("**User Signature Locked:** alice020120261000\n", "");
    let ds = check_text("WP-1-Complete-Example.md", &unsigned);
    let nl = with(&ds, "packet.not-locked");
    assert_eq!(nl.len(), 1);
    assert_eq!(nl[0].line, Some(1));
}

#[test]
fn encoding_rule() {
    let mut raw = good().into_bytes();
    let at = raw
        .iter()
        .position(|&b| b == b'\xc2')
        .expect("§ in fixture"); // first byte of §
    raw[at] = b'\xa7';
    raw.remove(at + 1);
    let tf = TextFile::decode("docs/task_packets/WP-1-Complete-Example.md", raw);
    let ds = check_file(&tf, &Policy::embedded());
    let enc = with(&ds, "packet.encoding");
    assert_eq!(enc.len(), 1);
    assert_eq!(enc[0].severity, Severity::Warning);
    assert_eq!(enc[0].line, tf.invalid_utf8_line);
}

#[test]
fn id_mismatch_rule() {
    let ds = check_file(&load("WP-1-Bad-Checklist.md"), &Policy::embedded());
    let im = with(&ds, "packet.id-mismatch");
    assert_eq!(im.len(), 1);
    assert!(im[0].message.contains("WP-1-Bad-Checklist-v2"));
    assert_eq!(im[0].severity, Severity::Warning);
}

#[test]
fn rules_can_be_turned_off_by_policy() {
    let policy = Policy::from_text(
        "wpgate.toml",
        "[rules.\"packet.vague-scope\"]\nseverity = \"off\"\n[rules.\"packet.id-mismatch\"]\nseverity = \"error\"\ncode = \"CX-603\"\n",
    )
    .expect("policy");
    let ds = check_file(&load("WP-1-Bad-Checklist.md"), &policy);
    assert!(with(&ds, "packet.vague-scope").is_empty());
    let im = with(&ds, "packet.id-mismatch");
    assert_eq!(im[0].severity, Severity::Error);
    assert_eq!(im[0].code.as_deref(), Some("CX-603"));
}
