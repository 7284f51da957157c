//! Lock immutability: the locked content of a packet and its digest.

use crate::rules::RuleInfo;

pub const RULES: &[RuleInfo] = &[];
