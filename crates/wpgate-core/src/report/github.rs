//! GitHub workflow commands (`::error file=…::…`) within GitHub's annotation limits; the
//! findings GitHub would not show are counted and returned for the step summary.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Diagnostic, Report, Severity};

/// GitHub shows at most this many annotations of one type (error, warning, notice) per step…
pub const GITHUB_PER_TYPE_PER_STEP: usize = 10;
/// …and at most this many per job.
pub const GITHUB_PER_JOB: usize = 50;

/// Escapes the message part of a workflow command (`%`, CR, LF).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value of a workflow command (`%`, CR, LF, `:` and `,`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command_of(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    }
}

/// How annotations are rendered.
#[derive(Debug, Clone)]
pub struct GithubOptions {
    pub per_type: usize,
    pub per_job: usize,
    /// The findings that do not fit are also in the step summary (`wpgate ci` writes it).
    pub summary_written: bool,
}

impl Default for GithubOptions {
    fn default() -> Self {
        GithubOptions {
            per_type: GITHUB_PER_TYPE_PER_STEP,
            per_job: GITHUB_PER_JOB,
            summary_written: false,
        }
    }
}

/// The rendered commands plus what did not fit.
#[derive(Debug, Clone, Default)]
pub struct GithubOutput {
    pub text: String,
    pub annotated: usize,
    /// Indexes into `report.diagnostics` of findings not shown as annotations.
    pub overflow: Vec<usize>,
}

/// One workflow command for a diagnostic.
pub fn github_command(d: &Diagnostic) -> String {
    let mut props = Vec::new();
    if let Some(p) = &d.path {
        props.push(format!("file={}", escape_property(p)));
        if let Some(l) = d.line {
            props.push(format!("line={l}"));
        }
    }
    let title = match &d.wp {
        Some(wp) => format!("{} ({wp})", d.rule),
        None => d.rule.clone(),
    };
    props.push(format!("title={}", escape_property(&title)));
    let mut msg = d.message.clone();
    if let Some(h) = &d.help {
        msg.push_str("\nhelp: ");
        msg.push_str(h);
    }
    if let Some(c) = &d.commit {
        let _ = write!(msg, "\ncommit {}", &c[..c.len().min(12)]);
    }
    if let Some(w) = &d.waiver {
        let _ = write!(msg, "\nwaived by {w}");
    }
    format!(
        "::{} {}::{}",
        command_of(d.severity),
        props.join(","),
        escape_data(&msg)
    )
}

/// A plain log line for a finding that is not an annotation.
pub(super) fn plain_line(d: &Diagnostic) -> String {
    let loc = match (&d.path, d.line) {
        (Some(p), Some(l)) => format!("{p}:{l}: "),
        (Some(p), None) => format!("{p}: "),
        _ => String::new(),
    };
    let one_line = d.message.replace(['\r', '\n'], " ");
    format!("{loc}{} {}: {one_line}", d.severity, d.rule)
}

/// GitHub workflow commands for a report, within GitHub's annotation limits. Findings over
/// the limits are printed as plain lines and said so.
pub fn github(report: &Report, opts: &GithubOptions) -> GithubOutput {
    let mut out = GithubOutput::default();
    let mut per_type: BTreeMap<&str, usize> = BTreeMap::new();
    // Errors first, so the limits keep the findings that fail the check.
    let mut order: Vec<usize> = (0..report.diagnostics.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(report.diagnostics[i].severity));
    let mut shown = vec![false; report.diagnostics.len()];
    for &i in &order {
        let d = &report.diagnostics[i];
        let kind = command_of(d.severity);
        let n = per_type.entry(kind).or_default();
        if *n < opts.per_type && out.annotated < opts.per_job {
            *n += 1;
            out.annotated += 1;
            shown[i] = true;
        }
    }
    for (i, d) in report.diagnostics.iter().enumerate() {
        if shown[i] {
            out.text.push_str(&github_command(d));
            out.text.push('\n');
        } else {
            out.overflow.push(i);
        }
    }
    if !out.overflow.is_empty() {
        let where_ = if opts.summary_written {
            "they are listed below and in the job's step summary"
        } else {
            "they are listed below"
        };
        let _ = writeln!(
            out.text,
            "::warning title=wpgate::{}",
            escape_data(&format!(
                "{} more finding{} than GitHub shows as annotations (at most {} per type per step, {} per job); {where_}",
                out.overflow.len(),
                if out.overflow.len() == 1 { "" } else { "s" },
                opts.per_type,
                opts.per_job
            ))
        );
        for &i in &out.overflow {
            out.text.push_str(&plain_line(&report.diagnostics[i]));
            out.text.push('\n');
        }
    }
    let s = report.summary();
    let _ = writeln!(
        out.text,
        "wpgate: {} error{}, {} warning{}",
        s.errors,
        if s.errors == 1 { "" } else { "s" },
        s.warnings,
        if s.warnings == 1 { "" } else { "s" }
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::report::test_diag as d;

    #[test]
    fn escapes_data_and_properties() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        let c = github_command(&d(Severity::Error, "bad\nthing").with_line(3));
        assert_eq!(
            c,
            "::error file=src/a%2Cb%3Ac.rs,line=3,title=scope.out-of-scope::bad%0Athing"
        );
    }

    #[test]
    fn annotation_limits_overflow() {
        let mut r = Report::new();
        for i in 0..13 {
            r.push(d(Severity::Error, &format!("e{i}")));
        }
        r.push(d(Severity::Warning, "w"));
        let out = github(&r, &GithubOptions::default());
        assert_eq!(out.annotated, 11);
        assert_eq!(out.overflow.len(), 3);
        assert_eq!(out.text.matches("::error ").count(), 10);
        assert!(out.text.contains("3 more findings than GitHub shows"));
        let quiet = github(&Report::new(), &GithubOptions::default());
        assert!(quiet.overflow.is_empty());
        assert!(!quiet.text.contains("::"));
    }
}
