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
