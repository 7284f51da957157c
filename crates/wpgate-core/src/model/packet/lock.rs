//! The lock of a packet as data: the locked region (everything above the signature
//! footer, minus the mutable fields and the bodies of the mutable sections), its canonical
//! content and digest, and the first locked line two versions differ in. The lock rules
//! are `crate::rules::lock`.
//!
//! Mutable sections (policy `lock.mutable_sections`, regexes over heading text): the body
//! of a matching heading, from the line after it to the next heading of the same or a
//! higher level (headings as the reader sees them), is left out; the heading line stays
//! locked. Comparing two versions, the sections are those of the trusted old version
//! ([`first_locked_difference`]), so a heading renamed or added to match is an edit; the
//! digest of one version uses that version's headings, whose lines the digest covers.
//! A body may not change what the reader takes from the packet beyond the mutable fields,
//! STATUS and the dependencies (see `unchecked`).
//!
//! One notion of a line: the locked region is split at every line break the Markdown
//! reader honours (LF, CRLF and a lone CR, see [`split_lines`]), so a CR inside a
//! "mutable" line cannot smuggle structure past the lock. Only the line of a mutable
//! field *the parser recognised* (its first occurrence, label and value on one line, the
//! value plain text) is exempt, and only its value: its position and everything before
//! the value stay locked. Any other line carrying a mutable label is ordinary content.

use sha2::{Digest, Sha256};

use super::Packet;
use crate::policy::Policy;

fn normalise_label(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '*' | '_' | '-' | ' ' | '`'))
        .flat_map(|c| c.to_lowercase())
        .collect()
}

/// The label of a `label: value` line (markup stripped) and the offset of the value (just
/// after the colon and the markup closing the label), if the line has that shape.
fn line_label(line: &str) -> Option<(String, usize)> {
    let t = line.trim_start();
    let t = t
        .strip_prefix("- ")
        .or_else(|| t.strip_prefix("* "))
        .unwrap_or(t);
    let colon = t.find(':')?;
    let label = &t[..colon];
    if label.len() > 60 {
        return None;
    }
    let n = normalise_label(label);
    if n.is_empty() {
        return None;
    }
    let mut value_at = line.len() - t.len() + colon + 1;
    // `**STATUS:** v`: the closing markup belongs to the label.
    value_at += line[value_at..].len() - line[value_at..].trim_start_matches(['*', '_']).len();
    Some((n, value_at))
}

/// A line break the Markdown reader honours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Break {
    Lf,
    CrLf,
    Cr,
    /// The end of the text (no break).
    End,
}

/// One line of a text: byte offsets of its start and end (without the break), and the
/// break that ends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub start: usize,
    pub end: usize,
    pub brk: Break,
}

/// Splits `s` at LF, CRLF and lone CR: the line breaks of CommonMark, which the packet
/// parser (pulldown-cmark) honours. Like `str::split`, a text ending in a break has no
/// empty last line, and the empty text is one empty line. U+2028, U+2029 and U+0085 are
/// not line breaks for the parser and are not split here.
pub fn split_lines(s: &str) -> Vec<Line> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\n' => {
                out.push(Line {
                    start,
                    end: i,
                    brk: Break::Lf,
                });
                i += 1;
                start = i;
            }
            b'\r' if b.get(i + 1) == Some(&b'\n') => {
                out.push(Line {
                    start,
                    end: i,
                    brk: Break::CrLf,
                });
                i += 2;
                start = i;
            }
            b'\r' => {
                out.push(Line {
                    start,
                    end: i,
                    brk: Break::Cr,
                });
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < b.len() || out.is_empty() {
        out.push(Line {
            start,
            end: b.len(),
            brk: Break::End,
        });
    }
    out
}

/// End offset (exclusive) of the locked region of `text`.
pub fn locked_end(text: &str, packet: &Packet, policy: &Policy) -> usize {
    if let Some(end) = packet.lock.as_ref().and_then(|l| l.footer_end) {
        return end.min(text.len());
    }
    let reports: Vec<String> = policy
        .packet
        .fields
        .report_headings
        .iter()
        .map(|h| normalise_label(h))
        .collect();
    let sig_at = packet
        .lock
        .as_ref()
        .map(|l| l.signature.span.start)
        .unwrap_or(0);
    packet
        .headings
        .iter()
        .filter(|h| h.span.start >= sig_at)
        .find(|h| {
            let n = normalise_label(&h.text);
            reports.iter().any(|r| n.starts_with(r.as_str()))
        })
        .map(|h| h.span.start.min(text.len()))
        .unwrap_or(text.len())
}

/// What a line of the locked region is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Locked content.
    Content,
    /// The line of a mutable field the parser recognised; its value starts at byte
    /// `value_at` of the line.
    Mutable { value_at: usize },
    /// The lock digest line the parser recognised.
    Digest,
    /// A line of the body of a mutable section (policy `lock.mutable_sections`).
    Section,
}

/// A line of the locked region: 1-based line number, the text without its break, the
/// break, and its role.
#[derive(Debug, Clone, Copy)]
pub struct LockedLine<'t> {
    pub number: usize,
    /// Byte offset of the line in the text.
    pub start: usize,
    pub text: &'t str,
    pub brk: Break,
    pub role: Role,
    /// The line carries a mutable-field or digest label and a plain value: wpgate 0.1
    /// left every such line out of the digest (see [`digest_matches`]).
    pub labelled: bool,
}

/// Canonical field names (as the parser knows them) of the policy's mutable fields.
pub fn mutable_canons(policy: &Policy) -> Vec<&'static str> {
    policy
        .lock
        .mutable_fields
        .iter()
        .filter_map(|f| super::markdown::canonical(&policy.packet.fields, f))
        .collect()
}

/// A mutable value may hold no line break or separator of any kind (CR, LF, VT, FF, NEL,
/// U+2028, U+2029) and no NUL: nothing that a reader could take for more structure.
/// Other control characters are allowed: real packets hold them where an encoding was
/// mangled (`A\u{15} 4.6.1` for `§4.6.1`), and no reader breaks a line at them.
fn plain_value(v: &str) -> bool {
    !v.chars().any(|c| {
        matches!(
            c,
            '\r' | '\n' | '\u{b}' | '\u{c}' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\0'
        )
    })
}

/// The policy's `lock.mutable_sections`, compiled within `limits.regex_size_limit`. A
/// pattern that does not compile makes no section mutable (loading the policy already
/// rejects it, exit 2): the lock fails closed.
fn section_patterns(policy: &Policy) -> Vec<regex::Regex> {
    policy
        .lock
        .mutable_sections
        .iter()
        .filter_map(|p| {
            regex::RegexBuilder::new(p)
                .size_limit(policy.limits.regex_size_limit)
                .build()
                .ok()
        })
        .collect()
}

/// The headings of `packet` (level, text) whose text matches a mutable-section pattern,
/// in document order.
pub fn mutable_headings(packet: &Packet, policy: &Policy) -> Vec<(u8, String)> {
    let pats = section_patterns(policy);
    if pats.is_empty() {
        return Vec::new();
    }
    let mut hs: Vec<&super::Heading> = packet.headings.iter().collect();
    hs.sort_by_key(|h| h.span.start);
    hs.into_iter()
        .filter(|h| pats.iter().any(|p| p.is_match(&h.text)))
        .map(|h| (h.level, h.text.clone()))
        .collect()
}

/// Byte ranges of the bodies of the mutable sections of `text`: for each heading of the
/// packet that is one of `trusted` (level and text, each taken at most as often as it
/// occurs there, in order), from the start of the line after the heading (after the
/// underline of a setext heading) to the start of the line of the next heading of the same
/// or a higher level, or the line of the lock footer, or the end of the text.
fn section_bodies(text: &str, packet: &Packet, trusted: &[(u8, String)]) -> Vec<(usize, usize)> {
    if trusted.is_empty() {
        return Vec::new();
    }
    let mut hs: Vec<&super::Heading> = packet.headings.iter().collect();
    hs.sort_by_key(|h| h.span.start);
    let line_start = |at: usize| {
        let at = at.min(text.len());
        text[..at].rfind(['\n', '\r']).map(|i| i + 1).unwrap_or(0)
    };
    // The start of the line after the one holding `at`.
    let next_line = |at: usize| {
        let at = at.min(text.len());
        match text[at..].find(['\n', '\r']) {
            Some(i) => {
                let j = at + i;
                if text[j..].starts_with("\r\n") {
                    j + 2
                } else {
                    j + 1
                }
            }
            None => text.len(),
        }
    };
    // The lock footer's line is never body: it ends the last section.
    let footer = packet
        .lock
        .as_ref()
        .filter(|l| l.footer_end.is_some())
        .map(|l| line_start(l.signature.span.start));
    let mut want: Vec<&(u8, String)> = trusted.iter().collect();
    let mut out = Vec::new();
    for (k, h) in hs.iter().enumerate() {
        let Some(w) = want.iter().position(|(l, t)| *l == h.level && *t == h.text) else {
            continue;
        };
        want.remove(w);
        let ls = line_start(h.span.start);
        let atx = text[ls..].trim_start().starts_with('#');
        let mut start = next_line(h.span.start);
        if !atx {
            // The `===`/`---` underline of a setext heading is part of the heading.
            start = next_line(start);
        }
        let end = hs[k + 1..]
            .iter()
            .find(|n| n.level <= h.level)
            .map(|n| line_start(n.span.start))
            .unwrap_or(text.len());
        let end = match footer {
            Some(f) if f >= start => end.min(f),
            _ => end,
        };
        if start < end {
            out.push((start, end));
        }
    }
    out
}

/// The lines of the locked region with their roles.
pub fn locked_lines<'t>(text: &'t str, packet: &Packet, policy: &Policy) -> Vec<LockedLine<'t>> {
    let trusted = mutable_headings(packet, policy);
    locked_lines_with(text, packet, policy, &trusted)
}

/// [`locked_lines`], the mutable sections being the headings `trusted` (see
/// [`mutable_headings`]; in a comparison, those of the trusted version).
pub fn locked_lines_with<'t>(
    text: &'t str,
    packet: &Packet,
    policy: &Policy,
    trusted: &[(u8, String)],
) -> Vec<LockedLine<'t>> {
    let bodies = section_bodies(text, packet, trusted);
    let end = locked_end(text, packet, policy);
    let region = text.get(..end).unwrap_or(text);
    // Offsets of the recognised mutable fields' labels, with their normalised names.
    let mut exempt: Vec<(usize, String)> = Vec::new();
    let mut legacy: Vec<String> = Vec::new();
    for f in &policy.lock.mutable_fields {
        let n = normalise_label(f);
        match super::markdown::canonical(&policy.packet.fields, f) {
            Some(canon) => {
                if let Some(l) = packet.field_label(canon) {
                    exempt.push((l.span.start, n));
                }
            }
            // A mutable field the parser does not know: its first labelled line.
            None => legacy.push(n),
        }
    }
    let digest_labels: Vec<String> = policy
        .packet
        .fields
        .lock_digest
        .iter()
        .map(|f| normalise_label(f))
        .collect();
    let digest_at = packet.lock_digest.as_ref().map(|d| d.span.start);
    let mutable_labels: Vec<String> = policy
        .lock
        .mutable_fields
        .iter()
        .map(|f| normalise_label(f))
        .collect();
    let mut out = Vec::new();
    for (i, l) in split_lines(region).into_iter().enumerate() {
        let line = &region[l.start..l.end];
        let mut role = Role::Content;
        let mut labelled = false;
        if let Some((label, value_at)) = line_label(line) {
            labelled = (mutable_labels.contains(&label) || digest_labels.contains(&label))
                && plain_value(&line[value_at..]);
            let holds = |at: usize| at >= l.start && at < l.end.max(l.start + 1);
            let value = &line[value_at..];
            if let Some(k) = exempt.iter().position(|(at, n)| *n == label && holds(*at)) {
                exempt.remove(k);
                if plain_value(value) {
                    role = Role::Mutable { value_at };
                }
            } else if let Some(k) = legacy.iter().position(|n| *n == label) {
                legacy.remove(k);
                if plain_value(value) {
                    role = Role::Mutable { value_at };
                }
            } else if digest_labels.contains(&label)
                && digest_at.is_some_and(holds)
                && plain_value(value)
            {
                role = Role::Digest;
            }
        }
        if bodies.iter().any(|&(a, b)| a <= l.start && l.start < b) {
            role = Role::Section;
            labelled = false;
        }
        out.push(LockedLine {
            number: i + 1,
            start: l.start,
            text: line,
            brk: l.brk,
            role,
            labelled,
        });
    }
    out
}

/// The locked content: the lines of the locked region without the recognised mutable and
/// digest lines, each terminated by LF, except that a lone CR followed by more text stays
/// a CR. For LF and CRLF text this is byte for byte the content of wpgate 0.1, so the
/// digests of honestly locked packets still verify.
pub fn locked_content(text: &str, packet: &Packet, policy: &Policy) -> String {
    content_without(text, &locked_lines(text, packet, policy), |l| {
        l.role != Role::Content
    })
}

fn content_without(
    text: &str,
    lines: &[LockedLine<'_>],
    left_out: impl Fn(&LockedLine<'_>) -> bool,
) -> String {
    let mut out = String::with_capacity(text.len());
    let last = lines.len().saturating_sub(1);
    for (i, l) in lines.iter().enumerate() {
        if left_out(l) {
            continue;
        }
        out.push_str(l.text);
        out.push(if l.brk == Break::Cr && i < last {
            '\r'
        } else {
            '\n'
        });
    }
    out
}

/// `sha256:<hex>` of a locked content.
pub fn digest(content: &str) -> String {
    let mut h = Sha256::new();
    h.update(content.as_bytes());
    let bytes = h.finalize();
    let mut s = String::with_capacity(7 + 64);
    s.push_str("sha256:");
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// What the parser reads from a packet that grants or limits authority, by value (no
/// spans), without the fields named in `skip`.
fn authority_view(p: &Packet, skip: &[&str]) -> String {
    fn vals<T: std::fmt::Debug>(name: &str, skip: &[&str], v: T) -> String {
        if skip.contains(&name) {
            String::new()
        } else {
            format!("{name}={v:?};")
        }
    }
    let one = |f: &Option<super::Field<String>>| f.as_ref().map(|f| f.value.clone());
    let many = |f: &[super::Field<String>]| f.iter().map(|f| f.value.clone()).collect::<Vec<_>>();
    let mut s = String::new();
    s += &vals("task_id", skip, one(&p.task_id));
    s += &vals("status", skip, one(&p.status));
    s += &vals("risk_tier", skip, one(&p.risk_tier));
    s += &vals("effort", skip, one(&p.effort));
    s += &vals("in_scope_paths", skip, many(&p.in_scope_paths));
    s += &vals("out_of_scope", skip, many(&p.out_of_scope));
    s += &vals("done_means", skip, many(&p.done_means));
    s += &vals("test_plan", skip, many(&p.test_plan));
    s += &vals("dependencies", skip, many(&p.dependencies));
    s += &vals("dependencies", skip, many(&p.depends_on));
    s += &vals("dependencies", skip, many(&p.blocks));
    s += &vals(
        "spec_anchor",
        skip,
        p.spec_anchors
            .iter()
            .map(|a| a.raw.clone())
            .collect::<Vec<_>>(),
    );
    s += &vals(
        "signature",
        skip,
        p.lock
            .as_ref()
            .map(|l| (l.signature.value.clone(), l.real, l.footer_end.is_some())),
    );
    let present: Vec<&str> = p
        .present_fields
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| !skip.contains(n) && *n != "lock_digest")
        .collect();
    s += &format!("present={present:?}");
    s
}

/// Does removing the left-out lines leave what the parser reads from the packet
/// unchanged? A mutable line placed so that it captures other content (the carve-outs of
/// OUT_OF_SCOPE nested under an inserted `- STATUS:` item) fails this: the digest does
/// not cover where a left-out line stands, this check does.
fn inert(
    text: &str,
    packet: &Packet,
    policy: &Policy,
    lines: &[LockedLine<'_>],
    left_out: impl Fn(&LockedLine<'_>) -> bool,
) -> bool {
    if !lines.iter().any(&left_out) {
        return true;
    }
    // Cheap and conservative first: a left-out line that is a top-level list item (or
    // the footer's digest line), followed by nothing, a blank line, another top-level
    // list item or a heading, cannot change what the reader sees of the rest: nothing
    // can nest under it or continue it lazily. Only otherwise is the text parsed again.
    let starts_block = |t: &str| {
        t.trim().is_empty()
            || t.starts_with('#')
            || t.starts_with("- ")
            || t.starts_with("* ")
            || t.starts_with("+ ")
            || t.split_once(". ")
                .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    let harmless = lines.iter().enumerate().all(|(i, l)| {
        if !left_out(l) {
            return true;
        }
        let item = l.role == Role::Digest && l.text.trim_start().starts_with("**")
            || (starts_block(l.text) && !l.text.trim().is_empty() && !l.text.starts_with('#'));
        let next_ok = match lines.get(i + 1) {
            None => true,
            Some(n) => left_out(n) || starts_block(n.text),
        };
        item && next_ok && l.brk != Break::Cr
    });
    if harmless {
        return true;
    }
    let mut without = String::with_capacity(text.len());
    let mut cut_to = 0;
    for l in lines {
        let brk = match l.brk {
            Break::Lf | Break::Cr => 1,
            Break::CrLf => 2,
            Break::End => 0,
        };
        if left_out(l) {
            without.push_str(&text[cut_to..l.start]);
            cut_to = (l.start + l.text.len() + brk).min(text.len());
        }
    }
    without.push_str(&text[cut_to..]);
    let reparsed = super::parse_packet(&packet.path, &without, &policy.packet.fields);
    let sections = lines.iter().any(|l| l.role == Role::Section);
    authority_view(packet, &unchecked(policy, sections))
        == authority_view(&reparsed, &unchecked(policy, sections))
}

/// The fields whose reading may change with the mutable parts of a locked packet: the
/// mutable fields and STATUS; with mutable sections, also the dependencies (the
/// `Blockers:` line of a CURRENT_STATE snapshot is a dependency statement, and keeping it
/// current is what the section is for). Every other field (scope, risk, signature, …)
/// must read the same.
fn unchecked(policy: &Policy, sections: bool) -> Vec<&'static str> {
    let mut skip = mutable_canons(policy);
    skip.push("status");
    if sections {
        skip.push("dependencies");
    }
    skip
}

/// Does the recorded digest match? `None` when the packet records no digest.
///
/// The digest is that of [`locked_content`], or, for packets locked by wpgate 0.1, of the
/// locked lines without *every* line carrying a mutable or digest label (0.1 left them all
/// out, so such a digest cannot tell an honest second `Status:` line from an inserted
/// one). Either way the lines left out must be inert (see `inert`): a STATUS line that
/// captures other content fails the digest even though the digest does not cover it.
pub fn digest_matches(text: &str, packet: &Packet, policy: &Policy) -> Option<bool> {
    let recorded = packet.lock_digest.as_ref()?;
    let want = recorded.value.trim().trim_matches('`').to_ascii_lowercase();
    let lines = locked_lines(text, packet, policy);
    let strict = |l: &LockedLine<'_>| l.role != Role::Content;
    if digest(&content_without(text, &lines, strict)) == want {
        return Some(inert(text, packet, policy, &lines, strict));
    }
    let legacy = |l: &LockedLine<'_>| l.role != Role::Content || l.labelled;
    if lines.iter().any(|l| l.role == Role::Content && l.labelled)
        && digest(&content_without(text, &lines, legacy)) == want
    {
        return Some(inert(text, packet, policy, &lines, legacy));
    }
    Some(false)
}

/// The comparison key of a locked line: content as is; of an exempt line, everything but
/// the value (its position, indentation, marker and label stay locked); and whether it
/// ends in a lone CR. LF and CRLF are one break (a checkout with `core.autocrlf` is no
/// edit), a lone CR is not: pulldown-cmark does not honour it the same way everywhere (a
/// code fence after a lone CR is read as text), so turning an LF into a CR can change what
/// the reader sees. The break that ends the locked region is no content.
fn key<'a>(l: &LockedLine<'a>, last: bool) -> (&'a str, bool, bool) {
    let cr = l.brk == Break::Cr && !last;
    match l.role {
        Role::Content => (l.text, false, cr),
        Role::Mutable { value_at } => (&l.text[..value_at.min(l.text.len())], true, cr),
        Role::Digest | Role::Section => ("", true, cr),
    }
}

/// Compares a locked packet's old and new text. Returns the 1-based line (in the new
/// text) of the first locked line that differs; `None` when the locked content is unchanged.
/// Line breaks (LF, CRLF, lone CR) all split lines; LF and CRLF compare equal, a lone CR
/// does not (see `key`).
pub fn first_locked_difference(
    old_text: &str,
    old: &Packet,
    new_text: &str,
    new: &Packet,
    policy: &Policy,
) -> Option<usize> {
    // The mutable sections are those of the trusted (old) version: a heading renamed or
    // added by the change to match a pattern is locked content like any other line.
    let trusted = mutable_headings(old, policy);
    let all_a = locked_lines_with(old_text, old, policy, &trusted);
    let all_b = locked_lines_with(new_text, new, policy, &trusted);
    // The bodies of mutable sections may grow and shrink: they are not compared line by
    // line (what ends them, the next heading, is locked content and is).
    let a: Vec<&LockedLine<'_>> = all_a.iter().filter(|l| l.role != Role::Section).collect();
    let b: Vec<&LockedLine<'_>> = all_b.iter().filter(|l| l.role != Role::Section).collect();
    let (la, lb) = (a.len().saturating_sub(1), b.len().saturating_sub(1));
    let at = a
        .iter()
        .zip(&b)
        .enumerate()
        .position(|(i, (x, y))| {
            key(x, i == la && last_locked(&all_a, x)) != key(y, i == lb && last_locked(&all_b, y))
        })
        .or((a.len() != b.len()).then_some(a.len().min(b.len())));
    if let Some(at) = at {
        return Some(match b.get(at) {
            Some(l) => l.number,
            None => b.last().map(|l| l.number).unwrap_or(1),
        });
    }
    // The locked lines are equal, but a mutable section's body may still change what the
    // reader takes from the packet: a field label written there (`- IN_SCOPE_PATHS:` before
    // the real SCOPE, the first occurrence winning), or an open fence that hides the locked
    // sections after it. Only the mutable fields and STATUS may read differently.
    let changed_body = all_b.iter().find(|l| l.role == Role::Section);
    let had_body = all_a.iter().any(|l| l.role == Role::Section);
    if changed_body.is_some() || had_body {
        let skip = unchecked(policy, true);
        if authority_view(old, &skip) != authority_view(new, &skip) {
            return Some(changed_body.map(|l| l.number).unwrap_or(1));
        }
    }
    None
}

/// Is `l` the last line of the locked region (its break is no content)?
fn last_locked(all: &[LockedLine<'_>], l: &LockedLine<'_>) -> bool {
    all.last().is_some_and(|x| x.start == l.start)
}
