//! The subcommands, one module each, and the single [`dispatch`] that maps each
//! [`Command`] to its module.

use wpgate_core::Error;

use crate::cli::{BoardCmd, Cli, Command, Global, OssCmd, PhaseCmd, PolicyCmd, SpecCmd};
use crate::context::{warn_outdated_shim, Ctx};

pub mod board;
pub mod check;
pub mod ci;
pub mod commit_msg;
pub mod completions;
pub mod demo;
pub mod deps;
pub mod explain;
pub mod init;
pub mod install;
pub mod man;
pub mod oss;
pub mod packet;
pub mod phase;
pub mod policy;
pub mod pre_push;
pub mod report;
pub mod schema;
pub mod spec;
pub mod trace;

/// Runs the command of a parsed command line and returns its exit code.
///
/// Side effects in this order: commands that need no repository run directly; `packet`
/// loads the [`Ctx`] first; `ci` builds its own (it posts an `error` status even when the
/// policy or repository cannot be loaded); every other command warns about an outdated
/// hook shim, then loads the [`Ctx`] (see [`gate_ctx`]), then runs.
pub fn dispatch(cli: Cli) -> Result<u8, Error> {
    let g = cli.global.clone();
    match cli.command {
        Command::Explain { rule, list } => explain::run(rule.as_deref(), list),
        Command::Policy(PolicyCmd::PrintDefault) => policy::print_default(),
        Command::Policy(PolicyCmd::Check { file }) => policy::check(&g, file.as_deref()),
        Command::Demo { keep } => demo::run(keep),
        Command::Completions { shell } => completions::run(&shell),
        Command::Man { out } => man::run(out.as_deref()),
        Command::Schema { what } => schema::run(what),
        Command::Packet(p) => {
            let ctx = Ctx::new(&g)?;
            packet::run(&ctx, p)
        }
        // CI posts an `error` status even when the policy or repository cannot be loaded.
        Command::Ci(args) => ci::dispatch(&g, args),
        Command::Check(args) => check::run(&gate_ctx(&g)?, args),
        Command::CommitMsg { file } => commit_msg::run(&gate_ctx(&g)?, &file),
        Command::PrePush { remote, url: _ } => pre_push::run(&gate_ctx(&g)?, &remote),
        Command::Init { just } => init::run(&gate_ctx(&g)?, just),
        Command::Report { html } => report::run(&gate_ctx(&g)?, &html),
        Command::Install { hooks } => install::install(&gate_ctx(&g)?, &hooks),
        Command::Uninstall { hooks } => install::uninstall(&gate_ctx(&g)?, &hooks),
        Command::Spec(SpecCmd::Check) => spec::check(&gate_ctx(&g)?),
        Command::Spec(SpecCmd::Requirements { section }) => {
            spec::requirements(&gate_ctx(&g)?, &section)
        }
        Command::Trace { wp } => trace::run(&gate_ctx(&g)?, &wp),
        Command::Board(BoardCmd::Check) => board::check(&gate_ctx(&g)?),
        Command::Deps { graph } => deps::run(&gate_ctx(&g)?, &graph),
        Command::Phase(PhaseCmd::Check { phase }) => phase::check(&gate_ctx(&g)?, &phase),
        Command::Oss(OssCmd::Check) => oss::check(&gate_ctx(&g)?),
    }
}

/// The context of the gate and governance commands: the outdated-shim warning comes
/// first (so it shows even when the policy cannot be loaded), then [`Ctx::new`].
fn gate_ctx(g: &Global) -> Result<Ctx, Error> {
    warn_outdated_shim();
    Ctx::new(g)
}
