//! The governance view of one repository state: its policy and its files, each document
//! decoded and parsed at most once per run.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use super::{FileSource, ParseCache};
use crate::error::Error;
use crate::model::packet::{parse_packet, Packet};
use crate::model::text::TextFile;
use crate::policy::Policy;

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
            .read_limited(path, self.policy.limits.max_governance_bytes)?
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

    /// The path a layout entry names in this source: the first candidate that exists, else
    /// the first (which a check then reports missing). A candidate that cannot be read
    /// (a symlink, say) is chosen, so the read that follows fails closed naming it.
    pub fn resolve(&self, c: &crate::policy::Candidates) -> String {
        if c.all().len() > 1 {
            for p in c.all() {
                if self.files.exists(p).unwrap_or(true) {
                    return p.clone();
                }
            }
        }
        c.primary().to_string()
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
