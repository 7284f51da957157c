//! The policy schema: every section and key of a policy file, with its default. Sections
//! of rule families are named after them (`[spec]` configures `rules/spec.rs`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::report::Severity;

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
    pub trust: TrustPolicy,
    pub spec: SpecPolicy,
    pub board: BoardPolicy,
    pub deps: DepsPolicy,
    pub phase: PhasePolicy,
    pub waivers: WaiverPolicy,
    pub oss: OssPolicy,
    pub signatures: SignaturePolicy,
    pub content: ContentPolicy,
    pub limits: Limits,
    /// Per-rule settings by stable rule id.
    pub rules: BTreeMap<String, RuleSetting>,
}

/// Where the governance files live.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Layout {
    /// The packets directory of a single-root layout (used when `packet_roots` is empty).
    pub packets_dir: String,
    /// File-name glob of packets inside `packets_dir`.
    pub packet_glob: String,
    /// Packet roots: each a set of repository-relative globs with a kind. When empty, one
    /// `active` root of the files matching `packet_glob` directly inside `packets_dir`.
    pub packet_roots: Vec<PacketRoot>,
    pub task_board: Candidates,
    pub spec_current: Candidates,
    pub oss_register: Candidates,
    pub signature_audit: Candidates,
    pub waivers: Candidates,
    /// The packet template of the repository (used by `packet new` when present).
    pub template: Candidates,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            packets_dir: "docs/task_packets".into(),
            packet_glob: "WP-*.md".into(),
            packet_roots: Vec::new(),
            task_board: "docs/TASK_BOARD.md".into(),
            spec_current: "docs/SPEC_CURRENT.md".into(),
            oss_register: "docs/OSS_REGISTER.md".into(),
            signature_audit: "docs/SIGNATURE_AUDIT.md".into(),
            waivers: "docs/WAIVERS.toml".into(),
            template: "docs/templates/TASK_PACKET_TEMPLATE.md".into(),
        }
    }
}

impl Layout {
    /// The packet roots in effect: `packet_roots`, or the single root of `packets_dir`
    /// and `packet_glob`.
    pub fn roots(&self) -> Vec<PacketRoot> {
        if !self.packet_roots.is_empty() {
            return self.packet_roots.clone();
        }
        let dir = self.packets_dir.trim_matches('/');
        let glob = if dir.is_empty() {
            self.packet_glob.clone()
        } else {
            format!("{dir}/{}", self.packet_glob)
        };
        vec![PacketRoot {
            kind: PacketKind::Active,
            include: vec![glob],
            exclude: Vec::new(),
        }]
    }
}

/// A layout path with candidates: a string, or a list whose first entry that exists in
/// the tree being checked wins (`["records/TASK_BOARD.md", "TASK_BOARD.md"]`). Every
/// candidate is a governance file, whichever exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidates(pub Vec<String>);

impl Candidates {
    /// The first candidate: the path named when none exists.
    pub fn primary(&self) -> &str {
        self.0.first().map(String::as_str).unwrap_or("")
    }
    pub fn all(&self) -> &[String] {
        &self.0
    }
}

impl PartialEq<&str> for Candidates {
    fn eq(&self, other: &&str) -> bool {
        matches!(self.0.as_slice(), [one] if one == other)
    }
}

impl From<&str> for Candidates {
    fn from(s: &str) -> Self {
        Candidates(vec![s.to_string()])
    }
}

impl From<String> for Candidates {
    fn from(s: String) -> Self {
        Candidates(vec![s])
    }
}

impl std::fmt::Display for Candidates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join(" or "))
    }
}

impl Serialize for Candidates {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => s.serialize_str(one),
            many => many.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Candidates {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        match OneOrMany::deserialize(d) {
            Ok(OneOrMany::One(s)) => Ok(Candidates(vec![s])),
            Ok(OneOrMany::Many(v)) if !v.is_empty() => Ok(Candidates(v)),
            Ok(OneOrMany::Many(_)) => Err(serde::de::Error::custom(
                "expected a path or a non-empty list of candidate paths",
            )),
            Err(_) => Err(serde::de::Error::custom(
                "expected a path or a list of candidate paths",
            )),
        }
    }
}

/// What a packet root holds.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash, Default)]
#[serde(rename_all = "lowercase")]
pub enum PacketKind {
    /// Packets that may authorise work (subject to their STATUS and lock).
    #[default]
    Active,
    /// Planned packets: known (on the board, in bindings) but not yet activated.
    Stub,
    /// Archived packets: known, never authorise work.
    Archive,
}

impl PacketKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PacketKind::Active => "active",
            PacketKind::Stub => "stub",
            PacketKind::Archive => "archive",
        }
    }
}

/// One packet root: repository-relative globs (`*` stays within a path segment, `**`
/// crosses them) of flat packet files (`WP-*.md`) and folder packets (`WP-*/packet.json`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PacketRoot {
    #[serde(default)]
    pub kind: PacketKind,
    pub include: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
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
    /// Where a packet's identity comes from: `"name"` (the file stem, or the folder name
    /// of a folder packet; a TASK_ID that differs is `packet.id-mismatch`) or `"field"`
    /// (the TASK_ID field / the `id` pointer, falling back to the name).
    pub identity: String,
    /// File names that make a folder packet (`WP-1-Foo/packet.json`): its identity is the
    /// folder's name. When a folder holds several, the first listed is the contract.
    pub folder_files: Vec<String>,
    /// Suffixes removed from a flat packet file's name to give its identity, longest
    /// first (`WP-1-Foo.contract.json` → `WP-1-Foo`).
    pub id_suffixes: Vec<String>,
    /// A Markdown file with the same identity as a structured (JSON/TOML) packet in the same
    /// directory is that contract's projection (checked by `packet.projection-drift`),
    /// never a second packet.
    pub projections: bool,
    /// Fields a structured packet must have (`packet.missing-field`), canonical names.
    pub structured_required_fields: Vec<String>,
    /// JSON pointers of a structured packet's fields.
    pub pointers: PacketPointers,
    /// Microtasks: the children of a packet.
    pub microtasks: MicrotaskPolicy,
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
            identity: "name".into(),
            folder_files: v(DEFAULT_FOLDER_FILES),
            id_suffixes: v(DEFAULT_ID_SUFFIXES),
            projections: true,
            structured_required_fields: v(&[
                "task_id",
                "status",
                "in_scope_paths",
                "out_of_scope",
                "spec_anchor",
                "done_means",
            ]),
            pointers: PacketPointers::default(),
            microtasks: MicrotaskPolicy::default(),
        }
    }
}

/// Default `packet.folder_files`.
pub const DEFAULT_FOLDER_FILES: &[&str] = &["packet.toml", "packet.json", "packet.md"];
/// Default `packet.id_suffixes`.
pub const DEFAULT_ID_SUFFIXES: &[&str] =
    &[".contract.toml", ".contract.json", ".toml", ".json", ".md"];

/// JSON pointers (RFC 6901) of a structured packet's fields, by the canonical names of
/// `[packet.fields]`; each lists candidates, the first present wins. The default is
/// wpgate's own structured format (`wpgate packet new --format toml`, `wpgate schema
/// packet`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PacketPointers {
    pub task_id: Candidates,
    pub title: Candidates,
    pub status: Candidates,
    pub risk_tier: Candidates,
    pub what: Candidates,
    pub why: Candidates,
    pub in_scope_paths: Candidates,
    pub out_of_scope: Candidates,
    pub spec_anchor: Candidates,
    pub done_means: Candidates,
    pub test_plan: Candidates,
    pub rollback_hint: Candidates,
    pub files_to_open: Candidates,
    pub search_terms: Candidates,
    pub run_commands: Candidates,
    pub risk_map: Candidates,
    pub signature: Candidates,
    pub lock_digest: Candidates,
    pub dependencies: Candidates,
    pub blocks: Candidates,
    pub effort: Candidates,
    /// Other ids the packet answers to (`base_wp_id`).
    pub aliases: Candidates,
    /// Microtasks declared in the packet itself: a list of objects (read with the
    /// `[packet.microtasks.pointers]`), or of ids of microtask files.
    pub microtasks: Candidates,
}

fn c(items: &[&str]) -> Candidates {
    Candidates(v(items))
}

impl Default for PacketPointers {
    fn default() -> Self {
        PacketPointers {
            task_id: c(&["/id"]),
            title: c(&["/title"]),
            status: c(&["/status"]),
            risk_tier: c(&["/risk_tier"]),
            what: c(&["/what"]),
            why: c(&["/why"]),
            in_scope_paths: c(&["/scope/in"]),
            out_of_scope: c(&["/scope/out"]),
            spec_anchor: c(&["/spec_anchors"]),
            done_means: c(&["/done_means"]),
            test_plan: c(&["/test_plan"]),
            rollback_hint: c(&["/rollback_hint"]),
            files_to_open: c(&["/bootstrap/files_to_open"]),
            search_terms: c(&["/bootstrap/search_terms"]),
            run_commands: c(&["/bootstrap/run_commands"]),
            risk_map: c(&["/bootstrap/risk_map"]),
            signature: c(&["/lock/signature"]),
            lock_digest: c(&["/lock/digest"]),
            dependencies: c(&["/depends_on"]),
            blocks: c(&["/blocks"]),
            effort: c(&["/effort"]),
            aliases: c(&["/aliases"]),
            microtasks: c(&["/microtasks"]),
        }
    }
}

/// Microtasks: files in a folder packet's folder (`MT-*.json`, `MT-*.md`; a Markdown file
/// beside a structured one of the same name is its projection), or declared in the packet.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MicrotaskPolicy {
    /// File-name globs of microtask files inside a folder packet's folder.
    pub files: Vec<String>,
    /// Regex of a microtask id (in commit subjects, trailers and branches: group 0).
    pub id_pattern: String,
    pub pointers: MicrotaskPointers,
}

impl Default for MicrotaskPolicy {
    fn default() -> Self {
        MicrotaskPolicy {
            files: v(&["MT-*.toml", "MT-*.json", "MT-*.md"]),
            id_pattern: r"\bMT-[0-9]+[A-Za-z]?\b".into(),
            pointers: MicrotaskPointers::default(),
        }
    }
}

/// JSON pointers of a structured microtask's fields (relative to the microtask object).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MicrotaskPointers {
    pub id: Candidates,
    pub title: Candidates,
    pub status: Candidates,
    pub in_scope_paths: Candidates,
    pub out_of_scope: Candidates,
    pub dependencies: Candidates,
}

impl Default for MicrotaskPointers {
    fn default() -> Self {
        MicrotaskPointers {
            id: c(&["/id"]),
            title: c(&["/title"]),
            status: c(&["/status"]),
            in_scope_paths: c(&["/scope/in"]),
            out_of_scope: c(&["/scope/out"]),
            dependencies: c(&["/depends_on"]),
        }
    }
}

/// How a change is bound to its packet.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BindingPolicy {
    /// Sources tried in order: `subject`, `trailer`, `branch`, `env`.
    pub order: Vec<String>,
    /// Regexes with one capture group each: the packet id in a commit subject. The first
    /// that matches wins.
    pub subject_pattern: Candidates,
    /// Trailer key naming the packet (`Work-Packet: WP-1-Foo`).
    pub trailer: String,
    /// Regex with one capture group: the packet id in a branch name.
    pub branch_pattern: String,
    /// Environment variable naming the packet (pre-commit, CI).
    pub env: String,
    /// Trailer key naming the microtask (`Microtask: MT-183`).
    pub microtask_trailer: String,
    /// Environment variable naming the microtask.
    pub microtask_env: String,
    /// A short id that is a unique prefix (at a `-`) of one packet id names that packet.
    pub resolve_prefixes: bool,
}

impl Default for BindingPolicy {
    fn default() -> Self {
        BindingPolicy {
            order: v(&["subject", "trailer", "branch", "env"]),
            subject_pattern: c(&[
                r"\[(WP-[0-9A-Za-z]+-[A-Za-z0-9][A-Za-z0-9._-]*)\]",
                r"^[A-Za-z]+\((WP-[0-9A-Za-z]+-[A-Za-z0-9][A-Za-z0-9._-]*)\)!?:",
                r"^(WP-[0-9A-Za-z]+-[A-Za-z0-9][A-Za-z0-9._-]*)(?:\s+MT-[0-9]+[A-Za-z]?)?\s*:",
            ]),
            trailer: "Work-Packet".into(),
            branch_pattern: r"(?:^|/)(WP-[0-9A-Za-z]+-[A-Za-z0-9][A-Za-z0-9._-]*)$".into(),
            env: "WPGATE_WP".into(),
            microtask_trailer: "Microtask".into(),
            microtask_env: "WPGATE_MT".into(),
            resolve_prefixes: true,
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
    /// Path-prefix aliases applied to scope entries of packets and microtasks:
    /// `"../handshake_main/" = ""` reads `../handshake_main/src/x.rs` as `src/x.rs`.
    pub path_aliases: BTreeMap<String, String>,
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
            path_aliases: BTreeMap::new(),
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
    /// JSON pointers of a structured packet that may change once it is locked (besides its
    /// status and lock digest pointers, which always may): left out of its canonical
    /// locked form and digest.
    pub mutable_pointers: Vec<String>,
    /// Sections that may change in a locked packet: regexes matched against a heading's
    /// text (without the `#` markers). The body of a matching heading (from the line after
    /// it to the next heading of the same or a higher level) is left out of the locked
    /// content and of the digest; the heading line itself stays locked. When two versions
    /// are compared, the mutable sections are those of the trusted (old) version.
    pub mutable_sections: Vec<String>,
}

impl Default for LockPolicy {
    fn default() -> Self {
        LockPolicy {
            mutable_sections: Vec::new(),
            mutable_fields: v(&["STATUS"]),
            placeholder_pattern: r"(?i)^\s*(\{.*\}|<.*>|\[.*\]|pending|tbd|todo|none|n/?a|-+|)\s*$"
                .into(),
            mutable_pointers: Vec::new(),
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

/// Which revision is trusted: the authority that policy, waivers, packets (scope, lock,
/// STATUS, dependencies), board and roles are read from. The change under test is only
/// data (docs/ARCHITECTURE.md, SECURITY.md).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TrustPolicy {
    /// `base` (the default): the revision the change will merge into, which no commit of
    /// the change can alter (CI: the pull request base or `--base`; pre-push: what the
    /// remote has; pre-commit: the merge base of HEAD with its upstream or a protected
    /// branch, else HEAD). `parent`: each commit is judged by its parent's packets and
    /// board, for teams that commit packets and code on one branch (no commit can
    /// authorise itself, but an earlier commit can authorise a later one).
    pub mode: String,
    /// Branches whose tips are trusted when HEAD has no upstream (looked up as
    /// remote-tracking branches first, then local ones).
    pub protected: Vec<String>,
}

impl Default for TrustPolicy {
    fn default() -> Self {
        TrustPolicy {
            mode: "base".into(),
            protected: v(&["main", "master"]),
        }
    }
}

impl TrustPolicy {
    /// Is each commit judged by its parent (`mode = "parent"`)?
    pub fn per_parent(&self) -> bool {
        self.mode == "parent"
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
    /// Governance files (waivers, packets, board, spec, SPEC_CURRENT, template, audit)
    /// larger than this (bytes) are an error (exit 2). The policy file itself has a fixed
    /// cap ([`crate::policy::load::POLICY_MAX_BYTES`]): it is read before any limit is known.
    pub max_governance_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_content_bytes: 1024 * 1024,
            regex_size_limit: 1 << 20,
            max_governance_bytes: 64 * 1024 * 1024,
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

// ---------------------------------------------------------------------------------------
// [spec] (rules/spec.rs)
// ---------------------------------------------------------------------------------------

/// Policy section `[spec]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SpecPolicy {
    /// Directories (repository-relative, `""` = root) searched for the spec file named by
    /// SPEC_CURRENT; the directory of SPEC_CURRENT itself is always searched too.
    pub search_dirs: Vec<String>,
    /// Section-number prefixes of the Main Body (`"2"` covers 2, 2.3, 2.3.12…). Empty: every
    /// numbered section is Main Body unless a title below says otherwise.
    pub main_body: Vec<String>,
    /// Regexes over heading titles: a section under (or at) a heading whose title matches is
    /// not Main Body (Roadmap, Future Work).
    pub non_main_body_titles: Vec<String>,
    /// Glob of packet ids allowed to add a new spec version and repoint SPEC_CURRENT.
    pub update_packet_pattern: String,
    /// `spec.done-means-unmapped` only runs when true.
    pub require_done_means_mapping: bool,
    /// Regex of rule ids in the spec (`[CX-DBP-040]`); group 1 is the id.
    pub rule_id_pattern: String,
    /// Spec bundles. A SPEC_CURRENT whose text starts with `{` is JSON (and read only as
    /// JSON): these RFC 6901 pointers into it are tried in order, the first present names
    /// the bundle's manifest, repository-relative (a leading `/` is dropped). A
    /// SPEC_CURRENT of any other text names one spec file (Markdown, bold `**….md**`).
    pub current_manifest_pointers: Vec<String>,
    /// Pointer to the list of modules in the manifest (an array, in reading order).
    pub manifest_modules_pointer: String,
    /// Pointer to a module's file path within one entry of that list (`""` when the
    /// entries are the paths themselves).
    pub module_path_pointer: String,
    /// What a module path is relative to: `"manifest"` (the manifest's directory; a path
    /// starting with `/` is repository-relative) or `"repository"` (the repository root).
    pub module_paths_from: String,
    /// Pointers to the bundle's version (`v02.195`), tried in the manifest and then in
    /// SPEC_CURRENT; only shown (`wpgate spec check`), never required.
    pub bundle_version_pointers: Vec<String>,
}

impl Default for SpecPolicy {
    fn default() -> Self {
        SpecPolicy {
            search_dirs: vec![String::new()],
            main_body: vec![],
            non_main_body_titles: vec![
                r"(?i)\broadmap\b".to_string(),
                r"(?i)\bfuture work\b".to_string(),
            ],
            update_packet_pattern: "*-SpecUpdate*".to_string(),
            require_done_means_mapping: false,
            rule_id_pattern: DEFAULT_RULE_ID_PATTERN.to_string(),
            current_manifest_pointers: vec![
                "/current_spec/entrypoint_path".to_string(),
                "/entrypoint_path".to_string(),
                "/manifest".to_string(),
            ],
            manifest_modules_pointer: "/modules".to_string(),
            module_path_pointer: "/path".to_string(),
            module_paths_from: "manifest".to_string(),
            bundle_version_pointers: vec![
                "/spec_version".to_string(),
                "/version".to_string(),
                "/current_spec/version".to_string(),
            ],
        }
    }
}

pub const DEFAULT_RULE_ID_PATTERN: &str = r"\[([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)\]";

// ---------------------------------------------------------------------------------------
// [board] (rules/board.rs)
// ---------------------------------------------------------------------------------------

/// Policy section `[board]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BoardPolicy {
    /// Board status → packet STATUS values accepted for it. Keys and values are compared
    /// normalised (case, `-`/`_`/spaces and emoji ignored); a packet status is accepted when
    /// it contains an accepted value as a whole-word sequence (`Done [VALIDATED]` contains
    /// `VALIDATED`). `"*"` accepts anything. Board statuses not listed are not checked.
    pub status_map: BTreeMap<String, Vec<String>>,
    /// Board statuses whose entries need no packet file yet (`board.missing-packet`).
    pub no_packet_statuses: Vec<String>,
    /// Board or packet statuses meaning "in progress" (stalled check, scope overlap).
    pub in_progress_statuses: Vec<String>,
    /// Board or packet statuses of archived packets (superseded): not checked against the
    /// spec and not counted for a phase.
    pub archived_statuses: Vec<String>,
    /// `board.stalled` after this many days without a commit touching the packet or scope.
    pub stalled_days: u32,
    /// Regex of packet ids on the board.
    pub id_pattern: String,
}

impl Default for BoardPolicy {
    fn default() -> Self {
        let mut m = BTreeMap::new();
        m.insert("READY FOR DEV".into(), v(&["READY FOR DEV", "READY"]));
        m.insert("READY".into(), v(&["READY FOR DEV", "READY"]));
        m.insert("IN PROGRESS".into(), v(&["IN PROGRESS"]));
        m.insert("BLOCKED".into(), v(&["BLOCKED"]));
        m.insert("DONE".into(), v(&["DONE", "VALIDATED"]));
        m.insert("VALIDATED".into(), v(&["VALIDATED"]));
        m.insert("SUPERSEDED".into(), v(&["*"]));
        m.insert("GAP".into(), v(&["*"]));
        BoardPolicy {
            status_map: m,
            no_packet_statuses: v(&["GAP"]),
            in_progress_statuses: v(&["IN PROGRESS"]),
            archived_statuses: v(&["SUPERSEDED"]),
            stalled_days: 14,
            id_pattern: DEFAULT_ID_PATTERN.to_string(),
        }
    }
}

pub const DEFAULT_ID_PATTERN: &str = r"WP-[0-9A-Za-z]+-[A-Za-z0-9][A-Za-z0-9._-]*";

// ---------------------------------------------------------------------------------------
// [deps] (rules/deps.rs)
// ---------------------------------------------------------------------------------------

/// Policy section `[deps]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DepsPolicy {
    /// Statuses (packet STATUS, or the board status when the packet has none) that count as
    /// VALIDATED. "Done" is not VALIDATED (Part 1, PRIORITY_4).
    pub validated_statuses: Vec<String>,
    /// Also read `Blocker:` / `Depends on:` sub-bullets of board entries.
    pub board_blockers: bool,
}

impl Default for DepsPolicy {
    fn default() -> Self {
        DepsPolicy {
            validated_statuses: vec!["VALIDATED".to_string()],
            board_blockers: true,
        }
    }
}

// ---------------------------------------------------------------------------------------
// [phase] (rules/phase.rs)
// ---------------------------------------------------------------------------------------

/// Policy section `[phase]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PhasePolicy {
    /// Id prefix of a phase's packets; `{phase}` is replaced by the phase (`WP-1-`).
    pub packet_prefix: String,
}

impl Default for PhasePolicy {
    fn default() -> Self {
        PhasePolicy {
            packet_prefix: "WP-{phase}-".to_string(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// [waivers] (rules/waiver.rs)
// ---------------------------------------------------------------------------------------

/// Policy section `[waivers]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct WaiverPolicy {
    /// Every waiver must say when it expires (the protocol: waivers expire at phase boundaries).
    pub require_expiry: bool,
    /// Phases already closed: a `phase:N` waiver has expired once N is listed here.
    pub closed_phases: Vec<String>,
}

impl Default for WaiverPolicy {
    fn default() -> Self {
        WaiverPolicy {
            require_expiry: true,
            closed_phases: Vec::new(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// [oss] (rules/oss.rs)
// ---------------------------------------------------------------------------------------

/// Policy section `[oss]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct OssPolicy {
    /// Licenses (SPDX id prefixes, case-insensitive) that are denied by default (copyleft).
    pub deny_licenses: Vec<String>,
    /// Words in a register row that mark a denied-license component as isolated (allowed).
    pub isolation_markers: Vec<String>,
    /// Dependency names that never need a register entry (globs, e.g. internal crates).
    pub ignore: Vec<String>,
}

impl Default for OssPolicy {
    fn default() -> Self {
        OssPolicy {
            deny_licenses: vec!["GPL".into(), "AGPL".into(), "LGPL".into()],
            isolation_markers: vec!["external_process".into()],
            ignore: vec![],
        }
    }
}

// ---------------------------------------------------------------------------------------
// [signatures] (rules/signature.rs)
// ---------------------------------------------------------------------------------------

/// Policy section `[signatures]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SignaturePolicy {
    /// Regex a real signature must match (`{username}{DDMMYYYYHHMM}`).
    pub pattern: String,
    /// The last 12 digits of a signature must form a valid `DDMMYYYYHHMM` date and time.
    pub check_timestamp: bool,
}

impl Default for SignaturePolicy {
    fn default() -> Self {
        SignaturePolicy {
            pattern: r"^[A-Za-z][A-Za-z_.-]*[0-9]{12}$".into(),
            check_timestamp: true,
        }
    }
}

// ---------------------------------------------------------------------------------------
// [content] (rules/content.rs)
// ---------------------------------------------------------------------------------------

/// Policy section `[content]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ContentPolicy {
    pub rules: Vec<ContentRule>,
}

/// A regex rule over added lines.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ContentRule {
    pub id: String,
    pub pattern: String,
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    pub message: String,
    #[serde(default = "default_level")]
    pub severity: Level,
    /// Skip lines inside `#[cfg(test)] mod … { … }` blocks (only where the whole file is seen).
    #[serde(default)]
    pub skip_rust_tests: bool,
    /// Ignore matches inside Markdown code: inline `` `code` `` spans, and fenced blocks
    /// (fences only where the whole file is seen).
    #[serde(default)]
    pub skip_code: bool,
}

fn default_level() -> Level {
    Level::Error
}

/// Globs of non-test Rust code excluded from `content.unwrap` and `content.json-blob`.
const RUST_TEST_GLOBS: &[&str] = &[
    "**/tests/**",
    "**/benches/**",
    "**/examples/**",
    "**/*_test.rs",
    "**/tests.rs",
];

/// Pattern of `content.json-blob` (see the module docs).
pub const JSON_BLOB_PATTERN: &str = r#"^\s*pub(?:\([^)]*\))?\s+(?:(?:const|async|unsafe|extern(?:\s+"[^"]*")?)\s+)*fn\b.*(?:serde_json::Value\b|(?:[(<,&]\s*|[^:]:\s*|->\s*|mut\s+)Value\b)"#;

/// Pattern of `content.packet-placeholder`: braces around words with at least one space or
/// hyphen (`{1-2 sentence description}`, `{Business/technical rationale}`), not `{x}`.
pub const PLACEHOLDER_PATTERN: &str =
    r"\{[A-Za-z0-9][A-Za-z0-9 /_.-]*[ -][A-Za-z0-9 /_.-]*[A-Za-z0-9)]?\}";

impl Default for ContentPolicy {
    fn default() -> Self {
        ContentPolicy {
            rules: vec![
                ContentRule {
                    id: "content.unwrap".into(),
                    pattern: r"\.unwrap\(\)|\.expect\(".into(),
                    include: v(&["**/*.rs"]),
                    exclude: v(RUST_TEST_GLOBS),
                    message: "`.unwrap()` / `.expect(` in non-test code: handle the error".into(),
                    severity: Level::Error,
                    skip_rust_tests: true,
                    skip_code: false,
                },
                ContentRule {
                    id: "content.todo-macro".into(),
                    pattern: r"\b(?:todo|unimplemented)!".into(),
                    include: v(&["**/*.rs"]),
                    exclude: vec![],
                    message: "`todo!` / `unimplemented!` left in the code".into(),
                    severity: Level::Error,
                    skip_rust_tests: false,
                    skip_code: false,
                },
                ContentRule {
                    id: "content.todo-comment".into(),
                    pattern: r"\b(?:TODO|FIXME|XXX)\b".into(),
                    include: v(&[
                        "**/*.rs", "**/*.ts", "**/*.tsx", "**/*.js", "**/*.jsx", "**/*.py",
                        "**/*.sh", "**/*.sql", "**/*.go", "**/*.java", "**/*.c", "**/*.h",
                        "**/*.cpp",
                    ]),
                    exclude: vec![],
                    message: "TODO/FIXME/XXX marker added".into(),
                    severity: Level::Warning,
                    skip_rust_tests: false,
                    skip_code: false,
                },
                ContentRule {
                    id: "content.json-blob".into(),
                    pattern: JSON_BLOB_PATTERN.into(),
                    include: v(&["**/*.rs"]),
                    exclude: v(RUST_TEST_GLOBS),
                    message: "generic JSON blob (`serde_json::Value`) in a public function signature: use a typed struct".into(),
                    severity: Level::Error,
                    skip_rust_tests: true,
                    skip_code: false,
                },
                ContentRule {
                    id: "content.packet-placeholder".into(),
                    pattern: PLACEHOLDER_PATTERN.into(),
                    include: v(&["docs/task_packets/**"]),
                    exclude: vec![],
                    message: "unreplaced template placeholder in a task packet".into(),
                    severity: Level::Error,
                    skip_rust_tests: false,
                    skip_code: true,
                },
            ],
        }
    }
}
