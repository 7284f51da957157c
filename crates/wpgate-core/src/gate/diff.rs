//! The rules over one change set, compiled for one policy, in the order they run:
//! role, binding, the bound packet's state, scope (see [`DiffRules::check`]); the lock
//! rules over every changed packet file run from [`DiffRules::lock`].

use crate::error::Error;
use crate::model::change::ChangeSet;
use crate::model::packet::{normalise_status, Packet};
use crate::policy::Policy;
use crate::rules::binding::{Binder, Binding};
use crate::rules::lock::LockRules;
use crate::rules::role::Roles;
use crate::rules::scope::ScopeRules;
use crate::rules::{binding, packet, Emitter};

/// The diff rules compiled for one policy (once per run).
pub struct DiffRules {
    pub binder: Binder,
    pub roles: Roles,
    pub scope: ScopeRules,
    pub lock: LockRules,
    /// `scope.active_statuses`, normalised.
    active: Vec<String>,
}

impl DiffRules {
    pub fn new(policy: &Policy) -> Result<DiffRules, Error> {
        Ok(DiffRules {
            binder: Binder::new(policy)?,
            roles: Roles::new(policy),
            scope: ScopeRules::new(policy),
            lock: LockRules::new(policy)?,
            active: policy
                .scope
                .active_statuses
                .iter()
                .map(|s| normalise_status(s))
                .collect(),
        })
    }

    /// Binding, scope, packet-state and role rules for one change set. `packet` is the
    /// bound packet as the trusted revision (`trusted` names it) has it, `None` when it
    /// has no packet of the bound id; `in_change`: the change itself holds one.
    #[allow(clippy::too_many_arguments)]
    pub fn check(
        &self,
        cs: &ChangeSet,
        binding: Option<&Binding>,
        packet: Option<&Packet>,
        in_change: bool,
        trusted: &str,
        role: Option<&str>,
        out: &mut Emitter,
    ) {
        let governed = self.scope.governed(cs);
        if let Some(role) = role {
            self.roles.check(cs, role, out);
        }
        let Some(packet) = binding::check(&governed, binding, packet, in_change, trusted, out)
        else {
            return;
        };
        if governed.is_empty() {
            return;
        }
        packet::check_bound_state(packet, &self.active, out);
        // Bound to a microtask: the paths the packet allows must also be the microtask's.
        let mt = binding
            .and_then(|b| b.microtask.as_deref())
            .and_then(|m| packet.microtask(m));
        self.scope.check(&governed, packet, mt, out);
    }
}
