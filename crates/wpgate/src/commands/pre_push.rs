//! `wpgate pre-push REMOTE [URL]` (git pre-push hook): checks the commits each pushed ref
//! update brings, as read from stdin.

use std::io::Read as _;

use wpgate_core::gate::authority::push_base;
use wpgate_core::gate::Gate;
use wpgate_core::Error;

use crate::context::{authority, env_wp, gate_finish, open_repo, Ctx};

/// Reads the `<local ref> <local sha> <remote ref> <remote sha>` lines from stdin and
/// checks them.
pub fn run(ctx: &Ctx, remote: &str) -> Result<u8, Error> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| Error::Io {
            path: "<stdin>".into(),
            source: e,
        })?;
    check(ctx, remote, &input)
}

/// Gates the commits of every ref update in `input` (the hook's stdin).
fn check(ctx: &Ctx, remote: &str, input: &str) -> Result<u8, Error> {
    let repo = open_repo(ctx)?;
    // The trusted base: what the remote already has.
    let (base, policy) = authority(ctx, &repo, |t| push_base(&repo, t, input))?;
    let mut gate = Gate::new(&repo, &policy)?.with_base(base)?;
    let report = gate.push(remote, input, env_wp(&policy))?;
    gate_finish(ctx, &gate, report)
}
