//! Rules over a change set: binding, scope, packet state, role, lock edits.
//!
//! All functions here are pure: they see a [`ChangeSet`], parsed packets and texts that
//! the caller read (the engine in [`crate::check`] does the git work).

use std::collections::BTreeMap;

use regex::Regex;

use super::{diag, Emitter, RuleInfo};
use crate::error::Error;
use crate::git::{trailers, ChangeSet, ChangeStatus, FileChange};
use crate::glob::{PathSet, Scope, Verdict};
use crate::packet::{parse_packet, Packet};
use crate::policy::Policy;
use crate::Severity;

pub const RULES: &[RuleInfo] = &[
    RuleInfo {
        id: "binding.no-packet",
        default: Severity::Error,
        summary: "a change to governed paths is bound to no task packet",
        help: "Every change belongs to a task packet. Name it in the commit subject \
               (`fix: conformance [WP-1-Foo]`), in a `Work-Packet: WP-1-Foo` trailer, in the \
               branch name (`wp/WP-1-Foo`), or for pre-commit in the WPGATE_WP environment \
               variable. Paths listed in scope.exempt need no packet.",
        example: "git commit -m 'refactor storage'   # touches src/storage/mod.rs, names no WP",
    },
    RuleInfo {
        id: "binding.unknown-packet",
        default: Severity::Error,
        summary: "the change names a packet id that has no packet file",
        help: "The commit subject, trailer, branch or WPGATE_WP names a packet that does not \
               exist in the packets directory. Fix the id, or create the packet first \
               (`wpgate packet new`).",
        example: "git commit -m 'feat: cancel jobs [WP-1-Job-Cancle]'",
    },
    RuleInfo {
        id: "scope.out-of-scope",
        default: Severity::Error,
        summary:
            "a changed path is outside the bound packet's IN_SCOPE_PATHS or inside its OUT_OF_SCOPE",
        help: "A coder may change only the files the packet lists (protocol Part 5.3). Either \
               move the change to the packet that owns the path, or have the Orchestrator \
               create a new packet whose scope includes it. Renames are checked on both the \
               old and the new path. Paths every packet may touch come from \
               scope.always_allowed (default: its own packet file and the task board).",
        example: "WP-1-Foo lists `src/storage/mod.rs`; the commit also edits `src/api/jobs.rs`",
    },
    RuleInfo {
        id: "packet.inactive-status",
        default: Severity::Error,
        summary: "work committed under a packet whose STATUS is not an active state",
        help: "Work may be committed only under packets in an active state (policy \
               scope.active_statuses, default Ready for Dev / In Progress). A Done, Validated \
               or Superseded packet takes no more work: create a new variant packet.",
        example: "- STATUS: Validated   # and a new commit tagged [WP-1-Foo]",
    },
    RuleInfo {
        id: "role.forbidden-path",
        default: Severity::Error,
        summary: "the commit's role may not write this path",
        help: "Roles come from a `Role:` trailer or the policy's roles.emails mapping; \
               roles.paths says what each role may write. The protocol: an Orchestrator \
               writes only task packets and the board, never src/, app/, tests/ or scripts/.",
        example: "Role: Orchestrator   # trailer of a commit that edits src/main.rs",
    },
];

/// Where a binding came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindingSource {
    Subject,
    Trailer,
    Branch,
    Env,
}

impl BindingSource {
    pub fn describe(self) -> &'static str {
        match self {
            BindingSource::Subject => "commit subject",
            BindingSource::Trailer => "Work-Packet trailer",
            BindingSource::Branch => "branch name",
            BindingSource::Env => "environment",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub id: String,
    pub source: BindingSource,
}

/// The diff rules compiled for one policy (once per run).
pub struct DiffRules {
    placeholder: Regex,
    order: Vec<BindingSource>,
    subject: Regex,
    branch: Regex,
    trailer: String,
    exempt: PathSet,
    always_allowed: Vec<String>,
    active: Vec<String>,
    role_trailer: String,
    role_emails: BTreeMap<String, String>,
    roles: BTreeMap<String, (PathSet, PathSet)>,
    packets_dir: String,
    packet_glob: globset::GlobMatcher,
    /// Compiled scopes (IN/OUT and the always-allowed set) by packet path and entries: a
    /// range check compiles each packet version's globs once.
    scopes: std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<(Scope, PathSet)>>>,
}

fn re(policy: &Policy, key: &str, pattern: &str) -> Result<Regex, Error> {
    regex::RegexBuilder::new(pattern)
        .size_limit(policy.limits.regex_size_limit)
        .build()
        .map_err(|e| Error::Usage(format!("policy `{key}` is not a usable regex: {e}")))
}

/// Status comparison ignores case, `-`, `_`, spaces and emoji.
pub fn normalise_status(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .flat_map(|c| c.to_lowercase())
        .collect()
}

impl DiffRules {
    pub fn new(policy: &Policy) -> Result<DiffRules, Error> {
        let mut order = Vec::new();
        for s in &policy.binding.order {
            order.push(match s.as_str() {
                "subject" => BindingSource::Subject,
                "trailer" => BindingSource::Trailer,
                "branch" => BindingSource::Branch,
                "env" => BindingSource::Env,
                other => {
                    return Err(Error::Usage(format!(
                        "policy binding.order: unknown source `{other}` (expected subject, trailer, branch, env)"
                    )))
                }
            });
        }
        let roles = policy
            .roles
            .paths
            .iter()
            .map(|(name, rp)| {
                (
                    normalise_status(name),
                    (
                        PathSet::from_globs(&rp.allow),
                        PathSet::from_globs(&rp.deny),
                    ),
                )
            })
            .collect();
        let packet_glob = globset::Glob::new(&policy.layout.packet_glob)
            .map_err(|e| Error::Usage(format!("policy layout.packet_glob: {e}")))?
            .compile_matcher();
        Ok(DiffRules {
            placeholder: re(
                policy,
                "lock.placeholder_pattern",
                &policy.lock.placeholder_pattern,
            )?,
            order,
            subject: re(
                policy,
                "binding.subject_pattern",
                &policy.binding.subject_pattern,
            )?,
            branch: re(
                policy,
                "binding.branch_pattern",
                &policy.binding.branch_pattern,
            )?,
            trailer: policy.binding.trailer.to_ascii_lowercase(),
            exempt: PathSet::from_globs(&policy.scope.exempt),
            always_allowed: policy.scope.always_allowed.clone(),
            active: policy
                .scope
                .active_statuses
                .iter()
                .map(|s| normalise_status(s))
                .collect(),
            role_trailer: policy.roles.trailer.to_ascii_lowercase(),
            role_emails: policy
                .roles
                .emails
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                .collect(),
            roles,
            packets_dir: policy.layout.packets_dir.trim_end_matches('/').to_string(),
            packet_glob,
            scopes: Default::default(),
        })
    }

    /// Is `path` a packet file?
    pub fn is_packet_path(&self, path: &str) -> bool {
        match path.strip_prefix(&self.packets_dir) {
            Some(rest) => {
                let rest = rest.trim_start_matches('/');
                !rest.contains('/') && self.packet_glob.is_match(rest)
            }
            None => false,
        }
    }

    pub fn is_exempt(&self, path: &str) -> bool {
        self.exempt.is_match(path)
    }

    /// Binds a change to a packet id: the first source in policy order that names one.
    pub fn bind(
        &self,
        message: Option<&str>,
        branch: Option<&str>,
        env: Option<&str>,
    ) -> Option<Binding> {
        for src in &self.order {
            let id = match src {
                BindingSource::Subject => message.and_then(|m| {
                    self.subject
                        .captures(crate::git::subject(m))
                        .and_then(|c| c.get(1))
                        .map(|m| m.as_str().to_string())
                }),
                BindingSource::Trailer => message.and_then(|m| {
                    trailers(m)
                        .into_iter()
                        .find(|(k, _)| k.to_ascii_lowercase() == self.trailer)
                        .map(|(_, v)| v.trim().to_string())
                        .filter(|v| !v.is_empty())
                }),
                BindingSource::Branch => branch.and_then(|b| {
                    self.branch
                        .captures(b)
                        .and_then(|c| c.get(1))
                        .map(|m| m.as_str().to_string())
                }),
                BindingSource::Env => env
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
            };
            if let Some(id) = id {
                return Some(Binding { id, source: *src });
            }
        }
        None
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

    /// Changes to governed (non-exempt) paths.
    pub fn governed<'c>(&self, cs: &'c ChangeSet) -> Vec<&'c FileChange> {
        cs.changes
            .iter()
            .filter(|c| c.paths().any(|p| !self.is_exempt(p)))
            .collect()
    }

    /// Binding, scope, packet-state and role rules for one change set. `packet` is the
    /// bound packet as it stands after the change (the commit's tree, or the index), `None`
    /// when no packet has the bound id.
    pub fn check(
        &self,
        cs: &ChangeSet,
        binding: Option<&Binding>,
        packet: Option<&Packet>,
        role: Option<&str>,
        out: &mut Emitter,
    ) {
        let governed = self.governed(cs);
        if let Some(role) = role {
            self.check_role(cs, role, out);
        }
        let Some(binding) = binding else {
            if let Some(first) = governed.first() {
                let n = governed.len();
                out.emit(
                    diag(
                        "binding.no-packet",
                        format!(
                            "{n} governed path{} changed (first: {}) but the change names no task packet",
                            if n == 1 { "" } else { "s" },
                            first.path()
                        ),
                    )
                    .with_path(first.path()),
                );
            }
            return;
        };
        let Some(packet) = packet else {
            out.emit(
                diag(
                    "binding.unknown-packet",
                    format!(
                        "{} names packet {} but no packet file has that id",
                        binding.source.describe(),
                        binding.id
                    ),
                )
                .with_wp(&binding.id),
            );
            return;
        };
        if governed.is_empty() {
            return;
        }
        if !packet.is_locked() {
            out.emit(
                diag(
                    "packet.not-locked",
                    format!(
                        "work committed under {} which is not locked with a USER_SIGNATURE",
                        packet.id
                    ),
                )
                .with_path(&packet.path)
                .with_opt_line(packet.lock.as_ref().map(|l| l.signature.line))
                .with_wp(&packet.id),
            );
        }
        if let Some(st) = &packet.status {
            if !self.active.contains(&normalise_status(&st.value)) {
                out.emit(
                    diag(
                        "packet.inactive-status",
                        format!(
                            "work committed under {} whose STATUS is `{}`, not an active state",
                            packet.id, st.value
                        ),
                    )
                    .at(&packet.path, st.line, st.span)
                    .with_wp(&packet.id),
                );
            }
        }
        self.check_scope(&governed, packet, out);
    }

    fn scope_of(&self, packet: &Packet) -> std::sync::Arc<(Scope, PathSet)> {
        let inside: Vec<&str> = packet
            .in_scope_paths
            .iter()
            .map(|f| f.value.as_str())
            .collect();
        let outside: Vec<&str> = packet
            .out_of_scope
            .iter()
            .map(|f| f.value.as_str())
            .collect();
        let key = format!(
            "{}\0{}\0{}",
            packet.path,
            inside.join("\n"),
            outside.join("\n")
        );
        if let Some(hit) = self.scopes.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return hit;
        }
        let scope = Scope::new(&inside, &outside);
        let always: Vec<String> = self
            .always_allowed
            .iter()
            .map(|g| g.replace("{packet}", &packet.path))
            .collect();
        let compiled = std::sync::Arc::new((scope, PathSet::from_globs(&always)));
        if let Ok(mut m) = self.scopes.lock() {
            m.insert(key, compiled.clone());
        }
        compiled
    }

    fn check_scope(&self, governed: &[&FileChange], packet: &Packet, out: &mut Emitter) {
        if governed.is_empty() {
            return;
        }
        let compiled = self.scope_of(packet);
        let (scope, always) = (&compiled.0, &compiled.1);
        for change in governed {
            for path in change.paths() {
                if self.is_exempt(path) || always.is_match(path) {
                    continue;
                }
                let verdict = scope.verdict(path);
                let why = match verdict {
                    Verdict::In => continue,
                    Verdict::NotListed => format!("not in IN_SCOPE_PATHS of {}", packet.id),
                    Verdict::Excluded(e) => {
                        format!("matched by OUT_OF_SCOPE entry `{e}` of {}", packet.id)
                    }
                };
                let what = match change.status {
                    ChangeStatus::Renamed if change.old_path.as_deref() == Some(path) => {
                        "renamed from"
                    }
                    ChangeStatus::Renamed => "renamed to",
                    ChangeStatus::Added => "added",
                    ChangeStatus::Deleted => "deleted",
                    _ => "changed",
                };
                let mut d = diag("scope.out-of-scope", format!("{path}: {what}, but {why}"))
                    .with_path(path)
                    .with_wp(&packet.id);
                if let Some(f) = packet.field_label("in_scope_paths") {
                    d = d.with_help(format!(
                        "{} lists its scope at {}:{}; move this change to the packet that owns {path}, or ask for a new packet",
                        packet.id, packet.path, f.line
                    ));
                }
                out.emit(d);
            }
        }
    }

    fn check_role(&self, cs: &ChangeSet, role: &str, out: &mut Emitter) {
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

    /// `lock.locked-packet-edited`: `old` reads a packet text in the parent state, `new`
    /// in the post-change state (`None`: absent). Every changed packet file is checked,
    /// whatever packet the change is bound to.
    pub fn check_locks(
        &self,
        cs: &ChangeSet,
        policy: &Policy,
        old: &mut dyn FnMut(&FileChange) -> Result<Option<String>, Error>,
        new: &mut dyn FnMut(&FileChange) -> Result<Option<String>, Error>,
        out: &mut Emitter,
    ) -> Result<(), Error> {
        for change in &cs.changes {
            let Some(old_path) = change.old_path.as_deref() else {
                continue;
            };
            if !self.is_packet_path(old_path) {
                continue;
            }
            let Some(old_text) = old(change)? else {
                continue;
            };
            let old_packet = parse_packet(old_path, &old_text, &policy.packet.fields);
            if !real_lock(&old_packet, &self.placeholder) {
                continue;
            }
            let sig = old_packet.signature().unwrap_or_default().to_string();
            let same_path = change.new_path.as_deref() == Some(old_path);
            match (&change.status, same_path) {
                (ChangeStatus::Deleted, _) => out.emit(
                    diag(
                        "lock.locked-packet-edited",
                        format!(
                            "{old_path}: locked packet {} (signature {sig}) was deleted",
                            old_packet.id
                        ),
                    )
                    .with_path(old_path)
                    .with_wp(&old_packet.id),
                ),
                (_, false) => out.emit(
                    diag(
                        "lock.locked-packet-edited",
                        format!(
                            "{old_path}: locked packet {} (signature {sig}) was renamed to {}",
                            old_packet.id,
                            change.new_path.as_deref().unwrap_or("?")
                        ),
                    )
                    .with_path(old_path)
                    .with_wp(&old_packet.id),
                ),
                _ => {
                    let Some(new_text) = new(change)? else {
                        continue;
                    };
                    let new_packet = parse_packet(old_path, &new_text, &policy.packet.fields);
                    if let Some(line) = crate::lock::first_locked_difference(
                        &old_text,
                        &old_packet,
                        &new_text,
                        &new_packet,
                        policy,
                    ) {
                        out.emit(
                            diag(
                                "lock.locked-packet-edited",
                                format!(
                                    "{old_path}: locked content of {} (signature {sig}) changed; first difference at line {line}",
                                    old_packet.id
                                ),
                            )
                            .with_path(old_path)
                            .with_line(line)
                            .with_wp(&old_packet.id),
                        );
                    }
                }
            }
        }
        Ok(())
    }
}

/// Is the packet locked with a real signature under this policy?
pub fn is_real_lock(p: &Packet, policy: &Policy) -> Result<bool, Error> {
    Ok(real_lock(
        p,
        &re(
            policy,
            "lock.placeholder_pattern",
            &policy.lock.placeholder_pattern,
        )?,
    ))
}

/// A real signature: present, not a built-in placeholder, not the policy's placeholder.
fn real_lock(p: &Packet, placeholder: &Regex) -> bool {
    p.lock
        .as_ref()
        .is_some_and(|l| l.real && !placeholder.is_match(&l.signature.value))
}
