//! Git layer: pre-push with a real bare remote, shallow and partial clones, hooks dirs,
//! linked worktrees.
#![cfg(unix)]

mod git_common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use git_common::{git, git_cmd, git_try, unchanged, TestRepo};
use wpgate_core::git::Repo;
use wpgate_core::source::FileSource;
use wpgate_core::Error;

/// Installs a pre-push hook that copies its stdin to `capture` and rejects the push (so
/// remote-tracking refs keep the state the hook saw).
fn capture_hook(repo: &Path, capture: &Path) {
    let hook = repo.join(".git/hooks/pre-push");
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    std::fs::write(
        &hook,
        format!("#!/bin/sh\ncat > '{}'\nexit 1\n", capture.display()),
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn remove_hook(repo: &Path) {
    let _ = std::fs::remove_file(repo.join(".git/hooks/pre-push"));
}

fn lines(s: &str) -> Vec<String> {
    s.lines().map(str::to_string).collect()
}

fn same_dir(a: &Path, b: &Path) -> bool {
    let c = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    c(a) == c(b)
}

#[test]
fn pre_push_checks_every_line_of_a_real_push() {
    let r = TestRepo::new();
    let remote = r.dir.path().join("remote.git");
    git(
        r.dir.path(),
        &["init", "-q", "--bare", remote.to_str().unwrap()],
    );
    let c1 = r.commit_files("c1", &[("a", "1\n")]);
    let c2 = r.commit_files("c2", &[("a", "2\n")]);
    r.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    r.git(&["branch", "old", &c1]);
    r.git(&["push", "-q", "origin", "main", "old"]);
    r.git(&["branch", "-q", "-D", "old"]);

    let c3 = r.commit_files("c3", &[("a", "3\n")]);
    r.git(&["checkout", "-q", "-b", "feat", &c2]);
    let f1 = r.commit_files("f1", &[("f", "1\n")]);
    let f2 = r.commit_files("f2", &[("f", "2\n")]);
    r.git(&["tag", "-a", "-m", "release", "v1", &f1]);
    let tag_obj = r.git(&["rev-parse", "v1"]);
    assert_ne!(tag_obj, f1);
    r.git(&["checkout", "-q", "main"]);

    // One push: update main, create feat, delete old, create an annotated tag.
    let capture = r.dir.path().join("stdin1");
    capture_hook(&r.path, &capture);
    let (ok, _, _) = git_try(&r.path, &["push", "origin", "main", "feat", ":old", "v1"]);
    assert!(!ok, "the capturing hook rejects the push");
    let stdin = std::fs::read_to_string(&capture).unwrap();
    let got_lines: Vec<&str> = stdin.lines().collect();
    assert_eq!(got_lines.len(), 4, "{stdin}");
    assert!(stdin.contains(&format!("refs/tags/v1 {tag_obj} refs/tags/v1")));
    assert!(stdin.contains(&format!("refs/heads/main {c3} refs/heads/main {c2}")));
    assert!(stdin.contains(&format!(
        "refs/heads/feat {f2} refs/heads/feat {}",
        "0".repeat(40)
    )));
    assert!(stdin.contains(&format!("(delete) {} refs/heads/old {c1}", "0".repeat(40))));

    let repo = Repo::discover(&r.path).unwrap();
    let got = unchanged(&r.path, "pre_push", || {
        repo.pre_push("origin", &stdin).unwrap()
    });
    let want = lines(&r.git(&[
        "rev-list",
        "--reverse",
        "main",
        "feat",
        "--not",
        "--remotes=origin",
    ]));
    assert_eq!(got, want);
    assert_eq!(got.len(), 3);
    let mut sorted = got.clone();
    sorted.sort();
    let mut expect = vec![c3.clone(), f1.clone(), f2.clone()];
    expect.sort();
    assert_eq!(sorted, expect);
    assert!(got.iter().position(|s| *s == f1) < got.iter().position(|s| *s == f2));

    // Only the deletion: nothing to check.
    let delete_only: String = stdin
        .lines()
        .filter(|l| l.starts_with("(delete)"))
        .collect();
    assert!(repo.pre_push("origin", &delete_only).unwrap().is_empty());
    // Only the annotated tag: checked through the commit it points at.
    let tag_only: String = stdin
        .lines()
        .filter(|l| l.starts_with("refs/tags/"))
        .collect();
    assert_eq!(
        repo.pre_push("origin", &tag_only).unwrap(),
        vec![f1.clone()]
    );

    // Let the push through, then force-push a rewritten main.
    remove_hook(&r.path);
    r.git(&["push", "-q", "origin", "main", "feat", ":old"]);
    r.git(&["reset", "-q", "--hard", &c1]);
    let c1b = r.commit_files("c1b", &[("b", "b\n")]);
    let capture2 = r.dir.path().join("stdin2");
    capture_hook(&r.path, &capture2);
    let (ok, _, _) = git_try(&r.path, &["push", "--force", "origin", "main"]);
    assert!(!ok);
    let stdin2 = std::fs::read_to_string(&capture2).unwrap();
    assert_eq!(
        stdin2.trim(),
        format!("refs/heads/main {c1b} refs/heads/main {c3}")
    );
    let got = unchanged(&r.path, "pre_push force", || {
        repo.pre_push("origin", &stdin2).unwrap()
    });
    assert_eq!(got, vec![c1b.clone()]);
    // Without remote-tracking refs (remote given as a URL), the pushed-over remote sha
    // alone hides what the remote already has.
    let url = remote.to_str().unwrap();
    assert_eq!(repo.pre_push(url, &stdin2).unwrap(), vec![c1b.clone()]);

    // Someone else pushed to the remote: the remote sha is unknown locally → no error.
    let other = r.dir.path().join("other");
    git(r.dir.path(), &["clone", "-q", url, other.to_str().unwrap()]);
    let x = {
        std::fs::write(other.join("x"), "x\n").unwrap();
        git(&other, &["add", "x"]);
        git(&other, &["commit", "-q", "-m", "x"]);
        git(&other, &["push", "-q", "origin", "main"]);
        git(&other, &["rev-parse", "HEAD"])
    };
    let capture3 = r.dir.path().join("stdin3");
    capture_hook(&r.path, &capture3);
    let (ok, _, _) = git_try(&r.path, &["push", "--force", "origin", "main"]);
    assert!(!ok);
    let stdin3 = std::fs::read_to_string(&capture3).unwrap();
    assert!(stdin3.contains(&x), "{stdin3}");
    assert_eq!(repo.pre_push("origin", &stdin3).unwrap(), vec![c1b.clone()]);
    // Same input with no remote refs to hide anything: all of main's history is new.
    assert_eq!(
        repo.pre_push("no-such-remote", &stdin3).unwrap(),
        vec![c1.clone(), c1b.clone()]
    );

    // Strict parsing with line numbers; unknown local sha is an error.
    let err = repo
        .pre_push("origin", "refs/heads/main abc refs/heads/main def\n")
        .unwrap_err();
    assert!(matches!(err, Error::Input { line: 1, .. }), "{err:?}");
    let bogus = format!(
        "refs/heads/main {} refs/heads/main {}\n",
        "1".repeat(40),
        "0".repeat(40)
    );
    let err = repo.pre_push("origin", &bogus).unwrap_err();
    assert!(err.to_string().contains(&"1".repeat(40)), "{err}");
}

#[test]
fn shallow_clone_missing_base_names_the_fix() {
    let src = TestRepo::new();
    let c1 = src.commit_files("c1", &[("a", "1\n")]);
    let c2 = src.commit_files("c2", &[("a", "2\n")]);
    let c3 = src.commit_files("c3", &[("a", "3\n")]);
    let url = format!("file://{}", src.path.display());
    let shallow = src.dir.path().join("shallow");
    git(
        src.dir.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            &url,
            shallow.to_str().unwrap(),
        ],
    );
    let repo = Repo::discover(&shallow).unwrap();
    assert!(repo.is_shallow());
    let err = unchanged(&shallow, "range in shallow clone", || {
        repo.range(&format!("{c1}..HEAD")).unwrap_err()
    });
    match &err {
        Error::Git { message, help } => {
            assert!(message.contains("shallow"), "{message}");
            assert!(message.contains("missing"), "{message}");
            assert!(message.contains(&c1), "{message}");
            let help = help.as_deref().unwrap_or("");
            assert!(help.contains("git fetch --unshallow"), "{help}");
            assert!(
                help.contains(&format!("git fetch --deepen=<N> origin {c1}")),
                "{help}"
            );
        }
        other => panic!("{other:?}"),
    }
    // A base that exists (fetched shallowly) but whose merge base with HEAD is beyond
    // the boundary: refused rather than listing everything down to the boundary.
    src.git(&["branch", "side", &c1]);
    git(
        &shallow,
        &[
            "fetch",
            "-q",
            "--depth",
            "1",
            "origin",
            "side:refs/remotes/origin/side",
        ],
    );
    let err = repo.range("origin/side..HEAD").unwrap_err();
    match &err {
        Error::Git { message, help } => {
            assert!(
                message.contains("merge base") && message.contains("shallow"),
                "{message}"
            );
            assert!(help.as_deref().unwrap_or("").contains("--unshallow"));
        }
        other => panic!("{other:?}"),
    }
    // The shallow boundary commit is not a root commit (its parent is grafted away): an
    // error naming it, its parent and the fetch that brings the parent.
    match repo.commit("HEAD", false, true).unwrap_err() {
        Error::Git { message, help } => {
            assert!(
                message.contains(&c3) && message.contains("shallow boundary"),
                "{message}"
            );
            assert!(help.as_deref().unwrap_or("").contains("git fetch --deepen"));
        }
        other => panic!("{other:?}"),
    }

    // Deepen by one: now c2 exists and the range works.
    let deeper = src.dir.path().join("deeper");
    git(
        src.dir.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "2",
            &url,
            deeper.to_str().unwrap(),
        ],
    );
    let repo = Repo::discover(&deeper).unwrap();
    assert!(repo.is_shallow());
    assert_eq!(
        repo.range(&format!("{c2}..HEAD")).unwrap(),
        vec![c3.clone()]
    );
    // Full clone is not shallow.
    assert!(!Repo::discover(&src.path).unwrap().is_shallow());
}

#[test]
fn partial_clone_missing_blob_is_fetched_through_the_cli() {
    let src = TestRepo::new();
    src.git(&["config", "uploadpack.allowFilter", "true"]);
    src.git(&["config", "uploadpack.allowAnySHA1InWant", "true"]);
    src.commit_files("v1", &[("f", "v1\n"), ("g", "g1\n")]);
    src.commit_files("v2", &[("f", "v2\n"), ("g", "g2\n")]);
    let old_f = src.git(&["rev-parse", "HEAD~1:f"]);
    let url = format!("file://{}", src.path.display());
    let part = src.dir.path().join("part");
    git(
        src.dir.path(),
        &[
            "clone",
            "-q",
            "--filter=blob:none",
            &url,
            part.to_str().unwrap(),
        ],
    );
    // The old blob is really absent (no lazy fetch for this probe).
    let probe = git_cmd(&part)
        .env("GIT_NO_LAZY_FETCH", "1")
        .args(["cat-file", "-e", &old_f])
        .output()
        .unwrap();
    assert!(
        !probe.status.success(),
        "old blob should be missing in the partial clone"
    );

    let repo = Repo::discover(&part).expect("libgit2 opens a partial clone");
    assert_eq!(repo.blob(&old_f, "f").unwrap(), b"v1\n");
    let ts = repo.tree_source("HEAD~1").unwrap();
    assert_eq!(ts.read("g").unwrap().as_deref(), Some(b"g1\n".as_slice()));
    let cs = repo.commit("HEAD", false, true).unwrap();
    assert_eq!(cs.changes.len(), 2);

    // Older git records `extensions.partialClone`, an extension libgit2 does not know by
    // itself: the repository must still open.
    git(&part, &["config", "extensions.partialClone", "origin"]);
    let repo = Repo::discover(&part).expect("opens with extensions.partialClone");
    let old_g = src.git(&["rev-parse", "HEAD~1:g"]);
    assert_eq!(repo.blob(&old_g, "g").unwrap(), b"g1\n");
}

#[test]
fn hooks_dir_default_configured_and_in_linked_worktree() {
    let r = TestRepo::new();
    r.commit_files("init", &[("a", "1\n")]);
    let repo = Repo::discover(&r.path).unwrap();
    let git_dir = r.path.join(".git");
    assert!(same_dir(&repo.hooks_dir(), &git_dir.join("hooks")));
    assert!(same_dir(repo.git_dir(), &git_dir));
    assert!(same_dir(&repo.common_dir(), &git_dir));
    assert!(same_dir(repo.workdir().unwrap(), &r.path));

    // Linked worktree shares the common dir's hooks.
    let wt = r.dir.path().join("wt2");
    r.git(&["worktree", "add", "-q", "-b", "other", wt.to_str().unwrap()]);
    let wrepo = unchanged(&r.path, "discover worktree", || {
        Repo::discover(&wt).unwrap()
    });
    assert!(same_dir(&wrepo.common_dir(), &git_dir));
    assert!(!same_dir(wrepo.git_dir(), &git_dir));
    assert!(same_dir(wrepo.git_dir(), &git_dir.join("worktrees/wt2")));
    assert!(same_dir(&wrepo.hooks_dir(), &git_dir.join("hooks")));
    assert_eq!(wrepo.head_branch().as_deref(), Some("other"));
    std::fs::write(wt.join("w"), "w\n").unwrap();
    git(&wt, &["add", "w"]);
    let cs = unchanged(&r.path, "staged in worktree", || {
        wrepo.staged(true).unwrap()
    });
    assert_eq!(cs.changes.len(), 1);
    assert_eq!(cs.changes[0].path(), "w");
    assert!(
        repo.staged(true).unwrap().changes.is_empty(),
        "main index untouched"
    );

    // core.hooksPath, relative to the work tree, and absolute.
    r.git(&["config", "core.hooksPath", ".githooks"]);
    let repo = Repo::discover(&r.path).unwrap();
    assert_eq!(
        std::fs::canonicalize(repo.workdir().unwrap())
            .unwrap()
            .join(".githooks"),
        std::fs::canonicalize(&r.path).unwrap().join(".githooks")
    );
    assert!(repo.hooks_dir().ends_with(".githooks"));
    assert!(same_dir(repo.hooks_dir().parent().unwrap(), &r.path));
    let wrepo = Repo::discover(&wt).unwrap();
    assert!(same_dir(wrepo.hooks_dir().parent().unwrap(), &wt));
    let abs: PathBuf = r.dir.path().join("abs-hooks");
    r.git(&["config", "core.hooksPath", abs.to_str().unwrap()]);
    let repo = Repo::discover(&r.path).unwrap();
    assert_eq!(repo.hooks_dir(), abs);
}
