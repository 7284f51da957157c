//! `wpgate install` / `uninstall` on real repositories: hooks directory resolution
//! (core.hooksPath, linked worktrees), existing hooks kept and restored byte for byte,
//! idempotence, outdated shims, and the committed `hooks/` directory.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::*;

const HOOKS: [&str; 3] = ["pre-commit", "commit-msg", "pre-push"];

fn install(dir: &Path) -> String {
    let out = wpgate(dir).arg("install").output().expect("install");
    assert!(out.status.success(), "{}", text(&out));
    text(&out)
}

fn uninstall(dir: &Path) -> String {
    let out = wpgate(dir).arg("uninstall").output().expect("uninstall");
    assert!(out.status.success(), "{}", text(&out));
    text(&out)
}

fn files(dir: &Path) -> Vec<(String, u32, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| {
                    let m = e.metadata().expect("meta");
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        m.permissions().mode(),
                        std::fs::read(e.path()).expect("read"),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn in_scope_commit(g: &TestRepo, hooked_ok: bool, tag: &str) -> String {
    g.write(
        "src/storage/mod.rs",
        format!("pub trait Storage {{}}\n// {tag}\n"),
    );
    g.git(&["add", "src/storage/mod.rs"]);
    let (ok, out, err) = git_hooked(&g.path, &["commit", "-m", &format!("feat [{WP}]")]);
    assert_eq!(ok, hooked_ok, "{out}{err}");
    format!("{out}{err}")
}

fn out_of_scope_refused(g: &TestRepo) {
    g.write("src/api/jobs.rs", "// nope\n");
    g.git(&["add", "src/api/jobs.rs"]);
    let (ok, out, err) = git_hooked(&g.path, &["commit", "-m", &format!("feat [{WP}]")]);
    assert!(!ok, "out-of-scope commit accepted: {out}{err}");
    assert!(err.contains("scope.out-of-scope"), "{err}");
    g.git(&["reset", "-q", "HEAD", "src/api/jobs.rs"]);
    g.git(&["checkout", "-q", "--", "src/api/jobs.rs"]);
}

#[test]
fn install_is_idempotent_and_uninstall_removes() {
    let r = governed();
    let hooks = r.path.join(".git/hooks");
    let before = files(&hooks);
    install(&r.path);
    let once = files(&hooks);
    for h in HOOKS {
        let p = hooks.join(h);
        let m = std::fs::metadata(&p).expect("hook").permissions().mode();
        assert_eq!(m & 0o111, 0o111, "{h} executable");
        let t = std::fs::read_to_string(&p).expect("hook");
        assert_eq!(
            wpgate::install::shim_version(&t),
            Some(wpgate::gate::SHIM_VERSION)
        );
    }
    let again = install(&r.path);
    assert!(again.contains("already installed"), "{again}");
    assert_eq!(files(&hooks), once, "install twice = same bytes");
    in_scope_commit(&r, true, "a");
    out_of_scope_refused(&r);
    uninstall(&r.path);
    assert_eq!(
        files(&hooks),
        before,
        "uninstall leaves the hooks dir as it was"
    );
    // Without hooks, nothing is checked any more.
    r.write("src/api/jobs.rs", "// free\n");
    r.git(&["add", "src/api/jobs.rs"]);
    assert!(git_hooked(&r.path, &["commit", "-m", "x"]).0);
}

#[test]
fn existing_hooks_keep_running_first_and_are_restored() {
    let r = governed();
    let hooks = r.path.join(".git/hooks");
    let marker = r.dir.path().join("marker");
    let mine = format!(
        "#!/bin/sh\n# my own hook\necho ran >> '{}'\nexit ${{MY_HOOK_EXIT:-0}}\n",
        marker.display()
    );
    let pre = hooks.join("pre-commit");
    std::fs::write(&pre, &mine).expect("write hook");
    std::fs::set_permissions(&pre, std::fs::Permissions::from_mode(0o750)).expect("chmod");
    let before = files(&hooks);
    let out = install(&r.path);
    assert!(out.contains("kept the existing hook"), "{out}");
    assert_eq!(
        std::fs::read(hooks.join("pre-commit.wpgate-prev")).expect("prev"),
        mine.as_bytes()
    );
    // The user's hook runs, then wpgate.
    in_scope_commit(&r, true, "b");
    assert_eq!(std::fs::read_to_string(&marker).expect("marker"), "ran\n");
    out_of_scope_refused(&r);
    // A failing user hook still refuses the commit first.
    r.write("src/storage/mod.rs", "// c\n");
    r.git(&["add", "src/storage/mod.rs"]);
    let out = git_cmd(&r.path)
        .env("WPGATE", bin_path())
        .env("MY_HOOK_EXIT", "3")
        .args(["commit", "-m", &format!("feat [{WP}]")])
        .output()
        .expect("git");
    assert!(!out.status.success());
    // Installing again keeps the user's hook where it is.
    install(&r.path);
    assert_eq!(
        std::fs::read(hooks.join("pre-commit.wpgate-prev")).expect("prev"),
        mine.as_bytes()
    );
    uninstall(&r.path);
    assert_eq!(
        files(&hooks),
        before,
        "restored byte for byte, mode included"
    );
}

#[test]
fn honours_core_hooks_path_and_linked_worktrees() {
    // core.hooksPath, relative to the work tree.
    let r = governed();
    r.git(&["config", "core.hooksPath", ".githooks"]);
    install(&r.path);
    for h in HOOKS {
        assert!(
            r.path.join(".githooks").join(h).exists(),
            "{h} in core.hooksPath"
        );
        assert!(
            !r.path.join(".git/hooks").join(h).exists(),
            "{h} not in .git/hooks"
        );
    }
    out_of_scope_refused(&r);
    in_scope_commit(&r, true, "d");

    // A linked worktree: hooks go to the common directory and serve both work trees.
    let r = governed();
    let wt = r.dir.path().join("linked");
    r.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "other",
        wt.to_str().expect("utf-8"),
    ]);
    install(&wt);
    for h in HOOKS {
        assert!(
            r.path.join(".git/hooks").join(h).exists(),
            "{h} in the common dir"
        );
    }
    let linked = TestRepo {
        dir: tempfile::tempdir().expect("tmp"),
        path: wt.clone(),
    };
    out_of_scope_refused(&linked);
    in_scope_commit(&linked, true, "e");
    out_of_scope_refused(&r);
    uninstall(&wt);
    for h in HOOKS {
        assert!(!r.path.join(".git/hooks").join(h).exists(), "{h} removed");
    }
}

#[test]
fn outdated_shim_is_reported_and_updated() {
    let r = governed();
    let hooks = r.path.join(".git/hooks");
    let old = wpgate::install::shim("pre-commit", None).replace(
        &format!("# wpgate-shim-version: {}", wpgate::gate::SHIM_VERSION),
        "# wpgate-shim-version: 0",
    );
    assert!(old.contains("# wpgate-shim-version: 0"));
    std::fs::write(hooks.join("pre-commit"), &old).expect("write");
    let out = ro(
        "wpgate",
        &r.path,
        &["check", "--staged"],
        &[("WPGATE_SHIM", "0")],
        None,
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("outdated") && err.contains("wpgate install"),
        "{err}"
    );
    // The current shim version does not warn.
    let v = wpgate::gate::SHIM_VERSION.to_string();
    let out = ro(
        "wpgate",
        &r.path,
        &["check", "--staged"],
        &[("WPGATE_SHIM", &v)],
        None,
    );
    assert!(!text(&out).contains("outdated"), "{}", text(&out));
    let msg = install(&r.path);
    assert!(msg.contains("updating shim"), "{msg}");
    let now = std::fs::read_to_string(hooks.join("pre-commit")).expect("read");
    assert_eq!(
        wpgate::install::shim_version(&now),
        Some(wpgate::gate::SHIM_VERSION)
    );
    assert!(
        !hooks.join("pre-commit.wpgate-prev").exists(),
        "our own shim is not kept"
    );
}

fn committed_hooks() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../hooks")
}

#[test]
fn committed_hooks_directory_matches_the_shims() {
    let dir = committed_hooks();
    for h in HOOKS {
        let want = wpgate::install::shim(h, None);
        let p = dir.join(h);
        if std::env::var_os("WPGATE_BLESS_HOOKS").is_some() {
            std::fs::create_dir_all(&dir).expect("mkdir");
            std::fs::write(&p, &want).expect("write");
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        let got = std::fs::read_to_string(&p).unwrap_or_default();
        assert_eq!(
            got, want,
            "hooks/{h} is out of date: run `WPGATE_BLESS_HOOKS=1 cargo test -p wpgate --test gate_install`"
        );
        let mode = std::fs::metadata(&p).expect("meta").permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "hooks/{h} executable");
    }
}

#[test]
fn committed_hooks_work_through_core_hooks_path() {
    let r = governed();
    let dir = committed_hooks().canonicalize().expect("hooks dir");
    r.git(&["config", "core.hooksPath", dir.to_str().expect("utf-8")]);
    let remote = r.dir.path().join("remote.git");
    git(
        r.dir.path(),
        &["init", "-q", "--bare", remote.to_str().expect("utf-8")],
    );
    r.git(&["remote", "add", "origin", remote.to_str().expect("utf-8")]);
    // The unbound bootstrap commit would be refused: it reaches the remote unchecked.
    r.git(&[
        "push",
        "-q",
        "--no-verify",
        "origin",
        "HEAD:refs/heads/main",
    ]);
    // `wpgate` is not on PATH here: the WPGATE variable names the binary.
    out_of_scope_refused(&r);
    in_scope_commit(&r, true, "f");
    let (ok, out, err) = git_hooked(&r.path, &["push", "origin", "HEAD:refs/heads/main"]);
    assert!(ok, "{out}{err}");
    r.write("src/api/jobs.rs", "// nope\n");
    r.git(&["add", "src/api/jobs.rs"]);
    r.git(&["commit", "-q", "--no-verify", "-m", &format!("x [{WP}]")]);
    let (ok, out, err) = git_hooked(&r.path, &["push", "origin", "HEAD:refs/heads/main"]);
    assert!(
        !ok && format!("{out}{err}").contains("scope.out-of-scope"),
        "{out}--{err}"
    );
}
