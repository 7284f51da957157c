//! `wpgate`: the command-line entrypoint. Thin: every check is library code in
//! `wpgate-core`; this crate parses arguments, picks the repository and policy, and
//! renders reports.

fn main() -> std::process::ExitCode {
    wpgate::run_main(std::env::args_os().collect())
}
