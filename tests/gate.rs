//! The diff gate through every entrypoint: for each scenario, a hooked `git commit`
//! (pre-commit + commit-msg), `wpgate check --commit`, `--range`, `wpgate ci --base`,
//! the pre-push binary and a hooked `git push` reach the same verdict. Every wpgate run
//! is checked not to write to the repository.

mod common;

use common::*;

fn wp_msg(subject: &str) -> String {
    format!("{subject} [{WP}]")
}

#[test]
fn in_scope_commit_is_accepted() {
    let g = Gated::new();
    g.stage(&[(
        "src/storage/mod.rs",
        "pub trait Storage { fn get(&self); }\n",
    )]);
    everywhere(&g, &wp_msg("feat: storage"), &[], &[]);
}

#[test]
fn out_of_scope_commit_is_refused() {
    let g = Gated::new();
    g.stage(&[("src/api/jobs.rs", "pub fn jobs() -> usize { 0 }\n")]);
    everywhere(&g, &wp_msg("feat: jobs"), &[], &["scope.out-of-scope"]);
}

#[test]
fn not_listed_path_is_out_of_scope() {
    let g = Gated::new();
    g.stage(&[("src/main.rs", "fn main() { println!(); }\n")]);
    everywhere(&g, &wp_msg("feat: main"), &[], &["scope.out-of-scope"]);
}

#[test]
fn locked_packet_edit_is_refused() {
    let g = Gated::new();
    let p = g.packet_path();
    let text = g.read(&p).replace(
        "  * tests/storage_test.rs\n",
        "  * tests/storage_test.rs\n  * src/api/jobs.rs\n",
    );
    g.stage(&[(&p, &text)]);
    everywhere(
        &g,
        &wp_msg("docs: widen"),
        &[],
        &["lock.locked-packet-edited"],
    );
}

/// A packet locked by `wpgate packet lock` carries a digest: an edit trips both rules.
fn digest_locked() -> Gated {
    Gated::with(|r| {
        r.write(&format!("docs/task_packets/{WP}.md"), PACKET);
        // The signature is consumed by the lock below, not before.
        r.write("docs/SIGNATURE_AUDIT.md", AUDIT);
        r.git(&["commit", "-q", "-am", "unlock"]);
        wpgate(&r.path)
            .args(["packet", "lock", WP, "--signature", SIGNATURE])
            .assert()
            .success();
        r.git(&["commit", "-q", "-am", "lock"]);
    })
}

#[test]
fn locked_packet_edit_with_digest_is_refused_twice() {
    let g = digest_locked();
    let p = g.packet_path();
    assert!(
        g.read(&p).contains("sha256:"),
        "packet lock writes a digest"
    );
    let text = g.read(&p).replace("6-8 hours", "2 hours");
    g.stage(&[(&p, &text)]);
    everywhere(
        &g,
        &wp_msg("docs: effort"),
        &[],
        &["lock.digest-mismatch", "lock.locked-packet-edited"],
    );
}

#[test]
fn validation_report_after_footer_is_accepted() {
    for g in [Gated::new(), digest_locked()] {
        let p = g.packet_path();
        let text = format!(
            "{}\n## VALIDATION REPORT (2026-11-24)\nVerdict: PASS\n- src/storage/mod.rs:1\n",
            g.read(&p)
        );
        g.stage(&[(&p, &text)]);
        everywhere(&g, &wp_msg("docs: validation report"), &[], &[]);
    }
}

#[test]
fn status_change_in_locked_packet_is_accepted() {
    let g = digest_locked();
    let p = g.packet_path();
    let text = g
        .read(&p)
        .replace("STATUS: In Progress", "STATUS: Ready for Dev");
    g.stage(&[(&p, &text)]);
    everywhere(&g, &wp_msg("docs: status"), &[], &[]);
}

#[test]
fn deleting_a_locked_packet_is_refused() {
    let g = Gated::new();
    g.r.git(&["rm", "-q", &g.packet_path()]);
    // Bound to the deleted packet: it is unknown in the new tree, and the lock is broken.
    everywhere(&g, "docs: drop packet", &[], &["lock.locked-packet-edited"]);
}

#[test]
fn renaming_a_locked_packet_is_refused() {
    let g = Gated::new();
    g.r.git(&[
        "mv",
        &g.packet_path(),
        "docs/task_packets/WP-1-Storage-Layer-v2.md",
    ]);
    everywhere(
        &g,
        &wp_msg("docs: rename"),
        &[],
        &["lock.locked-packet-edited"],
    );
}

#[test]
fn no_packet_named_is_refused() {
    let g = Gated::new();
    g.stage(&[("src/storage/mod.rs", "pub trait Storage {}\n// x\n")]);
    everywhere(&g, "refactor storage", &[], &["binding.no-packet"]);
}

#[test]
fn unknown_packet_is_refused() {
    let g = Gated::new();
    g.stage(&[("src/storage/mod.rs", "pub trait Storage {}\n// x\n")]);
    everywhere(&g, "feat: x [WP-1-Nope]", &[], &["binding.unknown-packet"]);
}

#[test]
fn binding_by_trailer() {
    let g = Gated::new();
    g.stage(&[("src/storage/mod.rs", "pub trait Storage {}\n// t\n")]);
    everywhere(&g, &format!("feat: storage\n\nWork-Packet: {WP}"), &[], &[]);
    g.stage(&[("src/api/jobs.rs", "// t\n")]);
    everywhere(
        &g,
        &format!("feat: jobs\n\nWork-Packet: {WP}"),
        &[],
        &["scope.out-of-scope"],
    );
}

#[test]
fn binding_by_branch_name() {
    let g = Gated::new();
    g.r.git(&["checkout", "-q", "-b", &format!("wp/{WP}")]);
    g.stage(&[("src/storage/mod.rs", "pub trait Storage {}\n// b\n")]);
    everywhere(&g, "feat: storage", &[], &[]);
    // The branch binding is known before the message: pre-commit already refuses.
    g.stage(&[("src/api/jobs.rs", "// b\n")]);
    let pre = ro(
        "wpgate",
        g.path(),
        &["--format", "json", "check", "--staged"],
        &[],
        None,
    );
    assert_eq!(verdict_of(&pre, "pre-commit"), ["scope.out-of-scope"]);
    everywhere(&g, "feat: jobs", &[], &["scope.out-of-scope"]);
}

#[test]
fn binding_by_environment() {
    let g = Gated::new();
    let env = [("WPGATE_WP", WP)];
    g.stage(&[("src/storage/mod.rs", "pub trait Storage {}\n// e\n")]);
    everywhere(&g, "feat: storage", &env, &[]);
    g.stage(&[("src/api/jobs.rs", "// e\n")]);
    let pre = ro(
        "wpgate",
        g.path(),
        &["--format", "json", "check", "--staged"],
        &env,
        None,
    );
    assert_eq!(verdict_of(&pre, "pre-commit"), ["scope.out-of-scope"]);
    everywhere(&g, "feat: jobs", &env, &["scope.out-of-scope"]);
}

#[test]
fn unlocked_packet_is_refused() {
    let g = Gated::with(|r| {
        r.write(&format!("docs/task_packets/{WP}.md"), PACKET);
        // The signature is consumed by the lock below, not before.
        r.write("docs/SIGNATURE_AUDIT.md", AUDIT);
        r.git(&["commit", "-q", "-am", "unlock"]);
    });
    g.stage(&[("src/storage/mod.rs", "pub trait Storage {}\n// u\n")]);
    everywhere(&g, &wp_msg("feat"), &[], &["packet.not-locked"]);
}

#[test]
fn inactive_packet_is_refused() {
    let g = Gated::with(|r| {
        let t = locked_packet().replace("STATUS: In Progress", "STATUS: Validated");
        r.write(&format!("docs/task_packets/{WP}.md"), t);
        r.git(&["commit", "-q", "-am", "validated"]);
    });
    g.stage(&[("src/storage/mod.rs", "pub trait Storage {}\n// v\n")]);
    everywhere(&g, &wp_msg("feat"), &[], &["packet.inactive-status"]);
}

#[test]
fn orchestrator_may_not_touch_src() {
    let g = Gated::new();
    g.stage(&[("src/storage/mod.rs", "pub trait Storage {}\n// o\n")]);
    everywhere(
        &g,
        &format!("feat: storage [{WP}]\n\nRole: Orchestrator"),
        &[],
        &["role.forbidden-path"],
    );
}

#[test]
fn rename_across_the_scope_boundary_is_checked_on_both_paths() {
    // Out of scope -> in scope: the old path is out of scope.
    let g = Gated::new();
    g.r.git(&["mv", "src/api/jobs.rs", "src/storage/sqlite.rs"]);
    everywhere(&g, &wp_msg("refactor: move"), &[], &["scope.out-of-scope"]);
    let out = ro(
        "wpgate",
        g.path(),
        &["--format", "json", "check", "--commit", "HEAD"],
        &[],
        None,
    );
    let v = json(&out);
    let paths: Vec<&str> = v["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["path"].as_str())
        .collect();
    assert_eq!(paths, ["src/api/jobs.rs"], "{v}");
    // In scope -> out of scope: the new path is out of scope.
    let g = Gated::new();
    g.r.git(&["mv", "src/storage/mod.rs", "src/api/storage.rs"]);
    everywhere(&g, &wp_msg("refactor: move"), &[], &["scope.out-of-scope"]);
}

#[test]
fn push_of_several_refs_one_bad_is_refused_and_deletion_checks_nothing() {
    let g = Gated::new();
    let dir = g.path();
    git(dir, &["checkout", "-q", "-b", "good"]);
    g.stage(&[("src/storage/mod.rs", "pub trait Storage {}\n// good\n")]);
    git(
        dir,
        &["commit", "-q", "--no-verify", "-m", &wp_msg("feat: good")],
    );
    let good = g.r.head();
    git(dir, &["checkout", "-q", "-b", "bad", "main"]);
    g.stage(&[("src/api/jobs.rs", "// bad\n")]);
    git(
        dir,
        &["commit", "-q", "--no-verify", "-m", &wp_msg("feat: bad")],
    );
    let bad = g.r.head();
    let url = g.remote.to_str().expect("utf-8");
    let stdin = format!(
        "refs/heads/good {good} refs/heads/good {ZERO}\nrefs/heads/bad {bad} refs/heads/bad {ZERO}\n"
    );
    let out = ro(
        "wpgate",
        dir,
        &["--format", "json", "pre-push", "origin", url],
        &[],
        Some(&stdin),
    );
    assert_eq!(verdict_of(&out, "pre-push"), ["scope.out-of-scope"]);
    assert_commit_field(&out, Some(&bad), "pre-push");
    let (ok, text) = git_hooked_env(dir, &["push", "origin", "good", "bad"], &[]);
    assert!(!ok, "{text}");
    assert!(text.contains("scope.out-of-scope"), "{text}");
    // Nothing reached the remote (the hook refuses the whole push).
    assert!(
        !git_try(
            &g.remote,
            &["rev-parse", "-q", "--verify", "refs/heads/good"]
        )
        .0
    );
    // The good branch alone is accepted.
    let (ok, text) = git_hooked_env(dir, &["push", "origin", "good"], &[]);
    assert!(ok, "{text}");
    // The bad branch reaches the remote with --no-verify; deleting it checks nothing.
    git(dir, &["push", "-q", "--no-verify", "origin", "bad"]);
    let del = format!("(delete) {ZERO} refs/heads/bad {bad}\n");
    let out = ro(
        "wpgate",
        dir,
        &["--format", "json", "pre-push", "origin", url],
        &[],
        Some(&del),
    );
    assert_eq!(verdict_of(&out, "pre-push delete"), Vec::<String>::new());
    let (ok, text) = git_hooked_env(dir, &["push", "origin", ":bad"], &[]);
    assert!(ok, "branch deletion refused: {text}");
}
