//! `wpgate init` (stub).
use wpgate_core::Error;

use crate::cmd::Ctx;

pub fn run(_ctx: &Ctx, _just: bool) -> Result<u8, Error> {
    Err(Error::Usage("not implemented yet".into()))
}
