//! The human renderer: rustc-like miette output with source snippets, one block per
//! finding, and a summary line.

use std::fmt::Write as _;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};

use super::{Diagnostic, Report, Severity};

struct MietteDiag<'a> {
    d: &'a Diagnostic,
    code: String,
    src: Option<NamedSource<Arc<str>>>,
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
fn render_all(report: &Report, diags: &[Diagnostic], color: bool) -> String {
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
                        (
                            Some(NamedSource::new(path, text.clone())),
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
    // Rendering is independent per finding and a large report (hundreds of findings with
    // source snippets) costs more than the checks: render on every core, in order.
    let mut out: String =
        crate::in_order_runs(diags, 64, |part| render_all(report, part, color)).concat();
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
