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

// ---------------------------------------------------------------------------------------
// Diff-gate helpers (tests/gate*.rs): every wpgate run is wrapped in a read-only check,
// and one scenario is judged through every entrypoint.

pub const ZERO: &str = "0000000000000000000000000000000000000000";

/// Any of the wpgate binaries, isolated like [`wpgate`].
pub fn tool(name: &str, dir: &Path) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin(name).expect("wpgate binary");
    c.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("WPGATE_WP")
        .env_remove("WPGATE_BASE")
        .env_remove("WPGATE_SHIM")
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

/// Runs a wpgate binary in `dir` with `args`, `env` and `stdin`, asserting that the
/// repository (work tree, index, refs, stash, objects) is byte-for-byte unchanged.
pub fn ro(
    name: &str,
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: Option<&str>,
) -> std::process::Output {
    let before = Snapshot::of(dir);
    let mut c = tool(name, dir);
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    if let Some(s) = stdin {
        c.write_stdin(s.to_string());
    }
    let out = c.output().expect("run wpgate");
    before.assert_same(dir, &format!("{name} {args:?}"));
    out
}

/// Exit code of an output (panics on a signal: a crash is a defect).
pub fn code(out: &std::process::Output) -> i32 {
    out.status.code().unwrap_or_else(|| {
        panic!(
            "killed by a signal: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

pub fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Sorted, deduplicated error rule ids of a JSON run; also checks that no output
/// panicked and that the exit code agrees with the errors.
pub fn verdict_of(out: &std::process::Output, what: &str) -> Vec<String> {
    let t = text(out);
    assert!(!t.contains("panicked"), "{what} panicked: {t}");
    let v = json(out);
    let mut rules = error_rules(&v);
    rules.sort();
    rules.dedup();
    let c = code(out);
    assert_eq!(
        c,
        if rules.is_empty() { 0 } else { 1 },
        "{what}: exit code vs errors {rules:?}: {t}"
    );
    rules
}

/// Asserts the verdict of a JSON run, showing its output when it differs.
pub fn assert_verdict(out: &std::process::Output, want: &[String], what: &str) {
    let got = verdict_of(out, what);
    assert_eq!(got, want, "{what}: {}", text(out));
}

/// Asserts every diagnostic's `commit` field of a JSON run.
pub fn assert_commit_field(out: &std::process::Output, want: Option<&str>, what: &str) {
    let v = json(out);
    for d in v["diagnostics"].as_array().into_iter().flatten() {
        match want {
            Some(sha) => assert_eq!(d["commit"], sha, "{what}: commit field of {d}"),
            None => assert!(d["commit"].is_null(), "{what}: commit must be null: {d}"),
        }
    }
}

/// A governed repository with the hooks installed and a bare remote `origin` holding
/// `main`, built from an optional packet text (default: the locked demo packet).
pub struct Gated {
    pub r: TestRepo,
    pub remote: std::path::PathBuf,
}

impl Gated {
    pub fn new() -> Gated {
        Gated::with(|_| {})
    }

    /// `setup` runs on the fresh governed repository before the bootstrap is pushed.
    pub fn with(setup: impl FnOnce(&TestRepo)) -> Gated {
        let r = governed();
        setup(&r);
        wpgate(&r.path).arg("install").assert().success();
        let remote = r.dir.path().join("remote.git");
        git(
            r.dir.path(),
            &["init", "-q", "--bare", remote.to_str().expect("utf-8 tmp")],
        );
        r.git(&[
            "remote",
            "add",
            "origin",
            remote.to_str().expect("utf-8 tmp"),
        ]);
        r.git(&[
            "push",
            "-q",
            "--no-verify",
            "origin",
            "HEAD:refs/heads/main",
        ]);
        Gated { r, remote }
    }

    pub fn path(&self) -> &Path {
        &self.r.path
    }

    pub fn packet_path(&self) -> String {
        format!("docs/task_packets/{WP}.md")
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.r.path.join(rel)).expect("read")
    }

    /// Writes and stages files.
    pub fn stage(&self, files: &[(&str, &str)]) {
        for (p, c) in files {
            self.r.write(p, c);
            self.r.git(&["add", "--", p]);
        }
    }
}

/// git with the hooks resolving to the test binary, extra environment.
pub fn git_hooked_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let mut c = git_cmd(dir);
    c.env("WPGATE", bin_path())
        .env("NO_COLOR", "1")
        .env_remove("WPGATE_WP")
        .env_remove("WPGATE_SHIM");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.args(args).output().expect("run git");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// One scenario through every entrypoint. The change is staged in `g`; `msg` is the
/// commit message; `env` is passed to every entrypoint; `branch` is the ref pushed.
/// Asserts that pre-commit + commit-msg (binaries and a hooked `git commit`), the commit
/// check, the range/CI checks and the pre-push hook (binary and hooked `git push`) all
/// reach the verdict `expect` (sorted error rule ids; empty: accepted). Leaves the commit
/// at HEAD (made with --no-verify when refused) and returns its sha.
pub fn everywhere(g: &Gated, msg: &str, env: &[(&str, &str)], expect: &[&str]) -> String {
    let dir = g.path();
    let mut want: Vec<String> = expect.iter().map(|s| s.to_string()).collect();
    want.sort();
    want.dedup();
    let accepted = want.is_empty();

    // (a) staged: pre-commit (no message) and commit-msg (with message).
    let pre = ro(
        "wpgate",
        dir,
        &["--format", "json", "check", "--staged"],
        env,
        None,
    );
    let pre_rules = verdict_of(&pre, "pre-commit");
    assert_commit_field(&pre, None, "pre-commit");
    let pre2 = ro("wpgate-pre-commit", dir, &["--format", "json"], env, None);
    assert_verdict(&pre2, &pre_rules, "wpgate-pre-commit");
    for r in &pre_rules {
        assert!(
            want.contains(r),
            "pre-commit reported {r}, expected {want:?}"
        );
    }
    let msg_file = g.r.dir.path().join("COMMIT_MSG");
    std::fs::write(&msg_file, format!("{msg}\n")).expect("write msg");
    let mf = msg_file.to_str().expect("utf-8");
    let cm = ro(
        "wpgate",
        dir,
        &["--format", "json", "commit-msg", mf],
        env,
        None,
    );
    let mut staged: Vec<String> = verdict_of(&cm, "commit-msg");
    assert_commit_field(&cm, None, "commit-msg");
    let cm2 = ro(
        "wpgate-commit-msg",
        dir,
        &["--format", "json", mf],
        env,
        None,
    );
    assert_verdict(&cm2, &staged, "wpgate-commit-msg");
    staged.extend(pre_rules);
    staged.sort();
    staged.dedup();
    assert_eq!(
        staged,
        want,
        "staged verdict (pre-commit + commit-msg): {}{}",
        text(&pre),
        text(&cm)
    );

    // (a') a real `git commit` through the installed hooks.
    let before = git_try(dir, &["rev-parse", "-q", "--verify", "HEAD"]).1;
    let (ok, out) = git_hooked_env(dir, &["commit", "-m", msg], env);
    assert!(!out.contains("panicked"), "hook panicked: {out}");
    assert_eq!(ok, accepted, "git commit verdict, expected {want:?}: {out}");
    for r in &want {
        assert!(
            out.contains(r.as_str()),
            "git commit output lacks {r}: {out}"
        );
    }
    if !ok {
        let now = git_try(dir, &["rev-parse", "-q", "--verify", "HEAD"]).1;
        assert_eq!(now, before, "refused commit moved HEAD");
        git(
            dir,
            &["commit", "-q", "--no-verify", "--allow-empty", "-m", msg],
        );
    }
    let sha = g.r.head();

    // (b) the commit, the range and CI.
    let one = ro(
        "wpgate",
        dir,
        &["--format", "json", "check", "--commit", "HEAD"],
        env,
        None,
    );
    assert_verdict(&one, &want, "check --commit");
    assert_commit_field(&one, Some(&sha), "check --commit");
    let has_parent = git_try(dir, &["rev-parse", "-q", "--verify", "HEAD~1"]).0;
    if has_parent {
        let range = ro(
            "wpgate",
            dir,
            &["--format", "json", "check", "--range", "HEAD~1..HEAD"],
            env,
            None,
        );
        assert_verdict(&range, &want, "check --range");
        assert_commit_field(&range, Some(&sha), "check --range");
        let ci = ro(
            "wpgate",
            dir,
            &["--format", "json", "ci", "--base", "HEAD~1"],
            env,
            None,
        );
        assert_verdict(&ci, &want, "ci --base");
        assert_commit_field(&ci, Some(&sha), "ci");
        let ci2 = ro(
            "wpgate-ci",
            dir,
            &["--format", "json", "--base", "HEAD~1", "--head", &sha],
            env,
            None,
        );
        assert_verdict(&ci2, &want, "wpgate-ci");
    }

    // (c) pre-push: the binary with the hook's stdin, then a real `git push`.
    let branch = git_try(dir, &["symbolic-ref", "-q", "--short", "HEAD"])
        .1
        .trim()
        .to_string();
    let branch = if branch.is_empty() {
        "detached-test".to_string()
    } else {
        branch
    };
    let remote_ref = format!("refs/heads/{branch}");
    let remote_sha = {
        let (ok, s, _) = git_try(&g.remote, &["rev-parse", "-q", "--verify", &remote_ref]);
        if ok {
            s
        } else {
            ZERO.to_string()
        }
    };
    let url = g.remote.to_str().expect("utf-8");
    let line = format!("{remote_ref} {sha} {remote_ref} {remote_sha}\n");
    for name in ["wpgate", "wpgate-pre-push"] {
        let args: Vec<&str> = if name == "wpgate" {
            vec!["--format", "json", "pre-push", "origin", url]
        } else {
            vec!["--format", "json", "origin", url]
        };
        let pp = ro(name, dir, &args, env, Some(&line));
        assert_verdict(&pp, &want, name);
        assert_commit_field(&pp, Some(&sha), "pre-push");
    }
    let refspec = format!("HEAD:{remote_ref}");
    let (ok, out) = git_hooked_env(dir, &["push", "origin", &refspec], env);
    assert!(!out.contains("panicked"), "pre-push panicked: {out}");
    assert_eq!(ok, accepted, "git push verdict, expected {want:?}: {out}");
    for r in &want {
        assert!(out.contains(r.as_str()), "git push output lacks {r}: {out}");
    }
    let (_, remote_now, _) = git_try(&g.remote, &["rev-parse", "-q", "--verify", &remote_ref]);
    assert_eq!(remote_now == sha, accepted, "remote ref after push");
    if !accepted {
        // Bypass, so that the next scenario on this repository pushes only its own commit.
        git(dir, &["push", "-q", "--no-verify", "origin", &refspec]);
    }
    sha
}

// ---------------------------------------------------------------------------------------
// Real input and range verdicts (tests/cli_packet.rs, corpus_layouts.rs, attack_data.rs).

/// A snapshot of `../shared/corpus/` (`handshake-2026-01-01`, …), when present.
pub fn corpus_dir(name: &str) -> Option<std::path::PathBuf> {
    let mut d = Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf();
    loop {
        let c = d.join("shared/corpus").join(name);
        if c.is_dir() {
            return Some(c);
        }
        if !d.pop() {
            return None;
        }
    }
}

/// Copies a directory tree (the corpus is read-only input; tests work on a copy).
pub fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Commits `files` with `msg` on top of `base`, returns the error rule ids (sorted,
/// deduplicated) of `check --range BASE..HEAD` (the CI verdict), and resets to `base`.
pub fn range_errors(r: &TestRepo, base: &str, msg: &str, files: &[(&str, &str)]) -> Vec<String> {
    r.commit_files(msg, files);
    let out = wpgate(&r.path)
        .args([
            "check",
            "--range",
            &format!("{base}..HEAD"),
            "--format",
            "json",
        ])
        .output()
        .expect("run");
    assert_ne!(code(&out), 2, "{}", text(&out));
    let mut rules = error_rules(&json(&out));
    rules.sort();
    rules.dedup();
    r.git(&["reset", "-q", "--hard", base]);
    rules
}
