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

impl Policy {
    /// The organisation code configured for a rule.
    pub fn code_of(&self, rule: &str) -> Option<&str> {
        self.rules.get(rule).and_then(|s| s.code.as_deref())
    }
}

impl Policy {
    /// Is `path` one of the files that decide what the gate lets through: a policy file,
    /// the waiver file, the task board, the signature audit, the packet template, or a
    /// file in the packets directory? Such files are never waivable and never taken
    /// unchecked from the other side of a merge.
    pub fn is_governance_file(&self, path: &str) -> bool {
        let path = path.trim_start_matches("./");
        let layout = &self.layout;
        POLICY_FILE_NAMES.contains(&path)
            || [
                &layout.waivers,
                &layout.task_board,
                &layout.signature_audit,
                &layout.template,
            ]
            .iter()
            .any(|g| g.trim_start_matches("./") == path)
            || path
                .strip_prefix(layout.packets_dir.trim_end_matches('/'))
                .is_some_and(|rest| rest.starts_with('/'))
    }
}
