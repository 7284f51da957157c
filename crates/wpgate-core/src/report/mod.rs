//! Reports: the diagnostic model and one module per output format.
//!
//! Every renderer is a pure function of a [`Report`] (and, for SARIF and JUnit, the rule
//! catalog, passed in: this layer imports no rule module); nothing here reads the
//! environment or writes files.

mod diagnostic;
pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;

pub use crate::text::{line_col, line_of};
pub use diagnostic::{Diagnostic, Report, Severity, Span, Summary};
pub use github::{GithubOptions, GithubOutput};
pub use json::JsonReport;

use crate::error::Error;

/// Static description of a rule: what `wpgate explain` shows and what SARIF calls a
/// `reportingDescriptor`. The tables live with the rules (`crate::rules::<family>::RULES`).
#[derive(Debug, Clone, Copy)]
pub struct RuleInfo {
    pub id: &'static str,
    pub default: Severity,
    pub summary: &'static str,
    /// Why it matters and how to fix it.
    pub help: &'static str,
    /// An example that triggers the rule.
    pub example: &'static str,
}

/// Output formats of reporting commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
    Junit,
    /// Graphviz, for `wpgate deps` only.
    Dot,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "human" => Format::Human,
            "json" => Format::Json,
            "sarif" => Format::Sarif,
            "github" => Format::Github,
            "junit" => Format::Junit,
            "dot" => Format::Dot,
            other => {
                return Err(format!(
                    "unknown format `{other}` (expected human, json, sarif, github, junit)"
                ))
            }
        })
    }
}

/// Renders `report` in a CI format (SARIF, GitHub workflow commands, JUnit). `registry` is the rule catalog ([`crate::rules::all`]).
pub fn render(report: &Report, format: Format, registry: &[&RuleInfo]) -> Result<String, Error> {
    match format {
        Format::Sarif => Ok(sarif::sarif_string(report, registry)),
        Format::Github => Ok(github::github(report, &GithubOptions::default()).text),
        Format::Junit => Ok(junit::junit(report, registry)),
        other => Err(Error::Usage(format!(
            "--format {other:?} is not a CI format (expected sarif, github or junit)"
        ))),
    }
}

/// A finding with a path full of characters the formats must escape (tests of the
/// format modules).
#[cfg(test)]
pub(crate) fn test_diag(sev: Severity, msg: &str) -> Diagnostic {
    Diagnostic::new("scope.out-of-scope", sev, msg).with_path("src/a,b:c.rs")
}
