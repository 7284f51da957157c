//! Errors that stop a run (exit code 2): configuration, environment, unreadable input.

use crate::policy::PolicyError;

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
    pub fn input(path: impl Into<String>, line: usize, message: impl Into<String>) -> Self {
        Error::Input {
            path: path.into(),
            line,
            message: message.into(),
        }
    }
}
