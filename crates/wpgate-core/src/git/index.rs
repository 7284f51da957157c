//! A read-only reader of git's index file (`.git/index`) and a staged diff that uses the
//! index's cache-tree, the shortcut `git diff --cached` itself takes.
//!
//! libgit2 loads every entry of the index into a hash map, verifies the file's checksum
//! and then compares the whole HEAD tree with the whole index: on a 300k-file repository
//! that is half a second and ~180 MB for a staged change of four files. The index already
//! knows better: its `TREE` extension records, for every directory whose entries did not
//! change since the last tree was written, the tree id that directory would have. A
//! directory whose recorded id equals HEAD's is skipped without reading a single entry
//! or tree of it. What remains is the handful of directories on the paths of the change.
//!
//! The reader understands index versions 2, 3 and 4 (path-prefix compression) with
//! SHA-1 object ids. Anything it does not fully understand — a split index (`link`), a
//! sparse index (`sdir`), another required extension, unmerged entries, intent-to-add
//! entries, a file/directory swap, a truncated file — makes it step aside (`None`) and the
//! caller uses libgit2, so the answer never depends on which path ran. Like git (and unlike
//! libgit2) it does not re-hash the file to verify the trailing checksum: git writes the
//! index through a lock file and a rename, so a reader never sees a torn file.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::Path;

use git2::{Oid, Repository};

use super::{gerr, path_string, ChangeStatus, FileChange, MODE_GITLINK, MODE_SYMLINK, MODE_TREE};
use crate::error::Error;

const OID_LEN: usize = 20;

/// One index entry: where its path and object id sit, its mode and merge stage.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Offset and length of the path in [`RawIndex::names`] (or in the file for v2/v3).
    path: u32,
    len: u32,
    /// Offset of the 20-byte object id in the file.
    oid: u32,
    mode: u32,
    stage: u8,
}

/// One node of the cache-tree (`TREE` extension).
#[derive(Debug, Default)]
struct CacheNode {
    /// The directory's own name (one path component; empty for the root).
    name: Vec<u8>,
    /// Number of index entries below this directory; negative when invalidated.
    entries: i64,
    /// The tree id, present only when the node is valid.
    oid: Option<Oid>,
    children: Vec<CacheNode>,
}

impl CacheNode {
    fn child(&self, name: &[u8]) -> Option<&CacheNode> {
        self.children.iter().find(|c| c.name == name)
    }
}

/// A parsed index file. Paths are raw bytes, sorted as git sorts them (bytewise, then by
/// stage).
pub(super) struct RawIndex {
    data: Vec<u8>,
    /// Reconstructed paths for version 4; empty for 2/3 (paths are read from `data`).
    names: Vec<u8>,
    entries: Vec<Entry>,
    tree: Option<CacheNode>,
    /// Some entry is unmerged (stage 1–3) or intent-to-add: the diff defers to libgit2.
    unusual: bool,
}

/// Reads git's "offset varint" (varint.c): 7 bits per byte, big-endian, +1 per continuation.
fn varint(data: &[u8], at: &mut usize) -> Option<u64> {
    let mut c = *data.get(*at)?;
    *at += 1;
    let mut value = u64::from(c & 0x7f);
    while c & 0x80 != 0 {
        c = *data.get(*at)?;
        *at += 1;
        value = value.checked_add(1)?.checked_mul(128)? | u64::from(c & 0x7f);
    }
    Some(value)
}

fn be32(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn be16(data: &[u8], at: usize) -> Option<u16> {
    let b = data.get(at..at + 2)?;
    Some(u16::from_be_bytes([b[0], b[1]]))
}

impl RawIndex {
    /// Reads and parses an index file. `Ok(None)` when the file uses something this reader
    /// does not handle (the caller falls back to libgit2); `Err` only when it cannot be read.
    pub(super) fn read(path: &Path) -> std::io::Result<Option<RawIndex>> {
        let data = std::fs::read(path)?;
        Ok(RawIndex::parse(data))
    }

    pub(super) fn parse(data: Vec<u8>) -> Option<RawIndex> {
        if data.len() < 12 + OID_LEN || &data[..4] != b"DIRC" || data.len() > u32::MAX as usize {
            return None;
        }
        let version = be32(&data, 4)?;
        if !(2..=4).contains(&version) {
            return None;
        }
        let count = be32(&data, 8)? as usize;
        let end = data.len() - OID_LEN;
        let mut entries = Vec::with_capacity(count.min(end / 62));
        let mut names = Vec::new();
        let mut prev: (usize, usize) = (0, 0); // v4: previous path in `names`
        let mut at = 12usize;
        let mut unusual = false;
        for _ in 0..count {
            let mode = be32(&data, at + 24)?;
            let oid = at + 40;
            let flags = be16(&data, oid + OID_LEN)?;
            let mut name_at = oid + OID_LEN + 2;
            let mut intent_to_add = false;
            if flags & 0x4000 != 0 {
                if version < 3 {
                    return None;
                }
                let ext = be16(&data, name_at)?;
                // Only intent-to-add (0x2000) and skip-worktree (0x4000) are defined.
                if ext & !0x6000 != 0 {
                    return None;
                }
                intent_to_add = ext & 0x2000 != 0;
                name_at += 2;
            }
            let stage = ((flags >> 12) & 0x3) as u8;
            unusual |= stage != 0 || intent_to_add;
            // A directory entry only exists in a sparse index (which also has `sdir`).
            if mode == MODE_TREE {
                return None;
            }
            let entry = if version == 4 {
                let strip = varint(&data, &mut name_at)? as usize;
                let nul = data.get(name_at..end)?.iter().position(|&b| b == 0)?;
                let keep = prev.1.checked_sub(strip)?;
                let start = names.len();
                names.extend_from_within(prev.0..prev.0 + keep);
                names.extend_from_slice(&data[name_at..name_at + nul]);
                prev = (start, names.len() - start);
                at = name_at + nul + 1;
                Entry {
                    path: start as u32,
                    len: prev.1 as u32,
                    oid: oid as u32,
                    mode,
                    stage,
                }
            } else {
                let short = usize::from(flags & 0x0fff);
                let len = if short < 0x0fff {
                    short
                } else {
                    data.get(name_at..end)?.iter().position(|&b| b == 0)?
                };
                if data.get(name_at + len) != Some(&0) {
                    return None;
                }
                // Entries are padded with 1–8 NULs to a multiple of 8 bytes.
                let size = (name_at - at + len + 8) & !7;
                at += size;
                Entry {
                    path: name_at as u32,
                    len: len as u32,
                    oid: oid as u32,
                    mode,
                    stage,
                }
            };
            if at > end {
                return None;
            }
            entries.push(entry);
        }
        let mut tree = None;
        while at + 8 <= end {
            let sig = &data[at..at + 4];
            let size = be32(&data, at + 4)? as usize;
            let body = data.get(at + 8..(at + 8).checked_add(size)?)?;
            if at + 8 + size > end {
                return None;
            }
            match sig {
                b"TREE" => {
                    let mut p = 0;
                    tree = Some(parse_tree(body, &mut p)?);
                }
                // Optional extensions start with an upper-case letter; anything else
                // (a split index `link`, a sparse index `sdir`, ...) changes what the
                // entries mean.
                s if s[0].is_ascii_uppercase() => {}
                _ => return None,
            }
            at += 8 + size;
        }
        if at != end {
            return None;
        }
        Some(RawIndex {
            data,
            names,
            entries,
            tree,
            unusual,
        })
    }

    fn path(&self, e: &Entry) -> &[u8] {
        let (s, l) = (e.path as usize, e.len as usize);
        if self.names.is_empty() {
            &self.data[s..s + l]
        } else {
            &self.names[s..s + l]
        }
    }

    fn oid(&self, e: &Entry) -> Oid {
        let at = e.oid as usize;
        Oid::from_bytes(&self.data[at..at + OID_LEN]).unwrap_or_else(|_| Oid::zero())
    }

    /// Number of entries (all stages).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }

    /// (blob id, mode) of a path at stage 0, or at stage 2 ("ours") for an unmerged path.
    pub(super) fn get(&self, path: &str) -> Option<(Oid, u32)> {
        let key = path.as_bytes();
        let first = self
            .entries
            .partition_point(|e| self.path(e).cmp(key) == Ordering::Less);
        let mut ours = None;
        for e in self.entries[first..]
            .iter()
            .take_while(|e| self.path(e) == key)
        {
            match e.stage {
                0 => return Some((self.oid(e), e.mode)),
                2 => ours = Some((self.oid(e), e.mode)),
                _ => {}
            }
        }
        if ours.is_none() && path.contains('\u{fffd}') {
            // A non-UTF-8 path is carried in its lossy form: match lossily.
            return self
                .entries
                .iter()
                .filter(|e| e.stage == 0 || e.stage == 2)
                .find(|e| path_string(self.path(e)).0 == path)
                .map(|e| (self.oid(e), e.mode));
        }
        ours
    }

    /// Paths below `dir` (every path for `""`), sorted, once each, gitlinks left out.
    pub(super) fn list(&self, dir: &str) -> Vec<String> {
        let prefix = if dir.is_empty() {
            Vec::new()
        } else {
            format!("{dir}/").into_bytes()
        };
        let first = self
            .entries
            .partition_point(|e| self.path(e) < prefix.as_slice());
        let mut out: Vec<String> = Vec::new();
        let mut last: Option<&[u8]> = None;
        for e in &self.entries[first..] {
            let p = self.path(e);
            if !p.starts_with(&prefix) {
                break;
            }
            if last == Some(p) || e.mode == MODE_GITLINK {
                continue;
            }
            // An unmerged path is listed when it has stage 0 or 2 (what `get` reads).
            if e.stage != 0 && e.stage != 2 {
                continue;
            }
            last = Some(p);
            out.push(path_string(p).0);
        }
        out
    }

    /// The staged changes against `head` (`None`: unborn HEAD, everything is added).
    /// `Ok(None)` when libgit2 must decide (see the module documentation); renames are
    /// paired here only when every added and deleted file pairs up by identical content.
    pub(super) fn diff(
        &self,
        repo: &Repository,
        head: Option<&git2::Tree<'_>>,
        renames: bool,
    ) -> Result<Option<Vec<FileChange>>, Error> {
        if self.unusual {
            return Ok(None);
        }
        let mut out = Vec::new();
        let ok = self.walk(
            repo,
            head.map(|t| t.id()),
            self.tree.as_ref(),
            b"",
            0,
            self.entries.len(),
            &mut out,
        )?;
        if !ok {
            return Ok(None);
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        let mut changes: Vec<FileChange> = out.into_iter().map(|(_, c)| c).collect();
        if renames {
            match pair_exact_renames(changes) {
                Some(c) => changes = c,
                None => return Ok(None),
            }
        }
        Ok(Some(changes))
    }

    /// Compares the index entries `lo..hi` (all below `prefix`) with the tree `tree`.
    /// Returns false when libgit2 must decide.
    #[allow(clippy::too_many_arguments)]
    fn walk(
        &self,
        repo: &Repository,
        tree: Option<Oid>,
        node: Option<&CacheNode>,
        prefix: &[u8],
        lo: usize,
        hi: usize,
        out: &mut Vec<(Vec<u8>, FileChange)>,
    ) -> Result<bool, Error> {
        // The cache-tree shortcut: this directory's entries would write exactly HEAD's tree.
        if let (Some(n), Some(t)) = (node, tree) {
            if n.oid == Some(t) && usize::try_from(n.entries).ok() == Some(hi - lo) {
                return Ok(true);
            }
        }
        // The tree's entries, by name.
        let mut head: BTreeMap<&[u8], (Oid, u32)> = BTreeMap::new();
        let tree_obj = match tree {
            Some(t) => Some(
                repo.find_tree(t)
                    .map_err(|e| gerr(format!("cannot read tree {t}"), e))?,
            ),
            None => None,
        };
        let names: Vec<(Vec<u8>, Oid, u32)> = tree_obj
            .iter()
            .flat_map(|t| t.iter())
            .map(|e| (e.name_bytes().to_vec(), e.id(), e.filemode() as u32))
            .collect();
        for (name, id, mode) in &names {
            head.insert(name.as_slice(), (*id, *mode));
        }
        // The index's children: a file, or a directory spanning a range of entries.
        let mut i = lo;
        let mut seen: Vec<&[u8]> = Vec::new();
        while i < hi {
            let e = &self.entries[i];
            let rest = &self.path(e)[prefix.len()..];
            let mut path = prefix.to_vec();
            match rest.iter().position(|&b| b == b'/') {
                None => {
                    path.extend_from_slice(rest);
                    let now = (self.oid(e), e.mode);
                    match head.get(rest) {
                        Some(&(_, MODE_TREE)) => return Ok(false),
                        Some(&was) if was == now => {}
                        Some(&was) => out.push(change(&path, Some(was), Some(now))),
                        None => out.push(change(&path, None, Some(now))),
                    }
                    seen.push(rest);
                    i += 1;
                }
                Some(slash) => {
                    let name = &rest[..slash];
                    path.extend_from_slice(&rest[..=slash]);
                    let child = node.and_then(|n| n.child(name));
                    // The directory's entries: trust the cache-tree's count when it is
                    // valid and the boundary checks out, else search for the end.
                    let mut end = match child {
                        Some(c) if c.entries > 0 => i.saturating_add(c.entries as usize),
                        _ => 0,
                    };
                    let fits = |k: usize| {
                        k <= hi
                            && k > i
                            && self.path(&self.entries[k - 1]).starts_with(&path)
                            && (k == hi || !self.path(&self.entries[k]).starts_with(&path))
                    };
                    if !fits(end) {
                        end = i + self.entries[i..hi]
                            .partition_point(|e| self.path(e).starts_with(&path));
                    }
                    let sub = match head.get(name) {
                        Some(&(id, MODE_TREE)) => Some(id),
                        Some(_) => return Ok(false),
                        None => None,
                    };
                    if !self.walk(repo, sub, child, &path, i, end, out)? {
                        return Ok(false);
                    }
                    seen.push(name);
                    i = end;
                }
            }
        }
        // What HEAD has and the index does not: deleted.
        seen.sort_unstable();
        for (name, id, mode) in &names {
            if seen.binary_search(&name.as_slice()).is_ok() {
                continue;
            }
            let mut path = prefix.to_vec();
            path.extend_from_slice(name);
            if *mode == MODE_TREE {
                deleted_tree(repo, *id, &path, out)?;
            } else {
                out.push(change(&path, Some((*id, *mode)), None));
            }
        }
        Ok(true)
    }
}

/// Every file below a deleted directory.
fn deleted_tree(
    repo: &Repository,
    id: Oid,
    path: &[u8],
    out: &mut Vec<(Vec<u8>, FileChange)>,
) -> Result<(), Error> {
    let tree = repo
        .find_tree(id)
        .map_err(|e| gerr(format!("cannot read tree {id}"), e))?;
    for e in tree.iter() {
        let mut p = path.to_vec();
        p.push(b'/');
        p.extend_from_slice(e.name_bytes());
        let mode = e.filemode() as u32;
        if mode == MODE_TREE {
            deleted_tree(repo, e.id(), &p, out)?;
        } else {
            out.push(change(&p, Some((e.id(), mode)), None));
        }
    }
    Ok(())
}

/// A change of one path between two (id, mode) sides, as libgit2 reports it (a change of
/// file kind — regular, symlink, gitlink — is a type change).
fn change(path: &[u8], old: Option<(Oid, u32)>, new: Option<(Oid, u32)>) -> (Vec<u8>, FileChange) {
    let kind = |m: u32| match m {
        MODE_SYMLINK => 1,
        MODE_GITLINK => 2,
        _ => 0,
    };
    let status = match (old, new) {
        (None, _) => ChangeStatus::Added,
        (_, None) => ChangeStatus::Deleted,
        (Some(a), Some(b)) if kind(a.1) != kind(b.1) => ChangeStatus::TypeChanged,
        _ => ChangeStatus::Modified,
    };
    let (p, bad) = path_string(path);
    (
        path.to_vec(),
        FileChange {
            status,
            old_path: old.map(|_| p.clone()),
            new_path: new.map(|_| p),
            old_id: old.map(|o| o.0.to_string()),
            new_id: new.map(|n| n.0.to_string()),
            old_mode: old.map_or(0, |o| o.1),
            new_mode: new.map_or(0, |n| n.1),
            non_utf8_path: bad,
        },
    )
}

/// Pairs deleted and added files with identical content and kind as renames (in path
/// order, as libgit2's exact-match pass does). `None` when an added and a deleted file are
/// left unpaired: only a similarity search can tell whether they are a rename.
fn pair_exact_renames(changes: Vec<FileChange>) -> Option<Vec<FileChange>> {
    let added = changes
        .iter()
        .filter(|c| c.status == ChangeStatus::Added)
        .count();
    let deleted = changes
        .iter()
        .filter(|c| c.status == ChangeStatus::Deleted)
        .count();
    if added == 0 || deleted == 0 {
        return Some(changes);
    }
    let mut taken = vec![false; changes.len()];
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for (d, del) in changes.iter().enumerate() {
        if del.status != ChangeStatus::Deleted || del.old_mode == MODE_GITLINK {
            continue;
        }
        let hit = changes.iter().enumerate().position(|(a, add)| {
            !taken[a]
                && add.status == ChangeStatus::Added
                && add.new_id == del.old_id
                && add.new_mode == del.old_mode
        });
        if let Some(a) = hit {
            taken[a] = true;
            taken[d] = true;
            pairs.push((d, a));
        }
    }
    let left_added = added - pairs.len();
    let left_deleted = deleted - pairs.len();
    if left_added > 0 && left_deleted > 0 {
        return None;
    }
    let mut renamed: Vec<Option<FileChange>> = changes.into_iter().map(Some).collect();
    let mut out: Vec<FileChange> = Vec::new();
    let mut merged: Vec<(usize, FileChange)> = Vec::new();
    for (d, a) in pairs {
        let del = renamed[d].take()?;
        let add = renamed[a].take()?;
        merged.push((
            a,
            FileChange {
                status: ChangeStatus::Renamed,
                old_path: del.old_path,
                new_path: add.new_path,
                old_id: del.old_id,
                new_id: add.new_id,
                old_mode: del.old_mode,
                new_mode: add.new_mode,
                non_utf8_path: del.non_utf8_path || add.non_utf8_path,
            },
        ));
    }
    // A rename takes the added side's place (libgit2 sorts renames by their new path).
    merged.sort_by_key(|(a, _)| *a);
    let mut merged = merged.into_iter().peekable();
    for (i, c) in renamed.into_iter().enumerate() {
        if merged.peek().is_some_and(|(a, _)| *a == i) {
            if let Some((_, m)) = merged.next() {
                out.push(m);
            }
        }
        if let Some(c) = c {
            out.push(c);
        }
    }
    Some(out)
}

/// Parses one cache-tree node and its children (pre-order).
fn parse_tree(body: &[u8], at: &mut usize) -> Option<CacheNode> {
    fn number(body: &[u8], at: &mut usize, stop: u8) -> Option<i64> {
        let end = *at + body.get(*at..)?.iter().position(|&b| b == stop)?;
        let n = std::str::from_utf8(&body[*at..end]).ok()?.parse().ok()?;
        *at = end + 1;
        Some(n)
    }
    let nul = *at + body.get(*at..)?.iter().position(|&b| b == 0)?;
    let name = body[*at..nul].to_vec();
    *at = nul + 1;
    let entries = number(body, at, b' ')?;
    let subtrees = number(body, at, b'\n')?;
    let oid = if entries >= 0 {
        let id = Oid::from_bytes(body.get(*at..*at + OID_LEN)?).ok()?;
        *at += OID_LEN;
        Some(id)
    } else {
        None
    };
    let mut children = Vec::new();
    for _ in 0..subtrees.max(0) {
        children.push(parse_tree(body, at)?);
    }
    Some(CacheNode {
        name,
        entries,
        oid,
        children,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_matches_gits_encoding() {
        // varint.c: 0x80 0x00 is 128, 0xff 0x7f is 16511.
        for (bytes, want) in [
            (&[0x00u8][..], 0u64),
            (&[0x7f], 127),
            (&[0x80, 0x00], 128),
            (&[0xff, 0x7f], 16511),
        ] {
            let mut at = 0;
            assert_eq!(varint(bytes, &mut at), Some(want), "{bytes:?}");
            assert_eq!(at, bytes.len());
        }
        let mut at = 0;
        assert_eq!(varint(&[0x80], &mut at), None, "truncated");
    }

    #[test]
    fn garbage_is_refused_not_panicked_on() {
        assert!(RawIndex::parse(Vec::new()).is_none());
        assert!(RawIndex::parse(b"DIRC".to_vec()).is_none());
        let mut v = b"DIRC\0\0\0\x02\0\0\0\x05".to_vec();
        v.extend_from_slice(&[0u8; 20]);
        assert!(
            RawIndex::parse(v).is_none(),
            "5 entries announced, none present"
        );
        let mut v = b"DIRC\0\0\0\x09\0\0\0\0".to_vec();
        v.extend_from_slice(&[0u8; 20]);
        assert!(RawIndex::parse(v).is_none(), "version 9");
        let mut v = b"DIRC\0\0\0\x02\0\0\0\0".to_vec();
        v.extend_from_slice(&[0u8; 20]);
        let empty = RawIndex::parse(v).expect("an empty index");
        assert_eq!(empty.len(), 0);
    }
}
