//! Phase gate (stub while being written).
use serde::{Deserialize, Serialize};

use crate::rules::RuleInfo;

/// Policy section `[phase]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PhasePolicy {}

pub const RULES: &[RuleInfo] = &[];
