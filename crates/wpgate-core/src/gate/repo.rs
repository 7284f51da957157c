//! The whole repository (`check --repo`): every repository-level rule over one workspace.

use crate::error::Error;
use crate::rules::Emitter;
use crate::source::Workspace;

/// Every repository-level rule over a workspace (`wpgate check --repo`).
pub fn repo_rules(ws: &Workspace, out: &mut Emitter) -> Result<(), Error> {
    // The two big inputs are independent: index the spec while the packets are parsed
    // (both are cached for the rules below; errors surface there).
    std::thread::scope(|s| {
        s.spawn(|| {
            let _ = crate::rules::spec::load(ws);
        });
        let _ = ws.packets();
    });
    for p in ws.packets()? {
        crate::rules::packet::check_in(p, ws, out)?;
    }
    crate::rules::spec::check(ws, out)?;
    crate::rules::board::check(ws, out)?;
    crate::rules::deps::check(ws, out)?;
    crate::rules::scope::check_overlap(ws, out)?;
    crate::rules::oss::check(ws, out)?;
    crate::rules::signature::check(ws, out)?;
    Ok(())
}
