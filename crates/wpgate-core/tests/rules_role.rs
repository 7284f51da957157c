//! The role rule on real repositories: `role.forbidden-path` (the commit's role, from a
//! `Role:` trailer or the author's e-mail through `roles.emails`, may not write a path
//! under `roles.paths`), through [`Gate::staged`] (commit-msg) and [`Gate::commits`]
//! (`check --commit`).
//!
//! Every repository is built with the git CLI (real `git commit`); every gate run is
//! checked not to write to it.

mod gate_util;
mod git_common;

use gate_util::{packet_path, rules, stage, with_gate};
use git_common::*;
use wpgate_core::{Context, Diagnostic, Severity};

const WP: &str = "WP-1-Storage-Layer";
const SIG: &str = "ilja010120260900";
const BOARD: &str =
    "# Task Board\n\n## In Progress\n- **[WP-1-Storage-Layer]** / IN PROGRESS: storage trait\n";
const CODER: &str = "coder@example.com";

fn packet_text(id: &str) -> String {
    format!(
        "# Task Packet: {id}

## Metadata
- TASK_ID: {id}
- STATUS: In Progress

## Scope
- **What**: Put every database call behind one `Storage` trait.
- **Why**: Backend portability.
- **IN_SCOPE_PATHS**:
  * src/storage/mod.rs
  * tests/storage_test.rs
- **OUT_OF_SCOPE**:
  * src/api/ (→ WP-1-Api-Refactor)

## Quality Gate
- **RISK_TIER**: LOW
- **DONE_MEANS**:
  * the Storage trait exists (§2.1.1)

---

**Last Updated:** 2026-01-01
**User Signature Locked:** {SIG}
"
    )
}

/// The default layout with one locked packet, the board, code and `extra` files (a
/// `wpgate.toml`), committed.
fn governed_with(extra: &[(&str, &str)]) -> TestRepo {
    let r = TestRepo::new();
    let packet = packet_text(WP);
    let mut files: Vec<(String, &str)> = vec![
        (packet_path(WP), packet.as_str()),
        ("docs/TASK_BOARD.md".into(), BOARD),
        ("src/storage/mod.rs".into(), "pub trait Storage {}\n"),
        (
            "scripts/draft.md".into(),
            "# Draft\n\nA packet in the making.\n",
        ),
    ];
    files.extend(extra.iter().map(|(p, c)| (p.to_string(), *c)));
    let files: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), *c)).collect();
    r.commit_files("bootstrap", &files);
    r
}

fn governed() -> TestRepo {
    governed_with(&[])
}

/// A policy mapping the lead's e-mail to the Orchestrator.
const EMAIL_POLICY: &str = "[roles.emails]\n\"lead@example.com\" = \"Orchestrator\"\n";

fn staged(r: &TestRepo, ctx: &Context) -> Vec<Diagnostic> {
    with_gate(r, "Gate::staged", |g| {
        g.staged(ctx).expect("staged").diagnostics
    })
}

fn committed(r: &TestRepo, sha: &str) -> Vec<Diagnostic> {
    with_gate(r, "Gate::commits", |g| {
        g.commits(&[sha.to_string()], &Context::default())
            .expect("commits")
            .diagnostics
    })
}

fn key(d: &Diagnostic) -> (String, Option<String>, String) {
    (d.rule.clone(), d.path.clone(), d.message.clone())
}

/// Judges what is staged by `author` (the repository's `user.email`, as pre-commit and
/// commit-msg read it) with `msg`, commits it as `author` (real `git commit`) and judges
/// the commit. Both must find exactly `want`, with the same messages; returns the
/// findings on the commit.
fn expect_by(r: &TestRepo, author: &str, msg: &str, want: &[&str]) -> Vec<Diagnostic> {
    r.git(&["config", "user.email", author]);
    let pre = staged(
        r,
        &Context {
            message: Some(msg.to_string()),
            ..Context::default()
        },
    );
    let out = git_cmd(&r.path)
        .env("GIT_AUTHOR_EMAIL", author)
        .args(["commit", "-q", "-m", msg])
        .output()
        .expect("git commit");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sha = r.head();
    assert_eq!(r.git(&["log", "-1", "--format=%ae"]), author);
    let post = committed(r, &sha);
    assert_eq!(rules(&pre), want, "staged, {msg:?}: {pre:#?}");
    assert_eq!(rules(&post), want, "commit, {msg:?}: {post:#?}");
    let mut a: Vec<_> = pre.iter().map(key).collect();
    let mut b: Vec<_> = post.iter().map(key).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b, "staged and committed findings differ");
    post
}

fn expect(r: &TestRepo, msg: &str, want: &[&str]) -> Vec<Diagnostic> {
    expect_by(r, CODER, msg, want)
}

fn of<'d>(d: &'d [Diagnostic], rule: &str) -> Vec<&'d Diagnostic> {
    d.iter().filter(|d| d.rule == rule).collect()
}

#[test]
fn the_orchestrator_may_not_write_src() {
    let r = governed();
    stage(
        &r,
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn get(&self); }\n",
        )],
    );
    let d = expect(
        &r,
        &format!("feat: storage [{WP}]\n\nRole: Orchestrator"),
        &["role.forbidden-path"],
    );
    assert_eq!(d[0].path.as_deref(), Some("src/storage/mod.rs"));
    assert_eq!(d[0].severity, Severity::Error);
    assert_eq!(
        d[0].message,
        "src/storage/mod.rs: role Orchestrator may not write this path"
    );
}

#[test]
fn the_same_change_without_a_role_or_under_an_unlisted_role_passes() {
    let r = governed();
    stage(
        &r,
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn get(&self); }\n",
        )],
    );
    expect(&r, &format!("feat: storage [{WP}]"), &[]);
    // A role roles.paths does not list is not restricted.
    stage(
        &r,
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn put(&self); }\n",
        )],
    );
    expect(&r, &format!("feat: storage [{WP}]\n\nRole: Coder"), &[]);
}

#[test]
fn role_names_match_whatever_their_case_and_separators() {
    let r = governed();
    stage(
        &r,
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn get(&self); }\n",
        )],
    );
    let d = expect(
        &r,
        &format!("feat: storage [{WP}]\n\nRole: orchestrator"),
        &["role.forbidden-path"],
    );
    assert!(
        d[0].message.contains("role orchestrator may not"),
        "{}",
        d[0].message
    );
    // A `Role:` line in the subject paragraph is no trailer.
    stage(
        &r,
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn put(&self); }\n",
        )],
    );
    expect(
        &r,
        &format!("feat: storage [{WP}]\nRole: Orchestrator"),
        &[],
    );
}

#[test]
fn the_orchestrator_may_write_packets_and_the_board_only() {
    let r = governed();
    stage(
        &r,
        &[
            (
                "docs/TASK_BOARD.md",
                &format!("{BOARD}- **[WP-1-Next]** / READY: next\n"),
            ),
            (&packet_path("WP-1-Next"), &packet_text("WP-1-Next")),
        ],
    );
    expect(&r, "docs: plan WP-1-Next\n\nRole: Orchestrator", &[]);
    // The same kind of change plus a file outside the role's allow list (not denied
    // either): forbidden, since the allow list is not empty.
    stage(
        &r,
        &[
            (
                "docs/TASK_BOARD.md",
                &format!("{BOARD}- **[WP-1-Later]** / READY: later\n"),
            ),
            (&packet_path("WP-1-Later"), &packet_text("WP-1-Later")),
            ("docs/notes.md", "# Notes\n"),
        ],
    );
    let d = expect(
        &r,
        "docs: plan WP-1-Later\n\nRole: Orchestrator",
        &["binding.no-packet", "role.forbidden-path"],
    );
    let role = of(&d, "role.forbidden-path");
    assert_eq!(role[0].path.as_deref(), Some("docs/notes.md"));
}

#[test]
fn every_path_of_a_rename_is_checked() {
    // scripts/ is denied to the Orchestrator, docs/task_packets/ allowed: moving a draft
    // out of scripts/ writes the old path too.
    let r = governed();
    r.git(&["mv", "scripts/draft.md", "docs/task_packets/WP-1-Draft.md"]);
    let d = expect(
        &r,
        "docs: promote the draft\n\nRole: Orchestrator",
        &["binding.no-packet", "role.forbidden-path"],
    );
    let role = of(&d, "role.forbidden-path");
    assert_eq!(role.len(), 1, "{role:#?}");
    assert_eq!(role[0].path.as_deref(), Some("scripts/draft.md"));
    // Copying the draft instead leaves scripts/ alone.
    let r = governed();
    stage(
        &r,
        &[(
            "docs/task_packets/WP-1-Draft.md",
            "# Draft\n\nA packet in the making.\n",
        )],
    );
    expect(&r, "docs: copy the draft\n\nRole: Orchestrator", &[]);
}

#[test]
fn the_role_rule_applies_to_unbound_changes() {
    let r = governed();
    stage(
        &r,
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn get(&self); }\n",
        )],
    );
    let d = expect(
        &r,
        "feat: storage\n\nRole: Orchestrator",
        &["binding.no-packet", "role.forbidden-path"],
    );
    assert_eq!(
        of(&d, "role.forbidden-path")[0].path.as_deref(),
        Some("src/storage/mod.rs")
    );
}

#[test]
fn a_role_from_the_author_email() {
    let r = governed_with(&[("wpgate.toml", EMAIL_POLICY)]);
    stage(
        &r,
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn get(&self); }\n",
        )],
    );
    let d = expect_by(
        &r,
        "lead@example.com",
        &format!("feat: storage [{WP}]"),
        &["role.forbidden-path"],
    );
    assert!(
        d[0].message.contains("role Orchestrator"),
        "{}",
        d[0].message
    );
    // E-mail addresses match whatever their case.
    stage(
        &r,
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn put(&self); }\n",
        )],
    );
    expect_by(
        &r,
        "Lead@Example.COM",
        &format!("feat: storage [{WP}]"),
        &["role.forbidden-path"],
    );
    // Another author has no role.
    stage(
        &r,
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn del(&self); }\n",
        )],
    );
    expect_by(&r, "dev@example.com", &format!("feat: storage [{WP}]"), &[]);
}

#[test]
fn the_trailer_wins_over_the_email_mapping() {
    let r = governed_with(&[("wpgate.toml", EMAIL_POLICY)]);
    stage(
        &r,
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn get(&self); }\n",
        )],
    );
    expect_by(
        &r,
        "lead@example.com",
        &format!("feat: storage [{WP}]\n\nRole: Coder"),
        &[],
    );
}

#[test]
fn a_deny_only_role_from_the_policy() {
    let r = governed_with(&[(
        "wpgate.toml",
        "[roles.paths.Coder]\ndeny = [\"docs/task_packets/**\"]\n",
    )]);
    // A coder appending a validation report to a packet: denied.
    let report = format!("{}\n## VALIDATION REPORT\nVerdict: PASS\n", packet_text(WP));
    stage(&r, &[(&packet_path(WP), &report)]);
    let d = expect(
        &r,
        &format!("docs: report [{WP}]\n\nRole: Coder"),
        &["role.forbidden-path"],
    );
    assert_eq!(d[0].path.as_deref(), Some(packet_path(WP).as_str()));
    // The same coder writing code: no allow list, so everything not denied is allowed.
    stage(
        &r,
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn get(&self); }\n",
        )],
    );
    expect(&r, &format!("feat: storage [{WP}]\n\nRole: Coder"), &[]);
}

/// `Gate::check_changeset` says "Without a binding yet, the role rule still applies" for a
/// deferred pre-commit run (no message yet), but it runs the role rule into a throwaway
/// `Emitter`, so the findings are dropped: pre-commit lets a lead mapped to the
/// Orchestrator by `roles.emails` stage `src/` unreported (commit-msg reports it later).
#[test]
fn pre_commit_reports_the_email_role_of_an_unbound_change() {
    let r = governed_with(&[("wpgate.toml", EMAIL_POLICY)]);
    r.git(&["config", "user.email", "lead@example.com"]);
    stage(
        &r,
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn get(&self); }\n",
        )],
    );
    // Not deferred: reported (with the missing binding).
    let d = staged(&r, &Context::default());
    assert_eq!(rules(&d), ["binding.no-packet", "role.forbidden-path"]);
    // Deferred (pre-commit, no message): the binding waits, the role rule does not.
    let d = staged(
        &r,
        &Context {
            defer_unbound: true,
            ..Context::default()
        },
    );
    assert_eq!(rules(&d), ["role.forbidden-path"], "{d:#?}");
}

#[test]
fn a_deny_list_matches_whatever_the_case_and_normalisation() {
    // A Coder may write anything but the schema and the café module; on macOS or
    // Windows each path below is one of those files.
    let r = governed_with(&[(
        "wpgate.toml",
        "[roles.paths.Coder]\ndeny = [\"src/storage/schema.rs\", \"src/storage/caf\u{e9}/**\"]\n",
    )]);
    for p in [
        "src/storage/SCHEMA.rs",
        "src/storage/schema.rs.",
        "SRC/Storage/Schema.RS",
        "src/storage/cafe\u{301}/menu.rs",
        "src/storage/CAF\u{c9}/menu.rs",
    ] {
        stage(&r, &[(p, "pub struct Schema;\n")]);
        let d = expect(
            &r,
            &format!("feat: storage [{WP}]\n\nRole: Coder"),
            &["role.forbidden-path", "scope.out-of-scope"],
        );
        let f = of(&d, "role.forbidden-path");
        assert_eq!(f[0].path.as_deref(), Some(p), "{d:#?}");
        assert_eq!(
            f[0].message,
            format!("{p}: role Coder may not write this path")
        );
    }
    // An allow list stays exact: the Orchestrator's `docs/TASK_BOARD.md` does not allow
    // `docs/task_board.md`.
    stage(&r, &[("docs/task_board.md", BOARD)]);
    let d = expect(
        &r,
        "docs: board\n\nRole: Orchestrator",
        &["binding.no-packet", "role.forbidden-path"],
    );
    let f = of(&d, "role.forbidden-path");
    assert_eq!(f[0].path.as_deref(), Some("docs/task_board.md"));
}
