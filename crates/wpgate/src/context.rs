//! What several commands share: the context of a run (`Ctx`: repository root, policy,
//! format, colour) and its discovery, report rendering and finishing (waivers, sources,
//! order), the work-tree runner of repository-level rules, and the helpers of the hook
//! entrypoints (binding from the environment, the outdated-shim warning), and writing
//! generated output to a file or stdout.

use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};

use wpgate_core::gate::Gate;
use wpgate_core::git::Repo;
use wpgate_core::policy::{Policy, PolicySource, TrustPolicy};
use wpgate_core::report::{self, Format};
use wpgate_core::rules::Emitter;
use wpgate_core::source::{WorkTree, Workspace};
use wpgate_core::{Error, Report};

use crate::cli::Global;
use crate::commands::install::SHIM_VERSION;

/// What every command needs: the repository root and the policy.
pub struct Ctx {
    pub root: PathBuf,
    pub policy: Policy,
    pub policy_source: PolicySource,
    pub format: Format,
    pub color: bool,
    /// `--policy FILE` was given: it overrides the trusted revision's policy.
    pub explicit_policy: bool,
}

/// The work tree root around `-C DIR` (or the current directory); the directory itself
/// when it is not inside a repository.
pub(crate) fn repo_root(g: &Global) -> Result<PathBuf, Error> {
    let start = match &g.dir {
        Some(d) => d.clone(),
        None => std::env::current_dir().map_err(|e| Error::Io {
            path: ".".into(),
            source: e,
        })?,
    };
    Ok(wpgate_core::git::work_root(&start).unwrap_or(start))
}

impl Ctx {
    pub fn new(g: &Global) -> Result<Ctx, Error> {
        let root = repo_root(g)?;
        let (policy, policy_source) = Policy::discover(&root, g.policy.as_deref())?;
        let color = match g.color.as_str() {
            "always" => true,
            "never" => false,
            _ => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        };
        Ok(Ctx {
            root,
            policy,
            policy_source,
            format: g.format,
            color,
            explicit_policy: g.policy.is_some(),
        })
    }

    /// Prints a report in the chosen format and returns the exit code.
    pub fn emit_report(&self, report: &Report) -> Result<u8, Error> {
        // From a hook shim, a clean human report stays silent.
        let hook = std::env::var_os("WPGATE_SHIM").is_some();
        if hook && self.format == Format::Human && report.diagnostics.is_empty() {
            return Ok(0);
        }
        print!("{}", render_report(report, self.format, self.color)?);
        Ok(report.exit_code() as u8)
    }
}

/// A report in `format` (everything but `dot`, which only `deps` draws).
pub fn render_report(report: &Report, format: Format, color: bool) -> Result<String, Error> {
    Ok(match format {
        Format::Human => report::human::human(report, color),
        Format::Json => {
            let mut s = report.to_json();
            s.push('\n');
            s
        }
        Format::Sarif | Format::Github | Format::Junit => {
            report::render(report, format, &wpgate_core::rules::all())?
        }
        Format::Dot => {
            return Err(Error::Usage(
                "--format dot is only for `wpgate deps`".into(),
            ))
        }
    })
}

/// Adds the texts of files that diagnostics point at (from the work tree view).
pub fn attach_sources(ws: &Workspace, report: &mut Report) {
    let paths: Vec<String> = report
        .diagnostics
        .iter()
        .filter(|d| d.commit.is_none())
        .filter_map(|d| d.path.clone())
        .collect();
    for p in paths {
        if report.sources.contains_key(&p) {
            continue;
        }
        if let Ok(Some(tf)) = ws.text(&p) {
            report.add_source(&p, tf.text.clone());
        }
    }
}

/// From a hook shim older than the one `install` writes: says so on stderr.
pub(crate) fn warn_outdated_shim() {
    if let Some(v) = std::env::var_os("WPGATE_SHIM") {
        let v: u32 = v.to_string_lossy().trim().parse().unwrap_or(0);
        if v < SHIM_VERSION {
            eprintln!(
                "wpgate: warning: this repository's hook shim is outdated (shim version {v}, current {SHIM_VERSION}); run `wpgate install` to update it"
            );
        }
    }
}

/// Runs repository-level rules over the work tree, applies waivers, prints the report.
pub(crate) fn with_ws(
    ctx: &Ctx,
    full: bool,
    f: impl FnOnce(&Workspace, &mut Emitter) -> Result<(), Error>,
) -> Result<u8, Error> {
    let tree = WorkTree::new(&ctx.root);
    let ws = Workspace::new(&ctx.policy, &tree);
    let mut out = Emitter::new(&ctx.policy);
    f(&ws, &mut out)?;
    let mut report = out.finish();
    finish(&ws, &mut report, full)?;
    ctx.emit_report(&report)
}

/// Waivers, sources, order.
pub fn finish(ws: &Workspace, report: &mut Report, full: bool) -> Result<(), Error> {
    wpgate_core::rules::waiver::apply_from(ws, report, full)?;
    attach_sources(ws, report);
    report.sort();
    Ok(())
}

/// The packet named by the policy's binding variable (e.g. `WPGATE_WP`), when set.
pub(crate) fn env_wp(policy: &Policy) -> Option<String> {
    std::env::var(&policy.binding.env)
        .ok()
        .filter(|s| !s.trim().is_empty())
}

/// The microtask named by the policy's microtask environment variable (`WPGATE_MT`).
pub(crate) fn env_mt(policy: &Policy) -> Option<String> {
    std::env::var(&policy.binding.microtask_env)
        .ok()
        .filter(|s| !s.trim().is_empty())
}

/// The trusted base of a change (`find` computes it from `[trust]`) and the policy to
/// judge it by: the base's own policy, or `--policy FILE` when given. Never the policy
/// of the work tree or of the change (see `wpgate_core::gate::authority`).
pub(crate) fn authority(
    ctx: &Ctx,
    repo: &Repo,
    find: impl Fn(&TrustPolicy) -> Result<Option<String>, Error>,
) -> Result<(Option<String>, Policy), Error> {
    if ctx.explicit_policy {
        let base = find(&ctx.policy.trust)?;
        return Ok((base, ctx.policy.clone()));
    }
    let (base, policy, _) = wpgate_core::gate::authority::resolve(repo, find)?;
    Ok((base, policy))
}

/// Applies the trusted revision's waivers, orders and prints a gate's report.
pub(crate) fn gate_finish(ctx: &Ctx, gate: &Gate, mut report: Report) -> Result<u8, Error> {
    gate.apply_waivers(&mut report)?;
    report.sort();
    ctx.emit_report(&report)
}

/// The git repository around the work tree root, reading the staged state from the index
/// git hands to hooks (`GIT_INDEX_FILE`: the temporary index of `git commit -a` or
/// `git commit <paths>`, which is what the commit will hold). git resolves a relative
/// `GIT_INDEX_FILE` against the work tree root (it changes there before reading it).
pub(crate) fn open_repo(ctx: &Ctx) -> Result<Repo, Error> {
    let mut repo = Repo::discover(&ctx.root)?;
    if let Some(idx) = std::env::var_os("GIT_INDEX_FILE").filter(|v| !v.is_empty()) {
        let base = repo.workdir().unwrap_or(&ctx.root).to_path_buf();
        repo.set_index_file(base.join(idx));
    }
    Ok(repo)
}

/// Writes `buf` to `out` (saying so on stderr), or to stdout, where a reader that went
/// away (`| head`) is not an error.
pub(crate) fn write_out(out: Option<&Path>, buf: &[u8]) -> Result<u8, Error> {
    match out {
        Some(p) => {
            std::fs::write(p, buf).map_err(|e| Error::Io {
                path: p.display().to_string(),
                source: e,
            })?;
            eprintln!("wrote {}", p.display());
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(buf).and_then(|_| stdout.flush()) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                Err(e) => {
                    return Err(Error::Io {
                        path: "<stdout>".into(),
                        source: e,
                    })
                }
            }
        }
    }
    Ok(0)
}
