//! Git layer: `Repo::from_env` honours what git exports to hooks. One test per binary,
//! because it sets process environment variables.
#![cfg(unix)]

mod git_common;

use git_common::{git_cmd, unchanged, TestRepo};
use wpgate_core::git::Repo;

#[test]
fn from_env_uses_git_dir_and_git_index_file() {
    let r = TestRepo::new();
    r.commit_files("init", &[("a", "1\n")]);
    r.write("b", "2\n");
    let alt = r.dir.path().join("next-index");
    std::fs::copy(r.path.join(".git/index"), &alt).unwrap();
    let out = git_cmd(&r.path)
        .env("GIT_INDEX_FILE", &alt)
        .args(["add", "b"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let elsewhere = tempfile::tempdir().unwrap();

    std::env::set_var("GIT_DIR", r.path.join(".git"));
    std::env::set_var("GIT_INDEX_FILE", &alt);
    let repo = Repo::from_env(elsewhere.path());
    std::env::remove_var("GIT_DIR");
    std::env::remove_var("GIT_INDEX_FILE");
    let repo = repo.unwrap();

    let cs = unchanged(&r.path, "staged from env", || repo.staged(true).unwrap());
    let paths: Vec<_> = cs.changes.iter().map(|c| c.path()).collect();
    assert_eq!(paths, vec!["b"]);
    // Without the environment the real index has nothing staged.
    let plain = Repo::from_env(&r.path).unwrap();
    assert!(plain.staged(true).unwrap().changes.is_empty());
}
