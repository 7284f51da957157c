//! Errors that stop a run (exit code 2): configuration, environment, unreadable input.

use miette::{NamedSource, SourceSpan};

use crate::text::line_col;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum Error {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Policy(#[from] Box<PolicyError>),

    #[error("cannot read {path}: {source}")]
    #[diagnostic(code(wpgate::io))]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("{path}:{line}: {message}")]
    #[diagnostic(code(wpgate::input))]
    Input {
        path: String,
        line: usize,
        message: String,
    },

    #[error("git: {message}")]
    #[diagnostic(code(wpgate::git), help("{}", help.as_deref().unwrap_or("")))]
    Git {
        message: String,
        help: Option<String>,
    },

    #[error("{path}: {message}")]
    #[diagnostic(
        code(wpgate::governance),
        help("governance files (policy, waivers, packets, board, spec, SPEC_CURRENT, template, signature audit) must be regular files inside the repository, within `limits.max_governance_bytes`: replace the link or special file by the file itself")
    )]
    Governance { path: String, message: String },

    #[error("{0}")]
    #[diagnostic(code(wpgate::usage))]
    Usage(String),
}

impl From<PolicyError> for Error {
    fn from(e: PolicyError) -> Self {
        Error::Policy(Box::new(e))
    }
}

impl Error {
    pub fn git(message: impl Into<String>) -> Self {
        Error::Git {
            message: message.into(),
            help: None,
        }
    }
    pub fn git_help(message: impl Into<String>, help: impl Into<String>) -> Self {
        Error::Git {
            message: message.into(),
            help: Some(help.into()),
        }
    }
    /// A governance file that is not a regular file inside the repository, or too large.
    pub fn governance(path: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Governance {
            path: path.into(),
            message: message.into(),
        }
    }
    pub fn input(path: impl Into<String>, line: usize, message: impl Into<String>) -> Self {
        Error::Input {
            path: path.into(),
            line,
            message: message.into(),
        }
    }
}

/// A policy error: names the file, line and column, and renders with miette.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{file}:{line}:{column}: {message}")]
#[diagnostic(code(wpgate::policy))]
pub struct PolicyError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    #[source_code]
    pub src: NamedSource<String>,
    #[label("{label}")]
    pub span: SourceSpan,
    pub label: String,
}

impl PolicyError {
    pub fn at(file: &str, text: &str, span: std::ops::Range<usize>, message: String) -> Box<Self> {
        let (line, column) = line_col(text, span.start);
        let len = span.end.saturating_sub(span.start);
        Box::new(PolicyError {
            file: file.to_string(),
            line,
            column,
            label: first_line(&message).to_string(),
            message,
            src: NamedSource::new(file, text.to_string()),
            span: (span.start, len).into(),
        })
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}
