//! The git layer: the only module that touches git.
//!
//! Everything here is READ-ONLY: nothing writes the index, the work tree, refs, the stash,
//! the config or the object store. git2 (libgit2) does most of the work, with three fast
//! paths that give the same answers (differential tests hold them to it):
//! - the staged diff reads the index file itself and uses its cache-tree (`git/index.rs`);
//! - range checks take commit diffs from one `git log --raw` child and blob contents from
//!   one `git cat-file --batch` child (`git/log.rs`): libgit2 serialises object reads
//!   across threads, child processes run on other cores;
//! - objects absent locally are read with `git cat-file` (partial clones: the CLI can
//!   fetch them from a promisor remote, libgit2 cannot).
//!
//! Every `git` child runs with hook-exported variables (`GIT_DIR`, `GIT_INDEX_FILE`, ...)
//! removed and `--git-dir` set, reads only, and is killed when its reader is dropped.
//!
//! Paths are repository-relative, `/`-separated strings. A path that is not valid UTF-8 is
//! carried in a lossy form (with U+FFFD) and flagged ([`FileChange::non_utf8_path`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, Once, OnceLock};

use git2::{
    Delta, DiffFindOptions, DiffOptions, ErrorCode, ObjectType, Oid, Repository, RepositoryState,
    Sort,
};

use crate::error::Error;
use crate::workspace::{FileSource, ParseCache};

mod index;
mod log;
use index::RawIndex;
pub use log::{Blob, BlobReader, CommitStream};

const MODE_GITLINK: u32 = 0o160000;
const MODE_SYMLINK: u32 = 0o120000;
const MODE_TREE: u32 = 0o040000;

/// How a file changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeStatus {
    Added,
    Modified,
    Deleted,
    Renamed,
    TypeChanged,
    Copied,
}

/// One changed file of a [`ChangeSet`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    pub status: ChangeStatus,
    /// Repo-relative, `/`-separated; `None` for the added side.
    pub old_path: Option<String>,
    /// Repo-relative, `/`-separated; `None` for the deleted side.
    pub new_path: Option<String>,
    /// Hex object id of the old side (a commit id for gitlinks); `None` when absent.
    pub old_id: Option<String>,
    /// Hex object id of the new side (a commit id for gitlinks); `None` when absent.
    pub new_id: Option<String>,
    /// Git file mode of the old side (`0o100644`, `0o100755`, `0o120000`, `0o160000`), 0 when absent.
    pub old_mode: u32,
    /// Git file mode of the new side, 0 when absent.
    pub new_mode: u32,
    /// true when a path was not valid UTF-8 (path then holds a lossy form with U+FFFD)
    pub non_utf8_path: bool,
}

impl FileChange {
    /// The new path, or the old path for deletions.
    pub fn path(&self) -> &str {
        self.new_path
            .as_deref()
            .or(self.old_path.as_deref())
            .unwrap_or("")
    }

    /// Every path this change touches: both sides for renames and copies, one otherwise.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        let old = self.old_path.as_deref();
        let new = self.new_path.as_deref();
        let old = if old == new { None } else { old };
        old.into_iter().chain(new)
    }

    /// A submodule entry (mode 160000) on either side.
    pub fn is_gitlink(&self) -> bool {
        self.old_mode == MODE_GITLINK || self.new_mode == MODE_GITLINK
    }

    /// A symbolic link (mode 120000) on either side.
    pub fn is_symlink(&self) -> bool {
        self.old_mode == MODE_SYMLINK || self.new_mode == MODE_SYMLINK
    }

    /// Only the file mode changed (e.g. 100644 → 100755), not the content.
    pub fn is_mode_only(&self) -> bool {
        self.status == ChangeStatus::Modified
            && self.old_id == self.new_id
            && self.old_mode != self.new_mode
    }
}

/// The changes of one commit (against a parent) or of the staged index (against HEAD).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChangeSet {
    /// Full sha; `None` for the staged index.
    pub commit: Option<String>,
    pub parents: Vec<String>,
    /// Full commit message (`None` for staged changes).
    pub message: Option<String>,
    pub author_email: Option<String>,
    /// Commit time, unix seconds.
    pub time: Option<i64>,
    pub changes: Vec<FileChange>,
}

impl ChangeSet {
    /// Every path touched (both sides of renames), in change order, deduplicated.
    pub fn paths(&self) -> Vec<&str> {
        let mut seen = HashSet::new();
        self.changes
            .iter()
            .flat_map(|c| c.paths())
            .filter(|p| seen.insert(*p))
            .collect()
    }
}

/// An operation in progress in the repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepoState {
    Clean,
    Merge,
    Rebase,
    CherryPick,
    Revert,
    Other,
}

/// Lines added by one change (see [`Repo::added_lines`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddedLines {
    /// One side is binary (a NUL byte in the first 8000 bytes, git's heuristic).
    Binary,
    /// The new blob is larger than the limit.
    TooLarge { size: u64 },
    /// (1-based line number in the new file, line text without the line ending).
    Lines(Vec<(usize, String)>),
}

/// One line of pre-push input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushUpdate {
    pub local_ref: String,
    pub local_sha: String,
    pub remote_ref: String,
    pub remote_sha: String,
}

impl PushUpdate {
    /// The push deletes the remote ref.
    pub fn is_delete(&self) -> bool {
        is_zero_sha(&self.local_sha)
    }
    /// The push creates the remote ref.
    pub fn is_new(&self) -> bool {
        is_zero_sha(&self.remote_sha)
    }
}

/// One commit with the paths it changed against its first parent (see [`Repo::last_touch_times`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touch {
    pub commit: String,
    pub time: i64,
    pub paths: Vec<String>,
}

fn is_zero_sha(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b == b'0')
}

fn is_hex_sha(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn gerr(context: impl std::fmt::Display, e: git2::Error) -> Error {
    Error::git(format!("{context}: {}", e.message()))
}

fn path_string(bytes: &[u8]) -> (String, bool) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), false),
        Err(_) => (String::from_utf8_lossy(bytes).into_owned(), true),
    }
}

static EXTENSIONS: Once = Once::new();

/// libgit2 refuses repositories with extensions it does not know. `partialclone` (set by
/// `git clone --filter=...`) only says "objects may be missing and can be fetched from this
/// remote", which reading code handles (see [`Repo::blob`]), so allow it.
fn allow_extensions() {
    EXTENSIONS.call_once(|| {
        // SAFETY: runs exactly once, before this module opens any repository; libgit2
        // copies the strings.
        let _ = unsafe { git2::opts::set_extensions(&["partialclone"]) };
        // Like git itself, do not re-hash every object read (git verifies in `fsck`):
        // hashing dominated reading big blobs (the spec) in range checks.
        git2::opts::strict_hash_verification(false);
        // libgit2 caches only trees under 4 KiB: a big root or packets directory was
        // re-inflated for every commit of a range. Cache trees up to 1 MiB (the cache
        // itself stays bounded by libgit2's 256 MiB total).
        // SAFETY: as above, once, before any repository is opened or thread spawned.
        let _ = unsafe { git2::opts::set_cache_object_limit(ObjectType::Tree, 1 << 20) };
    });
}

/// A git command for fallbacks: hook-exported variables that would redirect it are removed.
fn git_cli(git_dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_PREFIX",
    ] {
        cmd.env_remove(var);
    }
    cmd.arg("--git-dir").arg(git_dir);
    cmd.stdin(std::process::Stdio::null());
    cmd
}

/// Reads one blob; when the object is missing locally, asks the git CLI (which can fetch
/// it from a promisor remote in a partial clone).
fn read_blob(repo: &Repository, git_dir: &Path, oid: Oid, path: &str) -> Result<Vec<u8>, Error> {
    let libgit2_err = match repo.find_blob(oid) {
        Ok(b) => return Ok(b.content().to_vec()),
        Err(e) => e,
    };
    let cli = git_cli(git_dir)
        .args(["cat-file", "blob", &oid.to_string()])
        .output();
    match cli {
        Ok(out) if out.status.success() => Ok(out.stdout),
        Ok(out) => Err(Error::git_help(
            format!(
                "object {oid} ({path}) cannot be read: {} (git cat-file: {})",
                libgit2_err.message(),
                String::from_utf8_lossy(&out.stderr).trim()
            ),
            format!(
                "the object store is incomplete. In a partial or shallow clone fetch the \
                 missing object (`git fetch origin` or `git fetch --refetch`); otherwise run \
                 `git fsck` to find the damage. Object {oid}, path {path}"
            ),
        )),
        Err(e) => Err(Error::git_help(
            format!(
                "object {oid} ({path}) cannot be read: {} (and the git CLI could not be run: {e})",
                libgit2_err.message()
            ),
            "install git or make it available on PATH so missing objects can be fetched",
        )),
    }
}

/// An open repository.
pub struct Repo {
    repo: Repository,
    git_dir: PathBuf,
    workdir: Option<PathBuf>,
    index_file: Option<PathBuf>,
    /// One repository handle and one parse cache shared by every source of this run
    /// (opened on first use).
    shared: OnceLock<Arc<Shared>>,
}

/// What the file sources of one run share: a repository handle (sources are `Sync`,
/// `Repository` is only `Send`), directory listings by tree id, and the parse cache.
struct Shared {
    repo: Mutex<Repository>,
    git_dir: PathBuf,
    lists: Mutex<Listings>,
    /// Inflated big blobs (the spec): a rule that reads one per commit inflates it once.
    big: Mutex<HashMap<Oid, Arc<[u8]>>>,
    cache: Arc<ParseCache>,
}

/// (tree id, directory) → sorted file paths below it.
type Listings = HashMap<(Oid, String), Arc<Vec<String>>>;

const BIG_BLOB: usize = 64 * 1024;

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo")
            .field("git_dir", &self.git_dir)
            .field("workdir", &self.workdir)
            .field("index_file", &self.index_file)
            .finish()
    }
}

impl Repo {
    /// Finds the repository containing `start` (walking up). Reads no environment variable.
    pub fn discover(start: &Path) -> Result<Repo, Error> {
        allow_extensions();
        let repo = Repository::discover(start).map_err(|e| {
            if e.code() == ErrorCode::NotFound {
                Error::git_help(
                    format!(
                        "{} is not inside a git repository: {}",
                        start.display(),
                        e.message()
                    ),
                    "run wpgate inside a git work tree, or `git init` one first",
                )
            } else {
                gerr(format!("cannot open repository at {}", start.display()), e)
            }
        })?;
        let git_dir = repo.path().to_path_buf();
        let workdir = repo.workdir().map(Path::to_path_buf);
        Ok(Repo {
            repo,
            git_dir,
            workdir,
            index_file: None,
            shared: OnceLock::new(),
        })
    }

    /// Like [`Repo::discover`], but honours what git exports to hooks: `GIT_DIR` (relative
    /// to the current directory) and `GIT_INDEX_FILE` (the temporary index `git commit -a`
    /// or `git commit <paths>` hands to pre-commit hooks). Use this from hooks.
    pub fn from_env(start: &Path) -> Result<Repo, Error> {
        let cwd = std::env::current_dir().unwrap_or_else(|_| start.to_path_buf());
        let mut repo = match std::env::var_os("GIT_DIR") {
            Some(dir) if !dir.is_empty() => Repo::discover(&cwd.join(dir))?,
            _ => Repo::discover(start)?,
        };
        if let Some(idx) = std::env::var_os("GIT_INDEX_FILE") {
            if !idx.is_empty() {
                repo.set_index_file(cwd.join(idx));
            }
        }
        Ok(repo)
    }

    /// Reads the staged state from this index file instead of `<git_dir>/index`.
    pub fn set_index_file(&mut self, path: impl Into<PathBuf>) {
        self.index_file = Some(path.into());
    }

    pub fn workdir(&self) -> Option<&Path> {
        self.workdir.as_deref()
    }

    /// The repository's git dir (`<worktree>/.git`, or `.git/worktrees/<name>` for a linked worktree).
    pub fn git_dir(&self) -> &Path {
        &self.git_dir
    }

    /// The directory shared by all worktrees (equal to [`Repo::git_dir`] for the main one).
    pub fn common_dir(&self) -> PathBuf {
        self.repo.commondir().to_path_buf()
    }

    /// Short name of the checked-out branch (also when it has no commit yet); `None` when detached.
    pub fn head_branch(&self) -> Option<String> {
        let head = self.repo.find_reference("HEAD").ok()?;
        let target = head.symbolic_target_bytes()?;
        let target = String::from_utf8_lossy(target);
        target.strip_prefix("refs/heads/").map(str::to_string)
    }

    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow()
    }

    pub fn state(&self) -> RepoState {
        match self.repo.state() {
            RepositoryState::Clean => RepoState::Clean,
            RepositoryState::Merge => RepoState::Merge,
            RepositoryState::Rebase
            | RepositoryState::RebaseInteractive
            | RepositoryState::RebaseMerge
            | RepositoryState::ApplyMailboxOrRebase => RepoState::Rebase,
            RepositoryState::CherryPick | RepositoryState::CherryPickSequence => {
                RepoState::CherryPick
            }
            RepositoryState::Revert | RepositoryState::RevertSequence => RepoState::Revert,
            _ => RepoState::Other,
        }
    }

    /// The shas in `MERGE_HEAD` (empty when no merge is in progress).
    pub fn merge_heads(&self) -> Vec<String> {
        // Read the file rather than `mergehead_foreach`, which needs `&mut Repository`.
        let Ok(text) = std::fs::read_to_string(self.git_dir.join("MERGE_HEAD")) else {
            return Vec::new();
        };
        text.lines()
            .map(str::trim)
            .filter(|l| is_hex_sha(l))
            .map(|l| l.to_ascii_lowercase())
            .collect()
    }

    /// Paths with unmerged (conflict) entries in the index, sorted.
    pub fn conflicted_paths(&self) -> Result<Vec<String>, Error> {
        let index = self.read_index()?;
        let mut out: Vec<String> = index
            .iter()
            .filter(|e| (e.flags >> 12) & 0x3 != 0)
            .map(|e| path_string(&e.path).0)
            .collect();
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// The directory git runs hooks from: `core.hooksPath` when configured (relative paths
    /// are relative to the work tree, like git), else `<common_dir>/hooks`.
    pub fn hooks_dir(&self) -> PathBuf {
        if let Ok(cfg) = self.repo.config() {
            if let Ok(p) = cfg.get_path("core.hooksPath") {
                if !p.as_os_str().is_empty() {
                    if p.is_absolute() {
                        return p;
                    }
                    let base = self.workdir.as_deref().unwrap_or(&self.git_dir);
                    return base.join(p);
                }
            }
        }
        self.common_dir().join("hooks")
    }

    fn head_tree(&self) -> Result<Option<git2::Tree<'_>>, Error> {
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
    fn read_index(&self) -> Result<git2::Index, Error> {
        let path = self.index_path();
        git2::Index::open(&path)
            .map_err(|e| gerr(format!("cannot read index file {}", path.display()), e))
    }

    /// The index file parsed by wpgate's own reader, when it can (see `git/index.rs`).
    fn read_raw_index(&self) -> Option<RawIndex> {
        if std::env::var_os("WPGATE_LIBGIT2_INDEX").is_some() {
            return None;
        }
        RawIndex::read(&self.index_path()).ok().flatten()
    }

    /// Staged changes: the index against HEAD (everything Added when HEAD is unborn).
    pub fn staged(&self, renames: bool) -> Result<ChangeSet, Error> {
        Ok(self.staged_with_source(renames)?.0)
    }

    /// The staged changes and a [`FileSource`] over the same index, read once (loading a
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

    fn staged_own(&self, renames: bool) -> Result<Option<(ChangeSet, RawIndex)>, Error> {
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

    /// The staged index against another commit (a merge head), for the merge-in-progress
    /// rule of the pre-commit check.
    pub fn staged_against(&self, rev: &str, renames: bool) -> Result<ChangeSet, Error> {
        let commit = self.resolve_commit(rev)?;
        let tree = commit
            .tree()
            .map_err(|e| gerr(format!("cannot read the tree of {rev}"), e))?;
        let index = self.read_index()?;
        let mut opts = diff_options();
        let mut diff = self
            .repo
            .diff_tree_to_index(Some(&tree), Some(&index), Some(&mut opts))
            .map_err(|e| gerr(format!("cannot diff the index against {rev}"), e))?;
        if renames {
            find_renames(&mut diff)?;
        }
        Ok(ChangeSet {
            commit: None,
            parents: vec![commit.id().to_string()],
            message: None,
            author_email: None,
            time: None,
            changes: collect_changes(&diff),
        })
    }

    /// The full sha of a revision.
    pub fn resolve(&self, rev: &str) -> Result<String, Error> {
        Ok(self.resolve_commit(rev)?.id().to_string())
    }

    /// A string value of the repository's configuration (`user.email`).
    pub fn config_string(&self, key: &str) -> Option<String> {
        self.repo.config().ok()?.get_string(key).ok()
    }

    fn resolve_commit(&self, rev: &str) -> Result<git2::Commit<'_>, Error> {
        let obj = self.repo.revparse_single(rev).map_err(|e| {
            if self.is_shallow() {
                Error::git_help(
                    format!("cannot resolve `{rev}`: {} (this clone is shallow)", e.message()),
                    format!("the object may be outside the shallow history: `git fetch --unshallow`, or `git fetch --deepen=<N> origin` until `{rev}` is present"),
                )
            } else {
                Error::git_help(
                    format!("cannot resolve `{rev}`: {}", e.message()),
                    "pass a commit sha, branch or tag that exists in this repository (fetch it first if it lives on a remote)",
                )
            }
        })?;
        obj.peel_to_commit()
            .map_err(|e| gerr(format!("`{rev}` is not a commit"), e))
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
                        find_renames(&mut diff)?;
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
    fn commit_with_changes(&self, sha: &str, changes: Vec<FileChange>) -> Result<ChangeSet, Error> {
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

    /// The full message of a commit.
    pub fn commit_message(&self, rev: &str) -> Result<String, Error> {
        let commit = self.resolve_commit(rev)?;
        Ok(String::from_utf8_lossy(commit.message_bytes()).into_owned())
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

    fn collect_walk(&self, walk: git2::Revwalk<'_>, what: &str) -> Result<Vec<String>, Error> {
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

    /// Commits a push would publish, oldest first, deduplicated, from the pre-push hook's
    /// stdin. Deletions check nothing. Everything reachable from a pushed local sha is
    /// checked unless it is reachable from a remote-tracking ref of `remote`
    /// (`refs/remotes/<remote>/*`) or from a pushed-over remote sha that exists locally.
    pub fn pre_push(&self, remote: &str, stdin: &str) -> Result<Vec<String>, Error> {
        let updates = parse_pre_push(stdin)?;
        let mut walk = self
            .repo
            .revwalk()
            .map_err(|e| gerr("cannot walk history", e))?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME | Sort::REVERSE)
            .map_err(|e| gerr("cannot walk history", e))?;
        let mut pushed = 0;
        for u in &updates {
            if u.is_delete() {
                continue;
            }
            let oid = Oid::from_str(&u.local_sha)
                .map_err(|e| gerr(format!("pre-push: bad sha {}", u.local_sha), e))?;
            let obj = self.repo.find_object(oid, None).map_err(|e| {
                gerr(
                    format!(
                        "pre-push: {} ({}) is not in the local repository",
                        u.local_sha, u.local_ref
                    ),
                    e,
                )
            })?;
            // An annotated tag is checked through the commit it points at; a tag of a
            // tree or blob carries no commits.
            let Ok(commit) = obj.peel_to_commit() else {
                continue;
            };
            walk.push(commit.id())
                .map_err(|e| gerr(format!("cannot walk from {}", u.local_sha), e))?;
            pushed += 1;
        }
        if pushed == 0 {
            return Ok(Vec::new());
        }
        for u in &updates {
            if u.is_new() {
                continue;
            }
            if let Ok(oid) = Oid::from_str(&u.remote_sha) {
                // A force-push over an object we never fetched: nothing to hide.
                if let Ok(c) = self
                    .repo
                    .find_object(oid, None)
                    .and_then(|o| o.peel_to_commit())
                {
                    walk.hide(c.id())
                        .map_err(|e| gerr(format!("cannot hide {}", u.remote_sha), e))?;
                }
            }
        }
        let prefix = format!("refs/remotes/{remote}/");
        let refs = self
            .repo
            .references()
            .map_err(|e| gerr("cannot list references", e))?;
        for r in refs.flatten() {
            let Some(name) = r.name() else { continue };
            if !name.starts_with(&prefix) {
                continue;
            }
            if let Ok(c) = r.peel_to_commit() {
                walk.hide(c.id())
                    .map_err(|e| gerr(format!("cannot hide {name}"), e))?;
            }
        }
        let mut seen = HashSet::new();
        let out = self.collect_walk(walk, "the pushed commits")?;
        Ok(out.into_iter().filter(|s| seen.insert(s.clone())).collect())
    }

    /// The files of a commit's tree (`rev` may name a commit, tag or tree). Lazy: paths are
    /// looked up in the tree when asked for, and directories listed (once per tree id)
    /// only when a rule lists them.
    pub fn tree_source(&self, rev: &str) -> Result<TreeSource, Error> {
        let obj = self
            .repo
            .revparse_single(rev)
            .map_err(|e| gerr(format!("cannot resolve `{rev}`"), e))?;
        let tree = obj
            .peel_to_tree()
            .map_err(|e| gerr(format!("`{rev}` has no tree"), e))?;
        let short = obj
            .peel_to_commit()
            .map(|c| c.id().to_string()[..7].to_string())
            .unwrap_or_else(|_| tree.id().to_string()[..7].to_string());
        let describe = if rev == short || rev.len() >= 40 {
            format!("commit {short}")
        } else {
            format!("{rev} ({short})")
        };
        Ok(TreeSource {
            files: Files {
                shared: self.shared()?,
                kind: Kind::Tree(tree.id()),
            },
            describe,
        })
    }

    fn shared(&self) -> Result<Arc<Shared>, Error> {
        if let Some(s) = self.shared.get() {
            return Ok(s.clone());
        }
        let s = Arc::new(Shared {
            repo: Mutex::new(self.reopen()?),
            git_dir: self.git_dir.clone(),
            lists: Mutex::new(HashMap::new()),
            big: Mutex::new(HashMap::new()),
            cache: Arc::new(ParseCache::default()),
        });
        Ok(self.shared.get_or_init(|| s).clone())
    }

    /// The files of the staged index (stage 0; for a conflicted path, "ours" = stage 2).
    pub fn index_source(&self) -> Result<IndexSource, Error> {
        if let Some(raw) = self.read_raw_index() {
            return Ok(IndexSource {
                files: Files {
                    shared: self.shared()?,
                    kind: Kind::Raw(Arc::new(raw)),
                },
            });
        }
        let index = self.read_index()?;
        self.source_of_index(&index)
    }

    fn source_of_index(&self, index: &git2::Index) -> Result<IndexSource, Error> {
        let mut entries = BTreeMap::new();
        let mut conflicted: BTreeMap<String, (Oid, u32)> = BTreeMap::new();
        for e in index.iter() {
            let stage = (e.flags >> 12) & 0x3;
            let (path, _) = path_string(&e.path);
            match stage {
                0 => {
                    entries.insert(path, (e.id, e.mode));
                }
                2 => {
                    conflicted.insert(path, (e.id, e.mode));
                }
                _ => {}
            }
        }
        for (p, v) in conflicted {
            entries.entry(p).or_insert(v);
        }
        Ok(IndexSource {
            files: Files {
                shared: self.shared()?,
                kind: Kind::Index(entries),
            },
        })
    }

    fn reopen(&self) -> Result<Repository, Error> {
        Repository::open(&self.git_dir)
            .map_err(|e| gerr(format!("cannot open {}", self.git_dir.display()), e))
    }

    /// The bytes of a blob. A missing object (partial clone) is fetched through
    /// `git cat-file blob <id>`; if that fails too, the error names the object and the path.
    pub fn blob(&self, id: &str, path: &str) -> Result<Vec<u8>, Error> {
        let oid =
            Oid::from_str(id).map_err(|e| gerr(format!("bad object id `{id}` for {path}"), e))?;
        read_blob(&self.repo, &self.git_dir, oid, path)
    }

    /// The lines a change adds (1-based line numbers of the new file). Deletions and
    /// gitlinks add no lines. `max_bytes` bounds the new blob's size.
    pub fn added_lines(&self, change: &FileChange, max_bytes: u64) -> Result<AddedLines, Error> {
        let Some(new_id) = change.new_id.as_deref() else {
            return Ok(AddedLines::Lines(Vec::new()));
        };
        if change.new_mode == MODE_GITLINK || change.status == ChangeStatus::Deleted {
            return Ok(AddedLines::Lines(Vec::new()));
        }
        let new_oid =
            Oid::from_str(new_id).map_err(|e| gerr(format!("bad object id `{new_id}`"), e))?;
        // Size from the header when the object is local, to avoid loading huge blobs.
        if let Ok(odb) = self.repo.odb() {
            if let Ok((size, _)) = odb.read_header(new_oid) {
                if size as u64 > max_bytes {
                    return Ok(AddedLines::TooLarge { size: size as u64 });
                }
            }
        }
        let path = change.path();
        let new = self.blob(new_id, path)?;
        if new.len() as u64 > max_bytes {
            return Ok(AddedLines::TooLarge {
                size: new.len() as u64,
            });
        }
        let old = match (change.old_id.as_deref(), change.old_mode) {
            (Some(id), mode) if mode != MODE_GITLINK => {
                self.blob(id, change.old_path.as_deref().unwrap_or(path))?
            }
            _ => Vec::new(),
        };
        if is_binary(&new) || is_binary(&old) {
            return Ok(AddedLines::Binary);
        }
        Ok(AddedLines::Lines(added_lines_between(&old, &new)?))
    }

    /// A `git cat-file --batch` child for [`Repo::added_lines_via`] (`None` when git cannot
    /// be started).
    pub fn blob_reader(&self) -> Option<BlobReader> {
        BlobReader::spawn(self)
    }

    /// [`Repo::added_lines`] of many changes, their blobs read by `reader` (another
    /// process) in one request; whatever the reader cannot give is read by libgit2, so
    /// the answers are the same.
    pub fn added_lines_many(
        &self,
        reader: &mut Option<BlobReader>,
        changes: &[&FileChange],
        max_bytes: u64,
    ) -> Result<Vec<AddedLines>, Error> {
        // (new id, old id) per change that has content to read.
        let sides: Vec<Option<(&str, Option<&str>)>> = changes
            .iter()
            .map(|c| {
                let new = c.new_id.as_deref()?;
                if c.new_mode == MODE_GITLINK || c.status == ChangeStatus::Deleted {
                    return None;
                }
                let old = match (c.old_id.as_deref(), c.old_mode) {
                    (Some(id), mode) if mode != MODE_GITLINK => Some(id),
                    _ => None,
                };
                Some((new, old))
            })
            .collect();
        let ids: Vec<&str> = sides
            .iter()
            .flatten()
            .flat_map(|(n, o)| std::iter::once(*n).chain(*o))
            .collect();
        let read = match reader.as_mut() {
            Some(r) if !ids.is_empty() => r.read(&ids, max_bytes),
            _ => None,
        };
        let Some(blobs) = read else {
            if !ids.is_empty() {
                *reader = None;
            }
            return changes
                .iter()
                .map(|c| self.added_lines(c, max_bytes))
                .collect();
        };
        let mut blobs = blobs.into_iter();
        let mut out = Vec::with_capacity(changes.len());
        for (c, side) in changes.iter().zip(&sides) {
            let Some((_, old_id)) = side else {
                out.push(AddedLines::Lines(Vec::new()));
                continue;
            };
            let new = blobs.next();
            let old = if old_id.is_some() { blobs.next() } else { None };
            let new = match new {
                Some(Blob::Bytes(b)) => b,
                Some(Blob::TooLarge(size)) => {
                    out.push(AddedLines::TooLarge { size });
                    continue;
                }
                _ => {
                    out.push(self.added_lines(c, max_bytes)?);
                    continue;
                }
            };
            let old = match old {
                None => Vec::new(),
                Some(Blob::Bytes(b)) => b,
                // An old side over the limit, or unreadable here: libgit2 decides.
                Some(_) => {
                    out.push(self.added_lines(c, max_bytes)?);
                    continue;
                }
            };
            if is_binary(&new) || is_binary(&old) {
                out.push(AddedLines::Binary);
            } else {
                out.push(AddedLines::Lines(added_lines_between(&old, &new)?));
            }
        }
        Ok(out)
    }

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

fn diff_options() -> DiffOptions {
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

fn collect_changes(diff: &git2::Diff<'_>) -> Vec<FileChange> {
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
fn fast_tree_diff(
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

fn is_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(8000)].contains(&0)
}

fn added_lines_between(old: &[u8], new: &[u8]) -> Result<Vec<(usize, String)>, Error> {
    let mut opts = DiffOptions::new();
    opts.context_lines(0).force_text(true);
    let patch = git2::Patch::from_buffers(old, None, new, None, Some(&mut opts))
        .map_err(|e| gerr("cannot diff blobs", e))?;
    let mut out = Vec::new();
    for h in 0..patch.num_hunks() {
        let n = patch
            .num_lines_in_hunk(h)
            .map_err(|e| gerr("cannot read diff hunk", e))?;
        for l in 0..n {
            let line = patch
                .line_in_hunk(h, l)
                .map_err(|e| gerr("cannot read diff line", e))?;
            if line.origin() != '+' {
                continue;
            }
            let Some(no) = line.new_lineno() else {
                continue;
            };
            let mut text = line.content();
            if let Some(t) = text.strip_suffix(b"\n") {
                text = t;
            }
            if let Some(t) = text.strip_suffix(b"\r") {
                text = t;
            }
            out.push((no as usize, String::from_utf8_lossy(text).into_owned()));
        }
    }
    Ok(out)
}

/// Looks a path up component by component, comparing lossily decoded names.
fn lossy_lookup(repo: &Repository, root: git2::Tree<'_>, path: &str) -> Option<(Oid, u32)> {
    let mut tree = root;
    let mut parts = path.split('/').peekable();
    while let Some(part) = parts.next() {
        let (id, mode) = tree
            .iter()
            .find(|e| path_string(e.name_bytes()).0 == part)
            .map(|e| (e.id(), e.filemode() as u32))?;
        if parts.peek().is_none() {
            return Some((id, mode));
        }
        if mode != MODE_TREE {
            return None;
        }
        tree = repo.find_tree(id).ok()?;
    }
    None
}

/// A tree (looked up lazily) or an index (path → (blob id, mode)), with the shared
/// repository handle for reading.
struct Files {
    shared: Arc<Shared>,
    kind: Kind,
}

enum Kind {
    Tree(Oid),
    /// An index as read by libgit2 (when wpgate's reader stepped aside).
    Index(BTreeMap<String, (Oid, u32)>),
    /// An index as read by wpgate's reader.
    Raw(Arc<RawIndex>),
}

impl Files {
    fn repo(&self, what: &str) -> Result<std::sync::MutexGuard<'_, Repository>, Error> {
        self.shared
            .repo
            .lock()
            .map_err(|_| Error::git(format!("repository handle poisoned while reading {what}")))
    }

    /// (blob id, mode) of a path; `None` when absent or a directory.
    fn entry(&self, path: &str) -> Option<(Oid, u32)> {
        match &self.kind {
            Kind::Index(entries) => entries.get(path).copied(),
            Kind::Raw(raw) => raw.get(path),
            Kind::Tree(tree) => {
                if path.is_empty() {
                    return None;
                }
                let repo = self.repo(path).ok()?;
                let tree = repo.find_tree(*tree).ok()?;
                let (id, mode) = match tree.get_path(Path::new(path)) {
                    Ok(e) => (e.id(), e.filemode() as u32),
                    // A non-UTF-8 path is carried in its lossy form: match names lossily.
                    Err(_) if path.contains('\u{fffd}') => lossy_lookup(&repo, tree, path)?,
                    Err(_) => return None,
                };
                if mode == MODE_TREE {
                    return None;
                }
                Some((id, mode))
            }
        }
    }

    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, Error> {
        let Some((oid, mode)) = self.entry(path) else {
            return Ok(None);
        };
        if mode == MODE_GITLINK {
            return Ok(None);
        }
        if let Some(hit) = self
            .shared
            .big
            .lock()
            .ok()
            .and_then(|b| b.get(&oid).cloned())
        {
            return Ok(Some(hit.to_vec()));
        }
        let repo = self.repo(path)?;
        let bytes = read_blob(&repo, &self.shared.git_dir, oid, path)?;
        drop(repo);
        if bytes.len() >= BIG_BLOB {
            if let Ok(mut big) = self.shared.big.lock() {
                if big.len() < 16 {
                    big.insert(oid, Arc::from(bytes.as_slice()));
                }
            }
        }
        Ok(Some(bytes))
    }

    /// Tree id of a directory (the root tree for `""`).
    fn dir_id(&self, dir: &str) -> Option<Oid> {
        let Kind::Tree(root) = &self.kind else {
            return None;
        };
        let dir = dir.trim_matches('/');
        if dir.is_empty() {
            return Some(*root);
        }
        let repo = self.repo(dir).ok()?;
        let tree = repo.find_tree(*root).ok()?;
        let e = tree.get_path(Path::new(dir)).ok()?;
        (e.kind() == Some(ObjectType::Tree)).then(|| e.id())
    }

    fn list(&self, dir: &str) -> Result<Vec<String>, Error> {
        let dir = dir.trim_matches('/');
        let prefix = format!("{dir}/");
        match &self.kind {
            Kind::Index(entries) => Ok(entries
                .range::<str, _>((
                    std::ops::Bound::Included(if dir.is_empty() { "" } else { prefix.as_str() }),
                    std::ops::Bound::Unbounded,
                ))
                .take_while(|(p, _)| dir.is_empty() || p.starts_with(&prefix))
                .filter(|(_, (_, mode))| *mode != MODE_GITLINK)
                .map(|(p, _)| p.clone())
                .collect()),
            Kind::Raw(raw) => Ok(raw.list(dir)),
            Kind::Tree(_) => {
                let Some(id) = self.dir_id(dir) else {
                    return Ok(Vec::new());
                };
                let key = (id, dir.to_string());
                if let Ok(lists) = self.shared.lists.lock() {
                    if let Some(hit) = lists.get(&key) {
                        return Ok(hit.as_ref().clone());
                    }
                }
                let repo = self.repo(dir)?;
                let tree = repo
                    .find_tree(id)
                    .map_err(|e| gerr(format!("cannot read tree {id} ({dir})"), e))?;
                let base = if dir.is_empty() {
                    String::new()
                } else {
                    prefix
                };
                let mut out = Vec::new();
                tree.walk(git2::TreeWalkMode::PreOrder, |sub, entry| {
                    let mode = entry.filemode() as u32;
                    if mode == MODE_TREE
                        || mode == MODE_GITLINK
                        || entry.kind() == Some(ObjectType::Tree)
                    {
                        return git2::TreeWalkResult::Ok;
                    }
                    let (name, _) = path_string(entry.name_bytes());
                    out.push(format!("{base}{sub}{name}"));
                    git2::TreeWalkResult::Ok
                })
                .map_err(|e| gerr(format!("cannot list {dir}"), e))?;
                drop(tree);
                drop(repo);
                out.sort();
                if let Ok(mut lists) = self.shared.lists.lock() {
                    lists.insert(key, Arc::new(out.clone()));
                }
                Ok(out)
            }
        }
    }
}

/// A [`FileSource`] over a commit's tree. Gitlinks read as `None` and are not listed;
/// symlinks read as their target.
pub struct TreeSource {
    files: Files,
    describe: String,
}

impl TreeSource {
    /// Git mode of a path (`None` when absent).
    pub fn mode(&self, path: &str) -> Option<u32> {
        self.files.entry(path).map(|e| e.1)
    }
}

impl FileSource for TreeSource {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, Error> {
        self.files.read(path)
    }
    fn blob_id(&self, path: &str) -> Option<String> {
        self.files.entry(path).map(|e| e.0.to_string())
    }
    fn list(&self, dir: &str) -> Result<Vec<String>, Error> {
        self.files.list(dir)
    }
    fn describe(&self) -> String {
        self.describe.clone()
    }
    fn dir_id(&self, dir: &str) -> Option<String> {
        self.files.dir_id(dir).map(|o| o.to_string())
    }
    fn parse_cache(&self) -> Option<Arc<ParseCache>> {
        Some(self.files.shared.cache.clone())
    }
}

/// A [`FileSource`] over the staged index. Gitlinks read as `None` and are not listed;
/// symlinks read as their target.
pub struct IndexSource {
    files: Files,
}

impl IndexSource {
    /// Git mode of a path (`None` when absent).
    pub fn mode(&self, path: &str) -> Option<u32> {
        self.files.entry(path).map(|e| e.1)
    }
}

impl FileSource for IndexSource {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, Error> {
        self.files.read(path)
    }
    fn blob_id(&self, path: &str) -> Option<String> {
        self.files.entry(path).map(|e| e.0.to_string())
    }
    fn list(&self, dir: &str) -> Result<Vec<String>, Error> {
        self.files.list(dir)
    }
    fn describe(&self) -> String {
        "staged index".to_string()
    }
    fn parse_cache(&self) -> Option<Arc<ParseCache>> {
        Some(self.files.shared.cache.clone())
    }
}

/// Parses pre-push stdin: `<local ref> <local sha> <remote ref> <remote sha>` per line.
/// Strict: exactly 4 fields per non-empty line and full hex shas; errors name the line.
pub fn parse_pre_push(stdin: &str) -> Result<Vec<PushUpdate>, Error> {
    let mut out = Vec::new();
    for (i, line) in stdin.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() != 4 {
            return Err(Error::input(
                "pre-push stdin",
                line_no,
                format!(
                    "expected `<local ref> <local sha> <remote ref> <remote sha>`, got {} field(s): `{}`",
                    fields.len(),
                    line.trim()
                ),
            ));
        }
        for (what, sha) in [("local", fields[1]), ("remote", fields[3])] {
            if !is_hex_sha(sha) {
                return Err(Error::input(
                    "pre-push stdin",
                    line_no,
                    format!("{what} sha `{sha}` is not a full 40- or 64-digit hex object id"),
                ));
            }
        }
        out.push(PushUpdate {
            local_ref: fields[0].to_string(),
            local_sha: fields[1].to_ascii_lowercase(),
            remote_ref: fields[2].to_string(),
            remote_sha: fields[3].to_ascii_lowercase(),
        });
    }
    Ok(out)
}

/// The subject of a commit message: its first non-blank line, trimmed.
pub fn subject(message: &str) -> &str {
    message
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

fn trailer_line(line: &str) -> Option<(String, String)> {
    let (key, value) = line.split_once(':')?;
    let key_t = key.trim_end();
    if key_t.is_empty()
        || key_t.len() != key.len() && key_t.contains(' ')
        || !key_t
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        || !key_t
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    Some((key_t.to_string(), value.trim().to_string()))
}

/// Git-style trailers of a message's last paragraph (`Key: value` lines; a line starting
/// with whitespace continues the previous value). The subject paragraph is never a trailer
/// block, and comment lines (`#`) and a `--- >8 ---` scissors tail are ignored. A paragraph
/// counts as a trailer block when every line is a trailer or a continuation, or (like git)
/// when at least one `(cherry picked from commit …)` line is the only exception.
pub fn trailers(message: &str) -> Vec<(String, String)> {
    let mut lines: Vec<&str> = Vec::new();
    for l in message.lines() {
        if l.starts_with("# ------------------------ >8 ------------------------") {
            break;
        }
        if l.starts_with('#') {
            continue;
        }
        lines.push(l.trim_end());
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let start = lines
        .iter()
        .rposition(|l| l.is_empty())
        .map(|i| i + 1)
        .unwrap_or(0);
    // The first paragraph (the subject) is never a trailer block.
    let first_para_end = lines
        .iter()
        .position(|l| l.is_empty())
        .unwrap_or(lines.len());
    if start == 0 || start < first_para_end {
        return Vec::new();
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for l in &lines[start..] {
        if l.starts_with(' ') || l.starts_with('\t') {
            match out.last_mut() {
                Some(last) => {
                    if !last.1.is_empty() {
                        last.1.push(' ');
                    }
                    last.1.push_str(l.trim());
                }
                None => return Vec::new(),
            }
        } else if let Some(t) = trailer_line(l) {
            out.push(t);
        } else if l.starts_with("(cherry picked from commit ") {
            continue;
        } else {
            return Vec::new();
        }
    }
    out
}

/// The work tree root containing `start` (walks up to a directory holding `.git`);
/// used to find the policy before a repository is opened.
pub fn work_root(start: &std::path::Path) -> Option<std::path::PathBuf> {
    let mut cur = Some(start);
    while let Some(d) = cur {
        if d.join(".git").exists() {
            return Some(d.to_path_buf());
        }
        cur = d.parent();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailers_of_last_paragraph() {
        let m = "Subject\n\nBody text.\n\nWork-Packet: WP-1-X\nRole: Orchestrator\n  continued\n";
        assert_eq!(
            trailers(m),
            vec![
                ("Work-Packet".to_string(), "WP-1-X".to_string()),
                ("Role".to_string(), "Orchestrator continued".to_string())
            ]
        );
        assert!(trailers("Fix: a thing\n").is_empty());
        assert!(trailers("Subject\n\nnot a: trailer line here\nRole: x\n").is_empty());
        assert!(trailers("Subject\n\nBody\n").is_empty());
        let with_comment = "S\n\nRole: Coder\n# Please enter the commit message\n";
        assert_eq!(trailers(with_comment).len(), 1);
    }

    #[test]
    fn subject_is_first_line() {
        assert_eq!(subject("\n  Fix it  \nbody"), "Fix it");
        assert_eq!(subject(""), "");
    }

    #[test]
    fn pre_push_parse_strict() {
        let z = "0".repeat(40);
        let a = "a".repeat(40);
        let ok = format!("refs/heads/x {a} refs/heads/x {z}\n\n");
        let v = parse_pre_push(&ok).unwrap();
        assert_eq!(v.len(), 1);
        assert!(v[0].is_new() && !v[0].is_delete());
        let bad = format!("refs/heads/x {a} refs/heads/x {z}\nrefs/heads/y {a} refs/heads/y\n");
        let e = parse_pre_push(&bad).unwrap_err().to_string();
        assert!(e.contains(":2:"), "{e}");
        let bad = format!("refs/heads/x {a} refs/heads/x abc\n");
        let e = parse_pre_push(&bad).unwrap_err().to_string();
        assert!(e.contains(":1:") && e.contains("abc"), "{e}");
    }
}
