//! The rules: one module per rule family, named by the rule id's prefix
//! (`scope.out-of-scope` lives in [`scope`]), each holding its `RULES` table and its
//! checks. This module is the registry ([`all`], [`info`]) and the [`Emitter`] every rule
//! reports through.
//!
//! Each rule has a stable dotted id, a default severity, a one-line summary and a help
//! text with an example, shown by `wpgate explain`. A rule is a function of parsed models
//! (`crate::model`), the change, the documents of a workspace (`crate::source`) and the
//! policy; it never opens git or the file system.

use std::path::Path;

use crate::policy::{Policy, PolicyError, PolicySource};
use crate::report::{Diagnostic, Report, Severity};

pub use crate::report::RuleInfo;

pub mod binding;
pub mod board;
pub mod content;
pub mod deps;
pub mod lock;
pub mod oss;
pub mod packet;
pub mod phase;
pub mod policy;
pub mod role;
pub mod scope;
pub mod signature;
pub mod spec;
pub mod waiver;

/// Every rule of wpgate, in registry order (by family).
pub fn all() -> Vec<&'static RuleInfo> {
    let tables: [&'static [RuleInfo]; 14] = [
        packet::RULES,
        binding::RULES,
        scope::RULES,
        role::RULES,
        lock::RULES,
        policy::RULES,
        spec::RULES,
        board::RULES,
        deps::RULES,
        phase::RULES,
        waiver::RULES,
        oss::RULES,
        signature::RULES,
        content::RULES,
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

fn is_known(id: &str) -> bool {
    info(id).is_some()
}

/// The parts of [`Policy`] that need the registry (the policy layer sits below it).
impl Policy {
    /// Parses a policy text (named `file` in errors), merges it over the default unless
    /// it says `extends = "none"`, and checks every rule id it names against the registry.
    pub fn from_text(file: &str, text: &str) -> Result<Policy, Box<PolicyError>> {
        Policy::from_text_with(file, text, &is_known)
    }

    /// Loads the policy of a repository: `explicit` if given, else `wpgate.toml` /
    /// `.wpgate.toml` at `root`, else the embedded default.
    pub fn discover(
        root: &Path,
        explicit: Option<&Path>,
    ) -> Result<(Policy, PolicySource), crate::Error> {
        Policy::discover_with(root, explicit, &is_known)
    }

    /// The severity of a rule under this policy (`None` when off): its `[rules]` setting,
    /// else a content rule's own severity, else the registry default.
    pub fn severity_of(&self, rule: &str) -> Option<Severity> {
        if let Some(s) = self.rules.get(rule).and_then(|s| s.severity) {
            return s.severity();
        }
        // A content rule's own severity (policy) wins over the registry default.
        if let Some(r) = self.content.rules.iter().find(|r| r.id == rule) {
            return r.severity.severity();
        }
        default_severity(rule)
    }

    /// Is this rule enabled?
    pub fn enabled(&self, rule: &str) -> bool {
        self.severity_of(rule).is_some()
    }
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
