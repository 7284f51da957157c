//! `wpgate packet …`, `policy …` and `explain` through the binary, on real repositories.

mod common;

use common::*;
use std::path::{Path, PathBuf};

fn corpus() -> Option<PathBuf> {
    corpus_dir("handshake-2026-01-01")
}

/// A git repository holding a copy of the corpus (the corpus itself is read-only input).
pub fn corpus_repo() -> Option<TestRepo> {
    let src = corpus()?;
    let r = TestRepo::new();
    copy_dir(&src, &r.path);
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "-m", "corpus"]);
    Some(r)
}

#[test]
fn packet_list_json_follows_the_contract() {
    let r = governed();
    let out = wpgate(&r.path)
        .args(["packet", "list", "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    let p = &v["packets"][0];
    assert_eq!(p["id"], WP);
    assert_eq!(p["path"], format!("docs/task_packets/{WP}.md"));
    assert_eq!(p["status"], "In Progress");
    assert_eq!(p["risk_tier"], "MEDIUM");
    assert_eq!(p["locked"], true);
    assert_eq!(p["signature"], SIGNATURE);
    assert_eq!(
        p["in_scope_paths"],
        serde_json::json!([
            "src/storage/mod.rs",
            "src/storage/sqlite.rs",
            "tests/storage_test.rs"
        ])
    );
    assert_eq!(p["spec_anchors"], serde_json::json!(["2.1.1"]));
    assert_eq!(p["out_of_scope"][0], "src/api/ (→ WP-1-Api-Refactor)");
}

#[test]
fn packet_check_is_clean_on_a_complete_packet_and_reports_a_gap() {
    let r = governed();
    wpgate(&r.path)
        .args(["packet", "check", WP])
        .assert()
        .code(0);
    // Remove the anchor: packet.missing-anchor, exit 1, JSON names file and line.
    let p = r.path.join(format!("docs/task_packets/{WP}.md"));
    let text = std::fs::read_to_string(&p).expect("read");
    std::fs::write(
        &p,
        text.replace("- **SPEC_ANCHOR**: §2.1.1 (Storage Trait)\n", ""),
    )
    .expect("write");
    let out = wpgate(&r.path)
        .args(["packet", "check", WP, "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["version"], 1);
    let d = v["diagnostics"]
        .as_array()
        .expect("array")
        .iter()
        .find(|d| d["rule"] == "packet.missing-anchor")
        .expect("missing-anchor diagnostic");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["wp"], WP);
    assert_eq!(d["path"], format!("docs/task_packets/{WP}.md"));
    assert!(d["line"].as_u64().is_some());
    assert!(d["commit"].is_null());
    assert!(v["summary"]["errors"].as_u64().unwrap_or(0) >= 1);
}

#[test]
fn human_output_is_rustc_like_with_the_source_line() {
    let r = governed();
    let p = r.path.join(format!("docs/task_packets/{WP}.md"));
    let text = std::fs::read_to_string(&p).expect("read");
    std::fs::write(
        &p,
        text.replace("- **RISK_TIER**: MEDIUM", "- **RISK_TIER**: EXTREME"),
    )
    .expect("write");
    let out = wpgate(&r.path)
        .args(["packet", "check", WP])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let s = String::from_utf8_lossy(&out.stdout);
    insta::assert_snapshot!("human_risk_tier", s);
}

#[test]
fn lock_then_verify_round_trip_and_a_one_byte_edit_is_caught() {
    let r = TestRepo::new();
    r.write(&format!("docs/task_packets/{WP}.md"), PACKET);
    r.write("docs/SIGNATURE_AUDIT.md", "# SIGNATURE_AUDIT\n");
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "-m", "packet"]);
    wpgate(&r.path)
        .args(["packet", "lock", WP, "--signature", "tester241120261015"])
        .assert()
        .code(0);
    let p = r.path.join(format!("docs/task_packets/{WP}.md"));
    let locked = std::fs::read_to_string(&p).expect("read");
    assert!(locked.contains("**User Signature Locked:** tester241120261015\n"));
    assert!(locked.contains("**Lock Digest:** sha256:"));
    wpgate(&r.path)
        .args(["packet", "verify", WP])
        .assert()
        .code(0);
    // Locking again is refused: a locked packet is immutable.
    wpgate(&r.path)
        .args(["packet", "lock", WP, "--signature", "tester241120261016"])
        .assert()
        .code(1);
    // STATUS is mutable: still verifies.
    std::fs::write(
        &p,
        locked.replace("- STATUS: In Progress", "- STATUS: Done"),
    )
    .expect("write");
    wpgate(&r.path)
        .args(["packet", "verify", WP])
        .assert()
        .code(0);
    // One byte in the locked content: caught.
    std::fs::write(&p, locked.replace("6-8 hours", "6-9 hours")).expect("write");
    let out = wpgate(&r.path)
        .args(["packet", "verify", "--all", "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(error_rules(&json(&out)), vec!["lock.digest-mismatch"]);
    // Text appended after the footer is not locked.
    std::fs::write(
        &p,
        format!("{locked}\n## VALIDATION REPORT\nVerdict: PASS\n"),
    )
    .expect("write");
    wpgate(&r.path)
        .args(["packet", "verify", WP])
        .assert()
        .code(0);
}

#[test]
fn lock_refuses_a_bad_or_reused_signature() {
    let r = TestRepo::new();
    r.write(&format!("docs/task_packets/{WP}.md"), PACKET);
    r.write(
        "docs/task_packets/WP-1-Other.md",
        PACKET.replace(WP, "WP-1-Other"),
    );
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "-m", "packets"]);
    wpgate(&r.path)
        .args(["packet", "lock", WP, "--signature", "not a signature"])
        .assert()
        .code(1);
    wpgate(&r.path)
        .args(["packet", "lock", WP, "--signature", "tester241120261015"])
        .assert()
        .code(0);
    let out = wpgate(&r.path)
        .args([
            "packet",
            "lock",
            "WP-1-Other",
            "--signature",
            "tester241120261015",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already used"));
}

#[test]
fn packet_new_creates_from_the_template_and_names_the_next_free_id() {
    let r = TestRepo::new();
    wpgate(&r.path)
        .args(["packet", "new", "WP-1-Job-Cancel"])
        .assert()
        .code(0);
    let text = std::fs::read_to_string(r.path.join("docs/task_packets/WP-1-Job-Cancel.md"))
        .expect("created");
    assert!(text.contains("- TASK_ID: WP-1-Job-Cancel"));
    let out = wpgate(&r.path)
        .args(["packet", "new", "WP-1-Job-Cancel"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("WP-1-Job-Cancel-v2"));
    // The fresh packet is full of placeholders: the pre-work check says so.
    let out = wpgate(&r.path)
        .args(["packet", "check", "WP-1-Job-Cancel", "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let rules = error_rules(&json(&out));
    assert!(
        rules.contains(&"packet.placeholder".to_string()),
        "{rules:?}"
    );
    assert!(
        rules.contains(&"packet.not-locked".to_string()),
        "{rules:?}"
    );
    wpgate(&r.path)
        .args(["packet", "new", "not-an-id"])
        .assert()
        .code(2);
}

fn policy_error(text: &str) -> (i32, String) {
    let r = TestRepo::new();
    r.write("wpgate.toml", text);
    let out = wpgate(&r.path)
        .args(["packet", "list"])
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn policy_mistakes_exit_2_naming_file_line_and_column() {
    let (code, err) = policy_error("[layout]\npackets_dir = \"docs/wp\"\nbogus_key = 1\n");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("wpgate.toml:3:1"), "{err}");
    assert!(err.contains("bogus_key"), "{err}");

    let (code, err) = policy_error("[packet]\nmin_dir_depth = \"three\"\n");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("wpgate.toml:2:17"), "{err}");

    let (code, err) = policy_error("[layout\npackets_dir = 1\n");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("wpgate.toml:1:"), "{err}");

    let (code, err) = policy_error("[rules.\"scope.no-such-rule\"]\nseverity = \"error\"\n");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("wpgate.toml:1:"), "{err}");
    assert!(err.contains("unknown rule id"), "{err}");

    let (code, err) = policy_error("[rules.\"scope.out-of-scope\"]\nseverity = \"fatal\"\n");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("wpgate.toml:2:"), "{err}");
}

#[test]
fn a_repository_policy_extends_the_default_and_overrides_severity_and_code() {
    let r = governed();
    r.write(
        "wpgate.toml",
        "[rules.\"packet.risk-tier\"]\nseverity = \"warning\"\ncode = \"CX-640\"\n",
    );
    let p = r.path.join(format!("docs/task_packets/{WP}.md"));
    let text = std::fs::read_to_string(&p).expect("read");
    std::fs::write(
        &p,
        text.replace("- **RISK_TIER**: MEDIUM", "- **RISK_TIER**: EXTREME"),
    )
    .expect("write");
    let out = wpgate(&r.path)
        .args(["packet", "check", WP, "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    let d = &v["diagnostics"][0];
    assert_eq!(d["rule"], "packet.risk-tier");
    assert_eq!(d["severity"], "warning");
    assert_eq!(d["code"], "CX-640");
    // --policy overrides discovery; `policy check` validates.
    r.write(
        "strict.toml",
        "extends = \"default\"\n[rules.\"packet.risk-tier\"]\nseverity = \"off\"\n",
    );
    wpgate(&r.path)
        .args(["--policy", "strict.toml", "packet", "check", WP])
        .assert()
        .code(0);
    wpgate(&r.path)
        .args(["policy", "check", "strict.toml"])
        .assert()
        .code(0);
}

#[test]
fn the_embedded_default_policy_is_valid_and_printable() {
    let out = wpgate(Path::new("."))
        .args(["policy", "print-default"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("packets_dir = \"docs/task_packets\""));
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("p.toml"), text.as_bytes()).expect("write");
    wpgate(dir.path())
        .args(["policy", "check", "p.toml"])
        .assert()
        .code(0);
}

#[test]
fn explain_shows_every_rule() {
    let out = wpgate(Path::new("."))
        .args(["explain", "--list"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let list = String::from_utf8_lossy(&out.stdout).to_string();
    for id in [
        "packet.missing-field",
        "scope.out-of-scope",
        "lock.locked-packet-edited",
        "spec.anchor-missing",
        "board.status-mismatch",
        "deps.cycle",
        "waiver.expired",
        "oss.unregistered-dependency",
        "signature.reused",
    ] {
        assert!(list.contains(id), "{id} missing from explain --list");
    }
    let ids: Vec<&str> = list
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    for id in ids {
        let out = wpgate(Path::new("."))
            .args(["explain", id])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(0), "explain {id}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Example:"));
    }
    wpgate(Path::new("."))
        .args(["explain", "no.such-rule"])
        .assert()
        .code(2);
}

#[test]
fn corpus_packets_are_all_listed_and_checked_without_environment_errors() {
    let Some(r) = corpus_repo() else {
        eprintln!("corpus not present; skipped");
        return;
    };
    let out = wpgate(&r.path)
        .args(["packet", "list", "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    let packets = v["packets"].as_array().expect("packets");
    assert_eq!(packets.len(), 87);
    let with_status = packets.iter().filter(|p| !p["status"].is_null()).count();
    assert!(with_status >= 77, "{with_status} packets with STATUS");
    let by_id = |id: &str| packets.iter().find(|p| p["id"] == id).expect(id);
    assert_eq!(
        by_id("WP-1-ACE-Runtime")["in_scope_paths"][0],
        "src/backend/handshake_core/src/ace/mod.rs"
    );
    assert_eq!(
        by_id("WP-1-Debug-Bundle-v2")["in_scope_paths"][0],
        "src/backend/handshake_core/src/bundles/"
    );
    let out = wpgate(&r.path)
        .args(["packet", "check", "--all", "--format", "json"])
        .output()
        .expect("run");
    let code = out.status.code();
    assert!(
        code == Some(0) || code == Some(1),
        "exit {code:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    json(&out);
}

#[test]
fn json_output_snapshot() {
    let r = governed();
    let p = r.path.join(format!("docs/task_packets/{WP}.md"));
    let text = std::fs::read_to_string(&p).expect("read");
    std::fs::write(
        &p,
        text.replace("  * src/storage/sqlite.rs\n", "  * src/\n"),
    )
    .expect("write");
    let out = wpgate(&r.path)
        .args(["packet", "check", WP, "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("json_vague_scope", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn the_demo_shows_every_step_as_expected() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = wpgate(dir.path())
        .env("TMPDIR", dir.path())
        .arg("demo")
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("every step went as expected"), "{text}");
    assert!(text.contains("scope.out-of-scope"), "{text}");
    assert!(text.contains("lock.locked-packet-edited"), "{text}");
}
