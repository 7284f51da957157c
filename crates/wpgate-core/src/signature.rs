//! (stub) signature rules; filled in by the governance-rules work.

use serde::{Deserialize, Serialize};

use crate::rules::RuleInfo;

/// Policy section `[signature]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SignaturePolicy {
    /// Regex a real signature must match (`{username}{DDMMYYYYHHMM}`).
    pub pattern: String,
}

impl Default for SignaturePolicy {
    fn default() -> Self {
        SignaturePolicy {
            pattern: r"^[A-Za-z][A-Za-z_.-]*[0-9]{12}$".into(),
        }
    }
}

pub const RULES: &[RuleInfo] = &[];

/// Where a signature is already used (stub).
pub fn is_used(
    _sig: &str,
    _ws: &crate::workspace::Workspace,
) -> Result<Option<String>, crate::Error> {
    Ok(None)
}
