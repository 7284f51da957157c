//! Scope rules: a change stays inside its packet's IN_SCOPE_PATHS and outside its
//! OUT_OF_SCOPE (`scope.out-of-scope`), and in-progress packets do not share paths
//! (`scope.overlap`).

use std::collections::{BTreeMap, BTreeSet};

use crate::error::Error;
use crate::model::board::Board;
use crate::report::Span;
use crate::rules::board;
use crate::source::Workspace;

use super::{diag, Emitter, RuleInfo};
use crate::glob::{PathSet, Scope, Verdict};
use crate::model::change::{ChangeSet, ChangeStatus, FileChange};
use crate::model::packet::{Microtask, Packet};
use crate::policy::Policy;
use crate::report::Severity;

pub const RULES: &[RuleInfo] = &[
    RuleInfo {
        id: "scope.out-of-scope",
        default: Severity::Error,
        summary:
            "a changed path is outside the bound packet's IN_SCOPE_PATHS or inside its OUT_OF_SCOPE",
        help: "A coder may change only the files the packet lists (protocol Part 5.3). Either \
               move the change to the packet that owns the path, or have the Orchestrator \
               create a new packet whose scope includes it. Renames are checked on both the \
               old and the new path. Paths every packet may touch come from \
               scope.always_allowed (default: its own packet file and the task board).",
        example: "WP-1-Foo lists `src/storage/mod.rs`; the commit also edits `src/api/jobs.rs`",
    },
    RuleInfo {
        id: "scope.overlap",
        default: Severity::Warning,
        summary: "two in-progress packets share IN_SCOPE_PATHS",
        help: "In-progress packets must have disjoint IN_SCOPE_PATHS (CX-CONC-001) so coders do \
not edit the same files. Narrow one packet's scope or serialise the work.",
        example: "WP-1-A and WP-1-B, both In Progress, list src/storage/mod.rs",
    },
];

/// The scope settings of a policy, and each packet version's compiled scope.
pub struct ScopeRules {
    exempt: PathSet,
    always_allowed: Vec<String>,
    /// Compiled scopes (IN/OUT and the always-allowed set) by packet path and entries: a
    /// range check compiles each packet version's globs once.
    scopes: std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<(Scope, PathSet)>>>,
}

impl ScopeRules {
    pub fn new(policy: &Policy) -> ScopeRules {
        ScopeRules {
            exempt: PathSet::from_globs(&policy.scope.exempt),
            always_allowed: policy.scope.always_allowed.clone(),
            scopes: Default::default(),
        }
    }

    pub fn is_exempt(&self, path: &str) -> bool {
        self.exempt.is_match(path)
    }

    /// Changes to governed (non-exempt) paths.
    pub fn governed<'c>(&self, cs: &'c ChangeSet) -> Vec<&'c FileChange> {
        cs.changes
            .iter()
            .filter(|c| c.paths().any(|p| !self.is_exempt(p)))
            .collect()
    }

    fn scope_of(&self, packet: &Packet) -> std::sync::Arc<(Scope, PathSet)> {
        let inside: Vec<&str> = packet
            .in_scope_paths
            .iter()
            .map(|f| f.value.as_str())
            .collect();
        let outside: Vec<&str> = packet
            .out_of_scope
            .iter()
            .map(|f| f.value.as_str())
            .collect();
        let key = format!(
            "{}\0{}\0{}",
            packet.path,
            inside.join("\n"),
            outside.join("\n")
        );
        if let Some(hit) = self.scopes.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return hit;
        }
        let scope = Scope::new(&inside, &outside);
        let always: Vec<String> = self
            .always_allowed
            .iter()
            .map(|g| g.replace("{packet}", &packet.path))
            .collect();
        let compiled = std::sync::Arc::new((scope, PathSet::from_globs(&always)));
        if let Ok(mut m) = self.scopes.lock() {
            m.insert(key, compiled.clone());
        }
        compiled
    }

    /// A microtask's own scope, compiled once per run.
    fn microtask_scope(&self, mt: &Microtask) -> std::sync::Arc<(Scope, PathSet)> {
        let inside: Vec<&str> = mt.in_scope_paths.iter().map(|f| f.value.as_str()).collect();
        let outside: Vec<&str> = mt.out_of_scope.iter().map(|f| f.value.as_str()).collect();
        let key = format!(
            "mt\0{}\0{}\0{}",
            mt.path,
            inside.join("\n"),
            outside.join("\n")
        );
        if let Some(hit) = self.scopes.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return hit;
        }
        let compiled = std::sync::Arc::new((
            Scope::new(&inside, &outside),
            PathSet::from_globs::<&str>(&[]),
        ));
        if let Ok(mut m) = self.scopes.lock() {
            m.insert(key, compiled.clone());
        }
        compiled
    }

    /// `scope.out-of-scope` for every governed path outside `packet`'s scope and, when the
    /// change is bound to microtask `mt`, for every path the packet allows but the
    /// microtask does not (a microtask narrows its packet, never widens it).
    pub fn check(
        &self,
        governed: &[&FileChange],
        packet: &Packet,
        mt: Option<&Microtask>,
        out: &mut Emitter,
    ) {
        if governed.is_empty() {
            return;
        }
        let compiled = self.scope_of(packet);
        let (scope, always) = (&compiled.0, &compiled.1);
        let mt_scope = mt.map(|m| (m, self.microtask_scope(m)));
        for change in governed {
            for path in change.paths() {
                if self.is_exempt(path) || always.is_match(path) {
                    continue;
                }
                let why = match (scope.verdict(path), &mt_scope) {
                    (Verdict::NotListed, _) => format!("not in IN_SCOPE_PATHS of {}", packet.id),
                    (Verdict::Excluded(e), _) => {
                        format!("matched by OUT_OF_SCOPE entry `{e}` of {}", packet.id)
                    }
                    (Verdict::In, None) => continue,
                    (Verdict::In, Some((m, ms))) => match ms.0.verdict(path) {
                        Verdict::In => continue,
                        Verdict::NotListed => {
                            format!("not in the scope of microtask {} of {}", m.id, packet.id)
                        }
                        Verdict::Excluded(e) => format!(
                            "matched by OUT_OF_SCOPE entry `{e}` of microtask {} of {}",
                            m.id, packet.id
                        ),
                    },
                };
                let what = match change.status {
                    ChangeStatus::Renamed if change.old_path.as_deref() == Some(path) => {
                        "renamed from"
                    }
                    ChangeStatus::Renamed => "renamed to",
                    ChangeStatus::Added => "added",
                    ChangeStatus::Deleted => "deleted",
                    _ => "changed",
                };
                let mut d = diag("scope.out-of-scope", format!("{path}: {what}, but {why}"))
                    .with_path(path)
                    .with_wp(&packet.id);
                let in_packet = scope.verdict(path) == Verdict::In;
                if let (true, Some((m, _))) = (in_packet, &mt_scope) {
                    d = d.with_help(format!(
                        "{} lists its scope in {}; bind the change to the microtask that owns {path}, or to the packet alone",
                        m.id, m.path
                    ));
                } else if let Some(f) = packet.field_label("in_scope_paths") {
                    d = d.with_help(format!(
                        "{} lists its scope at {}:{}; move this change to the packet that owns {path}, or ask for a new packet",
                        packet.id, packet.path, f.line
                    ));
                }
                out.emit(d);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Scope overlap

/// One IN_SCOPE_PATHS entry as a matcher: exact path, directory (`dir/` or an exact entry
/// with files below it), or glob.
#[derive(Debug)]
pub enum ScopeEntry {
    Exact(String),
    Dir(String),
    Glob(String, globset::GlobMatcher),
}

impl ScopeEntry {
    pub fn parse(raw: &str) -> Option<ScopeEntry> {
        let s = raw
            .trim()
            .trim_matches('`')
            .trim()
            .trim_start_matches("./")
            .to_string();
        let s = s.split_whitespace().next()?.trim_matches('`').to_string();
        if s.is_empty() {
            return None;
        }
        if s.contains(['*', '?', '[', '{']) {
            let g = globset::GlobBuilder::new(&s)
                .literal_separator(true)
                .build()
                .ok()?;
            return Some(ScopeEntry::Glob(s, g.compile_matcher()));
        }
        if let Some(d) = s.strip_suffix('/') {
            return Some(ScopeEntry::Dir(d.to_string()));
        }
        Some(ScopeEntry::Exact(s))
    }

    pub fn matches(&self, path: &str) -> bool {
        match self {
            ScopeEntry::Exact(p) => path == p || below(path, p),
            ScopeEntry::Dir(d) => below(path, d),
            ScopeEntry::Glob(_, m) => m.is_match(path),
        }
    }

    /// The literal path of an exact entry.
    pub fn literal(&self) -> Option<&str> {
        match self {
            ScopeEntry::Exact(p) => Some(p),
            _ => None,
        }
    }
}

/// Is `path` below the directory `dir`?
fn below(path: &str, dir: &str) -> bool {
    path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/'
}

/// `scope.overlap`: in-progress packets whose IN_SCOPE_PATHS match a common path.
pub fn check_overlap(ws: &Workspace, out: &mut Emitter) -> Result<(), Error> {
    let board = board::load(ws)?;
    let files = ws.files.list("")?;
    check_overlap_with(
        ws.packets()?,
        board.as_deref(),
        &files,
        &ws.policy.board,
        out,
    );
    Ok(())
}

/// [`check_overlap`] over given packets, board and tracked files.
pub fn check_overlap_with(
    packets: &[Packet],
    board: Option<&Board>,
    files: &[String],
    policy: &crate::policy::BoardPolicy,
    out: &mut Emitter,
) {
    let active: Vec<(&Packet, Vec<ScopeEntry>)> = packets
        .iter()
        .filter(|p| board::in_progress(p, board, policy))
        .map(|p| {
            (
                p,
                p.in_scope_paths
                    .iter()
                    .filter_map(|f| ScopeEntry::parse(&f.value))
                    .collect(),
            )
        })
        .collect();
    // One pass over the files: which active packets match each (O(files × packets), not
    // O(files × packets²)).
    // Exact and directory entries are looked up by the file's path and its ancestor
    // directories; only globs are tried one by one.
    let mut by_path: std::collections::HashMap<&str, Vec<(usize, bool)>> =
        std::collections::HashMap::new();
    let mut globs: Vec<(usize, &ScopeEntry)> = Vec::new();
    for (i, (_, entries)) in active.iter().enumerate() {
        for e in entries {
            match e {
                ScopeEntry::Exact(p) => by_path.entry(p.as_str()).or_default().push((i, false)),
                ScopeEntry::Dir(d) => by_path.entry(d.as_str()).or_default().push((i, true)),
                ScopeEntry::Glob(..) => globs.push((i, e)),
            }
        }
    }
    let mut shared: BTreeMap<(usize, usize), BTreeSet<String>> = BTreeMap::new();
    let mut hits: Vec<usize> = Vec::new();
    for f in files {
        hits.clear();
        if let Some(v) = by_path.get(f.as_str()) {
            // The path itself: an exact entry (a directory entry needs something below).
            hits.extend(v.iter().filter(|(_, dir)| !dir).map(|(i, _)| *i));
        }
        for (k, _) in f.match_indices('/') {
            if let Some(v) = by_path.get(&f[..k]) {
                hits.extend(v.iter().map(|(i, _)| *i));
            }
        }
        hits.extend(globs.iter().filter(|(_, g)| g.matches(f)).map(|(i, _)| *i));
        if hits.len() < 2 {
            continue;
        }
        hits.sort_unstable();
        hits.dedup();
        for (k, &i) in hits.iter().enumerate() {
            for &j in &hits[k + 1..] {
                shared.entry((i, j)).or_default().insert(f.clone());
            }
        }
    }
    for i in 0..active.len() {
        for j in i + 1..active.len() {
            let (a, ea) = &active[i];
            let (b, eb) = &active[j];
            let mut common: BTreeSet<String> = shared.remove(&(i, j)).unwrap_or_default();
            for x in ea {
                if let Some(l) = x.literal() {
                    if eb.iter().any(|e| e.matches(l)) {
                        common.insert(l.to_string());
                    }
                }
            }
            for y in eb {
                if let Some(l) = y.literal() {
                    if ea.iter().any(|e| e.matches(l)) {
                        common.insert(l.to_string());
                    }
                }
            }
            if common.is_empty() {
                continue;
            }
            let shown: Vec<&str> = common.iter().take(5).map(|s| s.as_str()).collect();
            let more = if common.len() > 5 {
                format!(" and {} more", common.len() - 5)
            } else {
                String::new()
            };
            let (line, span) = b
                .in_scope_paths
                .first()
                .map(|f| (f.line, f.span))
                .unwrap_or((1, Span::new(0, 0)));
            out.emit(
                diag(
                    "scope.overlap",
                    format!(
                        "in-progress packets {} and {} both have in scope: {}{more}",
                        a.id,
                        b.id,
                        shown.join(", ")
                    ),
                )
                .at(&b.path, line, span)
                .with_wp(&b.id),
            );
        }
    }
}
