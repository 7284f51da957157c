//! The lock of a packet as data: the locked region (everything above the signature
//! footer, minus the mutable fields), its canonical content and digest, and the first
//! locked line two versions differ in. The lock rules are `crate::rules::lock`.

use sha2::{Digest, Sha256};

use super::Packet;
use crate::policy::Policy;

fn normalise_label(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '*' | '_' | '-' | ' ' | '`'))
        .flat_map(|c| c.to_lowercase())
        .collect()
}

/// The label of a `label: value` line (markup stripped), if the line has that shape.
fn line_label(line: &str) -> Option<String> {
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
        None
    } else {
        Some(n)
    }
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

/// The lines of the locked content with their 1-based line numbers in `text`.
pub fn locked_lines<'t>(text: &'t str, packet: &Packet, policy: &Policy) -> Vec<(usize, &'t str)> {
    let end = locked_end(text, packet, policy);
    let region = text.get(..end).unwrap_or(text);
    let mutable: Vec<String> = policy
        .lock
        .mutable_fields
        .iter()
        .map(|f| normalise_label(f))
        .collect();
    let digest_labels: Vec<String> = policy
        .packet
        .fields
        .lock_digest
        .iter()
        .map(|f| normalise_label(f))
        .collect();
    let mut out = Vec::new();
    for (i, line) in region.split('\n').enumerate() {
        let bare = line.strip_suffix('\r').unwrap_or(line);
        if let Some(label) = line_label(bare) {
            if mutable.contains(&label) || digest_labels.contains(&label) {
                continue;
            }
        }
        out.push((i + 1, bare));
    }
    // A region ending in a newline yields one empty trailing piece: keep content stable.
    if region.ends_with('\n') {
        out.pop();
    }
    out
}

/// The locked content: the locked region with mutable-field and digest lines removed,
/// CRLF read as LF, each line terminated by LF.
pub fn locked_content(text: &str, packet: &Packet, policy: &Policy) -> String {
    let mut out = String::with_capacity(text.len());
    for (_, l) in locked_lines(text, packet, policy) {
        out.push_str(l);
        out.push('\n');
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

/// Does the recorded digest match? `None` when the packet records no digest.
pub fn digest_matches(text: &str, packet: &Packet, policy: &Policy) -> Option<bool> {
    let recorded = packet.lock_digest.as_ref()?;
    let want = recorded.value.trim().trim_matches('`').to_ascii_lowercase();
    Some(digest(&locked_content(text, packet, policy)) == want)
}

/// Compares a locked packet's old and new text. Returns the 1-based line (in the new
/// text) of the first locked line that differs; `None` when the locked content is unchanged.
pub fn first_locked_difference(
    old_text: &str,
    old: &Packet,
    new_text: &str,
    new: &Packet,
    policy: &Policy,
) -> Option<usize> {
    let a = locked_lines(old_text, old, policy);
    let b = locked_lines(new_text, new, policy);
    if a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| x.1 == y.1) {
        return None;
    }
    let at = a
        .iter()
        .zip(&b)
        .position(|(x, y)| x.1 != y.1)
        .unwrap_or(a.len().min(b.len()));
    Some(match b.get(at) {
        Some((line, _)) => *line,
        None => b.last().map(|(l, _)| *l).unwrap_or(1),
    })
}
