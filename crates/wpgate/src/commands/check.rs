//! `wpgate check --staged|--commit|--range|--repo`: the diff gate over the staged index,
//! one commit or a range, or every repository-level rule (no diff).

use std::path::Path;

use wpgate_core::gate::authority::trusted_base;
use wpgate_core::gate::{repo_rules, Context, Gate};
use wpgate_core::git::Repo;
use wpgate_core::Error;

use crate::cli::CheckArgs;
use crate::commands::board::stalled;
use crate::context::{authority, env_wp, gate_finish, open_repo, with_ws, Ctx};

/// Checks what `args` names and prints the report.
pub fn run(ctx: &Ctx, args: CheckArgs) -> Result<u8, Error> {
    if args.all_repo {
        let repo = Repo::discover(&ctx.root).ok();
        return with_ws(ctx, true, |ws, out| {
            repo_rules(ws, out)?;
            if let Some(repo) = &repo {
                stalled(ws, repo, out)?;
            }
            Ok(())
        });
    }
    let repo = open_repo(ctx)?;
    // The trusted base: what the change will merge into (see gate::authority).
    let (base, policy) = if args.staged || args.message_file.is_some() {
        authority(ctx, &repo, |t| Ok(trusted_base(&repo, t, None)))?
    } else if let Some(rev) = &args.commit {
        let sha = repo.resolve(rev)?;
        authority(ctx, &repo, |t| Ok(trusted_base(&repo, t, Some(&sha))))?
    } else if let Some(range) = &args.range {
        let (from, to) = range.split_once("..").unwrap_or(("", range));
        let to = if to.is_empty() { "HEAD" } else { to };
        let from = from.trim_end_matches('.');
        authority(ctx, &repo, |t| {
            Ok(match from {
                "" => trusted_base(&repo, t, Some(to)),
                f => repo.merge_base(f, to),
            })
        })?
    } else {
        (None, ctx.policy.clone())
    };
    let mut gate = Gate::new(&repo, &policy)?.with_base(base)?;
    let branch = repo.head_branch();
    let report = if args.staged || args.message_file.is_some() {
        let message = match &args.message_file {
            Some(f) => Some(read_message(f)?),
            None => None,
        };
        let defer = message.is_none();
        gate.staged(&Context {
            branch,
            env_wp: env_wp(&policy),
            env_mt: crate::context::env_mt(&policy),
            message,
            defer_unbound: defer,
        })?
    } else if let Some(rev) = &args.commit {
        let sha = repo.resolve(rev)?;
        gate.commits(
            &[sha],
            &Context {
                branch,
                env_wp: env_wp(&policy),
                env_mt: crate::context::env_mt(&policy),
                ..Context::default()
            },
        )?
    } else if let Some(range) = &args.range {
        let shas = repo.range(range)?;
        gate.commits(
            &shas,
            &Context {
                branch,
                env_wp: env_wp(&policy),
                env_mt: crate::context::env_mt(&policy),
                ..Context::default()
            },
        )?
    } else {
        return Err(Error::Usage(
            "say what to check: --staged, --commit REV, --range BASE..HEAD or --repo".into(),
        ));
    };
    gate_finish(ctx, &gate, report)
}

/// A commit message file as git leaves it: comment lines and the scissors part removed.
fn read_message(path: &Path) -> Result<String, Error> {
    let raw = std::fs::read(path).map_err(|e| Error::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    let text = String::from_utf8_lossy(&raw);
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with("# ------------------------ >8 ------------------------") {
            break;
        }
        if line.starts_with('#') {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    Ok(out)
}
