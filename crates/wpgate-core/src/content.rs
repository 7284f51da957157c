//! (stub) content rules; filled in by the governance-rules work.

use serde::{Deserialize, Serialize};

use crate::rules::RuleInfo;

/// Policy section `[content]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ContentPolicy {
    pub rules: Vec<ContentRule>,
}

/// A regex rule over added lines.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ContentRule {
    pub id: String,
    pub pattern: String,
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    pub message: String,
    #[serde(default = "default_level")]
    pub severity: crate::policy::Level,
}

fn default_level() -> crate::policy::Level {
    crate::policy::Level::Error
}

pub const RULES: &[RuleInfo] = &[];
