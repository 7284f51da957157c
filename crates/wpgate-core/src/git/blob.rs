//! Blob contents and the lines a change adds (one blob at a time through libgit2, or
//! many through one `git cat-file --batch` child).

use std::path::Path;

use git2::{DiffOptions, Oid, Repository};

use crate::error::Error;

use super::*;

/// `WPGATE_NO_FETCH=1`: never ask git for an object libgit2 cannot find (in a partial
/// clone git would fetch it from the promisor remote, writing the object store).
pub(super) fn no_fetch() -> bool {
    std::env::var_os("WPGATE_NO_FETCH").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Reads one blob; when the object is missing locally, asks the git CLI, which in a partial
/// clone fetches it from the promisor remote (said on stderr: it is the one write wpgate
/// makes, to the object store). With `WPGATE_NO_FETCH=1` a missing object is an error.
pub(super) fn read_blob(
    repo: &Repository,
    git_dir: &Path,
    oid: Oid,
    path: &str,
) -> Result<Vec<u8>, Error> {
    let libgit2_err = match repo.find_blob(oid) {
        Ok(b) => return Ok(b.content().to_vec()),
        Err(e) => e,
    };
    if no_fetch() {
        return Err(Error::git_help(
            format!(
                "object {oid} ({path}) is not in the local object store: {} (WPGATE_NO_FETCH=1 forbids fetching it)",
                libgit2_err.message()
            ),
            format!(
                "fetch it first (`git fetch origin`, or `git cat-file blob {oid}` in a partial clone), or unset WPGATE_NO_FETCH to let wpgate fetch it through git. Object {oid}, path {path}"
            ),
        ));
    }
    if libgit2_err.code() == git2::ErrorCode::NotFound {
        eprintln!(
            "wpgate: object {oid} ({path}) is not local; asking git for it (a partial clone fetches it from its promisor remote; WPGATE_NO_FETCH=1 forbids this)"
        );
    }
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

fn is_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(8000)].contains(&0)
}

/// The lines `new` adds to `old`, flagged [`AddedLines::Binary`] when either side looks
/// binary; the diff is textual either way (both read paths use this, so they agree).
fn added_lines_of(old: &[u8], new: &[u8]) -> Result<AddedLines, Error> {
    let lines = added_lines_between(old, new)?;
    Ok(if is_binary(new) || is_binary(old) {
        AddedLines::Binary(lines)
    } else {
        AddedLines::Lines(lines)
    })
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

impl Repo {
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
        added_lines_of(&old, &new)
    }

    /// A `git cat-file --batch` child for [`Repo::added_lines_many`] (`None` when git cannot
    /// be started).
    pub fn blob_reader(&self) -> Option<BlobReader> {
        // A git older than 2.45 ignores GIT_NO_LAZY_FETCH: with fetching forbidden, a
        // partial clone is read through libgit2 alone.
        if no_fetch() && self.config_string("extensions.partialclone").is_some() {
            return None;
        }
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
            out.push(added_lines_of(&old, &new)?);
        }
        Ok(out)
    }
}
