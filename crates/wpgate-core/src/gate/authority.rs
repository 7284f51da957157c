//! The authority: the trusted revision whose policy, waivers, packets (existence, scope,
//! lock, STATUS, dependencies), board and roles a change is judged by. The change under
//! test is only data: nothing it contains can grant, widen, waive or switch off anything.
//!
//! Which revision is trusted (policy `[trust]`, SECURITY.md):
//! - `mode = "base"` (default): the revision the change will merge into. CI: the merge
//!   base of the pull request base (`--base`) and the head; pre-push: what the remote
//!   already has; pre-commit, commit-msg, `check --commit`: the merge base of the tip
//!   with HEAD's upstream or a protected branch (`trust.protected`), else the tip's
//!   parent (HEAD for the staged index); `check --range A..B`: the merge base of A and B.
//!   The policy and the waivers always come from this revision.
//! - `mode = "parent"`: packets, board and statuses come from each commit's parent (the
//!   staged index: HEAD), so no commit authorises itself, though an earlier commit of the
//!   same push may authorise a later one. The policy and waivers still come from the
//!   base.
//!
//! The `[trust]` settings are themselves read from the trusted revision: the base is
//! first found with the built-in protected branch names, and found again only when the
//! policy there names other ones.

use std::sync::Arc;

use crate::error::Error;
use crate::git::{parse_pre_push, Repo, TreeSource};
use crate::policy::load::POLICY_MAX_BYTES;
use crate::policy::{Policy, PolicySource, TrustPolicy, POLICY_FILE_NAMES};
use crate::source::FileSource;

/// The trusted base of a change whose newest commit is `tip` (`None`: the staged index
/// on top of HEAD): the merge base with HEAD's upstream or the first protected branch
/// when the tip is not already on it, else the tip's parent (HEAD for the index). `None`
/// when there is no commit to trust (an unborn branch, a root commit).
pub fn trusted_base(repo: &Repo, trust: &TrustPolicy, tip: Option<&str>) -> Option<String> {
    let tip_sha = match tip {
        Some(t) => repo.resolve(t).ok()?,
        None => repo.resolve("HEAD").ok()?,
    };
    let anchors = [
        repo.upstream_of_head(),
        repo.protected_tip(&trust.protected),
    ];
    for anchor in anchors.into_iter().flatten() {
        if let Some(mb) = repo.merge_base(&tip_sha, &anchor) {
            if mb != tip_sha {
                return Some(mb);
            }
        }
    }
    match tip {
        None => Some(tip_sha),
        Some(_) => repo.first_parent(&tip_sha),
    }
}

/// The trusted base of a push: for the first ref update that pushes something, the
/// merge base with the remote's old value when this repository has it, else
/// [`trusted_base`] of the pushed tip.
pub fn push_base(repo: &Repo, trust: &TrustPolicy, input: &str) -> Result<Option<String>, Error> {
    for u in parse_pre_push(input)? {
        if u.is_delete() {
            continue;
        }
        if !u.is_new() {
            if let Some(mb) = repo.merge_base(&u.local_sha, &u.remote_sha) {
                return Ok(Some(mb));
            }
        }
        return Ok(trusted_base(repo, trust, Some(&u.local_sha)));
    }
    Ok(None)
}

/// The policy of a revision: its `wpgate.toml` / `.wpgate.toml`, else the embedded
/// default (also when there is no revision to trust).
pub fn policy_at(repo: &Repo, rev: Option<&str>) -> Result<(Policy, PolicySource), Error> {
    let Some(rev) = rev else {
        return Ok((Policy::embedded(), PolicySource::Embedded));
    };
    let tree = repo.tree_source(rev)?;
    for name in POLICY_FILE_NAMES {
        let Some(raw) = tree.read_limited(name, POLICY_MAX_BYTES)? else {
            continue;
        };
        let text = String::from_utf8(raw).map_err(|_| Error::Input {
            path: (*name).to_string(),
            line: 1,
            message: format!("the policy at {} is not UTF-8", short(rev)),
        })?;
        let shown = format!("{name} (at {})", short(rev));
        let policy = Policy::from_text(&shown, &text)?;
        return Ok((
            policy,
            PolicySource::Revision {
                rev: rev.to_string(),
                path: (*name).to_string(),
            },
        ));
    }
    Ok((Policy::embedded(), PolicySource::Embedded))
}

/// Finds the trusted base with `find` and loads its policy; when that policy names other
/// protected branches than the built-in ones, finds the base again with them.
pub fn resolve(
    repo: &Repo,
    find: impl Fn(&TrustPolicy) -> Result<Option<String>, Error>,
) -> Result<(Option<String>, Policy, PolicySource), Error> {
    let builtin = TrustPolicy::default();
    let base = find(&builtin)?;
    let (policy, source) = policy_at(repo, base.as_deref())?;
    if policy.trust.protected == builtin.protected {
        return Ok((base, policy, source));
    }
    let again = find(&policy.trust)?;
    if again == base {
        return Ok((base, policy, source));
    }
    let (policy, source) = policy_at(repo, again.as_deref())?;
    Ok((again, policy, source))
}

/// A short commit id for messages.
pub fn short(rev: &str) -> &str {
    rev.get(..rev.len().min(12)).unwrap_or(rev)
}

/// What a gate judges changes by.
#[derive(Clone, Default)]
pub(crate) struct Authority {
    /// The trusted base (`None` with `per_parent`: each change's parent; without: nothing
    /// is trusted, e.g. a repository with no commit yet).
    pub base: Option<String>,
    pub base_tree: Option<Arc<TreeSource>>,
    pub per_parent: bool,
}

/// A source with no files (the authority when nothing is trusted yet).
pub(crate) struct NoFiles;

impl FileSource for NoFiles {
    fn read(&self, _path: &str) -> Result<Option<Vec<u8>>, Error> {
        Ok(None)
    }
    fn list(&self, _dir: &str) -> Result<Vec<String>, Error> {
        Ok(Vec::new())
    }
    fn describe(&self) -> String {
        "no trusted revision".into()
    }
}

/// The files of the authority for one change: the base tree, the change's parent tree,
/// or nothing.
pub(crate) enum AuthorityFiles {
    Base(Arc<TreeSource>),
    Parent(TreeSource),
    Nothing(NoFiles),
}

impl AuthorityFiles {
    pub fn files(&self) -> &dyn FileSource {
        match self {
            AuthorityFiles::Base(t) => t.as_ref(),
            AuthorityFiles::Parent(t) => t,
            AuthorityFiles::Nothing(n) => n,
        }
    }

    /// What the trusted revision is, for messages.
    pub fn describe(&self, rev: Option<&str>) -> String {
        match (self, rev) {
            (AuthorityFiles::Nothing(_), _) => "none: no commit is trusted yet".into(),
            (_, Some(r)) => format!("commit {}", short(r)),
            (_, None) => self.files().describe(),
        }
    }
}
