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
//!   fetch them from a promisor remote, libgit2 cannot). That fetch is the one write
//!   wpgate causes, to the object store, and it says so on stderr; `WPGATE_NO_FETCH=1`
//!   forbids it (a missing object is then exit 2 naming it).
//!
//! Every `git` child runs with hook-exported variables (`GIT_DIR`, `GIT_INDEX_FILE`, ...)
//! removed and `--git-dir` set, with replace refs and grafts off (so it reads the objects
//! libgit2 reads; a repository with `info/grafts`, which libgit2 would apply, is refused),
//! reads only, and is killed when its reader is dropped.
//!
//! Paths are repository-relative, `/`-separated strings. A path that is not valid UTF-8 is
//! carried in a lossy form (with U+FFFD) and flagged ([`FileChange::non_utf8_path`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, Once, OnceLock};

use git2::{ErrorCode, ObjectType, Oid, Repository, RepositoryState};

use crate::error::Error;
pub use crate::model::change::{AddedLines, ChangeSet, ChangeStatus, FileChange};
use crate::model::change::{MODE_GITLINK, MODE_SYMLINK, MODE_TREE};
use crate::source::ParseCache;

mod blob;
mod changes;
mod history;
mod push;
mod source;
mod trust;

pub use history::Touch;
pub use push::{parse_pre_push, PushUpdate};
pub use source::{IndexSource, TreeSource};

mod index;

mod log;

use index::RawIndex;

pub use log::{Blob, BlobReader, CommitStream};

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
        "GIT_REPLACE_REF_BASE",
        "GIT_SHALLOW_FILE",
    ] {
        cmd.env_remove(var);
    }
    // Read the objects as they are: a local `git replace BAD GOOD` (or a graft) must not
    // make git show GOOD where the commit holds BAD. libgit2 ignores replace refs; it
    // would honour `info/grafts`, which `Repo::discover` refuses.
    cmd.env("GIT_NO_REPLACE_OBJECTS", "1");
    cmd.env("GIT_GRAFT_FILE", git_dir.join("wpgate-no-grafts"));
    cmd.arg("--no-replace-objects");
    cmd.arg("--git-dir").arg(git_dir);
    cmd.stdin(std::process::Stdio::null());
    cmd
}

/// libgit2 rewrites commit parents from `info/grafts` (a deprecated, local-only file);
/// git children run with grafts off. Rather than judge two different histories, refuse.
fn refuse_grafts(common_dir: &Path) -> Result<(), Error> {
    let grafts = common_dir.join("info").join("grafts");
    match std::fs::symlink_metadata(&grafts) {
        Ok(m) if m.len() > 0 || !m.is_file() => Err(Error::git_help(
            format!(
                "{} exists: grafts rewrite commit parents locally, so the history wpgate would check is not the one that is pushed",
                grafts.display()
            ),
            "remove the graft file (or turn it into replace refs with `git replace --convert-graft-file`, which wpgate ignores)",
        )),
        _ => Ok(()),
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
        refuse_grafts(repo.commondir())?;
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

    /// The full message of a commit.
    pub fn commit_message(&self, rev: &str) -> Result<String, Error> {
        let commit = self.resolve_commit(rev)?;
        Ok(String::from_utf8_lossy(commit.message_bytes()).into_owned())
    }

    fn reopen(&self) -> Result<Repository, Error> {
        Repository::open(&self.git_dir)
            .map_err(|e| gerr(format!("cannot open {}", self.git_dir.display()), e))
    }
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
