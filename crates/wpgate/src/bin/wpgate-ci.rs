//! `wpgate-ci`: thin entrypoint, the same as `wpgate ci`.

fn main() -> std::process::ExitCode {
    let mut args: Vec<std::ffi::OsString> = vec!["wpgate".into(), "ci".into()];
    args.extend(std::env::args_os().skip(1));
    wpgate::run_main(args)
}
