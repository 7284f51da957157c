//! Change sets: the staged index (own index reader or libgit2), one commit against its
//! parent(s), the commits of a range, and the tree diff that skips identical subtrees.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use git2::{Delta, DiffFindOptions, DiffOptions, ErrorCode, Oid, Repository, Sort};

use crate::error::Error;

use super::source::{Files, Kind};
use super::*;

/// A commit that libgit2 shows without parents but whose object names some is a shallow
/// boundary (or grafted): diffing it against the empty tree would report every file as
/// added. Refuse it, naming the fetch that brings its parent.
pub(super) fn refuse_hidden_parents(commit: &git2::Commit<'_>) -> Result<(), Error> {
    let header = commit.raw_header_bytes();
    let parent = header
        .split(|b| *b == b'\n')
        .find_map(|l| l.strip_prefix(b"parent "))
        .map(|p| String::from_utf8_lossy(p).into_owned());
    match parent {
        None => Ok(()),
        Some(parent) => Err(Error::git_help(
            format!(
                "commit {} is a shallow boundary: its parent {parent} is not in this clone, so its changes cannot be computed (it is not a root commit)",
                commit.id()
            ),
            format!(
                "fetch the missing history: `git fetch --deepen=1 origin` (repeat, or `git fetch --unshallow`, until {parent} is present; in CI: checkout with `fetch-depth: 0`)"
            ),
        )),
    }
}

/// An error met while computing a commit's changes, naming the commit.
fn in_commit(e: Error, commit: &str, what: &str) -> Error {
    match e {
        Error::Git { message, help } => Error::Git {
            message: format!("commit {commit}, {what}: {message}"),
            help: Some(help.unwrap_or_else(|| {
                format!(
                    "an object of commit {commit} is missing: fetch it (`git fetch origin`, in a partial clone `git fetch --refetch`), or run `git fsck` to find the damage"
                )
            })),
        },
        other => other,
    }
}

pub(super) fn diff_options() -> DiffOptions {
    let mut opts = DiffOptions::new();
    opts.include_typechange(true)
        .include_typechange_trees(true)
        .ignore_submodules(false)
        .disable_pathspec_match(true);
    opts
}

fn find_renames(diff: &mut git2::Diff<'_>) -> Result<(), Error> {
    let mut fo = DiffFindOptions::new();
    fo.renames(true);
    diff.find_similar(Some(&mut fo))
        .map_err(|e| gerr("rename detection failed", e))
}

pub(super) fn collect_changes(diff: &git2::Diff<'_>) -> Vec<FileChange> {
    let mut out = Vec::new();
    for delta in diff.deltas() {
        let status = match delta.status() {
            Delta::Added => ChangeStatus::Added,
            Delta::Deleted => ChangeStatus::Deleted,
            Delta::Modified => ChangeStatus::Modified,
            Delta::Renamed => ChangeStatus::Renamed,
            Delta::Copied => ChangeStatus::Copied,
            Delta::Typechange => ChangeStatus::TypeChanged,
            // An unmerged index path (merge in progress) is reported as modified; see
            // `Repo::conflicted_paths` for the list of such paths.
            Delta::Conflicted => ChangeStatus::Modified,
            // Unmodified / ignored / untracked / unreadable / conflicted do not occur in
            // tree-to-tree and tree-to-index diffs without the options asking for them.
            _ => continue,
        };
        let old = delta.old_file();
        let new = delta.new_file();
        let mut non_utf8 = false;
        let mut side =
            |f: &git2::DiffFile<'_>, present: bool| -> (Option<String>, Option<String>, u32) {
                if !present {
                    return (None, None, 0);
                }
                let path = f.path_bytes().map(|b| {
                    let (s, bad) = path_string(b);
                    non_utf8 |= bad;
                    s
                });
                let id = if f.id().is_zero() {
                    None
                } else {
                    Some(f.id().to_string())
                };
                (path, id, u32::from(f.mode()))
            };
        let (old_path, old_id, old_mode) = side(&old, status != ChangeStatus::Added);
        let (new_path, new_id, new_mode) = side(&new, status != ChangeStatus::Deleted);
        out.push(FileChange {
            status,
            old_path,
            new_path,
            old_id,
            new_id,
            old_mode,
            new_mode,
            non_utf8_path: non_utf8,
        });
    }
    out
}

/// One entry of a tree, for [`fast_tree_diff`].
#[derive(Clone, Copy, PartialEq, Eq)]
struct TreeItem {
    id: Oid,
    mode: u32,
}

fn tree_items(tree: Option<&git2::Tree<'_>>) -> BTreeMap<Vec<u8>, TreeItem> {
    let mut m = BTreeMap::new();
    if let Some(t) = tree {
        for e in t.iter() {
            m.insert(
                e.name_bytes().to_vec(),
                TreeItem {
                    id: e.id(),
                    mode: e.filemode() as u32,
                },
            );
        }
    }
    m
}

/// Changed files between two trees, recursing only into subtrees whose ids differ.
/// `None` when libgit2's diff must decide: possible renames (with `renames`), or a path
/// that is a file on one side and a directory on the other.
pub(super) fn fast_tree_diff(
    repo: &Repository,
    old: Option<&git2::Tree<'_>>,
    new: &git2::Tree<'_>,
    renames: bool,
) -> Result<Option<Vec<FileChange>>, Error> {
    fn side(item: Option<TreeItem>) -> (Option<String>, u32) {
        match item {
            Some(i) => (Some(i.id.to_string()), i.mode),
            None => (None, 0),
        }
    }
    fn walk(
        repo: &Repository,
        a: Option<&git2::Tree<'_>>,
        b: Option<&git2::Tree<'_>>,
        prefix: &[u8],
        out: &mut Vec<(Vec<u8>, FileChange)>,
    ) -> Result<bool, Error> {
        let (ea, eb) = (tree_items(a), tree_items(b));
        let mut names: Vec<&Vec<u8>> = ea.keys().chain(eb.keys()).collect();
        names.sort();
        names.dedup();
        for name in names {
            let (x, y) = (ea.get(name).copied(), eb.get(name).copied());
            if x == y {
                continue;
            }
            let mut path = prefix.to_vec();
            if !path.is_empty() {
                path.push(b'/');
            }
            path.extend_from_slice(name);
            let is_tree = |i: Option<TreeItem>| i.is_some_and(|i| i.mode == MODE_TREE);
            let find = |i: Option<TreeItem>| -> Result<Option<git2::Tree<'_>>, Error> {
                match i {
                    Some(i) if i.mode == MODE_TREE => repo
                        .find_tree(i.id)
                        .map(Some)
                        .map_err(|e| gerr(format!("cannot read tree {}", i.id), e)),
                    _ => Ok(None),
                }
            };
            match (is_tree(x), is_tree(y)) {
                (true, true) | (true, false) if y.is_none() || is_tree(y) => {
                    if !walk(repo, find(x)?.as_ref(), find(y)?.as_ref(), &path, out)? {
                        return Ok(false);
                    }
                }
                (false, true) if x.is_none() => {
                    if !walk(repo, None, find(y)?.as_ref(), &path, out)? {
                        return Ok(false);
                    }
                }
                (false, false) => {
                    let status = match (x, y) {
                        (None, Some(_)) => ChangeStatus::Added,
                        (Some(_), None) => ChangeStatus::Deleted,
                        (Some(p), Some(q)) => {
                            let kind = |m: u32| match m {
                                MODE_SYMLINK => 1,
                                MODE_GITLINK => 2,
                                _ => 0,
                            };
                            if kind(p.mode) != kind(q.mode) {
                                ChangeStatus::TypeChanged
                            } else {
                                ChangeStatus::Modified
                            }
                        }
                        (None, None) => continue,
                    };
                    let (p, bad) = path_string(&path);
                    let (old_id, old_mode) = side(x);
                    let (new_id, new_mode) = side(y);
                    out.push((
                        path.clone(),
                        FileChange {
                            status,
                            old_path: x.map(|_| p.clone()),
                            new_path: y.map(|_| p.clone()),
                            old_id,
                            new_id,
                            old_mode,
                            new_mode,
                            non_utf8_path: bad,
                        },
                    ));
                }
                // A file on one side, a directory on the other.
                _ => return Ok(false),
            }
        }
        Ok(true)
    }
    let mut out = Vec::new();
    if !walk(repo, old, Some(new), b"", &mut out)? {
        return Ok(None);
    }
    if renames
        && out.iter().any(|(_, c)| c.status == ChangeStatus::Added)
        && out.iter().any(|(_, c)| c.status == ChangeStatus::Deleted)
    {
        return Ok(None);
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Some(out.into_iter().map(|(_, c)| c).collect()))
}

impl Repo {
    pub(super) fn head_tree(&self) -> Result<Option<git2::Tree<'_>>, Error> {
        match self.repo.head() {
            Ok(head) => {
                let tree = head
                    .peel_to_tree()
                    .map_err(|e| gerr("cannot read the tree of HEAD", e))?;
                Ok(Some(tree))
            }
            Err(e) if e.code() == ErrorCode::UnbornBranch || e.code() == ErrorCode::NotFound => {
                Ok(None)
            }
            Err(e) => Err(gerr("cannot resolve HEAD", e)),
        }
    }

    fn index_path(&self) -> PathBuf {
        self.index_file
            .clone()
            .unwrap_or_else(|| self.git_dir.join("index"))
    }

    /// A fresh, in-memory copy of the index file (never the repository's cached index,
    /// which would go stale while git changes the file; never written back).
    pub(super) fn read_index(&self) -> Result<git2::Index, Error> {
        let path = self.index_path();
        git2::Index::open(&path)
            .map_err(|e| gerr(format!("cannot read index file {}", path.display()), e))
    }

    /// The index file parsed by wpgate's own reader, when it can (see `git/index.rs`).
    pub(super) fn read_raw_index(&self) -> Option<RawIndex> {
        if std::env::var_os("WPGATE_LIBGIT2_INDEX").is_some() {
            return None;
        }
        RawIndex::read(&self.index_path()).ok().flatten()
    }

    /// Staged changes: the index against HEAD (everything Added when HEAD is unborn).
    pub fn staged(&self, renames: bool) -> Result<ChangeSet, Error> {
        Ok(self.staged_with_source(renames)?.0)
    }

    /// The staged changes and a [`crate::source::FileSource`] over the same index, read once (loading a
    /// large index is a good part of a pre-commit check).
    ///
    /// The index is read by wpgate's own reader, which skips every directory whose
    /// cache-tree entry matches HEAD (as `git diff --cached` does); whatever that reader
    /// does not handle is diffed by libgit2 instead. `WPGATE_LIBGIT2_INDEX=1` forces
    /// libgit2 (to compare the two).
    pub fn staged_with_source(&self, renames: bool) -> Result<(ChangeSet, IndexSource), Error> {
        if let Some((cs, raw)) = self.staged_own(renames)? {
            let source = IndexSource {
                files: Files {
                    shared: self.shared()?,
                    kind: Kind::Raw(Arc::new(raw)),
                },
            };
            return Ok((cs, source));
        }
        let index = self.read_index()?;
        let cs = self.staged_from(&index, renames)?;
        Ok((cs, self.source_of_index(&index)?))
    }

    pub(super) fn staged_own(&self, renames: bool) -> Result<Option<(ChangeSet, RawIndex)>, Error> {
        let Some(raw) = self.read_raw_index() else {
            return Ok(None);
        };
        let tree = self.head_tree()?;
        Ok(raw
            .diff(&self.repo, tree.as_ref(), renames)?
            .map(|changes| (self.staged_changes(changes), raw)))
    }

    /// The staged changes as wpgate's own index reader computes them, `None` when it steps
    /// aside for libgit2 (for differential tests of that reader).
    #[doc(hidden)]
    pub fn staged_own_reader(&self, renames: bool) -> Result<Option<ChangeSet>, Error> {
        Ok(self.staged_own(renames)?.map(|(cs, _)| cs))
    }

    /// The staged changes as libgit2 computes them, without wpgate's index reader (for
    /// differential tests of that reader).
    #[doc(hidden)]
    pub fn staged_libgit2(&self, renames: bool) -> Result<ChangeSet, Error> {
        let index = self.read_index()?;
        self.staged_from(&index, renames)
    }

    fn staged_changes(&self, changes: Vec<FileChange>) -> ChangeSet {
        ChangeSet {
            commit: None,
            parents: self
                .repo
                .head()
                .ok()
                .and_then(|h| h.target())
                .map(|o| o.to_string())
                .into_iter()
                .collect(),
            message: None,
            author_email: None,
            time: None,
            changes,
        }
    }

    fn staged_from(&self, index: &git2::Index, renames: bool) -> Result<ChangeSet, Error> {
        let tree = self.head_tree()?;
        let mut opts = diff_options();
        let mut diff = self
            .repo
            .diff_tree_to_index(tree.as_ref(), Some(index), Some(&mut opts))
            .map_err(|e| gerr("cannot diff the index against HEAD", e))?;
        if renames {
            find_renames(&mut diff)?;
        }
        Ok(self.staged_changes(collect_changes(&diff)))
    }

    /// The changes of one commit against its first parent (root commit: against the empty
    /// tree). With `all_parents`, a merge commit yields the union over all its parents (a
    /// path changed against several parents is listed once, from the first such parent).
    pub fn commit(&self, rev: &str, all_parents: bool, renames: bool) -> Result<ChangeSet, Error> {
        let commit = self.resolve_commit(rev)?;
        let tree = commit
            .tree()
            .map_err(|e| gerr(format!("cannot read the tree of {}", commit.id()), e))?;
        let parent_ids: Vec<Oid> = commit.parent_ids().collect();
        if parent_ids.is_empty() {
            refuse_hidden_parents(&commit)?;
        }
        let mut changes = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let parents_to_diff: Vec<Option<Oid>> = if parent_ids.is_empty() {
            vec![None]
        } else if all_parents {
            parent_ids.iter().copied().map(Some).collect()
        } else {
            vec![Some(parent_ids[0])]
        };
        for parent in parents_to_diff {
            let ptree = match parent {
                None => None,
                Some(pid) => Some(self.repo.find_commit(pid).and_then(|c| c.tree()).map_err(
                    |e| {
                        if self.is_shallow() {
                            Error::git_help(
                                format!(
                                    "parent {pid} of {} is missing: {} (this clone is shallow)",
                                    commit.id(),
                                    e.message()
                                ),
                                "`git fetch --unshallow` or `git fetch --deepen=<N> origin`",
                            )
                        } else {
                            gerr(format!("cannot read parent {pid} of {}", commit.id()), e)
                        }
                    },
                )?),
            };
            // Fast path: walk both trees, skipping identical subtrees by id (libgit2's
            // tree-to-tree diff expands every entry, which made the cost of a commit grow
            // with the size of the repository). Commits that may hold renames (adds and
            // deletes) or a file/directory swap take libgit2's diff for its rename detection.
            let fast = fast_tree_diff(&self.repo, ptree.as_ref(), &tree, renames)?;
            let found = match fast {
                Some(changes) => changes,
                None => {
                    let mut opts = diff_options();
                    let mut diff = self
                        .repo
                        .diff_tree_to_tree(ptree.as_ref(), Some(&tree), Some(&mut opts))
                        .map_err(|e| gerr(format!("cannot diff {}", commit.id()), e))?;
                    if renames {
                        self.blobs_for_renames(&diff, &commit.id().to_string())?;
                        find_renames(&mut diff).map_err(|e| {
                            in_commit(e, &commit.id().to_string(), "rename detection")
                        })?;
                    }
                    collect_changes(&diff)
                }
            };
            for c in found {
                let key = c.path().to_string();
                if seen.insert(key) {
                    changes.push(c);
                }
            }
        }
        let author = commit.author();
        let author_email = String::from_utf8_lossy(author.email_bytes()).into_owned();
        Ok(ChangeSet {
            commit: Some(commit.id().to_string()),
            parents: parent_ids.iter().map(|o| o.to_string()).collect(),
            message: Some(String::from_utf8_lossy(commit.message_bytes()).into_owned()),
            author_email: Some(author_email),
            time: Some(commit.time().seconds()),
            changes,
        })
    }

    /// Rename detection reads the blobs of added and deleted files; libgit2 cannot fetch
    /// one missing from a partial clone and would fail with a bare "object not found".
    /// Each missing one is read through [`read_blob`](super::blob::read_blob) first
    /// (fetched through git, or refused with `WPGATE_NO_FETCH=1`), the error naming the
    /// commit, the path and the object.
    fn blobs_for_renames(&self, diff: &git2::Diff<'_>, commit: &str) -> Result<(), Error> {
        let Ok(odb) = self.repo.odb() else {
            return Ok(());
        };
        for delta in diff.deltas() {
            let file = match delta.status() {
                Delta::Added => delta.new_file(),
                Delta::Deleted => delta.old_file(),
                _ => continue,
            };
            if file.mode() == git2::FileMode::Commit || file.id().is_zero() || odb.exists(file.id())
            {
                continue;
            }
            let path = file
                .path_bytes()
                .map(|p| path_string(p).0)
                .unwrap_or_default();
            super::blob::read_blob(&self.repo, &self.git_dir, file.id(), &path)
                .map_err(|e| in_commit(e, commit, "rename detection"))?;
        }
        Ok(())
    }

    /// The change sets of many commits, in the order given, as [`Repo::commit`] gives them
    /// one by one; for two or more commits a single `git log` child produces the diffs
    /// (see `git/log.rs`).
    pub fn commits<'r>(
        &'r self,
        shas: &[String],
        all_parents: bool,
        renames: bool,
    ) -> CommitStream<'r> {
        CommitStream::new(self, shas, all_parents, renames)
    }

    /// A commit's change set from changes computed elsewhere (its first-parent diff).
    pub(super) fn commit_with_changes(
        &self,
        sha: &str,
        changes: Vec<FileChange>,
    ) -> Result<ChangeSet, Error> {
        let commit = self.resolve_commit(sha)?;
        let author = commit.author();
        Ok(ChangeSet {
            commit: Some(commit.id().to_string()),
            parents: commit.parent_ids().map(|o| o.to_string()).collect(),
            message: Some(String::from_utf8_lossy(commit.message_bytes()).into_owned()),
            author_email: Some(String::from_utf8_lossy(author.email_bytes()).into_owned()),
            time: Some(commit.time().seconds()),
            changes,
        })
    }

    /// `BASE..HEAD` → the commits reachable from HEAD and not from BASE, oldest first
    /// (like `git rev-list --reverse --topo-order`). An empty side means `HEAD`.
    pub fn range(&self, spec: &str) -> Result<Vec<String>, Error> {
        let spec = spec.trim();
        if spec.contains("...") {
            return Err(Error::git_help(
                format!("range `{spec}`: symmetric ranges (`A...B`) are not supported"),
                "use `BASE..HEAD`, e.g. `origin/main..HEAD`",
            ));
        }
        let Some((base, head)) = spec.split_once("..") else {
            return Err(Error::git_help(
                format!("`{spec}` is not a range"),
                format!("pass `BASE..HEAD` (e.g. `origin/main..{spec}`), or check a single commit with the commit mode"),
            ));
        };
        let base = if base.is_empty() { "HEAD" } else { base };
        let head = if head.is_empty() { "HEAD" } else { head };
        if is_zero_sha(base) {
            return Err(Error::git_help(
                format!("range `{spec}`: the base is the all-zero id (a newly created branch has no previous tip)"),
                "use the merge base with the target branch instead, e.g. `origin/main..HEAD`",
            ));
        }
        let head_c = self.resolve_commit(head)?;
        let base_c = match self.repo.revparse_single(base) {
            Ok(obj) => obj
                .peel_to_commit()
                .map_err(|e| gerr(format!("range base `{base}` is not a commit"), e))?,
            Err(e) => {
                return Err(if self.is_shallow() {
                    Error::git_help(
                        format!(
                            "range base `{base}` is missing: this clone is shallow and the base object is not in its history ({})",
                            e.message()
                        ),
                        format!(
                            "fetch the missing history: `git fetch --unshallow`, or `git fetch --deepen=<N> origin {base}` (in CI: checkout with `fetch-depth: 0`)"
                        ),
                    )
                } else {
                    Error::git_help(
                        format!("range base `{base}` not found in this repository: {}", e.message()),
                        format!("fetch it (`git fetch origin {base}`) or pass an existing branch, tag or sha"),
                    )
                });
            }
        };
        // In a shallow clone a base whose merge base with HEAD lies beyond the shallow
        // boundary would make the walk run down to the boundary and list commits that are
        // not part of the change: refuse instead.
        if self.is_shallow() && self.repo.merge_base(base_c.id(), head_c.id()).is_err() {
            return Err(Error::git_help(
                format!(
                    "range `{spec}`: the merge base of `{base}` and `{head}` is missing because this clone is shallow"
                ),
                format!(
                    "fetch the missing history: `git fetch --unshallow`, or `git fetch --deepen=<N> origin {base}` (in CI: checkout with `fetch-depth: 0`)"
                ),
            ));
        }
        let mut walk = self
            .repo
            .revwalk()
            .map_err(|e| gerr("cannot walk history", e))?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME | Sort::REVERSE)
            .map_err(|e| gerr("cannot walk history", e))?;
        walk.push(head_c.id())
            .map_err(|e| gerr(format!("cannot walk from `{head}`"), e))?;
        walk.hide(base_c.id())
            .map_err(|e| gerr(format!("cannot hide `{base}`"), e))?;
        self.collect_walk(walk, spec)
    }

    pub(super) fn collect_walk(
        &self,
        walk: git2::Revwalk<'_>,
        what: &str,
    ) -> Result<Vec<String>, Error> {
        let mut out = Vec::new();
        for oid in walk {
            let oid = oid.map_err(|e| {
                if self.is_shallow() {
                    Error::git_help(
                        format!("walking {what}: {} (this clone is shallow)", e.message()),
                        "`git fetch --unshallow` or `git fetch --deepen=<N> origin`",
                    )
                } else {
                    gerr(format!("walking {what}"), e)
                }
            })?;
            out.push(oid.to_string());
        }
        Ok(out)
    }
}
