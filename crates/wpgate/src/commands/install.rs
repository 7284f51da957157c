//! `wpgate install` / `uninstall`: hook shims that never clobber an existing hook.
//!
//! An existing hook that is not ours is moved aside to `<hook>.wpgate-prev` (bytes and
//! mode kept) and the shim runs it first; `uninstall` moves it back byte for byte.
//! Installing twice changes nothing; an outdated shim is replaced.

use std::path::{Path, PathBuf};

use wpgate_core::git::Repo;
use wpgate_core::Error;

use crate::context::Ctx;

/// Version of the hook shims `install` writes; a shim reporting an older one is outdated.
pub const SHIM_VERSION: u32 = 1;

pub const KNOWN_HOOKS: &[&str] = &["pre-commit", "commit-msg", "pre-push"];
const MARKER: &str = "# wpgate-shim-version:";

/// The shim for one hook. `bin` is the wpgate executable to fall back on when `wpgate`
/// is not on PATH (`None`: PATH only, as in the committed `hooks/` directory).
pub fn shim(hook: &str, bin: Option<&Path>) -> String {
    let fallback = match bin {
        Some(b) => format!(
            "if command -v wpgate >/dev/null 2>&1; then WPGATE_BIN=wpgate; else WPGATE_BIN='{}'; fi\n",
            b.display().to_string().replace('\'', "'\\''")
        ),
        None => "WPGATE_BIN=wpgate\n".to_string(),
    };
    let (run_prev, run_self) = match hook {
        "pre-push" => (
            "wpgate_input=$(cat)\nif [ -x \"$hook_dir/pre-push.wpgate-prev\" ]; then\n  printf '%s\\n' \"$wpgate_input\" | \"$hook_dir/pre-push.wpgate-prev\" \"$@\" || exit $?\nfi\n".to_string(),
            "printf '%s\\n' \"$wpgate_input\" | \"${WPGATE:-$WPGATE_BIN}\" pre-push \"$@\"\n".to_string(),
        ),
        "commit-msg" => (
            format!("if [ -x \"$hook_dir/{hook}.wpgate-prev\" ]; then\n  \"$hook_dir/{hook}.wpgate-prev\" \"$@\" || exit $?\nfi\n"),
            "exec \"${WPGATE:-$WPGATE_BIN}\" commit-msg \"$@\"\n".to_string(),
        ),
        _ => (
            format!("if [ -x \"$hook_dir/{hook}.wpgate-prev\" ]; then\n  \"$hook_dir/{hook}.wpgate-prev\" \"$@\" || exit $?\nfi\n"),
            "exec \"${WPGATE:-$WPGATE_BIN}\" check --staged\n".to_string(),
        ),
    };
    format!(
        "#!/bin/sh\n\
         # {hook} hook of wpgate {ver}: installed by `wpgate install`, removed by `wpgate uninstall`.\n\
         {MARKER} {SHIM_VERSION}\n\
         hook_dir=$(dirname \"$0\")\n\
         export WPGATE_SHIM={SHIM_VERSION}\n\
         {fallback}{run_prev}{run_self}",
        ver = wpgate_core::VERSION
    )
}

/// The shim version of an installed hook, `None` when the hook is not ours.
pub fn shim_version(text: &str) -> Option<u32> {
    text.lines()
        .find_map(|l| l.strip_prefix(MARKER))
        .and_then(|v| v.trim().parse().ok())
}

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        source: e,
    }
}

fn check_hooks(hooks: &[String]) -> Result<(), Error> {
    for h in hooks {
        if !KNOWN_HOOKS.contains(&h.as_str()) {
            return Err(Error::Usage(format!(
                "unknown hook `{h}` (wpgate provides {})",
                KNOWN_HOOKS.join(", ")
            )));
        }
    }
    Ok(())
}

fn hooks_dir(ctx: &Ctx) -> Result<PathBuf, Error> {
    let repo = Repo::discover(&ctx.root)?;
    Ok(repo.hooks_dir())
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    let mut perm = std::fs::metadata(path)
        .map_err(|e| io(path, e))?
        .permissions();
    perm.set_mode(perm.mode() | 0o755);
    std::fs::set_permissions(path, perm).map_err(|e| io(path, e))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<(), Error> {
    Ok(())
}

pub fn install(ctx: &Ctx, hooks: &[String]) -> Result<u8, Error> {
    check_hooks(hooks)?;
    let dir = hooks_dir(ctx)?;
    std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
    let exe = std::env::current_exe().ok();
    for hook in hooks {
        let path = dir.join(hook);
        let prev = dir.join(format!("{hook}.wpgate-prev"));
        let want = shim(hook, exe.as_deref());
        match std::fs::read(&path) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                match shim_version(&text) {
                    Some(v) if text == want => {
                        println!("{hook}: already installed (shim version {v})");
                        continue;
                    }
                    Some(v) => {
                        println!("{hook}: updating shim (version {v} → {SHIM_VERSION})");
                    }
                    None => {
                        if prev.exists() {
                            return Err(Error::Usage(format!(
                                "{} exists and is not wpgate's, and {} is taken too; move one of them away first",
                                path.display(),
                                prev.display()
                            )));
                        }
                        std::fs::rename(&path, &prev).map_err(|e| io(&path, e))?;
                        println!(
                            "{hook}: kept the existing hook as {} (it runs first)",
                            prev.display()
                        );
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&path, e)),
        }
        std::fs::write(&path, want).map_err(|e| io(&path, e))?;
        make_executable(&path)?;
        println!("{hook}: installed {}", path.display());
    }
    Ok(0)
}

pub fn uninstall(ctx: &Ctx, hooks: &[String]) -> Result<u8, Error> {
    check_hooks(hooks)?;
    let dir = hooks_dir(ctx)?;
    for hook in hooks {
        let path = dir.join(hook);
        let prev = dir.join(format!("{hook}.wpgate-prev"));
        match std::fs::read(&path) {
            Ok(bytes) => {
                if shim_version(&String::from_utf8_lossy(&bytes)).is_none() {
                    println!("{hook}: not wpgate's hook; left alone");
                    continue;
                }
                std::fs::remove_file(&path).map_err(|e| io(&path, e))?;
                if prev.exists() {
                    std::fs::rename(&prev, &path).map_err(|e| io(&prev, e))?;
                    println!("{hook}: removed wpgate's shim, restored the previous hook");
                } else {
                    println!("{hook}: removed wpgate's shim");
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                println!("{hook}: not installed");
            }
            Err(e) => return Err(io(&path, e)),
        }
    }
    Ok(0)
}
