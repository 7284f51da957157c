//! A change as data: the files a change set adds, modifies, deletes or renames, with
//! modes and blob ids, and the lines it adds. The git layer fills it; rules read it.
//!
//! Paths are repository-relative, `/`-separated strings. A path that is not valid UTF-8 is
//! carried in a lossy form (with U+FFFD) and flagged ([`FileChange::non_utf8_path`]).

use std::collections::HashSet;

pub(crate) const MODE_GITLINK: u32 = 0o160000;

pub(crate) const MODE_SYMLINK: u32 = 0o120000;

pub(crate) const MODE_TREE: u32 = 0o040000;

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

    /// The change leaves a symbolic link (mode 120000 on the new side). A link replaced
    /// by a regular file is not one: its new content is a file like any other (the
    /// content rules read it; an either-side test let `.unwrap()` in through a link
    /// turned into a `.rs` file).
    pub fn is_symlink(&self) -> bool {
        self.new_mode == MODE_SYMLINK
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

/// Lines added by one change (see `crate::git::Repo::added_lines`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddedLines {
    /// One side is binary (a NUL byte in the first 8000 bytes, git's heuristic). The lines
    /// the change adds are still given, decoded lossily (invalid UTF-8 as U+FFFD, NUL bytes
    /// kept): a content rule whose include globs name the file scans them as text (rustc
    /// accepts `// \0`, so a NUL byte must not hide a `.rs` file); a file no include glob
    /// names is skipped with a `content.skipped` note.
    Binary(Vec<(usize, String)>),
    /// The new blob is larger than the limit.
    TooLarge { size: u64 },
    /// (1-based line number in the new file, line text without the line ending).
    Lines(Vec<(usize, String)>),
}
