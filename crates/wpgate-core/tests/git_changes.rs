//! Git layer: change sets (staged index, commits), ranges, file sources, added lines.
#![cfg(unix)]

mod git_common;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, PermissionsExt};

use git_common::{git, unchanged, TestRepo};
use wpgate_core::git::{AddedLines, ChangeStatus, FileChange, Repo, RepoState};
use wpgate_core::source::FileSource;
use wpgate_core::Error;

fn find<'a>(changes: &'a [FileChange], path: &str) -> &'a FileChange {
    changes
        .iter()
        .find(|c| c.path() == path)
        .unwrap_or_else(|| panic!("no change for {path}: {changes:#?}"))
}

const LONG: &str = "line one of a file long enough for rename detection\nline two\nline three\nline four\nline five\n";

#[test]
fn staged_covers_every_kind_of_change_and_writes_nothing() {
    let r = TestRepo::new();
    r.commit_files(
        "initial",
        &[
            ("a.txt", "a\n"),
            ("b.txt", "b\n"),
            ("c.txt", LONG),
            ("mode.sh", "echo hi\n"),
            ("l", "plain file\n"),
        ],
    );
    let head = r.head();
    // A stash entry (refs/stash) is part of what must stay untouched.
    r.write("a.txt", "stashed\n");
    r.git(&["stash", "-q"]);
    assert!(r.path.join(".git/refs/stash").exists());
    // modified, deleted, renamed, mode-only, file -> symlink
    r.write("a.txt", "a\nmore\n");
    r.git(&["add", "a.txt"]);
    r.git(&["rm", "-q", "b.txt"]);
    r.git(&["mv", "c.txt", "d.txt"]);
    std::fs::set_permissions(
        r.path.join("mode.sh"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    r.git(&["add", "mode.sh"]);
    std::fs::remove_file(r.path.join("l")).unwrap();
    symlink("a.txt", r.path.join("l")).unwrap();
    r.git(&["add", "l"]);
    // added: binary, symlink, gitlink, odd names
    r.write("bin.dat", b"\x00\x01\x02binary\x00".as_slice());
    symlink("a.txt", r.path.join("sym")).unwrap();
    r.write("dir with space/ü.txt", "unicode\n");
    let bad = OsStr::from_bytes(b"bad\xff name.txt");
    std::fs::write(r.path.join(bad), "x\n").unwrap();
    r.git(&["add", "bin.dat", "sym", "dir with space"]);
    r.git(&["add", "-A"]);
    r.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{head},sub"),
    ]);
    let root = r.path.clone();

    let repo = Repo::discover(&root).unwrap();
    let cs = unchanged(&root, "staged(true)", || repo.staged(true).unwrap());
    assert_eq!(cs.commit, None);
    assert_eq!(cs.parents, vec![head.clone()]);
    let ch = &cs.changes;

    let a = find(ch, "a.txt");
    assert_eq!(a.status, ChangeStatus::Modified);
    assert!(a.old_id.is_some() && a.new_id.is_some() && a.old_id != a.new_id);
    assert_eq!((a.old_mode, a.new_mode), (0o100644, 0o100644));

    let b = find(ch, "b.txt");
    assert_eq!(b.status, ChangeStatus::Deleted);
    assert_eq!(b.new_path, None);
    assert_eq!(b.new_id, None);
    assert_eq!(b.new_mode, 0);

    let d = find(ch, "d.txt");
    assert_eq!(d.status, ChangeStatus::Renamed);
    assert_eq!(d.old_path.as_deref(), Some("c.txt"));
    assert_eq!(d.paths().collect::<Vec<_>>(), vec!["c.txt", "d.txt"]);

    let m = find(ch, "mode.sh");
    assert_eq!(m.status, ChangeStatus::Modified);
    assert_eq!((m.old_mode, m.new_mode), (0o100644, 0o100755));
    assert!(m.is_mode_only());

    let l = find(ch, "l");
    assert_eq!(l.status, ChangeStatus::TypeChanged);
    assert_eq!(l.new_mode, 0o120000);
    assert!(l.is_symlink());

    let bin = find(ch, "bin.dat");
    assert_eq!(bin.status, ChangeStatus::Added);
    assert_eq!(bin.old_path, None);
    assert_eq!(
        repo.added_lines(bin, 1 << 20).unwrap(),
        // Flagged binary, its lines still given (decoded lossily) for the content rules.
        AddedLines::Binary(vec![(1, "\0\u{1}\u{2}binary\0".into())]),
        "binary blob"
    );

    let sym = find(ch, "sym");
    assert!(sym.is_symlink() && sym.status == ChangeStatus::Added);

    let sub = find(ch, "sub");
    assert!(sub.is_gitlink());
    assert_eq!(sub.new_id.as_deref(), Some(head.as_str()));
    assert_eq!(
        repo.added_lines(sub, 1 << 20).unwrap(),
        AddedLines::Lines(vec![])
    );

    let u = find(ch, "dir with space/ü.txt");
    assert!(!u.non_utf8_path);

    let bad = ch
        .iter()
        .find(|c| c.non_utf8_path)
        .expect("non-UTF-8 path flagged");
    assert_eq!(bad.path(), "bad\u{fffd} name.txt");
    assert_eq!(bad.status, ChangeStatus::Added);
    // Content of a non-UTF-8-named file is still readable by id.
    assert_eq!(
        repo.blob(bad.new_id.as_deref().unwrap(), bad.path())
            .unwrap(),
        b"x\n"
    );
    assert!(ch.iter().filter(|c| c.non_utf8_path).count() == 1);

    // Without rename detection: delete + add.
    let cs = unchanged(&root, "staged(false)", || repo.staged(false).unwrap());
    assert_eq!(find(&cs.changes, "c.txt").status, ChangeStatus::Deleted);
    assert_eq!(find(&cs.changes, "d.txt").status, ChangeStatus::Added);
    assert!(cs.changes.iter().all(|c| c.status != ChangeStatus::Renamed));

    // The same changes as a commit, and the committed tree as a file source.
    r.git(&["commit", "-q", "-m", "all kinds"]);
    let cs = unchanged(&root, "commit(HEAD)", || {
        repo.commit("HEAD", false, true).unwrap()
    });
    assert_eq!(find(&cs.changes, "d.txt").status, ChangeStatus::Renamed);
    assert_eq!(find(&cs.changes, "l").status, ChangeStatus::TypeChanged);
    assert!(find(&cs.changes, "sub").is_gitlink());
    assert!(find(&cs.changes, "mode.sh").is_mode_only());
    assert_eq!(cs.changes.iter().filter(|c| c.non_utf8_path).count(), 1);
    let ts = repo.tree_source("HEAD").unwrap();
    assert_eq!(
        ts.read("bad\u{fffd} name.txt").unwrap().as_deref(),
        Some(b"x\n".as_slice())
    );
    assert_eq!(
        ts.read("dir with space/ü.txt").unwrap().as_deref(),
        Some(b"unicode\n".as_slice())
    );
    assert_eq!(ts.read("sub").unwrap(), None);
}

#[test]
fn staged_on_unborn_head_is_all_added() {
    let r = TestRepo::new();
    r.write("x.md", "x\n");
    r.write("docs/y.md", "y\n");
    r.git(&["add", "."]);
    let repo = Repo::discover(&r.path.join("docs")).unwrap();
    let cs = unchanged(&r.path, "staged on unborn", || repo.staged(true).unwrap());
    assert!(cs.parents.is_empty());
    let mut paths: Vec<_> = cs.changes.iter().map(|c| c.path().to_string()).collect();
    paths.sort();
    assert_eq!(paths, vec!["docs/y.md", "x.md"]);
    assert!(cs.changes.iter().all(|c| c.status == ChangeStatus::Added));
    assert_eq!(repo.head_branch().as_deref(), Some("main"));
    assert_eq!(repo.state(), RepoState::Clean);
    assert!(repo.last_touch_times(10).unwrap().is_empty());
}

#[test]
fn staged_reads_an_alternate_index_file() {
    let r = TestRepo::new();
    r.commit_files("init", &[("a", "1\n")]);
    r.write("b", "2\n");
    // Stage `b` into a separate index only, as `git commit <paths>` does for hooks.
    let alt = r.dir.path().join("alt-index");
    std::fs::copy(r.path.join(".git/index"), &alt).unwrap();
    let out = git_common::git_cmd(&r.path)
        .env("GIT_INDEX_FILE", &alt)
        .args(["add", "b"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut repo = Repo::discover(&r.path).unwrap();
    assert!(repo.staged(true).unwrap().changes.is_empty());
    repo.set_index_file(&alt);
    let cs = unchanged(&r.path, "staged alt index", || repo.staged(true).unwrap());
    assert_eq!(cs.changes.len(), 1);
    assert_eq!(cs.changes[0].path(), "b");
}

#[test]
fn discover_outside_a_repository_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    // Keep libgit2 from walking up into an enclosing repository.
    let err = match Repo::discover(dir.path()) {
        Ok(r) => {
            // The tempdir lives inside some repository on this machine: acceptable only
            // if that repository is not the tempdir itself.
            assert_ne!(r.workdir(), Some(dir.path()));
            return;
        }
        Err(e) => e,
    };
    let msg = err.to_string();
    assert!(msg.contains("not inside a git repository"), "{msg}");
    match err {
        Error::Git { help: Some(h), .. } => assert!(h.contains("git init"), "{h}"),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn commit_root_normal_empty_and_merge() {
    let r = TestRepo::new();
    let root = r.commit_files(
        "root\n\nWork-Packet: WP-1-A\n",
        &[("a", "1\n"), ("b", "2\n")],
    );
    let c2 = r.commit_files("second", &[("a", "1\n2\n")]);
    r.git(&["commit", "-q", "--allow-empty", "-m", "empty"]);
    let empty = r.head();
    r.git(&["checkout", "-q", "-b", "feature"]);
    let feat = r.commit_files("feature work", &[("f.txt", "f\n")]);
    r.git(&["checkout", "-q", "main"]);
    r.commit_files("main work", &[("m.txt", "m\n")]);
    r.git(&["merge", "-q", "--no-ff", "-m", "merge feature", "feature"]);
    let merge = r.head();
    let repo = Repo::discover(&r.path).unwrap();

    let cs = unchanged(&r.path, "commit(root)", || {
        repo.commit(&root, false, true).unwrap()
    });
    assert_eq!(cs.commit.as_deref(), Some(root.as_str()));
    assert!(cs.parents.is_empty());
    assert_eq!(cs.changes.len(), 2);
    assert!(cs.changes.iter().all(|c| c.status == ChangeStatus::Added));
    assert_eq!(cs.message.as_deref(), Some("root\n\nWork-Packet: WP-1-A\n"));
    assert_eq!(cs.author_email.as_deref(), Some("test@example.com"));
    assert!(cs.time.unwrap() >= 1_700_000_000);

    let cs = repo.commit(&c2, false, true).unwrap();
    assert_eq!(cs.parents, vec![root.clone()]);
    assert_eq!(cs.changes.len(), 1);
    assert_eq!(cs.changes[0].status, ChangeStatus::Modified);

    let cs = repo.commit(&empty, false, true).unwrap();
    assert!(cs.changes.is_empty());

    let cs = unchanged(&r.path, "commit(merge)", || {
        repo.commit("HEAD", false, true).unwrap()
    });
    assert_eq!(cs.commit.as_deref(), Some(merge.as_str()));
    assert_eq!(cs.parents.len(), 2);
    assert_eq!(cs.parents[1], feat);
    let paths: Vec<_> = cs.changes.iter().map(|c| c.path()).collect();
    assert_eq!(paths, vec!["f.txt"], "merge vs first parent");

    let cs = repo.commit("HEAD", true, true).unwrap();
    let mut paths: Vec<_> = cs.changes.iter().map(|c| c.path()).collect();
    paths.sort();
    assert_eq!(paths, vec!["f.txt", "m.txt"], "merge vs all parents");

    assert_eq!(repo.commit_message(&c2).unwrap(), "second\n");
    let err = repo.commit("no-such-rev", false, true).unwrap_err();
    assert!(err.to_string().contains("no-such-rev"), "{err}");
}

#[test]
fn range_lists_commits_oldest_first_like_rev_list() {
    // Commit dates increase strictly, so date order is also a topological order.
    let r = TestRepo::new();
    let base = r.commit_files("base", &[("a", "0\n")]);
    r.commit_files("c1", &[("a", "1\n")]);
    r.git(&["checkout", "-q", "-b", "side"]);
    r.commit_files("s1", &[("s", "1\n")]);
    r.commit_files("s2", &[("s", "2\n")]);
    r.git(&["checkout", "-q", "main"]);
    r.commit_files("c2", &[("a", "2\n")]);
    r.git(&["merge", "-q", "--no-ff", "-m", "merge", "side"]);
    r.commit_files("c3", &[("a", "3\n")]);
    let repo = Repo::discover(&r.path).unwrap();
    let got = unchanged(&r.path, "range", || {
        repo.range(&format!("{base}..HEAD")).unwrap()
    });
    let want: Vec<String> = r
        .git(&["rev-list", "--reverse", &format!("{base}..HEAD")])
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(got.len(), 6);
    assert_eq!(got, want);
    // Empty right side means HEAD.
    assert_eq!(repo.range(&format!("{base}..")).unwrap(), want);
    assert!(repo.range("HEAD..HEAD").unwrap().is_empty());

    let err = repo.range("HEAD").unwrap_err();
    match &err {
        Error::Git { message, help } => {
            assert!(message.contains("not a range"), "{message}");
            assert!(help.as_deref().unwrap_or("").contains("BASE..HEAD"));
        }
        other => panic!("{other:?}"),
    }
    let missing = "0123456789abcdef0123456789abcdef01234567";
    let err = repo.range(&format!("{missing}..HEAD")).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(missing) && msg.contains("not found"), "{msg}");
    assert!(!msg.contains("shallow"), "{msg}");
    let err = repo.range("origin/main..HEAD").unwrap_err();
    assert!(err.to_string().contains("origin/main"), "{err}");
}

#[test]
fn tree_and_index_sources_read_files_refuse_symlinks_and_skip_gitlinks() {
    let r = TestRepo::new();
    let first = r.commit_files(
        "init",
        &[
            ("docs/a.md", "A\n"),
            ("docs/sub/b.md", "B\n"),
            ("top", "t\n"),
        ],
    );
    symlink("docs/a.md", r.path.join("link")).unwrap();
    r.git(&["add", "link"]);
    r.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{first},vendor/mod"),
    ]);
    r.git(&["commit", "-q", "-m", "more"]);
    r.write("docs/staged.md", "S\n");
    r.git(&["add", "docs/staged.md"]);
    let repo = Repo::discover(&r.path).unwrap();

    let (ts, is) = unchanged(&r.path, "sources", || {
        let ts = repo.tree_source("HEAD").unwrap();
        let is = repo.index_source().unwrap();
        assert_eq!(
            ts.read("docs/a.md").unwrap().as_deref(),
            Some(b"A\n".as_slice())
        );
        // A symlink is not read as its target text (nor followed): exit 2 naming it.
        let err = ts.read("link").unwrap_err();
        assert!(
            matches!(err, wpgate_core::Error::Governance { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("link"), "{err}");
        assert!(is.read("link").is_err());
        assert_eq!(ts.read("vendor/mod").unwrap(), None);
        assert_eq!(ts.read("nope").unwrap(), None);
        assert_eq!(ts.read("docs").unwrap(), None);
        assert_eq!(
            is.read("docs/staged.md").unwrap().as_deref(),
            Some(b"S\n".as_slice())
        );
        (ts, is)
    });
    assert_eq!(ts.list("docs").unwrap(), vec!["docs/a.md", "docs/sub/b.md"]);
    assert_eq!(ts.list("docs/").unwrap(), ts.list("docs").unwrap());
    assert_eq!(
        ts.list("").unwrap(),
        vec!["docs/a.md", "docs/sub/b.md", "link", "top"]
    );
    assert_eq!(ts.list("doc").unwrap(), Vec::<String>::new());
    assert_eq!(ts.mode("vendor/mod"), Some(0o160000));
    assert!(ts.describe().contains("HEAD"), "{}", ts.describe());
    assert_eq!(
        is.list("docs").unwrap(),
        vec!["docs/a.md", "docs/staged.md", "docs/sub/b.md"]
    );
    assert_eq!(ts.read("docs/staged.md").unwrap(), None);
    assert_eq!(is.describe(), "staged index");
    let old = repo.tree_source(&first).unwrap();
    assert_eq!(
        old.list("").unwrap(),
        vec!["docs/a.md", "docs/sub/b.md", "top"]
    );
    assert!(old.describe().starts_with("commit "), "{}", old.describe());
}

#[test]
fn added_lines_numbers_text_binary_and_size_limit() {
    let r = TestRepo::new();
    r.commit_files(
        "init",
        &[("f.txt", "one\ntwo\nthree\n"), ("big.txt", "x\n")],
    );
    r.write("f.txt", "zero\none\ntwo\nTWO-B\r\nthree\nfour");
    r.write("big.txt", "y\n".repeat(1000));
    r.git(&["add", "."]);
    let repo = Repo::discover(&r.path).unwrap();
    let cs = repo.staged(true).unwrap();
    let f = find(&cs.changes, "f.txt");
    let lines = unchanged(&r.path, "added_lines", || {
        repo.added_lines(f, 1 << 20).unwrap()
    });
    assert_eq!(
        lines,
        AddedLines::Lines(vec![
            (1, "zero".into()),
            (4, "TWO-B".into()),
            (6, "four".into())
        ])
    );
    let big = find(&cs.changes, "big.txt");
    assert_eq!(
        repo.added_lines(big, 100).unwrap(),
        AddedLines::TooLarge { size: 2000 }
    );
    // A deletion adds nothing.
    r.git(&["rm", "-q", "-f", "f.txt"]);
    let cs = repo.staged(true).unwrap();
    let f = find(&cs.changes, "f.txt");
    assert_eq!(
        repo.added_lines(f, 1 << 20).unwrap(),
        AddedLines::Lines(vec![])
    );
}

#[test]
fn last_touch_times_newest_first() {
    let r = TestRepo::new();
    r.commit_files("a", &[("docs/a.md", "1\n")]);
    r.commit_files("b", &[("src/b.rs", "1\n")]);
    let t3 = r.commit_files("c", &[("docs/c.md", "1\n")]);
    let repo = Repo::discover(&r.path).unwrap();
    let touches = unchanged(&r.path, "last_touch_times", || {
        repo.last_touch_times(10).unwrap()
    });
    assert_eq!(touches.len(), 3);
    assert_eq!(touches[0].commit, t3);
    assert_eq!(touches[0].paths, vec!["docs/c.md"]);
    assert!(touches[0].time > touches[1].time && touches[1].time > touches[2].time);
    assert_eq!(
        repo.last_touch(&["src/"], 10).unwrap(),
        Some(touches[1].time)
    );
    assert_eq!(
        repo.last_touch(&["docs/"], 10).unwrap(),
        Some(touches[0].time)
    );
    assert_eq!(repo.last_touch(&["nothing/"], 10).unwrap(), None);
    assert_eq!(repo.last_touch_times(1).unwrap().len(), 1);
}

#[test]
fn missing_loose_blob_is_an_error_naming_object_and_path() {
    let r = TestRepo::new();
    r.commit_files("init", &[("docs/gone.md", "will vanish\n"), ("ok", "ok\n")]);
    let id = git(&r.path, &["rev-parse", "HEAD:docs/gone.md"]);
    let obj = r.path.join(".git/objects").join(&id[..2]).join(&id[2..]);
    assert!(obj.exists(), "loose object expected");
    std::fs::remove_file(&obj).unwrap();
    let repo = Repo::discover(&r.path).unwrap();
    let err = unchanged(&r.path, "blob(missing)", || {
        repo.blob(&id, "docs/gone.md").unwrap_err()
    });
    let msg = err.to_string();
    assert!(msg.contains(&id) && msg.contains("docs/gone.md"), "{msg}");
    assert!(matches!(err, Error::Git { help: Some(_), .. }));
    let ts = repo.tree_source("HEAD").unwrap();
    let err = ts.read("docs/gone.md").unwrap_err();
    assert!(err.to_string().contains(&id), "{err}");
    assert_eq!(ts.read("ok").unwrap().as_deref(), Some(b"ok\n".as_slice()));
    let cs = repo.commit("HEAD", false, true).unwrap();
    let gone = find(&cs.changes, "docs/gone.md");
    let err = repo.added_lines(gone, 1 << 20).unwrap_err();
    assert!(err.to_string().contains("docs/gone.md"), "{err}");
    assert!(repo.blob("not-hex", "x").is_err());
}

#[test]
fn conflicted_merge_reports_state_and_merge_heads() {
    let r = TestRepo::new();
    r.commit_files("init", &[("f", "base\n")]);
    r.git(&["checkout", "-q", "-b", "other"]);
    let other = r.commit_files("other", &[("f", "theirs\n")]);
    r.git(&["checkout", "-q", "main"]);
    r.commit_files("mine", &[("f", "ours\n")]);
    let (ok, _, _) = git_common::git_try(&r.path, &["merge", "other"]);
    assert!(!ok, "merge must conflict");
    let repo = Repo::discover(&r.path).unwrap();
    let (state, heads) = unchanged(&r.path, "state", || (repo.state(), repo.merge_heads()));
    assert_eq!(state, RepoState::Merge);
    assert_eq!(heads, vec![other.clone()]);
    unchanged(&r.path, "staged during conflict", || {
        let cs = repo.staged(true).unwrap();
        let f = find(&cs.changes, "f");
        assert_eq!(f.status, ChangeStatus::Modified, "{f:?}");
        assert_eq!(repo.conflicted_paths().unwrap(), vec!["f"]);
        let is = repo.index_source().unwrap();
        assert_eq!(is.read("f").unwrap().as_deref(), Some(b"ours\n".as_slice()));
    });
    r.git(&["merge", "--abort"]);
    assert_eq!(repo.state(), RepoState::Clean);
    assert!(repo.conflicted_paths().unwrap().is_empty());
    assert!(repo.merge_heads().is_empty());

    // cherry-pick and rebase conflicts
    let (ok, _, _) = git_common::git_try(&r.path, &["cherry-pick", &other]);
    assert!(!ok);
    assert_eq!(repo.state(), RepoState::CherryPick);
    r.git(&["cherry-pick", "--abort"]);
    let (ok, _, _) = git_common::git_try(&r.path, &["rebase", "other"]);
    assert!(!ok);
    assert_eq!(repo.state(), RepoState::Rebase);
    r.git(&["rebase", "--abort"]);
    r.git(&["checkout", "-q", "--detach"]);
    assert_eq!(repo.head_branch(), None);
}

#[test]
fn snapshot_helper_detects_index_ref_and_worktree_writes() {
    let r = TestRepo::new();
    r.commit_files("init", &[("a", "1\n")]);
    let before = r.snapshot();
    r.write("a", "2\n");
    assert_ne!(before, r.snapshot(), "work tree change");
    let before = r.snapshot();
    r.git(&["add", "a"]);
    assert_ne!(before, r.snapshot(), "index change");
    let before = r.snapshot();
    r.git(&["stash", "-q"]);
    assert_ne!(before, r.snapshot(), "stash");
    let before = r.snapshot();
    r.git(&["update-ref", "refs/heads/x", "HEAD"]);
    assert_ne!(before, r.snapshot(), "ref");
}
