//! The changes of many commits from one `git log --raw` process.
//!
//! A range check diffs every commit against its parent. In-process that is a tree walk per
//! commit through libgit2, whose pack reader inflates each tree on the calling thread
//! behind a process-wide lock; on the 20k-commit benchmark history the diffs alone cost
//! nearly three times `git log --name-status`. One `git log --no-walk=unsorted --stdin
//! --raw -z` child produces the same change lists at git's own speed, on another core,
//! while the rules run on this one.
//!
//! The child is asked for exactly the commits given, in that order, without rename
//! detection; a commit whose changes could hold a rename (an added and a deleted file,
//! when renames are wanted) or a file/directory swap is diffed by libgit2 instead
//! ([`Repo::commit`]), which makes every change set identical to what `Repo::commit`
//! returns. So does anything unexpected: git missing or failing, output that does not
//! follow the order asked for. Shallow repositories never use the child (git treats the
//! shallow boundary as a root commit, libgit2's path reports the missing parent).

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdout, Stdio};

use git2::Oid;

use super::{path_string, ChangeSet, ChangeStatus, FileChange, Repo};
use crate::error::Error;

/// The change sets of a list of commits, in order (see the module documentation).
pub struct CommitStream<'r> {
    repo: &'r Repo,
    shas: Vec<String>,
    next: usize,
    all_parents: bool,
    renames: bool,
    child: Option<LogChild>,
}

struct LogChild {
    process: Child,
    out: BufReader<ChildStdout>,
    /// A commit id read ahead (the start of the next record).
    pending: Option<String>,
}

impl Drop for LogChild {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// One raw diff record of a commit.
struct Raw {
    old_mode: u32,
    new_mode: u32,
    old_id: String,
    new_id: String,
    status: u8,
    path: Vec<u8>,
}

impl<'r> CommitStream<'r> {
    pub(super) fn new(
        repo: &'r Repo,
        shas: &[String],
        all_parents: bool,
        renames: bool,
    ) -> CommitStream<'r> {
        let child = if shas.len() >= 2 && !all_parents && !repo.is_shallow() {
            spawn(repo, shas)
        } else {
            None
        };
        CommitStream {
            repo,
            shas: shas.to_vec(),
            next: 0,
            all_parents,
            renames,
            child,
        }
    }

    /// Whether a `git log` child is producing the diffs (for tests).
    pub fn uses_git_log(&self) -> bool {
        self.child.is_some()
    }

    fn changes_from_child(&mut self, sha: &str) -> Option<Vec<FileChange>> {
        let child = self.child.as_mut()?;
        let head = match child.pending.take() {
            Some(h) => h,
            None => token(&mut child.out)?,
        };
        if head.trim_start_matches('\n') != sha {
            return None;
        }
        let mut raws = Vec::new();
        // The end of the output ends the last commit.
        while let Some(t) = token(&mut child.out) {
            let t = t.trim_start_matches('\n');
            if let Some(meta) = t.strip_prefix(':') {
                let path = token_bytes(&mut child.out)?;
                raws.push(parse_raw(meta, path)?);
            } else {
                child.pending = Some(t.to_string());
                break;
            }
        }
        changes_of(raws, self.renames)
    }
}

impl Iterator for CommitStream<'_> {
    type Item = Result<ChangeSet, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let sha = self.shas.get(self.next)?.clone();
        self.next += 1;
        if self.child.is_some() {
            match self.changes_from_child(&sha) {
                Some(changes) => return Some(self.repo.commit_with_changes(&sha, changes)),
                None => {
                    // This commit needs libgit2, or the child went off the rails: libgit2
                    // for this one; the child continues only if it is still in step.
                    let in_step = self.child.as_ref().is_some_and(|c| {
                        c.pending.as_deref().map(|p| p.trim_start_matches('\n'))
                            == self.shas.get(self.next).map(String::as_str)
                            || self.next >= self.shas.len()
                    });
                    if !in_step {
                        self.child = None;
                    }
                }
            }
        }
        Some(self.repo.commit(&sha, self.all_parents, self.renames))
    }
}

fn spawn(repo: &Repo, shas: &[String]) -> Option<LogChild> {
    let mut cmd = super::git_cli(repo.git_dir());
    cmd.args([
        "-c",
        "color.ui=never",
        "-c",
        "core.quotepath=off",
        "log",
        "--no-walk=unsorted",
        "--stdin",
        "-z",
        "--raw",
        "--no-abbrev",
        "--no-renames",
        "--no-ext-diff",
        "--no-textconv",
        "--no-color",
        "--ignore-submodules=none",
        "--diff-merges=first-parent",
        "--root",
        "--format=%H",
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    let mut process = cmd.spawn().ok()?;
    // git reads all of stdin before it writes anything, so this cannot dead-lock.
    let mut input = String::with_capacity(shas.len() * 41);
    for s in shas {
        input.push_str(s);
        input.push('\n');
    }
    let written = process
        .stdin
        .take()
        .map(|mut stdin| stdin.write_all(input.as_bytes()).is_ok())
        .unwrap_or(false);
    let out = process.stdout.take();
    match (written, out) {
        (true, Some(out)) => Some(LogChild {
            process,
            out: BufReader::with_capacity(1 << 16, out),
            pending: None,
        }),
        _ => {
            let _ = process.kill();
            let _ = process.wait();
            None
        }
    }
}

fn token_bytes(out: &mut BufReader<ChildStdout>) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let n = out.read_until(0, &mut buf).ok()?;
    if n == 0 {
        return None;
    }
    if buf.last() == Some(&0) {
        buf.pop();
    }
    Some(buf)
}

fn token(out: &mut BufReader<ChildStdout>) -> Option<String> {
    String::from_utf8(token_bytes(out)?).ok()
}

/// `old_mode new_mode old_id new_id status` (the part after `:`).
fn parse_raw(meta: &str, path: Vec<u8>) -> Option<Raw> {
    let mut f = meta.split(' ');
    let old_mode = u32::from_str_radix(f.next()?, 8).ok()?;
    let new_mode = u32::from_str_radix(f.next()?, 8).ok()?;
    let old_id = f.next()?.to_string();
    let new_id = f.next()?.to_string();
    let status = *f.next()?.as_bytes().first()?;
    if f.next().is_some() || Oid::from_str(&old_id).is_err() || Oid::from_str(&new_id).is_err() {
        return None;
    }
    Some(Raw {
        old_mode,
        new_mode,
        old_id,
        new_id,
        status,
        path,
    })
}

/// The change list `Repo::commit` would give, or `None` where it takes libgit2's diff.
fn changes_of(mut raws: Vec<Raw>, renames: bool) -> Option<Vec<FileChange>> {
    let added = raws.iter().any(|r| r.status == b'A');
    let deleted = raws.iter().any(|r| r.status == b'D');
    if renames && added && deleted {
        return None;
    }
    if added && deleted {
        // A file replaced by a directory of the same name, or the reverse.
        let files: HashSet<&[u8]> = raws.iter().map(|r| r.path.as_slice()).collect();
        let swapped = raws.iter().any(|r| {
            r.path
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'/')
                .any(|(i, _)| files.contains(&r.path[..i]))
        });
        if swapped {
            return None;
        }
    }
    raws.sort_by(|a, b| a.path.cmp(&b.path));
    let mut out = Vec::with_capacity(raws.len());
    for r in raws {
        let status = match r.status {
            b'A' => ChangeStatus::Added,
            b'D' => ChangeStatus::Deleted,
            b'M' => ChangeStatus::Modified,
            b'T' => ChangeStatus::TypeChanged,
            _ => return None,
        };
        let (p, bad) = path_string(&r.path);
        let old = status != ChangeStatus::Added;
        let new = status != ChangeStatus::Deleted;
        out.push(FileChange {
            status,
            old_path: old.then(|| p.clone()),
            new_path: new.then_some(p),
            old_id: old.then_some(r.old_id),
            new_id: new.then_some(r.new_id),
            old_mode: if old { r.old_mode } else { 0 },
            new_mode: if new { r.new_mode } else { 0 },
            non_utf8_path: bad,
        });
    }
    Some(out)
}

/// Blob contents from one `git cat-file --batch` child: a second process reads and
/// inflates objects, so a thread using it does not queue behind libgit2's pack lock.
pub struct BlobReader {
    process: Child,
    input: std::process::ChildStdin,
    out: BufReader<ChildStdout>,
}

impl Drop for BlobReader {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// One object read by a [`BlobReader`].
pub enum Blob {
    Bytes(Vec<u8>),
    /// Larger than the limit asked for (its bytes were skipped).
    TooLarge(u64),
    /// Not a blob, or absent: ask libgit2 (which can name the problem).
    Unavailable,
}

impl BlobReader {
    pub(super) fn spawn(repo: &Repo) -> Option<BlobReader> {
        let mut cmd = super::git_cli(repo.git_dir());
        // Never fetch here: a missing object comes back `missing` and is read through
        // `read_blob`, which says that it fetches (or refuses, with WPGATE_NO_FETCH).
        cmd.env("GIT_NO_LAZY_FETCH", "1");
        cmd.args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut process = cmd.spawn().ok()?;
        let input = process.stdin.take()?;
        let out = process.stdout.take()?;
        Some(BlobReader {
            process,
            input,
            out: BufReader::with_capacity(1 << 16, out),
        })
    }

    /// Reads the objects, in order (one request batch, then the answers). `None` when the
    /// child fails: the reader is then useless and the caller falls back to libgit2.
    pub fn read(&mut self, ids: &[&str], max_bytes: u64) -> Option<Vec<Blob>> {
        let mut req = String::with_capacity(ids.len() * 41);
        for id in ids {
            if id.contains(char::is_whitespace) || id.is_empty() {
                return None;
            }
            req.push_str(id);
            req.push('\n');
        }
        self.input.write_all(req.as_bytes()).ok()?;
        self.input.flush().ok()?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let mut header = String::new();
            self.out.read_line(&mut header).ok()?;
            let mut f = header.split_whitespace();
            let (Some(got), Some(kind)) = (f.next(), f.next()) else {
                return None;
            };
            if got != *id {
                return None;
            }
            let Some(size) = f.next().and_then(|s| s.parse::<u64>().ok()) else {
                // `<id> missing` (or ambiguous): no content follows.
                out.push(Blob::Unavailable);
                continue;
            };
            if kind != "blob" || size > max_bytes {
                std::io::copy(&mut (&mut self.out).take(size + 1), &mut std::io::sink()).ok()?;
                out.push(if kind == "blob" {
                    Blob::TooLarge(size)
                } else {
                    Blob::Unavailable
                });
                continue;
            }
            let mut bytes = vec![0u8; size as usize];
            self.out.read_exact(&mut bytes).ok()?;
            let mut nl = [0u8; 1];
            self.out.read_exact(&mut nl).ok()?;
            out.push(Blob::Bytes(bytes));
        }
        Some(out)
    }
}
