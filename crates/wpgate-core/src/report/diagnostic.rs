//! The diagnostic model: every rule emits [`Diagnostic`]s into a [`Report`]; every
//! renderer (the sibling modules of this one) reads the same data.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;

/// Severity of a finding. `Note` never fails a run (waived findings, skipped files).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A byte range in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start,
            end: end.max(start),
        }
    }
    pub fn len(&self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub rule: String,
    pub code: Option<String>,
    pub severity: Severity,
    pub message: String,
    pub help: Option<String>,
    pub wp: Option<String>,
    pub commit: Option<String>,
    pub path: Option<String>,
    pub line: Option<usize>,
    #[serde(skip)]
    pub span: Option<Span>,
    /// Set when a live waiver turned this finding into a note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiver: Option<String>,
}

impl Diagnostic {
    pub fn new(rule: impl Into<String>, severity: Severity, message: impl Into<String>) -> Self {
        Diagnostic {
            rule: rule.into(),
            code: None,
            severity,
            message: message.into(),
            help: None,
            wp: None,
            commit: None,
            path: None,
            line: None,
            span: None,
            waiver: None,
        }
    }
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }
    pub fn with_line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }
    pub fn with_opt_line(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }
    pub fn with_span(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }
    pub fn with_wp(mut self, wp: impl Into<String>) -> Self {
        self.wp = Some(wp.into());
        self
    }
    pub fn with_opt_wp(mut self, wp: Option<&str>) -> Self {
        self.wp = wp.map(str::to_string);
        self
    }
    pub fn with_commit(mut self, commit: impl Into<String>) -> Self {
        self.commit = Some(commit.into());
        self
    }
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    /// Points the diagnostic at a field of a source file (path, line and byte span).
    pub fn at(mut self, path: &str, line: usize, span: Span) -> Self {
        self.path = Some(path.to_string());
        self.line = Some(line);
        self.span = Some(span);
        self
    }
}

/// Findings plus the source texts their spans point into.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    /// Source texts by repository path, for rendering spans.
    pub sources: BTreeMap<String, Arc<str>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
}

impl Report {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }
    pub fn extend(&mut self, other: Report) {
        self.diagnostics.extend(other.diagnostics);
        for (k, v) in other.sources {
            self.sources.entry(k).or_insert(v);
        }
    }
    pub fn add_source(&mut self, path: &str, text: Arc<str>) {
        self.sources.entry(path.to_string()).or_insert(text);
    }
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for d in &self.diagnostics {
            match d.severity {
                Severity::Error => s.errors += 1,
                Severity::Warning => s.warnings += 1,
                Severity::Note => {}
            }
        }
        s
    }
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
    /// Stable order: path, line, rule, message.
    pub fn sort(&mut self) {
        self.diagnostics.sort_by(|a, b| {
            (&a.commit, &a.path, a.line, &a.rule, &a.message)
                .cmp(&(&b.commit, &b.path, b.line, &b.rule, &b.message))
        });
        self.diagnostics.dedup();
    }
    /// Exit code of the contract: 0 clean (warnings allowed), 1 errors.
    pub fn exit_code(&self) -> i32 {
        if self.has_errors() {
            1
        } else {
            0
        }
    }
}
