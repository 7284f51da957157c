//! Spans in a policy text, for errors that name the file, line and column
//! ([`crate::error::PolicyError`]).

pub use crate::error::PolicyError;

/// Best-effort span of the first occurrence of `needle` in `text`.
pub(crate) fn find_span(text: &str, needle: &str) -> Option<std::ops::Range<usize>> {
    text.find(needle).map(|i| i..i + needle.len())
}
