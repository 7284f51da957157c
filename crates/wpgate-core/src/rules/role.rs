//! Role rules: what each role (a `Role:` trailer, or the author's e-mail mapping) may
//! write (`role.forbidden-path`).
//!
//! An `allow` list is matched exactly; a `deny` list on the folded path (case and Unicode
//! normalisation ignored, `glob::fold`), so a differently spelt name of a denied file is
//! denied too.

use std::collections::BTreeMap;

use super::{diag, Emitter, RuleInfo};
use crate::glob::PathSet;
use crate::model::change::ChangeSet;
use crate::model::message::trailers;
use crate::model::packet::normalise_status;
use crate::policy::Policy;
use crate::report::Severity;

pub const RULES: &[RuleInfo] = &[RuleInfo {
    id: "role.forbidden-path",
    default: Severity::Error,
    summary: "the commit's role may not write this path",
    help: "Roles come from a `Role:` trailer or the policy's roles.emails mapping; \
               roles.paths says what each role may write. The protocol: an Orchestrator \
               writes only task packets and the board, never src/, app/, tests/ or scripts/.",
    example: "Role: Orchestrator   # trailer of a commit that edits src/main.rs",
}];

/// The roles of a policy, compiled once per run.
pub struct Roles {
    role_trailer: String,
    role_emails: BTreeMap<String, String>,
    roles: BTreeMap<String, (PathSet, PathSet)>,
}

impl Roles {
    pub fn new(policy: &Policy) -> Roles {
        let roles = policy
            .roles
            .paths
            .iter()
            .map(|(name, rp)| {
                (
                    normalise_status(name),
                    (
                        PathSet::from_globs(&rp.allow),
                        // Deny lists fail closed: `SRC/main.rs` is `src/main.rs` on a
                        // case-insensitive file system (see `glob::fold`).
                        PathSet::from_globs_folded(&rp.deny),
                    ),
                )
            })
            .collect();
        Roles {
            role_trailer: policy.roles.trailer.to_ascii_lowercase(),
            role_emails: policy
                .roles
                .emails
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                .collect(),
            roles,
        }
    }

    /// The role of a change: a role trailer, else the author's e-mail mapping.
    pub fn role(&self, message: Option<&str>, author_email: Option<&str>) -> Option<String> {
        if !self.role_trailer.is_empty() {
            if let Some(m) = message {
                if let Some((_, v)) = trailers(m)
                    .into_iter()
                    .find(|(k, _)| k.to_ascii_lowercase() == self.role_trailer)
                {
                    return Some(v);
                }
            }
        }
        author_email.and_then(|e| self.role_emails.get(&e.to_ascii_lowercase()).cloned())
    }

    /// `role.forbidden-path` for every path of the change set.
    pub fn check(&self, cs: &ChangeSet, role: &str, out: &mut Emitter) {
        let Some((allow, deny)) = self.roles.get(&normalise_status(role)) else {
            return;
        };
        for change in &cs.changes {
            for path in change.paths() {
                let forbidden = deny.is_match(path) || (!allow.is_empty() && !allow.is_match(path));
                if forbidden {
                    out.emit(
                        diag(
                            "role.forbidden-path",
                            format!("{path}: role {role} may not write this path"),
                        )
                        .with_path(path),
                    );
                }
            }
        }
    }
}

/// Does the policy grant `role` the right to change `path` (explicit allow, no deny)?
pub fn role_allows(policy: &Policy, role: &str, path: &str) -> bool {
    let want = normalise_status(role);
    policy
        .roles
        .paths
        .iter()
        .filter(|(name, _)| normalise_status(name) == want)
        .any(|(_, rp)| {
            !rp.allow.is_empty()
                && PathSet::from_globs(&rp.allow).is_match(path)
                && !PathSet::from_globs_folded(&rp.deny).is_match(path)
        })
}
