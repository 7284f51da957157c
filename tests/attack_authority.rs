//! Trusted authority (issue 12, item 1): a change is judged by the policy, waivers,
//! packets (existence, scope, lock, STATUS, dependencies) and board of a revision that is
//! already trusted, never by what the change itself contains. Each test is an attack a
//! coder who wants a forbidden change merged would try, through the real entrypoints
//! (installed hooks and a real `git commit`, `check`, `ci`, and a real `git push` to a
//! bare remote), and the same change made honestly (approved first) passes.

mod common;

use common::*;

const EVIL: &str = "WP-1-Evil";

/// A packet of `id` whose scope is `scope`, locked with a signature.
fn packet_text(id: &str, scope: &[&str], status: &str, deps: &str) -> String {
    let paths: String = scope.iter().map(|p| format!("  * {p}\n")).collect();
    format!(
        "# Task Packet: {id}\n\n## Metadata\n- TASK_ID: {id}\n- STATUS: {status}\n\n## Scope\n\
         - **What**: x\n- **Why**: y\n- **IN_SCOPE_PATHS**:\n{paths}- **OUT_OF_SCOPE**:\n  * docs/\n\
         - **Dependencies**: {deps}\n\n---\n\n**Last Updated:** 2026-11-24\n\
         **User Signature Locked:** evil241120260900\n"
    )
}

fn packet_path(id: &str) -> String {
    format!("docs/task_packets/{id}.md")
}

/// The error rule ids of a JSON run of wpgate with `args` in `g`.
fn errors(g: &Gated, args: &[&str]) -> Vec<String> {
    let mut full = vec!["--format", "json"];
    full.extend_from_slice(args);
    let out = wpgate(g.path()).args(&full).output().expect("run wpgate");
    let mut rules = error_rules(&json(&out));
    rules.sort();
    rules.dedup();
    rules
}

/// Commits what is staged with the hooks installed; returns (accepted, output).
fn hooked_commit(g: &Gated, msg: &str) -> (bool, String) {
    git_hooked_env(g.path(), &["commit", "-m", msg], &[])
}

/// Pushes HEAD to main through the pre-push hook; returns (accepted, output).
fn hooked_push(g: &Gated) -> (bool, String) {
    git_hooked_env(g.path(), &["push", "origin", "HEAD:refs/heads/main"], &[])
}

#[test]
fn a_packet_created_and_used_in_one_change_is_refused_everywhere() {
    let g = Gated::new();
    let base = g.r.head();
    // One change: a new packet granting src/api/jobs.rs and the policy file, "locked"
    // with an invented signature, a board row, and the work it authorises.
    g.stage(&[
        (
            &packet_path(EVIL),
            &packet_text(
                EVIL,
                &["src/api/jobs.rs", "wpgate.toml"],
                "In Progress",
                "None",
            ),
        ),
        ("src/api/jobs.rs", "pub fn jobs() { /* evil */ }\n"),
    ]);
    let msg = format!("feat: jobs [{EVIL}]");
    let empty_policy = g.r.dir.path().join("ci-policy.toml");
    std::fs::write(&empty_policy, "").expect("policy");
    let empty_policy = empty_policy.to_str().expect("utf-8").to_string();
    let (ok, out) = hooked_commit(&g, &msg);
    assert!(!ok, "the hooked commit must be refused: {out}");
    assert!(out.contains("binding.unapproved-packet"), "{out}");
    assert!(
        out.contains("approved") || out.contains("merge packet"),
        "{out}"
    );
    git(g.path(), &["commit", "-q", "--no-verify", "-m", &msg]);
    for args in [
        vec!["check", "--commit", "HEAD"],
        vec!["check", "--range", &format!("{base}..HEAD")],
        vec!["ci", "--base", &base, "--head", "HEAD"],
        // An explicit --policy changes nothing: the packet is not in the trusted base.
        vec![
            "--policy",
            &empty_policy,
            "ci",
            "--base",
            &base,
            "--head",
            "HEAD",
        ],
    ] {
        let rules = errors(&g, &args);
        assert!(
            rules.contains(&"binding.unapproved-packet".to_string()),
            "{args:?}: {rules:?}"
        );
    }
    let (ok, out) = hooked_push(&g);
    assert!(!ok, "the hooked push must be refused: {out}");
    assert!(out.contains("binding.unapproved-packet"), "{out}");
}

#[test]
fn the_same_packet_approved_first_authorises_the_next_change() {
    let g = Gated::new();
    // The packet arrives on its own and is merged (pushed to main: now trusted).
    g.stage(&[(
        &packet_path(EVIL),
        &packet_text(EVIL, &["src/api/jobs.rs"], "In Progress", "None"),
    )]);
    git(
        g.path(),
        &["commit", "-q", "--no-verify", "-m", "gov: packet WP-1-Evil"],
    );
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
    let approved = g.r.head();
    // The work under it, next.
    g.stage(&[("src/api/jobs.rs", "pub fn jobs() { /* honest */ }\n")]);
    let (ok, out) = hooked_commit(&g, &format!("feat: jobs [{EVIL}]"));
    assert!(ok, "the hooked commit must pass: {out}");
    assert_eq!(
        errors(&g, &["check", "--commit", "HEAD"]),
        Vec::<String>::new()
    );
    assert_eq!(
        errors(&g, &["ci", "--base", &approved, "--head", "HEAD"]),
        Vec::<String>::new()
    );
    let (ok, out) = hooked_push(&g);
    assert!(ok, "the hooked push must pass: {out}");
}

#[test]
fn a_policy_added_by_the_change_switches_nothing_off() {
    let g = Gated::new();
    let base = g.r.head();
    g.stage(&[
        (
            "wpgate.toml",
            "[rules.\"policy.changed\"]\nseverity = \"off\"\n[rules.\"scope.out-of-scope\"]\nseverity = \"off\"\n[rules.\"binding.unapproved-packet\"]\nseverity = \"off\"\n",
        ),
        ("src/api/jobs.rs", "pub fn jobs() { /* out of scope */ }\n"),
    ]);
    let msg = format!("fix: relax [{WP}]");
    let (ok, out) = hooked_commit(&g, &msg);
    assert!(!ok, "{out}");
    git(g.path(), &["commit", "-q", "--no-verify", "-m", &msg]);
    for args in [
        vec!["check", "--commit", "HEAD"],
        vec!["ci", "--base", &base, "--head", "HEAD"],
    ] {
        let rules = errors(&g, &args);
        assert!(
            rules.contains(&"policy.changed".to_string()),
            "{args:?}: {rules:?}"
        );
        assert!(
            rules.contains(&"scope.out-of-scope".to_string()),
            "{args:?}: {rules:?}"
        );
    }
    let (ok, out) = hooked_push(&g);
    assert!(!ok, "{out}");
}

#[test]
fn a_waiver_added_by_the_change_waives_nothing() {
    let g = Gated::new();
    let base = g.r.head();
    g.stage(&[
        (
            "docs/WAIVERS.toml",
            "[[waiver]]\nid = \"WVR-EVIL\"\nrule = \"*\"\npaths = [\"**\"]\nreason = \"x\"\napproved_by = \"me\"\napproved = 2023-11-01\nexpires = 2099-01-01\n",
        ),
        ("src/api/jobs.rs", "pub fn jobs() { /* out of scope */ }\n"),
    ]);
    let msg = format!("fix: waive [{WP}]");
    git(g.path(), &["commit", "-q", "--no-verify", "-m", &msg]);
    let rules = errors(&g, &["ci", "--base", &base, "--head", "HEAD"]);
    assert!(
        rules.contains(&"scope.out-of-scope".to_string()),
        "{rules:?}"
    );
    assert!(rules.contains(&"policy.changed".to_string()), "{rules:?}");
    let (ok, out) = hooked_push(&g);
    assert!(!ok, "{out}");
    assert!(!out.contains("waived by WVR-EVIL"), "{out}");
}

#[test]
fn a_trusted_waiver_never_waives_the_gates_own_protection() {
    // Even an approved waiver (in the trusted base) cannot waive policy.changed.
    let g = Gated::with(|r| {
        r.write(
            "docs/WAIVERS.toml",
            "[[waiver]]\nid = \"WVR-ALL\"\nrule = \"*\"\npaths = [\"**\"]\nreason = \"x\"\napproved_by = \"lead\"\napproved = 2023-11-01\nexpires = 2099-01-01\n",
        );
        r.git(&["add", "-A"]);
        r.git(&["commit", "-q", "--no-verify", "-m", "gov: waiver"]);
    });
    let base = g.r.head();
    g.stage(&[(
        "wpgate.toml",
        "[rules.\"content.todo-comment\"]\nseverity = \"off\"\n",
    )]);
    git(
        g.path(),
        &["commit", "-q", "--no-verify", "-m", &format!("fix [{WP}]")],
    );
    // Neither policy.changed nor any finding on the policy file is waived.
    let rules = errors(&g, &["ci", "--base", &base, "--head", "HEAD"]);
    assert_eq!(
        rules,
        vec![
            "policy.changed".to_string(),
            "scope.out-of-scope".to_string()
        ]
    );
    // An ordinary finding is waived by the trusted waiver (the waiver works at all).
    g.stage(&[("src/api/jobs.rs", "pub fn jobs() { /* out of scope */ }\n")]);
    git(
        g.path(),
        &["commit", "-q", "--no-verify", "-m", &format!("fix [{WP}]")],
    );
    let rules = errors(&g, &["ci", "--base", "HEAD~1", "--head", "HEAD"]);
    assert!(rules.is_empty(), "{rules:?}");
}

#[test]
fn a_dependency_validated_in_the_same_change_still_blocks() {
    let dep = "WP-1-Dep";
    let g = Gated::with(|r| {
        r.write(
            &packet_path(dep),
            packet_text(dep, &["src/dep.rs"], "In Progress", "None"),
        );
        r.write(
            &packet_path(EVIL),
            packet_text(EVIL, &["src/api/jobs.rs"], "In Progress", dep),
        );
        r.git(&["add", "-A"]);
        r.git(&["commit", "-q", "--no-verify", "-m", "gov: packets"]);
    });
    let base = g.r.head();
    // Flip the dependency's (mutable) STATUS to VALIDATED and do the blocked work at once.
    let flipped = packet_text(dep, &["src/dep.rs"], "VALIDATED", "None");
    g.stage(&[
        (&packet_path(dep), &flipped),
        ("src/api/jobs.rs", "pub fn jobs() { /* blocked work */ }\n"),
    ]);
    let msg = format!("feat [{EVIL}]");
    git(g.path(), &["commit", "-q", "--no-verify", "-m", &msg]);
    let rules = errors(&g, &["ci", "--base", &base, "--head", "HEAD"]);
    assert!(rules.contains(&"deps.blocked".to_string()), "{rules:?}");
    // Validated first (its own change, merged), the work is no longer blocked.
    git(g.path(), &["reset", "-q", "--hard", &base]);
    g.stage(&[(&packet_path(dep), &flipped)]);
    git(
        g.path(),
        &[
            "commit",
            "-q",
            "--no-verify",
            "-m",
            &format!("gov: validated [{dep}]"),
        ],
    );
    let validated = g.r.head();
    g.stage(&[(
        "src/api/jobs.rs",
        "pub fn jobs() { /* unblocked work */ }\n",
    )]);
    git(g.path(), &["commit", "-q", "--no-verify", "-m", &msg]);
    let rules = errors(&g, &["ci", "--base", &validated, "--head", "HEAD"]);
    assert!(!rules.contains(&"deps.blocked".to_string()), "{rules:?}");
}

#[test]
fn deleting_the_status_of_a_validated_packet_does_not_reactivate_it() {
    let done = "WP-1-Done";
    let g = Gated::with(|r| {
        r.write(
            &packet_path(done),
            packet_text(done, &["src/api/jobs.rs"], "VALIDATED", "None"),
        );
        r.git(&["add", "-A"]);
        r.git(&["commit", "-q", "--no-verify", "-m", "gov: done packet"]);
    });
    let base = g.r.head();
    let without_status = packet_text(done, &["src/api/jobs.rs"], "VALIDATED", "None")
        .replace("- STATUS: VALIDATED\n", "");
    g.stage(&[
        (&packet_path(done), &without_status),
        ("src/api/jobs.rs", "pub fn jobs() { /* more work */ }\n"),
    ]);
    git(
        g.path(),
        &[
            "commit",
            "-q",
            "--no-verify",
            "-m",
            &format!("feat [{done}]"),
        ],
    );
    let rules = errors(&g, &["ci", "--base", &base, "--head", "HEAD"]);
    assert!(
        rules.contains(&"packet.inactive-status".to_string()),
        "{rules:?}"
    );
}

#[test]
fn a_packet_without_status_authorises_nothing() {
    let bare = "WP-1-Bare";
    let g = Gated::with(|r| {
        r.write(
            &packet_path(bare),
            packet_text(bare, &["src/api/jobs.rs"], "x", "None").replace("- STATUS: x\n", ""),
        );
        r.git(&["add", "-A"]);
        r.git(&[
            "commit",
            "-q",
            "--no-verify",
            "-m",
            "gov: packet without status",
        ]);
    });
    let base = g.r.head();
    g.stage(&[("src/api/jobs.rs", "pub fn jobs() { /* work */ }\n")]);
    git(
        g.path(),
        &[
            "commit",
            "-q",
            "--no-verify",
            "-m",
            &format!("feat [{bare}]"),
        ],
    );
    let rules = errors(&g, &["ci", "--base", &base, "--head", "HEAD"]);
    assert_eq!(rules, vec!["packet.inactive-status".to_string()]);
}

#[test]
fn widening_the_scope_of_an_approved_packet_in_the_change_grants_nothing() {
    // The bound packet's scope is the trusted one: a change that edits the packet (and
    // is caught by the lock rule) cannot also use its own wider scope.
    let g = Gated::new();
    let base = g.r.head();
    let widened = g.read(&g.packet_path()).replace(
        "  * src/storage/mod.rs\n",
        "  * src/storage/mod.rs\n  * src/main.rs\n",
    );
    g.stage(&[
        (&g.packet_path(), &widened),
        ("src/main.rs", "fn main() { /* widened */ }\n"),
    ]);
    git(
        g.path(),
        &["commit", "-q", "--no-verify", "-m", &format!("feat [{WP}]")],
    );
    let rules = errors(&g, &["ci", "--base", &base, "--head", "HEAD"]);
    assert!(
        rules.contains(&"scope.out-of-scope".to_string()),
        "{rules:?}"
    );
    assert!(
        rules.contains(&"lock.locked-packet-edited".to_string()),
        "{rules:?}"
    );
}

#[test]
fn parent_mode_lets_an_earlier_commit_authorise_a_later_one_but_never_itself() {
    let g = Gated::with(|r| {
        r.write("wpgate.toml", "[trust]\nmode = \"parent\"\n");
        r.git(&["add", "-A"]);
        r.git(&["commit", "-q", "--no-verify", "-m", "gov: parent mode"]);
    });
    let base = g.r.head();
    // Commit 1: the packet. Commit 2: the work under it.
    g.stage(&[(
        &packet_path(EVIL),
        &packet_text(EVIL, &["src/api/jobs.rs"], "In Progress", "None"),
    )]);
    git(
        g.path(),
        &["commit", "-q", "--no-verify", "-m", "gov: packet"],
    );
    g.stage(&[("src/api/jobs.rs", "pub fn jobs() { /* work */ }\n")]);
    git(
        g.path(),
        &[
            "commit",
            "-q",
            "--no-verify",
            "-m",
            &format!("feat [{EVIL}]"),
        ],
    );
    let rules = errors(&g, &["ci", "--base", &base, "--head", "HEAD"]);
    assert!(rules.is_empty(), "parent mode: {rules:?}");
    // Both in one commit: refused even in parent mode.
    git(g.path(), &["reset", "-q", "--hard", &base]);
    g.stage(&[
        (
            &packet_path(EVIL),
            &packet_text(EVIL, &["src/api/jobs.rs"], "In Progress", "None"),
        ),
        ("src/api/jobs.rs", "pub fn jobs() { /* work */ }\n"),
    ]);
    git(
        g.path(),
        &[
            "commit",
            "-q",
            "--no-verify",
            "-m",
            &format!("feat [{EVIL}]"),
        ],
    );
    let rules = errors(&g, &["ci", "--base", &base, "--head", "HEAD"]);
    assert!(
        rules.contains(&"binding.unapproved-packet".to_string()),
        "{rules:?}"
    );
    // And the default mode refuses the two-commit version too.
    let g2 = Gated::new();
    let base2 = g2.r.head();
    g2.stage(&[(
        &packet_path(EVIL),
        &packet_text(EVIL, &["src/api/jobs.rs"], "In Progress", "None"),
    )]);
    git(
        g2.path(),
        &["commit", "-q", "--no-verify", "-m", "gov: packet"],
    );
    g2.stage(&[("src/api/jobs.rs", "pub fn jobs() { /* work */ }\n")]);
    git(
        g2.path(),
        &[
            "commit",
            "-q",
            "--no-verify",
            "-m",
            &format!("feat [{EVIL}]"),
        ],
    );
    let rules = errors(&g2, &["ci", "--base", &base2, "--head", "HEAD"]);
    assert!(
        rules.contains(&"binding.unapproved-packet".to_string()),
        "{rules:?}"
    );
}

#[test]
fn the_change_cannot_switch_itself_to_parent_mode() {
    let g = Gated::new();
    let base = g.r.head();
    g.stage(&[
        ("wpgate.toml", "[trust]\nmode = \"parent\"\n"),
        (
            &packet_path(EVIL),
            &packet_text(
                EVIL,
                &["src/api/jobs.rs", "wpgate.toml"],
                "In Progress",
                "None",
            ),
        ),
    ]);
    git(
        g.path(),
        &[
            "commit",
            "-q",
            "--no-verify",
            "-m",
            "gov: packet and parent mode",
        ],
    );
    g.stage(&[("src/api/jobs.rs", "pub fn jobs() { /* work */ }\n")]);
    git(
        g.path(),
        &[
            "commit",
            "-q",
            "--no-verify",
            "-m",
            &format!("feat [{EVIL}]"),
        ],
    );
    let rules = errors(&g, &["ci", "--base", &base, "--head", "HEAD"]);
    assert!(
        rules.contains(&"binding.unapproved-packet".to_string()),
        "{rules:?}"
    );
    assert!(rules.contains(&"policy.changed".to_string()), "{rules:?}");
}

#[test]
fn pre_commit_pre_push_and_ci_agree_for_the_same_base() {
    // A feature branch off main: the packet commit is on the branch only.
    let g = Gated::new();
    let base = g.r.head();
    g.r.git(&["checkout", "-q", "-b", "feature"]);
    g.stage(&[(
        &packet_path(EVIL),
        &packet_text(EVIL, &["src/api/jobs.rs"], "In Progress", "None"),
    )]);
    git(
        g.path(),
        &["commit", "-q", "--no-verify", "-m", "gov: packet"],
    );
    g.stage(&[("src/api/jobs.rs", "pub fn jobs() { /* work */ }\n")]);
    let pre = errors(&g, &["check", "--staged"]);
    let msg = g.r.dir.path().join("MSG");
    std::fs::write(&msg, format!("feat [{EVIL}]\n")).expect("msg");
    let cm = errors(&g, &["commit-msg", msg.to_str().expect("utf-8")]);
    git(
        g.path(),
        &[
            "commit",
            "-q",
            "--no-verify",
            "-m",
            &format!("feat [{EVIL}]"),
        ],
    );
    let ci = errors(&g, &["ci", "--base", &base, "--head", "HEAD"]);
    let (ok, out) = git_hooked_env(
        g.path(),
        &["push", "origin", "HEAD:refs/heads/feature"],
        &[],
    );
    let want = vec!["binding.unapproved-packet".to_string()];
    assert_eq!(
        pre,
        Vec::<String>::new(),
        "pre-commit waits for the message"
    );
    assert_eq!(cm, want, "commit-msg");
    assert_eq!(ci, want, "ci");
    assert!(
        !ok && out.contains("binding.unapproved-packet"),
        "pre-push: {out}"
    );
}
