//! Shared helpers of the CLI integration tests: real git repositories in temp dirs
//! (the git helpers are the engine's own test helpers), and a governed layout.
#![allow(dead_code)]

#[path = "../../crates/wpgate-core/tests/git_common/mod.rs"]
pub mod git_common;

pub use git_common::*;

use std::path::Path;

pub const WP: &str = "WP-1-Storage-Layer";
pub const PACKET: &str = include_str!("../../crates/wpgate/demo/packet.md");
pub const SPEC: &str = include_str!("../../crates/wpgate/demo/spec.md");
pub const SPEC_CURRENT: &str = include_str!("../../crates/wpgate/demo/spec_current.md");
pub const BOARD: &str = include_str!("../../crates/wpgate/demo/board.md");
pub const OSS: &str = include_str!("../../crates/wpgate/demo/oss.md");
pub const CARGO: &str = include_str!("../../crates/wpgate/demo/cargo.toml");
pub const AUDIT: &str = include_str!("../../crates/wpgate/demo/audit.md");
pub const SIGNATURE: &str = "demo241120260900";

/// The lock footer `wpgate packet lock` would write (without a digest).
pub fn footer(sig: &str) -> String {
    format!("\n---\n\n**Last Updated:** 2026-11-24\n**User Signature Locked:** {sig}\n")
}

/// The demo packet, locked.
pub fn locked_packet() -> String {
    format!("{PACKET}{}", footer(SIGNATURE))
}

/// The demo audit file with the row recording [`SIGNATURE`].
pub fn audit() -> String {
    format!(
        "{AUDIT}| {SIGNATURE} | Orchestrator | 2026-11-24 09:00 | Task packet lock: {WP} | v01.002 | |\n"
    )
}

/// The wpgate binary, isolated from the caller's environment.
pub fn wpgate(dir: &Path) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("wpgate").expect("wpgate binary");
    c.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("WPGATE_WP")
        .env_remove("WPGATE_SHIM")
        .env("WPGATE_TODAY", "2023-11-20")
        .env_remove("WPGATE_BASE")
        .env_remove("GITHUB_EVENT_NAME")
        .env_remove("GITHUB_EVENT_PATH")
        .env_remove("GITHUB_SHA")
        .env_remove("GITHUB_HEAD_REF")
        .env_remove("GITHUB_REF_NAME")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_WORK_TREE");
    c
}

pub fn bin_path() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("wpgate")
}

/// A repository with the governed layout and a locked packet, committed.
pub fn governed() -> TestRepo {
    let r = TestRepo::new();
    r.write(&format!("docs/task_packets/{WP}.md"), locked_packet());
    r.write("Demo_Master_Spec_v01.002.md", SPEC);
    r.write("docs/SPEC_CURRENT.md", SPEC_CURRENT);
    r.write("docs/TASK_BOARD.md", BOARD);
    r.write("docs/OSS_REGISTER.md", OSS);
    r.write("docs/SIGNATURE_AUDIT.md", audit());
    r.write("Cargo.toml", CARGO);
    r.write("src/main.rs", "fn main() {}\n");
    r.write("src/storage/mod.rs", "pub trait Storage {}\n");
    r.write("src/api/jobs.rs", "pub fn jobs() {}\n");
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "-m", "bootstrap"]);
    r
}

/// Runs `git` with the wpgate hooks resolving to the test binary.
pub fn git_hooked(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = git_cmd(dir)
        .env("WPGATE", bin_path())
        .env("NO_COLOR", "1")
        .env_remove("WPGATE_WP")
        .args(args)
        .output()
        .expect("run git");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// Parses the JSON report of a wpgate run.
pub fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): stdout={} stderr={}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Rule ids of the diagnostics of a JSON report with severity error.
pub fn error_rules(v: &serde_json::Value) -> Vec<String> {
    v["diagnostics"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|d| d["severity"] == "error")
                .filter_map(|d| d["rule"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
