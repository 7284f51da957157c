//! The gate: runs every diff rule on the staged index, one commit, a range or the
//! commits of a push, and every repository-level rule for `check --repo`.
//!
//! Git is read through [`crate::git::Repo`] only; the rules themselves are pure.

use std::collections::HashMap;
use std::sync::Arc;

use crate::diag::Report;
use crate::error::Error;
use crate::git::{AddedLines, ChangeSet, ChangeStatus, FileChange, Repo};
use crate::packet::{parse_packet, Packet};
use crate::policy::Policy;
use crate::rules::diff::{Binding, DiffRules};
use crate::rules::Emitter;
use crate::workspace::{FileSource, Workspace};

/// Where a change comes from, for binding.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Branch name used for binding (HEAD's branch, the pushed ref, the CI head ref).
    pub branch: Option<String>,
    /// Value of the policy's binding environment variable (`WPGATE_WP`).
    pub env_wp: Option<String>,
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
    content: crate::content::ContentChecker,
    /// Parsed packets by blob id: each packet version is parsed once per run.
    packet_cache: HashMap<String, Arc<Packet>>,
}

impl<'r> Gate<'r> {
    pub fn new(repo: &'r Repo, policy: &'r Policy) -> Result<Gate<'r>, Error> {
        Ok(Gate {
            repo,
            policy,
            rules: DiffRules::new(policy)?,
            content: crate::content::ContentChecker::new(policy)?,
            packet_cache: HashMap::new(),
        })
    }

    /// The staged index against HEAD.
    pub fn staged(&mut self, ctx: &Context) -> Result<Report, Error> {
        let (mut cs, index) = self.repo.staged_with_source(self.policy.git.renames)?;
        if self.repo.state() == crate::git::RepoState::Merge {
            // A merge in progress: the other side's commits were checked on their own
            // branch. Only what the merge itself introduces (paths differing from every
            // parent) is checked here.
            let heads = self.repo.merge_heads();
            for head in heads {
                let against = self.repo.staged_against(&head, self.policy.git.renames)?;
                let keep: std::collections::HashSet<&str> =
                    against.changes.iter().map(|c| c.path()).collect();
                cs.changes.retain(|c| keep.contains(c.path()));
            }
        }
        if cs.author_email.is_none() {
            cs.author_email = self.repo.config_string("user.email");
        }
        cs.message = ctx.message.clone();
        let mut out = Emitter::new(self.policy);
        self.check_changeset(&cs, &index, ctx, &mut out, None)?;
        Ok(out.finish())
    }

    /// Commits (full shas), each against its parent, in the order given.
    ///
    /// Two or more commits run as a pipeline: a producer thread (with its own repository
    /// handle) reads each commit's changes from one `git log` child (see
    /// [`Repo::commits`]) and the lines they add through one `git cat-file --batch` child,
    /// while this thread runs the rules, in commit order. The findings are exactly those
    /// of checking one commit at a time. (The producer reads blobs through git, not
    /// libgit2: libgit2 serialises pack reads across threads behind one lock, and a
    /// producer using it made the pipeline slower than one thread.)
    pub fn commits(&mut self, shas: &[String], ctx: &Context) -> Result<Report, Error> {
        let all_parents = self.policy.git.merge_parents == "all";
        let renames = self.policy.git.renames;
        if shas.len() < 2 {
            let mut report = Report::new();
            for sha in shas {
                let cs = self.repo.commit(sha, all_parents, renames)?;
                report.extend(self.commit_findings(cs, None, ctx)?);
            }
            return Ok(report);
        }
        let policy = self.policy;
        let git_dir = self.repo.git_dir().to_path_buf();
        type Item = Result<(ChangeSet, Vec<Option<AddedLines>>), Error>;
        std::thread::scope(|s| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Item>(256);
            s.spawn(move || {
                let setup = Repo::discover(&git_dir).and_then(|repo| {
                    let checker = crate::content::ContentChecker::new(policy)?;
                    Ok((repo, checker))
                });
                let (repo, checker) = match setup {
                    Ok(x) => x,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                };
                let mut blobs = repo.blob_reader();
                // Commits go in batches: one request to the blob reader per batch.
                let mut stream = repo.commits(shas, all_parents, renames);
                let mut done = false;
                while !done {
                    let mut batch = Vec::new();
                    let mut failure = None;
                    while batch.len() < 32 {
                        match stream.next() {
                            Some(Ok(cs)) => batch.push(cs),
                            Some(Err(e)) => {
                                failure = Some(e);
                                break;
                            }
                            None => {
                                done = true;
                                break;
                            }
                        }
                    }
                    let added = match added_for(&repo, &mut blobs, &checker, policy, &batch) {
                        Ok(a) => a,
                        Err(e) => {
                            let _ = tx.send(Err(e));
                            return;
                        }
                    };
                    for item in batch.into_iter().zip(added) {
                        if tx.send(Ok(item)).is_err() {
                            return;
                        }
                    }
                    if let Some(e) = failure {
                        let _ = tx.send(Err(e));
                        return;
                    }
                }
            });
            let mut report = Report::new();
            for sha in shas {
                let (cs, added) = rx
                    .recv()
                    .map_err(|_| Error::git(format!("no changes were read for commit {sha}")))??;
                report.extend(self.commit_findings(cs, Some(added), ctx)?);
            }
            Ok(report)
        })
    }

    /// The findings of one commit.
    fn commit_findings(
        &mut self,
        mut cs: ChangeSet,
        mut added: Option<Vec<Option<AddedLines>>>,
        ctx: &Context,
    ) -> Result<Report, Error> {
        let all_parents = self.policy.git.merge_parents == "all";
        let sha = cs.commit.clone().unwrap_or_default();
        let sha = sha.as_str();
        {
            let tree = self.repo.tree_source(sha)?;
            if !all_parents && cs.parents.len() > 1 {
                // A merge against its first parent, like a merge being committed (see
                // `staged`): a path the merge takes unchanged from another parent came
                // with that parent's commits, which are checked on their own; only what
                // the merge itself introduces (differing from every parent) is checked.
                // Without this a clean merge passed the hooks and failed the push.
                let mut keep = vec![true; cs.changes.len()];
                for parent in &cs.parents[1..] {
                    let other = self.repo.tree_source(parent)?;
                    for (k, c) in keep.iter_mut().zip(&cs.changes) {
                        *k &= !c.paths().all(|p| {
                            tree.blob_id(p) == other.blob_id(p) && tree.mode(p) == other.mode(p)
                        });
                    }
                }
                let mut flags = keep.iter();
                cs.changes.retain(|_| flags.next().copied().unwrap_or(true));
                if let Some(a) = added.as_mut() {
                    let mut flags = keep.iter();
                    a.retain(|_| flags.next().copied().unwrap_or(true));
                }
            }
            let mut out = Emitter::new(self.policy);
            out.commit = cs.commit.clone();
            let ctx = Context {
                message: None,
                defer_unbound: false,
                ..ctx.clone()
            };
            self.check_changeset(&cs, &tree, &ctx, &mut out, added)?;
            Ok(out.finish())
        }
    }

    /// The bound packet as it stands in `files` (parsed once per blob).
    fn find_packet(
        &mut self,
        files: &dyn FileSource,
        id: &str,
    ) -> Result<Option<Arc<Packet>>, Error> {
        let dir = self.policy.layout.packets_dir.trim_end_matches('/');
        let direct = format!("{dir}/{id}.md");
        if let Some(p) = self.packet_at(files, &direct)? {
            if p.id == id {
                return Ok(Some(p));
            }
        }
        // The TASK_ID may differ from the file name: look at every packet.
        let ws = Workspace::new(self.policy, files);
        for path in ws.packet_paths()? {
            if path == direct {
                continue;
            }
            if let Some(p) = self.packet_at(files, &path)? {
                if p.id == id {
                    return Ok(Some(p));
                }
            }
        }
        Ok(None)
    }

    fn packet_at(
        &mut self,
        files: &dyn FileSource,
        path: &str,
    ) -> Result<Option<Arc<Packet>>, Error> {
        let key = files
            .blob_id(path)
            .unwrap_or_else(|| format!("path:{path}"));
        if let Some(p) = self.packet_cache.get(&key) {
            if p.path == path {
                return Ok(Some(p.clone()));
            }
        }
        // Shared with the workspace's packet list: each version is parsed once per run.
        let shared = files.parse_cache();
        if let (Some(cache), Some(blob)) = (&shared, files.blob_id(path)) {
            if let Some(p) = cache.packet(&blob, path) {
                let p = Arc::new(p);
                self.packet_cache.insert(key, p.clone());
                return Ok(Some(p));
            }
        }
        let Some(raw) = files.read(path)? else {
            return Ok(None);
        };
        let tf = crate::workspace::TextFile::decode(path, raw);
        let p = Arc::new(parse_packet(path, &tf.text, &self.policy.packet.fields));
        if let (Some(cache), Some(blob)) = (&shared, files.blob_id(path)) {
            cache.store_packet(&blob, &p);
        }
        self.packet_cache.insert(key, p.clone());
        Ok(Some(p))
    }

    fn read_blob_text(&self, id: Option<&str>, path: &str) -> Result<Option<String>, Error> {
        match id {
            None => Ok(None),
            Some(id) => {
                let raw = self.repo.blob(id, path)?;
                Ok(Some(
                    crate::workspace::TextFile::decode(path, raw)
                        .text
                        .to_string(),
                ))
            }
        }
    }

    fn check_changeset(
        &mut self,
        cs: &ChangeSet,
        files: &dyn FileSource,
        ctx: &Context,
        out: &mut Emitter,
        added: Option<Vec<Option<AddedLines>>>,
    ) -> Result<(), Error> {
        let message = cs.message.as_deref().or(ctx.message.as_deref());
        let binding: Option<Binding> =
            self.rules
                .bind(message, ctx.branch.as_deref(), ctx.env_wp.as_deref());
        let role = self.rules.role(message, cs.author_email.as_deref());
        let packet = match &binding {
            Some(b) => self.find_packet(files, &b.id)?,
            None => None,
        };
        let wp = binding.as_ref().map(|b| b.id.as_str());

        // Binding, scope, packet state, role.
        if binding.is_some() || !ctx.defer_unbound {
            self.rules.check(
                cs,
                binding.as_ref(),
                packet.as_deref(),
                role.as_deref(),
                out,
            );
        } else if let Some(role) = role.as_deref() {
            // Without a binding yet, the role rule still applies.
            self.rules
                .check(cs, None, None, Some(role), &mut Emitter::new(self.policy));
            let _ = role;
        }

        // Policy self-protection.
        crate::guard::check(
            cs,
            binding.as_ref(),
            packet.as_deref(),
            role.as_deref(),
            self.policy,
            out,
        );

        // Lock immutability of every changed packet, and digests of their new versions.
        let repo = self.repo;
        let policy = self.policy;
        let mut old = |c: &FileChange| -> Result<Option<String>, Error> {
            match (c.old_id.as_deref(), c.old_path.as_deref()) {
                (Some(id), Some(p)) => Ok(Some(
                    crate::workspace::TextFile::decode(p, repo.blob(id, p)?)
                        .text
                        .to_string(),
                )),
                _ => Ok(None),
            }
        };
        let mut new = |c: &FileChange| -> Result<Option<String>, Error> {
            match (c.new_id.as_deref(), c.new_path.as_deref()) {
                (Some(id), Some(p)) => Ok(Some(
                    crate::workspace::TextFile::decode(p, repo.blob(id, p)?)
                        .text
                        .to_string(),
                )),
                _ => Ok(None),
            }
        };
        self.rules
            .check_locks(cs, policy, &mut old, &mut new, out)?;
        for c in &cs.changes {
            let Some(path) = c.new_path.as_deref() else {
                continue;
            };
            if !self.rules.is_packet_path(path) || c.status == ChangeStatus::Deleted {
                continue;
            }
            if let Some(text) = self.read_blob_text(c.new_id.as_deref(), path)? {
                let p = parse_packet(path, &text, &policy.packet.fields);
                crate::lock::check_digest(&text, &p, policy, out);
            }
        }

        // Content rules over added lines (read ahead on the producer thread of a range).
        let added = match added {
            Some(a) => a,
            None => added_for(
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
                Some(AddedLines::TooLarge { size }) => crate::content::skipped(path, size, out),
                Some(AddedLines::Binary) | None => {}
            }
        }

        // Governance rules that look at the diff.
        let ws = Workspace::new(self.policy, files);
        let changed: Vec<(&str, crate::spec::ChangeKind)> = cs
            .changes
            .iter()
            .flat_map(|c| {
                let kind = match c.status {
                    ChangeStatus::Added | ChangeStatus::Copied => crate::spec::ChangeKind::Added,
                    ChangeStatus::Deleted => crate::spec::ChangeKind::Deleted,
                    ChangeStatus::Renamed => crate::spec::ChangeKind::Renamed,
                    _ => crate::spec::ChangeKind::Modified,
                };
                c.paths().map(move |p| (p, kind))
            })
            .collect();
        crate::spec::check_frozen(&changed, wp, &ws, out)?;
        if let (Some(b), Some(p)) = (&binding, &packet) {
            if !self.rules.governed(cs).is_empty() {
                // Only a packet that has dependencies (its own, or board blockers) can be
                // blocked: the dependency graph is built only then.
                let board = crate::board::load(&ws)?;
                let board_blocks = board.as_ref().is_some_and(|board| {
                    board
                        .entries
                        .iter()
                        .any(|e| e.id == b.id && !e.blockers.is_empty())
                });
                if !p.depends_on.is_empty() || board_blocks {
                    crate::deps::check_blocked_with(
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
            crate::oss::check_added(path, old_text.as_deref(), &new_text, &ws, out)?;
        }
        Ok(())
    }
}

/// The lines each change of each change set adds, for the changes the content rules look
/// at (`None` for the others: deletions, gitlinks, symlinks, paths no content rule applies
/// to); the blobs of all of them are read in one request when `blobs` is a reader.
fn added_for(
    repo: &Repo,
    blobs: &mut Option<crate::git::BlobReader>,
    content: &crate::content::ContentChecker,
    policy: &Policy,
    sets: &[ChangeSet],
) -> Result<Vec<Vec<Option<AddedLines>>>, Error> {
    let wanted = |c: &FileChange| {
        c.status != ChangeStatus::Deleted
            && !c.is_gitlink()
            && !c.is_symlink()
            && content.applies(c.path())
    };
    let changes: Vec<&FileChange> = sets
        .iter()
        .flat_map(|cs| cs.changes.iter())
        .filter(|c| wanted(c))
        .collect();
    let mut lines = repo
        .added_lines_many(blobs, &changes, policy.limits.max_content_bytes)?
        .into_iter();
    Ok(sets
        .iter()
        .map(|cs| {
            cs.changes
                .iter()
                .map(|c| if wanted(c) { lines.next() } else { None })
                .collect()
        })
        .collect())
}

/// Every repository-level rule over a workspace (`wpgate check --repo`).
pub fn repo_rules(ws: &Workspace, out: &mut Emitter) -> Result<(), Error> {
    // The two big inputs are independent: index the spec while the packets are parsed
    // (both are cached for the rules below; errors surface there).
    std::thread::scope(|s| {
        s.spawn(|| {
            let _ = crate::spec::load(ws);
        });
        let _ = ws.packets();
    });
    for p in ws.packets()? {
        if let Some(tf) = ws.text(&p.path)? {
            crate::rules::packet::check_packet(p, &tf, ws.policy, out);
            crate::lock::check_digest(&tf.text, p, ws.policy, out);
        }
    }
    crate::spec::check(ws, out)?;
    crate::board::check(ws, out)?;
    crate::deps::check(ws, out)?;
    crate::deps::check_overlap(ws, out)?;
    crate::oss::check(ws, out)?;
    crate::signature::check(ws, out)?;
    Ok(())
}
