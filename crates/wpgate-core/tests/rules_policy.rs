//! Policy self-protection on real repositories: `policy.changed` (a change adding,
//! editing, deleting or renaming `wpgate.toml`, `.wpgate.toml`, the waiver file, the
//! packet template or the signature audit without a bound packet whose IN_SCOPE_PATHS
//! names the file, or a role `roles.paths` allows), through [`Gate::staged`] (commit-msg)
//! and [`Gate::commits`] (`check --commit`), with the policy discovered as the CLI does.
//!
//! Every repository is built with the git CLI (real `git commit`); every gate run is
//! checked not to write to it.

mod gate_util;
mod git_common;

use gate_util::{packet_path, rules, stage};
use git_common::*;
use wpgate_core::gate::authority;
use wpgate_core::{Context, Diagnostic, Gate, Repo, Severity};

const WP: &str = "WP-1-Storage-Layer";
const SIG: &str = "ilja010120260900";
const BOARD: &str =
    "# Task Board\n\n## In Progress\n- **[WP-1-Storage-Layer]** / IN PROGRESS: storage trait\n";
/// The repository's own policy: valid, and granting a Lead role the policy file.
const POLICY: &str =
    "# Team policy.\n[roles.paths.Lead]\nallow = [\"wpgate.toml\"]\n\n[roles.paths.Anyone]\n";
const WAIVERS: &str = "# No waivers.\n";
const AUDIT: &str = "# Signature Audit\n\n| Signature | Role | Date | Purpose | Spec | Notes |\n|---|---|---|---|---|---|\n";
const TEMPLATE: &str = "# Task Packet: {WP_ID}\n\n- TASK_ID: {WP_ID}\n";

fn packet_text(id: &str, in_scope: &[&str], out_of_scope: &[&str]) -> String {
    let ins: String = in_scope.iter().map(|p| format!("  * {p}\n")).collect();
    let outs: String = out_of_scope.iter().map(|p| format!("  * {p}\n")).collect();
    format!(
        "# Task Packet: {id}

## Metadata
- TASK_ID: {id}
- STATUS: In Progress

## Scope
- **What**: Work on the gate configuration.
- **Why**: The team needs it.
- **IN_SCOPE_PATHS**:
{ins}- **OUT_OF_SCOPE**:
{outs}
## Quality Gate
- **RISK_TIER**: LOW
- **DONE_MEANS**:
  * it works (§2.1.1)

---

**Last Updated:** 2026-01-01
**User Signature Locked:** {SIG}
"
    )
}

/// The default layout with every protected file but the packet template, and four locked
/// packets:
/// - [`WP`]: the storage module only;
/// - `WP-1-Gate-Policy`: names `wpgate.toml` and `docs/WAIVERS.toml` exactly;
/// - `WP-1-Broad`: covers them by a glob and a directory only;
/// - `WP-1-Excluded`: names `wpgate.toml` and excludes it again.
fn governed() -> TestRepo {
    let r = TestRepo::new();
    let packets = [
        (WP, packet_text(WP, &["src/storage/mod.rs"], &["src/api/"])),
        (
            "WP-1-Gate-Policy",
            packet_text(
                "WP-1-Gate-Policy",
                &["`wpgate.toml`", "docs/WAIVERS.toml"],
                &["src/"],
            ),
        ),
        (
            "WP-1-Broad",
            packet_text("WP-1-Broad", &["*.toml", "docs/"], &["src/"]),
        ),
        (
            "WP-1-Excluded",
            packet_text(
                "WP-1-Excluded",
                &["wpgate.toml"],
                &["wpgate.toml (the policy is the lead's)"],
            ),
        ),
    ];
    let mut files: Vec<(String, &str)> = packets
        .iter()
        .map(|(id, t)| (packet_path(id), t.as_str()))
        .collect();
    files.extend([
        ("docs/TASK_BOARD.md".to_string(), BOARD),
        ("wpgate.toml".to_string(), POLICY),
        ("docs/WAIVERS.toml".to_string(), WAIVERS),
        ("docs/SIGNATURE_AUDIT.md".to_string(), AUDIT),
        ("src/storage/mod.rs".to_string(), "pub trait Storage {}\n"),
        ("src/wpgate.toml".to_string(), "# not the policy\n"),
    ]);
    let files: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), *c)).collect();
    r.commit_files("bootstrap", &files);
    r
}

/// The gate as the CLI builds it: judged by the trusted base of the change whose tip is
/// `tip` (`None`: the staged index), with that base's own policy.
fn with_gate<T>(r: &TestRepo, what: &str, tip: Option<&str>, f: impl FnOnce(&mut Gate) -> T) -> T {
    unchanged(&r.path, what, || {
        let repo = Repo::discover(&r.path).expect("repository");
        let (base, policy, _) =
            authority::resolve(&repo, |t| Ok(authority::trusted_base(&repo, t, tip)))
                .expect("policy");
        let mut gate = Gate::new(&repo, &policy)
            .and_then(|g| g.with_base(base))
            .expect("gate");
        f(&mut gate)
    })
}

fn staged(r: &TestRepo, msg: &str) -> Vec<Diagnostic> {
    let ctx = Context {
        message: Some(msg.to_string()),
        ..Context::default()
    };
    with_gate(r, "Gate::staged", None, |g| {
        g.staged(&ctx).expect("staged").diagnostics
    })
}

fn committed(r: &TestRepo, sha: &str) -> Vec<Diagnostic> {
    with_gate(r, "Gate::commits", Some(sha), |g| {
        g.commits(&[sha.to_string()], &Context::default())
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

/// Judges what is staged with `msg` (commit-msg), commits it (real `git commit`) and
/// judges the commit. Both must find exactly `want`, with the same messages; returns the
/// findings on the commit.
fn expect(r: &TestRepo, msg: &str, want: &[&str]) -> Vec<Diagnostic> {
    let pre = staged(r, msg);
    r.git(&["commit", "-q", "-m", msg]);
    let post = committed(r, &r.head());
    assert_eq!(rules(&pre), want, "staged, {msg:?}: {pre:#?}");
    assert_eq!(rules(&post), want, "commit, {msg:?}: {post:#?}");
    let mut a: Vec<_> = pre.iter().map(key).collect();
    let mut b: Vec<_> = post.iter().map(key).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b, "staged and committed findings differ");
    post
}

fn policy_findings(d: &[Diagnostic]) -> Vec<(&str, &str)> {
    let mut v: Vec<(&str, &str)> = d
        .iter()
        .filter(|d| d.rule == "policy.changed")
        .map(|d| (d.path.as_deref().unwrap_or(""), d.message.as_str()))
        .collect();
    v.sort_unstable();
    v
}

/// `POLICY` with one more comment line: a harmless edit of the policy file.
fn edited_policy() -> String {
    format!("{POLICY}# edited\n")
}

#[test]
fn editing_the_policy_under_a_packet_that_does_not_name_it_fires() {
    let r = governed();
    stage(&r, &[("wpgate.toml", &edited_policy())]);
    let d = expect(
        &r,
        &format!("chore: tune [{WP}]"),
        &["policy.changed", "scope.out-of-scope"],
    );
    let p = d
        .iter()
        .find(|d| d.rule == "policy.changed")
        .expect("finding");
    assert_eq!(p.path.as_deref(), Some("wpgate.toml"));
    assert_eq!(p.wp.as_deref(), Some(WP));
    assert_eq!(p.severity, Severity::Error);
    assert_eq!(
        p.message,
        format!(
            "wpgate.toml (policy file) changed, but the bound packet {WP} does not name \
             wpgate.toml in its IN_SCOPE_PATHS and the commit names no role"
        )
    );
}

#[test]
fn the_same_edit_under_a_packet_naming_the_file_passes() {
    let r = governed();
    stage(&r, &[("wpgate.toml", &edited_policy())]);
    expect(&r, "chore: tune [WP-1-Gate-Policy]", &[]);
    stage(&r, &[("docs/WAIVERS.toml", "# Still no waivers.\n")]);
    expect(&r, "chore: waivers [WP-1-Gate-Policy]", &[]);
}

#[test]
fn a_glob_or_directory_scope_does_not_authorise_it() {
    // In scope for scope.out-of-scope, yet not named exactly.
    let r = governed();
    stage(&r, &[("wpgate.toml", &edited_policy())]);
    let d = expect(&r, "chore: tune [WP-1-Broad]", &["policy.changed"]);
    assert!(d[0]
        .message
        .contains("WP-1-Broad does not name wpgate.toml"));
    stage(&r, &[("docs/WAIVERS.toml", "# Still no waivers.\n")]);
    let d = expect(&r, "chore: waivers [WP-1-Broad]", &["policy.changed"]);
    assert_eq!(d[0].path.as_deref(), Some("docs/WAIVERS.toml"));
    assert!(d[0]
        .message
        .starts_with("docs/WAIVERS.toml (waiver file) changed"));
}

#[test]
fn out_of_scope_wins_over_naming_the_file() {
    let r = governed();
    stage(&r, &[("wpgate.toml", &edited_policy())]);
    expect(
        &r,
        "chore: tune [WP-1-Excluded]",
        &["policy.changed", "scope.out-of-scope"],
    );
}

#[test]
fn every_protected_file_is_guarded_and_lookalikes_are_not() {
    let cases = [
        ("wpgate.toml", "policy file"),
        ("docs/WAIVERS.toml", "waiver file"),
        ("docs/SIGNATURE_AUDIT.md", "signature audit"),
    ];
    for (path, what) in cases {
        let r = governed();
        let old = std::fs::read_to_string(r.path.join(path)).expect("read");
        stage(&r, &[(path, &format!("{old}# edited\n"))]);
        let d = expect(&r, "chore: unbound edit", &rules_for(path));
        assert_eq!(
            policy_findings(&d),
            [(
                path,
                format!(
                    "{path} ({what}) changed, but the change is bound to no packet and the \
                     commit names no role"
                )
                .as_str()
            )]
        );
    }
    // Not protected: a policy-named file elsewhere, a sibling of the waiver file.
    let r = governed();
    stage(
        &r,
        &[
            ("src/wpgate.toml", "# still not the policy\n"),
            ("docs/WAIVERS.toml.bak", WAIVERS),
        ],
    );
    expect(&r, "chore: unbound edit", &["binding.no-packet"]);
}

/// The findings of an unbound edit of `path`: `policy.changed`, and `binding.no-packet`
/// unless the path is exempt from binding (the signature audit is).
fn rules_for(path: &str) -> Vec<&'static str> {
    if path == "docs/SIGNATURE_AUDIT.md" {
        vec!["policy.changed"]
    } else {
        vec!["binding.no-packet", "policy.changed"]
    }
}

#[test]
fn adding_deleting_and_renaming_protected_files_fire() {
    // Adding the packet template (absent so far) and a second policy file.
    let r = governed();
    stage(
        &r,
        &[
            ("docs/templates/TASK_PACKET_TEMPLATE.md", TEMPLATE),
            (".wpgate.toml", "# also a policy name\n"),
        ],
    );
    let d = expect(
        &r,
        "chore: add [WP-1-Gate-Policy]",
        &[
            "policy.changed",
            "policy.changed",
            "scope.out-of-scope",
            "scope.out-of-scope",
        ],
    );
    let found: Vec<&str> = policy_findings(&d).iter().map(|(p, _)| *p).collect();
    assert_eq!(
        found,
        [".wpgate.toml", "docs/templates/TASK_PACKET_TEMPLATE.md"]
    );
    assert!(d
        .iter()
        .any(|d| d.message.contains("(packet template) changed")));

    // Deleting the waiver file: fires even under a broad packet; the naming packet may.
    let r = governed();
    r.git(&["rm", "-q", "docs/WAIVERS.toml"]);
    let d = expect(&r, "chore: drop waivers [WP-1-Broad]", &["policy.changed"]);
    assert_eq!(d[0].path.as_deref(), Some("docs/WAIVERS.toml"));
    let r = governed();
    r.git(&["rm", "-q", "docs/WAIVERS.toml"]);
    expect(&r, "chore: drop waivers [WP-1-Gate-Policy]", &[]);

    // Renaming the policy file: both names are protected, both are reported, once each.
    let r = governed();
    r.git(&["mv", "wpgate.toml", ".wpgate.toml"]);
    let d = expect(
        &r,
        "chore: hide the policy [WP-1-Gate-Policy]",
        &["policy.changed", "scope.out-of-scope"],
    );
    let found: Vec<&str> = policy_findings(&d).iter().map(|(p, _)| *p).collect();
    assert_eq!(found, [".wpgate.toml"]);
}

#[test]
fn a_role_needs_an_explicit_allow_for_the_file() {
    // The default Orchestrator is granted the signature audit...
    let r = governed();
    let audit = format!("{AUDIT}| ilja010120260900 | Orchestrator | 2026-01-01 09:00 | Task packet lock: {WP} | v01 | |\n");
    stage(&r, &[("docs/SIGNATURE_AUDIT.md", &audit)]);
    expect(&r, "docs: record the lock\n\nRole: Orchestrator", &[]);
    // ...not the waiver file.
    stage(&r, &[("docs/WAIVERS.toml", "# Still no waivers.\n")]);
    let d = expect(
        &r,
        "docs: waivers\n\nRole: Orchestrator",
        &["binding.no-packet", "policy.changed", "role.forbidden-path"],
    );
    let (_, msg) = policy_findings(&d)[0];
    assert!(
        msg.ends_with("role Orchestrator is not granted docs/WAIVERS.toml by roles.paths"),
        "{msg}"
    );
    // The repository's Lead is granted wpgate.toml; a role without an allow list is not.
    stage(&r, &[("wpgate.toml", &edited_policy())]);
    expect(
        &r,
        &format!("chore: tune [{WP}]\n\nRole: Lead"),
        &["scope.out-of-scope"],
    );
    stage(
        &r,
        &[("wpgate.toml", &format!("{}# again\n", edited_policy()))],
    );
    expect(
        &r,
        &format!("chore: tune [{WP}]\n\nRole: Anyone"),
        &["policy.changed", "scope.out-of-scope"],
    );
}

#[test]
fn a_binding_to_a_missing_packet_is_named_in_the_finding() {
    let r = governed();
    stage(&r, &[("wpgate.toml", &edited_policy())]);
    let d = expect(
        &r,
        "chore: tune [WP-1-Nope]",
        &["binding.unknown-packet", "policy.changed"],
    );
    let (_, msg) = policy_findings(&d)[0];
    assert!(
        msg.contains("the bound packet WP-1-Nope does not exist"),
        "{msg}"
    );
}

// ---------------------------------------------------------------------------------------
// The policy in force is the edited one (SECURITY.md, T2).

/// SECURITY.md (T2) says a change that edits the policy is reported by `policy.changed`
/// "from that same run", in particular that `severity = "off"` for the rule "is itself a
/// change to the policy file, hence reported". The gate judges the change with the policy
/// discovered from the work tree, i.e. the edited one, whose `policy.changed` is off.
#[test]
fn turning_the_rule_off_is_itself_reported() {
    let r = governed();
    let off = format!("{POLICY}\n[rules.\"policy.changed\"]\nseverity = \"off\"\n");
    stage(&r, &[("wpgate.toml", &off)]);
    let d = staged(&r, &format!("chore: quiet [{WP}]"));
    assert_eq!(policy_findings(&d).len(), 1, "{d:#?}");
    r.git(&["commit", "-q", "-m", &format!("chore: quiet [{WP}]")]);
    let d = committed(&r, &r.head());
    assert_eq!(policy_findings(&d).len(), 1, "{d:#?}");
}

/// Same cause: a change can grant its own role the policy file and pass.
#[test]
fn granting_oneself_the_policy_file_is_itself_reported() {
    let r = governed();
    let grant = format!("{POLICY}\n[roles.paths.Me]\nallow = [\"wpgate.toml\"]\n");
    stage(&r, &[("wpgate.toml", &grant)]);
    let msg = format!("chore: grant [{WP}]\n\nRole: Me");
    let d = staged(&r, &msg);
    assert_eq!(policy_findings(&d).len(), 1, "{d:#?}");
    r.git(&["commit", "-q", "-m", &msg]);
    let d = committed(&r, &r.head());
    assert_eq!(policy_findings(&d).len(), 1, "{d:#?}");
}

#[test]
fn a_case_or_normalisation_variant_of_a_protected_file_is_that_file() {
    // On a case-insensitive checkout (macOS, Windows) each of these paths is the policy or
    // the waiver file; WP-1-Broad covers them for scope.out-of-scope, not for the policy.
    // (`*.toml` is exact too: `WPGATE.TOML` is not in WP-1-Broad's scope.)
    for (path, name, what, want) in [
        (
            "WPGATE.TOML",
            "wpgate.toml",
            "policy file",
            &["policy.changed", "scope.out-of-scope"][..],
        ),
        (
            "Wpgate.toml",
            "wpgate.toml",
            "policy file",
            &["policy.changed"][..],
        ),
        (
            ".WPGATE.toml",
            ".wpgate.toml",
            "policy file",
            &["policy.changed"][..],
        ),
        (
            "docs/waivers.toml",
            "docs/WAIVERS.toml",
            "waiver file",
            &["policy.changed"][..],
        ),
        (
            "docs/Signature_Audit.md",
            "docs/SIGNATURE_AUDIT.md",
            "signature audit",
            &["policy.changed"][..],
        ),
    ] {
        let r = governed();
        stage(
            &r,
            &[(path, "[rules.\"policy.changed\"]\nseverity = \"off\"\n")],
        );
        let d = expect(&r, "chore: tune [WP-1-Broad]", want);
        let p = policy_findings(&d);
        assert_eq!(p.len(), 1, "{d:#?}");
        assert_eq!(p[0].0, path);
        assert_eq!(
            p[0].1,
            format!(
                "{path} ({what}: the same file as {name} on a case-insensitive file system) \
                 changed, but the bound packet WP-1-Broad does not name {path} in its \
                 IN_SCOPE_PATHS and the commit names no role"
            )
        );
    }
    // Authorisation stays exact: a packet naming `wpgate.toml` does not name `Wpgate.toml`,
    // a role allowed `wpgate.toml` is not allowed `WPGATE.TOML`.
    let r = governed();
    stage(&r, &[("Wpgate.toml", "# lax\n")]);
    expect(
        &r,
        "chore: tune [WP-1-Gate-Policy]",
        &["policy.changed", "scope.out-of-scope"],
    );
    stage(&r, &[("WPGATE.TOML", "# lax\n")]);
    let d = expect(
        &r,
        "chore: tune [WP-1-Gate-Policy]\n\nRole: Lead",
        &[
            "policy.changed",
            "role.forbidden-path",
            "scope.out-of-scope",
        ],
    );
    let d = of_rule(&d, "policy.changed");
    assert!(
        d[0].message
            .contains("role Lead is not granted WPGATE.TOML"),
        "{}",
        d[0].message
    );
}

#[test]
fn a_role_deny_list_covers_every_spelling_of_a_protected_file() {
    let r = governed();
    // The lead may write the policy and the TOML files of docs/, but not the waivers.
    stage(
        &r,
        &[(
            "wpgate.toml",
            "[roles.paths.Lead]\nallow = [\"wpgate.toml\", \"docs/*.toml\"]\ndeny = [\"docs/WAIVERS.toml\"]\n",
        )],
    );
    expect(&r, "chore: lead policy [WP-1-Broad]\n\nRole: Lead", &[]);
    stage(&r, &[("docs/notes.toml", "# notes\n")]);
    expect(&r, "docs: notes [WP-1-Broad]\n\nRole: Lead", &[]);
    stage(&r, &[("docs/waivers.toml", "[[waiver]]\n")]);
    // The deny list names the waiver file; both rules see through the spelling.
    let d = expect(
        &r,
        "chore: waive [WP-1-Broad]\n\nRole: Lead",
        &["policy.changed", "role.forbidden-path"],
    );
    assert!(d
        .iter()
        .all(|d| d.path.as_deref() == Some("docs/waivers.toml")));
}

fn of_rule<'d>(d: &'d [Diagnostic], rule: &str) -> Vec<&'d Diagnostic> {
    d.iter().filter(|d| d.rule == rule).collect()
}
