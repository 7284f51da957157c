//! `wpgate ci` / `wpgate-ci`: the range gate for CI. The range comes from `--base` /
//! `--head`, else `WPGATE_BASE`, else the GitHub Actions event (pull_request: base and
//! head shas; push: `before`..`after`), else `GITHUB_SHA`. It fetches nothing: in a shallow
//! checkout that lacks history it says exactly which `git fetch` is missing (exit 2).
//!
//! In GitHub Actions it also writes a Markdown summary to `GITHUB_STEP_SUMMARY`, keeps
//! annotations within GitHub's limits (the rest go to the summary), and with
//! `--github-status` posts a commit status — `error` when the check itself could not run,
//! so a required status check never stays pending. The token never appears in any output.

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use wpgate_core::gate::{Context, Gate};
use wpgate_core::git::Repo;
use wpgate_core::report::Format;
use wpgate_core::report::{github, junit, markdown, sarif, GithubOptions};
use wpgate_core::rules;
use wpgate_core::{Error, Report};

use crate::cli::CiArgs;
use crate::context::{authority, env_wp, Ctx};

/// What CI is checking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiRange {
    pub base: Option<String>,
    pub head: String,
    /// Branch used for binding (the PR head ref or the pushed branch).
    pub branch: Option<String>,
    pub source: String,
    /// The repository's default branch, when the CI system names it: a range without a
    /// base (a push creating a branch, only `GITHUB_SHA`) is every commit not on it.
    pub default_branch: Option<String>,
}

const ZERO: &str = "0000000000000000000000000000000000000000";

/// Works out the range from arguments and the environment.
pub fn detect(args: &CiArgs, env: &dyn Fn(&str) -> Option<String>) -> Result<CiRange, Error> {
    let branch = args
        .branch
        .clone()
        .or_else(|| env("GITHUB_HEAD_REF").filter(|s| !s.is_empty()))
        .or_else(|| env("GITHUB_REF_NAME").filter(|s| !s.is_empty()));
    if let Some(base) = args
        .base
        .clone()
        .or_else(|| env("WPGATE_BASE").filter(|s| !s.is_empty()))
    {
        return Ok(CiRange {
            base: Some(base),
            head: args.head.clone().unwrap_or_else(|| "HEAD".into()),
            branch,
            source: "--base".into(),
            default_branch: None,
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
                        default_branch: s("/repository/default_branch"),
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
                        default_branch: s("/repository/default_branch"),
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
            default_branch: None,
        });
    }
    Err(Error::Usage(
        "wpgate ci needs a range: pass --base REV (and --head REV), set WPGATE_BASE, or run in GitHub Actions".into(),
    ))
}

/// The result of the gate, before output.
struct Checked {
    report: Report,
    commits: usize,
    head_sha: String,
    range: CiRange,
}

fn is_sha(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The `git fetch` that would make `rev` available.
fn fetch_help(rev: &str, shallow: bool) -> String {
    if shallow {
        format!(
            "this checkout is shallow: run `git fetch --no-tags --unshallow origin {rev}` before wpgate ci \
             (GitHub Actions: `actions/checkout` with `fetch-depth: 0`; GitLab CI: `GIT_DEPTH: 0`)"
        )
    } else {
        format!("run `git fetch --no-tags origin {rev}` before wpgate ci")
    }
}

fn missing(what: &str, rev: &str, shallow: bool, e: Error) -> Error {
    Error::Git {
        message: format!("the {what} `{rev}` of the CI range is not in this checkout ({e})"),
        help: Some(fetch_help(rev, shallow)),
    }
}

fn check(ctx: &Ctx, range: CiRange) -> Result<Checked, Error> {
    let repo = Repo::discover(&ctx.root)?;
    let shallow = repo.is_shallow();
    let head_sha = repo
        .resolve(&range.head)
        .map_err(|e| missing("head", &range.head, shallow, e))?;
    let mut base_found: Option<String> = None;
    let shas = match &range.base {
        Some(base) => {
            repo.resolve(base)
                .map_err(|e| missing("base", base, shallow, e))?;
            repo.range(&format!("{base}..{head_sha}"))
                .map_err(|e| match e {
                    Error::Git { message, .. } if shallow => Error::Git {
                        message,
                        help: Some(fetch_help(base, true)),
                    },
                    other => other,
                })?
        }
        // No base (a push that creates a branch, or only GITHUB_SHA): every commit not on
        // the default branch, as pre-push checks a new branch; never just the tip, which
        // would let an earlier --no-verify commit through.
        None => {
            let mut names: Vec<String> = range.default_branch.iter().cloned().collect();
            // The built-in names: the work tree's policy is not trusted to say them.
            names.extend(wpgate_core::policy::TrustPolicy::default().protected);
            match repo.protected_tip(&names) {
                Some(tip) => match repo.merge_base(&tip, &head_sha) {
                    Some(mb) if mb == head_sha => vec![head_sha.clone()],
                    Some(mb) => {
                        base_found = Some(mb.clone());
                        repo.range(&format!("{mb}..{head_sha}"))?
                    }
                    None => {
                        return Err(Error::Git {
                            message: format!(
                                "{}: the head shares no history with the default branch, so which commits are new is unknown",
                                range.source
                            ),
                            help: Some("pass --base REV (WPGATE_BASE)".into()),
                        })
                    }
                },
                None => {
                    return Err(Error::Git {
                        message: format!(
                            "{}: no base revision, and no default branch ({}) in this checkout to tell which commits are new",
                            range.source,
                            if names.is_empty() { "none named".to_string() } else { names.join(", ") }
                        ),
                        help: Some(
                            "pass --base REV (WPGATE_BASE), or fetch the default branch: `git fetch --no-tags origin <default-branch>` (GitHub Actions: actions/checkout with fetch-depth: 0)".into(),
                        ),
                    })
                }
            }
        }
    };
    // Run locally on a checked-out branch: bind by that branch, as `check --range` and
    // pre-push do (a run with no branch named anywhere would otherwise disagree).
    let branch = range.branch.clone().or_else(|| {
        let head = repo.resolve(&range.head).ok()?;
        (repo.resolve("HEAD").ok()? == head)
            .then(|| repo.head_branch())
            .flatten()
    });
    // The trusted base: the merge base of the pull request base (or --base) and the
    // head; with no base, the head's parent.
    let (base, policy) = authority(ctx, &repo, |_| {
        Ok(match range.base.as_ref().or(base_found.as_ref()) {
            Some(b) => repo.merge_base(b, &head_sha),
            None => repo.first_parent(&head_sha),
        })
    })?;
    let mut gate = Gate::new(&repo, &policy)?.with_base(base)?;
    let mut report = gate.commits(
        &shas,
        &Context {
            branch,
            env_wp: env_wp(&policy),
            env_mt: crate::context::env_mt(&policy),
            ..Context::default()
        },
    )?;
    gate.apply_waivers(&mut report)?;
    report.sort();
    Ok(Checked {
        report,
        commits: shas.len(),
        head_sha,
        range,
    })
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// Entry point that also covers a failing setup: when the policy or repository cannot be
/// loaded (before [`run`] could start), `--github-status` still posts `error`.
/// `commands::dispatch` routes `Command::Ci` here, so the `Ctx` is built only here.
pub fn dispatch(g: &crate::cli::Global, args: CiArgs) -> Result<u8, Error> {
    match Ctx::new(g) {
        Ok(ctx) => run(&ctx, args),
        Err(e) => {
            if args.github_status {
                let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
                if let Ok(t) = StatusTarget::from_env(&args, &env) {
                    let sha = detect(&args, &env)
                        .ok()
                        .map(|r| r.head)
                        .filter(|h| is_sha(h))
                        .or_else(|| env("GITHUB_SHA"));
                    if let Some(sha) = sha {
                        let first = e.to_string();
                        let first = first.lines().next().unwrap_or("").to_string();
                        if let Err(pe) = t.post(&sha, "error", &format!("could not run: {first}")) {
                            eprintln!("wpgate ci: could not post the commit status: {pe}");
                        }
                    }
                }
            }
            Err(e)
        }
    }
}

/// Runs the CI gate: check, print, summary files, optional commit status.
pub fn run(ctx: &Ctx, args: CiArgs) -> Result<u8, Error> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    run_with_env(ctx, &args, &env)
}

pub fn run_with_env(
    ctx: &Ctx,
    args: &CiArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<u8, Error> {
    // Validate the status settings first: a misconfigured status post must not be
    // discovered only after the check.
    let status = if args.github_status {
        Some(StatusTarget::from_env(args, env)?)
    } else {
        None
    };
    let summary_path = args
        .summary
        .clone()
        .or_else(|| env("GITHUB_STEP_SUMMARY").map(Into::into));
    let (range, outcome) = match detect(args, env) {
        Ok(r) => (Some(r.clone()), check(ctx, r)),
        Err(e) => (None, Err(e)),
    };
    match outcome {
        Ok(c) => {
            let s = c.report.summary();
            eprintln!(
                "wpgate ci: checked {} ({})",
                plural(c.commits, "commit"),
                c.range.source
            );
            let context = format!(
                "{} of {} ({})",
                plural(c.commits, "commit"),
                match &c.range.base {
                    Some(b) => format!("`{}..{}`", short(b), short(&c.head_sha)),
                    None => format!("`{}`", short(&c.head_sha)),
                },
                c.range.source
            );
            let mut overflow = Vec::new();
            let out = if ctx.format == Format::Github {
                let g = github::github(
                    &c.report,
                    &GithubOptions {
                        summary_written: summary_path.is_some(),
                        ..GithubOptions::default()
                    },
                );
                overflow = g.overflow;
                g.text
            } else {
                crate::context::render_report(&c.report, ctx.format, ctx.color)?
            };
            print!("{out}");
            if let Some(p) = &args.sarif {
                write_file(p, &sarif::sarif_string(&c.report, &rules::all()))?;
            }
            if let Some(p) = &args.junit {
                write_file(p, &junit::junit(&c.report, &rules::all()))?;
            }
            if let Some(p) = &summary_path {
                let mut md = markdown::markdown_summary(&c.report, &context, 100);
                if !overflow.is_empty() {
                    md.push_str(&format!(
                        "\n### {} not shown as annotations\n\nGitHub shows at most {} annotations of each type per step and {} per job; these findings did not fit:\n\n",
                        plural(overflow.len(), "finding"),
                        github::GITHUB_PER_TYPE_PER_STEP,
                        github::GITHUB_PER_JOB
                    ));
                    let mut rest = Report::new();
                    for &i in &overflow {
                        rest.push(c.report.diagnostics[i].clone());
                    }
                    let table = markdown::markdown_summary(&rest, "", usize::MAX);
                    if let Some(pos) = table.find("| Severity") {
                        md.push_str(&table[pos..]);
                    }
                }
                append_file(p, &md)?;
            }
            let code = c.report.exit_code() as u8;
            if let Some(t) = status {
                let (state, description) = if s.errors > 0 {
                    (
                        "failure",
                        format!(
                            "{}, {} in {}",
                            plural(s.errors, "error"),
                            plural(s.warnings, "warning"),
                            plural(c.commits, "commit")
                        ),
                    )
                } else {
                    (
                        "success",
                        format!(
                            "passed: {} checked, {}",
                            plural(c.commits, "commit"),
                            plural(s.warnings, "warning")
                        ),
                    )
                };
                if let Err(e) = t.post(&c.head_sha, state, &description) {
                    eprintln!("wpgate ci: could not post the commit status: {e}");
                    return Ok(2);
                }
            }
            Ok(code)
        }
        Err(e) => {
            if let Some(p) = &summary_path {
                let mut md = String::from("## wpgate: ⚠️ could not run\n\n");
                md.push_str(&format!("```\n{e}\n```\n"));
                if let Error::Git {
                    help: Some(help), ..
                } = &e
                {
                    md.push_str(&format!("\n{help}\n"));
                }
                let _ = append_file(p, &md);
            }
            if let Some(t) = status {
                // Best effort: the sha the status belongs to.
                let sha = range
                    .as_ref()
                    .and_then(|r| {
                        Repo::discover(&ctx.root)
                            .ok()
                            .and_then(|repo| repo.resolve(&r.head).ok())
                            .or_else(|| is_sha(&r.head).then(|| r.head.clone()))
                    })
                    .or_else(|| env("GITHUB_SHA"));
                match sha {
                    Some(sha) => {
                        let first = e.to_string();
                        let first = first.lines().next().unwrap_or("").to_string();
                        if let Err(pe) = t.post(&sha, "error", &format!("could not run: {first}"))
                        {
                            eprintln!("wpgate ci: could not post the commit status: {pe}");
                        }
                    }
                    None => eprintln!(
                        "wpgate ci: no commit to post the `error` status to (no head sha and no GITHUB_SHA)"
                    ),
                }
            }
            Err(e)
        }
    }
}

fn short(s: &str) -> &str {
    if is_sha(s) {
        &s[..12]
    } else {
        s
    }
}

fn write_file(p: &Path, text: &str) -> Result<(), Error> {
    std::fs::write(p, text).map_err(|e| Error::Io {
        path: p.display().to_string(),
        source: e,
    })
}

fn append_file(p: &Path, text: &str) -> Result<(), Error> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(p)
        .map_err(|e| Error::Io {
            path: p.display().to_string(),
            source: e,
        })?;
    f.write_all(text.as_bytes()).map_err(|e| Error::Io {
        path: p.display().to_string(),
        source: e,
    })
}

/// Where and how to post a commit status.
pub struct StatusTarget {
    pub api_url: String,
    pub repository: String,
    token: String,
    pub context: String,
    pub target_url: Option<String>,
    pub timeout: Duration,
    pub attempts: u32,
}

impl std::fmt::Debug for StatusTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusTarget")
            .field("api_url", &self.api_url)
            .field("repository", &self.repository)
            .field("token", &"<redacted>")
            .field("context", &self.context)
            .finish()
    }
}

impl StatusTarget {
    pub fn from_env(args: &CiArgs, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let token = env("GITHUB_TOKEN").ok_or_else(|| {
            Error::Usage(
                "--github-status needs GITHUB_TOKEN (in a workflow: `env: GITHUB_TOKEN: ${{ github.token }}` with `permissions: statuses: write`)".into(),
            )
        })?;
        let repository = env("GITHUB_REPOSITORY")
            .filter(|r| r.split('/').count() == 2)
            .ok_or_else(|| {
                Error::Usage("--github-status needs GITHUB_REPOSITORY (owner/repo)".into())
            })?;
        let api_url = env("GITHUB_API_URL")
            .unwrap_or_else(|| "https://api.github.com".into())
            .trim_end_matches('/')
            .to_string();
        let server = env("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".into());
        let target_url = env("GITHUB_RUN_ID").map(|id| {
            format!(
                "{}/{repository}/actions/runs/{id}",
                server.trim_end_matches('/')
            )
        });
        Ok(StatusTarget {
            api_url,
            repository,
            token,
            context: args.status_context.clone(),
            target_url,
            timeout: Duration::from_secs(args.status_timeout.max(1)),
            attempts: args.status_attempts.clamp(1, 10),
        })
    }

    fn redact(&self, s: &str) -> String {
        if self.token.is_empty() {
            s.to_string()
        } else {
            s.replace(&self.token, "***")
        }
    }

    /// `POST {api}/repos/{owner}/{repo}/statuses/{sha}`, retried on 5xx, 429 and network
    /// errors with a short backoff. Returns the HTTP status of the accepted answer.
    pub fn post(&self, sha: &str, state: &str, description: &str) -> Result<u16, String> {
        let mut description = description.replace(['\r', '\n'], " ");
        if description.chars().count() > 140 {
            description = description.chars().take(139).collect::<String>() + "…";
        }
        let mut body = serde_json::json!({
            "state": state,
            "context": self.context,
            "description": self.redact(&description),
        });
        if let Some(u) = &self.target_url {
            body["target_url"] = serde_json::json!(u);
        }
        let url = format!("{}/repos/{}/statuses/{sha}", self.api_url, self.repository);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(self.timeout))
            .http_status_as_error(false)
            .user_agent(format!("wpgate/{}", wpgate_core::VERSION))
            .build()
            .into();
        let payload = body.to_string();
        let mut last = String::new();
        for attempt in 1..=self.attempts {
            let res = agent
                .post(&url)
                .header("Authorization", &format!("Bearer {}", self.token))
                .header("Accept", "application/vnd.github+json")
                .header("X-GitHub-Api-Version", "2022-11-28")
                .content_type("application/json")
                .send(payload.as_str());
            let retry = match res {
                Ok(resp) => {
                    let code = resp.status().as_u16();
                    if (200..300).contains(&code) {
                        eprintln!(
                            "wpgate ci: commit status `{state}` ({}) posted to {}@{}",
                            self.context,
                            self.repository,
                            short(sha)
                        );
                        return Ok(code);
                    }
                    last = format!("HTTP {code} from {url}");
                    code >= 500 || code == 429
                }
                Err(e) => {
                    last = self.redact(&format!("{e}"));
                    true
                }
            };
            if !retry || attempt == self.attempts {
                break;
            }
            eprintln!(
                "wpgate ci: posting the commit status failed ({last}); retrying ({attempt}/{})",
                self.attempts
            );
            std::thread::sleep(Duration::from_millis(200 * (1 << (attempt - 1).min(4))));
        }
        Err(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetch_help_names_the_fetch() {
        assert!(fetch_help("abc", true).contains("git fetch --no-tags --unshallow origin abc"));
        assert!(fetch_help("abc", false).contains("git fetch --no-tags origin abc"));
    }

    #[test]
    fn status_target_needs_token_and_redacts() {
        let args = CiArgs::default();
        let none = |_: &str| None;
        assert!(StatusTarget::from_env(&args, &none).is_err());
        let env = |k: &str| match k {
            "GITHUB_TOKEN" => Some("tok123".to_string()),
            "GITHUB_REPOSITORY" => Some("o/r".to_string()),
            "GITHUB_RUN_ID" => Some("7".to_string()),
            _ => None,
        };
        let t = StatusTarget::from_env(&args, &env).unwrap();
        assert_eq!(t.redact("x tok123 y"), "x *** y");
        assert!(!format!("{t:?}").contains("tok123"));
        assert_eq!(
            t.target_url.as_deref(),
            Some("https://github.com/o/r/actions/runs/7")
        );
    }
}
