mod gov_util;

use gov_util::*;
use wpgate_core::model::board::{self as board_model, Board};
use wpgate_core::policy::BoardPolicy;
use wpgate_core::rules::board;
use wpgate_core::source::Workspace;

fn parse(text: &str) -> Board {
    let re = board_model::id_regex(&BoardPolicy::default()).expect("re");
    board_model::parse_board("docs/TASK_BOARD.md", text, &re)
}

fn entry<'b>(b: &'b Board, id: &str) -> &'b board_model::BoardEntry {
    b.entries.iter().find(|e| e.id == id).expect(id)
}

#[test]
fn parses_all_entry_formats() {
    let b = parse(FIXTURE_BOARD);
    let ids: Vec<&str> = b.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![
            "WP-1-Storage-Abstraction-Layer",
            "WP-1-AppState-Refactoring",
            "WP-1-Operator-Consoles-v2",
            "WP-1-Diagnostic-Pipe",
            "WP-1-Flight-Recorder-v3",
            "WP-1-OSS-Register-Enforcement-v1",
            "WP-1-Tokenization-Service-v3",
            "WP-1-Gate-Check-Tool-v2",
            "WP-1-Gate-Check-Tool",
            "WP-1-Flight-Recorder-v2",
        ]
    );
    let e = entry(&b, "WP-1-Storage-Abstraction-Layer");
    assert_eq!(e.tag.as_deref(), Some("READY FOR DEV 🔴"));
    assert!(e.section.contains("PHASE 1 CLOSURE GATES"));
    assert_eq!(e.blockers.len(), 1);
    assert!(e.blockers[0].1.is_empty()); // "None (foundational)"
    let e = entry(&b, "WP-1-AppState-Refactoring");
    assert_eq!(e.tag.as_deref(), Some("GAP 🟡"));
    assert_eq!(e.blockers[0].1, vec!["WP-1-Storage-Abstraction-Layer"]);
    assert_eq!(
        entry(&b, "WP-1-Operator-Consoles-v2").tag.as_deref(),
        Some("READY FOR DEV")
    );
    assert_eq!(
        entry(&b, "WP-1-Flight-Recorder-v3").tag.as_deref(),
        Some("READY")
    );
    assert_eq!(
        entry(&b, "WP-1-OSS-Register-Enforcement-v1").tag.as_deref(),
        Some("IN PROGRESS")
    );
    assert_eq!(
        entry(&b, "WP-1-Tokenization-Service-v3").tag.as_deref(),
        Some("VALIDATED")
    );
    assert_eq!(
        entry(&b, "WP-1-Flight-Recorder-v2").tag.as_deref(),
        Some("SUPERSEDED by WP-1-Flight-Recorder-v3")
    );
    // Lines and spans point at the entry.
    let e = entry(&b, "WP-1-Tokenization-Service-v3");
    let line = FIXTURE_BOARD
        .lines()
        .position(|l| l.contains("[WP-1-Tokenization-Service-v3]"))
        .map(|i| i + 1);
    assert_eq!(Some(e.line), line);
    assert!(FIXTURE_BOARD[e.span.start..e.span.end].starts_with("- **[WP-1-Tokenization"));
    assert!(b.sections.iter().any(|s| s.title == "Done"));
}

#[test]
fn status_normalisation_and_mapping() {
    assert_eq!(
        board_model::normalize_status("Ready-for_Dev 🔴"),
        "READY FOR DEV"
    );
    assert_eq!(
        board_model::normalize_status("Done [VALIDATED]"),
        "DONE VALIDATED"
    );
    assert!(board::status_accepted(
        "HARD-VALIDATED (2025-12-27)",
        &["Validated".into()]
    ));
    assert!(!board::status_accepted(
        "NOT VALIDATED",
        &["Validated".into()]
    ));
    assert!(!board::status_accepted("Done", &["Validated".into()]));
    let pol = BoardPolicy::default();
    let b = parse(FIXTURE_BOARD);
    assert_eq!(
        board::entry_status(entry(&b, "WP-1-Flight-Recorder-v2"), &pol).as_deref(),
        Some("SUPERSEDED")
    );
    assert_eq!(
        board::entry_status(entry(&b, "WP-1-Storage-Abstraction-Layer"), &pol).as_deref(),
        Some("READY FOR DEV")
    );
}

#[test]
fn section_stands_for_status_without_tag() {
    let b = parse("## In Progress\n- WP-1-A: doing it\n## Done\n- **[WP-1-B]**\n");
    let pol = BoardPolicy::default();
    assert_eq!(b.entries[0].tag, None);
    assert_eq!(
        board::entry_status(&b.entries[0], &pol).as_deref(),
        Some("IN PROGRESS")
    );
    assert_eq!(
        board::entry_status(&b.entries[1], &pol).as_deref(),
        Some("DONE")
    );
}

fn fixture_packets() -> Vec<wpgate_core::Packet> {
    vec![
        with_status(packet("WP-1-Storage-Abstraction-Layer"), "Ready for Dev"),
        with_status(packet("WP-1-Operator-Consoles-v2"), "READY FOR DEV 🔴"),
        with_status(packet("WP-1-Diagnostic-Pipe"), "Done"),
        with_status(packet("WP-1-Flight-Recorder-v3"), "Ready-for-Dev"),
        with_status(packet("WP-1-OSS-Register-Enforcement-v1"), "In Progress"),
        with_status(packet("WP-1-Tokenization-Service-v3"), "Done [VALIDATED]"),
        with_status(packet("WP-1-Gate-Check-Tool-v2"), "**VALIDATED**"),
        with_status(packet("WP-1-Gate-Check-Tool"), "Ready for Dev"),
        with_status(packet("WP-1-Flight-Recorder-v2"), "In Progress"),
    ]
}

#[test]
fn consistent_board_is_quiet() {
    let b = parse(FIXTURE_BOARD);
    let policy = policy();
    let d = run(&policy, |out| {
        board::check_board(&b, &fixture_packets(), &policy.board, out)
    });
    assert!(d.is_empty(), "{d:?}");
}

#[test]
fn status_mismatch() {
    let b = parse(FIXTURE_BOARD);
    let mut ps = fixture_packets();
    ps[5] = with_status(packet("WP-1-Tokenization-Service-v3"), "Done");
    ps[0].status = None; // no STATUS: packet.missing-field's business, not this rule's
    ps[1] = with_status(packet("WP-1-Operator-Consoles-v2"), "In Progress");
    let policy = policy();
    let d = run(&policy, |out| {
        board::check_board(&b, &ps, &policy.board, out)
    });
    assert_eq!(count(&d, "board.status-mismatch"), 2, "{d:?}");
    let m = d
        .iter()
        .find(|d| d.wp.as_deref() == Some("WP-1-Tokenization-Service-v3"))
        .expect("diag");
    assert!(m.message.contains("VALIDATED") && m.message.contains("`Done`"));
    assert_eq!(m.path.as_deref(), Some("docs/TASK_BOARD.md"));
}

#[test]
fn missing_and_unlisted_packets() {
    let b = parse(FIXTURE_BOARD);
    let mut ps = fixture_packets();
    ps.retain(|p| p.id != "WP-1-Gate-Check-Tool-v2");
    ps.push(with_status(packet("WP-1-New-Thing"), "Ready for Dev"));
    let policy = policy();
    let d = run(&policy, |out| {
        board::check_board(&b, &ps, &policy.board, out)
    });
    assert_eq!(count(&d, "board.missing-packet"), 1, "{d:?}");
    assert_eq!(count(&d, "board.unlisted-packet"), 1, "{d:?}");
    // The GAP entry (WP-1-AppState-Refactoring) needs no packet.
    assert!(!d
        .iter()
        .any(|d| d.wp.as_deref() == Some("WP-1-AppState-Refactoring")));
}

#[test]
fn stalled_in_progress_packets() {
    let b = parse(FIXTURE_BOARD);
    let ps = fixture_packets();
    let policy = policy();
    let now = 100 * 86_400;
    let touch = |p: &wpgate_core::Packet| -> Option<i64> {
        match p.id.as_str() {
            "WP-1-OSS-Register-Enforcement-v1" => Some(now - 20 * 86_400),
            "WP-1-Flight-Recorder-v2" => Some(now - 20 * 86_400), // in progress by packet status
            _ => Some(0),
        }
    };
    let d = run(&policy, |out| {
        board::check_stalled_with(&ps, Some(&b), &policy.board, &touch, now, out)
    });
    assert_eq!(count(&d, "board.stalled"), 2, "{d:?}");
    let recent = |_: &wpgate_core::Packet| Some(now - 3 * 86_400);
    let d = run(&policy, |out| {
        board::check_stalled_with(&ps, Some(&b), &policy.board, &recent, now, out)
    });
    assert!(d.is_empty());
}

#[test]
fn check_through_workspace() {
    // Packets come from the workspace parser; with no packet files every entry is missing.
    let fs = MemFs::new(&[(
        "docs/TASK_BOARD.md",
        "## Ready for Dev\n- **[WP-1-X]** [READY FOR DEV]\n",
    )]);
    let policy = policy();
    let ws = Workspace::new(&policy, &fs);
    let d = run(&policy, |out| board::check(&ws, out).expect("check"));
    assert_eq!(rules_of(&d), vec!["board.missing-packet"]);
    // No board file: nothing to check.
    let fs = MemFs::new(&[]);
    let ws = Workspace::new(&policy, &fs);
    let d = run(&policy, |out| board::check(&ws, out).expect("check"));
    assert!(d.is_empty());
}

#[test]
fn every_board_rule_is_documented() {
    assert_eq!(board::RULES.len(), 4);
    for r in board::RULES {
        assert!(!r.summary.is_empty() && !r.help.is_empty() && !r.example.is_empty());
    }
}

#[test]
fn corpus_board() {
    let Some(dir) = corpus() else {
        eprintln!("corpus absent; skipped");
        return;
    };
    let raw = std::fs::read(dir.join("docs/TASK_BOARD.md")).expect("board");
    let b = parse(&String::from_utf8_lossy(&raw));
    eprintln!("corpus board: {} entries", b.entries.len());
    assert_eq!(b.entries.len(), 69);
    assert_eq!(
        b.entries
            .iter()
            .filter(|e| e.section == "Superseded (Archive)")
            .count(),
        18
    );
    assert!(b
        .entries
        .iter()
        .all(|e| !e.id.is_empty() && e.tag.is_some()));
    let pol = BoardPolicy::default();
    assert!(b
        .entries
        .iter()
        .all(|e| board::entry_status(e, &pol).is_some()));
    let ready = b
        .entries
        .iter()
        .filter(|e| e.section == "Ready for Dev")
        .count();
    assert_eq!(ready, 42);
    assert_eq!(b.entries.iter().filter(|e| e.section == "Done").count(), 7);
}

#[test]
fn blocked_section_reasons_name_blockers() {
    let b = parse(
        "## Blocked\n\n- WP-1-AppState-Refactoring: Waiting for WP-1-Storage-Abstraction-Layer to VALIDATE (ETA 3 days)\n- WP-1-Dual-Backend-Tests: Blocked on 2 dependencies (WP-1-Storage-Abstraction-Layer, WP-1-Migration-Framework)\n",
    );
    assert_eq!(b.entries.len(), 2);
    assert_eq!(
        b.entries[0].blockers[0].1,
        vec!["WP-1-Storage-Abstraction-Layer"]
    );
    assert_eq!(
        b.entries[1].blockers[0].1,
        vec!["WP-1-Storage-Abstraction-Layer", "WP-1-Migration-Framework"]
    );
    assert_eq!(
        board::entry_status(&b.entries[0], &BoardPolicy::default()).as_deref(),
        Some("BLOCKED")
    );
    // Outside a Blocked section other ids on the line are not blockers.
    let b = parse("## Ready for Dev\n- **[WP-1-A]** - Absorbed into WP-1-B. [SUPERSEDED]\n");
    assert!(b.entries[0].blockers.is_empty());
}

/// Findings on the real corpus: packet STATUS read with a minimal extractor (the packet
/// parser is developed separately) and compared with the real board.
#[test]
fn corpus_board_findings() {
    let Some(dir) = corpus() else {
        eprintln!("corpus absent; skipped");
        return;
    };
    let raw = std::fs::read(dir.join("docs/TASK_BOARD.md")).expect("board");
    let b = parse(&String::from_utf8_lossy(&raw));
    let re = regex::Regex::new(r"(?m)^\s*[-*]?\s*\*\*(?:STATUS|Status)(?::\*\*|\*\*:)\s*(.+)$")
        .expect("re");
    let mut packets = Vec::new();
    for e in std::fs::read_dir(dir.join("docs/task_packets"))
        .expect("dir")
        .flatten()
    {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with("WP-") {
            continue;
        }
        let t = String::from_utf8_lossy(&std::fs::read(e.path()).expect("read")).into_owned();
        let mut p = packet(name.trim_end_matches(".md"));
        if let Some(c) = re.captures(&t) {
            p = with_status(p, c[1].trim());
        }
        packets.push(p);
    }
    let policy = policy();
    let d = run(&policy, |out| {
        board::check_board(&b, &packets, &policy.board, out)
    });
    eprintln!(
        "corpus: {} packets, {} board entries",
        packets.len(),
        b.entries.len()
    );
    for r in [
        "board.status-mismatch",
        "board.missing-packet",
        "board.unlisted-packet",
    ] {
        eprintln!("  {r}: {}", count(&d, r));
    }
    for x in &d {
        eprintln!("  {} {}", x.rule, x.message);
    }
    assert_eq!(packets.len(), 87);
}

#[test]
fn archived_packets() {
    let b = parse(FIXTURE_BOARD);
    let pol = BoardPolicy::default();
    assert!(board::is_archived(
        &packet("WP-1-Flight-Recorder-v2"),
        Some(&b),
        &pol
    ));
    assert!(board::is_archived(
        &packet("WP-1-Diagnostic-Pipe"),
        Some(&b),
        &pol
    ));
    assert!(!board::is_archived(
        &packet("WP-1-Flight-Recorder-v3"),
        Some(&b),
        &pol
    ));
    assert!(board::is_archived(
        &with_status(packet("WP-1-X"), "Superseded"),
        None,
        &pol
    ));
    assert!(!board::is_archived(&packet("WP-1-X"), None, &pol));
}

#[test]
fn protocol_phase_gate_format() {
    let b = parse(
        "## 🚨 PHASE 1 CLOSURE GATES (BLOCKING - MUST COMPLETE)\n\n**Status:** HOLDING\n\nGate-critical WPs:\n1. ✅ WP-1-Storage-Abstraction-Layer [READY FOR DEV]\n2. ❌ WP-1-AppState-Refactoring [GAP - packet not yet created]\n\nPhase closure criteria:\n- [ ] All 4 gate-critical WPs are VALIDATED\n",
    );
    assert_eq!(b.entries.len(), 2, "{b:?}");
    let pol = BoardPolicy::default();
    assert_eq!(b.entries[0].id, "WP-1-Storage-Abstraction-Layer");
    assert_eq!(
        board::entry_status(&b.entries[0], &pol).as_deref(),
        Some("READY FOR DEV")
    );
    assert_eq!(
        board::entry_status(&b.entries[1], &pol).as_deref(),
        Some("GAP")
    );
}
