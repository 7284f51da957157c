//! The pre-work checklist (Part 8 of the protocol) as individual rules.

use super::RuleInfo;

pub const RULES: &[RuleInfo] = &[];
