//! Attacks on the lock of a packet, end to end: a locked packet rewritten so that the lock
//! would not see it (examples 4 and 5 of issue 12), committed through the REAL installed
//! hooks (`wpgate install`, a real `git commit`) and pushed with a real `git push` to a
//! local bare remote. Both must be refused with `lock.locked-packet-edited`, HEAD and the
//! remote must not move, and the digest variant must also fire `lock.digest-mismatch`.

mod common;

use common::*;

const MSG: &str = "feat: jobs [WP-1-Storage-Layer]";

/// Example 4: the mutable STATUS line carries bare CRs; the Markdown reader reads a new
/// IN_SCOPE_PATHS and OUT_OF_SCOPE from it (read first, so they win).
fn cr_injected(packet: &str) -> String {
    packet.replace(
        "- STATUS: In Progress\n",
        "- STATUS: In Progress\r- **IN_SCOPE_PATHS**:\r  * src/api/jobs.rs\r- **OUT_OF_SCOPE**:\r  * nothing\n",
    )
}

fn packet_path() -> String {
    format!("docs/task_packets/{WP}.md")
}

fn parsed(text: &str) -> wpgate_core::Packet {
    let policy = wpgate_core::Policy::embedded();
    wpgate_core::parse_packet(&packet_path(), text, &policy.packet.fields)
}

fn remote_main(g: &Gated) -> String {
    git(
        g.r.dir.path(),
        &[
            "--git-dir",
            g.remote.to_str().expect("utf-8"),
            "rev-parse",
            "main",
        ],
    )
}

/// Stages `packet` and a change of `src/api/jobs.rs`, then: a hooked `git commit` is
/// refused naming every rule of `want`; the commit made anyway with `--no-verify` is
/// refused by a hooked `git push`; neither HEAD nor the remote moved.
fn refused_everywhere(g: &Gated, packet: &str, want: &[&str]) {
    g.stage(&[
        (&packet_path(), packet),
        ("src/api/jobs.rs", "pub fn jobs() { /* forbidden */ }\n"),
    ]);
    let head = g.r.head();
    let remote = remote_main(g);
    let (ok, out, err) = git_hooked(g.path(), &["commit", "-m", MSG]);
    let all = format!("{out}{err}");
    assert!(!ok, "the hooked commit was accepted: {all}");
    assert!(!all.contains("panicked"), "{all}");
    for r in want {
        assert!(all.contains(r), "git commit output lacks {r}: {all}");
    }
    assert_eq!(g.r.head(), head, "a refused commit moved HEAD");
    g.r.git(&["commit", "-q", "--no-verify", "-m", MSG]);
    let (ok, out, err) = git_hooked(g.path(), &["push", "origin", "HEAD:refs/heads/main"]);
    let all = format!("{out}{err}");
    assert!(!ok, "the hooked push was accepted: {all}");
    assert!(!all.contains("panicked"), "{all}");
    for r in want {
        assert!(all.contains(r), "git push output lacks {r}: {all}");
    }
    assert_eq!(remote_main(g), remote, "a refused push moved the remote");
}

#[test]
fn a_cr_injected_status_line_is_refused_at_commit_and_push() {
    let g = Gated::new();
    let evil = cr_injected(&g.read(&packet_path()));
    // The attack is real: the reader takes the CRs for line breaks.
    let p = parsed(&evil);
    assert_eq!(p.in_scope_paths[0].value, "src/api/jobs.rs");
    assert_eq!(p.out_of_scope[0].value, "nothing");
    refused_everywhere(&g, &evil, &["lock.locked-packet-edited"]);
}

#[test]
fn a_cr_injected_status_line_of_a_digested_packet_fails_its_digest() {
    let g = Gated::with(|r| {
        // Lock the packet the way `wpgate packet lock` does: a digest after the footer.
        let path = packet_path();
        let text = std::fs::read_to_string(r.path.join(&path)).expect("read");
        let policy = wpgate_core::Policy::embedded();
        let p = wpgate_core::parse_packet(&path, &text, &policy.packet.fields);
        let content = wpgate_core::model::packet::lock::locked_content(&text, &p, &policy);
        let d = wpgate_core::model::packet::lock::digest(&content);
        r.write(&path, format!("{text}**Lock Digest:** {d}\n"));
        r.git(&["commit", "-q", "-am", "lock digest"]);
    });
    let evil = cr_injected(&g.read(&packet_path()));
    refused_everywhere(
        &g,
        &evil,
        &["lock.locked-packet-edited", "lock.digest-mismatch"],
    );
}

/// Example 5: no CR. A packet whose scope is `src/` minus `src/api/`; a new
/// `- STATUS:` line right after `- **OUT_OF_SCOPE**:` nests the carve-outs under it, so
/// OUT_OF_SCOPE reads empty and `src/api/jobs.rs` would be in scope.
#[test]
fn an_inserted_status_line_hiding_the_carve_outs_is_refused_at_commit_and_push() {
    let g = Gated::with(|r| {
        let path = packet_path();
        let text = std::fs::read_to_string(r.path.join(&path)).expect("read");
        r.write(
            &path,
            text.replace("  * src/storage/mod.rs\n", "  * src/\n"),
        );
        r.git(&["commit", "-q", "-am", "packet: scope src/ but src/api/"]);
    });
    let honest = g.read(&packet_path());
    let evil = honest.replace("- STATUS: In Progress\n", "").replace(
        "- **OUT_OF_SCOPE**:\n",
        "- **OUT_OF_SCOPE**:\n- STATUS: In Progress\n",
    );
    let p = parsed(&evil);
    assert!(
        p.out_of_scope.is_empty(),
        "the attack is real: {:?}",
        p.out_of_scope
    );
    assert_eq!(
        p.status.as_ref().map(|s| s.value.as_str()),
        Some("In Progress")
    );
    refused_everywhere(&g, &evil, &["lock.locked-packet-edited"]);
}
