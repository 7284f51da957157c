//! Task packets as data: one model filled by readers of several encodings: the
//! hand-written Markdown formats teams actually use (`markdown.rs`) and structured
//! contracts in JSON or TOML whose fields the policy maps by JSON pointer
//! ([`structured`]). Which files are packets, their identity, kind, projection and
//! microtasks is [`discovery`]; the lock of a packet is [`lock`].

pub mod discovery;
pub mod lock;
mod markdown;
pub mod structured;
mod tree;

pub use markdown::{is_real_signature, parse_packet};

pub use crate::policy::PacketKind;
use crate::report::Span;
use serde::Serialize;

/// How a packet (or microtask) file is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Markdown,
    Json,
    Toml,
}

impl Format {
    /// The encoding of a file, by its extension.
    pub fn of_path(path: &str) -> Format {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".json") {
            Format::Json
        } else if lower.ends_with(".toml") {
            Format::Toml
        } else {
            Format::Markdown
        }
    }
    pub fn is_structured(self) -> bool {
        !matches!(self, Format::Markdown)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Markdown => "markdown",
            Format::Json => "json",
            Format::Toml => "toml",
        }
    }
}

/// A microtask: a child of a packet with its own id, scope, status and dependencies.
/// A change bound to a microtask is checked against the microtask's scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Microtask {
    /// `MT-183`: the id field, else the file stem.
    pub id: String,
    /// The microtask's file (the packet's own file when declared inside it).
    pub path: String,
    pub format: Format,
    pub title: Option<Field<String>>,
    pub status: Option<Field<String>>,
    pub in_scope_paths: Vec<Field<String>>,
    pub out_of_scope: Vec<Field<String>>,
    pub depends_on: Vec<Field<String>>,
    /// The Markdown projection beside a structured microtask file.
    pub projection: Option<String>,
    /// Problems the reader met; never fatal.
    pub parse_notes: Vec<Field<String>>,
}

/// A value extracted from a packet, with where it stands in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Field<T> {
    pub value: T,
    /// Byte span of the value in the packet text.
    #[serde(skip)]
    pub span: Span,
    /// 1-based line of the value.
    pub line: usize,
}

impl<T> Field<T> {
    pub fn new(value: T, span: Span, line: usize) -> Self {
        Field { value, span, line }
    }
}

/// A SPEC_ANCHOR reference such as `§2.3.12.3 (Storage API) [CX-DBP-040]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Anchor {
    /// The anchor as written (one item of a list), trimmed.
    pub raw: String,
    /// Normalised section number: `2.3.12.1`, `A2.6.6.7.11`; `None` when malformed.
    pub number: Option<String>,
    /// A title in parentheses after the number, if any.
    pub title: Option<String>,
    /// Rule ids in square brackets after the number (`CX-DBP-040`).
    pub rule_ids: Vec<String>,
    #[serde(skip)]
    pub span: Span,
    pub line: usize,
}

/// A Markdown heading of the packet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Heading {
    pub level: u8,
    pub text: String,
    #[serde(skip)]
    pub span: Span,
    pub line: usize,
}

/// The lock: a signature (metadata field and/or footer) and the locked region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lock {
    /// The signature as written (`ilja251220251542`), trimmed of markup.
    pub signature: Field<String>,
    /// True when the signature is a real one, not a `{placeholder}`, empty, `<pending>` or "pending".
    pub real: bool,
    /// End offset (exclusive) of the locked content: the end of the line holding the footer
    /// `**User Signature Locked:** …`, or `None` when the packet has no footer (the lock then
    /// covers the whole file up to the first validation report, see [`lock::locked_end`]).
    pub footer_end: Option<usize>,
}

/// A parsed task packet. Every field keeps its span and line for diagnostics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Packet {
    /// Repository-relative path of the packet file (for a structured packet with a
    /// projection: the contract, which is the authority).
    pub path: String,
    /// The packet's identity: its file stem or folder name (policy `packet.identity`),
    /// never a TASK_ID that disagrees (that is `packet.id-mismatch`).
    pub id: String,
    /// What its root holds: active packets authorise work; stubs and archived packets
    /// are known but never authorise.
    pub kind: PacketKind,
    pub format: Format,
    /// Other ids the packet answers to (an alias field such as `base_wp_id`).
    pub aliases: Vec<Field<String>>,
    /// The packet's microtasks, by id order of discovery.
    pub microtasks: Vec<Microtask>,
    /// The Markdown projection of a structured packet (never a second packet).
    pub projection: Option<String>,
    /// Other files with the same identity that this one takes precedence over (a legacy
    /// flat file beside its folder twin, a stub of an activated packet).
    pub twins: Vec<String>,
    /// The TASK_ID field itself when present.
    pub task_id: Option<Field<String>>,
    pub title: Option<Field<String>>,
    pub status: Option<Field<String>>,
    pub risk_tier: Option<Field<String>>,
    pub in_scope_paths: Vec<Field<String>>,
    pub out_of_scope: Vec<Field<String>>,
    pub spec_anchors: Vec<Anchor>,
    /// The SPEC_ANCHOR field as written, when present (even if no anchor could be read from it).
    pub spec_anchor_field: Option<Field<String>>,
    pub done_means: Vec<Field<String>>,
    /// Commands of TEST_PLAN (from code blocks or list items). Never executed.
    pub test_plan: Vec<Field<String>>,
    /// Whether a TEST_PLAN field/section exists at all.
    pub has_test_plan: bool,
    pub files_to_open: Vec<Field<String>>,
    pub search_terms: Vec<Field<String>>,
    pub risk_map: Vec<Field<String>>,
    pub rollback_hint: Option<Field<String>>,
    /// Dependency statements (`Depends on: WP-…`, `Blocker: …`, Notes/Dependencies) as written.
    pub dependencies: Vec<Field<String>>,
    /// Packet ids named by the dependency statements (not those after `Blocks:`).
    pub depends_on: Vec<Field<String>>,
    /// Packet ids this packet blocks (`- **Blocks:** WP-…`, `…; blocks WP-…`): the reverse
    /// direction, kept apart so they are not taken for dependencies.
    pub blocks: Vec<Field<String>>,
    pub effort: Option<Field<String>>,
    pub lock: Option<Lock>,
    /// The `wpgate packet lock` digest line (`- LOCK_DIGEST: sha256:…`), when present.
    pub lock_digest: Option<Field<String>>,
    pub headings: Vec<Heading>,
    /// Which known fields were found, by canonical name (`what`, `why`, `in_scope_paths`, …),
    /// with the span of the field's label. Used by `packet.missing-field`.
    pub present_fields: Vec<(String, Field<String>)>,
    /// Spans of unreplaced template placeholders (`{1-2 sentence description}`) in fields.
    pub placeholders: Vec<Field<String>>,
    /// Problems the parser met (unterminated structures and the like); never fatal.
    pub parse_notes: Vec<Field<String>>,
}

impl Packet {
    pub fn has_field(&self, canonical: &str) -> bool {
        self.present_fields.iter().any(|(n, _)| n == canonical)
    }
    pub fn field_label(&self, canonical: &str) -> Option<&Field<String>> {
        self.present_fields
            .iter()
            .find(|(n, _)| n == canonical)
            .map(|(_, f)| f)
    }
    pub fn is_locked(&self) -> bool {
        self.lock.as_ref().map(|l| l.real).unwrap_or(false)
    }
    pub fn signature(&self) -> Option<&str> {
        self.lock.as_ref().map(|l| l.signature.value.as_str())
    }
    pub fn microtask(&self, id: &str) -> Option<&Microtask> {
        let want = normalise_status(id);
        self.microtasks
            .iter()
            .find(|m| m.id == id || normalise_status(&m.id) == want)
    }
}

/// Does a token look like a repository path or glob: no whitespace, and a `/`, a file
/// extension or a glob with one of those (`src/x.rs`, `src/x/`, `migrations/*.sql`,
/// `Cargo.toml`)? Prose entries of IN_SCOPE_PATHS are kept as written and fail this test.
pub fn is_path_like(token: &str) -> bool {
    let t = token.trim();
    if t.is_empty() || t.contains(char::is_whitespace) || t.contains("://") {
        return false;
    }
    if t.contains('/') || t.contains('\\') {
        return t
            .chars()
            .any(|c| c.is_alphanumeric() || c == '*' || c == '.');
    }
    // A file name with an extension that contains a letter: `justfile.md`, `App.tsx`.
    match t.rsplit_once('.') {
        Some((stem, ext)) => {
            !stem.is_empty()
                && !ext.is_empty()
                && ext.len() <= 10
                && ext.chars().all(|c| c.is_ascii_alphanumeric() || c == '*')
                && ext.chars().any(|c| c.is_ascii_alphabetic() || c == '*')
                && stem.chars().any(|c| c.is_alphanumeric() || c == '*')
        }
        None => false,
    }
}

/// Status comparison ignores case, `-`, `_`, spaces and emoji.
pub fn normalise_status(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .flat_map(|c| c.to_lowercase())
        .collect()
}

/// Id of a packet derived from its file name (`docs/task_packets/WP-1-X.md` → `WP-1-X`,
/// `stubs/WP-1-X.contract.json` → `WP-1-X`; a folder packet `WP-1-X/packet.json` →
/// `WP-1-X`), with the default suffixes and folder file names of the policy.
pub fn id_from_path(path: &str) -> String {
    discovery::identity_of(
        path,
        crate::policy::DEFAULT_FOLDER_FILES,
        crate::policy::DEFAULT_ID_SUFFIXES,
    )
}
