//! Repository governance rules through the binary, on real temp repositories: each rule
//! fires on a mutation of a clean governed repository and stays quiet on the clean one.

mod common;

use common::*;

fn packet_path() -> String {
    format!("docs/task_packets/{WP}.md")
}

/// Runs a command with JSON output; returns (exit code, report).
fn run(r: &TestRepo, args: &[&str]) -> (i32, serde_json::Value) {
    let mut a: Vec<&str> = args.to_vec();
    a.extend(["--format", "json"]);
    let out = wpgate(&r.path).args(&a).output().expect("run");
    let code = out.status.code().unwrap_or(-1);
    assert_ne!(
        code,
        2,
        "{args:?}: exit 2: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (code, json(&out))
}

fn rules(v: &serde_json::Value) -> Vec<(String, String)> {
    v["diagnostics"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|d| {
                    (
                        d["rule"].as_str().unwrap_or("").to_string(),
                        d["severity"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn edit(r: &TestRepo, path: &str, from: &str, to: &str) {
    let p = r.path.join(path);
    let text = std::fs::read_to_string(&p).expect("read");
    assert!(text.contains(from), "{path} does not contain {from:?}");
    std::fs::write(&p, text.replacen(from, to, 1)).expect("write");
}

#[test]
fn the_governed_fixture_is_clean() {
    let r = governed();
    let (code, v) = run(&r, &["check", "--repo"]);
    assert_eq!(rules(&v), vec![], "{v:#}");
    assert_eq!(code, 0);
    for cmd in [
        &["spec", "check"][..],
        &["board", "check"],
        &["oss", "check"],
        &["deps"],
    ] {
        let (code, v) = run(&r, cmd);
        assert_eq!((code, rules(&v)), (0, vec![]), "{cmd:?}");
    }
}

/// (rule, expected severity, mutation) for `check --repo`.
type Mutation = fn(&TestRepo);

fn repo_rule_cases() -> Vec<(&'static str, &'static str, Mutation)> {
    vec![
        ("spec.current-missing", "error", |r| {
            r.write(
                "docs/SPEC_CURRENT.md",
                "# SPEC_CURRENT\n\n**Gone_Spec_v01.001.md**\n",
            )
        }),
        ("spec.not-latest", "error", |r| {
            r.write("Demo_Master_Spec_v01.010.md", SPEC)
        }),
        ("spec.anchor-missing", "error", |r| {
            edit(r, &packet_path(), "§2.1.1 (Storage Trait)", "§2.9.9")
        }),
        ("spec.anchor-roadmap", "error", |r| {
            edit(r, &packet_path(), "§2.1.1 (Storage Trait)", "§7.1")
        }),
        ("spec.anchor-malformed", "error", |r| {
            edit(
                r,
                &packet_path(),
                "§2.1.1 (Storage Trait)",
                "the storage section",
            )
        }),
        ("spec.anchor-title-mismatch", "warning", |r| {
            edit(
                r,
                &packet_path(),
                "§2.1.1 (Storage Trait)",
                "§2.1.1 (Migrations)",
            )
        }),
        ("spec.done-means-unmapped", "warning", |r| {
            r.write("wpgate.toml", "[spec]\nrequire_done_means_mapping = true\n")
        }),
        ("board.status-mismatch", "error", |r| {
            edit(r, "docs/TASK_BOARD.md", "[IN PROGRESS]", "[VALIDATED]")
        }),
        ("board.missing-packet", "error", |r| {
            edit(
                r,
                "docs/TASK_BOARD.md",
                "## Done\n",
                "## Done\n- **[WP-1-Ghost]** - [VALIDATED]\n",
            )
        }),
        ("board.unlisted-packet", "warning", |r| {
            r.write(
                "docs/TASK_BOARD.md",
                "# Demo Task Board\n\n## In Progress\n",
            )
        }),
        ("deps.unknown", "error", |r| {
            edit(
                r,
                &packet_path(),
                "None (foundational)",
                "WP-1-Ghost-Packet",
            )
        }),
        ("deps.cycle", "error", |r| {
            edit(r, &packet_path(), "None (foundational)", "WP-1-Other");
            let other = PACKET
                .replace(WP, "WP-1-Other")
                .replace("None (foundational)", WP)
                .replace("src/storage/", "src/other/");
            r.write(
                "docs/task_packets/WP-1-Other.md",
                other + &footer("demo241120261000"),
            );
            edit(
                r,
                "docs/TASK_BOARD.md",
                "## Done\n",
                "## Done\n- **[WP-1-Other]** - [IN PROGRESS]\n",
            );
        }),
        ("scope.overlap", "warning", |r| {
            let other = PACKET.replace(WP, "WP-1-Other");
            r.write(
                "docs/task_packets/WP-1-Other.md",
                other + &footer("demo241120261000"),
            );
            edit(
                r,
                "docs/TASK_BOARD.md",
                "## Done\n",
                "## Done\n- **[WP-1-Other]** - [IN PROGRESS]\n",
            );
        }),
        ("oss.unregistered-dependency", "error", |r| {
            edit(
                r,
                "Cargo.toml",
                "serde = \"1\"\n",
                "serde = \"1\"\nleftpad = \"0.1\"\n",
            )
        }),
        ("oss.forbidden-license", "error", |r| {
            edit(
                r,
                "docs/OSS_REGISTER.md",
                "| serde | MIT/Apache-2.0 |",
                "| serde | GPL-3.0-only |",
            )
        }),
        ("oss.register-missing", "error", |r| {
            std::fs::remove_file(r.path.join("docs/OSS_REGISTER.md")).expect("rm")
        }),
        ("oss.manifest-invalid", "error", |r| {
            r.write("Cargo.toml", "[package\nname = \"demo\"\n")
        }),
        ("signature.format", "error", |r| {
            edit(r, &packet_path(), SIGNATURE, "ilja")
        }),
        ("signature.reused", "error", |r| {
            let other = PACKET
                .replace(WP, "WP-1-Other")
                .replace("src/storage/", "src/other/");
            r.write(
                "docs/task_packets/WP-1-Other.md",
                other + &footer(SIGNATURE),
            );
        }),
        ("signature.unrecorded", "warning", |r| {
            r.write("docs/SIGNATURE_AUDIT.md", AUDIT)
        }),
        ("signature.audit-mismatch", "warning", |r| {
            edit(
                r,
                "docs/SIGNATURE_AUDIT.md",
                "2026-11-24 09:00",
                "2026-11-25 09:00",
            )
        }),
        ("waiver.invalid", "error", |r| {
            r.write(
                "docs/WAIVERS.toml",
                "[[waiver]]\nid = \"W-1\"\nrule = \"oss.*\"\npaths = [\"**\"]\nreason = \"x\"\napproved_by = \"lead\"\napproved = \"25.12.2025\"\nexpires = \"phase:1\"\n",
            )
        }),
        ("waiver.expired", "error", |r| {
            r.write(
                "docs/WAIVERS.toml",
                "[[waiver]]\nid = \"W-1\"\nrule = \"oss.*\"\npaths = [\"**\"]\nreason = \"x\"\napproved_by = \"lead\"\napproved = \"2023-01-01\"\nexpires = \"2023-02-01\"\n",
            )
        }),
        ("waiver.unused", "warning", |r| {
            r.write(
                "docs/WAIVERS.toml",
                "[[waiver]]\nid = \"W-1\"\nrule = \"oss.*\"\npaths = [\"**\"]\nreason = \"x\"\napproved_by = \"lead\"\napproved = \"2023-01-01\"\nexpires = \"phase:1\"\n",
            )
        }),
        ("lock.digest-mismatch", "error", |r| {
            edit(
                r,
                &packet_path(),
                &format!("**User Signature Locked:** {SIGNATURE}\n"),
                &format!(
                    "**User Signature Locked:** {SIGNATURE}\n**Lock Digest:** sha256:{}\n",
                    "0".repeat(64)
                ),
            )
        }),
    ]
}

#[test]
fn each_repository_rule_fires_on_its_mutation_and_only_then() {
    let mut failures = Vec::new();
    for (rule, severity, mutate) in repo_rule_cases() {
        let r = governed();
        mutate(&r);
        let (code, v) = run(&r, &["check", "--repo"]);
        let found = rules(&v);
        if !found.iter().any(|(id, sev)| id == rule && sev == severity) {
            failures.push(format!("{rule}: expected a {severity}, got {found:?}"));
            continue;
        }
        let expect_code = if found.iter().any(|(_, s)| s == "error") {
            1
        } else {
            0
        };
        if code != expect_code {
            failures.push(format!("{rule}: exit {code}, expected {expect_code}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn board_stalled_counts_days_since_the_last_commit_touching_the_packet() {
    let r = governed();
    let (_, v) = run(&r, &["board", "check"]);
    assert!(!rules(&v).iter().any(|(id, _)| id == "board.stalled"));
    let out = wpgate(&r.path)
        .env("WPGATE_TODAY", "2024-06-01")
        .args(["board", "check", "--format", "json"])
        .output()
        .expect("run");
    let v = json(&out);
    assert!(
        rules(&v).contains(&("board.stalled".into(), "warning".into())),
        "{v:#}"
    );
}

#[test]
fn a_live_waiver_turns_a_finding_into_a_note_with_its_id() {
    let r = governed();
    edit(
        &r,
        "Cargo.toml",
        "serde = \"1\"\n",
        "serde = \"1\"\nleftpad = \"0.1\"\n",
    );
    r.write(
        "docs/WAIVERS.toml",
        "[[waiver]]\nid = \"WVR-7\"\nrule = \"oss.unregistered-dependency\"\npaths = [\"Cargo.toml\"]\nreason = \"vetting in progress\"\napproved_by = \"lead\"\napproved = \"2023-11-01\"\nexpires = \"2023-12-31\"\n",
    );
    let (code, v) = run(&r, &["check", "--repo"]);
    assert_eq!(code, 0, "{v:#}");
    let d = v["diagnostics"]
        .as_array()
        .expect("array")
        .iter()
        .find(|d| d["rule"] == "oss.unregistered-dependency")
        .expect("waived finding listed");
    assert_eq!(d["severity"], "note");
    assert_eq!(d["waiver"], "WVR-7");
    // After its expiry the waiver no longer applies and is itself reported.
    let out = wpgate(&r.path)
        .env("WPGATE_TODAY", "2024-01-02")
        .args(["check", "--repo", "--format", "json"])
        .output()
        .expect("run");
    let v = json(&out);
    let found = rules(&v);
    assert!(
        found.contains(&("oss.unregistered-dependency".into(), "error".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("waiver.expired".into(), "error".into())),
        "{found:?}"
    );
}

#[test]
fn phase_gate_blocks_until_every_packet_is_validated() {
    let r = governed();
    let out = wpgate(&r.path)
        .args(["phase", "check", "1"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(WP) && text.contains("phase.not-validated"),
        "{text}"
    );
    edit(
        &r,
        &packet_path(),
        "- STATUS: In Progress",
        "- STATUS: Validated",
    );
    edit(&r, "docs/TASK_BOARD.md", "[IN PROGRESS]", "[VALIDATED]");
    let (code, v) = run(&r, &["phase", "check", "1"]);
    assert_eq!((code, rules(&v)), (0, vec![]), "{v:#}");
    // A waiver that outlives the phase blocks its closure.
    r.write(
        "docs/WAIVERS.toml",
        "[[waiver]]\nid = \"W-9\"\nrule = \"content.*\"\npaths = [\"src/**\"]\nreason = \"x\"\napproved_by = \"lead\"\napproved = \"2023-11-01\"\nexpires = \"phase:2\"\n",
    );
    let (code, v) = run(&r, &["phase", "check", "1"]);
    assert_eq!(code, 1);
    assert!(
        rules(&v).contains(&("phase.waiver-outlives".into(), "error".into())),
        "{v:#}"
    );
}

#[test]
fn spec_requirements_trace_and_the_dependency_graph() {
    let r = governed();
    let out = wpgate(&r.path)
        .args(["spec", "requirements", "§2.1.1"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Demo_Master_Spec_v01.002.md:"), "{text}");
    assert!(
        text.contains("MUST go through the `Storage` trait"),
        "{text}"
    );
    assert!(text.contains("SHOULD NOT hold a connection pool"), "{text}");
    let out = wpgate(&r.path).args(["trace", WP]).output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("unmapped"), "{text}");
    assert!(
        text.contains("Storage trait defined with async methods"),
        "{text}"
    );
    let out = wpgate(&r.path)
        .args(["deps", "--format", "dot"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("digraph"));
}

/// Commits `files` with --no-verify and checks that commit; returns the report.
fn commit_and_check(r: &TestRepo, msg: &str, files: &[(&str, &str)]) -> (i32, serde_json::Value) {
    for (p, c) in files {
        r.write(p, c);
        r.git(&["add", "--", p]);
    }
    r.git(&["commit", "-q", "--no-verify", "-m", msg]);
    run(r, &["check", "--commit", "HEAD"])
}

#[test]
fn the_master_spec_is_frozen_except_under_a_spec_update_packet() {
    let r = governed();
    let (code, v) = commit_and_check(
        &r,
        &format!("spec tweak [{WP}]"),
        &[(
            "Demo_Master_Spec_v01.002.md",
            &format!("{SPEC}\nMore text.\n"),
        )],
    );
    assert_eq!(code, 1);
    assert!(
        rules(&v).contains(&("spec.frozen".into(), "error".into())),
        "{v:#}"
    );

    // A new versioned file plus SPEC_CURRENT under a SpecUpdate packet is the way.
    let r = governed();
    let upd = "WP-1-SpecUpdate-Storage";
    let packet = PACKET.replace(WP, upd).replace(
        "  * src/storage/mod.rs\n  * src/storage/sqlite.rs\n  * tests/storage_test.rs\n",
        "  * Demo_Master_Spec_v01.003.md\n  * docs/SPEC_CURRENT.md\n",
    );
    r.write(
        &format!("docs/task_packets/{upd}.md"),
        packet + &footer("demo241120261100"),
    );
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "--no-verify", "-m", "new packet"]);
    let (code, v) = commit_and_check(
        &r,
        &format!("spec v01.003 [{upd}]"),
        &[
            (
                "Demo_Master_Spec_v01.003.md",
                &format!("{SPEC}\nMore text.\n"),
            ),
            (
                "docs/SPEC_CURRENT.md",
                &SPEC_CURRENT.replace("v01.002", "v01.003"),
            ),
        ],
    );
    assert!(
        !rules(&v).iter().any(|(id, _)| id == "spec.frozen"),
        "{v:#}"
    );
    assert_eq!(code, 0, "{v:#}");
}

#[test]
fn work_under_a_packet_with_an_unvalidated_dependency_is_blocked() {
    let r = governed();
    let dep = "WP-1-Schema";
    let dep_packet = PACKET
        .replace(WP, dep)
        .replace("src/storage/", "src/schema/")
        .replace("- STATUS: In Progress", "- STATUS: Ready for Dev");
    r.write(
        &format!("docs/task_packets/{dep}.md"),
        dep_packet + &footer("demo241120261200"),
    );
    edit(&r, &packet_path(), "None (foundational)", dep);
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "--no-verify", "-m", "dependency"]);
    let (code, v) = commit_and_check(
        &r,
        &format!("feat [{WP}]"),
        &[("src/storage/mod.rs", "pub trait Storage { fn x(&self); }\n")],
    );
    assert_eq!(code, 1);
    assert!(
        rules(&v).contains(&("deps.blocked".into(), "error".into())),
        "{v:#}"
    );
}

#[test]
fn content_rules_see_only_added_lines_and_skip_large_files_with_a_note() {
    let r = governed();
    // An unwrap that already exists is not the change's doing.
    r.write(
        "src/storage/sqlite.rs",
        "pub fn a() { Some(1).unwrap(); }\n",
    );
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "--no-verify", "-m", "existing"]);
    let (code, v) = commit_and_check(
        &r,
        &format!("feat [{WP}]"),
        &[(
            "src/storage/sqlite.rs",
            "pub fn a() { Some(1).unwrap(); }\npub fn b() -> u8 { \"1\".parse().unwrap() }\n// TODO: tidy\n",
        )],
    );
    assert_eq!(code, 1);
    let d: Vec<&serde_json::Value> = v["diagnostics"]
        .as_array()
        .expect("array")
        .iter()
        .filter(|d| d["rule"] == "content.unwrap")
        .collect();
    assert_eq!(d.len(), 1, "{v:#}");
    assert_eq!(d[0]["line"], 2);
    assert_eq!(d[0]["path"], "src/storage/sqlite.rs");
    assert!(rules(&v).contains(&("content.todo-comment".into(), "warning".into())));
    // Tests may unwrap.
    let (code, v) = commit_and_check(
        &r,
        &format!("test [{WP}]"),
        &[(
            "tests/storage_test.rs",
            "#[test]\nfn t() { Some(1).unwrap(); }\n",
        )],
    );
    assert_eq!((code, rules(&v)), (0, vec![]), "{v:#}");
    // Above the size bound: a note, never silence. (The bound is the trusted policy's:
    // committed first, on its own.)
    r.write("wpgate.toml", "[limits]\nmax_content_bytes = 64\n");
    r.git(&["add", "wpgate.toml"]);
    r.git(&["commit", "-q", "--no-verify", "-m", "gov: content bound"]);
    let (code, v) = commit_and_check(
        &r,
        &format!("big [{WP}]"),
        &[(
            "src/storage/mod.rs",
            &format!("pub trait Storage {{}}\n// {}\n", "x".repeat(200)),
        )],
    );
    assert_eq!(code, 0, "{v:#}");
    assert!(
        rules(&v).contains(&("content.skipped".into(), "note".into())),
        "{v:#}"
    );
}

#[test]
fn a_dependency_added_without_a_register_entry_is_refused_in_the_diff() {
    let r = governed();
    let packet = PACKET
        .replace(WP, "WP-1-Deps")
        .replace("  * src/storage/mod.rs\n", "  * Cargo.toml\n");
    r.write(
        "docs/task_packets/WP-1-Deps.md",
        packet + &footer("demo241120261300"),
    );
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "--no-verify", "-m", "packet"]);
    let (code, v) = commit_and_check(
        &r,
        "deps [WP-1-Deps]",
        &[(
            "Cargo.toml",
            &CARGO.replace("serde = \"1\"\n", "serde = \"1\"\nleftpad = \"0.1\"\n"),
        )],
    );
    assert_eq!(code, 1);
    let d = v["diagnostics"]
        .as_array()
        .expect("array")
        .iter()
        .find(|d| d["rule"] == "oss.unregistered-dependency")
        .expect("finding");
    assert_eq!(d["path"], "Cargo.toml");
    assert_eq!(d["line"], 8);
    assert!(d["commit"].as_str().is_some_and(|c| c.len() == 40));
}

#[test]
fn the_orchestrator_records_a_lock_under_its_role_and_nobody_else_touches_the_audit() {
    let r = governed();
    let audit = format!(
        "{}| demo241120261400 | Orchestrator | 2026-11-24 14:00 | Task packet lock: WP-1-Next | v01.002 | |\n",
        audit()
    );
    // Without a role or a packet naming it, the audit is protected.
    let (code, v) = commit_and_check(&r, "audit row", &[("docs/SIGNATURE_AUDIT.md", &audit)]);
    assert_eq!(code, 1);
    assert!(
        rules(&v).contains(&("policy.changed".into(), "error".into())),
        "{v:#}"
    );
    // The Orchestrator role may write it (and packets and the board), never code.
    let (code, v) = commit_and_check(
        &r,
        "audit row\n\nRole: Orchestrator",
        &[("docs/SIGNATURE_AUDIT.md", &format!("{audit}\n"))],
    );
    assert_eq!((code, rules(&v)), (0, vec![]), "{v:#}");
    let (code, v) = commit_and_check(
        &r,
        &format!("sneak [{WP}]\n\nRole: Orchestrator"),
        &[("src/storage/mod.rs", "pub trait Storage { fn y(&self); }\n")],
    );
    assert_eq!(code, 1);
    assert!(
        rules(&v).contains(&("role.forbidden-path".into(), "error".into())),
        "{v:#}"
    );
}

/// The demo spec split into a bundle: a JSON SPEC_CURRENT naming a manifest of three
/// modules (with frontmatter). The old single-file spec stays in the repository, named
/// in SPEC_CURRENT only as a baseline.
fn bundled(r: &TestRepo) {
    let (head, rest) = SPEC.split_once("## 2. Architecture").expect("section 2");
    let (arch, roadmap) = rest.split_once("## 7. Roadmap").expect("section 7");
    let module = |id: &str, body: String| {
        format!("---\nmodule_id: \"{id}\"\nspec_version: \"v01.003\"\n---\n{body}")
    };
    r.write(
        "docs/SPEC_CURRENT.md",
        "{\n  \"current_spec\": {\n    \"entrypoint_path\": \"spec/v01.003/manifest.json\",\n    \"source_baseline_path\": \"Demo_Master_Spec_v01.002.md\"\n  }\n}\n",
    );
    r.write(
        "spec/v01.003/manifest.json",
        "{\n  \"spec_version\": \"v01.003\",\n  \"modules\": [\n    {\"path\": \"modules/01-vision.md\"},\n    {\"path\": \"modules/02-architecture.md\"},\n    {\"path\": \"modules/07-roadmap.md\"}\n  ]\n}\n",
    );
    r.write(
        "spec/v01.003/modules/01-vision.md",
        module("01", head.to_string()),
    );
    r.write(
        "spec/v01.003/modules/02-architecture.md",
        module("02", format!("## 2. Architecture{arch}")),
    );
    r.write(
        "spec/v01.003/modules/07-roadmap.md",
        module("07", format!("## 7. Roadmap{roadmap}")),
    );
    r.git(&["add", "-A"]);
    r.git(&[
        "commit",
        "-q",
        "--no-verify",
        "-m",
        "split the spec into a bundle",
    ]);
}

#[test]
fn a_spec_bundle_is_checked_named_and_frozen() {
    let r = governed();
    bundled(&r);
    let (code, v) = run(&r, &["spec", "check"]);
    assert_eq!((code, rules(&v)), (0, vec![]), "{v:#}");
    let out = wpgate(&r.path)
        .args(["spec", "check"])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bundle v01.003 (3 modules, manifest spec/v01.003/manifest.json)"),
        "{err}"
    );
    let out = wpgate(&r.path)
        .args(["spec", "requirements", "2.1.1"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("spec/v01.003/modules/02-architecture.md:10: All database access MUST"),
        "{text}"
    );
    // A newer bundle beside the current one: SPEC_CURRENT is not the latest.
    r.write(
        "spec/v01.004/manifest.json",
        "{\n  \"modules\": [{\"path\": \"modules/01-vision.md\"}]\n}\n",
    );
    r.write("spec/v01.004/modules/01-vision.md", "# 1. Vision\n");
    let (code, v) = run(&r, &["spec", "check"]);
    assert_eq!(code, 1);
    assert_eq!(
        rules(&v),
        vec![("spec.not-latest".into(), "error".into())],
        "{v:#}"
    );
    assert!(
        v.to_string().contains("spec/v01.004/manifest.json"),
        "{v:#}"
    );
    std::fs::remove_dir_all(r.path.join("spec/v01.004")).expect("rm");
    // `trace` names the module file and its own line, like `spec requirements`.
    let out = wpgate(&r.path).args(["trace", WP]).output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("spec/v01.003/modules/02-architecture.md:10:"),
        "{text}"
    );
    // An anchor into the right module resolves; into another module it does not.
    edit(
        &r,
        &packet_path(),
        "§2.1.1 (Storage Trait)",
        "02-architecture.md#2.1.1 (Storage Trait), 07-roadmap.md#2.1",
    );
    let (code, v) = run(&r, &["spec", "check"]);
    assert_eq!(code, 1);
    assert_eq!(
        rules(&v),
        vec![("spec.anchor-missing".into(), "error".into())],
        "{v:#}"
    );
    r.git(&["checkout", "-q", "--", "."]);

    // Editing a module under an ordinary packet is a freeze violation…
    let m7 = "spec/v01.003/modules/07-roadmap.md";
    let text = std::fs::read_to_string(r.path.join(m7)).expect("read");
    let (code, v) = commit_and_check(
        &r,
        &format!("roadmap tweak [{WP}]"),
        &[(m7, &format!("{text}\nMore text.\n"))],
    );
    assert_eq!(code, 1);
    assert!(
        rules(&v).contains(&("spec.frozen".into(), "error".into())),
        "{v:#}"
    );

    // …and allowed under a spec-update packet that has the module in scope.
    let r = governed();
    bundled(&r);
    let upd = "WP-1-SpecUpdate-Roadmap";
    let packet = PACKET.replace(WP, upd).replace(
        "  * src/storage/mod.rs\n  * src/storage/sqlite.rs\n  * tests/storage_test.rs\n",
        &format!("  * {m7}\n"),
    );
    r.write(
        &format!("docs/task_packets/{upd}.md"),
        packet + &footer("demo241120261100"),
    );
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "--no-verify", "-m", "new packet"]);
    let (code, v) = commit_and_check(
        &r,
        &format!("roadmap v01.003 [{upd}]"),
        &[(m7, &format!("{text}\nMore text.\n"))],
    );
    assert!(
        !rules(&v).iter().any(|(id, _)| id == "spec.frozen"),
        "{v:#}"
    );
    assert_eq!(code, 0, "{v:#}");
}

#[test]
fn an_unresolvable_spec_bundle_is_current_missing() {
    let r = governed();
    bundled(&r);
    r.write(
        "docs/SPEC_CURRENT.md",
        "{\"current_spec\": {\"entrypoint_path\": ",
    );
    let (code, v) = run(&r, &["spec", "check"]);
    assert_eq!(code, 1);
    assert_eq!(
        rules(&v),
        vec![("spec.current-missing".into(), "error".into())],
        "{v:#}"
    );
    assert_eq!(v["diagnostics"][0]["line"], 1, "{v:#}");
    r.git(&["checkout", "-q", "--", "."]);
    std::fs::remove_file(r.path.join("spec/v01.003/modules/07-roadmap.md")).expect("rm");
    let (code, v) = run(&r, &["spec", "check"]);
    assert_eq!(code, 1);
    assert_eq!(
        rules(&v),
        vec![("spec.current-missing".into(), "error".into())],
        "{v:#}"
    );
    assert_eq!(
        v["diagnostics"][0]["path"], "spec/v01.003/manifest.json",
        "{v:#}"
    );
    // The phase gate counts it as a spec error.
    edit(
        &r,
        &packet_path(),
        "- STATUS: In Progress",
        "- STATUS: Validated",
    );
    edit(&r, "docs/TASK_BOARD.md", "[IN PROGRESS]", "[VALIDATED]");
    let (code, v) = run(&r, &["phase", "check", "1"]);
    assert_eq!(code, 1);
    assert_eq!(
        rules(&v),
        vec![("phase.spec-failing".into(), "error".into())],
        "{v:#}"
    );
}
