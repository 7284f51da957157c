//! Binding rules: every change to governed paths names its task packet
//! (`binding.no-packet`), and the packet it names exists (`binding.unknown-packet`).
//!
//! A change names its packet through the first source, in policy order (`binding.order`),
//! that names one: the commit subject, a `Work-Packet:` trailer, the branch, or the
//! `WPGATE_WP` environment variable.

use regex::Regex;

use super::{diag, Emitter, RuleInfo};
use crate::error::Error;
use crate::model::change::FileChange;
use crate::model::message::{subject, trailers};
use crate::model::packet::Packet;
use crate::policy::Policy;
use crate::report::Severity;

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
        id: "binding.ambiguous-packet",
        default: Severity::Error,
        summary: "the change names a short id or alias that several packets answer to",
        help: "A short id binds when it is the prefix (up to a `-`) of exactly one packet id, \
               or an alias (such as base_wp_id) of exactly one packet. This one matches \
               several: name the packet by its full id.",
        example:
            "git commit -m 'feat(WP-1-Storage): x'   # WP-1-Storage-v1 and WP-1-Storage-v2 exist",
    },
    RuleInfo {
        id: "binding.unknown-microtask",
        default: Severity::Error,
        summary: "the change names a microtask its packet does not have",
        help: "A change bound to a microtask (`WP-X MT-183: …`, `feat(WP-X): MT-183 …`, a \
               `Microtask:` trailer, the branch or WPGATE_MT) is checked against that \
               microtask's scope, so the microtask must exist in the trusted revision's \
               packet. Fix the microtask id, or merge the microtask first.",
        example: "git commit -m 'WP-1-Data MT-999: x'   # WP-1-Data has MT-001..MT-012",
    },
    RuleInfo {
        id: "binding.unapproved-packet",
        default: Severity::Error,
        summary:
            "the change names a packet that exists only in the change, not in the trusted revision",
        help: "A packet authorises work only once it is approved: merged into the revision the \
               change is judged against (the pull request base, what the remote has, the \
               merge base with the protected branch; see [trust] in the policy). A packet \
               created, or locked, in the change itself authorises nothing: merge the packet \
               first (its own change, reviewed), then do the work under it.",
        example: "one commit adds docs/task_packets/WP-1-Evil.md (scope: src/api/) and edits \
                  src/api/jobs.rs under [WP-1-Evil]",
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
    /// The packet id as the change names it (a full id, a short id or an alias).
    pub id: String,
    pub source: BindingSource,
    /// The microtask the change names (`MT-183`), from the subject, a `Microtask:`
    /// trailer, the branch or `WPGATE_MT`: the change is then checked against the
    /// microtask's scope.
    pub microtask: Option<String>,
    /// Set when the id named several packets (a short id or alias they share): their
    /// ids (`binding.ambiguous-packet`).
    pub candidates: Vec<String>,
}

/// The binding sources of a policy, compiled once per run.
pub struct Binder {
    order: Vec<BindingSource>,
    subject: Vec<Regex>,
    branch: Regex,
    trailer: String,
    microtask: Regex,
    microtask_trailer: String,
}

/// A policy regex compiled within `limits.regex_size_limit`; a bad one is a usage error.
pub(crate) fn re(policy: &Policy, key: &str, pattern: &str) -> Result<Regex, Error> {
    regex::RegexBuilder::new(pattern)
        .size_limit(policy.limits.regex_size_limit)
        .build()
        .map_err(|e| Error::Usage(format!("policy `{key}` is not a usable regex: {e}")))
}

impl Binder {
    pub fn new(policy: &Policy) -> Result<Binder, Error> {
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
        Ok(Binder {
            order,
            subject: policy
                .binding
                .subject_pattern
                .all()
                .iter()
                .map(|p| re(policy, "binding.subject_pattern", p))
                .collect::<Result<_, _>>()?,
            microtask: re(
                policy,
                "packet.microtasks.id_pattern",
                &policy.packet.microtasks.id_pattern,
            )?,
            microtask_trailer: policy.binding.microtask_trailer.to_ascii_lowercase(),
            branch: re(
                policy,
                "binding.branch_pattern",
                &policy.binding.branch_pattern,
            )?,
            trailer: policy.binding.trailer.to_ascii_lowercase(),
        })
    }

    /// Binds a change to a packet id: the first source in policy order that names one.
    /// The microtask comes from the subject, the microtask trailer, the branch or
    /// `env_mt`, in that order.
    pub fn bind(
        &self,
        message: Option<&str>,
        branch: Option<&str>,
        env: Option<&str>,
    ) -> Option<Binding> {
        self.bind_with(message, branch, env, None)
    }

    /// [`Binder::bind`] with the microtask environment variable's value.
    pub fn bind_with(
        &self,
        message: Option<&str>,
        branch: Option<&str>,
        env: Option<&str>,
        env_mt: Option<&str>,
    ) -> Option<Binding> {
        let mut b = self.bind_packet(message, branch, env)?;
        b.microtask = self.microtask(message, branch, env_mt);
        Some(b)
    }

    fn microtask(
        &self,
        message: Option<&str>,
        branch: Option<&str>,
        env_mt: Option<&str>,
    ) -> Option<String> {
        let find = |s: &str| self.microtask.find(s).map(|m| m.as_str().to_string());
        if let Some(m) = message {
            if let Some(mt) = find(subject(m)) {
                return Some(mt);
            }
            if let Some(mt) = trailers(m)
                .into_iter()
                .find(|(k, _)| k.to_ascii_lowercase() == self.microtask_trailer)
                .map(|(_, v)| v.trim().to_string())
                .filter(|v| !v.is_empty())
            {
                return Some(mt);
            }
        }
        if let Some(mt) = branch.and_then(find) {
            return Some(mt);
        }
        env_mt
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }

    fn bind_packet(
        &self,
        message: Option<&str>,
        branch: Option<&str>,
        env: Option<&str>,
    ) -> Option<Binding> {
        for src in &self.order {
            let id = match src {
                BindingSource::Subject => message.and_then(|m| {
                    let s = subject(m);
                    self.subject.iter().find_map(|re| {
                        re.captures(s)
                            .and_then(|c| c.get(1))
                            .map(|m| m.as_str().to_string())
                    })
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
                return Some(Binding {
                    id,
                    source: *src,
                    microtask: None,
                    candidates: Vec::new(),
                });
            }
        }
        None
    }
}

/// `binding.no-packet`, `binding.unknown-packet` and `binding.unapproved-packet` over the
/// governed changes of a change set. `packet` is the bound packet as the trusted revision
/// has it; `in_change` says that the change itself holds a packet of that id (so it is
/// unapproved, not unknown). Returns the trusted packet when there is one to judge
/// further.
pub fn check<'p>(
    governed: &[&FileChange],
    binding: Option<&Binding>,
    packet: Option<&'p Packet>,
    in_change: bool,
    trusted: &str,
    out: &mut Emitter,
) -> Option<&'p Packet> {
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
        return None;
    };
    if !binding.candidates.is_empty() {
        out.emit(
            diag(
                "binding.ambiguous-packet",
                format!(
                    "{} names `{}`, which {} packets answer to: {}",
                    binding.source.describe(),
                    binding.id,
                    binding.candidates.len(),
                    binding.candidates.join(", ")
                ),
            )
            .with_wp(&binding.id)
            .with_help("name the packet by its full id"),
        );
        return None;
    }
    let Some(packet) = packet else {
        if in_change {
            out.emit(
                diag(
                    "binding.unapproved-packet",
                    format!(
                        "{} names packet {}, which this change creates: it is not in the trusted revision ({trusted}), so it authorises nothing yet",
                        binding.source.describe(),
                        binding.id
                    ),
                )
                .with_wp(&binding.id)
                .with_help(format!(
                    "merge packet {} first (its own reviewed change), then commit the work under it",
                    binding.id
                )),
            );
            return None;
        }
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
        return None;
    };
    if let Some(mt) = binding.microtask.as_deref() {
        if !packet.microtasks.is_empty() && packet.microtask(mt).is_none() {
            out.emit(
                diag(
                    "binding.unknown-microtask",
                    format!(
                        "the change names microtask {mt}, which {} does not have in the trusted revision ({trusted}); it has {}",
                        packet.id,
                        packet
                            .microtasks
                            .iter()
                            .map(|m| m.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .with_path(&packet.path)
                .with_wp(&packet.id),
            );
        }
    }
    Some(packet)
}
