//! The work tree on disk as a [`FileSource`].

use std::path::{Path, PathBuf};

use super::FileSource;
use crate::error::Error;

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

impl WorkTree {
    /// Opens a regular file inside the work tree, refusing anything else (see
    /// [`FileSource`]): `None` when absent.
    fn open_regular(&self, path: &str) -> Result<Option<(std::fs::File, u64)>, Error> {
        let refuse = |why: &str| Err(Error::governance(path, why.to_string()));
        let rel = Path::new(path);
        if path.is_empty()
            || !rel
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)))
        {
            return refuse("not a plain path inside the repository (absolute, `..` or `.`); wpgate reads only files inside it");
        }
        // Every component, so that `docs -> /etc` cannot lead out of the repository.
        let mut p = self.root.clone();
        let mut parts = rel.components().peekable();
        while let Some(c) = parts.next() {
            p.push(c);
            let last = parts.peek().is_none();
            let meta = match std::fs::symlink_metadata(&p) {
                Ok(m) => m,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => {
                    return Err(Error::Io {
                        path: path.to_string(),
                        source: e,
                    })
                }
            };
            let ft = meta.file_type();
            if ft.is_symlink() {
                let what = p
                    .strip_prefix(&self.root)
                    .unwrap_or(&p)
                    .display()
                    .to_string();
                return refuse(&format!(
                    "{what} is a symbolic link; wpgate does not follow links (the target may lie outside the repository)"
                ));
            }
            if !last {
                if !ft.is_dir() {
                    return Err(Error::Io {
                        path: path.to_string(),
                        source: std::io::Error::other("a parent of this path is not a directory"),
                    });
                }
                continue;
            }
            if ft.is_dir() {
                return Err(Error::Io {
                    path: path.to_string(),
                    source: std::io::Error::other("a directory stands where a file is expected"),
                });
            }
            if !ft.is_file() {
                return refuse("not a regular file (a device, FIFO or socket)");
            }
        }
        let file = std::fs::File::open(&p).map_err(|e| Error::Io {
            path: path.to_string(),
            source: e,
        })?;
        // What was opened, not what was looked at: a swap in between is caught here.
        let meta = file.metadata().map_err(|e| Error::Io {
            path: path.to_string(),
            source: e,
        })?;
        if !meta.is_file() {
            return refuse("not a regular file (a device, FIFO or socket)");
        }
        Ok(Some((file, meta.len())))
    }

    fn read_capped(&self, path: &str, max_bytes: u64) -> Result<Option<Vec<u8>>, Error> {
        use std::io::Read as _;
        let Some((file, len)) = self.open_regular(path)? else {
            return Ok(None);
        };
        super::check_size(path, len, max_bytes)?;
        let mut out = Vec::with_capacity(len.min(max_bytes) as usize);
        file.take(max_bytes.saturating_add(1))
            .read_to_end(&mut out)
            .map_err(|e| Error::Io {
                path: path.to_string(),
                source: e,
            })?;
        super::check_size(path, out.len() as u64, max_bytes)?;
        Ok(Some(out))
    }
}

impl FileSource for WorkTree {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, Error> {
        self.read_capped(path, u64::MAX - 1)
    }

    fn read_limited(&self, path: &str, max_bytes: u64) -> Result<Option<Vec<u8>>, Error> {
        self.read_capped(path, max_bytes)
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
