//! A read-only view of a repository's governance files: from the work tree or from a git
//! tree (see [`crate::git`]), parsed lazily and at most once per run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use crate::error::Error;
use crate::packet::{parse_packet, Packet};
use crate::policy::Policy;

/// Where files are read from. Paths are repository-relative with `/` separators.
pub trait FileSource: Send + Sync {
    /// The bytes of a file, or `None` when it does not exist.
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, Error>;
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

/// Decoded texts and parsed packets by git object id, shared across the sources of a run.
#[derive(Default)]
pub struct ParseCache {
    /// Blob id → decoded text.
    texts: Mutex<HashMap<String, TextFile>>,
    /// (blob id, path) → parsed packet.
    packets: Mutex<HashMap<(String, String), Packet>>,
    /// (packets dir tree id, glob) → the parsed packet list.
    lists: Mutex<PacketLists>,
}

impl ParseCache {
    /// A packet parsed earlier in this run from blob `blob` at `path`.
    pub fn packet(&self, blob: &str, path: &str) -> Option<Packet> {
        self.packets
            .lock()
            .ok()?
            .get(&(blob.to_string(), path.to_string()))
            .cloned()
    }

    /// Remembers a parsed packet (see [`ParseCache::packet`]).
    pub fn store_packet(&self, blob: &str, packet: &Packet) {
        if let Ok(mut m) = self.packets.lock() {
            m.insert((blob.to_string(), packet.path.clone()), packet.clone());
        }
    }
}

/// (packets dir tree id, glob) → parsed packets.
type PacketLists = HashMap<(String, String), Arc<Vec<Packet>>>;

/// The files of a work tree on disk (the `.git` directory and ignored build output
/// such as `target/` and `node_modules/` are skipped when listing).
pub struct WorkTree {
    root: PathBuf,
}

impl WorkTree {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        WorkTree { root: root.into() }
    }
    pub fn root(&self) -> &Path {
        &self.root
    }
}

const SKIP_DIRS: &[&str] = &[".git", "target", "node_modules"];

impl FileSource for WorkTree {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, Error> {
        let p = self.root.join(path);
        match std::fs::read(&p) {
            Ok(b) => Ok(Some(b)),
            // Absent means absent; a dangling symlink or a directory where a file is
            // expected is an error (fail closed), never "no such file".
            Err(e)
                if e.kind() == std::io::ErrorKind::NotFound
                    && std::fs::symlink_metadata(&p).is_err() =>
            {
                Ok(None)
            }
            Err(e) => Err(Error::Io {
                path: path.to_string(),
                source: if p.is_dir() {
                    std::io::Error::other("a directory stands where a file is expected")
                } else {
                    e
                },
            }),
        }
    }

    fn exists(&self, path: &str) -> Result<bool, Error> {
        Ok(std::fs::symlink_metadata(self.root.join(path)).is_ok())
    }

    fn list(&self, dir: &str) -> Result<Vec<String>, Error> {
        let mut out = Vec::new();
        let start = if dir.is_empty() {
            self.root.clone()
        } else {
            self.root.join(dir)
        };
        if !start.is_dir() {
            return Ok(out);
        }
        let mut stack = vec![start];
        while let Some(d) = stack.pop() {
            let rd = std::fs::read_dir(&d).map_err(|e| Error::Io {
                path: d.display().to_string(),
                source: e,
            })?;
            for entry in rd {
                let entry = entry.map_err(|e| Error::Io {
                    path: d.display().to_string(),
                    source: e,
                })?;
                let ft = entry.file_type().map_err(|e| Error::Io {
                    path: entry.path().display().to_string(),
                    source: e,
                })?;
                let name = entry.file_name();
                let Some(name) = name.to_str() else { continue };
                if ft.is_dir() {
                    if !SKIP_DIRS.contains(&name) {
                        stack.push(entry.path());
                    }
                } else if ft.is_file() || ft.is_symlink() {
                    // Symlinks are listed (not followed into directories): reading a
                    // broken one is then an error instead of a silently missing file.
                    if let Ok(rel) = entry.path().strip_prefix(&self.root) {
                        if let Some(s) = rel.to_str() {
                            out.push(s.replace('\\', "/"));
                        }
                    }
                }
            }
        }
        out.sort();
        Ok(out)
    }

    fn describe(&self) -> String {
        "work tree".to_string()
    }
}

/// A text file decoded for parsing: invalid UTF-8 is replaced (and reported by callers
/// that care, via `invalid_utf8_line`).
#[derive(Debug, Clone)]
pub struct TextFile {
    pub path: String,
    pub text: Arc<str>,
    pub raw: Arc<[u8]>,
    /// 1-based line of the first invalid UTF-8 byte, if any.
    pub invalid_utf8_line: Option<usize>,
}

impl TextFile {
    pub fn decode(path: &str, raw: Vec<u8>) -> TextFile {
        let (text, bad) = match String::from_utf8(raw) {
            Ok(s) => {
                let raw: Arc<[u8]> = Arc::from(s.as_bytes());
                (s, (None, raw))
            }
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let bytes = e.into_bytes();
                let line = bytes[..valid].iter().filter(|&&b| b == b'\n').count() + 1;
                let s = String::from_utf8_lossy(&bytes).into_owned();
                (s, (Some(line), Arc::from(bytes)))
            }
        };
        TextFile {
            path: path.to_string(),
            text: Arc::from(text),
            raw: bad.1,
            invalid_utf8_line: bad.0,
        }
    }
}

/// The governance view of one repository state.
pub struct Workspace<'a> {
    pub policy: &'a Policy,
    pub files: &'a dyn FileSource,
    packets: OnceLock<Result<Arc<Vec<Packet>>, String>>,
    texts: Mutex<HashMap<String, Option<TextFile>>>,
    cache: Option<Arc<ParseCache>>,
}

impl<'a> Workspace<'a> {
    pub fn new(policy: &'a Policy, files: &'a dyn FileSource) -> Self {
        Workspace {
            policy,
            files,
            packets: OnceLock::new(),
            texts: Mutex::new(HashMap::new()),
            cache: files.parse_cache(),
        }
    }

    /// Reads and decodes a text file once per run; `None` when it does not exist.
    pub fn text(&self, path: &str) -> Result<Option<TextFile>, Error> {
        if let Ok(cache) = self.texts.lock() {
            if let Some(hit) = cache.get(path) {
                return Ok(hit.clone());
            }
        }
        let id = self.cache.as_ref().and_then(|_| self.files.blob_id(path));
        if let (Some(shared), Some(id)) = (&self.cache, &id) {
            if let Ok(texts) = shared.texts.lock() {
                if let Some(hit) = texts.get(id) {
                    let mut tf = hit.clone();
                    if tf.path != path {
                        tf.path = path.to_string();
                    }
                    drop(texts);
                    if let Ok(mut cache) = self.texts.lock() {
                        cache.insert(path.to_string(), Some(tf.clone()));
                    }
                    return Ok(Some(tf));
                }
            }
        }
        let tf = self
            .files
            .read(path)?
            .map(|raw| TextFile::decode(path, raw));
        if let (Some(shared), Some(id), Some(tf)) = (&self.cache, id, &tf) {
            if let Ok(mut texts) = shared.texts.lock() {
                texts.insert(id, tf.clone());
            }
        }
        if let Ok(mut cache) = self.texts.lock() {
            cache.insert(path.to_string(), tf.clone());
        }
        Ok(tf)
    }

    /// Paths of all packet files (sorted).
    pub fn packet_paths(&self) -> Result<Vec<String>, Error> {
        let dir = self.policy.layout.packets_dir.trim_end_matches('/');
        let glob =
            crate::glob::cached_matcher(&self.policy.layout.packet_glob).ok_or_else(|| {
                Error::Usage(format!(
                    "layout.packet_glob `{}` is not a valid glob",
                    self.policy.layout.packet_glob
                ))
            })?;
        Ok(self
            .files
            .list(dir)?
            .into_iter()
            .filter(|p| {
                let rest = p.strip_prefix(dir).unwrap_or(p).trim_start_matches('/');
                // Packets sit directly in the packets directory.
                !rest.contains('/') && glob.is_match(rest)
            })
            .collect())
    }

    /// All packets, parsed once.
    pub fn packets(&self) -> Result<&[Packet], Error> {
        let res = self.packets.get_or_init(|| {
            // Unchanged packets directory (same tree id): the list parsed for an earlier
            // commit of this run is reused.
            let dir = self.policy.layout.packets_dir.trim_end_matches('/');
            let list_key = self.cache.as_ref().and_then(|_| {
                self.files
                    .dir_id(dir)
                    .map(|id| (id, self.policy.layout.packet_glob.clone()))
            });
            if let (Some(shared), Some(key)) = (&self.cache, &list_key) {
                if let Some(hit) = shared.lists.lock().ok().and_then(|l| l.get(key).cloned()) {
                    return Ok(hit);
                }
            }
            let paths = self.packet_paths().map_err(|e| e.to_string())?;
            // A packet version (blob id) is parsed once per run.
            let one = |p: &String| -> Result<Option<Packet>, String> {
                let key = self
                    .cache
                    .as_ref()
                    .and_then(|_| self.files.blob_id(p))
                    .map(|id| (id, p.clone()));
                if let (Some(shared), Some(key)) = (&self.cache, &key) {
                    if let Some(hit) = shared.packets.lock().ok().and_then(|m| m.get(key).cloned())
                    {
                        return Ok(Some(hit));
                    }
                }
                let tf = match self.text(p) {
                    Ok(Some(tf)) => tf,
                    Ok(None) => return Ok(None),
                    Err(e) => return Err(e.to_string()),
                };
                let parsed = parse_packet(p, &tf.text, &self.policy.packet.fields);
                if let (Some(shared), Some(key)) = (&self.cache, key) {
                    if let Ok(mut m) = shared.packets.lock() {
                        m.insert(key, parsed.clone());
                    }
                }
                Ok(Some(parsed))
            };
            // Many packets: parse them on every core, in contiguous runs, kept in order.
            let results: Vec<Result<Option<Packet>, String>> =
                crate::in_order_runs(&paths, 16, |part| part.iter().map(one).collect::<Vec<_>>())
                    .into_iter()
                    .flatten()
                    .collect();
            let mut out = Vec::with_capacity(paths.len());
            for r in results {
                if let Some(p) = r? {
                    out.push(p);
                }
            }
            let out = Arc::new(out);
            if let (Some(shared), Some(key)) = (&self.cache, list_key) {
                if let Ok(mut l) = shared.lists.lock() {
                    l.insert(key, out.clone());
                }
            }
            Ok(out)
        });
        match res {
            Ok(v) => Ok(v.as_slice()),
            Err(msg) => Err(Error::Usage(msg.clone())),
        }
    }

    /// The packet with this id (TASK_ID, or file stem when the field is missing).
    pub fn packet(&self, id: &str) -> Result<Option<&Packet>, Error> {
        Ok(self.packets()?.iter().find(|p| p.id == id))
    }
}

/// Id of a packet derived from its file name (`docs/task_packets/WP-1-X.md` → `WP-1-X`).
pub fn id_from_path(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.strip_suffix(".md").unwrap_or(name).to_string()
}
