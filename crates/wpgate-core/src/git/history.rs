//! History queries: when paths were last touched (`board.stalled`).

use git2::Sort;

use crate::error::Error;

use super::changes::{collect_changes, diff_options, fast_tree_diff};
use super::*;

/// One commit with the paths it changed against its first parent (see [`Repo::last_touch_times`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touch {
    pub commit: String,
    pub time: i64,
    pub paths: Vec<String>,
}

impl Repo {
    /// Commits reachable from HEAD, newest first (at most `max_commits`), each with its
    /// commit time and the paths it changed against its first parent (no rename detection;
    /// merges count as their first-parent diff).
    pub fn last_touch_times(&self, max_commits: usize) -> Result<Vec<Touch>, Error> {
        let mut walk = self
            .repo
            .revwalk()
            .map_err(|e| gerr("cannot walk history", e))?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)
            .map_err(|e| gerr("cannot walk history", e))?;
        if self.head_tree()?.is_none() {
            return Ok(Vec::new());
        }
        walk.push_head()
            .map_err(|e| gerr("cannot walk from HEAD", e))?;
        let mut out = Vec::new();
        for oid in walk.take(max_commits) {
            let oid = match oid {
                Ok(o) => o,
                // The shallow boundary or a damaged history ends the walk.
                Err(_) => break,
            };
            let commit = self
                .repo
                .find_commit(oid)
                .map_err(|e| gerr(format!("cannot read commit {oid}"), e))?;
            let tree = commit
                .tree()
                .map_err(|e| gerr(format!("cannot read the tree of {oid}"), e))?;
            let ptree = match commit.parent_ids().next() {
                Some(pid) => match self.repo.find_commit(pid).and_then(|c| c.tree()) {
                    Ok(t) => Some(t),
                    Err(_) => break,
                },
                None => None,
            };
            let changes = match fast_tree_diff(&self.repo, ptree.as_ref(), &tree, false)? {
                Some(c) => c,
                None => {
                    let mut opts = diff_options();
                    let diff = self
                        .repo
                        .diff_tree_to_tree(ptree.as_ref(), Some(&tree), Some(&mut opts))
                        .map_err(|e| gerr(format!("cannot diff {oid}"), e))?;
                    collect_changes(&diff)
                }
            };
            let mut paths = Vec::new();
            for c in changes {
                for p in c.paths() {
                    paths.push(p.to_string());
                }
            }
            out.push(Touch {
                commit: oid.to_string(),
                time: commit.time().seconds(),
                paths,
            });
        }
        Ok(out)
    }

    /// The newest commit time (among the last `max_commits`) of a commit touching a path
    /// that starts with one of `prefixes` (a prefix `docs/` matches `docs/a.md`; an exact
    /// path matches itself).
    pub fn last_touch(&self, prefixes: &[&str], max_commits: usize) -> Result<Option<i64>, Error> {
        Ok(self
            .last_touch_times(max_commits)?
            .into_iter()
            .filter(|t| {
                t.paths
                    .iter()
                    .any(|p| prefixes.iter().any(|pre| p.starts_with(pre)))
            })
            .map(|t| t.time)
            .max())
    }
}
