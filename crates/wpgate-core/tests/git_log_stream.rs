//! The change sets of a range read from one `git log` child must equal those libgit2
//! gives commit by commit (`Repo::commit`), on real histories with every kind of change.

mod git_common;

use git_common::{git, TestRepo};
use wpgate_core::git::{AddedLines, Repo};

fn all_commits(r: &TestRepo) -> Vec<String> {
    git(&r.path, &["rev-list", "--reverse", "--topo-order", "HEAD"])
        .lines()
        .map(str::to_string)
        .collect()
}

fn same_as_one_by_one(r: &TestRepo, shas: &[String]) {
    let repo = Repo::discover(&r.path).expect("open");
    for renames in [false, true] {
        let stream = repo.commits(shas, false, renames);
        assert!(
            stream.uses_git_log(),
            "a git log child runs for {} commits",
            shas.len()
        );
        let got: Vec<_> = stream.map(|c| c.expect("stream")).collect();
        assert_eq!(got.len(), shas.len());
        for (cs, sha) in got.iter().zip(shas) {
            let want = repo.commit(sha, false, renames).expect("commit");
            assert_eq!(cs, &want, "commit {sha} (renames {renames})");
        }
    }
}

#[test]
fn every_kind_of_change_matches_libgit2() {
    let r = TestRepo::new();
    r.commit_files(
        "root",
        &[("a.txt", "a\n"), ("d/e/f.txt", "f\n"), ("g.txt", "g\n")],
    );
    r.git(&["commit", "-q", "--allow-empty", "-m", "empty"]);
    r.commit_files("modify and add", &[("a.txt", "a2\n"), ("d/new.txt", "n\n")]);
    r.git(&["update-index", "--chmod=+x", "g.txt"]);
    r.git(&["commit", "-q", "-m", "mode only"]);
    std::fs::remove_file(r.path.join("g.txt")).unwrap();
    std::os::unix::fs::symlink("a.txt", r.path.join("g.txt")).unwrap();
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "-m", "file to symlink"]);
    r.git(&["mv", "d/new.txt", "moved.txt"]);
    r.git(&["commit", "-q", "-m", "exact rename"]);
    r.git(&["rm", "-q", "a.txt"]);
    r.write("b.txt", "entirely different\n");
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "-m", "delete and add"]);
    r.git(&["rm", "-q", "moved.txt"]);
    r.write("moved.txt/inside.txt", "now a directory\n");
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "-m", "file became directory"]);
    let sha = r.head();
    r.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{sha},sub"),
    ]);
    r.git(&["commit", "-q", "-m", "gitlink"]);
    r.write("odd/new\nline.txt", "nl\n");
    r.write("odd/space name.txt", "s\n");
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "-m", "odd names"]);
    // A merge: checked against its first parent.
    r.git(&["checkout", "-q", "-b", "side"]);
    r.commit_files("side", &[("side.txt", "s\n")]);
    r.git(&["checkout", "-q", "main"]);
    r.commit_files("main", &[("main.txt", "m\n")]);
    r.git(&["merge", "-q", "--no-ff", "-m", "merge", "side"]);
    let shas = all_commits(&r);
    assert!(shas.len() > 10);
    same_as_one_by_one(&r, &shas);
    // Any order and any subset, as given.
    let mut reversed = shas.clone();
    reversed.reverse();
    same_as_one_by_one(&r, &reversed);
    same_as_one_by_one(&r, &[shas[3].clone(), shas[1].clone(), shas[3].clone()]);
}

#[test]
fn one_commit_shallow_clones_and_all_parents_stay_with_libgit2() {
    let r = TestRepo::new();
    r.commit_files("one", &[("a.txt", "1\n")]);
    r.commit_files("two", &[("a.txt", "2\n")]);
    r.commit_files("three", &[("a.txt", "3\n")]);
    let repo = Repo::discover(&r.path).unwrap();
    let shas = all_commits(&r);
    assert!(!repo.commits(&shas[..1], false, true).uses_git_log());
    assert!(!repo.commits(&shas, true, true).uses_git_log());
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", r.path.display());
    git(
        dir.path(),
        &["clone", "-q", "--depth", "2", &url, "shallow"],
    );
    let shallow = Repo::discover(&dir.path().join("shallow")).unwrap();
    let last: Vec<String> = shas[1..].to_vec();
    let stream = shallow.commits(&last, false, true);
    assert!(
        !stream.uses_git_log(),
        "shallow: git would call the boundary a root"
    );
    let got: Vec<_> = stream.collect();
    // The boundary commit is not a root commit: exit 2 naming the fetch, on both paths.
    let boundary = got[0].as_ref().unwrap_err().to_string();
    assert!(boundary.contains("shallow boundary"), "{boundary}");
    assert!(shallow.commit(&last[0], false, true).is_err());
    for (cs, sha) in got.iter().zip(&last).skip(1) {
        let cs = cs.as_ref().expect("libgit2 reads the shallow commits");
        assert_eq!(cs, &shallow.commit(sha, false, true).unwrap());
    }
}

#[test]
fn an_unknown_commit_is_an_error_not_a_silent_skip() {
    let r = TestRepo::new();
    r.commit_files("one", &[("a.txt", "1\n")]);
    r.commit_files("two", &[("a.txt", "2\n")]);
    let repo = Repo::discover(&r.path).unwrap();
    let mut shas = all_commits(&r);
    shas.insert(1, "0123456789012345678901234567890123456789".to_string());
    let got: Vec<_> = repo.commits(&shas, false, true).collect();
    assert_eq!(got.len(), 3);
    assert!(got[0].is_ok());
    assert!(got[1].is_err());
    assert!(got[2].is_ok());
}

/// Added lines read through the `git cat-file --batch` child equal libgit2's, for text,
/// binary, over-the-limit, new, renamed and mode-only changes, in one batch; binary
/// blobs (a NUL byte) come with their added lines on both paths.
#[test]
fn added_lines_through_cat_file_match_libgit2() {
    let r = TestRepo::new();
    r.write("bin.dat", b"\0\x01binary\0".as_slice());
    r.write("was_bin.rs", b"\0 binary once\n".as_slice());
    r.git(&["add", "-A"]);
    r.commit_files(
        "base",
        &[
            ("a.rs", "fn a() {}\n"),
            ("big.rs", "small\n"),
            ("m.rs", "x\n"),
        ],
    );
    r.write("a.rs", "fn a() {}\nfn b() { todo!() }\r\n// TODO more\n");
    r.write("big.rs", "line\n".repeat(5000));
    r.write("new.rs", "fn fresh() {}\n");
    r.write("bin.dat", b"\0\x02still binary\0".as_slice());
    r.write(
        "nul.rs",
        b"// \0 rustc accepts this\nfn g() { x.unwrap() }\n\xff\xfe\0 y.unwrap()\r\n".as_slice(),
    );
    r.write("was_bin.rs", "fn h() { z.unwrap() }\n");
    // A NUL byte past git's 8000-byte window: text to both.
    r.write(
        "late_nul.rs",
        format!("{}// \0\nq.unwrap();\n", "//\n".repeat(3000)),
    );
    r.git(&["add", "-A"]);
    r.git(&["update-index", "--chmod=+x", "m.rs"]);
    r.git(&["mv", "new.rs", "renamed.rs"]);
    r.git(&["commit", "-q", "-m", "changes"]);
    let repo = Repo::discover(&r.path).unwrap();
    let head = r.head();
    let cs = repo.commit(&head, false, true).unwrap();
    let changes: Vec<&wpgate_core::git::FileChange> = cs.changes.iter().collect();
    assert!(changes.len() >= 5, "{changes:?}");
    for limit in [1_000_000u64, 1000] {
        let mut reader = repo.blob_reader();
        assert!(reader.is_some(), "git cat-file starts");
        let got = repo.added_lines_many(&mut reader, &changes, limit).unwrap();
        assert!(reader.is_some(), "the reader stays usable");
        let want: Vec<_> = changes
            .iter()
            .map(|c| repo.added_lines(c, limit).unwrap())
            .collect();
        assert_eq!(got, want, "limit {limit}");
    }
    let repo_lines = |path: &str| {
        let c = changes.iter().find(|c| c.path() == path).expect(path);
        let mut reader = repo.blob_reader();
        let many = repo
            .added_lines_many(&mut reader, std::slice::from_ref(c), 1_000_000)
            .unwrap()
            .pop()
            .unwrap();
        assert_eq!(many, repo.added_lines(c, 1_000_000).unwrap(), "{path}");
        many
    };
    assert_eq!(
        repo_lines("nul.rs"),
        AddedLines::Binary(vec![
            (1, "// \0 rustc accepts this".into()),
            (2, "fn g() { x.unwrap() }".into()),
            (3, "\u{fffd}\u{fffd}\0 y.unwrap()".into()),
        ])
    );
    assert_eq!(
        repo_lines("was_bin.rs"),
        AddedLines::Binary(vec![(1, "fn h() { z.unwrap() }".into())])
    );
    assert!(matches!(repo_lines("late_nul.rs"), AddedLines::Lines(l) if l.len() == 3002));
}
