//! Helpers of the rule-family tests that drive the gate on real repositories
//! (`rules_<family>.rs`): staging files, opening the gate as the CLI does inside a
//! no-write check, and the rule ids of a run.
#![allow(dead_code)]

use wpgate_core::{Diagnostic, Gate, Policy, Repo};

use crate::git_common::{unchanged, TestRepo};

/// Writes and stages files.
pub fn stage(r: &TestRepo, files: &[(&str, &str)]) {
    for (p, c) in files {
        r.write(p, c);
        r.git(&["add", "--", p]);
    }
}

/// Runs `f` over a gate opened the way the CLI opens it, asserting that nothing in the
/// repository (work tree, index, refs, objects) was written.
pub fn with_gate<T>(r: &TestRepo, what: &str, f: impl FnOnce(&mut Gate) -> T) -> T {
    unchanged(&r.path, what, || {
        let repo = Repo::discover(&r.path).expect("repository");
        let (policy, _) = Policy::discover(&r.path, None).expect("policy");
        let mut gate = Gate::new(&repo, &policy).expect("gate");
        f(&mut gate)
    })
}

/// Sorted rule ids, one per diagnostic.
pub fn rules(d: &[Diagnostic]) -> Vec<&str> {
    let mut v: Vec<&str> = d.iter().map(|d| d.rule.as_str()).collect();
    v.sort_unstable();
    v
}

/// The path of packet `id` in the default layout.
pub fn packet_path(id: &str) -> String {
    format!("docs/task_packets/{id}.md")
}
