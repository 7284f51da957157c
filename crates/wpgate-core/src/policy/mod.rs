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
