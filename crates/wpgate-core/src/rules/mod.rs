//! The rule registry and the emitter every rule reports through.
//!
//! Each rule has a stable dotted id (`scope.out-of-scope`), a default severity, a one-line
//! summary and a help text with an example, shown by `wpgate explain`. Modules that own
//! rules export a `RULES` table; [`all`] concatenates them.

use crate::diag::{Diagnostic, Report, Severity};
use crate::policy::Policy;

pub mod diff;
pub mod packet;

/// Static description of a rule.
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

/// Every rule of wpgate, in registry order.
pub fn all() -> Vec<&'static RuleInfo> {
    let tables: [&'static [RuleInfo]; 12] = [
        packet::RULES,
        diff::RULES,
        crate::lock::RULES,
        crate::guard::RULES,
        crate::spec::RULES,
        crate::board::RULES,
        crate::deps::RULES,
        crate::phase::RULES,
        crate::waiver::RULES,
        crate::oss::RULES,
        crate::signature::RULES,
        crate::content::RULES,
    ];
    tables.iter().flat_map(|t| t.iter()).collect()
}

pub fn all_rule_ids() -> Vec<&'static str> {
    all().into_iter().map(|r| r.id).collect()
}

pub fn info(id: &str) -> Option<&'static RuleInfo> {
    all().into_iter().find(|r| r.id == id)
}

pub fn default_severity(id: &str) -> Option<Severity> {
    info(id).map(|r| r.default)
}

/// Collects diagnostics, applying the policy's severity and code for each rule and the
/// registry's help text; drops diagnostics of rules that are off.
pub struct Emitter<'p> {
    pub policy: &'p Policy,
    pub report: Report,
    /// Stamped on every diagnostic emitted (range and pre-push checks).
    pub commit: Option<String>,
}

impl<'p> Emitter<'p> {
    pub fn new(policy: &'p Policy) -> Self {
        Emitter {
            policy,
            report: Report::new(),
            commit: None,
        }
    }

    pub fn enabled(&self, rule: &str) -> bool {
        self.policy.enabled(rule)
    }

    /// Emits `d` under its rule's configured severity (the severity `d` carries is ignored).
    pub fn emit(&mut self, mut d: Diagnostic) {
        let Some(sev) = self.policy.severity_of(&d.rule) else {
            return;
        };
        d.severity = sev;
        if d.code.is_none() {
            d.code = self.policy.code_of(&d.rule).map(str::to_string);
        }
        if d.commit.is_none() {
            d.commit = self.commit.clone();
        }
        if d.help.is_none() {
            d.help = info(&d.rule).map(|r| r.summary.to_string());
        }
        self.report.push(d);
    }

    /// Emits a note (never fails a run): skipped files, waived findings.
    pub fn note(&mut self, mut d: Diagnostic) {
        d.severity = Severity::Note;
        if d.commit.is_none() {
            d.commit = self.commit.clone();
        }
        self.report.push(d);
    }

    pub fn finish(self) -> Report {
        self.report
    }
}

/// Shorthand for a diagnostic of `rule` (severity is set by the [`Emitter`]).
pub fn diag(rule: &str, message: impl Into<String>) -> Diagnostic {
    Diagnostic::new(rule, Severity::Error, message)
}
