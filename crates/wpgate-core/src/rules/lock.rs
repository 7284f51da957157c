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
use crate::model::packet::discovery::Roots;
use crate::model::packet::lock::{digest, digest_matches, first_locked_difference, locked_content};
use crate::model::packet::{parse_packet, structured, Format};
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
    if packet.format.is_structured() {
        // The digest of a structured packet covers its canonical form (keys sorted,
        // without its status, digest and `lock.mutable_pointers`).
        let (Some(f), Ok(root)) = (&packet.lock_digest, structured::parse(text, packet.format))
        else {
            return;
        };
        let want = f.value.trim().to_ascii_lowercase();
        if want.is_empty() {
            return;
        }
        let now = digest(&structured::locked_form(&root, policy));
        if now != want {
            out.emit(
                diag(
                    "lock.digest-mismatch",
                    format!(
                        "locked content of {} does not match its lock digest (now {now})",
                        packet.id
                    ),
                )
                .at(&packet.path, f.line, f.span)
                .with_wp(&packet.id),
            );
        }
        return;
    }
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
    roots: Roots,
}

impl LockRules {
    pub fn new(policy: &Policy) -> Result<LockRules, Error> {
        Ok(LockRules {
            placeholder: re(
                policy,
                "lock.placeholder_pattern",
                &policy.lock.placeholder_pattern,
            )?,
            roots: Roots::new(policy)?,
        })
    }

    /// Is `path` a packet file (it matches a packet root)?
    pub fn is_packet_path(&self, path: &str) -> bool {
        self.roots.root_of(path).is_some()
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
        projections: &[String],
        out: &mut Emitter,
    ) -> Result<(), Error> {
        for change in &cs.changes {
            let Some(old_path) = change.old_path.as_deref() else {
                continue;
            };
            // A projection is generated from its contract, which holds the lock (and
            // `packet.projection-drift` holds the projection to it).
            if !self.is_packet_path(old_path) || projections.iter().any(|p| p == old_path) {
                continue;
            }
            let Some(old_text) = old(change)? else {
                continue;
            };
            let format = Format::of_path(old_path);
            if format.is_structured() {
                self.check_structured(change, old_path, &old_text, format, policy, new, out)?;
                continue;
            }
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

impl LockRules {
    /// `lock.locked-packet-edited` for a structured packet: its canonical locked form
    /// (everything but the status, digest and mutable pointers) may not change. A
    /// trusted version that does not parse locks nothing it could show; the new version
    /// not parsing is an edit of the locked packet.
    #[allow(clippy::too_many_arguments)]
    fn check_structured(
        &self,
        change: &FileChange,
        old_path: &str,
        old_text: &str,
        format: Format,
        policy: &Policy,
        new: &mut dyn FnMut(&FileChange) -> Result<Option<String>, Error>,
        out: &mut Emitter,
    ) -> Result<(), Error> {
        let Ok(old_root) = structured::parse(old_text, format) else {
            return Ok(());
        };
        let old_packet = structured::packet_from(old_path, old_text, format, &old_root, policy);
        if !real_lock(&old_packet, &self.placeholder) {
            return Ok(());
        }
        let sig = old_packet.signature().unwrap_or_default().to_string();
        let id = &old_packet.id;
        let emit = |out: &mut Emitter, msg: String, line: Option<usize>| {
            out.emit(
                diag("lock.locked-packet-edited", msg)
                    .with_path(old_path)
                    .with_opt_line(line)
                    .with_wp(id),
            )
        };
        if change.status == ChangeStatus::Deleted {
            emit(
                out,
                format!("{old_path}: locked packet {id} (signature {sig}) was deleted"),
                None,
            );
            return Ok(());
        }
        if change.new_path.as_deref() != Some(old_path) {
            emit(
                out,
                format!(
                    "{old_path}: locked packet {id} (signature {sig}) was renamed to {}",
                    change.new_path.as_deref().unwrap_or("?")
                ),
                None,
            );
            return Ok(());
        }
        let Some(new_text) = new(change)? else {
            return Ok(());
        };
        match structured::parse(&new_text, format) {
            Err(e) => emit(
                out,
                format!("{old_path}: locked packet {id} (signature {sig}) no longer parses: {e}"),
                Some(e.line),
            ),
            Ok(new_root) => {
                if structured::locked_form(&old_root, policy)
                    != structured::locked_form(&new_root, policy)
                {
                    let (at, span) = structured::first_difference(&old_root, &new_root, policy)
                        .unwrap_or_else(|| (String::new(), new_root.span));
                    let line = crate::text::line_of(&new_text, span.start);
                    emit(
                        out,
                        format!(
                            "{old_path}: locked content of {id} (signature {sig}) changed; first difference at `{at}` (line {line})"
                        ),
                        Some(line),
                    );
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
