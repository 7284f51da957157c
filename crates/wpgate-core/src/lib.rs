//! wpgate-core: the rule engine of wpgate.
//!
//! The crate is layered; each layer imports only the layers above it in this list:
//!
//! | layer | what it holds |
//! |---|---|
//! | [`error`], [`glob`] | the error type; path globs and scopes |
//! | [`report`] | the diagnostic model ([`Diagnostic`], [`Report`]) and one module per output format |
//! | [`policy`] | the policy schema, discovery and merge, error spans |
//! | [`model`] | the governance documents as typed data: packets, board, spec index, waivers, OSS register, signature audit, changes, commit messages |
//! | [`source`] | where documents are read from ([`source::FileSource`]) and the parsed view of one repository state ([`source::Workspace`]) |
//! | [`rules`] | one module per rule family, the registry and the [`rules::Emitter`] |
//! | [`git`] | the only code that touches git: repositories, change sets, the index reader, the `git log` / `git cat-file` streams, tree and index sources |
//! | [`gate`] | orchestration: which inputs each entrypoint reads and which rules run |
//!
//! (`rules` may not import `git`; `model` imports neither `source`, `rules`, `git` nor
//! `gate`; `report` imports no rule module. `docs/ARCHITECTURE.md` draws the data flow.)
//!
//! # Example
//!
//! Parse a packet and run the pre-work checklist over it, as `wpgate packet check` does:
//!
//! ```
//! use wpgate_core::{parse_packet, rules, Emitter, Policy, Severity, TextFile};
//!
//! let text = "# WP-1-Demo\n\n- TASK_ID: WP-1-Demo\n- STATUS: Ready for Dev\n\n\
//!             ## Scope\n- IN_SCOPE_PATHS:\n  - src/storage/demo.rs\n";
//! let policy = Policy::embedded();
//! let packet = parse_packet("docs/task_packets/WP-1-Demo.md", text, &policy.packet.fields);
//! assert_eq!(packet.id, "WP-1-Demo");
//! assert_eq!(packet.in_scope_paths[0].value, "src/storage/demo.rs");
//!
//! let file = TextFile::decode(&packet.path, text.as_bytes().to_vec());
//! let mut out = Emitter::new(&policy);
//! rules::packet::check_packet(&packet, &file, &policy, &mut out);
//! let report = out.finish();
//! // A bare packet misses most of the checklist: WHAT, DONE_MEANS, a signature, ...
//! assert!(report.diagnostics.iter().any(|d| d.rule == "packet.missing-field"));
//! assert!(report.diagnostics.iter().all(|d| d.severity != Severity::Note));
//! assert_eq!(report.exit_code(), 1);
//! ```

/// `lazy_re!(name, "pattern")` defines `fn name() -> Option<&'static Regex>`: a regex
/// written in this source, compiled once on first use. `None` (never expected: every
/// pattern is exercised by the tests) makes the caller skip what the regex would find
/// instead of panicking.
macro_rules! lazy_re {
    ($name:ident, $pat:expr) => {
        fn $name() -> Option<&'static regex::Regex> {
            static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
            RE.get_or_init(|| regex::Regex::new($pat).ok()).as_ref()
        }
    };
}

pub mod error;
pub mod gate;
pub mod git;
pub mod glob;
pub mod model;
pub mod policy;
pub mod report;
pub mod rules;
pub mod source;
pub mod text;

pub use error::Error;
pub use gate::{repo_rules, Context, Gate};
pub use git::Repo;
pub use model::change::{ChangeSet, FileChange};
pub use model::packet::{parse_packet, Packet};
pub use model::text::TextFile;
pub use policy::Policy;
pub use report::{Diagnostic, Format, Report, RuleInfo, Severity, Span};
pub use rules::Emitter;
pub use source::{FileSource, WorkTree, Workspace};

/// The version of wpgate, shown in hook shims and internal error messages.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Maps `f` over contiguous runs of `items` on up to four cores (one run per core, each at
/// least `min_per_run` items; fewer items run on this thread) and returns the results in
/// the order of the runs. A panic in a run is resumed here.
pub(crate) fn in_order_runs<T: Sync, R: Send>(
    items: &[T],
    min_per_run: usize,
    f: impl Fn(&[T]) -> R + Sync,
) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(4)
        .min(items.len() / min_per_run.max(1))
        .max(1);
    if threads <= 1 {
        return vec![f(items)];
    }
    let f = &f;
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let runs: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(move || f(part)))
            .collect();
        runs.into_iter()
            .map(|r| r.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}
