//! Markdown pipe tables (the OSS register, the signature audit), with byte offsets.

use crate::report::Span;

// ---------------------------------------------------------------------------------------------
// Markdown tables (shared with the signature audit)

/// One cell of a Markdown table, trimmed, with its byte span in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub text: String,
    pub span: Span,
}

/// A body row of a Markdown table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub line: usize,
    pub span: Span,
    pub cells: Vec<Cell>,
}

/// A Markdown pipe table: header cells and body rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub header: Vec<String>,
    pub line: usize,
    pub rows: Vec<Row>,
}

impl Table {
    /// Index of the first column whose normalised header is one of `names` (case-insensitive,
    /// `_`/`-`/`/` and spaces ignored).
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        let norm = |s: &str| {
            s.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect::<String>()
        };
        self.header
            .iter()
            .position(|h| names.iter().any(|n| norm(h) == norm(n)))
    }
}

fn split_row(line: &str, line_start: usize) -> Option<Vec<Cell>> {
    let trimmed_start = line.len() - line.trim_start().len();
    let t = line.trim();
    if !t.starts_with('|') {
        return None;
    }
    let mut cells = Vec::new();
    let bytes = t.as_bytes();
    let base = line_start + trimmed_start;
    let mut start = 1;
    let mut i = 1;
    let mut in_code = false;
    while i <= bytes.len() {
        let at_end = i == bytes.len();
        let c = if at_end { b'|' } else { bytes[i] };
        if c == b'`' {
            in_code = !in_code;
        }
        if c == b'\\' && !at_end {
            i += 2;
            continue;
        }
        if c == b'|' && (!in_code || at_end) {
            let raw = &t[start..i.min(t.len())];
            let lead = raw.len() - raw.trim_start().len();
            let text = raw.trim();
            if !(at_end && text.is_empty() && start >= t.len()) {
                let s = base + start + lead;
                cells.push(Cell {
                    text: text.to_string(),
                    span: Span::new(s, s + text.len()),
                });
            }
            start = i + 1;
        }
        i += 1;
    }
    // A trailing `|` leaves an empty last cell: drop it.
    if t.ends_with('|') && t.len() > 1 {
        if let Some(last) = cells.last() {
            if last.text.is_empty() {
                cells.pop();
            }
        }
    }
    Some(cells)
}

fn is_separator(cells: &[Cell]) -> bool {
    !cells.is_empty()
        && cells.iter().all(|c| {
            let t = c.text.trim();
            !t.is_empty() && t.contains('-') && t.chars().all(|ch| matches!(ch, '-' | ':' | ' '))
        })
}

/// All pipe tables of a Markdown text (outside fenced code blocks).
pub fn markdown_tables(text: &str) -> Vec<Table> {
    let mut tables = Vec::new();
    let mut lines: Vec<(usize, usize, &str)> = Vec::new(); // (line no, start offset, text)
    let mut off = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        lines.push((i + 1, off, l.trim_end_matches(['\n', '\r'])));
        off += l.len();
    }
    let mut i = 0;
    let mut in_fence = false;
    while i < lines.len() {
        let (no, start, l) = lines[i];
        let lt = l.trim_start();
        if lt.starts_with("```") || lt.starts_with("~~~") {
            in_fence = !in_fence;
            i += 1;
            continue;
        }
        if in_fence {
            i += 1;
            continue;
        }
        let Some(header) = split_row(l, start) else {
            i += 1;
            continue;
        };
        let sep = lines.get(i + 1).and_then(|(_, s, l2)| split_row(l2, *s));
        if !sep.as_deref().map(is_separator).unwrap_or(false) {
            i += 1;
            continue;
        }
        let mut table = Table {
            header: header.into_iter().map(|c| c.text).collect(),
            line: no,
            rows: vec![],
        };
        i += 2;
        while i < lines.len() {
            let (no, start, l) = lines[i];
            match split_row(l, start) {
                Some(cells) => {
                    table.rows.push(Row {
                        line: no,
                        span: Span::new(start, start + l.len()),
                        cells,
                    });
                    i += 1;
                }
                None => break,
            }
        }
        tables.push(table);
    }
    tables
}

/// Strips Markdown decoration from a cell: backticks, emphasis, a `[text](link)` wrapper.
pub fn plain(cell: &str) -> String {
    let mut s = cell.trim().to_string();
    if let (Some(open), Some(close)) = (s.find('['), s.find("](")) {
        if open == 0 && close > open {
            s = s[1..close].to_string();
        }
    }
    s.chars()
        .filter(|c| !matches!(c, '`' | '*'))
        .collect::<String>()
        .trim()
        .to_string()
}
