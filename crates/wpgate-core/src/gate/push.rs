//! A push (the pre-push hook): the commits each pushed ref update brings that the remote
//! does not have, each bound by its branch.

use super::{Context, Gate};
use crate::error::Error;
use crate::git::parse_pre_push;
use crate::report::Report;

impl Gate<'_> {
    /// Gates the commits of every ref update in `input` (the hook's stdin:
    /// `<local ref> <local sha> <remote ref> <remote sha>` lines) pushed to `remote`. A
    /// commit that several updates bring is checked once. `env_wp` is the policy's
    /// binding environment variable.
    pub fn push(
        &mut self,
        remote: &str,
        input: &str,
        env_wp: Option<String>,
    ) -> Result<Report, Error> {
        let repo = self.repo;
        let updates = parse_pre_push(input)?;
        let mut report = Report::new();
        let mut seen = std::collections::HashSet::new();
        for u in &updates {
            let shas = repo.pre_push(
                remote,
                &format!(
                    "{} {} {} {}\n",
                    u.local_ref, u.local_sha, u.remote_ref, u.remote_sha
                ),
            )?;
            let shas: Vec<String> = shas
                .into_iter()
                .filter(|s| seen.insert(s.clone()))
                .collect();
            if shas.is_empty() {
                continue;
            }
            // `git push origin HEAD` sends `HEAD` as the local ref: bind by the checked-out
            // branch then, else by the branch being pushed to (what CI will see).
            let branch = u
                .local_ref
                .strip_prefix("refs/heads/")
                .map(str::to_string)
                .or_else(|| {
                    (u.local_ref == "HEAD")
                        .then(|| repo.head_branch())
                        .flatten()
                })
                .or_else(|| u.remote_ref.strip_prefix("refs/heads/").map(str::to_string));
            let r = self.commits(
                &shas,
                &Context {
                    branch,
                    env_wp: env_wp.clone(),
                    ..Context::default()
                },
            )?;
            report.extend(r);
        }
        Ok(report)
    }
}
