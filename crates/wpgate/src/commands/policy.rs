//! `wpgate policy check [FILE]` (validate a policy file) and `wpgate policy print-default`.

use std::path::Path;

use wpgate_core::policy::{Policy, PolicySource, DEFAULT_POLICY};
use wpgate_core::Error;

use crate::cli::Global;
use crate::context::repo_root;

/// Prints the embedded default policy.
pub fn print_default() -> Result<u8, Error> {
    print!("{DEFAULT_POLICY}");
    Ok(0)
}

/// Validates `file` (default: `--policy`, else the repository's policy discovery).
pub fn check(g: &Global, file: Option<&Path>) -> Result<u8, Error> {
    let root = repo_root(g)?;
    let explicit = file.or(g.policy.as_deref());
    let (_, src) = Policy::discover(&root, explicit)?;
    match src {
        PolicySource::Embedded => println!("policy: embedded default (no wpgate.toml) is valid"),
        PolicySource::File(p) => println!("policy: {} is valid", p.display()),
        PolicySource::Revision { rev, path } => println!("policy: {path} at {rev} is valid"),
    }
    Ok(0)
}
