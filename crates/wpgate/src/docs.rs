//! Shell completions and the man page (stub).
use std::path::Path;

use wpgate_core::Error;

pub fn completions(_shell: &str) -> Result<u8, Error> {
    Err(Error::Usage("not implemented yet".into()))
}

pub fn man(_out: Option<&Path>) -> Result<u8, Error> {
    Err(Error::Usage("not implemented yet".into()))
}
