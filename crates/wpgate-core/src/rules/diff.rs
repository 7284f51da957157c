//! Rules over a change set: binding, scope, lock, role.

use super::RuleInfo;

pub const RULES: &[RuleInfo] = &[];
