//! The governance documents as typed data, parsed, with spans: judging nothing.
//!
//! Every parser here is a pure function of a text (and the policy's format settings);
//! what is wrong with a document is for `crate::rules` to say.

pub mod audit;
pub mod board;
pub mod change;
pub mod data;
pub mod message;
pub mod packet;
pub mod register;
pub mod spec;
pub mod table;
pub mod text;
pub mod waiver;
