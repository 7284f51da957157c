//! Edge cases of the diff gate on real repositories: unborn HEAD, empty and merge
//! commits, binary files, symlinks, gitlinks, mode changes, deletions, odd paths, CRLF
//! packets, detached HEAD, no packets directory, shallow clones, missing objects, and
//! merges / cherry-picks in progress. Every wpgate run is checked to be read-only.

mod common;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use common::*;

fn wp_msg(subject: &str) -> String {
    format!("{subject} [{WP}]")
}

fn json_ro(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    ro("wpgate", dir, &all, &[], None)
}

/// Hooks and an empty bare remote around an existing repository (nothing pushed).
fn gated_from(r: TestRepo) -> Gated {
    wpgate(&r.path).arg("install").assert().success();
    let remote = r.dir.path().join("remote.git");
    git(
        r.dir.path(),
        &["init", "-q", "--bare", remote.to_str().expect("utf-8")],
    );
    r.git(&["remote", "add", "origin", remote.to_str().expect("utf-8")]);
    if git_try(&r.path, &["rev-parse", "-q", "--verify", "HEAD"]).0 {
        r.git(&[
            "push",
            "-q",
            "--no-verify",
            "origin",
            "HEAD:refs/heads/main",
        ]);
    }
    Gated { r, remote }
}

#[test]
fn unborn_head_and_initial_commit() {
    let r = TestRepo::new();
    r.write(&format!("docs/task_packets/{WP}.md"), locked_packet());
    r.write("src/storage/mod.rs", "pub trait Storage {}\n");
    r.git(&["add", "-A"]);
    let g = gated_from(r);
    // Unborn HEAD: the staged check compares against the empty tree, and nothing is
    // trusted yet, so the packet the initial commit brings authorises nothing.
    everywhere(
        &g,
        &wp_msg("feat: initial"),
        &[],
        &["binding.unapproved-packet"],
    );
    // The same on an unborn branch with an out-of-scope file: refused as unapproved
    // (the packet is judged only once it is trusted).
    let r = TestRepo::new();
    r.write(&format!("docs/task_packets/{WP}.md"), locked_packet());
    r.write("src/api/jobs.rs", "// x\n");
    r.git(&["add", "-A"]);
    let g = gated_from(r);
    everywhere(
        &g,
        &wp_msg("feat: initial"),
        &[],
        &["binding.unapproved-packet"],
    );
}

#[test]
fn empty_commit_and_empty_index_check_nothing() {
    let g = Gated::new();
    let out = json_ro(g.path(), &["check", "--staged"]);
    assert_eq!(verdict_of(&out, "empty staged"), Vec::<String>::new());
    let (ok, text) = git_hooked_env(g.path(), &["commit", "--allow-empty", "-m", "empty"], &[]);
    assert!(ok, "{text}");
    for args in [
        &["check", "--commit", "HEAD"][..],
        &["check", "--range", "HEAD~1..HEAD"][..],
        &["ci", "--base", "HEAD~1"][..],
    ] {
        assert_eq!(
            verdict_of(&json_ro(g.path(), args), "empty"),
            Vec::<String>::new()
        );
    }
    let (ok, text) = git_hooked_env(g.path(), &["push", "origin", "HEAD:refs/heads/main"], &[]);
    assert!(ok, "{text}");
}

/// main: an out-of-scope commit (made with --no-verify); side: an in-scope one; the
/// merge of side into main, tagged with the packet.
fn merged(policy: Option<&str>) -> Gated {
    let g = Gated::with(|r| {
        if let Some(p) = policy {
            r.write("wpgate.toml", p);
            r.git(&["add", "wpgate.toml"]);
            r.git(&["commit", "-q", "--no-verify", "-m", "policy"]);
        }
    });
    let dir = g.path();
    git(dir, &["checkout", "-q", "-b", "side"]);
    g.stage(&[("src/storage/mod.rs", "pub trait Storage {}\n// side\n")]);
    git(
        dir,
        &["commit", "-q", "--no-verify", "-m", &wp_msg("feat: side")],
    );
    git(dir, &["checkout", "-q", "main"]);
    g.stage(&[("src/api/jobs.rs", "// main\n")]);
    git(
        dir,
        &["commit", "-q", "--no-verify", "-m", "feat: api [WP-1-Api]"],
    );
    git(
        dir,
        &[
            "merge",
            "-q",
            "--no-verify",
            "--no-ff",
            "-m",
            &wp_msg("merge side"),
            "side",
        ],
    );
    g
}

#[test]
fn merge_commit_against_first_parent_by_default() {
    let g = merged(None);
    let out = json_ro(g.path(), &["check", "--commit", "HEAD"]);
    assert_eq!(verdict_of(&out, "merge"), Vec::<String>::new());
    // With every parent, the diff against `side` shows main's out-of-scope change.
    let g = merged(Some("[git]\nmerge_parents = \"all\"\n"));
    let out = json_ro(g.path(), &["check", "--commit", "HEAD"]);
    assert_eq!(verdict_of(&out, "merge all"), ["scope.out-of-scope"]);
    let out = json_ro(g.path(), &["ci", "--base", "HEAD^1"]);
    // side's own commit is clean; the merge is refused.
    assert_eq!(verdict_of(&out, "ci merge all"), ["scope.out-of-scope"]);
}

fn stage_bytes(g: &Gated, rel: &[u8], content: &[u8]) {
    let p = g.path().join(OsStr::from_bytes(rel));
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(&p, content).expect("write");
    let st = git_cmd(g.path())
        .arg("add")
        .arg("--")
        .arg(OsStr::from_bytes(rel))
        .status()
        .expect("git add");
    assert!(st.success());
}

#[test]
fn binary_files() {
    let g = Gated::new();
    stage_bytes(
        &g,
        b"src/storage/sqlite.rs",
        b"\x00\x01\x02\xff\xfe binary\x00",
    );
    everywhere(&g, &wp_msg("feat: binary in scope"), &[], &[]);
    stage_bytes(&g, b"src/api/blob.bin", b"\x00\xff\x00");
    everywhere(
        &g,
        &wp_msg("feat: binary out of scope"),
        &[],
        &["scope.out-of-scope"],
    );
}

#[test]
fn symlinks() {
    let g = Gated::new();
    std::os::unix::fs::symlink("mod.rs", g.path().join("src/storage/sqlite.rs")).expect("ln");
    g.r.git(&["add", "src/storage/sqlite.rs"]);
    everywhere(&g, &wp_msg("feat: link"), &[], &[]);
    std::os::unix::fs::symlink("../../etc/passwd", g.path().join("src/api/link")).expect("ln");
    g.r.git(&["add", "src/api/link"]);
    everywhere(&g, &wp_msg("feat: link out"), &[], &["scope.out-of-scope"]);
}

#[test]
fn submodule_gitlinks() {
    let g = Gated::new();
    let sha = g.r.head();
    let add = |path: &str| {
        g.r.git(&[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("160000,{sha},{path}"),
        ]);
    };
    add("src/storage/sqlite.rs");
    everywhere(&g, &wp_msg("feat: gitlink in scope"), &[], &[]);
    add("vendor/lib");
    everywhere(
        &g,
        &wp_msg("feat: gitlink out"),
        &[],
        &["scope.out-of-scope"],
    );
}

#[test]
fn mode_only_changes() {
    use std::os::unix::fs::PermissionsExt;
    let g = Gated::new();
    for (path, expect) in [
        ("src/storage/mod.rs", &[][..]),
        ("src/api/jobs.rs", &["scope.out-of-scope"][..]),
    ] {
        let p = g.path().join(path);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        g.r.git(&["add", path]);
        everywhere(&g, &wp_msg("chore: mode"), &[], expect);
    }
}

#[test]
fn deleted_files() {
    let g = Gated::new();
    g.r.git(&["rm", "-q", "src/storage/mod.rs"]);
    everywhere(&g, &wp_msg("chore: delete in scope"), &[], &[]);
    g.r.git(&["rm", "-q", "src/api/jobs.rs"]);
    everywhere(
        &g,
        &wp_msg("chore: delete out"),
        &[],
        &["scope.out-of-scope"],
    );
}

#[test]
fn odd_paths_spaces_unicode_and_non_utf8() {
    // A packet whose scope lists a non-ASCII path and a directory. An IN_SCOPE entry with
    // whitespace is prose (glob.rs), so a file name with a space is in scope only through
    // a directory or glob entry; listed on its own it is reported as out of scope.
    let g = Gated::with(|r| {
        let t = locked_packet().replace(
            "  * tests/storage_test.rs\n",
            "  * tests/storage_test.rs\n  * src/storage/ünïcødé.rs\n  * src/odd/\n  * src/storage/with space.rs\n",
        );
        r.write(&format!("docs/task_packets/{WP}.md"), t);
        r.git(&["commit", "-q", "-am", "scope with odd paths"]);
    });
    g.stage(&[
        ("src/odd/with space ü.rs", "// s\n"),
        ("src/storage/ünïcødé.rs", "// u\n"),
    ]);
    everywhere(&g, &wp_msg("feat: odd in scope"), &[], &[]);
    g.stage(&[("src/storage/with space.rs", "// s\n")]);
    everywhere(
        &g,
        &wp_msg("feat: spaced entry"),
        &[],
        &["scope.out-of-scope"],
    );
    stage_bytes(&g, b"src/odd/\xff\xfe.rs", b"// bytes\n");
    everywhere(&g, &wp_msg("feat: bytes in a scoped dir"), &[], &[]);
    g.stage(&[("src/api/a b ü.rs", "// o\n")]);
    everywhere(&g, &wp_msg("feat: odd out"), &[], &["scope.out-of-scope"]);
    // A path that is not UTF-8: no panic, a clear outcome (it is out of scope).
    stage_bytes(&g, b"src/api/\xff\xfe.rs", b"// bytes\n");
    everywhere(&g, &wp_msg("feat: bytes"), &[], &["scope.out-of-scope"]);
    stage_bytes(&g, b"src/storage/\xff.rs", b"// bytes\n");
    everywhere(
        &g,
        &wp_msg("feat: bytes in storage"),
        &[],
        &["scope.out-of-scope"],
    );
}

#[test]
fn crlf_packet() {
    let g = Gated::with(|r| {
        r.write(
            &format!("docs/task_packets/{WP}.md"),
            locked_packet().replace('\n', "\r\n"),
        );
        r.git(&["commit", "-q", "-am", "crlf packet"]);
    });
    g.stage(&[("src/storage/mod.rs", "pub trait Storage {}\n// crlf\n")]);
    everywhere(&g, &wp_msg("feat: in scope"), &[], &[]);
    g.stage(&[("src/api/jobs.rs", "// crlf\n")]);
    everywhere(&g, &wp_msg("feat: out"), &[], &["scope.out-of-scope"]);
    let p = g.packet_path();
    let report = format!(
        "{}\r\n## VALIDATION REPORT\r\nVerdict: PASS\r\n",
        g.read(&p)
    );
    g.stage(&[(&p, &report)]);
    everywhere(&g, &wp_msg("docs: report"), &[], &[]);
    let edited = g.read(&p).replace("6-8 hours", "1 hour");
    g.stage(&[(&p, &edited)]);
    everywhere(
        &g,
        &wp_msg("docs: edit"),
        &[],
        &["lock.locked-packet-edited"],
    );
}

#[test]
fn detached_head() {
    let g = Gated::new();
    g.r.git(&["checkout", "-q", "--detach"]);
    g.stage(&[("src/storage/mod.rs", "pub trait Storage {}\n// d\n")]);
    everywhere(&g, &wp_msg("feat: detached"), &[], &[]);
    g.stage(&[("src/api/jobs.rs", "// d\n")]);
    everywhere(
        &g,
        &wp_msg("feat: detached out"),
        &[],
        &["scope.out-of-scope"],
    );
}

#[test]
fn repository_without_packets_directory() {
    let r = TestRepo::new();
    r.commit_files("init", &[("README.md", "hello\n")]);
    let g = gated_from(r);
    g.stage(&[("src/lib.rs", "// x\n")]);
    everywhere(&g, "feat: lib", &[], &["binding.no-packet"]);
    g.stage(&[("src/lib.rs", "// y\n")]);
    everywhere(&g, &wp_msg("feat: lib"), &[], &["binding.unknown-packet"]);
}

#[test]
fn shallow_clone_without_base_says_which_fetch() {
    let g = Gated::new();
    let old = g.r.head();
    g.r.commit_files(&wp_msg("a"), &[("src/storage/mod.rs", "// 1\n")]);
    g.r.commit_files(&wp_msg("b"), &[("src/storage/mod.rs", "// 2\n")]);
    let clone = g.r.dir.path().join("shallow");
    let url = format!("file://{}", g.path().display());
    git(
        g.r.dir.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            &url,
            clone.to_str().expect("utf-8"),
        ],
    );
    for args in [
        &["ci", "--base", &old][..],
        &["check", "--range", &format!("{old}..HEAD")][..],
    ] {
        let out = ro("wpgate", &clone, args, &[], None);
        let t = text(&out);
        assert_eq!(code(&out), 2, "{t}");
        assert!(t.contains("git fetch"), "names the fetch: {t}");
        assert!(t.contains(&old[..7]), "names the base: {t}");
        assert!(!t.contains("panicked"), "{t}");
    }
}

/// Output text without the renderer's line wrapping and frame characters.
fn flat(out: &std::process::Output) -> String {
    text(out)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '│')
        .collect()
}

fn object_file(dir: &std::path::Path, id: &str) -> std::path::PathBuf {
    dir.join(".git/objects").join(&id[..2]).join(&id[2..])
}

#[test]
fn missing_blob_object_is_an_environment_error() {
    // The packet's old blob (needed for the lock check) is gone.
    let g = Gated::new();
    let p = g.packet_path();
    let old_blob = g.r.git(&["rev-parse", &format!("HEAD:{p}")]);
    let edited = g.read(&p).replace("6-8 hours", "1 hour");
    g.stage(&[(&p, &edited)]);
    git(
        g.path(),
        &["commit", "-q", "--no-verify", "-m", &wp_msg("edit")],
    );
    let obj = object_file(g.path(), &old_blob);
    assert!(obj.exists(), "loose object {}", obj.display());
    std::fs::remove_file(&obj).expect("rm object");
    for args in [
        &["check", "--commit", "HEAD"][..],
        &["ci", "--base", "HEAD~1"][..],
    ] {
        let out = ro("wpgate", g.path(), args, &[], None);
        let t = flat(&out);
        assert_eq!(code(&out), 2, "{t}");
        assert!(t.contains(&old_blob), "names the object: {t}");
        assert!(t.contains(&p), "names the path: {t}");
        assert!(!t.contains("panicked"), "{t}");
    }
    // A changed file's new blob is gone (content rules read it).
    let g = Gated::new();
    g.stage(&[("src/storage/mod.rs", "pub trait Storage {}\n// gone\n")]);
    git(
        g.path(),
        &["commit", "-q", "--no-verify", "-m", &wp_msg("edit")],
    );
    let blob = g.r.git(&["rev-parse", "HEAD:src/storage/mod.rs"]);
    std::fs::remove_file(object_file(g.path(), &blob)).expect("rm object");
    let out = ro(
        "wpgate",
        g.path(),
        &["check", "--commit", "HEAD"],
        &[],
        None,
    );
    let t = flat(&out);
    assert_eq!(code(&out), 2, "{t}");
    assert!(t.contains(&blob) && t.contains("src/storage/mod.rs"), "{t}");
    // The staged check with a missing index blob.
    let g = Gated::new();
    g.stage(&[(
        "src/storage/mod.rs",
        "pub trait Storage {}\n// staged gone\n",
    )]);
    let blob = g.r.git(&["rev-parse", ":src/storage/mod.rs"]);
    std::fs::remove_file(object_file(g.path(), &blob)).expect("rm object");
    let mf = g.r.dir.path().join("MSG");
    std::fs::write(&mf, wp_msg("x")).expect("msg");
    let out = ro(
        "wpgate",
        g.path(),
        &["commit-msg", mf.to_str().expect("utf-8")],
        &[],
        None,
    );
    let t = flat(&out);
    assert_eq!(code(&out), 2, "{t}");
    assert!(t.contains(&blob) && t.contains("src/storage/mod.rs"), "{t}");
}

#[test]
fn clean_merge_in_progress_is_not_refused() {
    // side: out-of-scope work of another packet (checked on its own branch);
    // main: in-scope work. `git merge --no-commit side` stages side's paths unchanged.
    let g = Gated::new();
    let dir = g.path();
    git(dir, &["checkout", "-q", "-b", "side"]);
    g.stage(&[("src/api/jobs.rs", "// side\n")]);
    git(
        dir,
        &["commit", "-q", "--no-verify", "-m", "feat: api [WP-1-Api]"],
    );
    git(dir, &["checkout", "-q", "main"]);
    g.stage(&[("src/storage/mod.rs", "pub trait Storage {}\n// main\n")]);
    git(dir, &["commit", "-q", "--no-verify", "-m", &wp_msg("feat")]);
    git(dir, &["merge", "-q", "--no-commit", "--no-ff", "side"]);
    assert!(dir.join(".git/MERGE_HEAD").exists());
    let out = json_ro(dir, &["check", "--staged"]);
    assert_eq!(
        verdict_of(&out, "pre-commit in merge"),
        Vec::<String>::new()
    );
    let mf = g.r.dir.path().join("MSG");
    std::fs::write(&mf, "Merge branch 'side'\n").expect("msg");
    let out = json_ro(dir, &["commit-msg", mf.to_str().expect("utf-8")]);
    assert_eq!(
        verdict_of(&out, "commit-msg in merge"),
        Vec::<String>::new()
    );
    let (ok, t) = git_hooked_env(dir, &["commit", "--no-edit"], &[]);
    assert!(ok, "clean merge refused by the hooks: {t}");
    // The same verdict for the merge commit: side's paths come unchanged from side,
    // whose own commit is checked on its own (here: refused, in the range).
    let out = json_ro(dir, &["check", "--commit", "HEAD"]);
    assert_eq!(
        verdict_of(&out, "merge commit"),
        Vec::<String>::new(),
        "{}",
        text(&out)
    );
    let out = json_ro(dir, &["check", "--range", "HEAD^1..HEAD"]);
    assert_eq!(
        verdict_of(&out, "range"),
        ["binding.unknown-packet"],
        "{}",
        text(&out)
    );
    // Once side's commit is on the remote (it was pushed under its own packet), pushing
    // the merge is accepted.
    git(dir, &["push", "-q", "--no-verify", "origin", "side"]);
    let (ok, t) = git_hooked_env(dir, &["push", "origin", "main"], &[]);
    assert!(ok, "merge push refused: {t}");
}

#[test]
fn conflicted_merge_resolution_is_checked() {
    let g = Gated::new();
    let dir = g.path();
    git(dir, &["checkout", "-q", "-b", "side"]);
    g.stage(&[
        ("src/storage/mod.rs", "// side\n"),
        ("src/api/jobs.rs", "// side\n"),
    ]);
    git(dir, &["commit", "-q", "--no-verify", "-m", "side"]);
    git(dir, &["checkout", "-q", "main"]);
    g.stage(&[
        ("src/storage/mod.rs", "// main\n"),
        ("src/api/jobs.rs", "// main\n"),
    ]);
    git(dir, &["commit", "-q", "--no-verify", "-m", "main"]);
    assert!(
        !git_try(dir, &["merge", "-q", "side"]).0,
        "conflict expected"
    );
    // Resolve: storage differs from both parents (checked, in scope); jobs takes side's
    // version. Both sides changed jobs, so picking one is the merge's own choice, and
    // checked (issue 12: a path is taken from a parent only when the first parent still
    // holds the merge-base version).
    g.stage(&[("src/storage/mod.rs", "// resolved\n")]);
    git(dir, &["checkout", "-q", "--theirs", "src/api/jobs.rs"]);
    git(dir, &["add", "src/api/jobs.rs"]);
    let mf = g.r.dir.path().join("MSG");
    std::fs::write(&mf, wp_msg("merge side")).expect("msg");
    let out = json_ro(dir, &["commit-msg", mf.to_str().expect("utf-8")]);
    assert_eq!(
        verdict_of(&out, "resolved merge, a side picked"),
        ["scope.out-of-scope"]
    );
    // Only storage resolved by hand, jobs kept as main had it: in scope, accepted.
    git(dir, &["checkout", "-q", "HEAD", "--", "src/api/jobs.rs"]);
    let out = json_ro(dir, &["commit-msg", mf.to_str().expect("utf-8")]);
    assert_eq!(verdict_of(&out, "resolved merge"), Vec::<String>::new());
    // A resolution that writes an out-of-scope path anew is refused.
    g.stage(&[("src/api/jobs.rs", "// resolved too\n")]);
    let out = json_ro(dir, &["commit-msg", mf.to_str().expect("utf-8")]);
    assert_eq!(
        verdict_of(&out, "resolved merge out"),
        ["scope.out-of-scope"]
    );
    let paths: Vec<String> = json(&out)["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["path"].as_str().map(str::to_string))
        .collect();
    assert_eq!(paths, ["src/api/jobs.rs"]);
    // Committed, the merge gets the same verdict on the same path.
    git(
        dir,
        &[
            "commit",
            "-q",
            "--no-verify",
            "-F",
            mf.to_str().expect("utf-8"),
        ],
    );
    for args in [
        &["check", "--commit", "HEAD"][..],
        &["ci", "--base", "HEAD^1", "--branch", "x"][..],
    ] {
        let out = json_ro(dir, args);
        if args[0] == "ci" {
            // The range also holds side's own unbound commit.
            let rules = verdict_of(&out, "ci");
            assert!(
                rules.contains(&"scope.out-of-scope".to_string()),
                "{rules:?}"
            );
            continue;
        }
        assert_eq!(verdict_of(&out, "merge commit"), ["scope.out-of-scope"]);
        let paths: Vec<String> = json(&out)["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d["path"].as_str().map(str::to_string))
            .collect();
        assert_eq!(paths, ["src/api/jobs.rs"], "{}", text(&out));
    }
}

#[test]
fn cherry_pick_in_progress_is_checked_like_a_commit() {
    let g = Gated::new();
    let dir = g.path();
    git(dir, &["checkout", "-q", "-b", "side"]);
    g.stage(&[("src/api/jobs.rs", "// side\n")]);
    git(
        dir,
        &["commit", "-q", "--no-verify", "-m", &wp_msg("feat: out")],
    );
    let bad = g.r.head();
    git(dir, &["checkout", "-q", "main"]);
    g.stage(&[("src/api/jobs.rs", "// main\n")]);
    git(
        dir,
        &["commit", "-q", "--no-verify", "-m", "main [WP-1-Api]"],
    );
    assert!(!git_try(dir, &["cherry-pick", &bad]).0, "conflict expected");
    assert!(dir.join(".git/CHERRY_PICK_HEAD").exists());
    git(dir, &["checkout", "-q", "--theirs", "src/api/jobs.rs"]);
    git(dir, &["add", "src/api/jobs.rs"]);
    // The picked change is checked against HEAD with the picked commit's message.
    let (ok, t) = git_hooked_env(dir, &["commit", "--no-edit"], &[]);
    assert!(!ok, "{t}");
    assert!(t.contains("scope.out-of-scope"), "{t}");
    assert!(
        dir.join(".git/CHERRY_PICK_HEAD").exists(),
        "still in progress"
    );
}

#[test]
fn bad_revisions_and_input_are_usage_errors() {
    let g = Gated::new();
    let missing = "1234567890123456789012345678901234567890";
    let url = g.remote.to_str().expect("utf-8");
    let cases: Vec<(Vec<&str>, Option<String>)> = vec![
        (vec!["check", "--commit", "no-such-branch"], None),
        (vec!["check", "--range", "no-such..HEAD"], None),
        (vec!["ci", "--base", missing], None),
        (vec!["pre-push", "origin", url], Some("garbage\n".into())),
        (
            vec!["pre-push", "origin", url],
            Some(format!(
                "refs/heads/main {missing} refs/heads/main {ZERO}\n"
            )),
        ),
    ];
    for (args, stdin) in cases {
        let out = ro("wpgate", g.path(), &args, &[], stdin.as_deref());
        let t = text(&out);
        assert_eq!(code(&out), 2, "{args:?}: {t}");
        assert!(!t.contains("panicked"), "{t}");
    }
    // An empty pre-push input (nothing to push) checks nothing.
    let out = ro(
        "wpgate",
        g.path(),
        &["pre-push", "origin", url],
        &[],
        Some(""),
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
}
