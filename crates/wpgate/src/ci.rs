//! `wpgate ci` / `wpgate-ci`: the range gate for CI. The range comes from `--base` /
//! `--head`, else `WPGATE_BASE`, else the GitHub Actions event (pull_request: base and
//! head shas; push: `before`..`after`). It fetches nothing: in a shallow checkout that
//! lacks the base it says which `git fetch` is missing (exit 2).

use std::path::PathBuf;

use wpgate_core::check::{Context, Gate};
use wpgate_core::git::Repo;
use wpgate_core::Error;

use crate::cli::CiArgs;
use crate::cmd::Ctx;

/// What CI is checking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiRange {
    pub base: Option<String>,
    pub head: String,
    /// Branch used for binding (the PR head ref or the pushed branch).
    pub branch: Option<String>,
    pub source: String,
}

const ZERO: &str = "0000000000000000000000000000000000000000";

/// Works out the range from arguments and the environment.
pub fn detect(args: &CiArgs, env: &dyn Fn(&str) -> Option<String>) -> Result<CiRange, Error> {
    let branch = args
        .branch
        .clone()
        .or_else(|| env("GITHUB_HEAD_REF").filter(|s| !s.is_empty()))
        .or_else(|| env("GITHUB_REF_NAME").filter(|s| !s.is_empty()));
    if let Some(base) = args.base.clone().or_else(|| env("WPGATE_BASE")) {
        return Ok(CiRange {
            base: Some(base),
            head: args.head.clone().unwrap_or_else(|| "HEAD".into()),
            branch,
            source: "--base".into(),
        });
    }
    if let (Some(name), Some(path)) = (env("GITHUB_EVENT_NAME"), env("GITHUB_EVENT_PATH")) {
        let text = std::fs::read_to_string(&path).map_err(|e| Error::Io {
            path: path.clone(),
            source: e,
        })?;
        let ev: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Error::input(&path, e.line(), format!("GitHub event is not JSON: {e}")))?;
        let s = |ptr: &str| ev.pointer(ptr).and_then(|v| v.as_str()).map(str::to_string);
        match name.as_str() {
            "pull_request" | "pull_request_target" => {
                let base = s("/pull_request/base/sha");
                let head = s("/pull_request/head/sha");
                if let (Some(base), Some(head)) = (base, head) {
                    return Ok(CiRange {
                        base: Some(base),
                        head: args.head.clone().unwrap_or(head),
                        branch: branch.or_else(|| s("/pull_request/head/ref")),
                        source: format!("GitHub {name} event"),
                    });
                }
            }
            "push" => {
                if let Some(after) = s("/after") {
                    let before = s("/before").filter(|b| b != ZERO);
                    return Ok(CiRange {
                        base: before,
                        head: args.head.clone().unwrap_or(after),
                        branch,
                        source: "GitHub push event".into(),
                    });
                }
            }
            _ => {}
        }
    }
    if let Some(sha) = env("GITHUB_SHA") {
        return Ok(CiRange {
            base: None,
            head: args.head.clone().unwrap_or(sha),
            branch,
            source: "GITHUB_SHA".into(),
        });
    }
    Err(Error::Usage(
        "wpgate ci needs a range: pass --base REV (and --head REV), set WPGATE_BASE, or run in GitHub Actions".into(),
    ))
}

pub fn run(ctx: &Ctx, args: CiArgs) -> Result<u8, Error> {
    let env = |k: &str| std::env::var(k).ok();
    let range = detect(&args, &env)?;
    let repo = Repo::discover(&ctx.root)?;
    let shas = match &range.base {
        Some(base) => repo.range(&format!("{base}..{}", range.head))?,
        None => vec![repo.resolve(&range.head)?],
    };
    // Run locally on a checked-out branch: bind by that branch, as `check --range` and
    // pre-push do (a run with no branch named anywhere would otherwise disagree).
    let branch = range.branch.clone().or_else(|| {
        let head = repo.resolve(&range.head).ok()?;
        (repo.resolve("HEAD").ok()? == head)
            .then(|| repo.head_branch())
            .flatten()
    });
    let mut gate = Gate::new(&repo, &ctx.policy)?;
    let report = gate.commits(
        &shas,
        &Context {
            branch,
            env_wp: std::env::var(&ctx.policy.binding.env).ok(),
            ..Context::default()
        },
    )?;
    eprintln!(
        "wpgate ci: checked {} commit{} ({})",
        shas.len(),
        if shas.len() == 1 { "" } else { "s" },
        range.source
    );
    crate::gate::gate_report(ctx, report)
}

#[allow(dead_code)]
fn _p(_: PathBuf) {}
