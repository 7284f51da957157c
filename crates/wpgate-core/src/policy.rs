//! Policy files: declarative TOML that sets the repository layout, the packet syntax,
//! how changes bind to packets, and every rule's severity and organisation code.
//!
//! Loading: the embedded default (`policies/default.toml`) is the base; a repository's
//! `wpgate.toml` / `.wpgate.toml` (or `--policy FILE`) is first validated on its own
//! (unknown keys and wrong types are reported with file, line and column), then merged
//! over the default table by table (tables merge, any other value replaces). A policy
//! with `extends = "none"` replaces the default entirely.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use miette::{NamedSource, SourceSpan};
use serde::{Deserialize, Serialize};

use crate::diag::{line_col, Severity};

/// The default policy, embedded in the binary.
pub const DEFAULT_POLICY: &str = include_str!("../../../policies/default.toml");
/// The default task packet template, embedded in the binary.
pub const DEFAULT_TEMPLATE: &str = include_str!("../../../policies/templates/task_packet.md");

/// Names a repository's own policy may have, in order of preference.
pub const POLICY_FILE_NAMES: &[&str] = &["wpgate.toml", ".wpgate.toml"];

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// `"default"` (merge over the embedded default; the default) or `"none"`.
    pub extends: Option<String>,
    pub layout: Layout,
    pub packet: PacketPolicy,
    pub binding: BindingPolicy,
    pub scope: ScopePolicy,
    pub lock: LockPolicy,
    pub roles: RolesPolicy,
    pub git: GitPolicy,
    pub spec: crate::spec::SpecPolicy,
    pub board: crate::board::BoardPolicy,
    pub deps: crate::deps::DepsPolicy,
    pub phase: crate::phase::PhasePolicy,
    pub waivers: crate::waiver::WaiverPolicy,
    pub oss: crate::oss::OssPolicy,
    pub signatures: crate::signature::SignaturePolicy,
    pub content: crate::content::ContentPolicy,
    pub limits: Limits,
    /// Per-rule settings by stable rule id.
    pub rules: BTreeMap<String, RuleSetting>,
}

/// Where the governance files live.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Layout {
    pub packets_dir: String,
    /// File-name glob of packets inside `packets_dir`.
    pub packet_glob: String,
    pub task_board: String,
    pub spec_current: String,
    pub oss_register: String,
    pub signature_audit: String,
    pub waivers: String,
    /// The packet template of the repository (used by `packet new` when present).
    pub template: String,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            packets_dir: "docs/task_packets".into(),
            packet_glob: "WP-*.md".into(),
            task_board: "docs/TASK_BOARD.md".into(),
            spec_current: "docs/SPEC_CURRENT.md".into(),
            oss_register: "docs/OSS_REGISTER.md".into(),
            signature_audit: "docs/SIGNATURE_AUDIT.md".into(),
            waivers: "docs/WAIVERS.toml".into(),
            template: "docs/templates/TASK_PACKET_TEMPLATE.md".into(),
        }
    }
}

/// Field names of the packet format: canonical name → the labels and headings teams write.
/// Matching ignores case and treats `_`, `-` and spaces alike.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct FieldAliases {
    pub task_id: Vec<String>,
    pub status: Vec<String>,
    pub risk_tier: Vec<String>,
    pub what: Vec<String>,
    pub why: Vec<String>,
    pub scope: Vec<String>,
    pub in_scope_paths: Vec<String>,
    pub out_of_scope: Vec<String>,
    pub spec_anchor: Vec<String>,
    pub done_means: Vec<String>,
    pub test_plan: Vec<String>,
    pub rollback_hint: Vec<String>,
    pub files_to_open: Vec<String>,
    pub search_terms: Vec<String>,
    pub run_commands: Vec<String>,
    pub risk_map: Vec<String>,
    pub signature: Vec<String>,
    pub dependencies: Vec<String>,
    pub effort: Vec<String>,
    pub lock_digest: Vec<String>,
    /// Headings that start an appended validation report (the end of the authored packet
    /// when it has no lock footer).
    pub report_headings: Vec<String>,
}

fn v(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

impl Default for FieldAliases {
    fn default() -> Self {
        FieldAliases {
            task_id: v(&["TASK_ID", "WP_ID"]),
            status: v(&["STATUS", "WP_STATUS"]),
            risk_tier: v(&["RISK_TIER", "Risk Tier", "Risk Level"]),
            what: v(&["What"]),
            why: v(&["Why"]),
            scope: v(&["Scope"]),
            in_scope_paths: v(&[
                "IN_SCOPE_PATHS",
                "In-scope paths",
                "In Scope",
                "IN_SCOPE",
                "In-scope",
            ]),
            out_of_scope: v(&["OUT_OF_SCOPE", "Out of Scope", "Out-of-scope paths"]),
            spec_anchor: v(&["SPEC_ANCHOR", "SPEC_ANCHORS", "Spec Anchor"]),
            done_means: v(&["DONE_MEANS", "Definition of Done"]),
            test_plan: v(&["TEST_PLAN", "Test Plan"]),
            rollback_hint: v(&["ROLLBACK_HINT", "Rollback", "Rollback Plan"]),
            files_to_open: v(&["FILES_TO_OPEN"]),
            search_terms: v(&["SEARCH_TERMS"]),
            run_commands: v(&["RUN_COMMANDS"]),
            risk_map: v(&["RISK_MAP"]),
            signature: v(&["USER_SIGNATURE", "User Signature Locked", "User Signature"]),
            dependencies: v(&[
                "Dependencies",
                "Depends on",
                "Blocker",
                "Blockers",
                "Blocked by",
                "Prerequisites",
            ]),
            effort: v(&["Effort", "Effort estimate", "Estimated effort", "Estimate"]),
            lock_digest: v(&["LOCK_DIGEST"]),
            report_headings: v(&[
                "VALIDATION REPORT",
                "VALIDATION_REPORTS",
                "REVALIDATION REPORT",
            ]),
        }
    }
}

/// Task packet format and the pre-work checklist.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PacketPolicy {
    pub fields: FieldAliases,
    /// Canonical field names `packet.missing-field` requires.
    pub required_fields: Vec<String>,
    pub risk_tiers: Vec<String>,
    /// `[min, max]` item counts of the bootstrap lists (`packet.bootstrap-size`).
    pub files_to_open: [usize; 2],
    pub search_terms: [usize; 2],
    pub risk_map: [usize; 2],
    /// A directory entry of IN_SCOPE_PATHS with fewer segments than this is vague.
    pub min_dir_depth: usize,
    /// Pattern of packet ids (`packet new` refuses others).
    pub id_pattern: String,
}

impl Default for PacketPolicy {
    fn default() -> Self {
        PacketPolicy {
            fields: FieldAliases::default(),
            required_fields: v(&[
                "task_id",
                "status",
                "what",
                "why",
                "in_scope_paths",
                "out_of_scope",
                "spec_anchor",
                "risk_tier",
                "test_plan",
                "done_means",
                "rollback_hint",
                "files_to_open",
                "search_terms",
                "run_commands",
                "risk_map",
                "dependencies",
                "effort",
            ]),
            risk_tiers: v(&["LOW", "MEDIUM", "HIGH"]),
            files_to_open: [5, 15],
            search_terms: [10, 20],
            risk_map: [3, 8],
            min_dir_depth: 3,
            id_pattern: r"^WP-[0-9A-Za-z]+-[A-Za-z0-9][A-Za-z0-9._-]*$".into(),
        }
    }
}

/// How a change is bound to its packet.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BindingPolicy {
    /// Sources tried in order: `subject`, `trailer`, `branch`, `env`.
    pub order: Vec<String>,
    /// Regex with one capture group: the packet id in a commit subject.
    pub subject_pattern: String,
    /// Trailer key naming the packet (`Work-Packet: WP-1-Foo`).
    pub trailer: String,
    /// Regex with one capture group: the packet id in a branch name.
    pub branch_pattern: String,
    /// Environment variable naming the packet (pre-commit, CI).
    pub env: String,
}

impl Default for BindingPolicy {
    fn default() -> Self {
        BindingPolicy {
            order: v(&["subject", "trailer", "branch", "env"]),
            subject_pattern: r"\[(WP-[0-9A-Za-z]+-[A-Za-z0-9][A-Za-z0-9._-]*)\]".into(),
            trailer: "Work-Packet".into(),
            branch_pattern: r"(?:^|/)(WP-[0-9A-Za-z]+-[A-Za-z0-9][A-Za-z0-9._-]*)$".into(),
            env: "WPGATE_WP".into(),
        }
    }
}

/// Paths every change may touch, and paths that need no packet at all.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ScopePolicy {
    /// Globs every bound packet may touch besides its IN_SCOPE_PATHS. `{packet}` is the
    /// bound packet's own file.
    pub always_allowed: Vec<String>,
    /// Globs of paths that are not governed: a change touching only these needs no packet.
    pub exempt: Vec<String>,
    /// Packet statuses under which work may be committed (`packet.inactive-status`).
    pub active_statuses: Vec<String>,
}

impl Default for ScopePolicy {
    fn default() -> Self {
        ScopePolicy {
            always_allowed: v(&["{packet}", "docs/TASK_BOARD.md"]),
            exempt: v(&[
                "docs/task_packets/**",
                "docs/TASK_BOARD.md",
                "docs/SIGNATURE_AUDIT.md",
            ]),
            active_statuses: v(&["Ready for Dev", "In Progress"]),
        }
    }
}

/// Lock immutability.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LockPolicy {
    /// Metadata fields that may change in a locked packet (their lines are left out of the
    /// locked content and of the digest).
    pub mutable_fields: Vec<String>,
    /// Signatures that are placeholders, not locks (case-insensitive regex, whole value).
    pub placeholder_pattern: String,
}

impl Default for LockPolicy {
    fn default() -> Self {
        LockPolicy {
            mutable_fields: v(&["STATUS"]),
            placeholder_pattern: r"(?i)^\s*(\{.*\}|<.*>|\[.*\]|pending|tbd|todo|none|n/?a|-+|)\s*$"
                .into(),
        }
    }
}

/// Roles and the paths they may write.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RolesPolicy {
    /// Trailer naming the role of a commit (`Role: Orchestrator`).
    pub trailer: String,
    /// Author e-mail → role.
    pub emails: BTreeMap<String, String>,
    /// Role name → what it may write.
    pub paths: BTreeMap<String, RolePaths>,
}

impl Default for RolesPolicy {
    fn default() -> Self {
        let mut paths = BTreeMap::new();
        paths.insert(
            "Orchestrator".to_string(),
            RolePaths {
                allow: v(&[
                    "docs/task_packets/**",
                    "docs/TASK_BOARD.md",
                    "docs/SIGNATURE_AUDIT.md",
                ]),
                deny: v(&["src/**", "app/**", "tests/**", "scripts/**"]),
            },
        );
        RolesPolicy {
            trailer: "Role".into(),
            emails: BTreeMap::new(),
            paths,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RolePaths {
    /// When non-empty, the role may write only paths matching one of these globs.
    pub allow: Vec<String>,
    /// The role may never write paths matching these globs.
    pub deny: Vec<String>,
}

/// How commits are read.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct GitPolicy {
    /// `first` (a merge is checked against its first parent) or `all`.
    pub merge_parents: String,
    /// Detect renames when diffing (a rename is checked on both paths).
    pub renames: bool,
}

impl Default for GitPolicy {
    fn default() -> Self {
        GitPolicy {
            merge_parents: "first".into(),
            renames: true,
        }
    }
}

/// Size bounds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Files larger than this (bytes) are skipped by content rules, with a note.
    pub max_content_bytes: u64,
    /// Compiled size limit of policy regexes (bytes).
    pub regex_size_limit: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_content_bytes: 1024 * 1024,
            regex_size_limit: 1 << 20,
        }
    }
}

/// A rule's setting: severity and an organisation code shown beside the rule id.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RuleSetting {
    pub severity: Option<Level>,
    pub code: Option<String>,
}

/// A rule's configured level.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Off,
}

impl Level {
    pub fn severity(self) -> Option<Severity> {
        match self {
            Level::Error => Some(Severity::Error),
            Level::Warning => Some(Severity::Warning),
            Level::Off => None,
        }
    }
}

/// Where a policy came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicySource {
    Embedded,
    File(PathBuf),
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

impl Policy {
    /// The embedded default policy.
    pub fn embedded() -> Policy {
        // The embedded default is checked by tests; a failure here is a build defect.
        match toml::from_str::<Policy>(DEFAULT_POLICY) {
            Ok(p) => p,
            Err(e) => panic!("embedded default policy is invalid: {e}"),
        }
    }

    /// Parses a policy text (named `file` in errors) and merges it over the default
    /// unless it says `extends = "none"`.
    pub fn from_text(file: &str, text: &str) -> Result<Policy, Box<PolicyError>> {
        // Pass 1: the file on its own, for precise errors (unknown keys, types, syntax).
        let own: Policy = toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
        let merged = match own.extends.as_deref() {
            None | Some("default") => {
                let mut base: toml::Table = toml::from_str(DEFAULT_POLICY)
                    .map_err(|e| toml_error("<embedded default>", DEFAULT_POLICY, &e))?;
                let over: toml::Table =
                    toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
                merge_tables(&mut base, over);
                Policy::deserialize(toml::Value::Table(base)).map_err(|e| {
                    PolicyError::at(
                        file,
                        text,
                        0..0,
                        format!("after merging with the default: {e}"),
                    )
                })?
            }
            Some("none") => own,
            Some(other) => {
                let span = find_span(text, "extends").unwrap_or(0..0);
                return Err(PolicyError::at(
                    file,
                    text,
                    span,
                    format!(
                        "unknown value `{other}` for `extends`: expected \"default\" or \"none\""
                    ),
                ));
            }
        };
        merged.validate(file, text)?;
        Ok(merged)
    }

    /// Loads the policy of a repository: `explicit` if given, else `wpgate.toml` /
    /// `.wpgate.toml` at `root`, else the embedded default.
    pub fn discover(
        root: &Path,
        explicit: Option<&Path>,
    ) -> Result<(Policy, PolicySource), crate::Error> {
        let path = match explicit {
            Some(p) => Some(p.to_path_buf()),
            // Anything standing at a policy name (a file, a dangling symlink, a directory)
            // is the repository's policy: unreadable means exit 2, never the default.
            None => POLICY_FILE_NAMES
                .iter()
                .map(|n| root.join(n))
                .find(|p| std::fs::symlink_metadata(p).is_ok()),
        };
        match path {
            None => Ok((Policy::embedded(), PolicySource::Embedded)),
            Some(p) => {
                let text = std::fs::read_to_string(&p).map_err(|e| crate::Error::Io {
                    path: p.display().to_string(),
                    source: e,
                })?;
                let shown = p.strip_prefix(root).unwrap_or(&p).display().to_string();
                let policy = Policy::from_text(&shown, &text)?;
                Ok((policy, PolicySource::File(p)))
            }
        }
    }

    /// Checks what serde cannot: rule ids exist, regexes compile within the size limit,
    /// globs parse.
    fn validate(&self, file: &str, text: &str) -> Result<(), Box<PolicyError>> {
        let known = crate::rules::all_rule_ids();
        for id in self.rules.keys() {
            if !known.iter().any(|k| k == id) && !self.content.rules.iter().any(|r| &r.id == id) {
                let span = find_span(text, id).unwrap_or(0..0);
                return Err(PolicyError::at(
                    file,
                    text,
                    span,
                    format!("unknown rule id `{id}` in [rules] (see `wpgate explain --list`)"),
                ));
            }
        }
        let limit = self.limits.regex_size_limit;
        let mut regexes: Vec<(&str, &str)> = vec![
            ("subject_pattern", self.binding.subject_pattern.as_str()),
            ("branch_pattern", self.binding.branch_pattern.as_str()),
            (
                "placeholder_pattern",
                self.lock.placeholder_pattern.as_str(),
            ),
            ("id_pattern", self.packet.id_pattern.as_str()),
        ];
        for (key, re) in self.extra_regexes() {
            regexes.push((key, re));
        }
        for (key, re) in regexes {
            if let Err(e) = regex::RegexBuilder::new(re).size_limit(limit).build() {
                let span = find_span(text, key).unwrap_or(0..0);
                return Err(PolicyError::at(
                    file,
                    text,
                    span,
                    format!("`{key}` is not a usable regex: {e}"),
                ));
            }
        }
        let mut globs: Vec<(&str, &str)> = Vec::new();
        for g in &self.scope.always_allowed {
            globs.push(("always_allowed", g));
        }
        for g in &self.scope.exempt {
            globs.push(("exempt", g));
        }
        for rp in self.roles.paths.values() {
            for g in rp.allow.iter().chain(rp.deny.iter()) {
                globs.push(("roles", g));
            }
        }
        for (key, g) in globs {
            let g = g.replace("{packet}", "packet");
            if let Err(e) = globset::Glob::new(&g) {
                let span = find_span(text, key).unwrap_or(0..0);
                return Err(PolicyError::at(
                    file,
                    text,
                    span,
                    format!("`{key}` has an invalid glob `{g}`: {e}"),
                ));
            }
        }
        Ok(())
    }

    fn extra_regexes(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        for r in &self.content.rules {
            out.push(("content.rules.pattern", r.pattern.as_str()));
        }
        out.push(("signatures.pattern", self.signatures.pattern.as_str()));
        out
    }

    /// The severity of a rule under this policy (`None` when off).
    pub fn severity_of(&self, rule: &str) -> Option<Severity> {
        if let Some(s) = self.rules.get(rule).and_then(|s| s.severity) {
            return s.severity();
        }
        // A content rule's own severity (policy) wins over the registry default.
        if let Some(r) = self.content.rules.iter().find(|r| r.id == rule) {
            return r.severity.severity();
        }
        crate::rules::default_severity(rule)
    }

    /// The organisation code configured for a rule.
    pub fn code_of(&self, rule: &str) -> Option<&str> {
        self.rules.get(rule).and_then(|s| s.code.as_deref())
    }

    /// Is this rule enabled?
    pub fn enabled(&self, rule: &str) -> bool {
        self.severity_of(rule).is_some()
    }
}

fn toml_error(file: &str, text: &str, e: &toml::de::Error) -> Box<PolicyError> {
    let span = e.span().unwrap_or(0..0);
    PolicyError::at(file, text, span, e.message().to_string())
}

/// Deep-merges `over` into `base`: tables merge recursively, other values replace, except
/// arrays of tables keyed by `id` (`[[content.rules]]`), which merge entry by entry: an
/// entry with a known id replaces that entry, a new id is appended.
pub fn merge_tables(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge_tables(b, o),
            (Some(toml::Value::Array(b)), toml::Value::Array(o))
                if is_id_keyed(b) && is_id_keyed(&o) =>
            {
                for item in o {
                    let id = item.get("id").cloned();
                    match b.iter_mut().find(|x| x.get("id") == id.as_ref()) {
                        Some(slot) => *slot = item,
                        None => b.push(item),
                    }
                }
            }
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

fn is_id_keyed(items: &[toml::Value]) -> bool {
    items
        .iter()
        .all(|i| i.as_table().is_some_and(|t| t.contains_key("id")))
}

/// Best-effort span of the first occurrence of `needle` in `text`.
fn find_span(text: &str, needle: &str) -> Option<std::ops::Range<usize>> {
    text.find(needle).map(|i| i..i + needle.len())
}
