//! `wpgate report --html` (stub).
use std::path::Path;

use wpgate_core::Error;

use crate::cmd::Ctx;

pub fn run(_ctx: &Ctx, _html: &Path) -> Result<u8, Error> {
    Err(Error::Usage("not implemented yet".into()))
}
