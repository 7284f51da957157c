//! `wpgate-pre-commit`: thin entrypoint, the same as `wpgate check --staged`.

fn main() -> std::process::ExitCode {
    let mut args: Vec<std::ffi::OsString> =
        vec!["wpgate".into(), "check".into(), "--staged".into()];
    args.extend(std::env::args_os().skip(1));
    wpgate::run_main(args)
}
