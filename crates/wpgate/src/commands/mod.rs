//! The subcommands, one module each.

pub mod ci;
pub mod demo;
pub mod init;
pub mod install;
pub mod report;
