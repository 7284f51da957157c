mod gov_util;

use gov_util::*;
use wpgate_core::model::board as board_model;
use wpgate_core::policy::BoardPolicy;
use wpgate_core::rules::phase;
use wpgate_core::source::Workspace;

fn board_of(text: &str) -> board_model::Board {
    let re = board_model::id_regex(&BoardPolicy::default()).expect("re");
    board_model::parse_board("docs/TASK_BOARD.md", text, &re)
}

const BOARD: &str = "## Done\n- **[WP-1-A]** - [VALIDATED]\n- **[WP-1-B]** - [VALIDATED]\n- **[WP-2-Z]** - [READY FOR DEV]\n\n## Superseded (Archive)\n- **[WP-1-Old]** - [SUPERSEDED]\n";

fn none() -> Vec<String> {
    vec![]
}

#[test]
fn phase_passes_when_everything_validated() {
    let ps = vec![
        with_status(packet("WP-1-A"), "VALIDATED"),
        with_deps(
            with_status(packet("WP-1-B"), "Done [VALIDATED]"),
            &["WP-1-A"],
        ),
        with_status(packet("WP-1-Old"), "Ready for Dev"),
        with_status(packet("WP-2-Z"), "Ready for Dev"),
    ];
    let b = board_of(BOARD);
    let policy = policy();
    let mut table = None;
    let d = run(&policy, |out| {
        table = Some(phase::phase_check_with(
            &ps,
            Some(&b),
            0,
            "1",
            &none,
            &policy,
            out,
        ));
    });
    assert!(d.is_empty(), "{d:?}");
    let t = table.expect("table");
    assert!(t.passed);
    let ids: Vec<&str> = t.rows.iter().map(|r| r.packet.as_str()).collect();
    assert_eq!(ids, vec!["WP-1-A", "WP-1-B", "WP-1-Old"]);
    assert!(t.to_text().contains("PASS"));
}

#[test]
fn phase_not_validated_done_is_not_enough() {
    let ps = vec![
        with_status(packet("WP-1-A"), "Done"),
        with_status(packet("WP-1-B"), "VALIDATED"),
    ];
    let b = board_of(BOARD);
    let policy = policy();
    let mut table = None;
    let d = run(&policy, |out| {
        table = Some(phase::phase_check_with(
            &ps,
            Some(&b),
            0,
            "1",
            &none,
            &policy,
            out,
        ));
    });
    assert_eq!(rules_of(&d), vec!["phase.not-validated"]);
    assert_eq!(d[0].wp.as_deref(), Some("WP-1-A"));
    let t = table.expect("table");
    assert!(!t.passed);
    let row = &t.rows[0];
    assert_eq!(row.packet_status, "Done");
    assert_eq!(row.board_status, "VALIDATED");
    assert!(row
        .blocking
        .as_deref()
        .unwrap_or("")
        .contains("packet `Done`"));
    assert!(t.to_text().contains("HOLD"));
}

#[test]
fn phase_board_entry_missing_or_unvalidated() {
    let ps = vec![
        with_status(packet("WP-1-A"), "VALIDATED"),
        with_status(packet("WP-1-B"), "VALIDATED"),
        with_status(packet("WP-1-C"), "VALIDATED"),
    ];
    let b = board_of(BOARD);
    let policy = policy();
    let d = run(&policy, |out| {
        phase::phase_check_with(&ps, Some(&b), 0, "1", &none, &policy, out);
    });
    assert_eq!(rules_of(&d), vec!["phase.not-validated"]);
    assert!(d[0].message.contains("not on board"));
}

#[test]
fn phase_unresolved_dependency() {
    let ps = vec![
        with_status(packet("WP-1-A"), "VALIDATED"),
        with_deps(with_status(packet("WP-1-B"), "VALIDATED"), &["WP-2-Z"]),
        with_status(packet("WP-2-Z"), "Ready for Dev"),
    ];
    let b = board_of(BOARD);
    let policy = policy();
    let mut table = None;
    let d = run(&policy, |out| {
        table = Some(phase::phase_check_with(
            &ps,
            Some(&b),
            0,
            "1",
            &none,
            &policy,
            out,
        ));
    });
    assert_eq!(rules_of(&d), vec!["phase.unresolved-dependency"]);
    assert!(d[0].message.contains("WP-2-Z"));
    assert!(!table.expect("t").passed);
}

#[test]
fn phase_spec_failing_and_waivers() {
    let ps = vec![
        with_status(packet("WP-1-A"), "VALIDATED"),
        with_status(packet("WP-1-B"), "VALIDATED"),
    ];
    let b = board_of(BOARD);
    let policy = policy();
    let waivers = || vec!["W-3 (expires at phase 2)".to_string()];
    let mut table = None;
    let d = run(&policy, |out| {
        table = Some(phase::phase_check_with(
            &ps,
            Some(&b),
            2,
            "1",
            &waivers,
            &policy,
            out,
        ));
    });
    assert_eq!(count(&d, "phase.spec-failing"), 1);
    assert_eq!(count(&d, "phase.waiver-outlives"), 1);
    assert!(d.iter().any(|d| d.message.contains("W-3")));
    let t = table.expect("t");
    assert!(!t.passed);
    assert_eq!(t.spec_errors, 2);
}

#[test]
fn phase_check_over_workspace_counts_spec_errors() {
    // SPEC_CURRENT names a missing file: the spec check fails, so the phase does.
    let fs = MemFs::new(&[
        ("docs/SPEC_CURRENT.md", "**Demo_Spec_v01.001.md**\n"),
        ("docs/TASK_BOARD.md", "## Done\n"),
    ]);
    let policy = policy();
    let ws = Workspace::new(&policy, &fs);
    let mut table = None;
    let d = run(&policy, |out| {
        table = Some(phase::phase_check(&ws, "1", &none, out).expect("phase"));
    });
    assert_eq!(rules_of(&d), vec!["phase.spec-failing"]);
    assert_eq!(table.expect("t").spec_errors, 1);
    // With the spec present the (empty) phase passes.
    let fs = MemFs::new(&[
        ("docs/SPEC_CURRENT.md", "**Demo_Spec_v01.001.md**\n"),
        ("Demo_Spec_v01.001.md", FIXTURE_SPEC),
        ("docs/TASK_BOARD.md", "## Done\n"),
    ]);
    let ws = Workspace::new(&policy, &fs);
    let d = run(&policy, |out| {
        assert!(
            phase::phase_check(&ws, "1", &none, out)
                .expect("phase")
                .passed
        );
    });
    assert!(d.is_empty(), "{d:?}");
}

#[test]
fn every_phase_rule_is_documented() {
    assert_eq!(phase::RULES.len(), 4);
    for r in phase::RULES {
        assert!(r.id.starts_with("phase."));
        assert!(!r.summary.is_empty() && !r.help.is_empty() && !r.example.is_empty());
    }
}
