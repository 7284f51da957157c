//! Lock rules: `lock.locked-packet-edited` and `lock.digest-mismatch`.
//!
//! Properties of `lock.locked-packet-edited` (over `DiffRules::check_locks`):
//! - appending anything after the lock footer never fires it;
//! - any single edit (insert, delete, replace) inside the locked content, outside the
//!   mutable STATUS line, always fires it;
//! - edits of the mutable STATUS value never fire it.
//!
//! One notion of a line: LF, CRLF and a lone CR all end a line, for the lock as for the
//! Markdown reader; a change of the kind of a line break (LF → CRLF, LF → CR) and a missing
//! final newline are no change, so the generated edits skip exactly those. Inserting a
//! mutable line (`- STATUS: …`) anywhere, or a CR or other break in the STATUS value,
//! always fires (examples 4 and 5 of issue 12).
//!
//! Then (the `real_repo` section at the end) both rules on real repositories, judged by
//! `Gate::staged` and `Gate::commits`: edits, renames and deletions of a locked packet in
//! real commits fire `lock.locked-packet-edited`, a STATUS edit and an appended report do
//! not; a packet whose locked content no longer matches its `**Lock Digest:**` fires
//! `lock.digest-mismatch`.

use proptest::prelude::*;
use wpgate_core::gate::DiffRules;
use wpgate_core::git::{ChangeSet, ChangeStatus, FileChange};
use wpgate_core::rules::Emitter;
use wpgate_core::Policy;

const PATH: &str = "docs/task_packets/WP-1-Prop.md";

const PACKET: &str = "# Task Packet: WP-1-Prop

## Metadata
- TASK_ID: WP-1-Prop
- STATUS: In Progress

## Scope
- **What**: Prove the lock.
- **Why**: Locked packets are immutable.
- **IN_SCOPE_PATHS**:
  * src/lock/mod.rs
- **OUT_OF_SCOPE**:
  * src/api/
- **DONE_MEANS**:
  * the property holds

---

**Last Updated:** 2026-01-01
**User Signature Locked:** prop010120260900
";

fn fires(old: &str, new: &str) -> bool {
    fires_with(&Policy::embedded(), old, new)
}

fn fires_with(policy: &Policy, old: &str, new: &str) -> bool {
    let policy = policy.clone();
    let rules = DiffRules::new(&policy).expect("default rules");
    let cs = ChangeSet {
        changes: vec![FileChange {
            status: ChangeStatus::Modified,
            old_path: Some(PATH.into()),
            new_path: Some(PATH.into()),
            old_id: None,
            new_id: None,
            old_mode: 0o100644,
            new_mode: 0o100644,
            non_utf8_path: false,
        }],
        ..ChangeSet::default()
    };
    let mut out = Emitter::new(&policy);
    let (o, n) = (old.to_string(), new.to_string());
    rules
        .lock
        .check_locks(
            &cs,
            &policy,
            &mut |_| Ok(Some(o.clone())),
            &mut |_| Ok(Some(n.clone())),
            &[],
            &mut out,
        )
        .expect("check_locks");
    out.finish()
        .diagnostics
        .iter()
        .any(|d| d.rule == "lock.locked-packet-edited")
}

fn status_line() -> std::ops::Range<usize> {
    let start = PACKET.find("- STATUS:").expect("status line");
    let end = start + PACKET[start..].find('\n').expect("eol");
    start..end
}

#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, char),
    Delete(usize),
    Replace(usize, char),
}

fn edit_char() -> impl Strategy<Value = char> {
    prop_oneof![
        prop::char::range('a', 'z'),
        prop::char::range('A', 'Z'),
        prop::char::range('0', '9'),
        prop::sample::select(vec![
            ' ', '\n', '\r', ':', '*', '#', '-', '`', '\t', 'é', '→', '\u{2028}', '\u{85}'
        ]),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    let n = PACKET.len();
    prop_oneof![
        (0..n, edit_char()).prop_map(|(i, c)| Edit::Insert(i, c)),
        (0..n).prop_map(Edit::Delete),
        (0..n, edit_char()).prop_map(|(i, c)| Edit::Replace(i, c)),
    ]
}

fn apply(e: &Edit) -> Option<String> {
    let st = status_line();
    let mut s = PACKET.to_string();
    match *e {
        Edit::Insert(i, c) => {
            // Edits of the STATUS line (including indenting it) are mutable-field edits.
            // A newline right before the final one is an appended empty line.
            // A CR right before an LF makes a CRLF: the same line break.
            if (i >= st.start && i <= st.end)
                || (c == '\n' && i + 1 == PACKET.len())
                || (c == '\r' && PACKET[i..].starts_with('\n'))
            {
                return None;
            }
            s.insert(i, c);
        }
        Edit::Delete(i) => {
            // The final newline is not content: locked lines are compared LF-terminated
            // (as CRLF is read as LF), so dropping it is no edit.
            if st.contains(&i) || i == st.end || i + 1 == PACKET.len() {
                return None;
            }
            s.remove(i);
        }
        Edit::Replace(i, c) => {
            // An LF replaced by a lone CR is an edit: the reader does not honour a lone CR
            // everywhere (a code fence after it is text). Except the last one.
            if st.contains(&i)
                || i == st.end
                || PACKET[i..].starts_with(c)
                || (c == '\r' && i + 1 == PACKET.len())
            {
                return None;
            }
            s.replace_range(i..i + 1, c.encode_utf8(&mut [0; 4]));
        }
    }
    Some(s)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn appending_after_the_footer_never_fires(tail in "[a-zA-Z0-9 #*:\\-\n]{0,400}") {
        let new = format!("{PACKET}{tail}");
        prop_assert!(!fires(PACKET, &new), "appended {:?}", tail);
    }

    #[test]
    fn any_edit_of_the_locked_content_fires(e in edit()) {
        if let Some(new) = apply(&e) {
            prop_assert!(fires(PACKET, &new), "edit {:?} went unnoticed:\n{}", e, new);
        }
    }

    /// Example 4 of issue 12, generalised: any line break (or other separator) in the
    /// STATUS value, followed by anything, is an edit.
    #[test]
    fn a_break_in_the_status_value_fires(
        v in "[A-Za-z ]{0,12}",
        sep in prop::sample::select(vec!["\r", "\n", "\r\n", "\u{2028}", "\u{2029}", "\u{85}", "\u{b}", "\u{c}"]),
        rest in "[A-Za-z*:\\-][A-Za-z *:\\-]{0,30}",
    ) {
        let st = status_line();
        let new = format!("{}- STATUS: {v}{sep}{rest}{}", &PACKET[..st.start], &PACKET[st.end..]);
        prop_assert!(fires(PACKET, &new), "status {:?}", new);
    }

    /// Example 5 of issue 12, generalised: a mutable line (in any of the shapes the
    /// parser reads) inserted at the start of any locked line is an edit, with or without
    /// the original STATUS line deleted.
    #[test]
    fn an_inserted_mutable_line_fires(
        at in 0usize..40,
        shape in prop::sample::select(vec!["- STATUS: ", "  * STATUS: ", "**Status:** ", "STATUS: ", "- **STATUS**: ", "- **Lock Digest:** "]),
        v in "[A-Za-z ]{1,20}",
        delete_original in any::<bool>(),
        eol in prop::sample::select(vec!["\n", "\r", "\r\n"]),
    ) {
        let footer = PACKET.find("**User Signature Locked:**").expect("footer");
        let starts: Vec<usize> = std::iter::once(0)
            .chain(PACKET[..footer].match_indices('\n').map(|(i, _)| i + 1))
            .filter(|&i| i <= footer)
            .collect();
        let i = starts[at % starts.len()];
        let mut new = PACKET.to_string();
        new.insert_str(i, &format!("{shape}{}{eol}", v.trim()));
        if delete_original {
            let st = status_line();
            // A `- STATUS:` line put where the original stood, the original deleted: that
            // is an edit of the value, which is allowed.
            if shape == "- STATUS: " && (i == st.start || i == st.end + 1) {
                return Ok(());
            }
            let shift = if i <= st.start { shape.len() + v.trim().len() + eol.len() } else { 0 };
            new.replace_range(st.start + shift..st.end + shift + 1, "");
            // Moving the STATUS line up or down by one blank-free position within the
            // metadata list leaves the text unchanged: no edit to find.
            if new == PACKET {
                return Ok(());
            }
        }
        prop_assert!(fires(PACKET, &new), "inserted at {i}:\n{}", new);
    }

    #[test]
    fn editing_the_mutable_status_never_fires(v in "[A-Za-z ]{1,30}") {
        let st = status_line();
        let new = format!("{}- STATUS: {}{}", &PACKET[..st.start], v.trim(), &PACKET[st.end..]);
        prop_assert!(!fires(PACKET, &new), "status {:?}", v);
    }
}

// -- lock.mutable_sections ----------------------------------------------------------

const SECTIONED: &str = "# Task Packet: WP-1-Prop

## Metadata
- TASK_ID: WP-1-Prop
- STATUS: In Progress

## CURRENT_STATE (AUTHORITATIVE SNAPSHOT; MUTABLE)
Verdict: PENDING
### Notes
- nothing yet

## Scope
- **What**: Prove the lock.
- **IN_SCOPE_PATHS**:
  * src/lock/mod.rs
- **OUT_OF_SCOPE**:
  * src/api/

## SPEC_DEBT_STATUS (AUTHORITATIVE SNAPSHOT; MUTABLE)
- OPEN_SPEC_DEBT: NO
---

**User Signature Locked:** prop010120260900
";

fn sections_policy() -> Policy {
    let mut p = Policy::embedded();
    p.lock.mutable_sections = vec![r"\(AUTHORITATIVE SNAPSHOT; MUTABLE\)$".into()];
    p
}

/// Byte range of the body of the CURRENT_STATE section of [`SECTIONED`].
fn current_state_body() -> std::ops::Range<usize> {
    let h = "## CURRENT_STATE (AUTHORITATIVE SNAPSHOT; MUTABLE)\n";
    let start = SECTIONED.find(h).expect("heading") + h.len();
    let end = SECTIONED.find("## Scope").expect("scope");
    start..end
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any text without heading, fence, setext or label markup in place of a mutable
    /// section's body never fires.
    #[test]
    fn rewriting_a_mutable_section_body_never_fires(body in "[a-z \n]{0,200}") {
        let b = current_state_body();
        let new = format!("{}{}\n\n{}", &SECTIONED[..b.start], body, &SECTIONED[b.end..]);
        prop_assert!(!fires_with(&sections_policy(), SECTIONED, &new), "body {:?}", body);
    }

    /// Any single edit of a line outside the mutable bodies fires.
    #[test]
    fn editing_outside_the_mutable_bodies_fires(at in 0usize..400, c in "[a-z#*]") {
        let b = current_state_body();
        let debt = SECTIONED.find("- OPEN_SPEC_DEBT").expect("debt");
        let end = SECTIONED.find("**User Signature").expect("footer");
        let footer_end = SECTIONED.len();
        let mut at = at % footer_end;
        // The STATUS value is a mutable field.
        let status = SECTIONED.find("- STATUS: ").expect("status") + 10;
        let status_end = status + SECTIONED[status..].find('\n').expect("eol");
        if b.contains(&at) || (debt..end).contains(&at) || (status..=status_end).contains(&at) {
            at = b.start - 1;
        }
        if !SECTIONED.is_char_boundary(at) {
            return Ok(());
        }
        let new = format!("{}{}{}", &SECTIONED[..at], c, &SECTIONED[at..]);
        prop_assert!(fires_with(&sections_policy(), SECTIONED, &new), "insert {:?} at {}", c, at);
    }
}

#[test]
fn mutable_sections_default_to_none() {
    // Without the policy key, the body of CURRENT_STATE is locked.
    let b = current_state_body();
    let new = format!(
        "{}Verdict: PASS\n\n{}",
        &SECTIONED[..b.start],
        &SECTIONED[b.end..]
    );
    assert!(fires(SECTIONED, &new));
    assert!(!fires_with(&sections_policy(), SECTIONED, &new));
}

#[test]
fn mutable_section_cannot_carry_authority() {
    let b = current_state_body();
    // A scope field written in the section, before the real SCOPE (the first one wins).
    let new = format!(
        "{}Verdict: PASS\n- **IN_SCOPE_PATHS**: src/**\n\n{}",
        &SECTIONED[..b.start],
        &SECTIONED[b.end..]
    );
    assert!(fires_with(&sections_policy(), SECTIONED, &new));
    // An open fence in the section that would hide the locked sections after it.
    let new = format!(
        "{}```text\n{}",
        &SECTIONED[..b.start],
        &SECTIONED[b.start..]
    );
    assert!(fires_with(&sections_policy(), SECTIONED, &new));
    // A fake footer in the section that would end the locked region early.
    let new = format!(
        "{}**User Signature Locked:** prop010120260900\n\n{}",
        &SECTIONED[..b.start],
        &SECTIONED[b.end..]
    );
    assert!(fires_with(&sections_policy(), SECTIONED, &new));
}

#[test]
fn renaming_or_adding_a_mutable_heading_fires() {
    let policy = sections_policy();
    let renamed = SECTIONED.replace("## Scope\n", "## Scope (AUTHORITATIVE SNAPSHOT; MUTABLE)\n");
    assert!(fires_with(&policy, SECTIONED, &renamed));
    // Renamed and the now "mutable" scope widened: still the old version's sections.
    let widened = renamed.replace("  * src/lock/mod.rs\n", "  * src/**\n");
    assert!(fires_with(&policy, SECTIONED, &widened));
    let added = SECTIONED.replace(
        "## Scope\n",
        "## EXTRA (AUTHORITATIVE SNAPSHOT; MUTABLE)\n- anything\n\n## Scope\n",
    );
    assert!(fires_with(&policy, SECTIONED, &added));
    // A sub-heading of a mutable section, added inside it, is body.
    let sub = SECTIONED.replace("- nothing yet\n", "- nothing yet\n#### More\n- later\n");
    assert!(!fires_with(&policy, SECTIONED, &sub));
    // A heading of the section's level added inside it ends the body: what follows is
    // locked content that moved.
    let cut = SECTIONED.replace("- nothing yet\n", "- nothing yet\n## Aside\n- later\n");
    assert!(fires_with(&policy, SECTIONED, &cut));
}

#[test]
fn digest_excludes_mutable_bodies() {
    use wpgate_core::model::packet::lock::{digest, digest_matches, locked_content};
    let policy = sections_policy();
    let p = wpgate_core::model::packet::parse_packet(PATH, SECTIONED, &policy.packet.fields);
    let content = locked_content(SECTIONED, &p, &policy);
    assert!(!content.contains("Verdict"), "{content}");
    assert!(!content.contains("OPEN_SPEC_DEBT"), "{content}");
    assert!(content.contains("## CURRENT_STATE (AUTHORITATIVE SNAPSHOT; MUTABLE)\n## Scope"));
    let with = |text: &str| {
        let p = wpgate_core::model::packet::parse_packet(PATH, text, &policy.packet.fields);
        format!(
            "{text}**Lock Digest:** {}\n",
            digest(&locked_content(text, &p, &policy))
        )
    };
    let locked = with(SECTIONED);
    let check = |text: &str| {
        let p = wpgate_core::model::packet::parse_packet(PATH, text, &policy.packet.fields);
        digest_matches(text, &p, &policy)
    };
    assert_eq!(check(&locked), Some(true));
    let edited = locked.replace("Verdict: PENDING", "Verdict: PASS\nBlockers: WP-1-Other");
    assert_eq!(check(&edited), Some(true));
    let scope = locked.replace("Verdict: PENDING", "- IN_SCOPE_PATHS: src/**");
    assert_eq!(check(&scope), Some(false));
    let outside = locked.replace("src/api/", "src/api/v2/");
    assert_eq!(check(&outside), Some(false));
}

#[test]
fn an_invalid_mutable_section_pattern_is_a_policy_error() {
    let e = Policy::from_text("wpgate.toml", "[lock]\nmutable_sections = ['(unclosed']\n")
        .expect_err("invalid regex");
    assert!(e.to_string().contains("mutable_sections"), "{e}");
    let ok = Policy::from_text(
        "wpgate.toml",
        "[lock]\nmutable_sections = ['MUTABLE\\)$']\n",
    );
    assert!(ok.is_ok());
}

/// The packet as the parser reads it.
fn parsed(text: &str) -> wpgate_core::Packet {
    wpgate_core::parse_packet(PATH, text, &Policy::embedded().packet.fields)
}

fn values(f: &[wpgate_core::model::packet::Field<String>]) -> Vec<&str> {
    f.iter().map(|f| f.value.as_str()).collect()
}

/// `PACKET` with `**Lock Digest:**` of its own locked content after the footer, as
/// `wpgate packet lock` writes it; the digest computed here, from its definition.
fn digested(text: &str) -> String {
    use sha2::{Digest, Sha256};
    let end = text.find("**User Signature Locked:**").expect("footer");
    let end = end + text[end..].find('\n').expect("eol") + 1;
    let content: String = text[..end]
        .lines()
        .filter(|l| !l.starts_with("- STATUS:"))
        .map(|l| format!("{l}\n"))
        .collect();
    let hex: String = Sha256::digest(content.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "{}**Lock Digest:** sha256:{hex}\n{}",
        &text[..end],
        &text[end..]
    )
}

fn digest_ok(text: &str) -> Option<bool> {
    let policy = Policy::embedded();
    let p = wpgate_core::parse_packet(PATH, text, &policy.packet.fields);
    wpgate_core::model::packet::lock::digest_matches(text, &p, &policy)
}

/// Example 4 of issue 12: the STATUS line carries bare CRs, which the Markdown reader takes
/// for line breaks, so a new IN_SCOPE_PATHS/OUT_OF_SCOPE (read first, so it wins) rides on
/// the "mutable" line. Both lock rules must see it.
#[test]
fn cr_smuggled_scope_in_the_status_line_fires() {
    let evil = "- STATUS: In Progress\r- **IN_SCOPE_PATHS**:\r  * src/api/jobs.rs\r- **OUT_OF_SCOPE**:\r  * nothing";
    let new = PACKET.replace("- STATUS: In Progress", evil);
    let p = parsed(&new);
    assert_eq!(
        values(&p.in_scope_paths),
        ["src/api/jobs.rs"],
        "the attack works on the parser"
    );
    assert!(fires(PACKET, &new), "CR-smuggled scope went unnoticed");
    let (old_d, new_d) = (
        digested(PACKET),
        digested(PACKET).replace("- STATUS: In Progress", evil),
    );
    assert_eq!(digest_ok(&old_d), Some(true), "the honest digest verifies");
    assert_eq!(digest_ok(&new_d), Some(false), "the digest still verified");
    // The same with CRLF and a lone CR at the very end of the file.
    let crlf = new.replace('\n', "\r\n");
    assert!(fires(PACKET, &crlf));
    assert!(fires(PACKET, &format!("{new}\r")));
}

/// Example 5 of issue 12: a new `- STATUS:` line right after `- **OUT_OF_SCOPE**:` nests
/// the carve-outs under it, so OUT_OF_SCOPE reads empty. With the original STATUS line kept
/// or deleted (then the inserted one is the STATUS the parser recognises), both rules fire.
#[test]
fn an_inserted_status_line_emptying_out_of_scope_fires() {
    let insert = |t: &str| {
        t.replace(
            "- **OUT_OF_SCOPE**:\n",
            "- **OUT_OF_SCOPE**:\n- STATUS: In Progress\n",
        )
    };
    let kept = insert(PACKET);
    let moved = insert(&PACKET.replace("- STATUS: In Progress\n", ""));
    for new in [&kept, &moved] {
        assert!(
            parsed(new).out_of_scope.is_empty(),
            "the attack works on the parser"
        );
        assert!(fires(PACKET, new), "inserted STATUS went unnoticed:\n{new}");
    }
    let d = digested(PACKET);
    assert_eq!(digest_ok(&insert(&d)), Some(false), "kept: digest verified");
    let moved_d = insert(&d.replace("- STATUS: In Progress\n", ""));
    assert!(parsed(&moved_d).out_of_scope.is_empty());
    assert_eq!(digest_ok(&moved_d), Some(false), "moved: digest verified");
}

/// Variants: a second STATUS line in another field's list, a STATUS line deleted, a
/// STATUS value holding a Unicode line separator, a `Lock Digest` line inside the locked
/// content capturing the carve-outs, the STATUS label renamed or re-indented.
#[test]
fn other_mutable_line_smuggling_fires() {
    let st = "- STATUS: In Progress\n";
    let cases = [
        (
            "second STATUS in DONE_MEANS",
            PACKET.replace(
                "  * the property holds\n",
                "  * the property holds\n  * STATUS: Done\n",
            ),
        ),
        ("STATUS deleted", PACKET.replace(st, "")),
        (
            "U+2028 in the value",
            PACKET.replace(
                st,
                "- STATUS: In Progress\u{2028}- **IN_SCOPE_PATHS**: src/api/jobs.rs\n",
            ),
        ),
        (
            "U+0085 in the value",
            PACKET.replace(st, "- STATUS: In Progress\u{85}x\n"),
        ),
        (
            "digest line capturing carve-outs",
            PACKET.replace(
                "- **OUT_OF_SCOPE**:\n",
                "- **OUT_OF_SCOPE**:\n- **Lock Digest:** sha256:00\n",
            ),
        ),
        (
            "STATUS re-indented",
            PACKET.replace(st, "  - STATUS: In Progress\n"),
        ),
        (
            "STATUS as bold",
            PACKET.replace(st, "- **STATUS**: In Progress\n"),
        ),
    ];
    for (what, new) in &cases {
        assert!(fires(PACKET, new), "{what} went unnoticed:\n{new}");
    }
    // The parser does not read U+2028 as a line break: no scope rides on it.
    assert_eq!(
        values(&parsed(&cases[2].1).in_scope_paths),
        ["src/lock/mod.rs"]
    );
    let d = digested(PACKET);
    let digest_capture = d.replace(
        "- **OUT_OF_SCOPE**:\n",
        "- **OUT_OF_SCOPE**:\n- **Lock Digest:** sha256:00\n",
    );
    assert!(parsed(&digest_capture).out_of_scope.is_empty());
    assert_eq!(
        digest_ok(&digest_capture),
        Some(false),
        "digest line as smuggling vector"
    );
    let second = d.replace(
        "  * the property holds\n",
        "  * the property holds\n  * STATUS: Done\n",
    );
    assert_eq!(digest_ok(&second), Some(false), "second STATUS line");
}

/// Digests written by wpgate 0.1 left out *every* STATUS-labelled line. A real packet with a
/// second, inert STATUS line (a note, its value holding a mangled-encoding control
/// character) keeps verifying; the same digest with a STATUS line that captures the
/// carve-outs does not.
#[test]
fn a_0_1_digest_with_a_second_status_line_verifies_only_while_it_is_inert() {
    let honest = PACKET.replace(
        "\n---\n",
        "\n## Notes\n- STATUS: In-Progress (revalidation, see A\u{15} 4.6.1)\n\n---\n",
    );
    let d = digested(&honest);
    assert_eq!(digest_ok(&d), Some(true), "0.1 digest of an honest packet");
    let evil = d.replace(
        "- **OUT_OF_SCOPE**:\n",
        "- **OUT_OF_SCOPE**:\n- STATUS: x\n",
    );
    assert!(parsed(&evil).out_of_scope.is_empty());
    assert_eq!(digest_ok(&evil), Some(false), "a capturing STATUS line");
    let cr = d.replace(
        "- STATUS: In-Progress",
        "- STATUS: x\r- **OUT_OF_SCOPE**:\r  * nothing\r- STATUS: In-Progress",
    );
    assert_eq!(digest_ok(&cr), Some(false), "CRs in the note's STATUS line");
}

/// What must not fire: the STATUS value changed, the file converted to CRLF or to lone CRs,
/// a final CR; and the digest of an honest LF packet (computed by the 0.1 definition) and
/// its CRLF conversion still verify, with any STATUS value.
#[test]
fn honest_line_breaks_and_status_edits_do_not_fire() {
    let done = PACKET.replace("- STATUS: In Progress", "- STATUS: ✅ Done (merged)");
    for new in [
        done.clone(),
        PACKET.replace('\n', "\r\n"),
        done.replace('\n', "\r\n"),
        format!("{}\r", PACKET.trim_end_matches('\n')),
    ] {
        assert!(!fires(PACKET, &new), "{new:?}");
    }
    // Lone CRs are line breaks, but not LFs: pulldown-cmark reads a code fence after a
    // lone CR as text, so the conversion may change the packet as read. An edit.
    assert!(fires(PACKET, &PACKET.replace('\n', "\r")));
    assert!(fires(
        PACKET,
        &PACKET.replacen("- **OUT_OF_SCOPE**:\n", "- **OUT_OF_SCOPE**:\r", 1)
    ));
    let d = digested(PACKET);
    for t in [
        d.clone(),
        d.replace('\n', "\r\n"),
        d.replace("In Progress", "Done"),
    ] {
        assert_eq!(digest_ok(&t), Some(true), "{t:?}");
    }
}

#[test]
fn the_base_packet_is_locked() {
    let policy = Policy::embedded();
    let p = wpgate_core::parse_packet(PATH, PACKET, &policy.packet.fields);
    assert!(p.is_locked());
    assert!(fires(
        PACKET,
        &PACKET.replace("Prove the lock", "Prove the lick")
    ));
}

/// Found by `appending_after_the_footer_never_fires`: a `---` (or `-`) line right after
/// the footer made the footer paragraph a setext heading, the footer was lost and the
/// appended report counted as locked content.
#[test]
fn rule_line_right_after_the_footer_is_not_locked_content() {
    for tail in ["-\n", "---\n## VALIDATION REPORT\nok\n", "===\nmore\n"] {
        assert!(!fires(PACKET, &format!("{PACKET}{tail}")), "{tail:?}");
    }
    let policy = Policy::embedded();
    let p = wpgate_core::parse_packet(PATH, &format!("{PACKET}---\n"), &policy.packet.fields);
    assert_eq!(
        p.lock.and_then(|l| l.footer_end),
        Some(PACKET.len()),
        "the footer ends at its own line"
    );
}

/// Found by `any_edit_of_the_locked_content_fires`: blanks after the signature on the
/// footer line were outside the locked region.
#[test]
fn trailing_blanks_on_the_footer_line_are_locked() {
    let new = format!("{}\t \n", PACKET.trim_end_matches('\n'));
    assert!(fires(PACKET, &new));
}

// ---------------------------------------------------------------------------------------
// Both lock rules on real repositories: changes staged and committed with the git CLI,
// judged by `Gate::staged` (commit-msg) and `Gate::commits` (`check --commit`); every
// gate run is checked not to write to the repository.

mod gate_util;
mod git_common;

mod real_repo {
    use super::gate_util::{rules, stage, with_gate};
    use super::git_common::*;
    use sha2::{Digest, Sha256};
    use wpgate_core::{Context, Diagnostic, Policy, Severity};

    const WP: &str = "WP-1-Storage-Layer";
    const SIG: &str = "ilja010120260900";
    const OTHER_SIG: &str = "ilja020120261015";

    fn packet_text(id: &str, signature: &str) -> String {
        format!(
            "# Task Packet: {id}

## Metadata
- TASK_ID: {id}
- STATUS: In Progress

## Scope
- **What**: Put every database call behind one `Storage` trait.
- **Why**: Backend portability.
- **IN_SCOPE_PATHS**:
  * src/storage/mod.rs
- **OUT_OF_SCOPE**:
  * src/api/ (→ WP-1-Api-Refactor)

## Quality Gate
- **RISK_TIER**: LOW
- **DONE_MEANS**:
  * the Storage trait exists (§2.1.1)

---

**Last Updated:** 2026-01-01
**User Signature Locked:** {signature}
"
        )
    }

    fn path_of(id: &str) -> String {
        format!("docs/task_packets/{id}.md")
    }

    /// The digest of a packet's locked content, computed here from its definition (the
    /// text through the footer line, without the STATUS line, each line LF-terminated),
    /// not by the engine.
    fn digest_of(text: &str) -> String {
        let footer = text.find("**User Signature Locked:**").expect("footer");
        let end = footer
            + text[footer..]
                .find('\n')
                .map_or(text.len() - footer, |i| i + 1);
        let mut content = String::new();
        for line in text[..end].lines() {
            if !line.starts_with("- STATUS:") {
                content.push_str(line);
                content.push('\n');
            }
        }
        let hex: String = Sha256::digest(content.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("sha256:{hex}")
    }

    /// `text` with a `**Lock Digest:**` line right after the footer line, where
    /// `wpgate packet lock` writes it.
    fn with_digest(text: &str, digest: &str) -> String {
        format!("{text}**Lock Digest:** {digest}\n")
    }

    /// The default layout, committed, with three packets: [`WP`] and `WP-1-Other`
    /// locked, `WP-1-Draft` signed with a placeholder; `digested` adds a correct digest
    /// to [`WP`].
    fn governed(digested: bool) -> TestRepo {
        let wp = packet_text(WP, SIG);
        let wp = if digested {
            with_digest(&wp, &digest_of(&wp))
        } else {
            wp
        };
        let r = TestRepo::new();
        r.commit_files(
            "bootstrap",
            &[
                (&path_of(WP), &wp),
                (
                    &path_of("WP-1-Other"),
                    &packet_text("WP-1-Other", OTHER_SIG),
                ),
                (
                    &path_of("WP-1-Draft"),
                    &packet_text("WP-1-Draft", "<pending>"),
                ),
                ("docs/TASK_BOARD.md", "# Task Board\n"),
                ("src/storage/mod.rs", "pub trait Storage {}\n"),
            ],
        );
        r
    }

    fn read(r: &TestRepo, path: &str) -> String {
        std::fs::read_to_string(r.path.join(path)).expect("read")
    }

    fn key(d: &Diagnostic) -> (String, Option<String>, Option<usize>, String) {
        (d.rule.clone(), d.path.clone(), d.line, d.message.clone())
    }

    /// Judges what is staged with `msg` (commit-msg), commits it (real `git commit`) and
    /// judges the commit. Both must find exactly `want` (sorted rule ids), with the same
    /// paths, lines and messages; returns the findings on the commit.
    fn expect(r: &TestRepo, msg: &str, want: &[&str]) -> Vec<Diagnostic> {
        let ctx = Context {
            message: Some(msg.to_string()),
            ..Context::default()
        };
        let pre = with_gate(r, "Gate::staged", |g| {
            g.staged(&ctx).expect("staged").diagnostics
        });
        r.git(&["commit", "-q", "-m", msg]);
        let sha = r.head();
        let post = with_gate(r, "Gate::commits", |g| {
            g.commits(std::slice::from_ref(&sha), &Context::default())
                .expect("commits")
                .diagnostics
        });
        assert_eq!(rules(&pre), want, "staged, {msg:?}: {pre:#?}");
        assert_eq!(rules(&post), want, "commit, {msg:?}: {post:#?}");
        let mut a: Vec<_> = pre.iter().map(key).collect();
        let mut b: Vec<_> = post.iter().map(key).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b, "staged and committed findings differ");
        post
    }

    fn of<'d>(d: &'d [Diagnostic], rule: &str) -> &'d Diagnostic {
        d.iter()
            .find(|d| d.rule == rule)
            .unwrap_or_else(|| panic!("no {rule}: {d:#?}"))
    }

    /// 1-based line of the first line of `text` starting with `prefix`.
    fn line_of(text: &str, prefix: &str) -> usize {
        text.lines()
            .position(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line {prefix:?}"))
            + 1
    }

    fn msg(subject: &str) -> String {
        format!("{subject} [{WP}]")
    }

    // -- lock.locked-packet-edited ------------------------------------------------------

    #[test]
    fn editing_the_locked_content_in_a_commit_fires() {
        let r = governed(false);
        let p = path_of(WP);
        let text = read(&r, &p).replace(
            "  * src/storage/mod.rs\n",
            "  * src/storage/mod.rs\n  * src/api/jobs.rs\n",
        );
        stage(&r, &[(&p, &text)]);
        let d = expect(&r, &msg("docs: widen"), &["lock.locked-packet-edited"]);
        let line = line_of(&text, "  * src/api/jobs.rs");
        assert_eq!(d[0].path.as_deref(), Some(p.as_str()));
        assert_eq!(d[0].line, Some(line));
        assert_eq!(d[0].wp.as_deref(), Some(WP));
        assert_eq!(d[0].severity, Severity::Error);
        assert_eq!(d[0].code.as_deref(), Some("CX-607"));
        assert_eq!(
            d[0].message,
            format!(
                "{p}: locked content of {WP} (signature {SIG}) changed; first difference at line {line}"
            )
        );
    }

    #[test]
    fn editing_the_status_value_does_not_fire() {
        let r = governed(false);
        let p = path_of(WP);
        let text = read(&r, &p).replace("- STATUS: In Progress", "- STATUS: Done");
        stage(&r, &[(&p, &text)]);
        expect(&r, &msg("docs: done"), &[]);
        // The STATUS label is not mutable: renaming it is an edit.
        let text = read(&r, &p).replace("- STATUS: Done", "- STATE: Done");
        stage(&r, &[(&p, &text)]);
        expect(&r, &msg("docs: relabel"), &["lock.locked-packet-edited"]);
    }

    #[test]
    fn a_report_appended_after_the_footer_does_not_fire() {
        let r = governed(false);
        let p = path_of(WP);
        let report = "\n## VALIDATION REPORT (2026-01-02)\nVerdict: PASS\n- src/storage/mod.rs:1\n";
        stage(&r, &[(&p, &format!("{}{report}", read(&r, &p)))]);
        expect(&r, &msg("docs: validation report"), &[]);
        // The same report inserted above the footer is an edit of the locked content.
        let r = governed(false);
        let text = read(&r, &p).replace(
            "---\n\n**Last Updated:**",
            &format!("{report}\n---\n\n**Last Updated:**"),
        );
        stage(&r, &[(&p, &text)]);
        expect(
            &r,
            &msg("docs: validation report"),
            &["lock.locked-packet-edited"],
        );
    }

    #[test]
    fn renaming_a_locked_packet_fires() {
        let r = governed(false);
        let v2 = path_of("WP-1-Storage-Layer-v2");
        r.git(&["mv", &path_of(WP), &v2]);
        let d = expect(&r, "docs: rename", &["lock.locked-packet-edited"]);
        assert_eq!(d[0].path.as_deref(), Some(path_of(WP).as_str()));
        assert_eq!(d[0].wp.as_deref(), Some(WP));
        assert_eq!(
            d[0].message,
            format!(
                "{}: locked packet {WP} (signature {SIG}) was renamed to {v2}",
                path_of(WP)
            )
        );
        // Renaming a packet signed with a placeholder is no lock break.
        r.git(&["mv", &path_of("WP-1-Draft"), &path_of("WP-1-Draft-v2")]);
        expect(&r, "docs: rename the draft", &[]);
    }

    #[test]
    fn deleting_a_locked_packet_fires() {
        let r = governed(false);
        r.git(&["rm", "-q", &path_of(WP)]);
        let d = expect(&r, "docs: drop", &["lock.locked-packet-edited"]);
        assert_eq!(d[0].path.as_deref(), Some(path_of(WP).as_str()));
        assert_eq!(
            d[0].message,
            format!(
                "{}: locked packet {WP} (signature {SIG}) was deleted",
                path_of(WP)
            )
        );
        // Deleting a packet signed with a placeholder is no lock break.
        r.git(&["rm", "-q", &path_of("WP-1-Draft")]);
        expect(&r, "docs: drop the draft", &[]);
    }

    #[test]
    fn unlocking_a_locked_packet_fires_and_editing_a_placeholder_signed_one_does_not() {
        let r = governed(false);
        let p = path_of(WP);
        stage(&r, &[(&p, &read(&r, &p).replace(SIG, "<pending>"))]);
        let d = expect(&r, &msg("docs: unlock"), &["lock.locked-packet-edited"]);
        assert_eq!(
            d[0].line,
            Some(line_of(&read(&r, &p), "**User Signature Locked:**"))
        );
        let draft = path_of("WP-1-Draft");
        let text = read(&r, &draft).replace(
            "  * src/storage/mod.rs\n",
            "  * src/storage/mod.rs\n  * src/api/jobs.rs\n",
        );
        stage(&r, &[(&draft, &text)]);
        expect(&r, "docs: widen the draft", &[]);
    }

    #[test]
    fn every_changed_packet_is_checked_whatever_the_binding() {
        let r = governed(false);
        let other = path_of("WP-1-Other");
        stage(
            &r,
            &[
                (
                    "src/storage/mod.rs",
                    "pub trait Storage { fn get(&self); }\n",
                ),
                (&other, &read(&r, &other).replace("LOW", "HIGH")),
            ],
        );
        let d = expect(&r, &msg("feat: storage"), &["lock.locked-packet-edited"]);
        assert_eq!(d[0].wp.as_deref(), Some("WP-1-Other"));
        assert_eq!(d[0].path.as_deref(), Some(other.as_str()));
        assert!(d[0].message.contains(OTHER_SIG), "{}", d[0].message);
    }

    #[test]
    fn rewriting_line_endings_only_does_not_fire() {
        // By design: CRLF is read as LF. A lone CR is a line break too, but not an LF
        // (the reader does not honour it everywhere): converting to lone CRs is an edit.
        let r = governed(true);
        let p = path_of(WP);
        stage(&r, &[(&p, &read(&r, &p).replace('\n', "\r\n"))]);
        expect(&r, &msg("docs: crlf"), &[]);
        let r = governed(true);
        stage(&r, &[(&p, &read(&r, &p).replace('\n', "\r"))]);
        expect(
            &r,
            &msg("docs: cr"),
            &["lock.digest-mismatch", "lock.locked-packet-edited"],
        );
    }

    /// Example 4 of issue 12 in a real commit: bare CRs in the STATUS line carry a new
    /// IN_SCOPE_PATHS and OUT_OF_SCOPE; with a digest, both rules fire.
    #[test]
    fn a_cr_injected_status_line_fires_in_a_real_commit() {
        for digested in [false, true] {
            let r = governed(digested);
            let p = path_of(WP);
            let text = read(&r, &p).replace(
                "- STATUS: In Progress\n",
                "- STATUS: In Progress\r- **IN_SCOPE_PATHS**:\r  * src/api/jobs.rs\r- **OUT_OF_SCOPE**:\r  * nothing\n",
            );
            stage(
                &r,
                &[(&p, &text), ("src/api/jobs.rs", "pub fn jobs() {}\n")],
            );
            // The scope that judges the work is the trusted packet's, so the smuggled
            // scope grants nothing either: src/api/jobs.rs stays out of scope.
            let want: &[&str] = if digested {
                &[
                    "lock.digest-mismatch",
                    "lock.locked-packet-edited",
                    "scope.out-of-scope",
                ]
            } else {
                &["lock.locked-packet-edited", "scope.out-of-scope"]
            };
            let d = expect(&r, &msg("feat: jobs"), want);
            let e = of(&d, "lock.locked-packet-edited");
            assert_eq!(e.path.as_deref(), Some(p.as_str()));
            // The first difference: the STATUS line now ends in a lone CR.
            assert_eq!(e.line, Some(line_of(&text, "- STATUS:")));
        }
    }

    /// Example 5 of issue 12 in a real commit: a `- STATUS:` line inserted right after
    /// `- **OUT_OF_SCOPE**:` (the original kept, or deleted) empties OUT_OF_SCOPE.
    #[test]
    fn an_inserted_status_line_fires_in_a_real_commit() {
        for (digested, delete_original) in [(false, false), (false, true), (true, true)] {
            let r = governed(digested);
            let p = path_of(WP);
            let mut text = read(&r, &p);
            if delete_original {
                text = text.replace("- STATUS: In Progress\n", "");
            }
            let text = text.replace(
                "- **OUT_OF_SCOPE**:\n",
                "- **OUT_OF_SCOPE**:\n- STATUS: In Progress\n",
            );
            let policy = Policy::embedded();
            let parsed = wpgate_core::parse_packet(&p, &text, &policy.packet.fields);
            assert!(parsed.out_of_scope.is_empty(), "the attack is real");
            stage(&r, &[(&p, &text)]);
            let want: &[&str] = if digested {
                &["lock.digest-mismatch", "lock.locked-packet-edited"]
            } else {
                &["lock.locked-packet-edited"]
            };
            expect(&r, &msg("docs: status"), want);
        }
    }

    // -- lock.digest-mismatch -----------------------------------------------------------

    #[test]
    fn the_digest_computed_here_is_the_engines() {
        let policy = Policy::embedded();
        let text = packet_text(WP, SIG);
        let digested = with_digest(&text, &digest_of(&text));
        let p = wpgate_core::parse_packet(&path_of(WP), &digested, &policy.packet.fields);
        assert_eq!(
            wpgate_core::model::packet::lock::digest_matches(&digested, &p, &policy),
            Some(true)
        );
    }

    #[test]
    fn editing_a_digested_packet_fires_both_rules() {
        let r = governed(true);
        let p = path_of(WP);
        let text = read(&r, &p).replace("- **RISK_TIER**: LOW", "- **RISK_TIER**: HIGH");
        stage(&r, &[(&p, &text)]);
        let d = expect(
            &r,
            &msg("docs: risk"),
            &["lock.digest-mismatch", "lock.locked-packet-edited"],
        );
        let m = of(&d, "lock.digest-mismatch");
        assert_eq!(m.path.as_deref(), Some(p.as_str()));
        assert_eq!(m.line, Some(line_of(&text, "**Lock Digest:**")));
        assert_eq!(m.wp.as_deref(), Some(WP));
        assert_eq!(m.severity, Severity::Error);
        assert_eq!(
            m.message,
            format!(
                "locked content of {WP} does not match its lock digest (now {})",
                digest_of(&text)
            )
        );
    }

    #[test]
    fn a_status_edit_or_an_appended_report_keeps_the_digest() {
        let r = governed(true);
        let p = path_of(WP);
        stage(
            &r,
            &[(
                &p,
                &read(&r, &p).replace("STATUS: In Progress", "STATUS: Done"),
            )],
        );
        expect(&r, &msg("docs: done"), &[]);
        let text = format!("{}\n## VALIDATION REPORT\nVerdict: PASS\n", read(&r, &p));
        stage(&r, &[(&p, &text)]);
        expect(&r, &msg("docs: validation report"), &[]);
    }

    #[test]
    fn rewriting_only_the_digest_fires_digest_mismatch_alone() {
        // The digest line is not locked content: only the digest rule sees the change.
        let r = governed(true);
        let p = path_of(WP);
        let text = read(&r, &p);
        let good = digest_of(&packet_text(WP, SIG));
        let zero = format!("sha256:{}", "0".repeat(64));
        stage(&r, &[(&p, &text.replace(&good, &zero))]);
        let d = expect(&r, &msg("docs: digest"), &["lock.digest-mismatch"]);
        assert!(
            d[0].message.ends_with(&format!("(now {good})")),
            "{}",
            d[0].message
        );
    }

    #[test]
    fn a_new_packet_is_held_to_its_recorded_digest() {
        let r = governed(false);
        let id = "WP-1-Storage-Cache";
        let text = packet_text(id, SIG);
        let good = digest_of(&text);
        stage(
            &r,
            &[(
                &path_of(id),
                &with_digest(&text, &format!("sha256:{}", "0".repeat(64))),
            )],
        );
        let d = expect(&r, &format!("docs: add {id}"), &["lock.digest-mismatch"]);
        assert_eq!(d[0].wp.as_deref(), Some(id));
        assert!(
            d[0].message.ends_with(&format!("(now {good})")),
            "{}",
            d[0].message
        );
        // The right digest, also upper-case in backticks: quiet.
        let id = "WP-1-Storage-Pool";
        let text = packet_text(id, SIG);
        stage(
            &r,
            &[(&path_of(id), &with_digest(&text, &digest_of(&text)))],
        );
        expect(&r, &format!("docs: add {id}"), &[]);
        let id = "WP-1-Storage-Index";
        let text = packet_text(id, SIG);
        let upper = format!("`{}`", digest_of(&text).to_ascii_uppercase());
        stage(&r, &[(&path_of(id), &with_digest(&text, &upper))]);
        expect(&r, &format!("docs: add {id}"), &[]);
    }

    #[test]
    fn only_changed_packets_are_held_to_their_digest() {
        // WP-1-Other records a wrong digest; the diff gate judges it once it is touched.
        let r = governed(false);
        let other = path_of("WP-1-Other");
        let bad = with_digest(&read(&r, &other), &format!("sha256:{}", "0".repeat(64)));
        r.commit_files("docs: a bad digest (unchecked commit)", &[(&other, &bad)]);
        stage(
            &r,
            &[(
                "src/storage/mod.rs",
                "pub trait Storage { fn get(&self); }\n",
            )],
        );
        expect(&r, &msg("feat: storage"), &[]);
        let text = format!("{bad}\n## VALIDATION REPORT\nVerdict: PASS\n");
        stage(&r, &[(&other, &text)]);
        let d = expect(&r, &msg("docs: report"), &["lock.digest-mismatch"]);
        assert_eq!(d[0].wp.as_deref(), Some("WP-1-Other"));
    }

    #[test]
    fn a_deleted_digested_packet_is_a_lock_break_not_a_digest_mismatch() {
        let r = governed(true);
        r.git(&["rm", "-q", &path_of(WP)]);
        expect(&r, "docs: drop", &["lock.locked-packet-edited"]);
    }

    // -- lock.mutable_sections ----------------------------------------------------------

    const SNAPSHOT: &str =
        "## CURRENT_STATE (AUTHORITATIVE SNAPSHOT; MUTABLE)\nVerdict: PENDING\nBlockers: NONE\n\n";

    /// [`governed`] with a `wpgate.toml` declaring the snapshot sections mutable and a
    /// CURRENT_STATE section in [`WP`], before its scope.
    fn sectioned() -> (TestRepo, String, String) {
        let r = TestRepo::new();
        let p = path_of(WP);
        let wp = packet_text(WP, SIG).replace("## Scope\n", &format!("{SNAPSHOT}## Scope\n"));
        r.commit_files(
            "bootstrap",
            &[
                (
                    "wpgate.toml",
                    "[lock]\nmutable_sections = ['\\(AUTHORITATIVE SNAPSHOT; MUTABLE\\)$']\n",
                ),
                (&p, &wp),
                ("docs/TASK_BOARD.md", "# Task Board\n"),
                ("src/storage/mod.rs", "pub trait Storage {}\n"),
            ],
        );
        (r, p, wp)
    }

    #[test]
    fn editing_inside_a_mutable_section_does_not_fire() {
        let (r, p, wp) = sectioned();
        let text = wp.replace(
            "Verdict: PENDING\nBlockers: NONE\n",
            "Verdict: PASS\nBlockers: NONE\n### Evidence\n- cargo test: ok\n- reviewed by validator\n",
        );
        stage(&r, &[(&p, &text)]);
        expect(&r, &msg("docs: current state"), &[]);
    }

    #[test]
    fn editing_outside_a_mutable_section_fires() {
        let (r, p, wp) = sectioned();
        let text = wp.replace("Verdict: PENDING", "Verdict: PASS").replace(
            "  * src/storage/mod.rs\n",
            "  * src/storage/mod.rs\n  * src/api/jobs.rs\n",
        );
        stage(&r, &[(&p, &text)]);
        let d = expect(&r, &msg("docs: widen"), &["lock.locked-packet-edited"]);
        assert_eq!(d[0].line, Some(line_of(&text, "  * src/api/jobs.rs")));
    }

    #[test]
    fn renaming_a_heading_into_a_mutable_section_fires() {
        let (r, p, wp) = sectioned();
        let text = wp
            .replace(
                "## Quality Gate\n",
                "## Quality Gate (AUTHORITATIVE SNAPSHOT; MUTABLE)\n",
            )
            .replace(
                "- **RISK_TIER**: LOW\n",
                "- **RISK_TIER**: LOW\n- anything goes now\n",
            );
        stage(&r, &[(&p, &text)]);
        let d = expect(&r, &msg("docs: rename"), &["lock.locked-packet-edited"]);
        assert_eq!(d[0].line, Some(line_of(&text, "## Quality Gate")));
    }

    #[test]
    fn adding_a_mutable_heading_with_content_fires() {
        let (r, p, wp) = sectioned();
        let text = wp.replace(
            "## Quality Gate\n",
            "## NOTES (AUTHORITATIVE SNAPSHOT; MUTABLE)\n- a new section\n\n## Quality Gate\n",
        );
        stage(&r, &[(&p, &text)]);
        let d = expect(
            &r,
            &msg("docs: add section"),
            &["lock.locked-packet-edited"],
        );
        assert_eq!(d[0].line, Some(line_of(&text, "## NOTES")));
    }

    #[test]
    fn a_scope_field_written_in_a_mutable_section_fires() {
        let (r, p, wp) = sectioned();
        let text = wp.replace(
            "Blockers: NONE\n",
            "Blockers: NONE\n- **IN_SCOPE_PATHS**:\n  * src/**\n",
        );
        stage(&r, &[(&p, &text)]);
        expect(
            &r,
            &msg("docs: sneak scope"),
            &["lock.locked-packet-edited"],
        );
    }
}
