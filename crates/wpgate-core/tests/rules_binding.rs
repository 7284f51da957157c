//! Binding rules on real repositories: `binding.no-packet` (a change to governed paths
//! names no task packet), `binding.unknown-packet` (the packet it names does not
//! exist) and `binding.unapproved-packet` (it exists only in the change, not in the
//! trusted revision), through [`Gate::staged`] (commit-msg) and [`Gate::commits`] (`check --commit`),
//! for every binding source (subject, `Work-Packet:` trailer, branch, `WPGATE_WP`).
//!
//! Every repository is built with the git CLI (real `git commit`); every gate run is
//! checked not to write to it.

mod gate_util;
mod git_common;

use gate_util::{packet_path, rules, stage, with_gate};
use git_common::*;
use wpgate_core::{Context, Diagnostic, Repo, Severity};

const WP: &str = "WP-1-Storage-Layer";
const SIG: &str = "ilja010120260900";
const BOARD: &str =
    "# Task Board\n\n## In Progress\n- **[WP-1-Storage-Layer]** / IN PROGRESS: storage trait\n";

/// A locked packet named `id` (TASK_ID `task_id`), In Progress, scoped to the storage module.
fn packet_text(task_id: &str) -> String {
    format!(
        "# Task Packet: {task_id}

## Metadata
- TASK_ID: {task_id}
- STATUS: In Progress

## Scope
- **What**: Put every database call behind one `Storage` trait.
- **Why**: Backend portability.
- **IN_SCOPE_PATHS**:
  * src/storage/mod.rs
  * src/storage/sqlite.rs
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

/// The default layout with one locked packet ([`WP`]), the board and some code, committed.
fn governed() -> TestRepo {
    governed_with(&[])
}

fn governed_with(extra: &[(&str, &str)]) -> TestRepo {
    let r = TestRepo::new();
    let packet = packet_text(WP);
    let mut files = vec![
        (packet_path(WP), packet.as_str()),
        ("docs/TASK_BOARD.md".to_string(), BOARD),
        ("src/storage/mod.rs".to_string(), "pub trait Storage {}\n"),
        ("src/api/jobs.rs".to_string(), "pub fn jobs() {}\n"),
        ("README.md".to_string(), "# demo\n"),
    ];
    files.extend(extra.iter().map(|(p, c)| (p.to_string(), *c)));
    let files: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), *c)).collect();
    r.commit_files("bootstrap", &files);
    r
}

fn staged(r: &TestRepo, ctx: &Context) -> Vec<Diagnostic> {
    with_gate(r, "Gate::staged", |g| {
        g.staged(ctx).expect("staged").diagnostics
    })
}

fn committed(r: &TestRepo, sha: &str, ctx: &Context) -> Vec<Diagnostic> {
    with_gate(r, "Gate::commits", |g| {
        g.commits(&[sha.to_string()], ctx)
            .expect("commits")
            .diagnostics
    })
}

fn key(d: &Diagnostic) -> (String, Option<String>, Option<String>, String) {
    (
        d.rule.clone(),
        d.path.clone(),
        d.wp.clone(),
        d.message.clone(),
    )
}

/// Judges what is staged as the commit-msg hook does (`msg` in the context), commits it
/// with `msg` (real `git commit`) and judges the commit as `check --commit` does. Both
/// must find exactly `want` (sorted rule ids), with the same messages; returns the
/// findings on the commit.
fn expect(r: &TestRepo, msg: &str, ctx: &Context, want: &[&str]) -> Vec<Diagnostic> {
    let pre = staged(
        r,
        &Context {
            message: Some(msg.to_string()),
            ..ctx.clone()
        },
    );
    r.git(&["commit", "-q", "-m", msg]);
    let sha = r.head();
    let post = committed(
        r,
        &sha,
        &Context {
            message: None,
            ..ctx.clone()
        },
    );
    assert_eq!(rules(&pre), want, "staged, {msg:?}: {pre:#?}");
    assert_eq!(rules(&post), want, "commit, {msg:?}: {post:#?}");
    let mut a: Vec<_> = pre.iter().map(key).collect();
    let mut b: Vec<_> = post.iter().map(key).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b, "staged and committed findings differ");
    assert!(post
        .iter()
        .all(|d| d.commit.as_deref() == Some(sha.as_str())));
    post
}

fn none() -> Context {
    Context::default()
}

// ---------------------------------------------------------------------------------------
// binding.no-packet

#[test]
fn no_packet_fires_on_a_governed_change_that_names_no_packet() {
    let r = governed();
    stage(
        &r,
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn get(&self); }\n",
        )],
    );
    let d = expect(&r, "refactor storage", &none(), &["binding.no-packet"]);
    assert_eq!(d[0].path.as_deref(), Some("src/storage/mod.rs"));
    assert_eq!(d[0].wp, None);
    assert_eq!(d[0].severity, Severity::Error);
    assert_eq!(
        d[0].message,
        "1 governed path changed (first: src/storage/mod.rs) but the change names no task packet"
    );
}

#[test]
fn the_same_change_naming_its_packet_in_the_subject_passes() {
    let r = governed();
    stage(
        &r,
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn get(&self); }\n",
        )],
    );
    expect(&r, &format!("refactor storage [{WP}]"), &none(), &[]);
}

#[test]
fn an_id_without_the_subject_brackets_binds_nothing() {
    let r = governed();
    stage(
        &r,
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn get(&self); }\n",
        )],
    );
    expect(
        &r,
        &format!("refactor storage {WP}"),
        &none(),
        &["binding.no-packet"],
    );
    // The pattern is matched on the subject only: an id in the body binds nothing either.
    stage(
        &r,
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn put(&self); }\n",
        )],
    );
    expect(
        &r,
        &format!("refactor storage\n\nPart of [{WP}]."),
        &none(),
        &["binding.no-packet"],
    );
}

#[test]
fn no_packet_is_one_finding_counting_every_governed_path() {
    let r = governed();
    stage(
        &r,
        &[
            ("README.md", "# demo\n\nMore.\n"),
            (
                "src/storage/mod.rs",
                "pub trait Storage { fn get(&self); }\n",
            ),
            ("docs/TASK_BOARD.md", &format!("{BOARD}- note\n")),
        ],
    );
    let d = expect(&r, "docs and code", &none(), &["binding.no-packet"]);
    assert_eq!(
        d[0].message,
        "2 governed paths changed (first: README.md) but the change names no task packet"
    );
    assert_eq!(d[0].path.as_deref(), Some("README.md"));
}

#[test]
fn exempt_paths_need_no_packet_until_a_governed_path_joins_them() {
    // The board and a new (unlocked) packet are exempt: the Orchestrator needs no binding.
    let r = governed();
    stage(
        &r,
        &[
            (
                "docs/TASK_BOARD.md",
                &format!("{BOARD}- **[WP-1-Next]** / READY: next\n"),
            ),
            (
                &packet_path("WP-1-Next"),
                "# WP-1-Next\n\n- TASK_ID: WP-1-Next\n",
            ),
        ],
    );
    expect(&r, "docs: plan WP-1-Next", &none(), &[]);
    // The same change plus one governed path.
    stage(
        &r,
        &[
            (
                "docs/TASK_BOARD.md",
                &format!("{BOARD}- **[WP-1-Later]** / READY: later\n"),
            ),
            (
                &packet_path("WP-1-Later"),
                "# WP-1-Later\n\n- TASK_ID: WP-1-Later\n",
            ),
            ("README.md", "# demo\n\nPlanned: WP-1-Later.\n"),
        ],
    );
    let d = expect(&r, "docs: plan WP-1-Later", &none(), &["binding.no-packet"]);
    assert_eq!(d[0].path.as_deref(), Some("README.md"));
}

#[test]
fn deleting_a_governed_file_needs_a_packet_too() {
    let r = governed();
    r.git(&["rm", "-q", "src/api/jobs.rs"]);
    let d = expect(&r, "drop jobs", &none(), &["binding.no-packet"]);
    assert_eq!(d[0].path.as_deref(), Some("src/api/jobs.rs"));
}

#[test]
fn the_trailer_binds() {
    let r = governed();
    stage(
        &r,
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn get(&self); }\n",
        )],
    );
    expect(
        &r,
        &format!("refactor storage\n\nWork-Packet: {WP}"),
        &none(),
        &[],
    );
    // A trailer-shaped line that is not in the trailer block does not.
    stage(
        &r,
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn put(&self); }\n",
        )],
    );
    expect(
        &r,
        &format!("refactor storage\n\nWork-Packet: {WP}\nsee the packet for details\n\nThanks."),
        &none(),
        &["binding.no-packet"],
    );
}

#[test]
fn the_branch_binds() {
    let r = governed();
    r.git(&["checkout", "-q", "-b", &format!("wp/{WP}")]);
    // The branch the CLI passes: HEAD's branch.
    let branch = Repo::discover(&r.path).expect("repository").head_branch();
    assert_eq!(branch.as_deref(), Some(format!("wp/{WP}").as_str()));
    let ctx = Context {
        branch,
        ..Context::default()
    };
    stage(
        &r,
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn get(&self); }\n",
        )],
    );
    expect(&r, "refactor storage", &ctx, &[]);
    // A branch whose name does not end in a packet id binds nothing.
    r.git(&["checkout", "-q", "-b", "feature/storage-layer"]);
    let ctx = Context {
        branch: Some("feature/storage-layer".into()),
        ..Context::default()
    };
    stage(
        &r,
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn put(&self); }\n",
        )],
    );
    expect(&r, "refactor storage", &ctx, &["binding.no-packet"]);
}

#[test]
fn the_environment_binds() {
    let r = governed();
    let ctx = Context {
        env_wp: Some(format!(" {WP} ")),
        ..Context::default()
    };
    stage(
        &r,
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn get(&self); }\n",
        )],
    );
    expect(&r, "refactor storage", &ctx, &[]);
    // A blank WPGATE_WP binds nothing.
    let ctx = Context {
        env_wp: Some("  ".into()),
        ..Context::default()
    };
    stage(
        &r,
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn put(&self); }\n",
        )],
    );
    expect(&r, "refactor storage", &ctx, &["binding.no-packet"]);
}

#[test]
fn pre_commit_defers_an_unbound_change_to_commit_msg() {
    let r = governed();
    stage(
        &r,
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn get(&self); }\n",
        )],
    );
    // pre-commit: no message yet, nothing else names a packet: wait for commit-msg.
    let deferred = Context {
        defer_unbound: true,
        ..Context::default()
    };
    assert!(staged(&r, &deferred).is_empty());
    // The same index judged without deferring.
    let d = staged(&r, &Context::default());
    assert_eq!(rules(&d), ["binding.no-packet"]);
    // A binding known before the message is judged at once.
    let d = staged(
        &r,
        &Context {
            env_wp: Some("WP-1-Nope".into()),
            ..deferred
        },
    );
    assert_eq!(rules(&d), ["binding.unknown-packet"]);
}

// ---------------------------------------------------------------------------------------
// binding.unknown-packet

#[test]
fn unknown_packet_fires_on_a_misspelt_id() {
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
        "refactor storage [WP-1-Storage-Layr]",
        &none(),
        &["binding.unknown-packet"],
    );
    assert_eq!(d[0].wp.as_deref(), Some("WP-1-Storage-Layr"));
    assert_eq!(d[0].path, None);
    assert_eq!(d[0].severity, Severity::Error);
    assert_eq!(
        d[0].message,
        "commit subject names packet WP-1-Storage-Layr but no packet file has that id"
    );
}

#[test]
fn unknown_packet_names_the_source_of_the_binding() {
    let cases: [(&str, Context, &str); 3] = [
        (
            "refactor storage\n\nWork-Packet: WP-1-Nope",
            none(),
            "Work-Packet trailer names packet WP-1-Nope",
        ),
        (
            "refactor storage",
            Context {
                branch: Some("wp/WP-1-Nope".into()),
                ..Context::default()
            },
            "branch name names packet WP-1-Nope",
        ),
        (
            "refactor storage",
            Context {
                env_wp: Some("WP-1-Nope".into()),
                ..Context::default()
            },
            "environment names packet WP-1-Nope",
        ),
    ];
    for (i, (msg, ctx, want)) in cases.iter().enumerate() {
        let r = governed();
        stage(
            &r,
            &[(
                "src/storage/mod.rs",
                &format!("pub trait Storage {{}}\n// {i}\n"),
            )],
        );
        let d = expect(&r, msg, ctx, &["binding.unknown-packet"]);
        assert!(d[0].message.starts_with(want), "{}", d[0].message);
        assert_eq!(d[0].wp.as_deref(), Some("WP-1-Nope"));
    }
}

#[test]
fn the_first_source_in_policy_order_wins() {
    // Default order: the subject's unknown id wins over the trailer's good one.
    let r = governed();
    let msg = format!("refactor storage [WP-1-Nope]\n\nWork-Packet: {WP}");
    stage(
        &r,
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn get(&self); }\n",
        )],
    );
    expect(&r, &msg, &none(), &["binding.unknown-packet"]);
    // The same commit under a policy reading the trailer first.
    let r = governed_with(&[(
        "wpgate.toml",
        "[binding]\norder = [\"trailer\", \"subject\"]\n",
    )]);
    stage(
        &r,
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn get(&self); }\n",
        )],
    );
    expect(&r, &msg, &none(), &[]);
}

#[test]
fn a_packet_is_found_by_its_file_name_not_its_task_id() {
    // Identity is the file stem (issue 13): the TASK_ID that disagrees is
    // packet.id-mismatch, never a second name of the packet.
    let r = TestRepo::new();
    r.commit_files(
        "bootstrap",
        &[
            // File name and TASK_ID differ.
            (&packet_path("WP-1-Storage"), &packet_text(WP)),
            ("src/storage/mod.rs", "pub trait Storage {}\n"),
        ],
    );
    stage(
        &r,
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn get(&self); }\n",
        )],
    );
    expect(&r, "refactor storage [WP-1-Storage]", &none(), &[]);
    stage(
        &r,
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn put(&self); }\n",
        )],
    );
    let d = expect(
        &r,
        &format!("refactor storage [{WP}]"),
        &none(),
        &["binding.unknown-packet"],
    );
    assert_eq!(d[0].wp.as_deref(), Some(WP));
}

#[test]
fn short_ids_conventional_scopes_and_ambiguity() {
    let r = TestRepo::new();
    r.commit_files(
        "bootstrap",
        &[
            (
                &packet_path("WP-K-009-Index-v1"),
                &packet_text("WP-K-009-Index-v1"),
            ),
            (
                &packet_path("WP-K-010-Shell-v1"),
                &packet_text("WP-K-010-Shell-v1"),
            ),
            (
                &packet_path("WP-K-010-Shell-v2"),
                &packet_text("WP-K-010-Shell-v2"),
            ),
            ("src/storage/mod.rs", "pub trait Storage {}\n"),
        ],
    );
    // A unique prefix binds, in any of the subject forms.
    for (i, msg) in [
        "feat(WP-K-009): a",
        "WP-K-009: a",
        "WP-K-009 MT-3: a",
        "a [WP-K-009]",
    ]
    .iter()
    .enumerate()
    {
        stage(
            &r,
            &[(
                "src/storage/mod.rs",
                &format!("pub trait Storage {{ fn a{i}(&self); }}\n"),
            )],
        );
        expect(&r, msg, &none(), &[]);
    }
    // A prefix of two packets names neither.
    stage(
        &r,
        &[("src/storage/mod.rs", "pub trait Storage { fn b(&self); }\n")],
    );
    let d = expect(
        &r,
        "feat(WP-K-010): a",
        &none(),
        &["binding.ambiguous-packet"],
    );
    assert!(
        d[0].message.contains("WP-K-010-Shell-v1") && d[0].message.contains("WP-K-010-Shell-v2")
    );
    stage(
        &r,
        &[("src/storage/mod.rs", "pub trait Storage { fn c(&self); }\n")],
    );
    // Not at a `-`: no packet.
    expect(&r, "feat(WP-K-01): a", &none(), &["binding.unknown-packet"]);
}

#[test]
fn a_microtask_binding_needs_a_microtask_of_the_packet() {
    let r = TestRepo::new();
    let contract = format!(
        r#"{{"id": "WP-1-Data", "status": "In Progress", "scope": {{"in": ["src/data/**"], "out": ["docs/"]}},
 "lock": {{"signature": "{SIG}"}}}}"#
    );
    r.commit_files(
        "bootstrap",
        &[
            (
                "wpgate.toml",
                "[layout]\npacket_roots = [{ kind = \"active\", include = [\"gov/WP-*/packet.json\"] }]\n[scope]\nexempt = [\"gov/**\", \"wpgate.toml\"]\n",
            ),
            ("gov/WP-1-Data/packet.json", &contract),
            (
                "gov/WP-1-Data/MT-001.json",
                r#"{"id": "MT-001", "scope": {"in": ["src/data/a.rs"]}}"#,
            ),
            ("src/data/a.rs", "pub fn a() {}\n"),
        ],
    );
    stage(&r, &[("src/data/a.rs", "pub fn a() { 1; }\n")]);
    expect(&r, "WP-1-Data MT-001: a", &none(), &[]);
    stage(&r, &[("src/data/a.rs", "pub fn a() { 2; }\n")]);
    let d = expect(
        &r,
        "WP-1-Data MT-002: a",
        &none(),
        &["binding.unknown-microtask"],
    );
    assert!(d[0].message.contains("MT-001"), "{}", d[0].message);
    // MT-001 does not cover b.rs, though its packet does.
    stage(&r, &[("src/data/b.rs", "pub fn b() {}\n")]);
    expect(
        &r,
        "feat(WP-1-Data): MT-001 b",
        &none(),
        &["scope.out-of-scope"],
    );
    stage(&r, &[("src/data/b.rs", "pub fn b() { 1; }\n")]);
    expect(&r, "feat(WP-1-Data): b", &none(), &[]);
}

#[test]
fn a_packet_added_by_the_same_change_is_unapproved() {
    // The bound packet is looked up in the trusted revision (here: the change's parent),
    // never in the change: a packet the change creates authorises nothing yet.
    let r = governed();
    let id = "WP-1-Storage-Sqlite";
    stage(
        &r,
        &[
            (&packet_path(id), &packet_text(id)),
            ("src/storage/sqlite.rs", "pub struct Sqlite;\n"),
        ],
    );
    let d = expect(
        &r,
        &format!("feat: sqlite [{id}]"),
        &none(),
        &["binding.unapproved-packet"],
    );
    assert_eq!(d[0].wp.as_deref(), Some(id));
    assert!(
        d[0].message.contains("not in the trusted revision"),
        "{}",
        d[0].message
    );
    // Approved first (its own commit), the same work passes.
    let r = governed();
    stage(&r, &[(&packet_path(id), &packet_text(id))]);
    r.git(&["commit", "-q", "-m", "gov: packet"]);
    stage(&r, &[("src/storage/sqlite.rs", "pub struct Sqlite;\n")]);
    expect(&r, &format!("feat: sqlite [{id}]"), &none(), &[]);
    // Without the packet file anywhere the id is unknown.
    let id = "WP-1-Storage-Postgres";
    stage(
        &r,
        &[(
            "src/storage/sqlite.rs",
            "pub struct Sqlite;\npub struct Pg;\n",
        )],
    );
    expect(
        &r,
        &format!("feat: postgres [{id}]"),
        &none(),
        &["binding.unknown-packet"],
    );
}

#[test]
fn a_packet_deleted_by_the_same_change_still_binds_from_the_trusted_revision() {
    let r = governed();
    r.git(&["rm", "-q", &packet_path(WP)]);
    stage(
        &r,
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn get(&self); }\n",
        )],
    );
    // The trusted revision still has the packet: the work is judged by it (in scope),
    // and deleting the locked packet is an edit.
    expect(
        &r,
        &format!("refactor storage [{WP}]"),
        &none(),
        &["lock.locked-packet-edited"],
    );
}

/// The id a change names is checked whatever paths it touches: an exempt-only change
/// naming a missing packet is refused too (unlike `binding.no-packet`, which only
/// governed paths trigger).
#[test]
fn unknown_packet_fires_on_an_exempt_only_change_too() {
    let r = governed();
    stage(&r, &[("docs/TASK_BOARD.md", &format!("{BOARD}- note\n"))]);
    let d = expect(
        &r,
        "docs: board [WP-1-Nope]",
        &none(),
        &["binding.unknown-packet"],
    );
    assert_eq!(d[0].wp.as_deref(), Some("WP-1-Nope"));
    stage(
        &r,
        &[("docs/TASK_BOARD.md", &format!("{BOARD}- another note\n"))],
    );
    expect(&r, &format!("docs: board [{WP}]"), &none(), &[]);
}
