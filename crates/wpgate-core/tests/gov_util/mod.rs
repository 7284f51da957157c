//! Shared helpers of the governance tests (spec, board, deps, phase).
#![allow(dead_code)]

use std::collections::BTreeMap;

use wpgate_core::model::packet::{Anchor, Field, Packet};
use wpgate_core::policy::FieldAliases;
use wpgate_core::report::Span;
use wpgate_core::rules::Emitter;
use wpgate_core::source::FileSource;
use wpgate_core::{Diagnostic, Error, Policy};

pub const FIXTURE_SPEC: &str =
    include_str!("../../../../tests/fixtures/gov/Demo_Master_Spec_v01.002.md");
pub const FIXTURE_BOARD: &str = include_str!("../../../../tests/fixtures/gov/TASK_BOARD.md");

/// Files held in memory.
#[derive(Default)]
pub struct MemFs(pub BTreeMap<String, Vec<u8>>);

impl MemFs {
    pub fn new(files: &[(&str, &str)]) -> MemFs {
        MemFs(
            files
                .iter()
                .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
                .collect(),
        )
    }
}

impl FileSource for MemFs {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, Error> {
        Ok(self.0.get(path).cloned())
    }
    fn list(&self, dir: &str) -> Result<Vec<String>, Error> {
        let d = dir.trim_end_matches('/');
        Ok(self
            .0
            .keys()
            .filter(|k| d.is_empty() || k.starts_with(&format!("{d}/")))
            .cloned()
            .collect())
    }
    fn describe(&self) -> String {
        "memory".into()
    }
}

pub fn field<T>(value: T, line: usize) -> Field<T> {
    Field::new(value, Span::new(line * 10, line * 10 + 5), line)
}

/// An empty packet at `docs/task_packets/{id}.md`.
pub fn packet(id: &str) -> Packet {
    let path = format!("docs/task_packets/{id}.md");
    let mut p = wpgate_core::parse_packet(&path, "", &FieldAliases::default());
    p.id = id.to_string();
    p
}

pub fn with_status(mut p: Packet, s: &str) -> Packet {
    p.status = Some(field(s.to_string(), 3));
    p
}

pub fn with_deps(mut p: Packet, deps: &[&str]) -> Packet {
    p.depends_on = deps
        .iter()
        .enumerate()
        .map(|(i, d)| field(d.to_string(), 20 + i))
        .collect();
    p
}

pub fn with_scope(mut p: Packet, paths: &[&str]) -> Packet {
    p.in_scope_paths = paths
        .iter()
        .enumerate()
        .map(|(i, d)| field(d.to_string(), 30 + i))
        .collect();
    p
}

pub fn anchor(raw: &str, number: Option<&str>, title: Option<&str>, rule_ids: &[&str]) -> Anchor {
    Anchor {
        raw: raw.to_string(),
        number: number.map(str::to_string),
        title: title.map(str::to_string),
        rule_ids: rule_ids.iter().map(|s| s.to_string()).collect(),
        span: Span::new(0, raw.len()),
        line: 5,
    }
}

pub fn with_anchors(mut p: Packet, anchors: Vec<Anchor>) -> Packet {
    p.spec_anchors = anchors;
    p
}

pub fn with_done_means(mut p: Packet, items: &[&str]) -> Packet {
    p.done_means = items
        .iter()
        .enumerate()
        .map(|(i, d)| field(d.to_string(), 40 + i))
        .collect();
    p
}

pub fn policy() -> Policy {
    Policy::default()
}

/// Runs `f` with an emitter over `policy` and returns the diagnostics.
pub fn run(policy: &Policy, f: impl FnOnce(&mut Emitter)) -> Vec<Diagnostic> {
    let mut out = Emitter::new(policy);
    f(&mut out);
    out.finish().diagnostics
}

pub fn rules_of(d: &[Diagnostic]) -> Vec<&str> {
    d.iter().map(|d| d.rule.as_str()).collect()
}

pub fn count(d: &[Diagnostic], rule: &str) -> usize {
    d.iter().filter(|d| d.rule == rule).count()
}

/// The corpus directory, when present.
pub fn corpus() -> Option<std::path::PathBuf> {
    // The brief's path (from /work/main), and the same from a worktree under /work/wt/.
    [
        "../../../shared/corpus/handshake-2026-01-01",
        "../../../../shared/corpus/handshake-2026-01-01",
    ]
    .iter()
    .map(|rel| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel))
    .find(|p| p.is_dir())
}
