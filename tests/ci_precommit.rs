//! The `.pre-commit-hooks.yaml` of this repository, driven by the real pre-commit
//! framework in a temp repository: an out-of-scope commit is refused, an in-scope one
//! passes. Skipped (with a note) when pre-commit is not installed.
mod common;

use std::path::Path;
use std::process::Command;

use common::*;

fn have_pre_commit() -> bool {
    Command::new("pre-commit")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// PATH with the wpgate test binary first.
fn path_with_wpgate() -> String {
    let bin = bin_path();
    let dir = bin.parent().expect("bin dir").display().to_string();
    format!("{dir}:{}", std::env::var("PATH").unwrap_or_default())
}

fn pc(dir: &Path, home: &Path) -> Command {
    let mut c = git_cmd(dir);
    c.env("PATH", path_with_wpgate())
        .env("PRE_COMMIT_HOME", home)
        .env("NO_COLOR", "1")
        .env_remove("WPGATE_WP");
    c
}

#[test]
fn pre_commit_hook_refuses_an_out_of_scope_commit() {
    if !have_pre_commit() {
        eprintln!("note: pre-commit is not installed; skipping the pre-commit integration test (`pip install pre-commit`)");
        return;
    }
    let hooks_yaml = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.pre-commit-hooks.yaml"),
    )
    .expect(".pre-commit-hooks.yaml at the repository root");

    // A hook repository holding our .pre-commit-hooks.yaml, as pre-commit would clone it.
    let hook_repo = TestRepo::new();
    hook_repo.write(".pre-commit-hooks.yaml", &hooks_yaml);
    hook_repo.git(&["add", "-A"]);
    hook_repo.git(&["commit", "-q", "-m", "hooks"]);
    let rev = hook_repo.head();

    let r = governed();
    let home = r.dir.path().join("pre-commit-home");
    r.write(
        ".pre-commit-config.yaml",
        format!(
            "repos:\n  - repo: file://{}\n    rev: {rev}\n    hooks:\n      - id: wpgate\n      - id: wpgate-commit-msg\n      - id: wpgate-pre-push\n",
            hook_repo.path.display()
        ),
    );
    r.git(&["add", ".pre-commit-config.yaml"]);
    r.git(&[
        "commit",
        "-q",
        "--no-verify",
        "-m",
        &format!("chore: pre-commit [{WP}]"),
    ]);
    let inst = Command::new("pre-commit")
        .current_dir(&r.path)
        .env("PRE_COMMIT_HOME", &home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .args([
            "install",
            "--hook-type",
            "pre-commit",
            "--hook-type",
            "commit-msg",
        ])
        .output()
        .expect("pre-commit install");
    assert!(inst.status.success(), "{inst:?}");

    // Out of scope: refused.
    r.write("src/api/jobs.rs", "pub fn jobs() -> u8 { 1 }\n");
    r.git(&["add", "src/api/jobs.rs"]);
    let out = pc(&r.path, &home)
        .args(["commit", "-m", &format!("feat: jobs [{WP}]")])
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "the commit went through: {all}");
    assert!(all.contains("scope.out-of-scope"), "{all}");
    r.git(&["reset", "-q", "--hard"]);

    // In scope: accepted.
    r.write(
        "src/storage/mod.rs",
        "pub trait Storage { fn put(&self); }\n",
    );
    r.git(&["add", "src/storage/mod.rs"]);
    let out = pc(&r.path, &home)
        .args(["commit", "-m", &format!("feat: storage [{WP}]")])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}
