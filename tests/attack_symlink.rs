//! Attacks on governance files that are not regular files inside the repository: a
//! committed `wpgate.toml -> /proc/self/environ` (the runner's environment, CI token
//! included, would be printed in the policy error's snippet), a waiver file or board
//! linked out of the repository or to `/dev/zero`, a packets directory linked elsewhere,
//! a symlinked packet inside a commit of a range, and files over the size cap. Each is
//! exit 2 naming the file, and no output ever holds bytes from outside the repository.
#![cfg(unix)]

mod common;

use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::Duration;

use common::*;

/// Output with miette's wrapping undone (box-drawing margins and line breaks).
fn flat(t: &str) -> String {
    t.replace(['│', '×'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

const SECRET: &str = "ghs_wpgateAttackSecret0123456789";

/// Runs a binary with a secret in its environment; asserts exit 2, that the output names
/// `name`, and that the secret appears nowhere.
fn refused(bin: &str, dir: &Path, args: &[&str], name: &str) -> String {
    let out = tool(bin, dir)
        .args(args)
        .env("GITHUB_TOKEN", SECRET)
        .env("WPGATE_BASE", "HEAD")
        .timeout(Duration::from_secs(60))
        .output()
        .expect("run");
    let t = flat(&text(&out));
    assert!(
        !t.contains(SECRET),
        "{bin} {args:?} leaked the environment: {t}"
    );
    assert!(!t.contains("panicked"), "{bin} {args:?}: {t}");
    assert_eq!(out.status.code(), Some(2), "{bin} {args:?}: {t}");
    assert!(t.contains(name), "{bin} {args:?} must name {name}: {t}");
    t
}

const FORMATS: &[&str] = &["human", "json", "sarif", "github", "junit"];

#[test]
fn committed_policy_symlink_to_the_environment_is_refused_in_every_format() {
    let r = governed();
    symlink("/proc/self/environ", r.path.join("wpgate.toml")).expect("ln");
    r.git(&["add", "wpgate.toml"]);
    r.git(&["commit", "-q", "-m", "policy link"]);
    for f in FORMATS {
        let t = refused("wpgate-ci", &r.path, &["--format", f], "wpgate.toml");
        assert!(t.contains("symbolic link"), "{t}");
        refused(
            "wpgate",
            &r.path,
            &["--format", f, "check", "--commit", "HEAD"],
            "wpgate.toml",
        );
    }
    // Also as `.wpgate.toml`, and a symlink to a file inside the repository.
    std::fs::remove_file(r.path.join("wpgate.toml")).expect("rm");
    symlink("/proc/self/environ", r.path.join(".wpgate.toml")).expect("ln");
    refused("wpgate", &r.path, &["policy", "check"], ".wpgate.toml");
    std::fs::remove_file(r.path.join(".wpgate.toml")).expect("rm");
    r.write("docs/policy.toml", "extends = \"default\"\n");
    symlink("docs/policy.toml", r.path.join("wpgate.toml")).expect("ln");
    refused("wpgate", &r.path, &["policy", "check"], "wpgate.toml");
}

#[test]
fn explicit_policy_that_is_a_symlink_or_a_device_is_refused() {
    let r = governed();
    symlink("/proc/self/environ", r.path.join("p.toml")).expect("ln");
    refused("wpgate-ci", &r.path, &["--policy", "p.toml"], "p.toml");
    let t = refused(
        "wpgate",
        &r.path,
        &["--policy", "/dev/zero", "policy", "check"],
        "/dev/zero",
    );
    assert!(t.contains("not a regular file"), "{t}");
}

#[test]
fn policy_over_the_fixed_cap_is_refused() {
    let r = governed();
    let mut big = String::from("extends = \"default\"\n");
    while big.len() <= 1024 * 1024 {
        big.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    r.write("wpgate.toml", big);
    let t = refused("wpgate", &r.path, &["policy", "check"], "wpgate.toml");
    assert!(t.contains("cap"), "{t}");
}

#[test]
fn waiver_file_symlink_to_the_environment_is_refused() {
    let r = governed();
    symlink("/proc/self/environ", r.path.join("docs/WAIVERS.toml")).expect("ln");
    r.git(&["add", "docs/WAIVERS.toml"]);
    r.git(&["commit", "-q", "-m", &format!("waivers [{WP}]")]);
    for f in FORMATS {
        refused(
            "wpgate",
            &r.path,
            &["--format", f, "check", "--commit", "HEAD"],
            "docs/WAIVERS.toml",
        );
        refused(
            "wpgate-ci",
            &r.path,
            &["--format", f, "--base", "HEAD~1"],
            "docs/WAIVERS.toml",
        );
    }
    refused("wpgate", &r.path, &["check", "--repo"], "docs/WAIVERS.toml");
}

#[test]
fn board_symlink_to_dev_zero_is_refused_without_reading_it() {
    let r = governed();
    std::fs::remove_file(r.path.join("docs/TASK_BOARD.md")).expect("rm");
    symlink("/dev/zero", r.path.join("docs/TASK_BOARD.md")).expect("ln");
    refused("wpgate", &r.path, &["board", "check"], "docs/TASK_BOARD.md");
    refused(
        "wpgate",
        &r.path,
        &["check", "--repo"],
        "docs/TASK_BOARD.md",
    );
}

#[test]
fn packets_directory_linked_out_of_the_repository_is_refused() {
    let r = governed();
    let outside = tempfile::tempdir().expect("tmp");
    std::fs::write(outside.path().join(format!("{WP}.md")), locked_packet()).expect("write");
    std::fs::write(
        outside.path().join("WP-9-Secret.md"),
        format!("# {SECRET}\n"),
    )
    .expect("w");
    std::fs::remove_dir_all(r.path.join("docs/task_packets")).expect("rm");
    symlink(outside.path(), r.path.join("docs/task_packets")).expect("ln");
    let t = refused("wpgate", &r.path, &["check", "--repo"], "docs/task_packets");
    assert!(t.contains("symbolic link"), "{t}");
}

#[test]
fn symlinked_packet_in_a_commit_of_a_range_is_refused() {
    let r = governed();
    let base = r.head();
    let packet = format!("docs/task_packets/{WP}.md");
    std::fs::remove_file(r.path.join(&packet)).expect("rm");
    symlink("/proc/self/environ", r.path.join(&packet)).expect("ln");
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "--no-verify", "-m", &format!("link [{WP}]")]);
    r.write(
        "src/storage/mod.rs",
        "pub trait Storage { fn get(&self); }\n",
    );
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "--no-verify", "-m", &format!("more [{WP}]")]);
    // Restore the work tree's packet: only the commits hold the link.
    std::fs::remove_file(r.path.join(&packet)).expect("rm");
    r.write(&packet, locked_packet());
    for args in [
        vec!["--format", "json", "check", "--range"],
        vec!["--format", "json", "check", "--commit"],
    ] {
        let mut a = args.clone();
        let range = format!("{base}..HEAD");
        a.push(if a.contains(&"--range") {
            &range
        } else {
            "HEAD"
        });
        let t = refused("wpgate", &r.path, &a, &packet);
        assert!(t.contains("symbolic link"), "{t}");
    }
    refused("wpgate-ci", &r.path, &["--base", &base], &packet);
}

#[test]
fn governance_file_over_the_policy_cap_is_refused() {
    let r = governed();
    r.write(
        "wpgate.toml",
        "extends = \"default\"\n[limits]\nmax_governance_bytes = 256\n",
    );
    let mut board = std::fs::read_to_string(r.path.join("docs/TASK_BOARD.md")).expect("board");
    while board.len() <= 256 {
        board.push_str("\n<!-- padding -->");
    }
    r.write("docs/TASK_BOARD.md", board);
    let t = refused("wpgate", &r.path, &["board", "check"], "docs/TASK_BOARD.md");
    assert!(t.contains("max_governance_bytes"), "{t}");
}
