//! `wpgate-commit-msg`: thin entrypoint, the same as `wpgate commit-msg`.

fn main() -> std::process::ExitCode {
    let mut args: Vec<std::ffi::OsString> = vec!["wpgate".into(), "commit-msg".into()];
    args.extend(std::env::args_os().skip(1));
    wpgate::run_main(args)
}
