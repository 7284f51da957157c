//! File sources over git: a commit's tree and the index, read lazily, as
//! [`crate::source::FileSource`]s.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

use git2::{ObjectType, Oid, Repository};

use crate::error::Error;
use crate::source::{FileSource, ParseCache};

use super::blob::read_blob;
use super::*;

/// Looks a path up component by component, comparing lossily decoded names.
fn lossy_lookup(repo: &Repository, root: git2::Tree<'_>, path: &str) -> Option<(Oid, u32)> {
    let mut tree = root;
    let mut parts = path.split('/').peekable();
    while let Some(part) = parts.next() {
        let (id, mode) = tree
            .iter()
            .find(|e| path_string(e.name_bytes()).0 == part)
            .map(|e| (e.id(), e.filemode() as u32))?;
        if parts.peek().is_none() {
            return Some((id, mode));
        }
        if mode != MODE_TREE {
            return None;
        }
        tree = repo.find_tree(id).ok()?;
    }
    None
}

/// A tree (looked up lazily) or an index (path → (blob id, mode)), with the shared
/// repository handle for reading.
pub(super) struct Files {
    pub(super) shared: Arc<Shared>,
    pub(super) kind: Kind,
}

pub(super) enum Kind {
    Tree(Oid),
    /// An index as read by libgit2 (when wpgate's reader stepped aside).
    Index(BTreeMap<String, (Oid, u32)>),
    /// An index as read by wpgate's reader.
    Raw(Arc<RawIndex>),
}

impl Files {
    fn repo(&self, what: &str) -> Result<std::sync::MutexGuard<'_, Repository>, Error> {
        self.shared
            .repo
            .lock()
            .map_err(|_| Error::git(format!("repository handle poisoned while reading {what}")))
    }

    /// (blob id, mode) of a path; `None` when absent or a directory.
    fn entry(&self, path: &str) -> Option<(Oid, u32)> {
        match &self.kind {
            Kind::Index(entries) => entries.get(path).copied(),
            Kind::Raw(raw) => raw.get(path),
            Kind::Tree(tree) => {
                if path.is_empty() {
                    return None;
                }
                let repo = self.repo(path).ok()?;
                let tree = repo.find_tree(*tree).ok()?;
                let (id, mode) = match tree.get_path(Path::new(path)) {
                    Ok(e) => (e.id(), e.filemode() as u32),
                    // A non-UTF-8 path is carried in its lossy form: match names lossily.
                    Err(_) if path.contains('\u{fffd}') => lossy_lookup(&repo, tree, path)?,
                    Err(_) => return None,
                };
                if mode == MODE_TREE {
                    return None;
                }
                Some((id, mode))
            }
        }
    }

    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, Error> {
        let Some((oid, mode)) = self.entry(path) else {
            return Ok(None);
        };
        if mode == MODE_GITLINK {
            return Ok(None);
        }
        if mode == MODE_SYMLINK {
            // The blob is the link's target text: neither the file nor safe to follow.
            return Err(Error::governance(
                path,
                "is a symbolic link in git (mode 120000); wpgate reads governance files only as regular files",
            ));
        }
        if let Some(hit) = self
            .shared
            .big
            .lock()
            .ok()
            .and_then(|b| b.get(&oid).cloned())
        {
            return Ok(Some(hit.to_vec()));
        }
        let repo = self.repo(path)?;
        let bytes = read_blob(&repo, &self.shared.git_dir, oid, path)?;
        drop(repo);
        if bytes.len() >= BIG_BLOB {
            if let Ok(mut big) = self.shared.big.lock() {
                if big.len() < 16 {
                    big.insert(oid, Arc::from(bytes.as_slice()));
                }
            }
        }
        Ok(Some(bytes))
    }

    /// Tree id of a directory (the root tree for `""`).
    fn dir_id(&self, dir: &str) -> Option<Oid> {
        let Kind::Tree(root) = &self.kind else {
            return None;
        };
        let dir = dir.trim_matches('/');
        if dir.is_empty() {
            return Some(*root);
        }
        let repo = self.repo(dir).ok()?;
        let tree = repo.find_tree(*root).ok()?;
        let e = tree.get_path(Path::new(dir)).ok()?;
        (e.kind() == Some(ObjectType::Tree)).then(|| e.id())
    }

    fn list(&self, dir: &str) -> Result<Vec<String>, Error> {
        let dir = dir.trim_matches('/');
        let prefix = format!("{dir}/");
        match &self.kind {
            Kind::Index(entries) => Ok(entries
                .range::<str, _>((
                    std::ops::Bound::Included(if dir.is_empty() { "" } else { prefix.as_str() }),
                    std::ops::Bound::Unbounded,
                ))
                .take_while(|(p, _)| dir.is_empty() || p.starts_with(&prefix))
                .filter(|(_, (_, mode))| *mode != MODE_GITLINK)
                .map(|(p, _)| p.clone())
                .collect()),
            Kind::Raw(raw) => Ok(raw.list(dir)),
            Kind::Tree(_) => {
                let Some(id) = self.dir_id(dir) else {
                    return Ok(Vec::new());
                };
                let key = (id, dir.to_string());
                if let Ok(lists) = self.shared.lists.lock() {
                    if let Some(hit) = lists.get(&key) {
                        return Ok(hit.as_ref().clone());
                    }
                }
                let repo = self.repo(dir)?;
                let tree = repo
                    .find_tree(id)
                    .map_err(|e| gerr(format!("cannot read tree {id} ({dir})"), e))?;
                let base = if dir.is_empty() {
                    String::new()
                } else {
                    prefix
                };
                let mut out = Vec::new();
                tree.walk(git2::TreeWalkMode::PreOrder, |sub, entry| {
                    let mode = entry.filemode() as u32;
                    if mode == MODE_TREE
                        || mode == MODE_GITLINK
                        || entry.kind() == Some(ObjectType::Tree)
                    {
                        return git2::TreeWalkResult::Ok;
                    }
                    let (name, _) = path_string(entry.name_bytes());
                    out.push(format!("{base}{sub}{name}"));
                    git2::TreeWalkResult::Ok
                })
                .map_err(|e| gerr(format!("cannot list {dir}"), e))?;
                drop(tree);
                drop(repo);
                out.sort();
                if let Ok(mut lists) = self.shared.lists.lock() {
                    lists.insert(key, Arc::new(out.clone()));
                }
                Ok(out)
            }
        }
    }
}

/// A [`FileSource`] over a commit's tree. Gitlinks read as `None` and are not listed;
/// reading a symlink is an error (exit 2).
pub struct TreeSource {
    files: Files,
    describe: String,
}

impl TreeSource {
    /// Git mode of a path (`None` when absent).
    pub fn mode(&self, path: &str) -> Option<u32> {
        self.files.entry(path).map(|e| e.1)
    }
}

impl FileSource for TreeSource {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, Error> {
        self.files.read(path)
    }
    fn blob_id(&self, path: &str) -> Option<String> {
        self.files.entry(path).map(|e| e.0.to_string())
    }
    fn list(&self, dir: &str) -> Result<Vec<String>, Error> {
        self.files.list(dir)
    }
    fn describe(&self) -> String {
        self.describe.clone()
    }
    fn dir_id(&self, dir: &str) -> Option<String> {
        self.files.dir_id(dir).map(|o| o.to_string())
    }
    fn parse_cache(&self) -> Option<Arc<ParseCache>> {
        Some(self.files.shared.cache.clone())
    }
}

/// A [`FileSource`] over the staged index. Gitlinks read as `None` and are not listed;
/// reading a symlink is an error (exit 2).
pub struct IndexSource {
    pub(super) files: Files,
}

impl IndexSource {
    /// Git mode of a path (`None` when absent).
    pub fn mode(&self, path: &str) -> Option<u32> {
        self.files.entry(path).map(|e| e.1)
    }
}

impl FileSource for IndexSource {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, Error> {
        self.files.read(path)
    }
    fn blob_id(&self, path: &str) -> Option<String> {
        self.files.entry(path).map(|e| e.0.to_string())
    }
    fn list(&self, dir: &str) -> Result<Vec<String>, Error> {
        self.files.list(dir)
    }
    fn describe(&self) -> String {
        "staged index".to_string()
    }
    fn parse_cache(&self) -> Option<Arc<ParseCache>> {
        Some(self.files.shared.cache.clone())
    }
}

impl Repo {
    /// The files of a commit's tree (`rev` may name a commit, tag or tree). Lazy: paths are
    /// looked up in the tree when asked for, and directories listed (once per tree id)
    /// only when a rule lists them.
    pub fn tree_source(&self, rev: &str) -> Result<TreeSource, Error> {
        let obj = self
            .repo
            .revparse_single(rev)
            .map_err(|e| gerr(format!("cannot resolve `{rev}`"), e))?;
        let tree = obj
            .peel_to_tree()
            .map_err(|e| gerr(format!("`{rev}` has no tree"), e))?;
        let short = obj
            .peel_to_commit()
            .map(|c| c.id().to_string()[..7].to_string())
            .unwrap_or_else(|_| tree.id().to_string()[..7].to_string());
        let describe = if rev == short || rev.len() >= 40 {
            format!("commit {short}")
        } else {
            format!("{rev} ({short})")
        };
        Ok(TreeSource {
            files: Files {
                shared: self.shared()?,
                kind: Kind::Tree(tree.id()),
            },
            describe,
        })
    }

    pub(super) fn shared(&self) -> Result<Arc<Shared>, Error> {
        if let Some(s) = self.shared.get() {
            return Ok(s.clone());
        }
        let s = Arc::new(Shared {
            repo: Mutex::new(self.reopen()?),
            git_dir: self.git_dir.clone(),
            lists: Mutex::new(HashMap::new()),
            big: Mutex::new(HashMap::new()),
            cache: Arc::new(ParseCache::default()),
        });
        Ok(self.shared.get_or_init(|| s).clone())
    }

    /// The files of the staged index (stage 0; for a conflicted path, "ours" = stage 2).
    pub fn index_source(&self) -> Result<IndexSource, Error> {
        if let Some(raw) = self.read_raw_index() {
            return Ok(IndexSource {
                files: Files {
                    shared: self.shared()?,
                    kind: Kind::Raw(Arc::new(raw)),
                },
            });
        }
        let index = self.read_index()?;
        self.source_of_index(&index)
    }

    pub(super) fn source_of_index(&self, index: &git2::Index) -> Result<IndexSource, Error> {
        let mut entries = BTreeMap::new();
        let mut conflicted: BTreeMap<String, (Oid, u32)> = BTreeMap::new();
        for e in index.iter() {
            let stage = (e.flags >> 12) & 0x3;
            let (path, _) = path_string(&e.path);
            match stage {
                0 => {
                    entries.insert(path, (e.id, e.mode));
                }
                2 => {
                    conflicted.insert(path, (e.id, e.mode));
                }
                _ => {}
            }
        }
        for (p, v) in conflicted {
            entries.entry(p).or_insert(v);
        }
        Ok(IndexSource {
            files: Files {
                shared: self.shared()?,
                kind: Kind::Index(entries),
            },
        })
    }
}
