//! Policy self-protection: changes to the gate's own configuration are governed.
//! (Stub: filled by the reliability work.)

use crate::git::ChangeSet;
use crate::packet::Packet;
use crate::policy::Policy;
use crate::rules::diff::Binding;
use crate::rules::{Emitter, RuleInfo};

pub const RULES: &[RuleInfo] = &[];

/// `policy.changed`: a change to the policy files, the waiver file, the packet template or
/// the signature audit needs a packet whose scope names it, or a role the policy allows.
pub fn check(
    _cs: &ChangeSet,
    _binding: Option<&Binding>,
    _packet: Option<&Packet>,
    _role: Option<&str>,
    _policy: &Policy,
    _out: &mut Emitter,
) {
}
