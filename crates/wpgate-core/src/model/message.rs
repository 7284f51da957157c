//! Commit messages as data: the subject line and the trailers (`Work-Packet:`, `Role:`).

/// The subject of a commit message: its first non-blank line, trimmed.
pub fn subject(message: &str) -> &str {
    message
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

fn trailer_line(line: &str) -> Option<(String, String)> {
    let (key, value) = line.split_once(':')?;
    let key_t = key.trim_end();
    if key_t.is_empty()
        || key_t.len() != key.len() && key_t.contains(' ')
        || !key_t
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        || !key_t
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    Some((key_t.to_string(), value.trim().to_string()))
}

/// Git-style trailers of a message's last paragraph (`Key: value` lines; a line starting
/// with whitespace continues the previous value). The subject paragraph is never a trailer
/// block, and comment lines (`#`) and a `--- >8 ---` scissors tail are ignored. A paragraph
/// counts as a trailer block when every line is a trailer or a continuation, or (like git)
/// when at least one `(cherry picked from commit …)` line is the only exception.
pub fn trailers(message: &str) -> Vec<(String, String)> {
    let mut lines: Vec<&str> = Vec::new();
    for l in message.lines() {
        if l.starts_with("# ------------------------ >8 ------------------------") {
            break;
        }
        if l.starts_with('#') {
            continue;
        }
        lines.push(l.trim_end());
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let start = lines
        .iter()
        .rposition(|l| l.is_empty())
        .map(|i| i + 1)
        .unwrap_or(0);
    // The first paragraph (the subject) is never a trailer block.
    let first_para_end = lines
        .iter()
        .position(|l| l.is_empty())
        .unwrap_or(lines.len());
    if start == 0 || start < first_para_end {
        return Vec::new();
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for l in &lines[start..] {
        if l.starts_with(' ') || l.starts_with('\t') {
            match out.last_mut() {
                Some(last) => {
                    if !last.1.is_empty() {
                        last.1.push(' ');
                    }
                    last.1.push_str(l.trim());
                }
                None => return Vec::new(),
            }
        } else if let Some(t) = trailer_line(l) {
            out.push(t);
        } else if l.starts_with("(cherry picked from commit ") {
            continue;
        } else {
            return Vec::new();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailers_of_last_paragraph() {
        let m = "Subject\n\nBody text.\n\nWork-Packet: WP-1-X\nRole: Orchestrator\n  continued\n";
        assert_eq!(
            trailers(m),
            vec![
                ("Work-Packet".to_string(), "WP-1-X".to_string()),
                ("Role".to_string(), "Orchestrator continued".to_string())
            ]
        );
        assert!(trailers("Fix: a thing\n").is_empty());
        assert!(trailers("Subject\n\nnot a: trailer line here\nRole: x\n").is_empty());
        assert!(trailers("Subject\n\nBody\n").is_empty());
        let with_comment = "S\n\nRole: Coder\n# Please enter the commit message\n";
        assert_eq!(trailers(with_comment).len(), 1);
    }

    #[test]
    fn subject_is_first_line() {
        assert_eq!(subject("\n  Fix it  \nbody"), "Fix it");
        assert_eq!(subject(""), "");
    }
}
