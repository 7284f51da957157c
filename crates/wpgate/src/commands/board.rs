//! `wpgate board check`: the task board against the packets, and stalled packets.

use wpgate_core::git::Repo;
use wpgate_core::rules::Emitter;
use wpgate_core::source::Workspace;
use wpgate_core::Error;

use crate::context::{with_ws, Ctx};

/// Board vs packets, plus `board.stalled` when the work tree is a repository.
pub fn check(ctx: &Ctx) -> Result<u8, Error> {
    with_ws(ctx, false, |ws, out| {
        wpgate_core::rules::board::check(ws, out)?;
        let repo = Repo::discover(&ctx.root).ok();
        if let Some(repo) = repo {
            stalled(ws, &repo, out)?;
        }
        Ok(())
    })
}

/// `board.stalled`: in-progress packets whose scope git history has not touched lately.
pub(crate) fn stalled(ws: &Workspace, repo: &Repo, out: &mut Emitter) -> Result<(), Error> {
    if !out.enabled("board.stalled") {
        return Ok(());
    }
    // Only in-progress packets can stall: without one, no history is read.
    let board = wpgate_core::rules::board::load(ws)?;
    let any_in_progress = ws
        .packets()?
        .iter()
        .any(|p| wpgate_core::rules::board::in_progress(p, board.as_deref(), &ws.policy.board));
    if !any_in_progress {
        return Ok(());
    }
    let history = repo.last_touch_times(5000)?;
    let now = wpgate_core::model::waiver::now_unix();
    let touch = |p: &wpgate_core::Packet| -> Option<i64> {
        let scope = wpgate_core::glob::Scope::new(
            &p.in_scope_paths
                .iter()
                .map(|f| f.value.as_str())
                .collect::<Vec<_>>(),
            &[] as &[&str],
        );
        history
            .iter()
            .find(|t| t.paths.iter().any(|x| x == &p.path || scope.contains(x)))
            .map(|t| t.time)
    };
    wpgate_core::rules::board::check_stalled(ws, &touch, now, out)?;
    Ok(())
}
