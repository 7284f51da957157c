//! Properties of the lock rule (`lock.locked-packet-edited`):
//! - appending anything after the lock footer never fires it;
//! - any single edit (insert, delete, replace) inside the locked content, outside the
//!   mutable STATUS line, always fires it;
//! - edits of the mutable STATUS value never fire it.
//!
//! Line endings are normalised by design (CRLF read as LF, a missing final newline is no
//! change); the generated edits therefore never insert `\r` or drop the last newline.

use proptest::prelude::*;
use wpgate_core::git::{ChangeSet, ChangeStatus, FileChange};
use wpgate_core::rules::diff::DiffRules;
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
    let policy = Policy::embedded();
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
        .check_locks(
            &cs,
            &policy,
            &mut |_| Ok(Some(o.clone())),
            &mut |_| Ok(Some(n.clone())),
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
        prop::sample::select(vec![' ', '\n', ':', '*', '#', '-', '`', '\t', 'é', '→']),
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
            if (i >= st.start && i <= st.end) || (c == '\n' && i + 1 == PACKET.len()) {
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
            if st.contains(&i) || i == st.end || PACKET[i..].starts_with(c) {
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

    #[test]
    fn editing_the_mutable_status_never_fires(v in "[A-Za-z ]{1,30}") {
        let st = status_line();
        let new = format!("{}- STATUS: {}{}", &PACKET[..st.start], v.trim(), &PACKET[st.end..]);
        prop_assert!(!fires(PACKET, &new), "status {:?}", v);
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
