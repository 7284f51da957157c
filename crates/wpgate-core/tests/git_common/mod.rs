//! Helpers for the git layer tests: real repositories built with the git CLI in tempdirs.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicI64, Ordering};

static CLOCK: AtomicI64 = AtomicI64::new(1_700_000_000);

/// A git command isolated from the caller's environment (hooks export GIT_DIR & co.)
/// and from global/system configuration.
pub fn git_cmd(dir: &Path) -> Command {
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
    let t = CLOCK.fetch_add(10, Ordering::SeqCst);
    let date = format!("@{t} +0000");
    cmd.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .env("GIT_TERMINAL_PROMPT", "0")
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "tag.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "protocol.file.allow=always",
            "-c",
            "advice.detachedHead=false",
            "-c",
            "core.autocrlf=false",
        ])
        .stdin(Stdio::null());
    cmd
}

/// Runs git, panics (test helper) on failure, returns trimmed stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_cmd(dir).args(args).output().expect("run git");
    assert!(
        out.status.success(),
        "git {args:?} failed in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Runs git and returns (success, stdout, stderr) without asserting.
pub fn git_try(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = git_cmd(dir).args(args).output().expect("run git");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
        String::from_utf8_lossy(&out.stderr).trim().to_string(),
    )
}

pub struct TestRepo {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl TestRepo {
    /// `git init` in a fresh tempdir (work tree at `<tmp>/repo`).
    pub fn new() -> TestRepo {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("repo");
        std::fs::create_dir(&path).expect("mkdir");
        git(&path, &["init", "-q"]);
        TestRepo { dir, path }
    }

    pub fn git(&self, args: &[&str]) -> String {
        git(&self.path, args)
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let p = self.path.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, content).expect("write");
    }

    /// Writes, stages and commits files; returns the new sha.
    pub fn commit_files(&self, msg: &str, files: &[(&str, &str)]) -> String {
        for (p, c) in files {
            self.write(p, c);
            self.git(&["add", "--", p]);
        }
        self.git(&["commit", "-q", "--allow-empty", "-m", msg]);
        self.head()
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"])
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot::of(&self.path)
    }
}

/// Every file below a directory (work tree and `.git`, including the index, refs, packed
/// refs, the stash ref, config and objects) with its bytes and mode. Read-only API calls
/// must leave it unchanged.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot(BTreeMap<String, (u32, Vec<u8>)>);

impl Snapshot {
    pub fn of(root: &Path) -> Snapshot {
        use std::os::unix::fs::PermissionsExt;
        let mut map = BTreeMap::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).expect("read_dir") {
                let e = e.expect("entry");
                let p = e.path();
                let meta = std::fs::symlink_metadata(&p).expect("meta");
                let rel = p
                    .strip_prefix(root)
                    .expect("prefix")
                    .to_string_lossy()
                    .into_owned();
                if meta.file_type().is_symlink() {
                    let t = std::fs::read_link(&p).expect("readlink");
                    map.insert(rel, (0o120000, t.to_string_lossy().as_bytes().to_vec()));
                } else if meta.is_dir() {
                    map.insert(rel, (0o040000, Vec::new()));
                    stack.push(p);
                } else {
                    let bytes = std::fs::read(&p).expect("read");
                    map.insert(rel, (meta.permissions().mode(), bytes));
                }
            }
        }
        Snapshot(map)
    }

    pub fn assert_same(&self, root: &Path, what: &str) {
        let now = Snapshot::of(root);
        if &now != self {
            let changed: Vec<&String> = self
                .0
                .keys()
                .chain(now.0.keys())
                .filter(|k| self.0.get(*k) != now.0.get(*k))
                .collect();
            panic!("{what} modified the repository: {changed:?}");
        }
        assert!(
            self.0.contains_key(".git/index") || !root.join(".git/index").exists(),
            "snapshot must cover .git/index"
        );
    }
}

/// Asserts that `f` leaves the repository byte-for-byte unchanged and returns its result.
pub fn unchanged<T>(root: &Path, what: &str, f: impl FnOnce() -> T) -> T {
    let before = Snapshot::of(root);
    let out = f();
    before.assert_same(root, what);
    out
}
