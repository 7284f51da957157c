//! `wpgate init`, completions and the man page.
mod common;

use common::*;

#[test]
fn init_scaffolds_without_overwriting_and_the_layout_checks_clean() {
    let r = TestRepo::new();
    r.write("docs/TASK_BOARD.md", "# My board\n");
    let out = wpgate(&r.path).arg("init").output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let so = String::from_utf8_lossy(&out.stdout);
    assert!(so.contains("kept     docs/TASK_BOARD.md"), "{so}");
    assert!(so.contains("Next steps"));
    assert_eq!(
        std::fs::read_to_string(r.path.join("docs/TASK_BOARD.md")).unwrap(),
        "# My board\n"
    );
    for f in [
        "wpgate.toml",
        "docs/task_packets/TASK_PACKET_TEMPLATE.md",
        "docs/SPEC_CURRENT.md",
        "docs/WAIVERS.toml",
        "docs/OSS_REGISTER.md",
    ] {
        assert!(r.path.join(f).is_file(), "{f} missing");
    }
    // The policy it wrote is valid and the new layout has no findings.
    let out = wpgate(&r.path).args(["policy", "check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    std::fs::write(
        r.path.join("docs/TASK_BOARD.md"),
        "# Task Board\n\n## In Progress\n\n## Done\n",
    )
    .unwrap();
    let out = wpgate(&r.path).args(["check", "--repo"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    // packet new uses the scaffolded template.
    let out = wpgate(&r.path)
        .args(["packet", "new", "WP-1-First-Task"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    // A second run keeps everything.
    let before = r.snapshot();
    let out = wpgate(&r.path).arg("init").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    before.assert_same(&r.path, "second init");
}

#[test]
fn init_just_adds_protocol_recipes_and_keeps_existing_ones() {
    let r = TestRepo::new();
    r.write(
        "justfile",
        "build:\n    cargo build\n\npre-work wp:\n    echo mine {{wp}}\n",
    );
    let out = wpgate(&r.path).args(["init", "--just"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let j = std::fs::read_to_string(r.path.join("justfile")).unwrap();
    assert!(j.starts_with("build:\n    cargo build\n"), "{j}");
    assert_eq!(j.matches("\npre-work wp:").count(), 1, "{j}");
    assert!(j.contains("echo mine"));
    for name in [
        "create-task-packet wp:",
        "post-work wp",
        "gate-check:",
        "validator-spec-regression:",
        "validator-phase-gate phase:",
    ] {
        assert!(j.contains(name), "{name} missing: {j}");
    }
}

#[test]
fn completions_and_man_page_come_from_the_cli_definition() {
    let r = TestRepo::new();
    for sh in ["bash", "zsh", "fish"] {
        let out = wpgate(&r.path).args(["completions", sh]).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let s = String::from_utf8_lossy(&out.stdout);
        assert!(
            s.contains("github-status") && s.contains("pre-push"),
            "{sh}"
        );
    }
    let out = wpgate(&r.path)
        .args(["completions", "cmd.exe"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let man = r.dir.path().join("wpgate.1");
    let out = wpgate(&r.path)
        .args(["man", "--out", man.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let m = std::fs::read_to_string(&man).unwrap();
    assert!(m.starts_with(".ie") || m.contains(".TH wpgate 1"), "{m}");
    assert!(m.contains(".TH wpgate 1"));
    assert!(m.contains("EXIT STATUS") && m.contains("WPGATE CI"));
}
