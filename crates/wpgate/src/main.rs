//! `wpgate`: the command-line entrypoint. Thin: every check is library code in
//! `wpgate-core`; this crate parses arguments, picks the repository and policy, and
//! renders reports.

use std::process::ExitCode;

mod cli;
mod cmd;
mod demo;

fn main() -> ExitCode {
    cli::run_main(std::env::args_os().collect())
}
