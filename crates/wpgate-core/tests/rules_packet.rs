//! The pre-work checklist rules: each triggers on a bad packet and stays quiet on a
//! complete, locked one. At the end (`bound_state`), the bound packet's state at bind
//! time on real repositories: `packet.inactive-status` and `packet.not-locked`.

use std::path::Path;

use wpgate_core::model::packet::parse_packet;
use wpgate_core::model::text::TextFile;
use wpgate_core::policy::Policy;
use wpgate_core::rules::packet::{check_packet, RULES};
use wpgate_core::rules::Emitter;
use wpgate_core::{Diagnostic, Severity};

fn load(name: &str) -> TextFile {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/packets")
        .join(name);
    let raw = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    TextFile::decode(&format!("docs/task_packets/{name}"), raw)
}

fn check_file(tf: &TextFile, policy: &Policy) -> Vec<Diagnostic> {
    let p = parse_packet(&tf.path, &tf.text, &policy.packet.fields);
    let mut out = Emitter::new(policy);
    check_packet(&p, tf, policy, &mut out);
    out.finish().diagnostics
}

fn check_text(name: &str, text: &str) -> Vec<Diagnostic> {
    let tf = TextFile::decode(
        &format!("docs/task_packets/{name}"),
        text.as_bytes().to_vec(),
    );
    check_file(&tf, &Policy::embedded())
}

fn rules_of(ds: &[Diagnostic]) -> Vec<&str> {
    ds.iter().map(|d| d.rule.as_str()).collect()
}

fn with(ds: &[Diagnostic], rule: &str) -> Vec<Diagnostic> {
    ds.iter().filter(|d| d.rule == rule).cloned().collect()
}

fn good() -> String {
    load("WP-1-Complete-Example.md").text.to_string()
}

#[test]
fn registry_is_complete() {
    let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    for id in [
        "packet.missing-field",
        "packet.placeholder",
        "packet.missing-anchor",
        "packet.vague-scope",
        "packet.missing-out-of-scope",
        "packet.empty-done-means",
        "packet.risk-tier",
        "packet.test-plan-commands",
        "packet.bootstrap-size",
        "packet.not-locked",
        "packet.encoding",
        "packet.id-mismatch",
        "packet.scope-escapes-repo",
        "packet.inactive-status",
        "packet.projection-drift",
        "packet.microtask-scope-escape",
    ] {
        let r = RULES
            .iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("{id}"));
        assert!(!r.summary.is_empty() && !r.help.is_empty() && !r.example.is_empty());
        let want = if matches!(
            id,
            "packet.bootstrap-size"
                | "packet.encoding"
                | "packet.id-mismatch"
                | "packet.projection-drift"
        ) {
            Severity::Warning
        } else {
            Severity::Error
        };
        assert_eq!(r.default, want, "{id}");
    }
    assert_eq!(ids.len(), 16);
}

#[test]
fn complete_locked_packet_is_clean() {
    let tf = load("WP-1-Complete-Example.md");
    let ds = check_file(&tf, &Policy::embedded());
    assert!(ds.is_empty(), "{:#?}", ds);
    // Also with CRLF line endings.
    let crlf = good().replace('\n', "\r\n");
    let ds = check_text("WP-1-Complete-Example.md", &crlf);
    assert!(ds.is_empty(), "{:#?}", ds);
}

#[test]
fn missing_field_one_per_field_at_title() {
    let text = good().replace("- **Effort**: 4-6 hours\n", "").replace(
        "- **What**: Add a cancellation endpoint for queued jobs.\n",
        "",
    );
    let ds = check_text("WP-1-Complete-Example.md", &text);
    let mf = with(&ds, "packet.missing-field");
    assert_eq!(mf.len(), 2, "{mf:#?}");
    assert!(mf
        .iter()
        .all(|d| d.line == Some(1) && d.wp.as_deref() == Some("WP-1-Complete-Example")));
    assert!(mf.iter().any(|d| d.message.contains("Effort")));
    assert!(mf.iter().any(|d| d.message.contains("What")));
    assert_eq!(mf[0].severity, Severity::Error);
}

#[test]
fn placeholder_rule() {
    let ds = check_file(&load("WP-1-Template-Placeholders.md"), &Policy::embedded());
    let ph = with(&ds, "packet.placeholder");
    assert!(ph
        .iter()
        .any(|d| d.message.contains("{1-2 sentence description}")));
    let text = load("WP-1-Template-Placeholders.md").text.to_string();
    for d in &ph {
        let sp = d.span.expect("span");
        assert!(text[sp.start..sp.end].starts_with('{'));
    }
    assert!(rules_of(&check_text("WP-1-Complete-Example.md", &good()))
        .iter()
        .all(|r| *r != "packet.placeholder"));
}

#[test]
fn missing_anchor_rule() {
    let ds = check_file(&load("WP-1-Bad-Checklist.md"), &Policy::embedded());
    assert_eq!(with(&ds, "packet.missing-anchor").len(), 1);
    let no_anchor = good().replace(
        "- **SPEC_ANCHOR**: §4.2.1 (Job Cancellation) [CX-JOB-010]\n",
        "",
    );
    let ds = check_text("WP-1-Complete-Example.md", &no_anchor);
    assert_eq!(with(&ds, "packet.missing-anchor").len(), 1);
    // The damaged section sign still counts as an anchor.
    let mangled = good().replace("§4.2.1", "??4.2.1");
    assert!(with(
        &check_text("WP-1-Complete-Example.md", &mangled),
        "packet.missing-anchor"
    )
    .is_empty());
}

#[test]
fn vague_scope_and_escapes() {
    let tf = load("WP-1-Bad-Checklist.md");
    let ds = check_file(&tf, &Policy::embedded());
    let vague: Vec<String> = with(&ds, "packet.vague-scope")
        .iter()
        .map(|d| {
            let sp = d.span.expect("span");
            tf.text[sp.start..sp.end].to_string()
        })
        .collect();
    assert_eq!(
        vague,
        vec!["src/", "src/backend", "**", "Everything related to storage"]
    );
    let esc = with(&ds, "packet.scope-escapes-repo");
    assert_eq!(esc.len(), 2, "{esc:#?}");
    assert!(esc[0].message.contains("../other-repo"));
    assert!(esc[1].message.contains("/etc/passwd"));
    // Prose from `### In Scope` is vague too.
    let ds = check_file(&load("WP-1-Bold-Status.md"), &Policy::embedded());
    assert_eq!(with(&ds, "packet.vague-scope").len(), 2);
    // min_dir_depth comes from the policy.
    let mut policy = Policy::embedded();
    policy.packet.min_dir_depth = 1;
    let ds = check_file(&tf, &policy);
    assert_eq!(with(&ds, "packet.vague-scope").len(), 2);
}

#[test]
fn out_of_scope_done_means_risk_tier_test_plan() {
    let ds = check_file(&load("WP-1-Bad-Checklist.md"), &Policy::embedded());
    let r = rules_of(&ds);
    assert!(r.contains(&"packet.missing-out-of-scope"));
    assert!(r.contains(&"packet.empty-done-means"));
    assert!(r.contains(&"packet.test-plan-commands"));
    let rt = with(&ds, "packet.risk-tier");
    assert_eq!(rt.len(), 1);
    assert!(rt[0].message.contains("CRITICAL"));
    // The template's `LOW | MEDIUM | HIGH` is not a tier.
    let ds = check_file(&load("WP-1-Template-Placeholders.md"), &Policy::embedded());
    assert_eq!(with(&ds, "packet.risk-tier").len(), 1);
    // No TEST_PLAN at all.
    let no_tp = good().replace("- **TEST_PLAN**:", "- **TESTING**:");
    let ds = check_text("WP-1-Complete-Example.md", &no_tp);
    assert_eq!(with(&ds, "packet.test-plan-commands").len(), 1);
}

#[test]
fn bootstrap_size_is_a_warning() {
    let ds = check_file(&load("WP-1-Bad-Checklist.md"), &Policy::embedded());
    let bs = with(&ds, "packet.bootstrap-size");
    assert_eq!(bs.len(), 3, "{bs:#?}");
    assert!(bs.iter().all(|d| d.severity == Severity::Warning));
    assert!(bs[0].message.contains("FILES_TO_OPEN has 1"));
    // Bounds from the policy.
    let mut policy = Policy::embedded();
    policy.packet.files_to_open = [1, 15];
    policy.packet.search_terms = [1, 20];
    policy.packet.risk_map = [1, 8];
    assert!(with(
        &check_file(&load("WP-1-Bad-Checklist.md"), &policy),
        "packet.bootstrap-size"
    )
    .is_empty());
}

#[test]
fn not_locked_rule() {
    for name in [
        "WP-1-Bad-Checklist.md",
        "WP-1-Bold-Status.md",
        "WP-1-Template-Placeholders.md",
    ] {
        let ds = check_file(&load(name), &Policy::embedded());
        assert_eq!(with(&ds, "packet.not-locked").len(), 1, "{name}");
    }
    let unsigned = good()
        .replace("- USER_SIGNATURE: alice020120261000\n", "")
        .replace("**User Signature Locked:** alice020120261000\n", "");
    let ds = check_text("WP-1-Complete-Example.md", &unsigned);
    let nl = with(&ds, "packet.not-locked");
    assert_eq!(nl.len(), 1);
    assert_eq!(nl[0].line, Some(1));
}

#[test]
fn encoding_rule() {
    let mut raw = good().into_bytes();
    let at = raw
        .iter()
        .position(|&b| b == b'\xc2')
        .expect("§ in fixture"); // first byte of §
    raw[at] = b'\xa7';
    raw.remove(at + 1);
    let tf = TextFile::decode("docs/task_packets/WP-1-Complete-Example.md", raw);
    let ds = check_file(&tf, &Policy::embedded());
    let enc = with(&ds, "packet.encoding");
    assert_eq!(enc.len(), 1);
    assert_eq!(enc[0].severity, Severity::Warning);
    assert_eq!(enc[0].line, tf.invalid_utf8_line);
}

#[test]
fn id_mismatch_rule() {
    let ds = check_file(&load("WP-1-Bad-Checklist.md"), &Policy::embedded());
    let im = with(&ds, "packet.id-mismatch");
    assert_eq!(im.len(), 1);
    assert!(im[0].message.contains("WP-1-Bad-Checklist-v2"));
    assert_eq!(im[0].severity, Severity::Warning);
}

#[test]
fn rules_can_be_turned_off_by_policy() {
    let policy = Policy::from_text(
        "wpgate.toml",
        "[rules.\"packet.vague-scope\"]\nseverity = \"off\"\n[rules.\"packet.id-mismatch\"]\nseverity = \"error\"\ncode = \"CX-603\"\n",
    )
    .expect("policy");
    let ds = check_file(&load("WP-1-Bad-Checklist.md"), &policy);
    assert!(with(&ds, "packet.vague-scope").is_empty());
    let im = with(&ds, "packet.id-mismatch");
    assert_eq!(im[0].severity, Severity::Error);
    assert_eq!(im[0].code.as_deref(), Some("CX-603"));
}

// ---------------------------------------------------------------------------------------
// The bound packet's state at bind time: `packet.inactive-status` (work committed under a
// packet whose STATUS is not in `scope.active_statuses`) and `packet.not-locked` (work
// committed under a packet without a real signature), on real repositories: changes
// staged and committed with the git CLI, judged by `Gate::staged` (commit-msg) and
// `Gate::commits` (`check --commit`); every gate run is checked not to write to the
// repository.

mod gate_util;
mod git_common;

mod bound_state {
    use super::gate_util::{rules, stage, with_gate};
    use super::git_common::*;
    use wpgate_core::{Context, Diagnostic, Severity};

    const WP: &str = "WP-1-Storage-Layer";
    const SIG: &str = "ilja010120260900";
    /// Line of `- STATUS:` in [`packet_text`].
    const STATUS_LINE: usize = 5;
    /// Line of `**User Signature Locked:**` in [`packet_text`].
    const FOOTER_LINE: usize = 23;

    /// The packet with this STATUS line (`None`: no STATUS) and footer signature (`None`:
    /// no footer at all).
    fn packet_text(status: Option<&str>, signature: Option<&str>) -> String {
        let status = status
            .map(|s| format!("- STATUS: {s}\n"))
            .unwrap_or_else(|| "- DATE: 2026-01-01\n".into());
        let footer = signature
            .map(|s| format!("**Last Updated:** 2026-01-01\n**User Signature Locked:** {s}\n"))
            .unwrap_or_else(|| "**Last Updated:** 2026-01-01\n".into());
        format!(
            "# Task Packet: {WP}

## Metadata
- TASK_ID: {WP}
{status}
## Scope
- **What**: Put every database call behind one `Storage` trait.
- **Why**: Backend portability.
- **IN_SCOPE_PATHS**:
  * src/storage/mod.rs
- **OUT_OF_SCOPE**:
  * src/api/ (→ WP-1-Api-Refactor)

## Quality Gate
- **RISK_TIER**: LOW
- **DONE_MEANS**:
  * the Storage trait exists (§2.1.1)

---

{footer}"
        )
    }

    fn packet_path() -> String {
        format!("docs/task_packets/{WP}.md")
    }

    /// The default layout with the packet `text`, the board and some code, committed.
    fn governed(text: &str) -> TestRepo {
        let r = TestRepo::new();
        r.commit_files(
            "bootstrap",
            &[
                (&packet_path(), text),
                ("docs/TASK_BOARD.md", "# Task Board\n"),
                ("src/storage/mod.rs", "pub trait Storage {}\n"),
            ],
        );
        r
    }

    fn key(d: &Diagnostic) -> (String, Option<String>, Option<usize>, String) {
        (d.rule.clone(), d.path.clone(), d.line, d.message.clone())
    }

    /// Judges what is staged with `msg` (commit-msg), commits it (real `git commit`) and
    /// judges the commit. Both must find exactly `want` (sorted rule ids), with the same
    /// paths, lines and messages; returns the findings on the commit.
    fn expect(r: &TestRepo, msg: &str, want: &[&str]) -> Vec<Diagnostic> {
        let ctx = Context {
            message: Some(msg.to_string()),
            ..Context::default()
        };
        let pre = with_gate(r, "Gate::staged", |g| {
            g.staged(&ctx).expect("staged").diagnostics
        });
        r.git(&["commit", "-q", "-m", msg]);
        let sha = r.head();
        let post = with_gate(r, "Gate::commits", |g| {
            g.commits(std::slice::from_ref(&sha), &Context::default())
                .expect("commits")
                .diagnostics
        });
        assert_eq!(rules(&pre), want, "staged, {msg:?}: {pre:#?}");
        assert_eq!(rules(&post), want, "commit, {msg:?}: {post:#?}");
        let mut a: Vec<_> = pre.iter().map(key).collect();
        let mut b: Vec<_> = post.iter().map(key).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b, "staged and committed findings differ");
        post
    }

    fn msg() -> String {
        format!("feat: storage [{WP}]")
    }

    /// Stages one more edit of the storage module (in scope).
    fn code_edit(r: &TestRepo, n: usize) {
        stage(
            r,
            &[(
                "src/storage/mod.rs",
                &format!("pub trait Storage {{}}\n// {n}\n"),
            )],
        );
    }

    #[test]
    fn inactive_status_fires_on_work_under_a_validated_packet() {
        let r = governed(&packet_text(Some("Validated"), Some(SIG)));
        code_edit(&r, 1);
        let d = expect(&r, &msg(), &["packet.inactive-status"]);
        assert_eq!(d[0].path.as_deref(), Some(packet_path().as_str()));
        assert_eq!(d[0].line, Some(STATUS_LINE));
        assert_eq!(d[0].wp.as_deref(), Some(WP));
        assert_eq!(d[0].severity, Severity::Error);
        assert_eq!(
            d[0].message,
            format!("work committed under {WP} whose STATUS is `Validated`, not an active state")
        );
    }

    #[test]
    fn active_statuses_pass_whatever_their_spelling() {
        for status in [
            "In Progress",
            "Ready for Dev",
            "ready-for-dev",
            "IN_PROGRESS",
        ] {
            let r = governed(&packet_text(Some(status), Some(SIG)));
            code_edit(&r, 1);
            expect(&r, &msg(), &[]);
        }
        // A packet without a STATUS is not in an active state: fail closed.
        let r = governed(&packet_text(None, Some(SIG)));
        code_edit(&r, 1);
        let d = expect(&r, &msg(), &["packet.inactive-status"]);
        assert!(d[0].message.contains("no STATUS"), "{}", d[0].message);
    }

    #[test]
    fn every_status_outside_the_active_ones_fires() {
        for status in ["Done", "Blocked", "Draft", "In Progress (paused)"] {
            let r = governed(&packet_text(Some(status), Some(SIG)));
            code_edit(&r, 1);
            let d = expect(&r, &msg(), &["packet.inactive-status"]);
            assert!(
                d[0].message.contains(&format!("`{status}`")),
                "{}",
                d[0].message
            );
        }
    }

    #[test]
    fn inactive_status_needs_a_governed_change() {
        // Only exempt paths (the board): nothing is worked on under the packet.
        let r = governed(&packet_text(Some("Validated"), Some(SIG)));
        stage(&r, &[("docs/TASK_BOARD.md", "# Task Board\n\n- note\n")]);
        expect(&r, &msg(), &[]);
        // The same plus code.
        stage(
            &r,
            &[("docs/TASK_BOARD.md", "# Task Board\n\n- another note\n")],
        );
        code_edit(&r, 2);
        expect(&r, &msg(), &["packet.inactive-status"]);
    }

    #[test]
    fn the_status_is_the_trusted_revisions_not_the_changes() {
        // STATUS is mutable in a locked packet, but the change cannot decide it for
        // itself: reopening a Validated packet in the same commit as more work leaves
        // that work inactive...
        let r = governed(&packet_text(Some("Validated"), Some(SIG)));
        stage(
            &r,
            &[(&packet_path(), &packet_text(Some("In Progress"), Some(SIG)))],
        );
        code_edit(&r, 1);
        let d = expect(&r, &msg(), &["packet.inactive-status"]);
        assert!(d[0].message.contains("`Validated`"), "{}", d[0].message);
        // ...and deleting the STATUS line of a Validated packet does too (and is a
        // lock edit)...
        let r = governed(&packet_text(Some("Validated"), Some(SIG)));
        stage(&r, &[(&packet_path(), &packet_text(None, Some(SIG)))]);
        code_edit(&r, 1);
        let d = expect(
            &r,
            &msg(),
            &["lock.locked-packet-edited", "packet.inactive-status"],
        );
        assert!(d.iter().any(|d| d.message.contains("`Validated`")), "{d:?}");
        // ...while closing an active packet in the same commit as its last work is fine:
        // the trusted revision still has it in progress.
        let r = governed(&packet_text(Some("In Progress"), Some(SIG)));
        stage(
            &r,
            &[(&packet_path(), &packet_text(Some("Done"), Some(SIG)))],
        );
        code_edit(&r, 1);
        expect(&r, &msg(), &[]);
    }

    #[test]
    fn not_locked_fires_on_work_under_a_placeholder_signature() {
        let r = governed(&packet_text(Some("In Progress"), Some("<pending>")));
        code_edit(&r, 1);
        let d = expect(&r, &msg(), &["packet.not-locked"]);
        assert_eq!(d[0].path.as_deref(), Some(packet_path().as_str()));
        assert_eq!(d[0].line, Some(FOOTER_LINE));
        assert_eq!(d[0].wp.as_deref(), Some(WP));
        assert_eq!(d[0].severity, Severity::Error);
        assert_eq!(d[0].code.as_deref(), Some("CX-607"));
        assert_eq!(
            d[0].message,
            format!("work committed under {WP} which is not locked with a USER_SIGNATURE")
        );
        // The same packet with a real signature.
        let r = governed(&packet_text(Some("In Progress"), Some(SIG)));
        code_edit(&r, 1);
        expect(&r, &msg(), &[]);
    }

    #[test]
    fn not_locked_fires_without_any_signature() {
        for sig in [None, Some("{signature}"), Some("TBD"), Some("")] {
            let r = governed(&packet_text(Some("In Progress"), sig));
            code_edit(&r, 1);
            let d = expect(&r, &msg(), &["packet.not-locked"]);
            if sig.is_none() {
                assert_eq!(d[0].line, None, "no signature line to point at");
            }
        }
    }

    #[test]
    fn a_metadata_signature_locks_the_packet() {
        let text = packet_text(Some("In Progress"), None)
            .replace("- STATUS:", &format!("- USER_SIGNATURE: {SIG}\n- STATUS:"));
        let r = governed(&text);
        code_edit(&r, 1);
        expect(&r, &msg(), &[]);
    }

    #[test]
    fn not_locked_needs_a_governed_change_and_the_binding() {
        let r = governed(&packet_text(Some("In Progress"), None));
        // Exempt paths only.
        stage(&r, &[("docs/TASK_BOARD.md", "# Task Board\n\n- note\n")]);
        expect(&r, &msg(), &[]);
        // Code, but bound to no packet: the packet's state is not judged.
        code_edit(&r, 1);
        expect(&r, "feat: storage", &["binding.no-packet"]);
        // Code bound to it.
        code_edit(&r, 2);
        expect(&r, &msg(), &["packet.not-locked"]);
    }

    #[test]
    fn an_unlocked_inactive_packet_gets_both_findings() {
        let r = governed(&packet_text(Some("Blocked"), Some("<pending>")));
        code_edit(&r, 1);
        let d = expect(&r, &msg(), &["packet.inactive-status", "packet.not-locked"]);
        assert!(d.iter().all(|d| d.wp.as_deref() == Some(WP)));
    }

    #[test]
    fn inactive_status_is_registered_as_an_error() {
        let info = wpgate_core::rules::packet::RULES
            .iter()
            .find(|r| r.id == "packet.inactive-status")
            .expect("packet.inactive-status in the packet rules");
        assert_eq!(info.default, Severity::Error);
        assert!(!info.summary.is_empty() && !info.help.is_empty() && !info.example.is_empty());
        assert!(wpgate_core::rules::info("packet.not-locked").is_some());
    }
}

mod structured {
    //! Structured packets (JSON): microtasks and projections.
    use super::*;
    use wpgate_core::model::packet::structured::{read_microtask, read_packet};
    use wpgate_core::model::packet::Format;
    use wpgate_core::rules::packet::{check_microtasks, check_projection};

    const CONTRACT: &str = r#"{
  "id": "WP-1-Data",
  "status": "In Progress",
  "risk_tier": "LOW",
  "scope": {"in": ["src/data/**", "Cargo.toml"], "out": ["src/data/secret.rs"]}
}"#;

    fn packet_with(mts: &[&str]) -> wpgate_core::Packet {
        let pol = Policy::default();
        let mut p =
            read_packet("gov/WP-1-Data/packet.json", CONTRACT, Format::Json, &pol).expect("json");
        for (i, m) in mts.iter().enumerate() {
            let path = format!("gov/WP-1-Data/MT-00{i}.json");
            p.microtasks.push(
                read_microtask(&path, m, Format::Json, &pol.packet.microtasks.pointers)
                    .expect("mt"),
            );
        }
        p
    }

    fn escapes(mts: &[&str]) -> Vec<Diagnostic> {
        let pol = Policy::default();
        let mut out = Emitter::new(&pol);
        check_microtasks(&packet_with(mts), &mut out);
        out.finish().diagnostics
    }

    #[test]
    fn a_microtask_inside_its_packet_is_clean() {
        let d = escapes(&[
            r#"{"id": "MT-001", "scope": {"in": ["src/data/buffer.rs", "src/data/x/**", "Cargo.toml"]}}"#,
        ]);
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn a_microtask_outside_or_excluded_escapes() {
        let d = escapes(&[
            r#"{"id": "MT-001", "scope": {"in": ["src/ui/app.rs"]}}"#,
            r#"{"id": "MT-002", "scope": {"in": ["src/data/secret.rs"]}}"#,
            r#"{"id": "MT-003", "scope": {"in": ["src/**"]}}"#,
        ]);
        let r: Vec<&str> = d.iter().map(|x| x.rule.as_str()).collect();
        assert_eq!(r, ["packet.microtask-scope-escape"; 3], "{d:?}");
        assert_eq!(d[0].path.as_deref(), Some("gov/WP-1-Data/MT-000.json"));
        assert!(d[1].message.contains("OUT_OF_SCOPE"), "{}", d[1].message);
    }

    fn drift(md: &str) -> Vec<Diagnostic> {
        let pol = Policy::default();
        let mut out = Emitter::new(&pol);
        check_projection(
            &packet_with(&[]),
            "gov/WP-1-Data/packet.md",
            md,
            &pol,
            &mut out,
        );
        out.finish().diagnostics
    }

    #[test]
    fn a_projection_that_agrees_is_clean() {
        let d = drift(
            "# WP-1-Data\n- STATUS: In Progress\n- RISK_TIER: LOW\n- IN_SCOPE_PATHS:\n  - src/data/**\n  - Cargo.toml\n",
        );
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn a_projection_that_differs_names_the_field_and_both_values() {
        let d = drift(
            "# WP-1-Data\n- STATUS: Done\n- IN_SCOPE_PATHS:\n  - src/data/**\n  - src/ui/**\n",
        );
        let r: Vec<&str> = d.iter().map(|x| x.rule.as_str()).collect();
        assert_eq!(r, ["packet.projection-drift"; 2], "{d:?}");
        assert!(d
            .iter()
            .any(|x| x.message.contains("`Done`") && x.message.contains("`In Progress`")));
        assert!(d
            .iter()
            .any(|x| x.message.contains("src/ui/**") && x.line == Some(5)));
    }
}
