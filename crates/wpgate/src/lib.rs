//! The wpgate command line, as a library so the thin hook and CI binaries share it.

pub mod ci;
pub mod cli;
pub mod cmd;
pub mod demo;
pub mod docs;
pub mod gate;
pub mod init;
pub mod install;
pub mod report;

pub use cli::run_main;
