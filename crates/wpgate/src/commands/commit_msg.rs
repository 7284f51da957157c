//! `wpgate commit-msg FILE` (git commit-msg hook): the staged check, bound by the message.

use std::path::Path;

use wpgate_core::Error;

use crate::cli::CheckArgs;
use crate::context::Ctx;

/// `check --staged --message-file FILE`.
pub fn run(ctx: &Ctx, file: &Path) -> Result<u8, Error> {
    crate::commands::check::run(
        ctx,
        CheckArgs {
            staged: true,
            commit: None,
            range: None,
            all_repo: false,
            message_file: Some(file.to_path_buf()),
        },
    )
}
