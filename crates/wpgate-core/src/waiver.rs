//! (stub) waiver rules; filled in by the governance-rules work.

use serde::{Deserialize, Serialize};

use crate::rules::RuleInfo;

/// Policy section `[waiver]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct WaiverPolicy {}

pub const RULES: &[RuleInfo] = &[];

/// Today's date as `YYYY-MM-DD` (stub).
pub fn today_string() -> String {
    "2026-01-01".to_string()
}
