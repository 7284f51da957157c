//! `wpgate-pre-push`: thin entrypoint, the same as `wpgate pre-push`.

fn main() -> std::process::ExitCode {
    let mut args: Vec<std::ffi::OsString> = vec!["wpgate".into(), "pre-push".into()];
    args.extend(std::env::args_os().skip(1));
    wpgate::run_main(args)
}
