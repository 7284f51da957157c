//! `wpgate pre-push REMOTE [URL]` (git pre-push hook): checks the commits each pushed ref
//! update brings, as read from stdin.

use std::io::Read as _;

use wpgate_core::check::{Context, Gate};
use wpgate_core::{Error, Report};

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

/// Gates the commits of every ref update in `input` (the hook's stdin), each bound by
/// its branch.
fn check(ctx: &Ctx, remote: &str, input: &str) -> Result<u8, Error> {
    let repo = open_repo(ctx)?;
    let updates = wpgate_core::git::parse_pre_push(input)?;
    let mut gate = Gate::new(&repo, &ctx.policy)?;
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
        let r = gate.commits(
            &shas,
            &Context {
                branch,
                env_wp: env_wp(ctx),
                ..Context::default()
            },
        )?;
        report.extend(r);
    }
    gate_report(ctx, report)
}
