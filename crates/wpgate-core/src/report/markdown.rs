//! The Markdown summary `wpgate ci` writes to `GITHUB_STEP_SUMMARY`.

use super::Severity;

use std::fmt::Write as _;

use super::Report;

fn md_cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
        .replace('<', "&lt;")
}

/// A Markdown summary of a report: verdict, counts, a table of findings (at most
/// `max_rows`; the rest counted).
pub fn markdown_summary(report: &Report, context: &str, max_rows: usize) -> String {
    let s = report.summary();
    let notes = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Note)
        .count();
    let mut out = String::new();
    let verdict = if s.errors > 0 {
        "❌ failed"
    } else {
        "✅ passed"
    };
    let _ = writeln!(out, "## wpgate: {verdict}\n");
    if !context.is_empty() {
        let _ = writeln!(out, "{}\n", md_cell(context));
    }
    let _ = writeln!(
        out,
        "**{}** error{}, **{}** warning{}, {} note{}\n",
        s.errors,
        if s.errors == 1 { "" } else { "s" },
        s.warnings,
        if s.warnings == 1 { "" } else { "s" },
        notes,
        if notes == 1 { "" } else { "s" }
    );
    if report.diagnostics.is_empty() {
        return out;
    }
    out.push_str("| Severity | Rule | Location | Packet | Message |\n|---|---|---|---|---|\n");
    for d in report.diagnostics.iter().take(max_rows) {
        let loc = match (&d.path, d.line) {
            (Some(p), Some(l)) => format!("`{}:{l}`", p.replace('`', "'")),
            (Some(p), None) => format!("`{}`", p.replace('`', "'")),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} | {} |",
            d.severity,
            d.rule,
            md_cell(&loc),
            md_cell(d.wp.as_deref().unwrap_or("")),
            md_cell(&d.message)
        );
    }
    if report.diagnostics.len() > max_rows {
        let _ = writeln!(
            out,
            "\n… and {} more (run `wpgate ci` locally or download the SARIF for all).",
            report.diagnostics.len() - max_rows
        );
    }
    out
}
