//! Policy files: declarative TOML that sets the repository layout, the packet syntax,
//! how changes bind to packets, and every rule's severity and organisation code.
//!
//! Loading ([`load`]): the embedded default (`policies/default.toml`) is the base; a
//! repository's `wpgate.toml` / `.wpgate.toml` (or `--policy FILE`) is first validated on
//! its own (unknown keys and wrong types are reported with file, line and column, see
//! [`span`]), then merged over the default table by table (tables merge, any other value
//! replaces). A policy with `extends = "none"` replaces the default entirely. The schema,
//! with every default, is [`schema`].
//!
//! This layer sits below the rules and cannot see the rule registry: the functions that
//! need it ([`Policy::from_text`], [`Policy::discover`], [`Policy::severity_of`]) are
//! defined next to the registry in `crate::rules`.

pub mod load;
pub mod schema;
pub mod span;

pub use load::{merge_tables, PolicySource, DEFAULT_POLICY, DEFAULT_TEMPLATE, POLICY_FILE_NAMES};
pub use schema::*;
pub use span::PolicyError;

use crate::glob::fold;

impl Policy {
    /// The organisation code configured for a rule.
    pub fn code_of(&self, rule: &str) -> Option<&str> {
        self.rules.get(rule).and_then(|s| s.code.as_deref())
    }

    /// Is `path` one of the files that decide what the gate lets through: a policy file,
    /// the waiver file, the task board, the signature audit, the packet template, or a
    /// file in the packets directory? Such files are never waivable and never taken
    /// unchecked from the other side of a merge. Compared [`fold`]ed, like the protected
    /// paths of `policy.changed`: on a case-insensitive checkout `WPGATE.TOML` is the
    /// policy.
    pub fn is_governance_file(&self, path: &str) -> bool {
        let norm = |p: &str| fold(p.trim_start_matches("./").trim_matches('/')).into_owned();
        let path = norm(path);
        let layout = &self.layout;
        POLICY_FILE_NAMES.iter().any(|n| norm(n) == path)
            || [
                &layout.waivers,
                &layout.task_board,
                &layout.signature_audit,
                &layout.template,
            ]
            .iter()
            .flat_map(|c| c.all())
            .any(|g| norm(g) == path)
            || self
                .layout
                .roots()
                .iter()
                .flat_map(|r| r.include.iter())
                .any(|g| self.in_packet_root(g, &path))
    }

    /// Is the (folded) `path` a file of packet root glob `g`: below its literal
    /// directory, or, for a glob without one (`**/WP-*/packet.json`), a file it matches
    /// or another file of a folder packet's folder (projection, microtasks)?
    fn in_packet_root(&self, g: &str, path: &str) -> bool {
        let norm = |p: &str| fold(p.trim_start_matches("./").trim_matches('/')).into_owned();
        let dir = norm(&crate::glob::literal_dir(g));
        if !dir.is_empty() {
            return path
                .strip_prefix(dir.as_str())
                .is_some_and(|rest| rest.starts_with('/'));
        }
        // An unusable glob protects everything (policy validation reports it).
        let Some(m) = crate::glob::cached_path_matcher(&norm(g)) else {
            return true;
        };
        if m.is_match(path) {
            return true;
        }
        let parent = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        self.packet
            .folder_files
            .iter()
            .any(|f| m.is_match(format!("{parent}/{}", norm(f))))
    }

    /// The directories holding packets: the literal directory prefix of every packet root
    /// glob (`.GOV/task_packets/WP-*/packet.json` → `.GOV/task_packets`). Everything below
    /// one (packets, their projections, microtasks, stubs) is a governance file.
    pub fn packet_dirs(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for root in self.layout.roots() {
            for g in &root.include {
                let d = crate::glob::literal_dir(g);
                if !out.contains(&d) {
                    out.push(d);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn governance_files_are_recognised_in_any_spelling() {
        let p = Policy::embedded();
        for path in [
            "wpgate.toml",
            "WPGATE.TOML",
            "./.wpgate.toml",
            "docs/WAIVERS.toml",
            "Docs/Task_Board.md",
            "docs/task_packets/WP-1-X.md",
            "DOCS/TASK_PACKETS/sub/WP-1-X.md",
        ] {
            assert!(p.is_governance_file(path), "{path}");
        }
        for path in [
            "src/wpgate.toml",
            "docs/task_packets",
            "docs/task_packetsX/a.md",
        ] {
            assert!(!p.is_governance_file(path), "{path}");
        }
    }

    #[test]
    fn a_root_without_a_directory_protects_its_files_not_the_whole_tree() {
        let mut p = Policy::embedded();
        p.layout.packet_roots = vec![PacketRoot {
            kind: PacketKind::Active,
            include: vec!["**/WP-*/packet.json".into()],
            exclude: vec![],
        }];
        for path in [
            "gov/WP-1-X/packet.json",
            "a/b/WP-1-X/MT-001.json",
            "WP-1-X/Packet.JSON",
        ] {
            assert!(p.is_governance_file(path), "{path}");
        }
        for path in ["src/main.rs", "gov/WP-1-X.md", "gov/other/MT-001.json"] {
            assert!(!p.is_governance_file(path), "{path}");
        }
    }
}
