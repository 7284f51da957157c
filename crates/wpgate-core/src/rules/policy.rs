//! Policy self-protection: changes to the gate's own configuration are governed.
//!
//! The files that decide what the gate lets through are the policy (`wpgate.toml`,
//! `.wpgate.toml`), the waiver file (`layout.waivers`), the packet template
//! (`layout.template`) and the signature audit (`layout.signature_audit`). A change that
//! adds, edits, deletes or renames one of them (on either side of a rename) is allowed
//! only when
//!
//! - the change is bound to a packet whose IN_SCOPE_PATHS **names the file itself** (an
//!   exact path entry such as `wpgate.toml`; a directory or glob entry such as `docs/` or
//!   `**` does not count, so a broad scope cannot carry a policy change by accident), and
//!   that file is not matched by the packet's OUT_OF_SCOPE; or
//! - the commit's role (a `Role:` trailer or `roles.emails`) has a `roles.paths` entry
//!   whose `allow` list matches the file and whose `deny` list does not. An unrestricted
//!   role (empty `allow`) is **not** allowed: the policy must grant it explicitly.
//!
//! A protected path is recognised case-insensitively and regardless of Unicode
//! normalisation (`glob::fold`): on a case-insensitive checkout (macOS, Windows) a
//! committed `WPGATE.TOML` or `docs/waivers.toml` *is* the policy or the waiver file, and
//! CI on Linux judges the change for every checkout. Authorisation stays exact: a packet
//! naming `wpgate.toml` or a role allowed `wpgate.toml` does not cover `WPGATE.TOML`.
//!
//! Otherwise `policy.changed` is reported, naming the file. No new policy section is
//! needed: the protected paths come from `[layout]`, the roles from `[roles.paths]`.

use crate::rules::role::role_allows;

use crate::glob::{clean, fold, Scope};
use crate::model::change::ChangeSet;
use crate::model::packet::Packet;
use crate::policy::{Policy, POLICY_FILE_NAMES};
use crate::report::Severity;
use crate::rules::binding::Binding;
use crate::rules::{diag, Emitter, RuleInfo};

pub const RULES: &[RuleInfo] = &[RuleInfo {
    id: "policy.changed",
    default: Severity::Error,
    summary: "a change to the gate's own configuration (policy, waivers, packet template, \
              signature audit) is not authorised by the bound packet or the commit's role",
    help:
        "The policy files (wpgate.toml, .wpgate.toml), the waiver file, the packet template \
           and the signature audit decide what the gate lets through, so changing them is \
           itself governed: bind the change to a packet whose IN_SCOPE_PATHS names the file \
           exactly (e.g. `- wpgate.toml`), or make it under a role whose roles.paths allow \
           list matches the file (e.g. [roles.paths.Orchestrator] allow = [\"docs/WAIVERS.toml\"]).",
    example: "git commit -m 'relax scope rule [WP-1-Storage]'   # edits wpgate.toml; \
              WP-1-Storage's IN_SCOPE_PATHS does not list wpgate.toml",
}];

/// The protected paths of a policy, each with what it is (for messages).
pub fn protected_paths(policy: &Policy) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = POLICY_FILE_NAMES
        .iter()
        .map(|n| (n.to_string(), "policy file"))
        .collect();
    for (path, what) in [
        (&policy.layout.waivers, "waiver file"),
        (&policy.layout.template, "packet template"),
        (&policy.layout.signature_audit, "signature audit"),
    ] {
        for path in path.all() {
            let p = clean(path).trim_matches('/');
            if !p.is_empty() && !out.iter().any(|(q, _)| q == p) {
                out.push((p.to_string(), what));
            }
        }
    }
    out
}

/// Does the packet's IN_SCOPE_PATHS name `path` exactly (and OUT_OF_SCOPE not exclude it)?
pub fn scope_names(packet: &Packet, path: &str) -> bool {
    let named = packet
        .in_scope_paths
        .iter()
        .any(|f| clean(&f.value).trim_end_matches(['.', ',', ';']) == path);
    if !named {
        return false;
    }
    let none: [&str; 0] = [];
    let outside: Vec<&str> = packet
        .out_of_scope
        .iter()
        .map(|f| f.value.as_str())
        .collect();
    Scope::new(&none, &outside)
        .outside
        .matching_entry(path)
        .is_none()
}

/// `policy.changed`: a change to the policy files, the waiver file, the packet template or
/// the signature audit needs a packet whose scope names it, or a role the policy allows.
pub fn check(
    cs: &ChangeSet,
    binding: Option<&Binding>,
    packet: Option<&Packet>,
    role: Option<&str>,
    policy: &Policy,
    out: &mut Emitter,
) {
    if !out.enabled("policy.changed") {
        return;
    }
    let protected: Vec<(String, String, &'static str)> = protected_paths(policy)
        .into_iter()
        .map(|(p, what)| (fold(&p).into_owned(), p, what))
        .collect();
    let mut seen: Vec<&str> = Vec::new();
    for c in &cs.changes {
        for path in c.paths() {
            let folded = fold(path);
            let Some((_, name, what)) = protected.iter().find(|(f, _, _)| *f == folded) else {
                continue;
            };
            let what = if name == path {
                what.to_string()
            } else {
                format!("{what}: the same file as {name} on a case-insensitive file system")
            };
            if seen.contains(&path) {
                continue;
            }
            seen.push(path);
            if packet.is_some_and(|p| scope_names(p, path)) {
                continue;
            }
            if role.is_some_and(|r| role_allows(policy, r, path)) {
                continue;
            }
            let bound = match (binding, packet) {
                (Some(_), Some(p)) => format!(
                    "the bound packet {} does not name {path} in its IN_SCOPE_PATHS",
                    p.id
                ),
                (Some(b), None) => format!("the bound packet {} does not exist", b.id),
                (None, _) => "the change is bound to no packet".to_string(),
            };
            let role_txt = match role {
                Some(r) => format!("role {r} is not granted {path} by roles.paths"),
                None => "the commit names no role".to_string(),
            };
            out.emit(
                diag(
                    "policy.changed",
                    format!("{path} ({what}) changed, but {bound} and {role_txt}"),
                )
                .with_path(path)
                .with_opt_wp(binding.map(|b| b.id.as_str())),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::change::{ChangeStatus, FileChange};
    use crate::policy::RolePaths;

    fn change(path: &str) -> FileChange {
        FileChange {
            status: ChangeStatus::Modified,
            old_path: Some(path.into()),
            new_path: Some(path.into()),
            old_id: None,
            new_id: None,
            old_mode: 0o100644,
            new_mode: 0o100644,
            non_utf8_path: false,
        }
    }

    fn cs(paths: &[&str]) -> ChangeSet {
        ChangeSet {
            changes: paths.iter().map(|p| change(p)).collect(),
            ..ChangeSet::default()
        }
    }

    fn packet(scope: &[&str], out_of_scope: &[&str]) -> Packet {
        let mut text = String::from("# WP-1-Gate\n- TASK_ID: WP-1-Gate\n- IN_SCOPE_PATHS:\n");
        for s in scope {
            text.push_str(&format!("  - {s}\n"));
        }
        text.push_str("- OUT_OF_SCOPE:\n");
        for s in out_of_scope {
            text.push_str(&format!("  - {s}\n"));
        }
        crate::model::packet::parse_packet(
            "docs/task_packets/WP-1-Gate.md",
            &text,
            &Policy::default().packet.fields,
        )
    }

    fn run(
        paths: &[&str],
        packet: Option<&Packet>,
        role: Option<&str>,
        policy: &Policy,
    ) -> Vec<String> {
        let binding = packet.map(|p| Binding {
            id: p.id.clone(),
            source: crate::rules::binding::BindingSource::Subject,
            microtask: None,
            candidates: Vec::new(),
        });
        let mut out = Emitter::new(policy);
        check(&cs(paths), binding.as_ref(), packet, role, policy, &mut out);
        out.finish()
            .diagnostics
            .into_iter()
            .map(|d| format!("{} {}", d.rule, d.path.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn every_protected_file_fires_without_authorisation() {
        let policy = Policy::embedded();
        let p = packet(&["src/lib.rs", "docs/"], &[]);
        for f in [
            "wpgate.toml",
            ".wpgate.toml",
            "docs/WAIVERS.toml",
            "docs/templates/TASK_PACKET_TEMPLATE.md",
            "docs/SIGNATURE_AUDIT.md",
        ] {
            assert_eq!(
                run(&[f, "src/lib.rs"], Some(&p), None, &policy),
                vec![format!("policy.changed {f}")],
                "{f}"
            );
            assert_eq!(
                run(&[f], None, None, &policy),
                vec![format!("policy.changed {f}")]
            );
        }
    }

    #[test]
    fn quiet_for_other_paths() {
        let policy = Policy::embedded();
        assert!(run(&["src/wpgate.toml", "docs/x.md"], None, None, &policy).is_empty());
    }

    #[test]
    fn packet_naming_the_file_allows_it_but_a_glob_does_not() {
        let policy = Policy::embedded();
        let named = packet(&["`wpgate.toml`", "docs/WAIVERS.toml"], &[]);
        assert!(run(
            &["wpgate.toml", "docs/WAIVERS.toml"],
            Some(&named),
            None,
            &policy
        )
        .is_empty());
        let broad = packet(&["**", "*.toml", "docs/"], &[]);
        assert_eq!(
            run(&["wpgate.toml"], Some(&broad), None, &policy),
            vec!["policy.changed wpgate.toml"]
        );
        let excluded = packet(&["wpgate.toml"], &["wpgate.toml (policy is the lead's)"]);
        assert_eq!(
            run(&["wpgate.toml"], Some(&excluded), None, &policy),
            vec!["policy.changed wpgate.toml"]
        );
    }

    #[test]
    fn role_needs_an_explicit_allow() {
        let mut policy = Policy::embedded();
        // The default Orchestrator may write packets and the board, not the policy.
        assert_eq!(
            run(&["wpgate.toml"], None, Some("Orchestrator"), &policy),
            vec!["policy.changed wpgate.toml"]
        );
        policy.roles.paths.insert(
            "Lead".into(),
            RolePaths {
                allow: vec!["wpgate.toml".into(), "docs/*.toml".into()],
                deny: vec!["docs/WAIVERS.toml".into()],
            },
        );
        policy
            .roles
            .paths
            .insert("Anyone".into(), RolePaths::default());
        assert!(run(&["wpgate.toml"], None, Some("lead"), &policy).is_empty());
        assert_eq!(
            run(&["docs/WAIVERS.toml"], None, Some("Lead"), &policy),
            vec!["policy.changed docs/WAIVERS.toml"]
        );
        assert_eq!(
            run(&["wpgate.toml"], None, Some("Anyone"), &policy),
            vec!["policy.changed wpgate.toml"]
        );
    }

    #[test]
    fn layout_moves_the_protected_files() {
        let mut policy = Policy::embedded();
        policy.layout.waivers = "gov/waivers.toml".into();
        assert_eq!(
            run(
                &["gov/waivers.toml", "docs/WAIVERS.toml"],
                None,
                None,
                &policy
            ),
            vec!["policy.changed gov/waivers.toml"]
        );
    }

    #[test]
    fn rule_can_be_turned_off() {
        let policy = Policy::from_text(
            "wpgate.toml",
            "[rules.\"policy.changed\"]\nseverity = \"off\"\n",
        )
        .map_err(|e| e.to_string())
        .unwrap();
        assert!(run(&["wpgate.toml"], None, None, &policy).is_empty());
    }
}
