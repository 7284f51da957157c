//! The git layer: the only module that touches git. (Temporary stub of the model; the
//! implementation lands from the git-layer branch.)

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeStatus {
    Added,
    Modified,
    Deleted,
    Renamed,
    TypeChanged,
    Copied,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    pub status: ChangeStatus,
    pub old_path: Option<String>,
    pub new_path: Option<String>,
    pub old_id: Option<String>,
    pub new_id: Option<String>,
    pub old_mode: u32,
    pub new_mode: u32,
    pub non_utf8_path: bool,
}

impl FileChange {
    pub fn path(&self) -> &str {
        self.new_path
            .as_deref()
            .or(self.old_path.as_deref())
            .unwrap_or("")
    }
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        let old = match (&self.old_path, &self.new_path) {
            (Some(o), Some(n)) if o != n => Some(o.as_str()),
            (Some(o), None) => Some(o.as_str()),
            _ => None,
        };
        self.new_path.as_deref().into_iter().chain(old)
    }
}

#[derive(Debug, Clone, Default)]
pub struct ChangeSet {
    pub commit: Option<String>,
    pub parents: Vec<String>,
    pub message: Option<String>,
    pub author_email: Option<String>,
    pub time: Option<i64>,
    pub changes: Vec<FileChange>,
}

pub fn trailers(message: &str) -> Vec<(String, String)> {
    let para = message.trim_end().rsplit("\n\n").next().unwrap_or("");
    para.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            let k = k.trim();
            if k.is_empty() || k.contains(' ') {
                return None;
            }
            Some((k.to_string(), v.trim().to_string()))
        })
        .collect()
}

pub fn subject(message: &str) -> &str {
    message.lines().next().unwrap_or("")
}

/// The work tree root containing `start` (walks up to a directory holding `.git`).
pub fn work_root(start: &std::path::Path) -> Option<std::path::PathBuf> {
    let mut cur = Some(start);
    while let Some(d) = cur {
        if d.join(".git").exists() {
            return Some(d.to_path_buf());
        }
        cur = d.parent();
    }
    None
}
