//! `wpgate completions SHELL`: the shell completion script (clap_complete), generated
//! from the clap definition in `cli.rs`, so it never drifts from the real arguments.

use clap::CommandFactory;
use wpgate_core::Error;

use crate::cli::Cli;
use crate::context::write_out;

/// Prints the completion script of `shell` (bash, zsh, fish, elvish, powershell).
pub fn run(shell: &str) -> Result<u8, Error> {
    let sh: clap_complete::Shell = shell.parse().map_err(|_| {
        Error::Usage(format!(
            "unknown shell `{shell}` (expected bash, zsh, fish, elvish or powershell)"
        ))
    })?;
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(sh, &mut cmd, "wpgate", &mut buf);
    write_out(None, &buf)
}
