//! Lock immutability: the locked content of a packet and its digest.
//!
//! The locked content of a packet is its text up to and including the lock footer
//! (`**User Signature Locked:** …`); when a packet carries only a metadata signature
//! (`- USER_SIGNATURE: …`) it is the text up to the first appended validation report
//! heading, or the whole file. It is split into lines at every break the Markdown reader
//! honours (LF, CRLF, lone CR). Only the line of each mutable field (policy
//! `lock.mutable_fields`, default STATUS) that the parser recognised, with its label and a
//! plain value on one line, may change, and only its value; any other line carrying a
//! mutable label is locked content, so inserting, deleting or moving a STATUS line is an
//! edit (see `model::packet::lock`). Text appended after the footer (validation reports)
//! is not locked.
//!
//! `wpgate packet lock` writes `**Lock Digest:** sha256:<hex>` after the footer: the
//! sha256 of the locked content, so integrity can be checked without git history (a
//! shallow CI clone). The digest proves the content is what it was when locked; it does
//! not prove who locked it (anyone can recompute a sha256).

use regex::Regex;

use crate::error::Error;
use crate::model::change::{ChangeSet, ChangeStatus, FileChange};
use crate::model::packet::lock::{digest, digest_matches, first_locked_difference, locked_content};
use crate::model::packet::parse_packet;
use crate::rules::binding::re;

use crate::model::packet::Packet;
use crate::policy::Policy;
use crate::report::Severity;
use crate::rules::{diag, Emitter, RuleInfo};

pub const RULES: &[RuleInfo] = &[
    RuleInfo {
        id: "lock.locked-packet-edited",
        default: Severity::Error,
        summary: "a locked task packet was edited, renamed or deleted",
        help: "Once a packet carries a real USER_SIGNATURE it is immutable (protocol Part 5.6): \
               its content up to the lock footer may not change, except the fields the policy \
               declares mutable (lock.mutable_fields, default STATUS). Text appended after the \
               footer (validation reports) is allowed. If the packet must change, create a new \
               variant packet (WP-…-v2) and lock that one.",
        example: "a commit changing `- **IN_SCOPE_PATHS**:` of docs/task_packets/WP-1-Foo.md \
                  whose footer says `**User Signature Locked:** ilja251220251542`",
    },
    RuleInfo {
        id: "lock.digest-mismatch",
        default: Severity::Error,
        summary: "a locked packet's content no longer matches its recorded lock digest",
        help: "`wpgate packet lock` records `**Lock Digest:** sha256:…` of the locked content. \
               A mismatch means the locked part was edited after locking (this check needs no \
               git history, so it also works in shallow clones). Restore the locked text, or \
               create a new variant packet.",
        example: "**User Signature Locked:** ilja251220251542\n**Lock Digest:** sha256:0000…",
    },
];

/// `lock.digest-mismatch` for one packet.
pub fn check_digest(text: &str, packet: &Packet, policy: &Policy, out: &mut Emitter) {
    if digest_matches(text, packet, policy) == Some(false) {
        if let Some(f) = &packet.lock_digest {
            out.emit(
                diag(
                    "lock.digest-mismatch",
                    format!(
                        "locked content of {} does not match its lock digest (now {})",
                        packet.id,
                        digest(&locked_content(text, packet, policy))
                    ),
                )
                .at(&packet.path, f.line, f.span)
                .with_wp(&packet.id),
            );
        }
    }
}

/// What the lock rules need of a policy, compiled once per run.
pub struct LockRules {
    placeholder: Regex,
    packets_dir: String,
    packet_glob: globset::GlobMatcher,
}

impl LockRules {
    pub fn new(policy: &Policy) -> Result<LockRules, Error> {
        let packet_glob = globset::Glob::new(&policy.layout.packet_glob)
            .map_err(|e| Error::Usage(format!("policy layout.packet_glob: {e}")))?
            .compile_matcher();
        Ok(LockRules {
            placeholder: re(
                policy,
                "lock.placeholder_pattern",
                &policy.lock.placeholder_pattern,
            )?,
            packets_dir: policy.layout.packets_dir.trim_end_matches('/').to_string(),
            packet_glob,
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
                    if let Some(line) = first_locked_difference(
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
