//! Packets as data on real input: both snapshots of the public Handshake project
//! (`../shared/corpus/`), copied into real git repositories, through the binary. The
//! 2026-06 snapshot runs with `examples/policies/handshake-2026-06.toml`.
//!
//! Without the corpus (a checkout without `../shared`), each test says so and passes.

mod common;

use common::*;
use std::path::PathBuf;

const PROFILE: &str = include_str!("../examples/policies/handshake-2026-06.toml");

fn repo(name: &str, profile: bool) -> Option<(TestRepo, PathBuf)> {
    let Some(src) = corpus_dir(name) else {
        eprintln!("corpus {name} not present; skipped");
        return None;
    };
    let r = TestRepo::new();
    copy_dir(&src, &r.path);
    if profile {
        r.write("wpgate.toml", PROFILE);
    }
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "-m", "corpus"]);
    Some((r, src))
}

fn list(r: &TestRepo) -> Vec<serde_json::Value> {
    let out = wpgate(&r.path)
        .args(["packet", "list", "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(code(&out), 0, "{}", text(&out));
    json(&out)["packets"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn january_packets_are_listed_under_their_file_names() {
    let Some((r, src)) = repo("handshake-2026-01-01", false) else {
        return;
    };
    let dir = src.join("docs/task_packets");
    let mut stems: Vec<String> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with("WP-") && n.ends_with(".md"))
        .map(|n| n.trim_end_matches(".md").to_string())
        .collect();
    stems.sort();
    let mut ids: Vec<String> = list(&r)
        .iter()
        .filter_map(|p| p["id"].as_str().map(str::to_string))
        .collect();
    ids.sort();
    assert_eq!(ids, stems);
    // The packet whose TASK_ID is `…-v2` is found by the name the board uses.
    let out = wpgate(&r.path)
        .args([
            "packet",
            "check",
            "WP-1-Storage-Foundation-20251228",
            "--format",
            "json",
        ])
        .output()
        .expect("run");
    assert_ne!(code(&out), 2, "{}", text(&out));
    let v = json(&out);
    let mismatch: Vec<&serde_json::Value> = v["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["rule"] == "packet.id-mismatch")
        .collect();
    assert_eq!(mismatch.len(), 1, "{v}");
    assert!(mismatch[0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("WP-1-Storage-Foundation-v2")));
    // The TASK_ID is not the identity; the message says what is.
    let out = wpgate(&r.path)
        .args(["packet", "check", "WP-1-Storage-Foundation-v2"])
        .output()
        .expect("run");
    assert_eq!(code(&out), 2);
    assert!(
        text(&out).contains("WP-1-Storage-Foundation-20251228"),
        "{}",
        text(&out)
    );
}

/// The `scope.allowed_paths` of a packet.json as wpgate reads an entry: bullet removed,
/// the profile's path alias applied.
fn json_paths(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str())
        .map(|s| {
            let t = s.trim();
            let t = t
                .strip_prefix("- ")
                .or_else(|| t.strip_prefix("* "))
                .unwrap_or(t)
                .trim();
            // The profile's scope.path_aliases: `../handshake_main/src/…` is `src/…`.
            t.strip_prefix("../handshake_main/")
                .unwrap_or(t)
                .to_string()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

#[test]
fn june_folder_packets_stubs_and_microtasks_are_found_with_their_scope() {
    let Some((r, src)) = repo("handshake-2026-06-22", true) else {
        return;
    };
    let packets = list(&r);
    let tp = src.join(".GOV/task_packets");
    let mut folders = 0;
    for e in std::fs::read_dir(&tp).expect("dir").filter_map(|e| e.ok()) {
        let name = e.file_name().into_string().unwrap_or_default();
        let contract = e.path().join("packet.json");
        if !name.starts_with("WP-") || !contract.is_file() {
            continue;
        }
        folders += 1;
        let row = packets
            .iter()
            .find(|p| p["id"] == name.as_str())
            .unwrap_or_else(|| panic!("{name} not listed"));
        assert_eq!(row["kind"], "active", "{name}");
        assert_eq!(row["format"], "json", "{name}");
        assert!(
            row["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("/packet.json")),
            "{name}: the contract is the authority"
        );
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&contract).expect("read")).expect("json");
        let want = json_paths(&doc["scope"]["allowed_paths"]);
        let got: Vec<String> = row["in_scope_paths"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect();
        assert_eq!(got.len(), want.len(), "{name}: {got:?} vs {want:?}");
        for (g, w) in got.iter().zip(&want) {
            assert!(w.starts_with(g.as_str()), "{name}: `{g}` read from `{w}`");
        }
        assert_eq!(
            row["status"].as_str(),
            doc["lifecycle"]["status"]
                .as_str()
                .filter(|s| !s.is_empty()),
            "{name}"
        );
        // Every MT-*.json is a microtask, with the scope of its file.
        let mut mts: Vec<PathBuf> = std::fs::read_dir(e.path())
            .expect("dir")
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("MT-") && n.ends_with(".json"))
            })
            .collect();
        mts.sort();
        let listed = row["microtasks"].as_array().cloned().unwrap_or_default();
        assert_eq!(listed.len(), mts.len(), "{name}");
        for (m, l) in mts.iter().zip(&listed) {
            let doc: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(m).expect("read")).expect("json");
            assert_eq!(l["id"], doc["mt_id"], "{}", m.display());
            let want = json_paths(&doc["scope"]["allowed_paths"]);
            let got = l["in_scope_paths"].as_array().map(|a| a.len()).unwrap_or(0);
            assert_eq!(got, want.len(), "{}", m.display());
        }
    }
    assert_eq!(folders, 7);
    // Stubs without an active twin are listed as stubs.
    let stubs: Vec<&serde_json::Value> = packets.iter().filter(|p| p["kind"] == "stub").collect();
    assert_eq!(stubs.len(), 5, "{stubs:?}");
    let mts: usize = packets
        .iter()
        .map(|p| p["microtasks"].as_array().map(|a| a.len()).unwrap_or(0))
        .sum();
    assert_eq!(mts, 80 + 74 + 27 + 5);
}

#[test]
fn june_board_has_no_false_missing_packet_and_the_spec_is_the_bundle() {
    let Some((r, _)) = repo("handshake-2026-06-22", true) else {
        return;
    };
    let known: Vec<String> = list(&r)
        .iter()
        .filter_map(|p| p["id"].as_str().map(str::to_string))
        .chain(["WP-1-ACE-Runtime-v2".to_string()])
        .collect();
    let out = wpgate(&r.path)
        .args(["check", "--repo", "--format", "json"])
        .output()
        .expect("run");
    assert_ne!(code(&out), 2, "{}", text(&out));
    let v = json(&out);
    for d in v["diagnostics"].as_array().into_iter().flatten() {
        if d["rule"] == "board.missing-packet" {
            let msg = d["message"].as_str().unwrap_or("");
            for id in &known {
                assert!(
                    !msg.contains(&format!(" {id} ")),
                    "false board.missing-packet: {msg}"
                );
            }
        }
    }
}

#[test]
fn june_commits_bind_by_short_id_and_microtask() {
    let Some((r, _)) = repo("handshake-2026-06-22", true) else {
        return;
    };
    let base = r.head();
    let code_file = "src/frontend/handshake_native/src/code_editor/mod.rs";
    // The team's own subject forms, with a short id: bound, in MT-001's scope.
    for msg in [
        "feat(WP-KERNEL-012): MT-001 text buffer",
        "WP-KERNEL-012 MT-001: text buffer",
    ] {
        let rules = range_errors(&r, &base, msg, &[(code_file, "pub struct Buffer;\n")]);
        assert!(
            !rules
                .iter()
                .any(|x| x.starts_with("binding.") || x == "scope.out-of-scope"),
            "{msg}: {rules:?}"
        );
    }
    // In the packet's scope (src/frontend/**) but not in MT-001's.
    let rules = range_errors(
        &r,
        &base,
        "feat(WP-KERNEL-012): MT-001 sneak",
        &[(
            "src/frontend/handshake_native/src/other.rs",
            "pub fn x() {}\n",
        )],
    );
    assert!(
        rules.contains(&"scope.out-of-scope".to_string()),
        "{rules:?}"
    );
    // Without a microtask, the packet's scope applies.
    let rules = range_errors(
        &r,
        &base,
        "feat(WP-KERNEL-012): shell glue",
        &[(
            "src/frontend/handshake_native/src/other.rs",
            "pub fn x() {}\n",
        )],
    );
    assert!(
        !rules.contains(&"scope.out-of-scope".to_string()),
        "{rules:?}"
    );
    // A microtask the packet does not have.
    let rules = range_errors(
        &r,
        &base,
        "WP-KERNEL-012 MT-999: x",
        &[(code_file, "pub struct Buffer;\n")],
    );
    assert!(
        rules.contains(&"binding.unknown-microtask".to_string()),
        "{rules:?}"
    );
    // A stub is known but authorises nothing.
    let rules = range_errors(
        &r,
        &base,
        "feat(WP-1-AI-Job-Model-v4): jobs",
        &[("src/backend/jobs.rs", "pub fn jobs() {}\n")],
    );
    assert!(
        rules.contains(&"packet.inactive-status".to_string()),
        "{rules:?}"
    );
    assert!(
        !rules.contains(&"binding.unknown-packet".to_string()),
        "{rules:?}"
    );
    // `WP-1-ACE` is the prefix of three packets: ambiguous, never a guess.
    let rules = range_errors(
        &r,
        &base,
        "feat(WP-1-ACE): x",
        &[("src/backend/handshake_core/src/ace/mod.rs", "// x\n")],
    );
    assert!(
        rules.contains(&"binding.ambiguous-packet".to_string()),
        "{rules:?}"
    );
}
