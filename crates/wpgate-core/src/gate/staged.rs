//! The staged index against HEAD (pre-commit, commit-msg).

use super::commits::taken;
use super::{Context, Gate};
use crate::error::Error;
use crate::model::change::ChangeStatus;
use crate::report::Report;
use crate::rules::Emitter;
use crate::source::FileSource;

impl<'r> Gate<'r> {
    /// The staged index against HEAD.
    pub fn staged(&mut self, ctx: &Context) -> Result<Report, Error> {
        let (mut cs, index) = self.repo.staged_with_source(self.policy.git.renames)?;
        if self.repo.state() == crate::git::RepoState::Merge {
            // A merge in progress: the other side's commits were checked on their own
            // branch. A path counts as taken from a merge head only as for a committed
            // merge (`commits::taken`): the head's own change since the merge base, with
            // HEAD still at the merge-base version; deletions and governance files are
            // always the merge's own change.
            let head = self.repo.resolve("HEAD")?;
            let first = self.repo.tree_source(&head)?;
            let heads = self.repo.merge_heads();
            let mut keep = vec![true; cs.changes.len()];
            for merge_head in heads {
                let other = self.repo.tree_source(&merge_head)?;
                let base = match self.repo.merge_base(&head, &merge_head) {
                    Some(b) => Some(self.repo.tree_source(&b)?),
                    None => None,
                };
                for (k, c) in keep.iter_mut().zip(&cs.changes) {
                    *k &= !(c.status != ChangeStatus::Deleted
                        && c.paths().all(|p| {
                            let v = |blob: Option<String>, mode: Option<u32>| (blob, mode);
                            !self.policy.is_governance_file(p)
                                && taken(
                                    &v(index.blob_id(p), index.mode(p)),
                                    &v(first.blob_id(p), first.mode(p)),
                                    &v(other.blob_id(p), other.mode(p)),
                                    base.as_ref().map(|b| v(b.blob_id(p), b.mode(p))).as_ref(),
                                )
                        }));
                }
            }
            let mut flags = keep.iter();
            cs.changes.retain(|_| flags.next().copied().unwrap_or(true));
        }
        if cs.author_email.is_none() {
            cs.author_email = self.repo.config_string("user.email");
        }
        cs.message = ctx.message.clone();
        let mut out = Emitter::new(self.policy);
        let head = self.repo.resolve("HEAD").ok();
        self.check_changeset(&cs, &index, head.as_deref(), ctx, &mut out, None)?;
        Ok(out.finish())
    }
}
