//! Dependencies between packets (packet `depends_on` and board `Blocker:` sub-bullets) and
//! concurrency (overlapping IN_SCOPE_PATHS of in-progress packets).

use crate::policy::DepsPolicy;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::error::Error;
use crate::model::board::Board;
use crate::model::packet::Packet;
use crate::report::{Severity, Span};
use crate::rules::board;
use crate::rules::{diag, Emitter, RuleInfo};
use crate::source::Workspace;

pub const RULES: &[RuleInfo] = &[
    RuleInfo {
        id: "deps.unknown",
        default: Severity::Error,
        summary: "a dependency names no packet",
        help: "Dependencies must name existing packets so blocking can be checked (7.1). Fix the \
id or create the packet.",
        example: "- Depends on: WP-1-Nonexistent (MUST COMPLETE FIRST)",
    },
    RuleInfo {
        id: "deps.cycle",
        default: Severity::Error,
        summary: "packets depend on each other in a cycle",
        help: "A dependency cycle can never be unblocked. Split one packet or drop one edge.",
        example: "WP-1-A depends on WP-1-B, WP-1-B depends on WP-1-A",
    },
    RuleInfo {
        id: "deps.blocked",
        default: Severity::Error,
        summary: "work committed under a packet whose dependency is not VALIDATED",
        help: "Never assign downstream work until the blocker is VALIDATED (7.2); Done is not \
VALIDATED. Wait for the dependency's validation or remove the dependency.",
        example: "commit `WP-1-B: …` while WP-1-A (dependency of WP-1-B) is In Progress",
    },
];

/// The dependency graph: packet id → (dependency id, where it was stated).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Graph {
    /// Every node (packets and the ids they name), sorted.
    pub nodes: BTreeSet<String>,
    pub edges: BTreeMap<String, Vec<Edge>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edge {
    pub to: String,
    /// File stating the dependency (packet or board) and its line.
    pub path: String,
    pub line: usize,
    #[serde(skip)]
    pub span: Span,
}

impl Graph {
    pub fn deps_of(&self, id: &str) -> &[Edge] {
        self.edges.get(id).map(|v| v.as_slice()).unwrap_or(&[])
    }
}

/// Builds the graph from packets and (optionally) the board.
pub fn graph_from(packets: &[Packet], board: Option<&Board>, policy: &DepsPolicy) -> Graph {
    let mut g = Graph::default();
    for p in packets {
        g.nodes.insert(p.id.clone());
        for d in &p.depends_on {
            add_edge(&mut g, &p.id, &d.value, &p.path, d.line, d.span);
        }
    }
    if let Some(b) = board {
        g.nodes.extend(b.entries.iter().map(|e| e.id.clone()));
    }
    if let (Some(b), true) = (board, policy.board_blockers) {
        for e in &b.entries {
            for (_, ids, line) in &e.blockers {
                for id in ids {
                    if *id != e.id {
                        add_edge(&mut g, &e.id, id, &b.path, *line, e.span);
                    }
                }
            }
        }
    }
    g
}

fn add_edge(g: &mut Graph, from: &str, to: &str, path: &str, line: usize, span: Span) {
    g.nodes.insert(from.to_string());
    g.nodes.insert(to.to_string());
    let v = g.edges.entry(from.to_string()).or_default();
    if !v.iter().any(|e| e.to == to) {
        v.push(Edge {
            to: to.to_string(),
            path: path.to_string(),
            line,
            span,
        });
    }
}

/// The dependency graph of a repository.
pub fn graph(ws: &Workspace) -> Result<Graph, Error> {
    let board = board::load(ws)?;
    Ok(graph_from(ws.packets()?, board.as_deref(), &ws.policy.deps))
}

/// Graphviz rendering.
pub fn to_dot(g: &Graph) -> String {
    let mut s = String::from("digraph deps {\n  rankdir=LR;\n");
    for n in &g.nodes {
        s.push_str(&format!("  \"{}\";\n", n.replace('"', "\\\"")));
    }
    for (from, es) in &g.edges {
        for e in es {
            s.push_str(&format!(
                "  \"{}\" -> \"{}\";\n",
                from.replace('"', "\\\""),
                e.to.replace('"', "\\\"")
            ));
        }
    }
    s.push_str("}\n");
    s
}

/// Plain text rendering: `WP-1-B -> WP-1-A` lines, then nodes without dependencies.
pub fn to_text(g: &Graph) -> String {
    let mut s = String::new();
    for n in &g.nodes {
        let deps = g.deps_of(n);
        if deps.is_empty() {
            s.push_str(&format!("{n}\n"));
        } else {
            let list: Vec<&str> = deps.iter().map(|e| e.to.as_str()).collect();
            s.push_str(&format!("{n} -> {}\n", list.join(", ")));
        }
    }
    s
}

/// Repository-level dependency rules: `deps.unknown`, `deps.cycle`.
pub fn check(ws: &Workspace, out: &mut Emitter) -> Result<(), Error> {
    let board = board::load(ws)?;
    check_with(ws.packets()?, board.as_deref(), &ws.policy.deps, out);
    Ok(())
}

/// [`check`] over given packets and board.
pub fn check_with(
    packets: &[Packet],
    board: Option<&Board>,
    policy: &DepsPolicy,
    out: &mut Emitter,
) {
    let g = graph_from(packets, board, policy);
    // Packets, and board entries (a GAP entry is a planned packet without a file yet).
    let mut known: BTreeSet<String> = packets
        .iter()
        .flat_map(|p| board::packet_ids(p).into_iter())
        .collect();
    if let Some(b) = board {
        known.extend(b.entries.iter().map(|e| e.id.clone()));
    }
    for (from, es) in &g.edges {
        for e in es {
            if !known.contains(&e.to) {
                out.emit(
                    diag(
                        "deps.unknown",
                        format!("{from} depends on {}, which names no packet", e.to),
                    )
                    .at(&e.path, e.line, e.span)
                    .with_wp(from),
                );
            }
        }
    }
    for cycle in cycles(&g) {
        let first = &cycle[0];
        let (path, line, span) = g
            .deps_of(first)
            .iter()
            .find(|e| Some(&e.to) == cycle.get(1).or(cycle.first()))
            .map(|e| (e.path.clone(), e.line, e.span))
            .unwrap_or_default();
        let mut shown = cycle.clone();
        shown.push(first.clone());
        out.emit(
            diag(
                "deps.cycle",
                format!("dependency cycle: {}", shown.join(" -> ")),
            )
            .at(&path, line, span)
            .with_wp(first),
        );
    }
}

/// One cycle per strongly connected component (with more than one node, or a self loop),
/// each as a path starting at its smallest id.
pub fn cycles(g: &Graph) -> Vec<Vec<String>> {
    // Tarjan's SCC, iterative.
    let nodes: Vec<&String> = g.nodes.iter().collect();
    let pos: BTreeMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let adj: Vec<Vec<usize>> = nodes
        .iter()
        .map(|n| {
            g.deps_of(n)
                .iter()
                .filter_map(|e| pos.get(e.to.as_str()).copied())
                .collect()
        })
        .collect();
    let n = nodes.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0usize; n];
    let mut on = vec![false; n];
    let mut stack = Vec::new();
    let mut counter = 0usize;
    let mut sccs: Vec<Vec<usize>> = Vec::new();
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = counter;
        low[root] = counter;
        counter += 1;
        stack.push(root);
        on[root] = true;
        while let Some(&mut (v, ref mut k)) = work.last_mut() {
            if *k < adj[v].len() {
                let w = adj[v][*k];
                *k += 1;
                if index[w] == usize::MAX {
                    index[w] = counter;
                    low[w] = counter;
                    counter += 1;
                    stack.push(w);
                    on[w] = true;
                    work.push((w, 0));
                } else if on[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                work.pop();
                if let Some(&(u, _)) = work.last() {
                    low[u] = low[u].min(low[v]);
                }
                if low[v] == index[v] {
                    let mut comp = Vec::new();
                    while let Some(w) = stack.pop() {
                        on[w] = false;
                        comp.push(w);
                        if w == v {
                            break;
                        }
                    }
                    sccs.push(comp);
                }
            }
        }
    }
    let mut out = Vec::new();
    for comp in sccs {
        let set: BTreeSet<usize> = comp.iter().copied().collect();
        let Some(&start) = set.iter().next() else {
            continue;
        };
        if comp.len() == 1 && !adj[start].contains(&start) {
            continue;
        }
        // BFS inside the component from start back to start.
        let mut prev: BTreeMap<usize, usize> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        let mut found = false;
        while let Some(v) = queue.pop_front() {
            for &w in &adj[v] {
                if !set.contains(&w) {
                    continue;
                }
                if w == start {
                    prev.insert(usize::MAX, v);
                    found = true;
                    break;
                }
                if let std::collections::btree_map::Entry::Vacant(e) = prev.entry(w) {
                    e.insert(v);
                    queue.push_back(w);
                }
            }
            if found {
                break;
            }
        }
        let mut path = Vec::new();
        let mut cur = prev.get(&usize::MAX).copied();
        while let Some(c) = cur {
            path.push(c);
            if c == start {
                break;
            }
            cur = prev.get(&c).copied();
        }
        path.reverse();
        if path.first() != Some(&start) {
            path.insert(0, start);
        }
        out.push(path.into_iter().map(|i| nodes[i].clone()).collect());
    }
    out.sort();
    out
}

/// Is the packet VALIDATED: its STATUS when it has one, else its board status.
pub fn is_validated(
    id: &str,
    packets: &[Packet],
    board: Option<&Board>,
    policy: &crate::policy::Policy,
) -> (bool, String) {
    let vs = &policy.deps.validated_statuses;
    // The packet's TASK_ID or its file name (`board::packet_ids`), compared in place:
    // this runs per dependency per commit of a range.
    let named = |p: &Packet| {
        let name = p.path.rsplit('/').next().unwrap_or(&p.path);
        p.id == id || name.strip_suffix(".md").unwrap_or(name) == id
    };
    if let Some(p) = packets.iter().find(|p| named(p)) {
        if let Some(s) = &p.status {
            return (
                board::status_accepted(&s.value, vs),
                s.value.trim().to_string(),
            );
        }
    }
    if let Some(b) = board {
        for e in b.entries_for(id) {
            let st = e.tag.clone().unwrap_or_else(|| e.section.clone());
            if board::status_accepted(&st, vs) {
                return (true, st);
            }
        }
        if let Some(e) = b.entries_for(id).next() {
            return (false, e.tag.clone().unwrap_or_else(|| e.section.clone()));
        }
    }
    (false, "unknown".to_string())
}

/// `deps.blocked` (diff level): work committed under `wp` while one of its dependencies is
/// not VALIDATED.
pub fn check_blocked(wp: &str, ws: &Workspace, out: &mut Emitter) -> Result<(), Error> {
    let board = board::load(ws)?;
    check_blocked_with(wp, ws.packets()?, board.as_deref(), ws.policy, out);
    Ok(())
}

/// [`check_blocked`] over given packets and board.
pub fn check_blocked_with(
    wp: &str,
    packets: &[Packet],
    board: Option<&Board>,
    policy: &crate::policy::Policy,
    out: &mut Emitter,
) {
    // Only the bound packet's own edges matter: gather them without building the graph
    // of every packet (this runs once per commit in a range check).
    let mut g = Graph::default();
    for p in packets.iter().filter(|p| p.id == wp) {
        for d in &p.depends_on {
            add_edge(&mut g, &p.id, &d.value, &p.path, d.line, d.span);
        }
    }
    if let (Some(b), true) = (board, policy.deps.board_blockers) {
        for e in b.entries.iter().filter(|e| e.id == wp) {
            for (_, ids, line) in &e.blockers {
                for id in ids.iter().filter(|id| **id != e.id) {
                    add_edge(&mut g, &e.id, id, &b.path, *line, e.span);
                }
            }
        }
    }
    for e in g.deps_of(wp) {
        let (ok, status) = is_validated(&e.to, packets, board, policy);
        if !ok {
            out.emit(
                diag(
                    "deps.blocked",
                    format!(
                        "{wp} depends on {}, which is not VALIDATED (status: {status})",
                        e.to
                    ),
                )
                .at(&e.path, e.line, e.span)
                .with_wp(wp),
            );
        }
    }
}
