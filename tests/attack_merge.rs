//! Merges (issue 12, item 3): a path is skipped as "taken from another parent" only when
//! it is that parent's own change since the merge base and the first parent still holds
//! the merge-base version. A revert to an ancestor's version, a deletion, and any
//! governance file are checked as the merge's own change. The merges are built with
//! `git commit-tree`, as an attacker would.

mod common;

use common::*;

/// Commits `tree` with `parents` and `msg` (no hooks), moves main to it; returns its sha.
fn commit_tree(g: &Gated, tree: &str, parents: &[&str], msg: &str) -> String {
    let mut args = vec!["commit-tree", tree];
    for p in parents {
        args.push("-p");
        args.push(p);
    }
    args.push("-m");
    args.push(msg);
    let sha = git(g.path(), &args);
    git(g.path(), &["reset", "-q", "--hard", &sha]);
    sha
}

fn ci_errors(g: &Gated, base: &str) -> Vec<String> {
    let out = wpgate(g.path())
        .args(["--format", "json", "ci", "--base", base, "--head", "HEAD"])
        .output()
        .expect("run");
    let mut r = error_rules(&json(&out));
    r.sort();
    r.dedup();
    r
}

#[test]
fn a_merge_that_reverts_a_fix_to_an_ancestors_version_is_the_merges_own_change() {
    let g = Gated::with(|r| {
        // OLD: a lax policy and an insecure jobs.rs, long since fixed.
        r.write(
            "wpgate.toml",
            "[rules.\"scope.out-of-scope\"]\nseverity = \"off\"\n",
        );
        r.write("src/api/jobs.rs", "pub fn jobs() { /* insecure */ }\n");
        r.git(&["add", "-A"]);
        r.git(&["commit", "-q", "--no-verify", "-m", "old"]);
        r.git(&["tag", "old"]);
        // The fix, and the policy tightened again.
        r.git(&["rm", "-q", "wpgate.toml"]);
        r.write("src/api/jobs.rs", "pub fn jobs() { /* fixed */ }\n");
        r.git(&["add", "-A"]);
        r.git(&["commit", "-q", "--no-verify", "-m", "security fix"]);
    });
    let base = g.r.head();
    let old = git(g.path(), &["rev-parse", "old"]);
    // A merge of HEAD and OLD whose tree is OLD's: the fix and the policy reverted.
    let old_tree = git(g.path(), &["rev-parse", "old^{tree}"]);
    commit_tree(&g, &old_tree, &[&base, &old], &format!("merge [{WP}]"));
    let rules = ci_errors(&g, &base);
    assert!(
        rules.contains(&"scope.out-of-scope".to_string()),
        "{rules:?}"
    );
    assert!(rules.contains(&"policy.changed".to_string()), "{rules:?}");
    let out = wpgate(g.path())
        .args(["--format", "json", "check", "--commit", "HEAD"])
        .output()
        .expect("run");
    let r = error_rules(&json(&out));
    assert!(r.contains(&"scope.out-of-scope".to_string()), "{r:?}");
}

#[test]
fn an_honest_merge_still_skips_what_the_other_side_brought() {
    // side changes an in-scope file; main changes nothing there; the merge takes side's
    // version: that path is side's own change, checked on side, not again here.
    let g = Gated::new();
    let base = g.r.head();
    git(g.path(), &["checkout", "-q", "-b", "side"]);
    g.stage(&[("src/api/jobs.rs", "pub fn jobs() { /* side */ }\n")]);
    git(
        g.path(),
        &["commit", "-q", "--no-verify", "-m", "feat [WP-1-Api]"],
    );
    let side = g.r.head();
    git(g.path(), &["checkout", "-q", "main"]);
    let side_tree = git(g.path(), &["rev-parse", "side^{tree}"]);
    commit_tree(&g, &side_tree, &[&base, &side], &format!("merge [{WP}]"));
    let out = wpgate(g.path())
        .args(["--format", "json", "check", "--commit", "HEAD"])
        .output()
        .expect("run");
    assert_eq!(error_rules(&json(&out)), Vec::<String>::new());
}

#[test]
fn a_merge_that_deletes_what_the_other_side_deleted_is_checked() {
    // side deletes src/api/jobs.rs (out of scope for the merge's packet): a deletion is
    // always the merge's own change.
    let g = Gated::new();
    let base = g.r.head();
    git(g.path(), &["checkout", "-q", "-b", "side"]);
    git(g.path(), &["rm", "-q", "src/api/jobs.rs"]);
    git(
        g.path(),
        &["commit", "-q", "--no-verify", "-m", "rm [WP-1-Api]"],
    );
    let side = g.r.head();
    git(g.path(), &["checkout", "-q", "main"]);
    let side_tree = git(g.path(), &["rev-parse", "side^{tree}"]);
    commit_tree(&g, &side_tree, &[&base, &side], &format!("merge [{WP}]"));
    let rules = ci_errors(&g, &base);
    assert!(
        rules.contains(&"scope.out-of-scope".to_string()),
        "{rules:?}"
    );
}

#[test]
fn a_governance_file_from_the_other_side_is_the_merges_own_change() {
    let g = Gated::new();
    let base = g.r.head();
    git(g.path(), &["checkout", "-q", "-b", "side"]);
    g.stage(&[(
        "wpgate.toml",
        "[rules.\"scope.out-of-scope\"]\nseverity = \"off\"\n",
    )]);
    git(
        g.path(),
        &["commit", "-q", "--no-verify", "-m", "lax [WP-1-Api]"],
    );
    let side = g.r.head();
    git(g.path(), &["checkout", "-q", "main"]);
    let side_tree = git(g.path(), &["rev-parse", "side^{tree}"]);
    commit_tree(&g, &side_tree, &[&base, &side], &format!("merge [{WP}]"));
    let out = wpgate(g.path())
        .args(["--format", "json", "check", "--commit", "HEAD"])
        .output()
        .expect("run");
    let r = error_rules(&json(&out));
    assert!(r.contains(&"policy.changed".to_string()), "{r:?}");
}

#[test]
fn a_governance_file_in_another_spelling_from_the_other_side_is_checked_too() {
    // On a case-insensitive checkout `Wpgate.toml` is the policy file: taking it from the
    // other side of a merge is the merge's own change, as for `wpgate.toml`.
    let g = Gated::new();
    let base = g.r.head();
    git(g.path(), &["checkout", "-q", "-b", "side"]);
    g.stage(&[(
        "Wpgate.toml",
        "[rules.\"scope.out-of-scope\"]\nseverity = \"off\"\n",
    )]);
    git(
        g.path(),
        &["commit", "-q", "--no-verify", "-m", "lax [WP-1-Api]"],
    );
    let side = g.r.head();
    git(g.path(), &["checkout", "-q", "main"]);
    let side_tree = git(g.path(), &["rev-parse", "side^{tree}"]);
    commit_tree(&g, &side_tree, &[&base, &side], &format!("merge [{WP}]"));
    let out = wpgate(g.path())
        .args(["--format", "json", "check", "--commit", "HEAD"])
        .output()
        .expect("run");
    let r = error_rules(&json(&out));
    assert!(r.contains(&"policy.changed".to_string()), "{r:?}");
}
