//! wpgate-core: the rule engine of wpgate.
//!
//! Rules are pure functions over parsed inputs (a [`git::ChangeSet`], [`packet::Packet`]s,
//! the task board, the spec index) that emit [`diag::Diagnostic`]s. Git access lives in
//! [`git`] only. Policies ([`policy::Policy`]) are declarative TOML.

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

pub mod board;
pub mod check;
pub mod content;
pub mod deps;
pub mod diag;
pub mod error;
pub mod formats;
pub mod git;
pub mod glob;
pub mod guard;
pub mod lock;
pub mod oss;
pub mod packet;
pub mod phase;
pub mod policy;
pub mod render;
pub mod rules;
pub mod signature;
pub mod spec;
pub mod waiver;
pub mod workspace;

pub use diag::{Diagnostic, Report, Severity, Span};
pub use error::Error;
pub use packet::{parse_packet, Packet};
pub use policy::Policy;

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
