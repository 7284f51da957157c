//! The phase closure gate (Part 1 PRIORITY_4, 6.4, 7.2): a phase closes only when every
//! packet of the phase is VALIDATED on the board and in its packet, no dependency is
//! unresolved, the spec checks pass and no waiver outlives the phase.

use serde::Serialize;

use crate::error::Error;
use crate::model::board::Board;
use crate::model::packet::Packet;
use crate::policy::Policy;
use crate::report::{Severity, Span};
use crate::rules::board;
use crate::rules::{diag, Emitter, RuleInfo};
use crate::source::Workspace;

pub const RULES: &[RuleInfo] = &[
    RuleInfo {
        id: "phase.not-validated",
        default: Severity::Error,
        summary: "a packet of the phase is not VALIDATED on the board and in its packet",
        help: "A phase closes only when ALL its packets are VALIDATED (not just Done), on the \
board and in the packet STATUS. Validate the packet, or mark it superseded if it was replaced.",
        example: "WP-1-X: packet `Done`, board `[VALIDATED]` → phase 1 cannot close",
    },
    RuleInfo {
        id: "phase.unresolved-dependency",
        default: Severity::Error,
        summary: "a packet of the phase has a dependency that is not VALIDATED",
        help: "All phase-blocking dependencies must be resolved (7.2). Validate the dependency or \
remove the edge.",
        example: "WP-1-B depends on WP-1-A, which is In Progress",
    },
    RuleInfo {
        id: "phase.spec-failing",
        default: Severity::Error,
        summary: "the spec checks report errors",
        help: "Spec integrity must pass before closure (run `wpgate check` and fix the spec.* \
errors: current spec, anchors).",
        example: "a packet anchors to a missing section",
    },
    RuleInfo {
        id: "phase.waiver-outlives",
        default: Severity::Error,
        summary: "a waiver outlives the phase boundary",
        help: "Waivers expire at the phase boundary (Risk Management Focus). Resolve the waived \
finding or close the waiver before closing the phase.",
        example: "waiver W-3 (expires: phase 2) while closing phase 1",
    },
];

/// One row of the phase table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhaseRow {
    pub packet: String,
    /// STATUS of the packet file (`-` when the packet has none, `(no packet)` when absent).
    pub packet_status: String,
    /// Board status (tag or section; `(not on board)` when absent).
    pub board_status: String,
    /// Why this packet blocks closure; `None` when it does not.
    pub blocking: Option<String>,
}

/// The phase gate result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhaseTable {
    pub phase: String,
    pub rows: Vec<PhaseRow>,
    /// Errors of the spec checks.
    pub spec_errors: usize,
    /// Waivers outliving the phase.
    pub waivers: Vec<String>,
    pub passed: bool,
}

impl PhaseTable {
    /// A plain-text table for printing.
    pub fn to_text(&self) -> String {
        let w = self
            .rows
            .iter()
            .map(|r| r.packet.len())
            .max()
            .unwrap_or(6)
            .max(6);
        let ws = self
            .rows
            .iter()
            .map(|r| r.packet_status.chars().count())
            .max()
            .unwrap_or(6)
            .max(6);
        let wb = self
            .rows
            .iter()
            .map(|r| r.board_status.chars().count())
            .max()
            .unwrap_or(5)
            .max(5);
        let mut s = format!(
            "{:w$}  {:ws$}  {:wb$}  {}\n",
            "PACKET", "STATUS", "BOARD", "BLOCKING"
        );
        for r in &self.rows {
            s.push_str(&format!(
                "{:w$}  {:ws$}  {:wb$}  {}\n",
                r.packet,
                r.packet_status,
                r.board_status,
                r.blocking.as_deref().unwrap_or("-")
            ));
        }
        s.push_str(&format!(
            "phase {}: {} ({} packets, {} blocking, {} spec errors, {} waivers outliving)\n",
            self.phase,
            if self.passed { "PASS" } else { "HOLD" },
            self.rows.len(),
            self.rows.iter().filter(|r| r.blocking.is_some()).count(),
            self.spec_errors,
            self.waivers.len()
        ));
        s
    }
}

/// The phase gate over a repository: runs the spec checks into a scratch emitter.
pub fn phase_check(
    ws: &Workspace,
    phase: &str,
    waivers_outliving: &dyn Fn() -> Vec<String>,
    out: &mut Emitter,
) -> Result<PhaseTable, Error> {
    let mut scratch = Emitter::new(ws.policy);
    crate::rules::spec::check(ws, &mut scratch)?;
    let spec_errors = scratch.finish().summary().errors;
    let board = board::load(ws)?;
    Ok(phase_check_with(
        ws.packets()?,
        board.as_deref(),
        spec_errors,
        phase,
        waivers_outliving,
        ws.policy,
        out,
    ))
}

fn board_status_of(id: &str, board: Option<&Board>) -> Vec<String> {
    board
        .map(|b| {
            b.entries_for(id)
                .map(|e| e.tag.clone().unwrap_or_else(|| e.section.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// [`phase_check`] over given inputs (`spec_errors` = error count of the spec checks).
pub fn phase_check_with(
    packets: &[Packet],
    board: Option<&Board>,
    spec_errors: usize,
    phase: &str,
    waivers_outliving: &dyn Fn() -> Vec<String>,
    policy: &Policy,
    out: &mut Emitter,
) -> PhaseTable {
    let prefix = policy.phase.packet_prefix.replace("{phase}", phase);
    let mut ids: Vec<String> = packets
        .iter()
        .map(|p| p.id.clone())
        .filter(|id| id.starts_with(&prefix))
        .collect();
    if let Some(b) = board {
        for e in &b.entries {
            if e.id.starts_with(&prefix) && !ids.contains(&e.id) {
                ids.push(e.id.clone());
            }
        }
    }
    ids.sort();
    ids.dedup();
    let vs = &policy.deps.validated_statuses;
    let ex = &policy.board.archived_statuses;
    let g = crate::rules::deps::graph_from(packets, board, &policy.deps);
    let mut rows = Vec::new();
    for id in &ids {
        let packet = packets
            .iter()
            .find(|p| board::packet_ids(p).iter().any(|x| x == id));
        let pstatus = packet
            .and_then(|p| p.status.as_ref())
            .map(|s| s.value.trim().to_string());
        let bstatuses = board_status_of(id, board);
        let excluded = bstatuses.iter().any(|s| board::status_in(s, ex))
            || pstatus
                .as_deref()
                .map(|s| board::status_in(s, ex))
                .unwrap_or(false);
        let packet_status = match (packet, &pstatus) {
            (None, _) => "(no packet)".to_string(),
            (Some(_), None) => "-".to_string(),
            (Some(_), Some(s)) => s.clone(),
        };
        let board_status = if bstatuses.is_empty() {
            "(not on board)".to_string()
        } else {
            bstatuses.join(" / ")
        };
        let (loc_path, loc_line, loc_span) = locate(id, packet, board);
        if excluded {
            rows.push(PhaseRow {
                packet: id.clone(),
                packet_status,
                board_status,
                blocking: None,
            });
            continue;
        }
        let mut reasons = Vec::new();
        let packet_ok = pstatus
            .as_deref()
            .map(|s| board::status_accepted(s, vs))
            .unwrap_or(false);
        let board_ok =
            !bstatuses.is_empty() && bstatuses.iter().all(|s| board::status_accepted(s, vs));
        if !packet_ok || !board_ok {
            let why = match (packet_ok, board_ok) {
                (false, false) => format!("packet `{packet_status}`, board `{board_status}`"),
                (false, true) => format!("packet `{packet_status}`"),
                _ => format!("board `{board_status}`"),
            };
            out.emit(
                diag(
                    "phase.not-validated",
                    format!("{id} is not VALIDATED ({why}); phase {phase} cannot close"),
                )
                .at(&loc_path, loc_line, loc_span)
                .with_wp(id),
            );
            reasons.push(format!("not VALIDATED ({why})"));
        }
        for e in g.deps_of(id) {
            let (ok, st) = crate::rules::deps::is_validated(&e.to, packets, board, policy);
            if !ok {
                out.emit(
                    diag(
                        "phase.unresolved-dependency",
                        format!("{id} depends on {}, which is not VALIDATED ({st})", e.to),
                    )
                    .at(&e.path, e.line, e.span)
                    .with_wp(id),
                );
                reasons.push(format!("dependency {} not VALIDATED", e.to));
            }
        }
        rows.push(PhaseRow {
            packet: id.clone(),
            packet_status,
            board_status,
            blocking: if reasons.is_empty() {
                None
            } else {
                Some(reasons.join("; "))
            },
        });
    }
    if spec_errors > 0 {
        out.emit(diag(
            "phase.spec-failing",
            format!("the spec checks report {spec_errors} error(s); phase {phase} cannot close"),
        ));
    }
    let waivers = waivers_outliving();
    for w in &waivers {
        out.emit(diag(
            "phase.waiver-outlives",
            format!("waiver outlives phase {phase}: {w}"),
        ));
    }
    let passed =
        rows.iter().all(|r| r.blocking.is_none()) && spec_errors == 0 && waivers.is_empty();
    PhaseTable {
        phase: phase.to_string(),
        rows,
        spec_errors,
        waivers,
        passed,
    }
}

fn locate(id: &str, packet: Option<&Packet>, board: Option<&Board>) -> (String, usize, Span) {
    if let Some(e) = board.and_then(|b| b.entries_for(id).next()) {
        if let Some(b) = board {
            return (b.path.clone(), e.line, e.span);
        }
    }
    if let Some(p) = packet {
        if let Some(s) = &p.status {
            return (p.path.clone(), s.line, s.span);
        }
        return (p.path.clone(), 1, Span::new(0, 0));
    }
    (String::new(), 1, Span::new(0, 0))
}
