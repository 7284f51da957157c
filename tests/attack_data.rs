//! Packets as data (issue 13) against a coder who wants a forbidden change merged: a
//! structured contract's lock, its projection and twins, microtasks and short ids grant
//! nothing the trusted revision does not. Real repositories, real commits, the binary's
//! `check --range BASE..HEAD` (the CI verdict).

mod common;

use common::*;

const POLICY: &str = r#"
[layout]
packet_roots = [
  { kind = "active", include = ["gov/tp/WP-*/packet.json", "gov/tp/WP-*/packet.md", "gov/tp/WP-*.md"] },
  { kind = "stub", include = ["gov/tp/stubs/WP-*.contract.json", "gov/tp/stubs/WP-*.md"] },
]
[scope]
exempt = ["gov/**", "wpgate.toml"]
"#;

const CONTRACT: &str = r#"{
  "id": "WP-1-Data-v1",
  "title": "Data layer",
  "status": "In Progress",
  "risk_tier": "LOW",
  "scope": {"in": ["src/data/**"], "out": ["src/data/secret.rs"]},
  "spec_anchors": ["§1.1"],
  "done_means": ["tests pass"],
  "aliases": ["WP-1-Data"],
  "lock": {"signature": "data011220261200", "digest": ""}
}
"#;

const MT: &str =
    r#"{"id": "MT-001", "status": "PENDING", "scope": {"in": ["src/data/buffer.rs"]}}"#;

fn base() -> (TestRepo, String) {
    let r = TestRepo::new();
    r.write("wpgate.toml", POLICY);
    r.write("gov/tp/WP-1-Data-v1/packet.json", CONTRACT);
    r.write("gov/tp/WP-1-Data-v1/MT-001.json", MT);
    r.write("src/data/buffer.rs", "pub struct Buffer;\n");
    r.write("src/api/jobs.rs", "pub fn jobs() {}\n");
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "-m", "bootstrap"]);
    let head = r.head();
    (r, head)
}

#[test]
fn honest_work_under_a_structured_packet_and_its_microtask_passes() {
    let (r, b) = base();
    for msg in [
        "feat(WP-1-Data-v1): buffer",
        "feat(WP-1-Data): buffer",     // alias
        "WP-1-Data-v1 MT-001: buffer", // microtask
    ] {
        let rules = range_errors(
            &r,
            &b,
            msg,
            &[("src/data/buffer.rs", "pub struct Buffer(u8);\n")],
        );
        assert!(rules.is_empty(), "{msg}: {rules:?}");
    }
}

#[test]
fn editing_a_locked_contract_is_a_lock_violation_but_its_status_is_not() {
    let (r, b) = base();
    let wider = CONTRACT.replace(r#""in": ["src/data/**"]"#, r#""in": ["src/**"]"#);
    let rules = range_errors(
        &r,
        &b,
        "gov: widen",
        &[("gov/tp/WP-1-Data-v1/packet.json", &wider)],
    );
    assert!(
        rules.contains(&"lock.locked-packet-edited".to_string()),
        "{rules:?}"
    );
    // The same key order, other whitespace: no edit of the locked content.
    let reformatted = CONTRACT.replace("\n  ", "\n    ");
    let rules = range_errors(
        &r,
        &b,
        "gov: fmt",
        &[("gov/tp/WP-1-Data-v1/packet.json", &reformatted)],
    );
    assert!(rules.is_empty(), "{rules:?}");
    let done = CONTRACT.replace("In Progress", "Done");
    let rules = range_errors(
        &r,
        &b,
        "gov: done",
        &[("gov/tp/WP-1-Data-v1/packet.json", &done)],
    );
    assert!(rules.is_empty(), "{rules:?}");
}

#[test]
fn a_widened_contract_in_the_change_grants_nothing() {
    let (r, b) = base();
    let wider = CONTRACT.replace(r#""in": ["src/data/**"]"#, r#""in": ["src/**"]"#);
    let rules = range_errors(
        &r,
        &b,
        "feat(WP-1-Data-v1): jobs",
        &[
            ("gov/tp/WP-1-Data-v1/packet.json", &wider),
            ("src/api/jobs.rs", "pub fn jobs() { /* evil */ }\n"),
        ],
    );
    assert!(
        rules.contains(&"scope.out-of-scope".to_string()),
        "{rules:?}"
    );
}

#[test]
fn a_projection_or_twin_added_by_the_change_is_never_a_second_packet() {
    let (r, b) = base();
    let wide_md = "# WP-1-Data-v1\n- TASK_ID: WP-1-Data-v1\n- STATUS: In Progress\n\
                   - IN_SCOPE_PATHS:\n  - src/**\n- OUT_OF_SCOPE:\n  - docs/\n";
    for path in ["gov/tp/WP-1-Data-v1/packet.md", "gov/tp/WP-1-Data-v1.md"] {
        let rules = range_errors(
            &r,
            &b,
            "feat(WP-1-Data-v1): jobs",
            &[
                (path, wide_md),
                ("src/api/jobs.rs", "pub fn jobs() { /* evil */ }\n"),
            ],
        );
        assert!(
            rules.contains(&"scope.out-of-scope".to_string()),
            "{path}: {rules:?}"
        );
    }
}

#[test]
fn a_microtask_binding_narrows_and_never_widens() {
    let (r, b) = base();
    // Inside the packet, outside MT-001.
    let rules = range_errors(
        &r,
        &b,
        "WP-1-Data-v1 MT-001: other",
        &[("src/data/other.rs", "pub fn x() {}\n")],
    );
    assert!(
        rules.contains(&"scope.out-of-scope".to_string()),
        "{rules:?}"
    );
    // A microtask the change widens to the whole tree still lives in its packet.
    let wide_mt = MT.replace("src/data/buffer.rs", "src/**");
    let rules = range_errors(
        &r,
        &b,
        "WP-1-Data-v1 MT-001: jobs",
        &[
            ("gov/tp/WP-1-Data-v1/MT-001.json", &wide_mt),
            ("src/api/jobs.rs", "pub fn jobs() { /* evil */ }\n"),
        ],
    );
    assert!(
        rules.contains(&"scope.out-of-scope".to_string()),
        "{rules:?}"
    );
    // The packet's OUT_OF_SCOPE holds under any microtask.
    let rules = range_errors(
        &r,
        &b,
        "WP-1-Data-v1 MT-001: secret",
        &[("src/data/secret.rs", "pub fn s() {}\n")],
    );
    assert!(
        rules.contains(&"scope.out-of-scope".to_string()),
        "{rules:?}"
    );
}

#[test]
fn a_new_packet_sharing_a_prefix_in_the_change_changes_nothing() {
    let (r, b) = base();
    // A new packet in the change makes `WP-1-Data` no more ambiguous than the base says.
    let other = CONTRACT.replace("WP-1-Data-v1", "WP-1-Data-v2");
    let rules = range_errors(
        &r,
        &b,
        "feat(WP-1-Data): buffer",
        &[
            ("gov/tp/WP-1-Data-v2/packet.json", &other),
            ("src/data/buffer.rs", "pub struct Buffer(u16);\n"),
        ],
    );
    assert!(rules.is_empty(), "{rules:?}");
}

#[test]
fn a_contract_with_duplicate_keys_fails_closed() {
    let (r, b) = base();
    let dup = CONTRACT.replace(
        r#""status": "In Progress","#,
        r#""status": "Done", "status": "In Progress","#,
    );
    r.write("gov/tp/WP-1-Data-v1/packet.json", &dup);
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "-m", "dup"]);
    let out = wpgate(&r.path)
        .args(["packet", "list"])
        .output()
        .expect("run");
    assert_eq!(code(&out), 2, "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("gov/tp/WP-1-Data-v1/packet.json") && t.contains("line 4"),
        "{t}"
    );
    // The change that makes it so is refused (exit 2), naming the file and line.
    let out = wpgate(&r.path)
        .args(["check", "--range", &format!("{b}..HEAD")])
        .output()
        .expect("run");
    assert_eq!(code(&out), 2, "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("gov/tp/WP-1-Data-v1/packet.json") && t.contains("line 4"),
        "{t}"
    );
}
