//! CI ranges (issue 12, item 5): a push that creates a branch (`before` all zeros) or a
//! run with only `GITHUB_SHA` checks every commit not on the default branch, as pre-push
//! does for a new branch; never only the tip, which would let an earlier `--no-verify`
//! commit through.

mod common;

use common::*;

/// A repository whose `origin/main` is the governed bootstrap, and a feature branch with
/// an out-of-scope commit (made with --no-verify) under an in-scope tip.
fn feature_with_a_hidden_bad_commit() -> (Gated, String, String) {
    let g = Gated::new();
    let base = g.r.head();
    g.r.git(&["checkout", "-q", "-b", "feature"]);
    g.stage(&[("src/api/jobs.rs", "pub fn jobs() { /* out of scope */ }\n")]);
    git(
        g.path(),
        &[
            "commit",
            "-q",
            "--no-verify",
            "-m",
            &format!("sneak [{WP}]"),
        ],
    );
    let bad = g.r.head();
    g.stage(&[("src/storage/mod.rs", "pub trait Storage { fn x(&self); }\n")]);
    git(
        g.path(),
        &["commit", "-q", "--no-verify", "-m", &format!("feat [{WP}]")],
    );
    let _ = base;
    let head = g.r.head();
    (g, bad, head)
}

fn ci_json(g: &Gated, env: &[(&str, &str)]) -> std::process::Output {
    let mut c = wpgate(g.path());
    c.args(["--format", "json", "ci"]);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run wpgate ci")
}

#[test]
fn a_push_creating_a_branch_checks_every_new_commit() {
    let (g, bad, head) = feature_with_a_hidden_bad_commit();
    let ev = g.r.dir.path().join("event.json");
    std::fs::write(
        &ev,
        serde_json::json!({
            "before": ZERO, "after": head,
            "repository": {"default_branch": "main"}
        })
        .to_string(),
    )
    .expect("event");
    let out = ci_json(
        &g,
        &[
            ("GITHUB_EVENT_NAME", "push"),
            ("GITHUB_EVENT_PATH", ev.to_str().expect("utf-8")),
        ],
    );
    assert_eq!(code(&out), 1, "{}", text(&out));
    let v = json(&out);
    assert!(
        error_rules(&v).contains(&"scope.out-of-scope".to_string()),
        "{v:#}"
    );
    let commits: Vec<&str> = v["diagnostics"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|d| d["commit"].as_str())
        .collect();
    assert!(
        commits.contains(&bad.as_str()),
        "the earlier commit is checked: {v:#}"
    );
}

#[test]
fn only_github_sha_checks_every_commit_not_on_the_default_branch() {
    let (g, bad, head) = feature_with_a_hidden_bad_commit();
    let out = ci_json(&g, &[("GITHUB_SHA", head.as_str())]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    let v = json(&out);
    let commits: Vec<&str> = v["diagnostics"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|d| d["commit"].as_str())
        .collect();
    assert!(commits.contains(&bad.as_str()), "{v:#}");
}

#[test]
fn without_a_default_branch_to_compare_with_it_fails_closed() {
    let (g, _bad, head) = feature_with_a_hidden_bad_commit();
    // No remote-tracking or local main/master: nothing tells which commits are new.
    g.r.git(&["update-ref", "-d", "refs/remotes/origin/main"]);
    g.r.git(&["branch", "-q", "-D", "main"]);
    let out = ci_json(&g, &[("GITHUB_SHA", head.as_str())]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("--base"), "{}", text(&out));
}

#[test]
fn a_push_to_the_default_branch_itself_still_checks_its_commit() {
    let g = Gated::new();
    g.stage(&[("src/api/jobs.rs", "pub fn jobs() { /* out of scope */ }\n")]);
    git(
        g.path(),
        &[
            "commit",
            "-q",
            "--no-verify",
            "-m",
            &format!("sneak [{WP}]"),
        ],
    );
    let head = g.r.head();
    git(
        g.path(),
        &[
            "push",
            "-q",
            "--no-verify",
            "origin",
            "HEAD:refs/heads/main",
        ],
    );
    let out = ci_json(&g, &[("GITHUB_SHA", head.as_str())]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(error_rules(&json(&out)).contains(&"scope.out-of-scope".to_string()));
}
