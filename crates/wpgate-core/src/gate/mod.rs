//! The gate: orchestration only. For each entrypoint it says which inputs are read from
//! where and which rules run over them:
//!
//! - [`Gate::staged`] (pre-commit, commit-msg): the staged index against HEAD;
//! - [`Gate::commits`] (`check --commit`, `--range`, CI): each commit against its
//!   parent, pipelined over git child processes;
//! - [`Gate::push`] (pre-push): the commits each pushed ref brings, bound by its branch;
//! - [`repo_rules`] (`check --repo`): every repository-level rule over one workspace.
//!
//! Every change set goes through `Gate::check_changeset`: the diff rules
//! ([`DiffRules`]), policy self-protection, lock immutability and digests, content rules
//! over added lines, and the governance rules that look at a diff (spec freeze, blocked
//! dependencies, added dependencies). Git is read through [`crate::git::Repo`] only; the
//! rules themselves are pure.

pub mod authority;
mod commits;
mod diff;
mod push;
mod repo;
mod staged;

pub use diff::DiffRules;
pub use repo::repo_rules;

use authority::{Authority, AuthorityFiles, NoFiles};

use std::sync::Arc;

use crate::error::Error;
use crate::git::Repo;
use crate::model::change::{AddedLines, ChangeSet, ChangeStatus, FileChange};
use crate::model::packet::{parse_packet, Packet};
use crate::policy::Policy;
use crate::report::Report;
use crate::rules::binding::Binding;
use crate::rules::Emitter;
use crate::source::{FileSource, Resolved, Workspace};

/// Where a change comes from, for binding.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Branch name used for binding (HEAD's branch, the pushed ref, the CI head ref).
    pub branch: Option<String>,
    /// Value of the policy's binding environment variable (`WPGATE_WP`).
    pub env_wp: Option<String>,
    /// Value of the policy's microtask environment variable (`WPGATE_MT`).
    pub env_mt: Option<String>,
    /// Commit message (commit-msg hook) for the staged check.
    pub message: Option<String>,
    /// Pre-commit without a message: binding-dependent rules wait for commit-msg when
    /// neither the branch nor the environment names a packet.
    pub defer_unbound: bool,
}

/// Runs the gate over change sets, reusing compiled rules and parsed packets.
pub struct Gate<'r> {
    pub repo: &'r Repo,
    pub policy: &'r Policy,
    rules: DiffRules,
    content: crate::rules::content::ContentChecker,
    /// What changes are judged by (see [`authority`]).
    authority: Authority,
}

impl<'r> Gate<'r> {
    pub fn new(repo: &'r Repo, policy: &'r Policy) -> Result<Gate<'r>, Error> {
        Ok(Gate {
            repo,
            policy,
            rules: DiffRules::new(policy)?,
            content: crate::rules::content::ContentChecker::new(policy)?,
            // Without a trusted base, each change is judged by its parent: never by itself.
            authority: Authority {
                per_parent: true,
                ..Authority::default()
            },
        })
    }

    /// Judges every change by the trusted revision `base` (see [`authority`]):
    /// packets, board and statuses come from it, or, with `trust.mode = "parent"`, from
    /// each change's parent. `None`: nothing is trusted yet (a repository without
    /// commits), so no packet authorises anything. The policy the gate was made with
    /// should be the base's ([`authority::policy_at`]).
    pub fn with_base(mut self, base: Option<String>) -> Result<Self, Error> {
        let base_tree = match &base {
            Some(rev) => Some(Arc::new(self.repo.tree_source(rev)?)),
            None => None,
        };
        self.authority = Authority {
            base,
            base_tree,
            per_parent: self.policy.trust.per_parent(),
        };
        Ok(self)
    }

    /// The trusted base, when one was set with [`Gate::with_base`].
    pub fn base(&self) -> Option<&str> {
        self.authority.base.as_deref()
    }

    /// The authority's files for a change whose parent is `parent`.
    fn authority_files(&self, parent: Option<&str>) -> Result<AuthorityFiles, Error> {
        if self.authority.per_parent {
            return Ok(match parent {
                Some(p) => AuthorityFiles::Parent(self.repo.tree_source(p)?),
                None => AuthorityFiles::Nothing(NoFiles),
            });
        }
        Ok(match &self.authority.base_tree {
            Some(t) => AuthorityFiles::Base(t.clone()),
            None => AuthorityFiles::Nothing(NoFiles),
        })
    }

    /// Applies the waivers of the trusted revision (the base; without one, HEAD's
    /// committed state, never the work tree) to `report`.
    pub fn apply_waivers(&self, report: &mut Report) -> Result<(), Error> {
        let head = self.repo.resolve("HEAD").ok();
        let rev = self.authority.base.clone().or(head);
        let Some(rev) = rev else {
            return Ok(());
        };
        let tree = self.repo.tree_source(&rev)?;
        let ws = Workspace::new(self.policy, &tree);
        crate::rules::waiver::apply_from(&ws, report, false)
    }

    /// The packet a reference names as it stands in `files` (parsed once per version):
    /// its identity, an alias, or a unique short id.
    fn find_packet(&self, files: &dyn FileSource, id: &str) -> Result<Resolved, Error> {
        Workspace::new(self.policy, files).lookup(id)
    }

    fn read_blob_text(&self, id: Option<&str>, path: &str) -> Result<Option<String>, Error> {
        match id {
            None => Ok(None),
            Some(id) => {
                let raw = self.repo.blob(id, path)?;
                Ok(Some(
                    crate::model::text::TextFile::decode(path, raw)
                        .text
                        .to_string(),
                ))
            }
        }
    }

    /// Every rule over one change set. `files` is the state after the change (the index,
    /// or the commit's tree): only data, judged. `parent` is the change's parent commit
    /// (`None`: none), whose tree is the authority in `trust.mode = "parent"`.
    pub(crate) fn check_changeset(
        &mut self,
        cs: &ChangeSet,
        files: &dyn FileSource,
        parent: Option<&str>,
        ctx: &Context,
        out: &mut Emitter,
        added: Option<Vec<Option<AddedLines>>>,
    ) -> Result<(), Error> {
        // A governance file (policy, waivers, packets, board, audit, template) the change
        // turns into a symlink or another non-regular file is never read, as data or
        // as authority: exit 2 naming it.
        for c in &cs.changes {
            if let Some(path) = c.new_path.as_deref() {
                let regular = matches!(c.new_mode, 0o100644 | 0o100755 | 0);
                if !regular && self.policy.is_governance_file(path) {
                    return Err(Error::governance(
                        path,
                        format!(
                            "the change makes it a {} (mode {:o}), not a regular file",
                            if c.is_symlink() {
                                "symbolic link"
                            } else {
                                "non-regular entry"
                            },
                            c.new_mode
                        ),
                    ));
                }
            }
        }
        let authority = self.authority_files(parent)?;
        let trusted_rev = if self.authority.per_parent {
            parent.map(str::to_string)
        } else {
            self.authority.base.clone()
        };
        let trusted = authority.describe(trusted_rev.as_deref());
        let auth = authority.files();
        let message = cs.message.as_deref().or(ctx.message.as_deref());
        let mut binding: Option<Binding> = self.rules.binder.bind_with(
            message,
            ctx.branch.as_deref(),
            ctx.env_wp.as_deref(),
            ctx.env_mt.as_deref(),
        );
        let role = self.rules.roles.role(message, cs.author_email.as_deref());
        // The bound packet as the trusted revision has it: its existence, scope, lock and
        // STATUS are authority, never the change's own version.
        let packet: Option<Arc<Packet>> = match binding.as_mut() {
            Some(b) => match self.find_packet(auth, &b.id)? {
                Resolved::Found(p) => {
                    // A short id or alias: the change is bound to the packet it names.
                    b.id = p.id.clone();
                    Some(p)
                }
                Resolved::Ambiguous(ids) => {
                    b.candidates = ids;
                    None
                }
                Resolved::Missing => None,
            },
            None => None,
        };
        let in_change = match (&binding, &packet) {
            (Some(b), None) if b.candidates.is_empty() => {
                matches!(self.find_packet(files, &b.id)?, Resolved::Found(_))
            }
            _ => false,
        };
        let wp = binding.as_ref().map(|b| b.id.as_str());

        // Binding, scope, packet state, role.
        if binding.is_some() || !ctx.defer_unbound {
            self.rules.check(
                cs,
                binding.as_ref(),
                packet.as_deref(),
                in_change,
                &trusted,
                role.as_deref(),
                out,
            );
        } else if let Some(role) = role.as_deref() {
            // Without a binding yet (pre-commit waits for the message), the role rule
            // still applies, and its findings are reported.
            self.rules.roles.check(cs, role, out);
        }

        // Policy self-protection (judged under the trusted policy). Like the binding
        // rules it needs the binding or role: pre-commit without them leaves it to
        // commit-msg, which sees the message.
        let deferred = ctx.defer_unbound && binding.is_none() && role.is_none();
        if !deferred {
            crate::rules::policy::check(
                cs,
                binding.as_ref(),
                packet.as_deref(),
                role.as_deref(),
                self.policy,
                out,
            );
        }

        // Lock immutability of every changed packet, and digests of their new versions.
        let policy = self.policy;
        let this = &*self;
        let mut old = |c: &FileChange| match c.old_path.as_deref() {
            Some(p) => this.read_blob_text(c.old_id.as_deref(), p),
            None => Ok(None),
        };
        let mut new = |c: &FileChange| match c.new_path.as_deref() {
            Some(p) => this.read_blob_text(c.new_id.as_deref(), p),
            None => Ok(None),
        };
        let projections: Vec<String> = if cs
            .changes
            .iter()
            .any(|c| c.paths().any(|p| this.rules.lock.is_packet_path(p)))
        {
            Workspace::new(policy, auth)
                .index()?
                .entries
                .iter()
                .filter_map(|e| e.projection.clone())
                .collect()
        } else {
            Vec::new()
        };
        this.rules
            .lock
            .check_locks(cs, policy, &mut old, &mut new, &projections, out)?;
        for c in &cs.changes {
            let Some(path) = c.new_path.as_deref() else {
                continue;
            };
            if !self.rules.lock.is_packet_path(path)
                || c.status == ChangeStatus::Deleted
                || projections.iter().any(|p| p == path)
            {
                continue;
            }
            if let Some(text) = self.read_blob_text(c.new_id.as_deref(), path)? {
                let format = crate::model::packet::Format::of_path(path);
                let p = if format.is_structured() {
                    // A packet the change leaves unreadable is never judged as if it were
                    // fine: exit 2 naming the file, line and column.
                    crate::model::packet::structured::read_packet(path, &text, format, policy)
                        .map_err(|e| Error::governance(path, e.to_string()))?
                } else {
                    parse_packet(path, &text, &policy.packet.fields)
                };
                crate::rules::lock::check_digest(&text, &p, policy, out);
            }
        }

        // Content rules over added lines (read ahead on the producer thread of a range).
        let added = match added {
            Some(a) => a,
            None => commits::added_for(
                self.repo,
                &mut None,
                &self.content,
                self.policy,
                std::slice::from_ref(cs),
            )?
            .pop()
            .unwrap_or_default(),
        };
        for (c, lines) in cs.changes.iter().zip(added) {
            let path = c.path();
            match lines {
                Some(AddedLines::Lines(lines)) => self.content.check_lines(path, &lines, wp, out),
                Some(AddedLines::TooLarge { size }) => {
                    crate::rules::content::skipped(path, size, out)
                }
                Some(AddedLines::Binary(lines)) => self.content.check_binary(path, &lines, wp, out),
                None => {}
            }
        }

        // Governance rules that look at the diff, with the trusted revision's spec,
        // board, packets (dependency status) and OSS register.
        let ws = Workspace::new(self.policy, auth);
        let changed: Vec<(&str, crate::rules::spec::ChangeKind)> = cs
            .changes
            .iter()
            .flat_map(|c| {
                let kind = match c.status {
                    ChangeStatus::Added | ChangeStatus::Copied => {
                        crate::rules::spec::ChangeKind::Added
                    }
                    ChangeStatus::Deleted => crate::rules::spec::ChangeKind::Deleted,
                    ChangeStatus::Renamed => crate::rules::spec::ChangeKind::Renamed,
                    _ => crate::rules::spec::ChangeKind::Modified,
                };
                c.paths().map(move |p| (p, kind))
            })
            .collect();
        crate::rules::spec::check_frozen(&changed, wp, &ws, out)?;
        if let (Some(b), Some(p)) = (&binding, &packet) {
            if !self.rules.scope.governed(cs).is_empty() {
                // Only a packet that has dependencies (its own, or board blockers) can be
                // blocked: the dependency graph is built only then.
                let board = crate::rules::board::load(&ws)?;
                let board_blocks = board.as_ref().is_some_and(|board| {
                    board
                        .entries
                        .iter()
                        .any(|e| e.id == b.id && !e.blockers.is_empty())
                });
                if !p.depends_on.is_empty() || board_blocks {
                    crate::rules::deps::check_blocked_with(
                        &b.id,
                        ws.packets()?,
                        board.as_deref(),
                        self.policy,
                        out,
                    );
                }
            }
        }
        for c in &cs.changes {
            let Some(path) = c.new_path.as_deref() else {
                continue;
            };
            let name = path.rsplit('/').next().unwrap_or(path);
            if name != "Cargo.toml" && name != "package.json" {
                continue;
            }
            let Some(new_text) = self.read_blob_text(c.new_id.as_deref(), path)? else {
                continue;
            };
            let old_text =
                self.read_blob_text(c.old_id.as_deref(), c.old_path.as_deref().unwrap_or(path))?;
            crate::rules::oss::check_added(path, old_text.as_deref(), &new_text, &ws, out)?;
        }
        Ok(())
    }
}
