//! The task board (`docs/TASK_BOARD.md`): sections, entries and their status tags, and the
//! rules keeping it in sync with the packets.
//!
//! Entry formats handled (all seen in real boards):
//! - `- **[WP-1-X]** / FAIL: reason … [READY FOR DEV]` (bracket tag at the end of the line);
//! - `- **[WP-1-X]** - [VALIDATED]`, `- **[WP-1-X]** - [SUPERSEDED by WP-1-Y]`;
//! - `- **[WP-1-X]** / IN PROGRESS: text` (status word after `/`);
//! - `1. **[WP-1-X]** - text` with nested `- Status: [READY FOR DEV 🔴]` and
//!   `- Blocker: WP-1-Y (MUST COMPLETE FIRST)` sub-bullets;
//! - `1. ✅ WP-1-X [READY FOR DEV]`.
//!
//! The tag precedence is: `Status:` sub-bullet, trailing bracket tag, `/ WORD:` status;
//! with none of them the section heading stands for the status.

use crate::model::board::{
    id_regex, normalize_status, parse_board, status_contains, Board, BoardEntry,
};
use crate::policy::BoardPolicy;

use std::sync::Arc;

use crate::error::Error;
use crate::model::packet::id_from_path;
use crate::model::packet::Packet;
use crate::report::{Severity, Span};
use crate::rules::{diag, Emitter, RuleInfo};
use crate::source::Workspace;

pub const RULES: &[RuleInfo] = &[
    RuleInfo {
        id: "board.status-mismatch",
        default: Severity::Error,
        summary: "the packet's STATUS disagrees with its task board entry",
        help: "The board is the single source of truth and must never drift from the packets \
(6.3). Update the board entry (or the packet STATUS) so both say the same; the accepted pairs \
are policy board.status_map.",
        example: "board: `- **[WP-1-X]** - [VALIDATED]`, packet: `**Status:** Ready for Dev`",
    },
    RuleInfo {
        id: "board.missing-packet",
        default: Severity::Error,
        summary: "the task board names a packet that has no file",
        help: "Every board entry (except GAP entries, policy board.no_packet_statuses) must have \
its packet in the packets directory. Create the packet or fix the id on the board.",
        example: "- **[WP-1-Ghost]** - [READY FOR DEV]   (no docs/task_packets/WP-1-Ghost.md)",
    },
    RuleInfo {
        id: "board.unlisted-packet",
        default: Severity::Warning,
        summary: "a packet is not on the task board",
        help: "New packets go to `Ready for Dev` on the board immediately (6.3). Add an entry \
for the packet.",
        example: "docs/task_packets/WP-1-New.md exists; TASK_BOARD.md never names WP-1-New",
    },
    RuleInfo {
        id: "board.stalled",
        default: Severity::Warning,
        summary: "an in-progress packet has had no commit for too long",
        help: "No stalled WPs (>2 weeks idle, Part 2 Step 2): finish, block (with reason) or \
re-plan the packet. The limit is policy board.stalled_days.",
        example: "WP-1-X In Progress, last commit touching its scope 30 days ago",
    },
];

/// Loads and parses the board (`Ok(None)` when the file does not exist). The last board
/// parsed is kept: the rules of one run, and the commits of a range whose board blob did
/// not change (their texts share one decoded `Arc`), share one parse.
pub fn load(ws: &Workspace) -> Result<Option<Arc<Board>>, Error> {
    type Last = Option<(String, String, Arc<str>, Arc<Board>)>;
    static LAST: std::sync::Mutex<Last> = std::sync::Mutex::new(None);
    let path = ws.resolve(&ws.policy.layout.task_board);
    let path = path.as_str();
    let Some(tf) = ws.text(path)? else {
        return Ok(None);
    };
    if let Ok(last) = LAST.lock() {
        if let Some((p, pat, text, board)) = last.as_ref() {
            if p == path && *pat == ws.policy.board.id_pattern && Arc::ptr_eq(text, &tf.text) {
                return Ok(Some(board.clone()));
            }
        }
    }
    let re = id_regex(&ws.policy.board)?;
    let board = Arc::new(parse_board(path, &tf.text, &re));
    if let Ok(mut last) = LAST.lock() {
        *last = Some((
            path.to_string(),
            ws.policy.board.id_pattern.clone(),
            tf.text.clone(),
            board.clone(),
        ));
    }
    Ok(Some(board))
}

/// The normalised board status of an entry: its tag when the tag starts with a key of
/// `board.status_map`, else its section title when that does (`Superseded (Archive)` →
/// `SUPERSEDED`), else the normalised tag or section as is.
pub fn entry_status(e: &BoardEntry, policy: &BoardPolicy) -> Option<String> {
    let keys: Vec<String> = policy
        .status_map
        .keys()
        .map(|k| normalize_status(k))
        .collect();
    let best = |s: &str| -> Option<String> {
        let n = normalize_status(s);
        keys.iter()
            .filter(|k| n == **k || n.starts_with(&format!("{k} ")))
            .max_by_key(|k| k.len())
            .cloned()
    };
    if let Some(t) = &e.tag {
        if let Some(k) = best(t) {
            return Some(k);
        }
    }
    if let Some(k) = best(&e.section) {
        return Some(k);
    }
    e.tag.as_deref().map(normalize_status)
}

/// Accepted packet statuses for a board status (normalised), `None` when unchecked.
fn accepted<'p>(policy: &'p BoardPolicy, board_status: &str) -> Option<&'p Vec<String>> {
    policy
        .status_map
        .iter()
        .find(|(k, _)| normalize_status(k) == board_status)
        .map(|(_, v)| v)
}

/// Does a packet status satisfy a list of accepted statuses?
pub fn status_accepted(packet_status: &str, accepted: &[String]) -> bool {
    let ps = normalize_status(packet_status);
    accepted
        .iter()
        .any(|a| a.trim() == "*" || status_contains(&ps, &normalize_status(a)))
}

/// Is this status (board or packet) one of `list` (normalised, whole words)?
pub fn status_in(status: &str, list: &[String]) -> bool {
    status_accepted(status, list)
}

/// Ids a packet is known by: its id and its file stem.
pub fn packet_ids(p: &Packet) -> [String; 2] {
    [p.id.clone(), id_from_path(&p.path)]
}

/// Repository-level board rules.
pub fn check(ws: &Workspace, out: &mut Emitter) -> Result<(), Error> {
    let Some(board) = load(ws)? else {
        return Ok(());
    };
    let packets = ws.packets()?;
    check_board(&board, packets, &ws.policy.board, out);
    Ok(())
}

/// `board.status-mismatch`, `board.missing-packet`, `board.unlisted-packet`.
pub fn check_board(board: &Board, packets: &[Packet], policy: &BoardPolicy, out: &mut Emitter) {
    // Every id a packet is known by, once (the board lists hundreds of entries).
    let mut known: std::collections::HashMap<String, &Packet> = std::collections::HashMap::new();
    for p in packets {
        for id in packet_ids(p) {
            known.entry(id).or_insert(p);
        }
    }
    let find = |id: &str| known.get(id).copied();
    for e in &board.entries {
        let status = entry_status(e, policy);
        match find(&e.id) {
            None => {
                let exempt = status
                    .as_deref()
                    .map(|s| status_in(s, &policy.no_packet_statuses))
                    .unwrap_or(false);
                if !exempt {
                    out.emit(
                        diag(
                            "board.missing-packet",
                            format!(
                                "the task board lists {} but no packet file has that id",
                                e.id
                            ),
                        )
                        .at(&board.path, e.line, e.span)
                        .with_wp(&e.id),
                    );
                }
            }
            Some(p) => {
                let Some(bs) = status.as_deref() else {
                    continue;
                };
                let Some(acc) = accepted(policy, bs) else {
                    continue;
                };
                if acc.iter().any(|a| a.trim() == "*") {
                    continue;
                }
                // A packet without STATUS is `packet.missing-field`'s business.
                let Some(st) = &p.status else { continue };
                let (ps, ok) = (st.value.clone(), status_accepted(&st.value, acc));
                if !ok {
                    out.emit(
                        diag(
                            "board.status-mismatch",
                            format!(
                                "{} is `{}` on the task board ({}) but its packet says STATUS `{}`",
                                e.id,
                                e.tag.as_deref().unwrap_or(bs),
                                e.section,
                                ps.trim()
                            ),
                        )
                        .at(&board.path, e.line, e.span)
                        .with_wp(&e.id)
                        .with_help(format!(
                            "board status {bs} accepts packet statuses {}; update {} or the board",
                            acc.join(", "),
                            p.path
                        )),
                    );
                }
            }
        }
    }
    for p in packets {
        let ids = packet_ids(p);
        if !board.entries.iter().any(|e| ids.contains(&e.id)) {
            let (line, span) = p
                .task_id
                .as_ref()
                .map(|f| (f.line, f.span))
                .unwrap_or((1, Span::new(0, 0)));
            out.emit(
                diag(
                    "board.unlisted-packet",
                    format!("{} is not on the task board {}", p.id, board.path),
                )
                .at(&p.path, line, span)
                .with_wp(&p.id),
            );
        }
    }
}

/// Is the packet archived: its STATUS or any of its board entries has an archived status
/// (`board.archived_statuses`, default SUPERSEDED)?
pub fn is_archived(p: &Packet, board: Option<&Board>, policy: &BoardPolicy) -> bool {
    if let Some(s) = &p.status {
        if status_in(&s.value, &policy.archived_statuses) {
            return true;
        }
    }
    let ids = packet_ids(p);
    board
        .map(|b| {
            b.entries.iter().any(|e| {
                ids.contains(&e.id)
                    && e.tag
                        .as_deref()
                        .map(|t| status_in(t, &policy.archived_statuses))
                        .or_else(|| {
                            entry_status(e, policy)
                                .map(|s| status_in(&s, &policy.archived_statuses))
                        })
                        .unwrap_or(false)
            })
        })
        .unwrap_or(false)
}

/// Is the packet in progress (by its STATUS or any board entry)?
pub fn in_progress(p: &Packet, board: Option<&Board>, policy: &BoardPolicy) -> bool {
    if let Some(s) = &p.status {
        if status_in(&s.value, &policy.in_progress_statuses) {
            return true;
        }
    }
    if let Some(b) = board {
        let ids = packet_ids(p);
        return b.entries.iter().any(|e| {
            ids.contains(&e.id)
                && entry_status(e, policy)
                    .map(|s| status_in(&s, &policy.in_progress_statuses))
                    .unwrap_or(false)
        });
    }
    false
}

/// `board.stalled`: in-progress packets whose last touching commit (unix seconds, from
/// `last_touch`; `None` = nothing to measure from, skipped) is older than
/// `board.stalled_days` before `now`.
pub fn check_stalled(
    ws: &Workspace,
    last_touch: &dyn Fn(&Packet) -> Option<i64>,
    now: i64,
    out: &mut Emitter,
) -> Result<(), Error> {
    let board = load(ws)?;
    check_stalled_with(
        ws.packets()?,
        board.as_deref(),
        &ws.policy.board,
        last_touch,
        now,
        out,
    );
    Ok(())
}

/// [`check_stalled`] over given packets and board.
pub fn check_stalled_with(
    packets: &[Packet],
    board: Option<&Board>,
    policy: &BoardPolicy,
    last_touch: &dyn Fn(&Packet) -> Option<i64>,
    now: i64,
    out: &mut Emitter,
) {
    let limit = i64::from(policy.stalled_days) * 86_400;
    for p in packets {
        if !in_progress(p, board, policy) {
            continue;
        }
        let Some(t) = last_touch(p) else { continue };
        let idle = now - t;
        if idle > limit {
            let (line, span) = p
                .status
                .as_ref()
                .map(|f| (f.line, f.span))
                .unwrap_or((1, Span::new(0, 0)));
            out.emit(
                diag(
                    "board.stalled",
                    format!(
                        "{} is in progress but nothing touched it for {} days (limit {})",
                        p.id,
                        idle / 86_400,
                        policy.stalled_days
                    ),
                )
                .at(&p.path, line, span)
                .with_wp(&p.id),
            );
        }
    }
}
