//! Commits, each against its parent (`check --commit`, `check --range`, pre-push, CI).

use super::{Context, Gate};
use crate::error::Error;
use crate::git::{Repo, TreeSource};
use crate::model::change::{AddedLines, ChangeSet, ChangeStatus, FileChange};
use crate::policy::Policy;
use crate::report::Report;
use crate::rules::Emitter;
use crate::source::FileSource;

impl<'r> Gate<'r> {
    /// Commits (full shas), each against its parent, in the order given.
    ///
    /// Two or more commits run as a pipeline: a producer thread (with its own repository
    /// handle) reads each commit's changes from one `git log` child (see
    /// [`Repo::commits`]) and the lines they add through one `git cat-file --batch` child,
    /// while this thread runs the rules, in commit order. The findings are exactly those
    /// of checking one commit at a time. (The producer reads blobs through git, not
    /// libgit2: libgit2 serialises pack reads across threads behind one lock, and a
    /// producer using it made the pipeline slower than one thread.)
    pub fn commits(&mut self, shas: &[String], ctx: &Context) -> Result<Report, Error> {
        let all_parents = self.policy.git.merge_parents == "all";
        let renames = self.policy.git.renames;
        if shas.len() < 2 {
            let mut report = Report::new();
            for sha in shas {
                let cs = self.repo.commit(sha, all_parents, renames)?;
                report.extend(self.commit_findings(cs, None, ctx)?);
            }
            return Ok(report);
        }
        let policy = self.policy;
        let git_dir = self.repo.git_dir().to_path_buf();
        type Item = Result<(ChangeSet, Vec<Option<AddedLines>>), Error>;
        std::thread::scope(|s| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Item>(256);
            s.spawn(move || {
                let setup = Repo::discover(&git_dir).and_then(|repo| {
                    let checker = crate::rules::content::ContentChecker::new(policy)?;
                    Ok((repo, checker))
                });
                let (repo, checker) = match setup {
                    Ok(x) => x,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                };
                let mut blobs = repo.blob_reader();
                // Commits go in batches: one request to the blob reader per batch.
                let mut stream = repo.commits(shas, all_parents, renames);
                let mut done = false;
                while !done {
                    let mut batch = Vec::new();
                    let mut failure = None;
                    while batch.len() < 32 {
                        match stream.next() {
                            Some(Ok(cs)) => batch.push(cs),
                            Some(Err(e)) => {
                                failure = Some(e);
                                break;
                            }
                            None => {
                                done = true;
                                break;
                            }
                        }
                    }
                    let added = match added_for(&repo, &mut blobs, &checker, policy, &batch) {
                        Ok(a) => a,
                        Err(e) => {
                            let _ = tx.send(Err(e));
                            return;
                        }
                    };
                    for item in batch.into_iter().zip(added) {
                        if tx.send(Ok(item)).is_err() {
                            return;
                        }
                    }
                    if let Some(e) = failure {
                        let _ = tx.send(Err(e));
                        return;
                    }
                }
            });
            let mut report = Report::new();
            for sha in shas {
                let (cs, added) = rx
                    .recv()
                    .map_err(|_| Error::git(format!("no changes were read for commit {sha}")))??;
                report.extend(self.commit_findings(cs, Some(added), ctx)?);
            }
            Ok(report)
        })
    }

    /// The findings of one commit.
    fn commit_findings(
        &mut self,
        mut cs: ChangeSet,
        mut added: Option<Vec<Option<AddedLines>>>,
        ctx: &Context,
    ) -> Result<Report, Error> {
        let all_parents = self.policy.git.merge_parents == "all";
        let sha = cs.commit.clone().unwrap_or_default();
        let sha = sha.as_str();
        {
            let tree = self.repo.tree_source(sha)?;
            if !all_parents && cs.parents.len() > 1 {
                // A merge against its first parent, like a merge being committed (see
                // `staged`): a path the merge takes from another parent came with that
                // parent's commits, which are checked on their own; only what the merge
                // itself introduces is checked. A path counts as taken only when it is
                // that parent's own change since the merge base and the first parent
                // still holds the merge-base version (see [`taken_from`]): a revert to an
                // ancestor's version, a deletion and every governance file are the
                // merge's own change.
                let first = self.repo.tree_source(&cs.parents[0])?;
                let mut keep = vec![true; cs.changes.len()];
                for parent in &cs.parents[1..] {
                    let other = self.repo.tree_source(parent)?;
                    let base = match self.repo.merge_base(&cs.parents[0], parent) {
                        Some(b) => Some(self.repo.tree_source(&b)?),
                        None => None,
                    };
                    for (k, c) in keep.iter_mut().zip(&cs.changes) {
                        *k &= !(c.status != ChangeStatus::Deleted
                            && c.paths().all(|p| {
                                !self.policy.is_governance_file(p)
                                    && taken_from(p, &tree, &first, &other, base.as_ref())
                            }));
                    }
                }
                let mut flags = keep.iter();
                cs.changes.retain(|_| flags.next().copied().unwrap_or(true));
                if let Some(a) = added.as_mut() {
                    let mut flags = keep.iter();
                    a.retain(|_| flags.next().copied().unwrap_or(true));
                }
            }
            let mut out = Emitter::new(self.policy);
            out.commit = cs.commit.clone();
            let ctx = Context {
                message: None,
                defer_unbound: false,
                ..ctx.clone()
            };
            let parent = cs.parents.first().cloned();
            self.check_changeset(&cs, &tree, parent.as_deref(), &ctx, &mut out, added)?;
            Ok(out.finish())
        }
    }
}

/// The lines each change of each change set adds, for the changes the content rules look
/// at (`None` for the others: deletions, gitlinks, symlinks, paths no content rule applies
/// to); the blobs of all of them are read in one request when `blobs` is a reader.
pub(super) fn added_for(
    repo: &Repo,
    blobs: &mut Option<crate::git::BlobReader>,
    content: &crate::rules::content::ContentChecker,
    policy: &Policy,
    sets: &[ChangeSet],
) -> Result<Vec<Vec<Option<AddedLines>>>, Error> {
    let wanted = |c: &FileChange| {
        c.status != ChangeStatus::Deleted
            && !c.is_gitlink()
            && !c.is_symlink()
            && content.applies(c.path())
    };
    let changes: Vec<&FileChange> = sets
        .iter()
        .flat_map(|cs| cs.changes.iter())
        .filter(|c| wanted(c))
        .collect();
    let mut lines = repo
        .added_lines_many(blobs, &changes, policy.limits.max_content_bytes)?
        .into_iter();
    Ok(sets
        .iter()
        .map(|cs| {
            cs.changes
                .iter()
                .map(|c| if wanted(c) { lines.next() } else { None })
                .collect()
        })
        .collect())
}

/// A path's version in a tree: blob id and mode (`None`s: absent).
pub(super) type Version = (Option<String>, Option<u32>);

/// Did a merge whose version of a path is `merged` take it from the parent whose version
/// is `other`? Only when `other` changed it since the merge base (`base`), and the first
/// parent still holds the merge-base version (so the merge made no choice of its own).
/// Without a merge base nothing counts as taken.
pub(super) fn taken(
    merged: &Version,
    first: &Version,
    other: &Version,
    base: Option<&Version>,
) -> bool {
    let Some(base) = base else {
        return false;
    };
    merged == other && other != base && first == base
}

/// [`taken`] for a committed merge, reading the versions from the trees.
pub(super) fn taken_from(
    path: &str,
    merged: &TreeSource,
    first: &TreeSource,
    other: &TreeSource,
    base: Option<&TreeSource>,
) -> bool {
    let version = |t: &TreeSource| (t.blob_id(path), t.mode(path));
    taken(
        &version(merged),
        &version(first),
        &version(other),
        base.map(version).as_ref(),
    )
}
