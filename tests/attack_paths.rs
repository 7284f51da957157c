//! Attacks on what a path or a file's bytes mean, through the real entrypoints: a hooked
//! `git commit` (pre-commit + commit-msg), `check --commit`, `--range`, `ci`, the
//! pre-push binary and a real `git push` to a local bare remote must all refuse them.
//!
//! - A file in an OUT_OF_SCOPE directory spelt in another case, with a trailing dot, or
//!   in another Unicode normalisation: on macOS or Windows it *is* in that directory.
//! - One NUL byte in a `.rs` file (rustc accepts `// \0`): it must not make the file
//!   "binary" and hide a `.unwrap()` from the content rules.
//! - A case variant of the policy file: on a case-insensitive checkout it is the policy.

mod common;

use common::*;

fn wp_msg(subject: &str) -> String {
    format!("{subject} [{WP}]")
}

/// The demo repository whose packet has all of `src/` in scope except `src/api/`
/// (OUT_OF_SCOPE) and a café module, hooks installed, `main` pushed.
fn wide() -> Gated {
    Gated::with(|r| {
        let packet = locked_packet().replace(
            "  * src/storage/mod.rs\n  * src/storage/sqlite.rs\n",
            "  * src/\n",
        );
        let packet = packet.replace(
            "  * src/api/ (→ WP-1-Api-Refactor)\n",
            "  * src/api/ (→ WP-1-Api-Refactor)\n  * src/caf\u{e9}/ (→ WP-1-Menu)\n",
        );
        assert!(packet.contains("  * src/\n") && packet.contains("caf\u{e9}"));
        r.write(&format!("docs/task_packets/{WP}.md"), packet);
        r.git(&["add", "-A"]);
        r.git(&[
            "commit",
            "-q",
            "--no-verify",
            "-m",
            "scope: all of src/ but the API",
        ]);
    })
}

#[test]
fn an_out_of_scope_directory_in_another_case_is_refused() {
    let g = wide();
    // In scope (src/ minus the API): accepted, so the packet itself is usable.
    g.stage(&[(
        "src/storage/mod.rs",
        "pub trait Storage { fn get(&self); }\n",
    )]);
    everywhere(&g, &wp_msg("feat: storage"), &[], &[]);
    g.stage(&[("src/API/evil.rs", "pub fn evil() -> u8 { 0 }\n")]);
    everywhere(&g, &wp_msg("feat: evil"), &[], &["scope.out-of-scope"]);
    // A trailing dot (Windows drops it) and a decomposed accent (macOS normalises it).
    g.stage(&[("src/api./evil.rs", "pub fn evil() -> u8 { 1 }\n")]);
    everywhere(&g, &wp_msg("feat: evil"), &[], &["scope.out-of-scope"]);
    g.stage(&[("src/cafe\u{301}/menu.rs", "pub fn menu() -> u8 { 2 }\n")]);
    everywhere(&g, &wp_msg("feat: menu"), &[], &["scope.out-of-scope"]);
}

#[test]
fn a_nul_byte_in_a_rust_file_does_not_hide_an_unwrap() {
    let g = wide();
    let dir = g.path();
    std::fs::write(
        dir.join("src/storage/mod.rs"),
        b"// \0 rustc accepts a NUL byte in a comment\npub fn get() -> u8 { std::env::var(\"X\").unwrap().len() as u8 }\n",
    )
    .expect("write");
    g.r.git(&["add", "--", "src/storage/mod.rs"]);
    let sha = everywhere(&g, &wp_msg("feat: storage"), &[], &["content.unwrap"]);
    // The finding names the file and the line, in the range check too.
    let o = wpgate(dir)
        .args([
            "--format",
            "json",
            "check",
            "--range",
            &format!("{sha}~1..{sha}"),
        ])
        .output()
        .expect("run");
    let v = json(&o);
    let d = v["diagnostics"]
        .as_array()
        .and_then(|a| a.iter().find(|d| d["rule"] == "content.unwrap"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(d["path"], "src/storage/mod.rs", "{v:#}");
    assert_eq!(d["line"], 2, "{v:#}");
}

#[test]
fn a_case_variant_of_the_policy_file_is_the_policy_file() {
    // The packet covers `*.TOML` by a glob (in scope), but never names the policy file.
    let g = Gated::with(|r| {
        let packet = locked_packet().replace(
            "  * src/storage/mod.rs\n",
            "  * src/storage/mod.rs\n  * *.TOML\n",
        );
        r.write(&format!("docs/task_packets/{WP}.md"), packet);
        r.git(&["add", "-A"]);
        r.git(&["commit", "-q", "--no-verify", "-m", "scope: TOML files"]);
    });
    g.stage(&[(
        "WPGATE.TOML",
        "[rules.\"scope.out-of-scope\"]\nseverity = \"off\"\n",
    )]);
    everywhere(&g, &wp_msg("chore: tune"), &[], &["policy.changed"]);
}
