//! The governance view of one repository state: its policy and its files, each document
//! decoded and parsed at most once per run.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use super::{FileSource, ParseCache};
use crate::error::Error;
use crate::model::packet::discovery::{Entry, Index, Lookup, Roots};
use crate::model::packet::{parse_packet, structured, Field, Format, Packet};
use crate::model::text::TextFile;
use crate::policy::Policy;

/// The governance view of one repository state.
pub struct Workspace<'a> {
    pub policy: &'a Policy,
    pub files: &'a dyn FileSource,
    packets: OnceLock<Result<Arc<Vec<Packet>>, String>>,
    index: OnceLock<Result<Arc<Index>, String>>,
    /// Packets read one at a time ([`Workspace::packet`]), by identity.
    loaded: Mutex<HashMap<String, Arc<Packet>>>,
    texts: Mutex<HashMap<String, Option<TextFile>>>,
    cache: Option<Arc<ParseCache>>,
}

impl<'a> Workspace<'a> {
    pub fn new(policy: &'a Policy, files: &'a dyn FileSource) -> Self {
        Workspace {
            policy,
            files,
            packets: OnceLock::new(),
            index: OnceLock::new(),
            loaded: Mutex::new(HashMap::new()),
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

    /// The packet index of this state: which files are packets, their identity, kind,
    /// projection, twins and microtask files (from paths alone, see
    /// [`crate::model::packet::discovery`]).
    pub fn index(&self) -> Result<Arc<Index>, Error> {
        let res = self.index.get_or_init(|| {
            let dirs = top_dirs(self.policy.packet_dirs());
            // The same directories (same tree ids) give the same index: reused.
            let key = self.index_key();
            if let (Some(shared), Some(key)) = (&self.cache, &key) {
                if let Some(hit) = shared.indexes.lock().ok().and_then(|l| l.get(key).cloned()) {
                    return Ok(hit);
                }
            }
            let roots = Roots::new(self.policy).map_err(|e| e.to_string())?;
            let mut paths = Vec::new();
            for d in &dirs {
                paths.extend(self.files.list(d).map_err(|e| e.to_string())?);
            }
            let index = Arc::new(roots.index(&paths));
            if let (Some(shared), Some(key)) = (&self.cache, key) {
                if let Ok(mut l) = shared.indexes.lock() {
                    l.insert(key, index.clone());
                }
            }
            Ok(index)
        });
        match res {
            Ok(v) => Ok(v.clone()),
            Err(msg) => Err(Error::Usage(msg.clone())),
        }
    }

    /// Contract paths of all packets (sorted).
    pub fn packet_paths(&self) -> Result<Vec<String>, Error> {
        Ok(self
            .index()?
            .entries
            .iter()
            .map(|e| e.contract.clone())
            .collect())
    }

    /// Reads one packet of the index: its contract (Markdown, or structured by the
    /// policy's pointers), its identity and kind, its projection and twins, its
    /// microtasks, with the scope path aliases applied. Parsed once per run for the same
    /// file versions.
    pub fn load(&self, e: &Entry) -> Result<Arc<Packet>, Error> {
        let key = self.cache.as_ref().and_then(|_| {
            e.files()
                .map(|f| self.files.blob_id(f))
                .collect::<Option<Vec<_>>>()
                .map(|v| v.join("+"))
        });
        if let (Some(shared), Some(key)) = (&self.cache, &key) {
            if let Some(hit) = shared.packet(key, &e.contract) {
                return Ok(hit);
            }
        }
        let Some(tf) = self.text(&e.contract)? else {
            return Err(Error::governance(&e.contract, "listed but cannot be read"));
        };
        let mut p = if e.format.is_structured() {
            structured::read_packet(&e.contract, &tf.text, e.format, self.policy)
                .map_err(|d| Error::governance(&e.contract, d.to_string()))?
        } else {
            parse_packet(&e.contract, &tf.text, &self.policy.packet.fields)
        };
        p.id = e.id.clone();
        if self.policy.packet.identity == "field" {
            if let Some(t) = p.task_id.as_ref().map(|t| t.value.clone()) {
                if !t.is_empty() {
                    p.id = t;
                }
            }
        }
        p.kind = e.kind;
        p.projection = e.projection.clone();
        p.twins = e.twins.clone();
        for m in &e.microtasks {
            let Some(mt) = self.text(&m.path)? else {
                continue;
            };
            let format = Format::of_path(&m.path);
            let mut task = if format.is_structured() {
                structured::read_microtask(
                    &m.path,
                    &mt.text,
                    format,
                    &self.policy.packet.microtasks.pointers,
                )
                .map_err(|d| Error::governance(&m.path, d.to_string()))?
            } else {
                structured::microtask_from_markdown(&m.path, &mt.text, self.policy)
            };
            task.projection = m.projection.clone();
            p.microtasks.push(task);
        }
        apply_path_aliases(&mut p, &self.policy.scope.path_aliases);
        let p = Arc::new(p);
        if let (Some(shared), Some(key)) = (&self.cache, key) {
            shared.store_packet(&key, &p);
        }
        Ok(p)
    }

    /// All packets, parsed once.
    pub fn packets(&self) -> Result<&[Packet], Error> {
        let res = self.packets.get_or_init(|| {
            // The same packet directories (same tree ids): the list read for an earlier
            // source of this run (the commit before, the trusted base) is reused.
            let key = self.index_key();
            if let (Some(shared), Some(key)) = (&self.cache, &key) {
                if let Some(hit) = shared.lists.lock().ok().and_then(|l| l.get(key).cloned()) {
                    return Ok(hit);
                }
            }
            let index = self.index().map_err(|e| e.to_string())?;
            let one = |e: &Entry| -> Result<Packet, String> {
                if let Some(hit) = self.loaded.lock().ok().and_then(|c| c.get(&e.id).cloned()) {
                    return Ok(hit.as_ref().clone());
                }
                self.load(e)
                    .map(|p| p.as_ref().clone())
                    .map_err(|e| e.to_string())
            };
            // Many packets: parse them on every core, in contiguous runs, kept in order.
            let results: Vec<Result<Packet, String>> =
                crate::in_order_runs(&index.entries, 16, |part| {
                    part.iter().map(one).collect::<Vec<_>>()
                })
                .into_iter()
                .flatten()
                .collect();
            let mut out = Vec::with_capacity(results.len());
            for r in results {
                out.push(r?);
            }
            let out = Arc::new(out);
            if let (Some(shared), Some(key)) = (&self.cache, key) {
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

    /// The packet with this identity, reading only that packet's files.
    pub fn packet(&self, id: &str) -> Result<Option<Arc<Packet>>, Error> {
        if let Some(hit) = self.loaded.lock().ok().and_then(|c| c.get(id).cloned()) {
            return Ok(Some(hit));
        }
        if self.policy.packet.identity == "field" {
            return Ok(self
                .packets()?
                .iter()
                .find(|p| p.id == id)
                .cloned()
                .map(Arc::new));
        }
        let index = self.index()?;
        let Some(e) = index.get(id) else {
            return Ok(None);
        };
        let p = self.load(e)?;
        if let Ok(mut c) = self.loaded.lock() {
            c.insert(id.to_string(), p.clone());
        }
        Ok(Some(p))
    }

    /// Alias → the ids of the packets that declare it. Reading aliases parses every
    /// packet, so the map is built once per packet-directory state and run (a range
    /// whose commits name short ids shares it).
    fn aliases(&self) -> Result<Arc<super::AliasMap>, Error> {
        let key = self.index_key();
        if let (Some(shared), Some(key)) = (&self.cache, &key) {
            if let Some(hit) = shared.aliases.lock().ok().and_then(|m| m.get(key).cloned()) {
                return Ok(hit);
            }
        }
        let mut map = super::AliasMap::new();
        for p in self.packets()? {
            for a in &p.aliases {
                let ids = map.entry(a.value.clone()).or_default();
                if !ids.contains(&p.id) {
                    ids.push(p.id.clone());
                }
            }
        }
        let map = Arc::new(map);
        if let (Some(shared), Some(key)) = (&self.cache, key) {
            if let Ok(mut m) = shared.aliases.lock() {
                m.insert(key, map.clone());
            }
        }
        Ok(map)
    }

    /// The tree ids of the packet directories, when the source knows them: what the
    /// index (and everything derived from the packet files) of this state is keyed by.
    fn index_key(&self) -> Option<String> {
        self.cache.as_ref()?;
        top_dirs(self.policy.packet_dirs())
            .iter()
            .map(|d| self.files.dir_id(d).map(|id| format!("{d}={id}")))
            .collect::<Option<Vec<_>>>()
            .map(|v| v.join("\n"))
    }

    /// Resolves a packet reference as a change or a command names it: the exact identity;
    /// else a declared alias (`packet.pointers.aliases`); else, with
    /// `binding.resolve_prefixes`, a short id that is the prefix (up to a `-`) of exactly
    /// one packet id. Several matches are [`Resolved::Ambiguous`], never a guess.
    pub fn lookup(&self, reference: &str) -> Result<Resolved, Error> {
        let reference = reference.trim();
        if let Some(p) = self.packet(reference)? {
            return Ok(Resolved::Found(p));
        }
        match self.aliases()?.get(reference).map(Vec::as_slice) {
            Some([one]) => {
                if let Some(p) = self.packet(one)? {
                    return Ok(Resolved::Found(p));
                }
            }
            Some(many) if !many.is_empty() => return Ok(Resolved::Ambiguous(many.to_vec())),
            _ => {}
        }
        if self.policy.binding.resolve_prefixes {
            let index = self.index()?;
            match index.by_prefix(reference) {
                Lookup::Found(e) => {
                    if let Some(p) = self.packet(&e.id.clone())? {
                        return Ok(Resolved::Found(p));
                    }
                }
                Lookup::Ambiguous(ids) => return Ok(Resolved::Ambiguous(ids)),
                Lookup::Missing => {}
            }
        }
        Ok(Resolved::Missing)
    }
}

/// How a packet reference resolved.
#[derive(Debug, Clone)]
pub enum Resolved {
    Found(Arc<Packet>),
    /// Several packets answer to the reference: their ids.
    Ambiguous(Vec<String>),
    Missing,
}

/// Directories that are not inside another one of the list (each is listed once).
fn top_dirs(mut dirs: Vec<String>) -> Vec<String> {
    dirs.sort();
    let mut out: Vec<String> = Vec::new();
    for d in dirs {
        let inside = out
            .iter()
            .any(|o| o.is_empty() || d == *o || d.starts_with(&format!("{o}/")));
        if !inside {
            out.push(d);
        }
    }
    out
}

/// Rewrites scope entries by `scope.path_aliases` (longest prefix first).
fn apply_path_aliases(p: &mut Packet, aliases: &std::collections::BTreeMap<String, String>) {
    if aliases.is_empty() {
        return;
    }
    let mut by_len: Vec<(&String, &String)> = aliases.iter().collect();
    by_len.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
    let rewrite = |f: &mut Field<String>| {
        let v = f.value.trim_start_matches('`');
        for (from, to) in &by_len {
            if let Some(rest) = v.strip_prefix(from.as_str()) {
                f.value = format!("{to}{rest}");
                return;
            }
        }
    };
    p.in_scope_paths.iter_mut().for_each(rewrite);
    p.out_of_scope.iter_mut().for_each(rewrite);
    for m in &mut p.microtasks {
        m.in_scope_paths.iter_mut().for_each(rewrite);
        m.out_of_scope.iter_mut().for_each(rewrite);
    }
}
