//! Sources of governance files: where a check reads a repository state from.
//!
//! A [`FileSource`] is the work tree ([`WorkTree`]), a commit's tree or the index (both in
//! `crate::git`, the only code that touches git). A [`Workspace`] is the governance view
//! of one source: its packets, board, spec and other documents, decoded and parsed at
//! most once per run. Rules read documents through a workspace and never open git or the
//! file system themselves.

mod workspace;
mod worktree;

pub use workspace::{Resolved, Workspace};
pub use worktree::WorkTree;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::error::Error;
use crate::model::packet::Packet;
use crate::model::text::TextFile;

/// Where files are read from. Paths are repository-relative with `/` separators.
///
/// Every file read through a source is a governance file (or judged as one), so a source
/// reads only regular files inside the repository: a symlink (in the work tree or a git
/// tree, mode 120000), a device, a FIFO or a path leaving the repository is an error
/// (exit 2) naming the path, never its target's bytes.
pub trait FileSource: Send + Sync {
    /// The bytes of a file, or `None` when it does not exist.
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, Error>;
    /// [`FileSource::read`], refusing (exit 2) a file larger than `max_bytes`.
    fn read_limited(&self, path: &str, max_bytes: u64) -> Result<Option<Vec<u8>>, Error> {
        let bytes = self.read(path)?;
        if let Some(b) = &bytes {
            check_size(path, b.len() as u64, max_bytes)?;
        }
        Ok(bytes)
    }
    /// Files below `dir` (recursive; `""` for the whole repository), sorted.
    fn list(&self, dir: &str) -> Result<Vec<String>, Error>;
    /// What this source is, for messages ("work tree", "HEAD", "commit 1a2b3c4").
    fn describe(&self) -> String;
    /// The git blob id of a file when the source knows it (caches key parsed files by it).
    fn blob_id(&self, _path: &str) -> Option<String> {
        None
    }
    /// Does the file exist? Git sources answer from the tree without reading the blob.
    fn exists(&self, path: &str) -> Result<bool, Error> {
        if self.blob_id(path).is_some() {
            return Ok(true);
        }
        Ok(self.read(path)?.is_some())
    }
    /// The git tree id of a directory when the source knows it (the parsed packet list
    /// is cached by the id of the packets directory).
    fn dir_id(&self, _dir: &str) -> Option<String> {
        None
    }
    /// A cache shared by every source of one run (e.g. all commits of a range), keyed by
    /// object ids: each packet, board or spec version is decoded and parsed once per run.
    fn parse_cache(&self) -> Option<Arc<ParseCache>> {
        None
    }
}

/// A governance file over the size cap is an error naming it.
pub(crate) fn check_size(path: &str, len: u64, max_bytes: u64) -> Result<(), Error> {
    if len > max_bytes {
        return Err(Error::governance(
            path,
            format!("{len} bytes, over the governance file cap `limits.max_governance_bytes` = {max_bytes}"),
        ));
    }
    Ok(())
}

/// Decoded texts and parsed packets by git object id, shared across the sources of a run.
#[derive(Default)]
pub struct ParseCache {
    /// Blob id → decoded text.
    texts: Mutex<HashMap<String, TextFile>>,
    /// (blob ids of a packet's files, contract path) → the packet read from them.
    packets: Mutex<HashMap<(String, String), Arc<Packet>>>,
    /// Packet directories' tree ids → the packet index.
    pub(crate) indexes: Mutex<HashMap<String, Arc<crate::model::packet::discovery::Index>>>,
    /// Packet directories' tree ids → every packet of that state.
    pub(crate) lists: Mutex<HashMap<String, Arc<Vec<Packet>>>>,
    /// Packet directories' tree ids → alias → packet ids.
    pub(crate) aliases: Mutex<HashMap<String, Arc<AliasMap>>>,
}

impl ParseCache {
    /// A packet read earlier in this run from the files with blob ids `blobs` (contract at
    /// `path`).
    pub fn packet(&self, blobs: &str, path: &str) -> Option<Arc<Packet>> {
        self.packets
            .lock()
            .ok()?
            .get(&(blobs.to_string(), path.to_string()))
            .cloned()
    }

    /// Remembers a packet (see [`ParseCache::packet`]).
    pub fn store_packet(&self, blobs: &str, packet: &Arc<Packet>) {
        if let Ok(mut m) = self.packets.lock() {
            m.insert((blobs.to_string(), packet.path.clone()), packet.clone());
        }
    }
}

/// Alias → the ids of the packets that declare it.
pub(crate) type AliasMap = HashMap<String, Vec<String>>;
