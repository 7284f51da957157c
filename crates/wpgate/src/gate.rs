//! The diff gate and the governance commands: `check`, hook entrypoints, `install`,
//! `spec`, `board`, `deps`, `phase`, `oss`, `trace`.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use wpgate_core::check::{repo_rules, Context, Gate};
use wpgate_core::git::Repo;
use wpgate_core::render::Format;
use wpgate_core::rules::Emitter;
use wpgate_core::workspace::{WorkTree, Workspace};
use wpgate_core::{Error, Report};

use crate::cli::{BoardCmd, CheckArgs, Command, Global, OssCmd, PhaseCmd, SpecCmd};
use crate::context::{env_wp, finish, gate_report, open_repo, warn_outdated_shim, with_ws, Ctx};

/// Version of the hook shims `install` writes; a shim reporting an older one is outdated.
pub const SHIM_VERSION: u32 = 1;

pub fn dispatch(g: &Global, cmd: Command) -> Result<u8, Error> {
    warn_outdated_shim();
    let ctx = Ctx::new(g)?;
    match cmd {
        Command::Check(args) => check(&ctx, args),
        Command::CommitMsg { file } => commit_msg(&ctx, &file),
        Command::PrePush { remote, url: _ } => {
            let mut input = String::new();
            std::io::stdin()
                .read_to_string(&mut input)
                .map_err(|e| Error::Io {
                    path: "<stdin>".into(),
                    source: e,
                })?;
            pre_push(&ctx, &remote, &input)
        }
        Command::Ci(args) => crate::commands::ci::run(&ctx, args),
        Command::Init { just } => crate::commands::init::run(&ctx, just),
        Command::Report { html } => crate::commands::report::run(&ctx, &html),
        Command::Install { hooks } => crate::commands::install::install(&ctx, &hooks),
        Command::Uninstall { hooks } => crate::commands::install::uninstall(&ctx, &hooks),
        Command::Spec(SpecCmd::Check) => with_ws(&ctx, false, wpgate_core::spec::check),
        Command::Spec(SpecCmd::Requirements { section }) => spec_requirements(&ctx, &section),
        Command::Trace { wp } => trace(&ctx, &wp),
        Command::Board(BoardCmd::Check) => with_ws(&ctx, false, |ws, out| {
            wpgate_core::board::check(ws, out)?;
            let repo = Repo::discover(&ctx.root).ok();
            if let Some(repo) = repo {
                stalled(ws, &repo, out)?;
            }
            Ok(())
        }),
        Command::Deps { graph } => deps(&ctx, &graph),
        Command::Phase(PhaseCmd::Check { phase }) => phase_check(&ctx, &phase),
        Command::Oss(OssCmd::Check) => with_ws(&ctx, false, wpgate_core::oss::check),
        _ => Err(Error::Usage("unhandled command".into())),
    }
}

fn check(ctx: &Ctx, args: CheckArgs) -> Result<u8, Error> {
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
    let mut gate = Gate::new(&repo, &ctx.policy)?;
    let branch = repo.head_branch();
    let report = if args.staged || args.message_file.is_some() {
        let message = match &args.message_file {
            Some(f) => Some(read_message(f)?),
            None => None,
        };
        let defer = message.is_none();
        gate.staged(&Context {
            branch,
            env_wp: env_wp(ctx),
            message,
            defer_unbound: defer,
        })?
    } else if let Some(rev) = &args.commit {
        let sha = repo.resolve(rev)?;
        gate.commits(
            &[sha],
            &Context {
                branch,
                env_wp: env_wp(ctx),
                ..Context::default()
            },
        )?
    } else if let Some(range) = &args.range {
        let shas = repo.range(range)?;
        gate.commits(
            &shas,
            &Context {
                branch,
                env_wp: env_wp(ctx),
                ..Context::default()
            },
        )?
    } else {
        return Err(Error::Usage(
            "say what to check: --staged, --commit REV, --range BASE..HEAD or --repo".into(),
        ));
    };
    gate_report(ctx, report)
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

fn commit_msg(ctx: &Ctx, file: &Path) -> Result<u8, Error> {
    check(
        ctx,
        CheckArgs {
            staged: true,
            commit: None,
            range: None,
            all_repo: false,
            message_file: Some(file.to_path_buf()),
        },
    )
}

fn pre_push(ctx: &Ctx, remote: &str, input: &str) -> Result<u8, Error> {
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

fn stalled(ws: &Workspace, repo: &Repo, out: &mut Emitter) -> Result<(), Error> {
    if !out.enabled("board.stalled") {
        return Ok(());
    }
    // Only in-progress packets can stall: without one, no history is read.
    let board = wpgate_core::board::load(ws)?;
    let any_in_progress = ws
        .packets()?
        .iter()
        .any(|p| wpgate_core::board::in_progress(p, board.as_deref(), &ws.policy.board));
    if !any_in_progress {
        return Ok(());
    }
    let history = repo.last_touch_times(5000)?;
    let now = wpgate_core::waiver::now_unix();
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
    wpgate_core::board::check_stalled(ws, &touch, now, out)?;
    Ok(())
}

fn deps(ctx: &Ctx, graph_fmt: &str) -> Result<u8, Error> {
    let tree = WorkTree::new(&ctx.root);
    let ws = Workspace::new(&ctx.policy, &tree);
    let graph = wpgate_core::deps::graph(&ws)?;
    let dot = graph_fmt == "dot" || ctx.format == Format::Dot;
    if dot {
        print!("{}", wpgate_core::deps::to_dot(&graph));
        return Ok(0);
    }
    let mut out = Emitter::new(&ctx.policy);
    wpgate_core::deps::check(&ws, &mut out)?;
    let mut report = out.finish();
    finish(&ws, &mut report, false)?;
    if ctx.format == Format::Human {
        print!("{}", wpgate_core::deps::to_text(&graph));
    }
    ctx.emit_report(&report)
}

fn phase_check(ctx: &Ctx, phase: &str) -> Result<u8, Error> {
    let tree = WorkTree::new(&ctx.root);
    let ws = Workspace::new(&ctx.policy, &tree);
    let mut out = Emitter::new(&ctx.policy);
    let waivers = wpgate_core::waiver::load(&ws, &mut out)?;
    let outliving = || wpgate_core::waiver::outliving_phase(&waivers, phase);
    let table = wpgate_core::phase::phase_check(&ws, phase, &outliving, &mut out)?;
    let mut report = out.finish();
    finish(&ws, &mut report, false)?;
    if ctx.format == Format::Human {
        print!("{}", table.to_text());
    }
    ctx.emit_report(&report)
}

fn spec_requirements(ctx: &Ctx, section: &str) -> Result<u8, Error> {
    let tree = WorkTree::new(&ctx.root);
    let ws = Workspace::new(&ctx.policy, &tree);
    let Some(spec) = wpgate_core::spec::load(&ws)? else {
        return Err(Error::Usage(format!(
            "no current spec: {} names no existing spec file",
            ctx.policy.layout.spec_current
        )));
    };
    let number = section.trim().trim_start_matches('§');
    let reqs = spec
        .index
        .find(number)
        .map(|_| wpgate_core::spec::requirements(&spec.index, &spec.text, number));
    match reqs {
        None => Err(Error::Usage(format!(
            "the current spec has no section {number}"
        ))),
        Some(rows) => {
            if ctx.format == Format::Json {
                let rows: Vec<_> = rows
                    .iter()
                    .map(|(l, s)| serde_json::json!({"line": l, "sentence": s}))
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({"section": number, "path": spec.path, "requirements": rows}))
                        .unwrap_or_default()
                );
            } else {
                for (line, s) in &rows {
                    println!("{}:{line}: {s}", spec.path);
                }
                println!(
                    "{} MUST/SHOULD sentence{} in §{number}",
                    rows.len(),
                    if rows.len() == 1 { "" } else { "s" }
                );
            }
            Ok(0)
        }
    }
}

fn trace(ctx: &Ctx, wp: &str) -> Result<u8, Error> {
    let tree = WorkTree::new(&ctx.root);
    let ws = Workspace::new(&ctx.policy, &tree);
    let Some(packet) = ws.packet(wp)? else {
        return Err(Error::Usage(format!("no packet {wp}")));
    };
    let Some(spec) = wpgate_core::spec::load(&ws)? else {
        return Err(Error::Usage("no current spec".into()));
    };
    let rows = wpgate_core::spec::trace(packet, &spec.index, &spec.text);
    let unmapped = rows.iter().filter(|r| r.done_means.is_none()).count();
    if ctx.format == Format::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).unwrap_or_default()
        );
    } else {
        for r in &rows {
            println!(
                "§{} {}:{}: {}\n    -> {}",
                r.anchor,
                spec.path,
                r.line,
                r.sentence,
                r.done_means.as_deref().unwrap_or("unmapped")
            );
        }
        println!(
            "{} requirement{}, {unmapped} unmapped",
            rows.len(),
            if rows.len() == 1 { "" } else { "s" }
        );
    }
    Ok(if unmapped > 0 { 1 } else { 0 })
}

#[allow(dead_code)]
fn _unused(_: PathBuf) {}
