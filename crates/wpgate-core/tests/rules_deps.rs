mod gov_util;

use gov_util::*;
use wpgate_core::model::board as board_model;
use wpgate_core::policy::BoardPolicy;
use wpgate_core::policy::DepsPolicy;
use wpgate_core::rules::deps;
use wpgate_core::rules::scope;
use wpgate_core::source::Workspace;

fn board_of(text: &str) -> board_model::Board {
    let re = board_model::id_regex(&BoardPolicy::default()).expect("re");
    board_model::parse_board("docs/TASK_BOARD.md", text, &re)
}

#[test]
fn graph_from_packets_and_board_blockers() {
    let ps = vec![
        with_deps(packet("WP-1-B"), &["WP-1-A"]),
        packet("WP-1-A"),
        packet("WP-1-C"),
    ];
    let b = board_of("## Gates\n1. **[WP-1-C]** - x\n   - Blocker: WP-1-B (MUST COMPLETE FIRST)\n");
    let g = deps::graph_from(&ps, Some(&b), &DepsPolicy::default());
    assert_eq!(g.deps_of("WP-1-B")[0].to, "WP-1-A");
    assert_eq!(g.deps_of("WP-1-C")[0].to, "WP-1-B");
    assert_eq!(g.deps_of("WP-1-C")[0].path, "docs/TASK_BOARD.md");
    assert_eq!(g.deps_of("WP-1-C")[0].line, 3);
    let dot = deps::to_dot(&g);
    assert!(dot.contains("\"WP-1-B\" -> \"WP-1-A\";"), "{dot}");
    let text = deps::to_text(&g);
    assert!(text.contains("WP-1-C -> WP-1-B\n"), "{text}");
    assert!(text.contains("WP-1-A\n"));
    // Board blockers can be switched off.
    let g = deps::graph_from(
        &ps,
        Some(&b),
        &DepsPolicy {
            board_blockers: false,
            ..DepsPolicy::default()
        },
    );
    assert!(g.deps_of("WP-1-C").is_empty());
}

#[test]
fn unknown_dependency() {
    let ps = vec![
        with_deps(packet("WP-1-B"), &["WP-1-Ghost", "WP-1-A"]),
        packet("WP-1-A"),
    ];
    let policy = policy();
    let d = run(&policy, |out| {
        deps::check_with(&ps, None, &policy.deps, out)
    });
    assert_eq!(rules_of(&d), vec!["deps.unknown"]);
    assert!(d[0].message.contains("WP-1-Ghost"));
    assert_eq!(d[0].line, Some(20));
    let ps = vec![with_deps(packet("WP-1-B"), &["WP-1-A"]), packet("WP-1-A")];
    let d = run(&policy, |out| {
        deps::check_with(&ps, None, &policy.deps, out)
    });
    assert!(d.is_empty());
    // A board entry without a packet file (GAP) is a known id.
    let ps = vec![with_deps(packet("WP-1-B"), &["WP-1-Gap"])];
    let b = board_of("## Gates\n1. **[WP-1-Gap]** - planned\n   - Status: [GAP]\n");
    let d = run(&policy, |out| {
        deps::check_with(&ps, Some(&b), &policy.deps, out)
    });
    assert!(d.is_empty(), "{d:?}");
    let d = run(&policy, |out| {
        deps::check_with(&ps, None, &policy.deps, out)
    });
    assert_eq!(rules_of(&d), vec!["deps.unknown"]);
}

#[test]
fn cycle_reported_once_with_path() {
    let ps = vec![
        with_deps(packet("WP-1-A"), &["WP-1-B"]),
        with_deps(packet("WP-1-B"), &["WP-1-C"]),
        with_deps(packet("WP-1-C"), &["WP-1-A"]),
        with_deps(packet("WP-1-D"), &["WP-1-A"]),
        with_deps(packet("WP-1-E"), &["WP-1-E"]),
    ];
    let policy = policy();
    let d = run(&policy, |out| {
        deps::check_with(&ps, None, &policy.deps, out)
    });
    assert_eq!(count(&d, "deps.cycle"), 2, "{d:?}");
    let msgs: Vec<&str> = d.iter().map(|d| d.message.as_str()).collect();
    assert!(
        msgs.contains(&"dependency cycle: WP-1-A -> WP-1-B -> WP-1-C -> WP-1-A"),
        "{msgs:?}"
    );
    assert!(
        msgs.contains(&"dependency cycle: WP-1-E -> WP-1-E"),
        "{msgs:?}"
    );
    // A DAG has no cycle.
    let ps = vec![
        with_deps(packet("WP-1-A"), &["WP-1-B", "WP-1-C"]),
        with_deps(packet("WP-1-B"), &["WP-1-C"]),
        packet("WP-1-C"),
    ];
    let d = run(&policy, |out| {
        deps::check_with(&ps, None, &policy.deps, out)
    });
    assert!(d.is_empty(), "{d:?}");
}

#[test]
fn blocked_until_dependency_validated() {
    let policy = policy();
    let ps = vec![
        with_deps(packet("WP-1-B"), &["WP-1-A"]),
        with_status(packet("WP-1-A"), "Done"),
    ];
    let d = run(&policy, |out| {
        deps::check_blocked_with("WP-1-B", &ps, None, &policy, out)
    });
    assert_eq!(rules_of(&d), vec!["deps.blocked"]);
    assert!(d[0].message.contains("status: Done"), "{}", d[0].message);
    let ps = vec![
        with_deps(packet("WP-1-B"), &["WP-1-A"]),
        with_status(packet("WP-1-A"), "Done [VALIDATED]"),
    ];
    let d = run(&policy, |out| {
        deps::check_blocked_with("WP-1-B", &ps, None, &policy, out)
    });
    assert!(d.is_empty());
    // Without a packet status the board decides.
    let ps = vec![with_deps(packet("WP-1-B"), &["WP-1-A"]), packet("WP-1-A")];
    let b = board_of("## Done\n- **[WP-1-A]** - [VALIDATED]\n");
    let d = run(&policy, |out| {
        deps::check_blocked_with("WP-1-B", &ps, Some(&b), &policy, out)
    });
    assert!(d.is_empty(), "{d:?}");
    let b = board_of("## Done\n- **[WP-1-A]** - [DONE]\n");
    let d = run(&policy, |out| {
        deps::check_blocked_with("WP-1-B", &ps, Some(&b), &policy, out)
    });
    assert_eq!(rules_of(&d), vec!["deps.blocked"]);
}

#[test]
fn workspace_entry_points_run() {
    let fs = MemFs::new(&[
        (
            "docs/TASK_BOARD.md",
            "## Gates\n1. **[WP-1-C]** - x\n   - Blocker: WP-1-Ghost\n",
        ),
        ("src/a.rs", ""),
    ]);
    let policy = policy();
    let ws = Workspace::new(&policy, &fs);
    let d = run(&policy, |out| deps::check(&ws, out).expect("check"));
    // Neither WP-1-C's blocker nor any packet exists.
    assert_eq!(rules_of(&d), vec!["deps.unknown"]);
    let g = deps::graph(&ws).expect("graph");
    assert_eq!(g.nodes.len(), 2);
    let d = run(&policy, |out| {
        scope::check_overlap(&ws, out).expect("overlap")
    });
    assert!(d.is_empty());
    let d = run(&policy, |out| {
        deps::check_blocked("WP-1-C", &ws, out).expect("blocked")
    });
    assert_eq!(rules_of(&d), vec!["deps.blocked"]);
}

#[test]
fn every_deps_rule_is_documented() {
    assert_eq!(deps::RULES.len(), 3);
    for r in deps::RULES {
        assert!(!r.summary.is_empty() && !r.help.is_empty() && !r.example.is_empty());
    }
}
