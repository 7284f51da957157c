//! Scope patterns: IN_SCOPE_PATHS / OUT_OF_SCOPE entries and policy path lists compiled
//! to glob sets, once per packet per run.
//!
//! An entry is read as written, minus backticks and a leading `./`:
//! - `src/x/` (trailing slash) is a directory: everything below it;
//! - `migrations/*.sql` is a glob (`*` does not cross `/`, `**` does);
//! - `src/main.rs` is an exact path, and also a directory of that name if one exists;
//! - an entry with whitespace is prose, not a pattern (`packet.vague-scope` reports it).
//!
//! Exclusions fail closed: OUT_OF_SCOPE entries (and role deny lists, and the protected
//! policy paths) are matched on the [`fold`]ed path, so `src/API/evil.rs`, `src/api./x.rs`
//! or `café` spelt with a combining accent are excluded by `src/api/` and `café`: on a
//! case-insensitive or normalisation-insensitive file system (macOS, Windows) they are the
//! same file. IN_SCOPE_PATHS stays exact: a path it does not name as written is not in
//! scope.

use std::borrow::Cow;

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use unicode_normalization::UnicodeNormalization;

/// Code points HFS+ ignores in file names (git's `is_hfs_dotgit` list): `a\u{200C}pi`
/// and `api` name the same directory on macOS.
fn hfs_ignorable(c: char) -> bool {
    matches!(c, '\u{200C}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{206A}'..='\u{206F}' | '\u{FEFF}')
}

/// The form in which two paths that one common file system (macOS APFS/HFS+, Windows
/// NTFS) treats as the same file compare equal: Unicode canonical normalisation (NFC),
/// lower case, HFS+-ignorable code points removed, and trailing dots and spaces of each
/// component removed (Windows drops them: `api.` is `api`). Plain lower-case ASCII paths,
/// the usual case, are returned as they are, without allocating.
pub fn fold(path: &str) -> Cow<'_, str> {
    if is_folded_already(path.as_bytes()) {
        return Cow::Borrowed(path);
    }
    let lower: String = path
        .nfd()
        .filter(|c| !hfs_ignorable(*c))
        .flat_map(char::to_lowercase)
        .collect();
    let lower: String = lower.nfc().collect();
    let mut out = String::with_capacity(lower.len());
    for (i, c) in lower.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        if c == "." || c == ".." {
            out.push_str(c);
        } else {
            let t = c.trim_end_matches(['.', ' ']);
            // A component of only dots or spaces keeps its form.
            out.push_str(if t.is_empty() { c } else { t });
        }
    }
    Cow::Owned(out)
}

/// One pass over the bytes: plain lower-case ASCII with no component (longer than one
/// byte, other than `..`) ending in a dot or a space, i.e. what [`fold`] returns as is.
/// This runs for every path an exclusion looks at, so it allocates nothing and reads
/// each byte once.
fn is_folded_already(b: &[u8]) -> bool {
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        if c >= 0x80 || c.is_ascii_uppercase() {
            return false;
        }
        if c == b'/' {
            if ends_badly(&b[start..i]) {
                return false;
            }
            start = i + 1;
        }
    }
    !ends_badly(&b[start..])
}

/// A component that [`fold`] would trim (trailing dots or spaces, not `..`).
fn ends_badly(c: &[u8]) -> bool {
    c.len() > 1 && matches!(c.last(), Some(b'.') | Some(b' ')) && c != b".."
}

/// Is this scope entry a path pattern (as opposed to prose)?
pub fn is_pattern(entry: &str) -> bool {
    let e = clean(entry);
    !e.is_empty() && !e.chars().any(char::is_whitespace)
}

/// The entry without backticks, quotes and a leading `./`.
pub fn clean(entry: &str) -> &str {
    let e = entry.trim().trim_matches('`').trim_matches('"').trim();
    e.strip_prefix("./").unwrap_or(e)
}

/// `Glob::new(pattern)` compiled once per process: a matcher compiles to a regex DFA,
/// which costs more than checking a whole commit; range checks ask for the same few
/// policy globs (packet file glob, spec-update id pattern, OSS ignores) per commit.
/// `None` when the pattern is not a valid glob (policy validation reports that).
pub fn cached_matcher(pattern: &str) -> Option<globset::GlobMatcher> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<String, Option<globset::GlobMatcher>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(hit) = cache.lock().ok().and_then(|c| c.get(pattern).cloned()) {
        return hit;
    }
    let m = Glob::new(pattern).ok().map(|g| g.compile_matcher());
    if let Ok(mut c) = cache.lock() {
        c.insert(pattern.to_string(), m.clone());
    }
    m
}

/// [`cached_matcher`] for a repository-relative path glob: `*` stays within a segment,
/// `**` crosses segments (the semantics of scope entries and packet roots).
pub fn cached_path_matcher(pattern: &str) -> Option<globset::GlobMatcher> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<String, Option<globset::GlobMatcher>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(hit) = cache.lock().ok().and_then(|c| c.get(pattern).cloned()) {
        return hit;
    }
    let m = glob(pattern).ok().map(|g| g.compile_matcher());
    if let Ok(mut c) = cache.lock() {
        c.insert(pattern.to_string(), m.clone());
    }
    m
}

/// The literal directory a path glob starts with: its segments before the first one with
/// a glob metacharacter, without the last segment (`a/b/WP-*/packet.json` → `a/b`,
/// `a/b/c.md` → `a/b`, `*.md` → ``).
pub fn literal_dir(pattern: &str) -> String {
    let p = pattern.trim_start_matches("./").trim_matches('/');
    let segs: Vec<&str> = p.split('/').collect();
    let mut out: Vec<&str> = Vec::new();
    for (i, seg) in segs.iter().enumerate() {
        if i + 1 == segs.len() || seg.contains(['*', '?', '[', '{', '\\']) {
            break;
        }
        out.push(seg);
    }
    out.join("/")
}

fn glob(pattern: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
}

/// The globs one scope entry stands for (empty for prose).
pub fn entry_globs(entry: &str) -> Vec<String> {
    if !is_pattern(entry) {
        return Vec::new();
    }
    let e = clean(entry);
    if let Some(dir) = e.strip_suffix('/') {
        if dir.is_empty() {
            return vec!["**".into()];
        }
        return vec![format!("{dir}/**")];
    }
    let has_meta = e.contains(['*', '?', '[', '{']);
    if has_meta {
        if let Some(dir) = e.strip_suffix("/*") {
            // `bundles/*` is commonly meant as "the bundles directory".
            return vec![e.to_string(), format!("{dir}/**")];
        }
        return vec![e.to_string()];
    }
    vec![e.to_string(), format!("{e}/**")]
}

/// A compiled set of path patterns.
#[derive(Debug, Clone)]
pub struct PathSet {
    set: GlobSet,
    /// Pattern index → the entry it came from.
    origin: Vec<usize>,
    pub entries: Vec<String>,
    /// Patterns compiled [`fold`]ed, and paths folded before matching (exclusions).
    folded: bool,
}

impl PathSet {
    /// Compiles scope entries (prose is skipped); entries whose glob does not parse are
    /// returned as errors `(entry, message)` and skipped.
    pub fn from_entries<S: AsRef<str>>(entries: &[S]) -> (PathSet, Vec<(String, String)>) {
        PathSet::entries_set(entries, false)
    }

    /// [`PathSet::from_entries`] for exclusions: matches [`fold`]ed paths (see the module
    /// documentation).
    pub fn from_entries_folded<S: AsRef<str>>(entries: &[S]) -> (PathSet, Vec<(String, String)>) {
        PathSet::entries_set(entries, true)
    }

    fn entries_set<S: AsRef<str>>(entries: &[S], folded: bool) -> (PathSet, Vec<(String, String)>) {
        let mut b = GlobSetBuilder::new();
        let mut origin = Vec::new();
        let mut bad = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            for g in entry_globs(e.as_ref()) {
                let g = if folded { fold(&g).into_owned() } else { g };
                match glob(&g) {
                    Ok(g) => {
                        b.add(g);
                        origin.push(i);
                    }
                    Err(err) => bad.push((e.as_ref().to_string(), err.to_string())),
                }
            }
        }
        let set = b.build().unwrap_or_else(|_| GlobSet::empty());
        (
            PathSet {
                set,
                origin,
                entries: entries.iter().map(|e| e.as_ref().to_string()).collect(),
                folded,
            },
            bad,
        )
    }

    /// Compiles policy globs as written (`docs/**`, `*.md`).
    pub fn from_globs<S: AsRef<str>>(globs: &[S]) -> PathSet {
        PathSet::globs_set(globs, false)
    }

    /// [`PathSet::from_globs`] for exclusions (role deny lists): matches [`fold`]ed paths.
    pub fn from_globs_folded<S: AsRef<str>>(globs: &[S]) -> PathSet {
        PathSet::globs_set(globs, true)
    }

    fn globs_set<S: AsRef<str>>(globs: &[S], folded: bool) -> PathSet {
        let mut b = GlobSetBuilder::new();
        let mut origin = Vec::new();
        for (i, g) in globs.iter().enumerate() {
            let g = if folded {
                fold(g.as_ref())
            } else {
                Cow::Borrowed(g.as_ref())
            };
            if let Ok(g) = glob(&g) {
                b.add(g);
                origin.push(i);
            }
        }
        PathSet {
            set: b.build().unwrap_or_else(|_| GlobSet::empty()),
            origin,
            entries: globs.iter().map(|e| e.as_ref().to_string()).collect(),
            folded,
        }
    }

    /// Does this set match folded paths?
    pub fn is_folded(&self) -> bool {
        self.folded
    }

    pub fn is_match(&self, path: &str) -> bool {
        if self.set.is_empty() {
            return false;
        }
        if self.folded {
            self.set.is_match(fold(path).as_ref())
        } else {
            self.set.is_match(path)
        }
    }

    /// The first entry matching `path`.
    pub fn matching_entry(&self, path: &str) -> Option<&str> {
        if self.set.is_empty() {
            return None;
        }
        let path = if self.folded {
            fold(path)
        } else {
            Cow::Borrowed(path)
        };
        self.set
            .matches(path.as_ref())
            .first()
            .and_then(|&i| self.origin.get(i))
            .and_then(|&e| self.entries.get(e))
            .map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

/// A packet's scope: a path is in scope iff some IN pattern matches and no OUT pattern does.
#[derive(Debug, Clone)]
pub struct Scope {
    pub inside: PathSet,
    pub outside: PathSet,
}

/// The verdict for one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    In,
    /// Not matched by any IN_SCOPE_PATHS entry.
    NotListed,
    /// Matched by an OUT_OF_SCOPE entry (the entry).
    Excluded(String),
}

/// The path an OUT_OF_SCOPE entry starts with, if any: OUT_OF_SCOPE items are usually
/// prose, but `src/api/ (→ WP-1-Api-Refactor)` names a path before its annotation.
pub fn leading_path(entry: &str) -> Option<&str> {
    let first = clean(entry).split_whitespace().next()?;
    let first = first.trim_matches('`').trim_end_matches([',', ';', ':']);
    let first = first.strip_prefix("./").unwrap_or(first);
    let looks_like_path = first.contains('/')
        || first.contains('*')
        || first.rsplit_once('.').is_some_and(|(stem, ext)| {
            !stem.is_empty() && !ext.is_empty() && ext.chars().all(|c| c.is_ascii_alphanumeric())
        });
    (looks_like_path && !first.contains("->") && !first.contains('→')).then_some(first)
}

impl Scope {
    pub fn new<S: AsRef<str>, T: AsRef<str>>(inside: &[S], outside: &[T]) -> Scope {
        let out_paths: Vec<&str> = outside
            .iter()
            .filter_map(|e| leading_path(e.as_ref()))
            .collect();
        let mut outside_set = PathSet::from_entries_folded(&out_paths).0;
        outside_set.entries = out_paths.iter().map(|s| s.to_string()).collect();
        Scope {
            inside: PathSet::from_entries(inside).0,
            outside: outside_set,
        }
    }

    pub fn verdict(&self, path: &str) -> Verdict {
        if let Some(e) = self.outside.matching_entry(path) {
            return Verdict::Excluded(e.to_string());
        }
        if self.inside.is_match(path) {
            Verdict::In
        } else {
            Verdict::NotListed
        }
    }

    pub fn contains(&self, path: &str) -> bool {
        self.verdict(path) == Verdict::In
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_dir_of_packet_root_globs() {
        assert_eq!(
            literal_dir(".GOV/task_packets/WP-*/packet.json"),
            ".GOV/task_packets"
        );
        assert_eq!(
            literal_dir("docs/task_packets/WP-*.md"),
            "docs/task_packets"
        );
        assert_eq!(literal_dir("a/b/c.md"), "a/b");
        assert_eq!(literal_dir("*.md"), "");
        assert_eq!(literal_dir("**/WP-*.md"), "");
    }

    #[test]
    fn fold_takes_the_fast_path_only_for_what_it_would_not_change() {
        for p in ["src/ok.rs", "a/../b", "x/.hidden", "", "a/b/"] {
            assert!(matches!(fold(p), Cow::Borrowed(_)), "{p}");
        }
        assert_eq!(fold("src/API/x.rs"), "src/api/x.rs");
        assert_eq!(fold("src/api./x.rs"), "src/api/x.rs");
        assert_eq!(fold("src/api /x.rs"), "src/api/x.rs");
        assert_eq!(fold("caf\u{65}\u{301}/x"), "caf\u{e9}/x");
        assert_eq!(fold("tail."), "tail");
    }

    #[test]
    fn entries_compile_as_documented() {
        let s = Scope::new(
            &[
                "`src/x/`",
                "migrations/*.sql",
                "src/main.rs",
                "bundles/*",
                "Everything related to storage",
            ],
            &[
                "src/x/secret.rs",
                "Migrations rewrite (→ WP-1-Migration-Framework)",
                "`src/api/` (→ WP-1-Api)",
            ],
        );
        assert!(s.contains("src/x/a/b.rs"));
        assert!(s.contains("migrations/0001.sql"));
        assert!(!s.contains("migrations/sub/0001.sql"));
        assert!(s.contains("src/main.rs"));
        assert!(!s.contains("src/main.rsx"));
        assert!(s.contains("bundles/a/b"));
        assert_eq!(
            s.verdict("src/x/secret.rs"),
            Verdict::Excluded("src/x/secret.rs".into())
        );
        assert_eq!(s.verdict("Everything"), Verdict::NotListed);
        assert_eq!(
            s.verdict("src/api/jobs.rs"),
            Verdict::Excluded("src/api/".into())
        );
        assert_eq!(leading_path("Job retry logic (separate task)"), None);
        assert_eq!(leading_path("UI changes -> WP-2"), None);
        assert!(!is_pattern("Everything related to storage"));
    }
}
