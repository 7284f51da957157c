//! The wpgate command line, as a library so the thin hook and CI binaries share it.

pub mod ci;
pub mod cli;
pub mod cmd;
pub mod demo;
pub mod gate;
pub mod install;

pub use cli::run_main;
