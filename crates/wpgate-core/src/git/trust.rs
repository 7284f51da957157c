//! The trusted revision: merge bases with the upstream or a protected branch, for the
//! gate's authority (`crate::gate::authority`).

use super::*;

impl Repo {
    /// The merge base of two revisions (`None` when they share no history or one of
    /// them does not resolve).
    pub fn merge_base(&self, a: &str, b: &str) -> Option<String> {
        let a = self
            .repo
            .revparse_single(a)
            .ok()?
            .peel_to_commit()
            .ok()?
            .id();
        let b = self
            .repo
            .revparse_single(b)
            .ok()?
            .peel_to_commit()
            .ok()?
            .id();
        self.repo.merge_base(a, b).ok().map(|o| o.to_string())
    }

    /// The commit of the upstream branch of the checked-out branch (`branch.<name>.merge`
    /// on `branch.<name>.remote`), when one is configured and present.
    pub fn upstream_of_head(&self) -> Option<String> {
        let branch = self.head_branch()?;
        let b = self
            .repo
            .find_branch(&branch, git2::BranchType::Local)
            .ok()?;
        let up = b.upstream().ok()?;
        Some(up.get().peel_to_commit().ok()?.id().to_string())
    }

    /// The tip of the first protected branch that exists: `refs/remotes/<remote>/<name>`
    /// for any remote first (what the server has), then `refs/heads/<name>`.
    pub fn protected_tip(&self, names: &[String]) -> Option<String> {
        let remotes: Vec<String> = self
            .repo
            .remotes()
            .ok()
            .map(|r| r.iter().flatten().map(str::to_string).collect())
            .unwrap_or_default();
        for name in names {
            let mut candidates: Vec<String> = remotes
                .iter()
                .map(|r| format!("refs/remotes/{r}/{name}"))
                .collect();
            candidates.push(format!("refs/heads/{name}"));
            for c in candidates {
                if let Ok(r) = self.repo.find_reference(&c) {
                    if let Ok(commit) = r.peel_to_commit() {
                        return Some(commit.id().to_string());
                    }
                }
            }
        }
        None
    }

    /// The first parent of a commit (`None` for a root commit).
    pub fn first_parent(&self, rev: &str) -> Option<String> {
        let c = self.repo.revparse_single(rev).ok()?.peel_to_commit().ok()?;
        c.parent_id(0).ok().map(|o| o.to_string())
    }
}
