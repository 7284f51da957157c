//! The wpgate command line, as a library so the thin hook and CI binaries share it.
//!
//! Layout: `cli` is the clap definition, `context` what several commands share (the
//! repository and policy of a run, report rendering), `commands` one module per
//! subcommand behind a single `dispatch`. `run_main` below holds the exit-code contract:
//! 0 clean (warnings allowed), 1 at least one error-severity violation,
//! 2 usage / config / environment error, and any internal error.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

pub mod cli;
pub mod commands;
pub mod context;

// The paths these modules had before `commands/` (tests use `wpgate::install::shim`).
pub use commands::{ci, install};

/// The path of [`SHIM_VERSION`](commands::install::SHIM_VERSION) before `commands/`
/// (tests use `wpgate::gate::SHIM_VERSION`).
pub mod gate {
    pub use crate::commands::install::SHIM_VERSION;
}

use cli::Cli;

/// Parses arguments and runs; never panics out (a panic is an internal error, exit 2).
pub fn run_main(args: Vec<OsString>) -> ExitCode {
    install_panic_hook();
    init_tracing();
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ => 2,
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = std::panic::catch_unwind(|| {
        // Hidden switch for the test of the panic path (tests/adversarial.rs): the hook
        // must say "internal error" with the version, and the run must exit 2.
        if std::env::var_os("WPGATE_TEST_PANIC").is_some_and(|v| v == "1") {
            panic!("WPGATE_TEST_PANIC=1 (test of the internal-error path)");
        }
        crate::commands::dispatch(cli)
    });
    match result {
        Ok(Ok(code)) => ExitCode::from(code),
        Ok(Err(e)) => {
            eprintln!("{:?}", miette::Report::new(e));
            ExitCode::from(2)
        }
        Err(_) => ExitCode::from(2),
    }
}

fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        // `wpgate … | head`: the reader went away; nothing to report.
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("Broken pipe") {
            return;
        }
        eprintln!(
            "wpgate: internal error (wpgate {}): {info}\n\
             This is a bug in wpgate, not in your repository. The check did not pass.\n\
             Please report it with the command you ran; set RUST_BACKTRACE=1 for a backtrace.",
            wpgate_core::VERSION
        );
    }));
}

/// `WPGATE_LOG=debug` (a level: error, warn, info, debug, trace; default off) logs to
/// stderr. A level, not `EnvFilter` directives: the `env-filter` feature pulls in
/// regex-automata's full-DFA builder, which then compiles every regex of a run into a
/// dense DFA at start-up (a measurable share of a 25 ms `check --repo`).
fn init_tracing() {
    let level = std::env::var("WPGATE_LOG")
        .ok()
        .and_then(|v| {
            v.trim()
                .parse::<tracing_subscriber::filter::LevelFilter>()
                .ok()
        })
        .unwrap_or(tracing_subscriber::filter::LevelFilter::OFF);
    if level == tracing_subscriber::filter::LevelFilter::OFF {
        return;
    }
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .try_init();
}
