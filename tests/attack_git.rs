//! Attacks through git itself: a commit whose content is not `.git/index` (`git commit -a`,
//! `git commit <paths>`), a local `git replace` or graft that shows the checker another
//! commit than the one pushed, a shallow clone's boundary commit passed off as a root
//! commit, and a partial clone's missing objects (fetched only through git, and never
//! with `WPGATE_NO_FETCH=1`).
#![cfg(unix)]

mod common;

use std::path::Path;

use common::*;

/// Output with miette's wrapping undone (box-drawing margins and line breaks).
fn flat(t: &str) -> String {
    t.replace(['│', '×'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn wp_msg(subject: &str) -> String {
    format!("{subject} [{WP}]")
}

fn json_run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut c = tool("wpgate", dir);
    c.arg("--format").arg("json").args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run wpgate")
}

// ---------------------------------------------------------------------------------------
// (a) The hook reads the index git hands it.

#[test]
fn commit_all_is_checked_through_the_hook() {
    let g = Gated::new();
    let dir = g.path();
    // Nothing staged: `.git/index` equals HEAD; `-a` commits the out-of-scope edit.
    g.r.write("src/api/jobs.rs", "pub fn jobs() -> usize { 0 }\n");
    let (ok, out) = git_hooked_env(dir, &["commit", "-a", "-q", "-m", &wp_msg("sneak")], &[]);
    assert!(
        !ok,
        "git commit -a of an out-of-scope file must be refused: {out}"
    );
    assert!(out.contains("scope.out-of-scope"), "{out}");
    assert!(out.contains("src/api/jobs.rs"), "{out}");

    // The same through the temporary index in an in-scope change is accepted (the hook
    // really reads that index, it does not just refuse `-a`).
    g.r.git(&["checkout", "-q", "--", "src/api/jobs.rs"]);
    g.r.write(
        "src/storage/mod.rs",
        "pub trait Storage { fn get(&self); }\n",
    );
    let (ok, out) = git_hooked_env(dir, &["commit", "-a", "-q", "-m", &wp_msg("store")], &[]);
    assert!(ok, "in-scope git commit -a must pass: {out}");
}

#[test]
fn commit_of_named_paths_is_checked_not_the_staged_index() {
    let g = Gated::new();
    let dir = g.path();
    // An in-scope change is staged; the commit names an out-of-scope path instead.
    g.stage(&[(
        "src/storage/mod.rs",
        "pub trait Storage { fn get(&self); }\n",
    )]);
    g.r.write("src/api/jobs.rs", "pub fn jobs() -> usize { 0 }\n");
    let (ok, out) = git_hooked_env(
        dir,
        &[
            "commit",
            "-q",
            "-m",
            &wp_msg("sneak"),
            "--",
            "src/api/jobs.rs",
        ],
        &[],
    );
    assert!(!ok, "git commit <path> must check that path: {out}");
    assert!(out.contains("src/api/jobs.rs"), "{out}");
    let (ok, out) = git_hooked_env(
        dir,
        &[
            "commit",
            "-q",
            "-m",
            &wp_msg("store"),
            "--",
            "src/storage/mod.rs",
        ],
        &[],
    );
    assert!(ok, "in-scope git commit <path> must pass: {out}");
}

/// git resolves a relative `GIT_INDEX_FILE` against the work tree root (it changes there
/// first); so does wpgate, also when started in a subdirectory.
#[test]
fn relative_git_index_file_is_relative_to_the_work_tree_root() {
    let g = Gated::new();
    let dir = g.path();
    std::fs::copy(dir.join(".git/index"), dir.join(".git/alt-index")).expect("copy");
    g.r.write("src/api/jobs.rs", "pub fn jobs() -> usize { 0 }\n");
    let out = git_cmd(&dir.join("src"))
        .env("GIT_INDEX_FILE", ".git/alt-index")
        .args(["add", "api/jobs.rs"])
        .output()
        .expect("git add");
    assert!(out.status.success());
    assert!(dir.join(".git/alt-index").exists());
    let o = json_run(
        &dir.join("src"),
        &["check", "--staged"],
        &[("GIT_INDEX_FILE", ".git/alt-index"), ("WPGATE_WP", WP)],
    );
    let rules = verdict_of(&o, "staged from the alternate index");
    assert!(
        rules.contains(&"scope.out-of-scope".to_string()),
        "{}",
        text(&o)
    );
    // Without it, the real index has nothing staged.
    let o = json_run(
        &dir.join("src"),
        &["check", "--staged"],
        &[("WPGATE_WP", WP)],
    );
    assert!(!verdict_of(&o, "real index").contains(&"scope.out-of-scope".to_string()));
}

// ---------------------------------------------------------------------------------------
// (b) Replace refs and grafts.

/// BAD (out of scope) replaced locally by GOOD (in scope): the checker must judge BAD,
/// on the single-commit path (libgit2), the range path (`git log` child) and pre-push.
#[test]
fn git_replace_does_not_hide_the_pushed_commit() {
    let g = Gated::new();
    let dir = g.path();
    let base = g.r.head();
    g.stage(&[(
        "src/storage/mod.rs",
        "pub trait Storage { fn put(&self); }\n",
    )]);
    g.r.git(&["commit", "-q", "--no-verify", "-m", &wp_msg("one")]);
    let mid = g.r.head();
    g.stage(&[(
        "src/storage/mod.rs",
        "pub trait Storage { fn get(&self); }\n",
    )]);
    g.r.git(&["commit", "-q", "--no-verify", "-m", &wp_msg("good")]);
    let good = g.r.head();
    g.r.git(&["reset", "-q", "--hard", &mid]);
    g.stage(&[("src/api/jobs.rs", "pub fn jobs() -> usize { 0 }\n")]);
    g.r.git(&["commit", "-q", "--no-verify", "-m", &wp_msg("bad")]);
    let bad = g.r.head();
    g.r.git(&["replace", &bad, &good]);

    let one = json_run(dir, &["check", "--commit", &bad], &[]);
    assert!(
        verdict_of(&one, "check --commit").contains(&"scope.out-of-scope".to_string()),
        "{}",
        text(&one)
    );
    let range = format!("{base}..{bad}");
    let many = json_run(dir, &["check", "--range", &range], &[]);
    let rules = verdict_of(&many, "check --range");
    assert!(
        rules.contains(&"scope.out-of-scope".to_string()),
        "{}",
        text(&many)
    );
    assert!(text(&many).contains(&bad), "{}", text(&many));
    let (ok, out) = git_hooked_env(dir, &["push", "origin", "HEAD:refs/heads/main"], &[]);
    assert!(!ok, "pre-push must judge the pushed commit: {out}");
    assert!(out.contains("src/api/jobs.rs"), "{out}");
}

/// A replaced blob: the content rules read the committed bytes, not the replacement.
#[test]
fn git_replace_of_a_blob_does_not_hide_its_content() {
    let g = Gated::new();
    let dir = g.path();
    let base = g.r.head();
    g.stage(&[(
        "src/storage/mod.rs",
        "pub trait Storage { fn put(&self); }\n",
    )]);
    g.r.git(&["commit", "-q", "--no-verify", "-m", &wp_msg("one")]);
    let bad_text = "pub fn f() { let x: Option<u8> = None; x.unwrap(); }\n";
    g.stage(&[("src/storage/sqlite.rs", bad_text)]);
    g.r.git(&["commit", "-q", "--no-verify", "-m", &wp_msg("two")]);
    let range = format!("{base}..HEAD");
    let plain = verdict_of(&json_run(dir, &["check", "--range", &range], &[]), "plain");
    let bad_blob = g.r.git(&["rev-parse", "HEAD:src/storage/sqlite.rs"]);
    assert!(
        plain.contains(&"content.unwrap".to_string()),
        "the committed blob must be judged: {plain:?}"
    );
    std::fs::write(dir.join(".git/good.rs"), "pub fn f() {}\n").expect("write");
    let good_blob = g.r.git(&["hash-object", "-w", ".git/good.rs"]);
    let good_blob = good_blob.trim();
    g.r.git(&["replace", "-f", bad_blob.trim(), good_blob]);
    let replaced = verdict_of(
        &json_run(dir, &["check", "--range", &range], &[]),
        "replaced",
    );
    assert_eq!(replaced, plain, "a replace ref changed the verdict");
}

#[test]
fn graft_file_is_refused() {
    let g = Gated::new();
    let dir = g.path();
    let base = g.r.head();
    g.stage(&[("src/api/jobs.rs", "pub fn jobs() -> usize { 0 }\n")]);
    g.r.git(&["commit", "-q", "--no-verify", "-m", &wp_msg("bad")]);
    let bad = g.r.head();
    // Graft BAD onto itself-as-root: its whole tree would be "added" and judged against
    // nothing, or onto another parent to hide the change.
    std::fs::create_dir_all(dir.join(".git/info")).expect("mkdir");
    std::fs::write(dir.join(".git/info/grafts"), format!("{bad} {base}\n")).expect("graft");
    let o = json_run(dir, &["check", "--commit", &bad], &[]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(flat(&text(&o)).contains("grafts"), "{}", text(&o));
}

// ---------------------------------------------------------------------------------------
// (c) Shallow clones.

#[test]
fn shallow_boundary_commit_is_exit_2_not_a_root_commit() {
    let g = Gated::new();
    let dir = g.path();
    g.stage(&[(
        "src/storage/mod.rs",
        "pub trait Storage { fn get(&self); }\n",
    )]);
    g.r.git(&["commit", "-q", "--no-verify", "-m", &wp_msg("store")]);
    g.r.git(&[
        "push",
        "-q",
        "--no-verify",
        "origin",
        "HEAD:refs/heads/main",
    ]);
    let clone = dir.parent().expect("parent").join("shallow");
    let url = format!("file://{}", g.remote.display());
    git(
        dir.parent().expect("parent"),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            &url,
            clone.to_str().expect("utf-8"),
        ],
    );
    for env in [vec![], vec![("WPGATE_WP", WP)]] {
        let args = ["check", "--commit", "HEAD"];
        let o = ro("wpgate", &clone, &args, &env, None);
        let t = flat(&text(&o));
        assert_eq!(code(&o), 2, "{args:?}: {t}");
        assert!(t.contains("shallow boundary"), "{t}");
        assert!(t.contains("git fetch --deepen"), "{t}");
        assert!(!t.contains("scope.out-of-scope"), "{t}");
    }
}

// ---------------------------------------------------------------------------------------
// (d), (e) Partial clones.

/// A blob-less clone of a remote whose history has a rename and a content change.
fn partial_clone() -> (Gated, std::path::PathBuf) {
    let g = Gated::new();
    let dir = g.path();
    g.stage(&[(
        "src/storage/mod.rs",
        "pub trait Storage { fn put(&self); }\n",
    )]);
    g.r.git(&["commit", "-q", "--no-verify", "-m", &wp_msg("content")]);
    // A rename with an edit: similarity detection must read both blobs.
    g.r.git(&["mv", "src/api/jobs.rs", "src/api/work.rs"]);
    g.r.write(
        "src/api/work.rs",
        "pub fn jobs() {}\npub fn more() {}\npub fn and_more() {}\n",
    );
    g.r.git(&["add", "-A"]);
    g.r.git(&["commit", "-q", "--no-verify", "-m", &wp_msg("rename")]);
    g.r.write(
        "src/storage/mod.rs",
        "pub trait Storage { fn get(&self); }\n",
    );
    g.r.write("src/api/work.rs", "pub fn work() {}\n");
    g.r.git(&["add", "-A"]);
    g.r.git(&["commit", "-q", "--no-verify", "-m", &wp_msg("tip")]);
    g.r.git(&[
        "push",
        "-q",
        "--no-verify",
        "origin",
        "HEAD:refs/heads/main",
    ]);
    git(&g.remote, &["config", "uploadpack.allowFilter", "true"]);
    let clone = dir.parent().expect("parent").join("partial");
    let url = format!("file://{}", g.remote.display());
    git(
        dir.parent().expect("parent"),
        &[
            "clone",
            "-q",
            "--filter=blob:none",
            &url,
            clone.to_str().expect("utf-8"),
        ],
    );
    (g, clone)
}

#[test]
fn no_fetch_leaves_git_untouched_and_names_the_object() {
    let (_g, clone) = partial_clone();
    // HEAD~2 changed src/storage/mod.rs: its blobs are not in the clone.
    let missing = git(&clone, &["rev-parse", "HEAD~2:src/storage/mod.rs"]);
    let missing = missing.trim();
    let o = ro(
        "wpgate",
        &clone,
        &["check", "--commit", "HEAD~2"],
        &[("WPGATE_NO_FETCH", "1")],
        None,
    );
    let t = flat(&text(&o));
    assert_eq!(code(&o), 2, "{t}");
    assert!(t.contains("WPGATE_NO_FETCH"), "{t}");
    assert!(t.contains(missing), "must name the object {missing}: {t}");
    // The range path (`git cat-file --batch` child) does not fetch either.
    let o = ro(
        "wpgate",
        &clone,
        &["check", "--range", "HEAD~3..HEAD~1"],
        &[("WPGATE_NO_FETCH", "1")],
        None,
    );
    assert_eq!(code(&o), 2, "{}", text(&o));
}

#[test]
fn missing_objects_are_fetched_through_git_and_said() {
    let (_g, clone) = partial_clone();
    let o = tool("wpgate", &clone)
        .args(["--format", "json", "check", "--range", "HEAD~3..HEAD~1"])
        .output()
        .expect("run");
    let t = text(&o);
    assert_ne!(code(&o), 2, "{t}");
    assert!(
        flat(&String::from_utf8_lossy(&o.stderr)).contains("asking git for it"),
        "{t}"
    );
}

/// Rename detection over a commit whose blobs are missing: with fetching forbidden, the
/// error names the commit, the path and the fix (not a bare "object not found").
#[test]
fn missing_blob_in_rename_detection_names_commit_path_and_fix() {
    let (_g, clone) = partial_clone();
    let commit = git(&clone, &["rev-parse", "HEAD~1"]);
    let commit = commit.trim();
    let o = ro(
        "wpgate",
        &clone,
        &["check", "--commit", commit],
        &[("WPGATE_NO_FETCH", "1")],
        None,
    );
    let t = flat(&text(&o));
    assert_eq!(code(&o), 2, "{t}");
    assert!(t.contains(commit), "must name the commit: {t}");
    assert!(t.contains("src/api/"), "must name the path: {t}");
    assert!(
        t.contains("git fetch") || t.contains("git cat-file"),
        "must name the fix: {t}"
    );
    // Allowed to fetch, the rename is detected and judged.
    let o = tool("wpgate", &clone)
        .args(["--format", "json", "check", "--commit", commit])
        .output()
        .expect("run");
    assert_ne!(code(&o), 2, "{}", text(&o));
}
