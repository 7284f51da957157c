//! The pre-work checklist (Part 8 of the protocol) as individual rules.

use super::RuleInfo;

pub const RULES: &[RuleInfo] = &[];

/// Pre-work checklist of one packet (stub).
pub fn check_packet(
    _p: &crate::packet::Packet,
    _file: &crate::workspace::TextFile,
    _policy: &crate::policy::Policy,
    _out: &mut super::Emitter,
) {
}
