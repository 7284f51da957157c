//! `wpgate oss check`: every dependency a manifest declares is in the OSS register.

use wpgate_core::Error;

use crate::context::{with_ws, Ctx};

/// Manifests vs OSS register.
pub fn check(ctx: &Ctx) -> Result<u8, Error> {
    with_ws(ctx, false, wpgate_core::rules::oss::check)
}
