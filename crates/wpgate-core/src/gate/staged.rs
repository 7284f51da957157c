//! The staged index against HEAD (pre-commit, commit-msg).

use super::{Context, Gate};
use crate::error::Error;
use crate::report::Report;
use crate::rules::Emitter;

impl<'r> Gate<'r> {
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
}
