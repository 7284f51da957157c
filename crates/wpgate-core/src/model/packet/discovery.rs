//! Which files are packets: the packet index of one repository state, built from file
//! paths alone (nothing is read or parsed), so that finding one packet costs a listing.
//!
//! A file is a packet file when it matches an `include` glob of a packet root (and none
//! of its `exclude` globs); the first root it matches gives its kind. Its identity is its
//! folder's name when its file name is one of `packet.folder_files` (a folder packet,
//! `WP-1-Foo/packet.json`), else its name without the first matching `id_suffixes`
//! entry (`WP-1-Foo.md`, `stubs/WP-1-Foo.contract.json`).
//!
//! Files of one identity form one packet. Its *contract* (the authority) is chosen by,
//! in order: the earlier root; a folder packet over a flat file; a structured file (TOML,
//! JSON) over Markdown; the order of `folder_files`. A Markdown file of the same identity
//! in the contract's own directory is its *projection* (when `packet.projections` is on
//! and the contract is structured); every other file of the identity is a *twin* the
//! contract takes precedence over (a legacy flat file beside its folder, the stub of an
//! activated packet). A projection or a twin is never a second packet.
//!
//! Microtasks are the files of a folder packet's folder whose names match
//! `packet.microtasks.files`; a Markdown microtask beside a structured one of the same
//! stem is its projection.

use std::collections::HashMap;

use super::Format;
use crate::error::Error;
use crate::policy::{PacketKind, Policy};

/// One microtask file of a folder packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MicrotaskFile {
    /// The file stem (`MT-183`).
    pub stem: String,
    pub path: String,
    pub projection: Option<String>,
}

/// One packet of the index: its identity and files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: String,
    pub kind: PacketKind,
    /// The authority file.
    pub contract: String,
    pub format: Format,
    pub projection: Option<String>,
    pub twins: Vec<String>,
    /// The folder of a folder packet.
    pub folder: Option<String>,
    pub microtasks: Vec<MicrotaskFile>,
}

impl Entry {
    /// Every file of the packet: contract, projection, twins and microtask files.
    pub fn files(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.contract.as_str())
            .chain(self.projection.as_deref())
            .chain(self.twins.iter().map(String::as_str))
            .chain(
                self.microtasks
                    .iter()
                    .flat_map(|m| std::iter::once(m.path.as_str()).chain(m.projection.as_deref())),
            )
    }
}

/// The packets of one repository state, by identity.
#[derive(Debug, Clone, Default)]
pub struct Index {
    /// Sorted by contract path.
    pub entries: Vec<Entry>,
    by_id: HashMap<String, usize>,
    /// File path → entry index, for every file of every packet.
    by_file: HashMap<String, usize>,
}

/// The identity a packet file's path gives it (see the module docs).
pub fn identity_of<S: AsRef<str>, T: AsRef<str>>(
    path: &str,
    folder_files: &[S],
    suffixes: &[T],
) -> String {
    let mut parts = path.rsplit('/');
    let name = parts.next().unwrap_or(path);
    if folder_files.iter().any(|f| f.as_ref() == name) {
        if let Some(folder) = parts.next() {
            return folder.to_string();
        }
    }
    let lower = name.to_ascii_lowercase();
    for suf in suffixes {
        let suf = suf.as_ref();
        if lower.ends_with(&suf.to_ascii_lowercase()) && name.len() > suf.len() {
            if let Some(stem) = name.get(..name.len() - suf.len()) {
                return stem.to_string();
            }
        }
    }
    name.to_string()
}

struct Matchers {
    include: Vec<globset::GlobMatcher>,
    exclude: Vec<globset::GlobMatcher>,
    kind: PacketKind,
}

fn compile(pattern: &str, key: &str) -> Result<globset::GlobMatcher, Error> {
    crate::glob::cached_path_matcher(pattern)
        .ok_or_else(|| Error::Usage(format!("policy {key}: `{pattern}` is not a valid glob")))
}

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

fn name_of(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A packet root matcher set, compiled once per policy.
pub struct Roots {
    roots: Vec<Matchers>,
    microtasks: Vec<globset::GlobMatcher>,
    folder_files: Vec<String>,
    suffixes: Vec<String>,
    projections: bool,
}

impl Roots {
    pub fn new(policy: &Policy) -> Result<Roots, Error> {
        let mut roots = Vec::new();
        for root in policy.layout.roots() {
            roots.push(Matchers {
                include: root
                    .include
                    .iter()
                    .map(|g| compile(g, "layout.packet_roots include"))
                    .collect::<Result<_, _>>()?,
                exclude: root
                    .exclude
                    .iter()
                    .map(|g| compile(g, "layout.packet_roots exclude"))
                    .collect::<Result<_, _>>()?,
                kind: root.kind,
            });
        }
        let microtasks = policy
            .packet
            .microtasks
            .files
            .iter()
            .map(|g| compile(g, "packet.microtasks.files"))
            .collect::<Result<_, _>>()?;
        Ok(Roots {
            roots,
            microtasks,
            folder_files: policy.packet.folder_files.clone(),
            suffixes: policy.packet.id_suffixes.clone(),
            projections: policy.packet.projections,
        })
    }

    /// The root (index, kind) a path belongs to, if it is a packet file.
    pub fn root_of(&self, path: &str) -> Option<(usize, PacketKind)> {
        self.roots.iter().enumerate().find_map(|(i, r)| {
            (r.include.iter().any(|m| m.is_match(path))
                && !r.exclude.iter().any(|m| m.is_match(path)))
            .then_some((i, r.kind))
        })
    }

    fn is_folder_file(&self, path: &str) -> bool {
        let name = name_of(path);
        self.folder_files.iter().any(|f| f == name) && path.contains('/')
    }

    /// Builds the index from the files below the packet directories (any order).
    pub fn index(&self, paths: &[String]) -> Index {
        struct Cand<'a> {
            path: &'a str,
            root: usize,
            kind: PacketKind,
            folder: bool,
            format: Format,
            rank: usize,
        }
        let mut groups: HashMap<String, Vec<Cand>> = HashMap::new();
        let mut order: Vec<String> = Vec::new();
        for p in paths {
            let Some((root, kind)) = self.root_of(p) else {
                continue;
            };
            let folder = self.is_folder_file(p);
            let id = identity_of(p, &self.folder_files, &self.suffixes);
            if id.is_empty() {
                continue;
            }
            let format = Format::of_path(p);
            let rank = if folder {
                self.folder_files
                    .iter()
                    .position(|f| f == name_of(p))
                    .unwrap_or(usize::MAX)
            } else {
                usize::MAX
            };
            let g = groups.entry(id.clone()).or_default();
            if g.is_empty() {
                order.push(id);
            }
            g.push(Cand {
                path: p,
                root,
                kind,
                folder,
                format,
                rank,
            });
        }
        let mut entries = Vec::with_capacity(order.len());
        for id in order {
            let Some(mut cands) = groups.remove(&id) else {
                continue;
            };
            cands.sort_by(|a, b| {
                (a.root, !a.folder, !a.format.is_structured(), a.rank, a.path).cmp(&(
                    b.root,
                    !b.folder,
                    !b.format.is_structured(),
                    b.rank,
                    b.path,
                ))
            });
            let head = &cands[0];
            let contract = head.path.to_string();
            let dir = dir_of(head.path);
            let mut projection = None;
            let mut twins = Vec::new();
            for c in &cands[1..] {
                let is_projection = self.projections
                    && projection.is_none()
                    && head.format.is_structured()
                    && c.format == Format::Markdown
                    && dir_of(c.path) == dir
                    && c.folder == head.folder;
                if is_projection {
                    projection = Some(c.path.to_string());
                } else {
                    twins.push(c.path.to_string());
                }
            }
            entries.push(Entry {
                id,
                kind: head.kind,
                contract,
                format: head.format,
                projection,
                twins,
                folder: head.folder.then(|| dir.to_string()),
                microtasks: Vec::new(),
            });
        }
        entries.sort_by(|a, b| a.contract.cmp(&b.contract));
        // Microtask files: direct children of a folder packet's folder.
        let folders: HashMap<&str, usize> = entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.folder.as_deref().map(|f| (f, i)))
            .collect();
        let mut mts: Vec<(usize, &str)> = Vec::new();
        if !self.microtasks.is_empty() && !folders.is_empty() {
            for p in paths {
                let name = name_of(p);
                if !self.microtasks.iter().any(|m| m.is_match(name)) {
                    continue;
                }
                if let Some(&i) = folders.get(dir_of(p)) {
                    mts.push((i, p));
                }
            }
        }
        mts.sort();
        let mut per: HashMap<usize, Vec<MicrotaskFile>> = HashMap::new();
        for (i, p) in mts {
            let stem = identity_of::<&str, _>(p, &[], &self.suffixes);
            let list = per.entry(i).or_default();
            let format = Format::of_path(p);
            match list.iter_mut().find(|m| m.stem == stem) {
                Some(m) => {
                    // Structured is the contract, Markdown its projection.
                    if format.is_structured() && !Format::of_path(&m.path).is_structured() {
                        let old = std::mem::replace(&mut m.path, p.to_string());
                        m.projection = Some(old);
                    } else if m.projection.is_none() && format == Format::Markdown {
                        m.projection = Some(p.to_string());
                    }
                }
                None => list.push(MicrotaskFile {
                    stem,
                    path: p.to_string(),
                    projection: None,
                }),
            }
        }
        for (i, list) in per {
            if let Some(e) = entries.get_mut(i) {
                e.microtasks = list;
            }
        }
        let mut index = Index {
            entries,
            ..Index::default()
        };
        for (i, e) in index.entries.iter().enumerate() {
            index.by_id.insert(e.id.clone(), i);
            for f in e.files() {
                index.by_file.insert(f.to_string(), i);
            }
        }
        index
    }
}

/// How a packet reference resolved against the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<'a> {
    Found(&'a Entry),
    /// Several packets match a short id: their ids.
    Ambiguous(Vec<String>),
    Missing,
}

impl Index {
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.by_id.get(id).and_then(|&i| self.entries.get(i))
    }

    /// The packet a file belongs to (contract, projection, twin or microtask file).
    pub fn entry_of_file(&self, path: &str) -> Option<&Entry> {
        self.by_file.get(path).and_then(|&i| self.entries.get(i))
    }

    /// Packets whose id starts with `short` followed by `-` (`WP-KERNEL-009` →
    /// `WP-KERNEL-009-Project-Knowledge-Index-v1`).
    pub fn by_prefix(&self, short: &str) -> Lookup<'_> {
        let want = format!("{short}-");
        let hits: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| e.id.starts_with(&want))
            .collect();
        match hits.as_slice() {
            [] => Lookup::Missing,
            [one] => Lookup::Found(one),
            many => Lookup::Ambiguous(many.iter().map(|e| e.id.clone()).collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PacketRoot;

    fn policy(roots: &[(PacketKind, &[&str])]) -> Policy {
        let mut p = Policy::default();
        p.layout.packet_roots = roots
            .iter()
            .map(|(kind, inc)| PacketRoot {
                kind: *kind,
                include: inc.iter().map(|s| s.to_string()).collect(),
                exclude: vec![],
            })
            .collect();
        p
    }

    fn paths(ps: &[&str]) -> Vec<String> {
        ps.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn identity_is_the_stem_or_the_folder() {
        let d = crate::policy::PacketPolicy::default();
        let id = |p: &str| identity_of(p, &d.folder_files, &d.id_suffixes);
        assert_eq!(id("docs/task_packets/WP-1-X.md"), "WP-1-X");
        assert_eq!(id("g/WP-1-X/packet.json"), "WP-1-X");
        assert_eq!(id("g/stubs/WP-1-X.contract.json"), "WP-1-X");
        assert_eq!(id("g/WP-1-X.v2.toml"), "WP-1-X.v2");
        assert_eq!(id("packet.json"), "packet");
    }

    #[test]
    fn the_default_layout_is_flat_files_directly_in_the_packets_dir() {
        let r = Roots::new(&Policy::default()).expect("roots");
        let idx = r.index(&paths(&[
            "docs/task_packets/WP-1-A.md",
            "docs/task_packets/README.md",
            "docs/task_packets/sub/WP-1-B.md",
        ]));
        let ids: Vec<&str> = idx.entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["WP-1-A"]);
    }

    #[test]
    fn folder_contract_projection_twin_stub_and_microtasks() {
        let p = policy(&[
            (
                PacketKind::Active,
                &[
                    "gov/tp/WP-*/packet.json",
                    "gov/tp/WP-*/packet.md",
                    "gov/tp/WP-*.md",
                ],
            ),
            (
                PacketKind::Stub,
                &["gov/tp/stubs/WP-*.contract.json", "gov/tp/stubs/WP-*.md"],
            ),
        ]);
        let r = Roots::new(&p).expect("roots");
        let idx = r.index(&paths(&[
            "gov/tp/WP-1-A/packet.json",
            "gov/tp/WP-1-A/packet.md",
            "gov/tp/WP-1-A/MT-001.json",
            "gov/tp/WP-1-A/MT-001.md",
            "gov/tp/WP-1-A/MT-002.md",
            "gov/tp/WP-1-A/refinement.json",
            "gov/tp/WP-1-A.md",
            "gov/tp/stubs/WP-1-A.md",
            "gov/tp/stubs/WP-1-B.contract.json",
            "gov/tp/stubs/WP-1-B.md",
            "gov/tp/WP-1-C.md",
        ]));
        let a = idx.get("WP-1-A").expect("A");
        assert_eq!(a.contract, "gov/tp/WP-1-A/packet.json");
        assert_eq!(a.kind, PacketKind::Active);
        assert_eq!(a.format, Format::Json);
        assert_eq!(a.projection.as_deref(), Some("gov/tp/WP-1-A/packet.md"));
        assert_eq!(a.twins, ["gov/tp/WP-1-A.md", "gov/tp/stubs/WP-1-A.md"]);
        assert_eq!(a.folder.as_deref(), Some("gov/tp/WP-1-A"));
        assert_eq!(a.microtasks.len(), 2);
        assert_eq!(a.microtasks[0].path, "gov/tp/WP-1-A/MT-001.json");
        assert_eq!(
            a.microtasks[0].projection.as_deref(),
            Some("gov/tp/WP-1-A/MT-001.md")
        );
        assert_eq!(a.microtasks[1].path, "gov/tp/WP-1-A/MT-002.md");
        let b = idx.get("WP-1-B").expect("B");
        assert_eq!(b.kind, PacketKind::Stub);
        assert_eq!(b.contract, "gov/tp/stubs/WP-1-B.contract.json");
        assert_eq!(b.projection.as_deref(), Some("gov/tp/stubs/WP-1-B.md"));
        assert_eq!(idx.get("WP-1-C").map(|e| e.format), Some(Format::Markdown));
        assert_eq!(
            idx.entry_of_file("gov/tp/WP-1-A/MT-001.md")
                .map(|e| e.id.as_str()),
            Some("WP-1-A")
        );
        assert!(idx.entry_of_file("gov/tp/WP-1-A/refinement.json").is_none());
    }

    #[test]
    fn short_ids_resolve_only_when_unique_and_at_a_dash() {
        let r = Roots::new(&Policy::default()).expect("roots");
        let idx = r.index(&paths(&[
            "docs/task_packets/WP-K-009-Index-v1.md",
            "docs/task_packets/WP-K-010-Shell-v1.md",
            "docs/task_packets/WP-K-010-Shell-v2.md",
        ]));
        assert!(
            matches!(idx.by_prefix("WP-K-009"), Lookup::Found(e) if e.id == "WP-K-009-Index-v1")
        );
        assert!(matches!(idx.by_prefix("WP-K-00"), Lookup::Missing));
        assert_eq!(
            idx.by_prefix("WP-K-010-Shell"),
            Lookup::Ambiguous(vec!["WP-K-010-Shell-v1".into(), "WP-K-010-Shell-v2".into()])
        );
    }
}
