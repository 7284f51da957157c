//! wpgate-core: the rule engine of wpgate.
//!
//! Rules are pure functions over parsed inputs (a [`git::ChangeSet`], [`packet::Packet`]s,
//! the task board, the spec index) that emit [`diag::Diagnostic`]s. Git access lives in
//! [`git`] only. Policies ([`policy::Policy`]) are declarative TOML.

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
