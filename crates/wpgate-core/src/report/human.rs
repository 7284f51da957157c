//! The human renderer: rustc-like miette output with source snippets, one block per
//! finding, and a summary line.

use std::fmt::Write as _;
use std::sync::Arc;

use std::collections::HashMap;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceSpan, SpanContents,
};

use super::{Diagnostic, Report, Severity};

struct MietteDiag<'a> {
    d: &'a Diagnostic,
    code: String,
    src: Option<Window>,
    label: Option<LabeledSpan>,
}

impl std::fmt::Debug for MietteDiag<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.d.message)
    }
}
impl std::fmt::Display for MietteDiag<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.d.message)
    }
}
impl std::error::Error for MietteDiag<'_> {}

impl miette::Diagnostic for MietteDiag<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        let mut parts = Vec::new();
        if let Some(h) = &self.d.help {
            parts.push(h.clone());
        }
        let mut ctx = Vec::new();
        if let Some(wp) = &self.d.wp {
            ctx.push(format!("packet {wp}"));
        }
        if let Some(c) = &self.d.commit {
            ctx.push(format!("commit {}", &c[..c.len().min(12)]));
        }
        if let Some(w) = &self.d.waiver {
            ctx.push(format!("waived by {w}"));
        }
        if self.src.is_none() {
            if let Some(p) = &self.d.path {
                match self.d.line {
                    Some(l) => ctx.push(format!("at {p}:{l}")),
                    None => ctx.push(format!("at {p}")),
                }
            }
        }
        if !ctx.is_empty() {
            parts.push(ctx.join(", "));
        }
        if parts.is_empty() {
            None
        } else {
            Some(Box::new(parts.join("\n")))
        }
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.src.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.label
            .as_ref()
            .map(|l| Box::new(std::iter::once(l.clone())) as Box<dyn Iterator<Item = LabeledSpan>>)
    }
}

/// The few lines of a source text around one finding's span, which is all miette reads
/// to render it. Handing miette the whole text made every finding cost a scan of its
/// file from the start (hundreds of findings on one board: quadratic). The window starts
/// at a line start; `line0` is its first line's index in the whole text, so line numbers
/// and columns come out as for the whole text.
struct Window {
    name: String,
    text: Arc<str>,
    lo: usize,
    hi: usize,
    line0: usize,
}

impl miette::SourceCode for Window {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let bytes = self
            .text
            .as_bytes()
            .get(self.lo..self.hi)
            .ok_or(MietteError::OutOfBounds)?;
        let off = span
            .offset()
            .checked_sub(self.lo)
            .ok_or(MietteError::OutOfBounds)?;
        let c = miette::SourceCode::read_span(
            bytes,
            &SourceSpan::new(off.into(), span.len()),
            before,
            after,
        )?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            c.data(),
            SourceSpan::new((c.span().offset() + self.lo).into(), c.span().len()),
            c.line() + self.line0,
            c.column(),
            c.line_count() + self.line0,
        )))
    }
}

/// Offsets where lines start, with the line breaks miette honours (LF, CRLF, lone CR).
fn line_starts(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let mut out = vec![0];
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\r' if b.get(i + 1) == Some(&b'\n') => {
                i += 2;
                out.push(i);
            }
            b'\r' | b'\n' => {
                i += 1;
                out.push(i);
            }
            _ => i += 1,
        }
    }
    out
}

/// The window of `text` around `start..start+len`: from two lines before the span's first
/// line to two lines after its last (miette shows one line of context each side).
fn window(path: &str, text: &Arc<str>, starts: &[usize], start: usize, len: usize) -> Window {
    let line_of = |o: usize| starts.partition_point(|&s| s <= o).saturating_sub(1);
    let first = line_of(start).saturating_sub(2);
    let last = line_of((start + len).saturating_sub(1).max(start));
    let hi = starts.get(last + 3).copied().unwrap_or(text.len());
    Window {
        name: path.to_string(),
        text: text.clone(),
        lo: starts.get(first).copied().unwrap_or(0),
        hi: hi.max(start + len).min(text.len()),
        line0: first,
    }
}

/// Byte span of 1-based line `line` in `text` (without its line break).
fn line_span(text: &str, line: usize) -> Option<(usize, usize)> {
    let mut start = 0;
    for (i, l) in text.split('\n').enumerate() {
        if i + 1 == line {
            let l = l.strip_suffix('\r').unwrap_or(l);
            return Some((start, l.len()));
        }
        start += l.len() + 1;
    }
    None
}

/// The rendered findings `diags` of `report`, one after another.
fn render_all(
    report: &Report,
    starts: &HashMap<&str, Vec<usize>>,
    diags: &[Diagnostic],
    color: bool,
) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_context_lines(1)
        .with_width(100);
    let mut out = String::new();
    for d in diags {
        let code = match &d.code {
            Some(c) => format!("{} [{c}]", d.rule),
            None => d.rule.clone(),
        };
        let text = d.path.as_ref().and_then(|p| report.sources.get(p));
        let (src, label) = match (text, &d.path) {
            (Some(text), Some(path)) => {
                let span = match d.span {
                    Some(s) if s.end <= text.len() => Some((s.start, s.len())),
                    _ => d.line.and_then(|l| line_span(text, l)),
                };
                match span {
                    Some((start, len)) => {
                        let label_text = match d.severity {
                            Severity::Note => "note",
                            _ => "here",
                        };
                        let own;
                        let starts = match starts.get(path.as_str()) {
                            Some(s) => s,
                            None => {
                                own = line_starts(text);
                                &own
                            }
                        };
                        (
                            Some(window(path, text, starts, start, len)),
                            Some(LabeledSpan::new(Some(label_text.into()), start, len)),
                        )
                    }
                    None => (None, None),
                }
            }
            _ => (None, None),
        };
        let md = MietteDiag {
            d,
            code,
            src,
            label,
        };
        let mut buf = String::new();
        if handler.render_report(&mut buf, &md).is_err() {
            let _ = writeln!(buf, "{}: {} [{}]", d.severity, d.message, d.rule);
        }
        out.push_str(&buf);
    }
    out
}

/// Renders a report for people: one rustc-like block per diagnostic, then a summary.
pub fn human(report: &Report, color: bool) -> String {
    let diags = &report.diagnostics;
    // Line starts of every source a finding points into, once for all runs below.
    let mut starts: HashMap<&str, Vec<usize>> = HashMap::new();
    for d in diags {
        if let Some(p) = d.path.as_deref() {
            if let (Some(text), false) = (report.sources.get(p), starts.contains_key(p)) {
                starts.insert(p, line_starts(text));
            }
        }
    }
    // Rendering is independent per finding and a large report (hundreds of findings with
    // source snippets) costs more than the checks: render on every core, in order.
    let mut out: String =
        crate::in_order_runs(diags, 64, |part| render_all(report, &starts, part, color)).concat();
    let s = report.summary();
    let notes = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Note)
        .count();
    if report.diagnostics.is_empty() {
        out.push_str("wpgate: no findings\n");
    } else {
        let _ = writeln!(
            out,
            "wpgate: {} error{}, {} warning{}{}",
            s.errors,
            if s.errors == 1 { "" } else { "s" },
            s.warnings,
            if s.warnings == 1 { "" } else { "s" },
            if notes > 0 {
                format!(", {notes} note{}", if notes == 1 { "" } else { "s" })
            } else {
                String::new()
            }
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Span;

    /// Renders one finding at `start..start+len` of `text` through `src`.
    fn render(src: Window, start: usize, len: usize) -> String {
        let d = Diagnostic::new("x.y", Severity::Error, "m").at(
            "f.md",
            1,
            Span::new(start, start + len),
        );
        let md = MietteDiag {
            d: &d,
            code: "x.y".into(),
            src: Some(src),
            label: Some(LabeledSpan::new(Some("here".into()), start, len)),
        };
        let mut buf = String::new();
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
            .with_context_lines(1)
            .with_width(100)
            .render_report(&mut buf, &md)
            .expect("render");
        buf
    }

    #[test]
    fn a_window_renders_like_the_whole_text_whatever_the_line_breaks() {
        let text: Arc<str> =
            Arc::from("one\ntwo\r\nthree\rfour\n\nsix seven\r\neight\nnine\rten\n".to_string());
        let starts = line_starts(&text);
        for start in 0..text.len() {
            for len in [0, 1, 3, 9] {
                if start + len > text.len() {
                    continue;
                }
                let whole = Window {
                    name: "f.md".into(),
                    text: text.clone(),
                    lo: 0,
                    hi: text.len(),
                    line0: 0,
                };
                let a = render(whole, start, len);
                let b = render(window("f.md", &text, &starts, start, len), start, len);
                assert_eq!(a, b, "span {start}+{len}");
            }
        }
    }
}
