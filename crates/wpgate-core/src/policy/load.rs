//! Loading a policy: the embedded default, discovery of a repository's own file, parsing
//! with precise errors, the merge over the default, and validation.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::span::{find_span, PolicyError};
use super::Policy;

/// The default policy, embedded in the binary.
pub const DEFAULT_POLICY: &str = include_str!("../../../../policies/default.toml");
/// The default task packet template, embedded in the binary.
pub const DEFAULT_TEMPLATE: &str = include_str!("../../../../policies/templates/task_packet.md");

/// Names a repository's own policy may have, in order of preference.
pub const POLICY_FILE_NAMES: &[&str] = &["wpgate.toml", ".wpgate.toml"];

/// Largest policy file read (bytes). Fixed: the policy is read before its limits are known.
pub const POLICY_MAX_BYTES: u64 = 1024 * 1024;

/// Reads a policy file, which must be a regular file, not a symlink (a committed
/// `wpgate.toml -> /proc/self/environ` would otherwise put the runner's environment in
/// the error snippet; an explicit `--policy wpgate.toml` in CI names the same file), of
/// at most [`POLICY_MAX_BYTES`].
fn read_policy_file(p: &Path, shown: &str) -> Result<String, crate::Error> {
    use std::io::Read as _;
    let io = |e: std::io::Error| crate::Error::Io {
        path: p.display().to_string(),
        source: e,
    };
    let meta = std::fs::symlink_metadata(p).map_err(io)?;
    if meta.file_type().is_symlink() {
        return Err(crate::Error::governance(
            shown,
            "the policy file is a symbolic link; wpgate does not follow it (its target may lie outside the repository)",
        ));
    }
    let file = std::fs::File::open(p).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(crate::Error::governance(
            shown,
            "the policy file is not a regular file",
        ));
    }
    if meta.len() > POLICY_MAX_BYTES {
        return Err(crate::Error::governance(
            shown,
            format!(
                "the policy file is {} bytes, over the {POLICY_MAX_BYTES}-byte cap",
                meta.len()
            ),
        ));
    }
    let mut bytes = Vec::new();
    file.take(POLICY_MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > POLICY_MAX_BYTES {
        return Err(crate::Error::governance(
            shown,
            format!("the policy file is over the {POLICY_MAX_BYTES}-byte cap"),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not UTF-8: {e}"),
        ))
    })
}

/// Where a policy came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicySource {
    Embedded,
    File(PathBuf),
    /// A policy file in the tree of a (trusted) revision.
    Revision {
        rev: String,
        path: String,
    },
}

impl Policy {
    /// The embedded default policy.
    pub fn embedded() -> Policy {
        // The embedded default is checked by tests; a failure here is a build defect.
        match toml::from_str::<Policy>(DEFAULT_POLICY) {
            Ok(p) => p,
            Err(e) => panic!("embedded default policy is invalid: {e}"),
        }
    }

    /// Parses a policy text (named `file` in errors) and merges it over the default
    /// unless it says `extends = "none"`; `known` says which rule ids exist (the registry
    /// sits above this layer: [`Policy::from_text`] passes it).
    pub fn from_text_with(
        file: &str,
        text: &str,
        known: &dyn Fn(&str) -> bool,
    ) -> Result<Policy, Box<PolicyError>> {
        // Pass 1: the file on its own, for precise errors (unknown keys, types, syntax).
        let own: Policy = toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
        let merged = match own.extends.as_deref() {
            None | Some("default") => {
                let mut base: toml::Table = toml::from_str(DEFAULT_POLICY)
                    .map_err(|e| toml_error("<embedded default>", DEFAULT_POLICY, &e))?;
                let over: toml::Table =
                    toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
                merge_tables(&mut base, over);
                Policy::deserialize(toml::Value::Table(base)).map_err(|e| {
                    PolicyError::at(
                        file,
                        text,
                        0..0,
                        format!("after merging with the default: {e}"),
                    )
                })?
            }
            Some("none") => own,
            Some(other) => {
                let span = find_span(text, "extends").unwrap_or(0..0);
                return Err(PolicyError::at(
                    file,
                    text,
                    span,
                    format!(
                        "unknown value `{other}` for `extends`: expected \"default\" or \"none\""
                    ),
                ));
            }
        };
        merged.validate(file, text, known)?;
        Ok(merged)
    }

    /// Loads the policy of a repository: `explicit` if given, else `wpgate.toml` /
    /// `.wpgate.toml` at `root`, else the embedded default (`known` as in
    /// [`Policy::from_text_with`]; [`Policy::discover`] passes the registry).
    pub fn discover_with(
        root: &Path,
        explicit: Option<&Path>,
        known: &dyn Fn(&str) -> bool,
    ) -> Result<(Policy, PolicySource), crate::Error> {
        let path = match explicit {
            Some(p) => Some(p.to_path_buf()),
            // Anything standing at a policy name (a file, a dangling symlink, a directory)
            // is the repository's policy: unreadable means exit 2, never the default.
            None => POLICY_FILE_NAMES
                .iter()
                .map(|n| root.join(n))
                .find(|p| std::fs::symlink_metadata(p).is_ok()),
        };
        match path {
            None => Ok((Policy::embedded(), PolicySource::Embedded)),
            Some(p) => {
                let shown = p.strip_prefix(root).unwrap_or(&p).display().to_string();
                let text = read_policy_file(&p, &shown)?;
                let policy = Policy::from_text_with(&shown, &text, known)?;
                Ok((policy, PolicySource::File(p)))
            }
        }
    }

    /// Checks what serde cannot: rule ids exist, regexes compile within the size limit,
    /// globs parse.
    fn validate(
        &self,
        file: &str,
        text: &str,
        known: &dyn Fn(&str) -> bool,
    ) -> Result<(), Box<PolicyError>> {
        for id in self.rules.keys() {
            if !known(id) && !self.content.rules.iter().any(|r| &r.id == id) {
                let span = find_span(text, id).unwrap_or(0..0);
                return Err(PolicyError::at(
                    file,
                    text,
                    span,
                    format!("unknown rule id `{id}` in [rules] (see `wpgate explain --list`)"),
                ));
            }
        }
        if !matches!(self.trust.mode.as_str(), "base" | "parent") {
            let span = find_span(text, "mode").unwrap_or(0..0);
            return Err(PolicyError::at(
                file,
                text,
                span,
                format!(
                    "unknown trust.mode `{}`: expected \"base\" or \"parent\"",
                    self.trust.mode
                ),
            ));
        }
        let limit = self.limits.regex_size_limit;
        let mut regexes: Vec<(&str, &str)> = Vec::new();
        for re in self.binding.subject_pattern.all() {
            regexes.push(("subject_pattern", re.as_str()));
        }
        regexes.extend([
            ("branch_pattern", self.binding.branch_pattern.as_str()),
            (
                "placeholder_pattern",
                self.lock.placeholder_pattern.as_str(),
            ),
            ("id_pattern", self.packet.id_pattern.as_str()),
        ]);
        regexes.push((
            "microtasks.id_pattern",
            self.packet.microtasks.id_pattern.as_str(),
        ));
        for (key, re) in self.extra_regexes() {
            regexes.push((key, re));
        }
        for (key, re) in regexes {
            if let Err(e) = regex::RegexBuilder::new(re).size_limit(limit).build() {
                let span = find_span(text, key).unwrap_or(0..0);
                return Err(PolicyError::at(
                    file,
                    text,
                    span,
                    format!("`{key}` is not a usable regex: {e}"),
                ));
            }
        }
        let mut globs: Vec<(&str, &str)> = Vec::new();
        for g in &self.scope.always_allowed {
            globs.push(("always_allowed", g));
        }
        for g in &self.scope.exempt {
            globs.push(("exempt", g));
        }
        for rp in self.roles.paths.values() {
            for g in rp.allow.iter().chain(rp.deny.iter()) {
                globs.push(("roles", g));
            }
        }
        for (key, g) in globs {
            let g = g.replace("{packet}", "packet");
            if let Err(e) = globset::Glob::new(&g) {
                let span = find_span(text, key).unwrap_or(0..0);
                return Err(PolicyError::at(
                    file,
                    text,
                    span,
                    format!("`{key}` has an invalid glob `{g}`: {e}"),
                ));
            }
        }
        Ok(())
    }

    fn extra_regexes(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        for r in &self.content.rules {
            out.push(("content.rules.pattern", r.pattern.as_str()));
        }
        out.push(("signatures.pattern", self.signatures.pattern.as_str()));
        for r in &self.lock.mutable_sections {
            out.push(("mutable_sections", r.as_str()));
        }
        out
    }
}

fn toml_error(file: &str, text: &str, e: &toml::de::Error) -> Box<PolicyError> {
    let span = e.span().unwrap_or(0..0);
    PolicyError::at(file, text, span, e.message().to_string())
}

/// Deep-merges `over` into `base`: tables merge recursively, other values replace, except
/// arrays of tables keyed by `id` (`[[content.rules]]`), which merge entry by entry: an
/// entry with a known id replaces that entry, a new id is appended.
pub fn merge_tables(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge_tables(b, o),
            (Some(toml::Value::Array(b)), toml::Value::Array(o))
                if is_id_keyed(b) && is_id_keyed(&o) =>
            {
                for item in o {
                    let id = item.get("id").cloned();
                    match b.iter_mut().find(|x| x.get("id") == id.as_ref()) {
                        Some(slot) => *slot = item,
                        None => b.push(item),
                    }
                }
            }
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

fn is_id_keyed(items: &[toml::Value]) -> bool {
    items
        .iter()
        .all(|i| i.as_table().is_some_and(|t| t.contains_key("id")))
}
