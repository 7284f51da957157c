//! `wpgate demo` (stub).
use wpgate_core::Error;

pub fn run(_keep: bool) -> Result<u8, Error> {
    Ok(0)
}
