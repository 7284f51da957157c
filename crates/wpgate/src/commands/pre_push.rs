//! `wpgate pre-push REMOTE [URL]` (git pre-push hook): checks the commits each pushed ref
//! update brings, as read from stdin.

use std::io::Read as _;

use wpgate_core::gate::Gate;
use wpgate_core::Error;

use crate::context::{env_wp, gate_report, open_repo, Ctx};

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
    let mut gate = Gate::new(&repo, &ctx.policy)?;
    let report = gate.push(remote, input, env_wp(ctx))?;
    gate_report(ctx, report)
}
