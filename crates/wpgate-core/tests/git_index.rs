//! wpgate's own index reader (the cache-tree staged diff) against libgit2's diff of the
//! same index, on real repositories: every scenario must give the same change set, and
//! the scenarios the reader claims to handle must really take its path.

mod git_common;

use git_common::{git, TestRepo};
use proptest::prelude::*;
use wpgate_core::git::{ChangeSet, Repo};

/// Both readers, both rename settings; returns whether wpgate's reader handled it.
fn same_as_libgit2(r: &TestRepo, what: &str) -> bool {
    let repo = Repo::discover(&r.path).expect("open");
    let mut own_ran = false;
    for renames in [false, true] {
        let lib: ChangeSet = repo.staged_libgit2(renames).expect("libgit2 diff");
        let public = repo.staged(renames).expect("staged");
        assert_eq!(public, lib, "{what} (renames {renames}): staged() differs");
        if let Some(own) = repo.staged_own_reader(renames).expect("own reader") {
            assert_eq!(own, lib, "{what} (renames {renames}): own reader differs");
            own_ran = true;
        }
    }
    // The index source lists what `git ls-files` lists (gitlinks left out).
    let src = repo.index_source().expect("index source");
    use wpgate_core::source::FileSource;
    let listed = src.list("").expect("list");
    let out = git_common::git_cmd(&r.path)
        .args(["ls-files", "-s", "-z"])
        .output()
        .expect("git ls-files");
    let mut want: Vec<String> = out
        .stdout
        .split(|&b| b == 0)
        .filter(|l| !l.is_empty() && !l.starts_with(b"160000"))
        .filter_map(|l| {
            let tab = l.iter().position(|&b| b == b'\t')?;
            Some(String::from_utf8_lossy(&l[tab + 1..]).into_owned())
        })
        .collect();
    want.dedup();
    assert_eq!(listed, want, "{what}: listing");
    for p in &listed {
        assert!(src.blob_id(p).is_some(), "{what}: {p} listed but not found");
    }
    own_ran
}

fn base() -> TestRepo {
    let r = TestRepo::new();
    r.commit_files(
        "base",
        &[
            ("a.txt", "a\n"),
            ("a-b.txt", "ab\n"),
            ("a/x.txt", "x\n"),
            ("a/y/z.txt", "z\n"),
            ("a/y/w.txt", "w\n"),
            ("b/c/d/e.txt", "e\n"),
            ("b/c/d/f.txt", "f\n"),
            ("b0.txt", "b0\n"),
            ("docs/task_packets/WP-1-A.md", "# WP-1-A\n"),
        ],
    );
    r
}

#[test]
fn plain_changes_take_the_cache_tree_path_and_match_libgit2() {
    let r = base();
    assert!(same_as_libgit2(&r, "nothing staged"));
    r.write("a/y/z.txt", "z2\n");
    r.write("b/c/new/g.txt", "g\n");
    r.write("zz/top.txt", "t\n");
    r.git(&["add", "-A"]);
    r.git(&["rm", "-q", "--cached", "b0.txt"]);
    assert!(same_as_libgit2(&r, "modify, add dirs, delete"));
    r.git(&["rm", "-q", "-r", "--cached", "b/c"]);
    assert!(same_as_libgit2(&r, "whole directory deleted"));
    let repo = Repo::discover(&r.path).unwrap();
    let cs = repo.staged_own_reader(false).unwrap().unwrap();
    let paths: Vec<&str> = cs.changes.iter().map(|c| c.path()).collect();
    assert_eq!(
        paths,
        [
            "a/y/z.txt",
            "b/c/d/e.txt",
            "b/c/d/f.txt",
            "b0.txt",
            "zz/top.txt"
        ],
        "b/c/new/g.txt was never committed, so removing b/c from the index drops it"
    );
}

/// A valid cache-tree entry that is not HEAD's tree: after `git reset --soft` the index
/// still describes the later commit, directory by directory.
#[test]
fn a_cache_tree_of_another_commit_is_compared_not_trusted() {
    let r = base();
    r.commit_files("second", &[("a/y/z.txt", "z2\n"), ("b/c/d/new.txt", "n\n")]);
    r.git(&["write-tree"]);
    r.git(&["reset", "-q", "--soft", "HEAD~1"]);
    assert!(same_as_libgit2(&r, "after reset --soft"));
    let cs = Repo::discover(&r.path)
        .unwrap()
        .staged_own_reader(false)
        .unwrap()
        .unwrap();
    let paths: Vec<&str> = cs.changes.iter().map(|c| c.path()).collect();
    assert_eq!(paths, ["a/y/z.txt", "b/c/d/new.txt"]);
}

#[test]
fn modes_symlinks_gitlinks_and_type_changes() {
    let r = base();
    r.git(&["update-index", "--chmod=+x", "a/x.txt"]);
    assert!(same_as_libgit2(&r, "mode only"));
    let blob = git(&r.path, &["hash-object", "-w", "--stdin"]);
    let sha = r.head();
    r.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{sha},sub/module"),
    ]);
    assert!(same_as_libgit2(&r, "gitlink added"));
    r.git(&[
        "update-index",
        "--cacheinfo",
        &format!("120000,{blob},a.txt"),
    ]);
    assert!(same_as_libgit2(&r, "file became a symlink"));
    r.git(&["commit", "-q", "-m", "types"]);
    assert!(same_as_libgit2(&r, "after commit"));
    r.git(&[
        "update-index",
        "--cacheinfo",
        &format!("160000,{blob},sub/module"),
    ]);
    assert!(same_as_libgit2(&r, "gitlink moved"));
}

#[test]
fn renames_exact_ones_are_paired_others_go_to_libgit2() {
    let r = base();
    std::fs::create_dir(r.path.join("q")).unwrap();
    r.git(&["mv", "a/y/z.txt", "q/z.txt"]);
    assert!(same_as_libgit2(&r, "exact rename"));
    let cs = Repo::discover(&r.path)
        .unwrap()
        .staged_own_reader(true)
        .unwrap()
        .unwrap();
    assert_eq!(cs.changes.len(), 1);
    assert_eq!(cs.changes[0].old_path.as_deref(), Some("a/y/z.txt"));
    assert_eq!(cs.changes[0].new_path.as_deref(), Some("q/z.txt"));
    r.git(&["mv", "b/c/d/e.txt", "b/e2.txt"]);
    r.write("b/e2.txt", "e\nmore\nlines\n");
    r.git(&["add", "b/e2.txt"]);
    // An edited rename needs a similarity search: libgit2's path (the reader steps aside
    // only when renames are asked for).
    let repo = Repo::discover(&r.path).unwrap();
    assert!(repo.staged_own_reader(true).unwrap().is_none());
    assert!(repo.staged_own_reader(false).unwrap().is_some());
    same_as_libgit2(&r, "edited rename");
}

#[test]
fn file_directory_swaps_conflicts_and_intent_to_add_step_aside() {
    let r = base();
    r.git(&["rm", "-q", "--cached", "a.txt"]);
    r.write("a.txt.tmp", "");
    std::fs::remove_file(r.path.join("a.txt")).unwrap();
    r.write("a.txt/inner.txt", "now a directory\n");
    r.git(&["add", "a.txt/inner.txt"]);
    let repo = Repo::discover(&r.path).unwrap();
    assert!(repo.staged_own_reader(false).unwrap().is_none(), "swap");
    same_as_libgit2(&r, "file became a directory");

    let r = base();
    r.write("new.txt", "n\n");
    r.git(&["add", "-N", "new.txt"]);
    let repo = Repo::discover(&r.path).unwrap();
    assert!(repo.staged_own_reader(false).unwrap().is_none(), "ita");
    same_as_libgit2(&r, "intent to add");

    let r = base();
    r.git(&["checkout", "-q", "-b", "side"]);
    r.commit_files("side", &[("a/x.txt", "side\n")]);
    r.git(&["checkout", "-q", "main"]);
    r.commit_files("main", &[("a/x.txt", "main\n")]);
    let _ = git_common::git_try(&r.path, &["merge", "side"]);
    let repo = Repo::discover(&r.path).unwrap();
    assert!(repo.staged_own_reader(false).unwrap().is_none(), "conflict");
    same_as_libgit2(&r, "merge conflict");
}

#[test]
fn index_versions_unborn_head_odd_names_and_no_cache_tree() {
    let r = TestRepo::new();
    r.write("one/two.txt", "2\n");
    r.git(&["add", "-A"]);
    assert!(same_as_libgit2(&r, "unborn HEAD"));
    let r = base();
    for v in ["4", "3", "2"] {
        r.git(&["update-index", "--index-version", v]);
        r.write(&format!("v{v}/deep/er/file.txt"), v);
        r.write("a/y/w.txt", v);
        r.git(&["add", "-A"]);
        assert!(same_as_libgit2(&r, &format!("index version {v}")));
    }
    // A long name (flags hold 0xFFF), a name with a newline, a non-UTF-8 name.
    // (the index only: such a path is longer than the file system takes)
    let long = vec!["n".repeat(220); 20].join("/");
    let blob = git(&r.path, &["hash-object", "-w", "a.txt"]);
    r.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("100644,{blob},l/{long}"),
    ]);
    r.write("odd/new\nline.txt", "nl\n");
    {
        use std::os::unix::ffi::OsStrExt;
        let bad = std::ffi::OsStr::from_bytes(b"odd/\xffbad.txt");
        std::fs::write(r.path.join(bad), "x").expect("non-UTF-8 name");
    }
    r.git(&["add", "odd"]);
    assert!(same_as_libgit2(&r, "odd names"));
    // An index written without a cache-tree: every directory is compared.
    r.git(&["commit", "-q", "-m", "odd"]);
    let tree = git(&r.path, &["rev-parse", "HEAD^{tree}"]);
    r.git(&["read-tree", &tree]);
    r.write("a/x.txt", "changed\n");
    r.git(&["add", "a/x.txt"]);
    assert!(same_as_libgit2(&r, "fresh read-tree"));
    let idx = r.path.join(".git/index");
    let bytes = std::fs::read(&idx).unwrap();
    assert!(bytes.windows(4).any(|w| w == b"TREE"), "cache-tree present");
}

#[test]
fn a_damaged_index_is_an_error_or_libgit2s_answer_never_a_panic() {
    let r = base();
    r.write("a/x.txt", "x2\n");
    r.git(&["add", "-A"]);
    let idx = r.path.join(".git/index");
    let good = std::fs::read(&idx).unwrap();
    for cut in [13, 40, 100, good.len() / 2, good.len() - 21] {
        std::fs::write(&idx, &good[..cut]).unwrap();
        let repo = Repo::discover(&r.path).unwrap();
        // The reader refuses a truncated file; libgit2 then reports it.
        assert!(
            repo.staged_own_reader(false).unwrap().is_none(),
            "cut {cut}"
        );
        let _ = repo.staged(false);
    }
}

/// One operation on the work tree and index of the generated repository.
#[derive(Debug, Clone)]
enum Op {
    Write(usize, u8),
    Remove(usize),
    Stage,
    Commit,
}

const PATHS: [&str; 10] = [
    "a.txt",
    "a/b.txt",
    "a/c/d.txt",
    "a/c/e.txt",
    "a-c/f.txt",
    "b/g.txt",
    "b/h/i/j.txt",
    "b/h/k.txt",
    "c0.txt",
    "docs/task_packets/WP-1-X.md",
];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..PATHS.len(), 0u8..4).prop_map(|(p, c)| Op::Write(p, c)),
        2 => (0..PATHS.len()).prop_map(Op::Remove),
        2 => Just(Op::Stage),
        1 => Just(Op::Commit),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// After any sequence of writes, removals, stagings and commits, the reader agrees
    /// with libgit2.
    #[test]
    fn random_histories_agree_with_libgit2(ops in proptest::collection::vec(op(), 1..14)) {
        let r = TestRepo::new();
        for (i, p) in PATHS.iter().enumerate() {
            r.write(p, format!("{i}\n"));
        }
        r.git(&["add", "-A"]);
        r.git(&["commit", "-q", "-m", "base"]);
        for op in &ops {
            match op {
                Op::Write(p, c) => r.write(PATHS[*p], format!("v{c}\n")),
                Op::Remove(p) => { let _ = std::fs::remove_file(r.path.join(PATHS[*p])); }
                Op::Stage => { r.git(&["add", "-A"]); }
                Op::Commit => { r.git(&["add", "-A"]); r.git(&["commit", "-q", "--allow-empty", "-m", "c"]); }
            }
        }
        r.git(&["add", "-A"]);
        let what = format!("{:?}", ops);
        prop_assert!(same_as_libgit2(&r, &what));
    }
}
