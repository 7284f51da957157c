//! `wpgate phase check N`: the phase gate (every packet of phase N is VALIDATED).

use wpgate_core::report::Format;
use wpgate_core::rules::Emitter;
use wpgate_core::source::{WorkTree, Workspace};
use wpgate_core::Error;

use crate::context::{finish, Ctx};

/// Can phase `phase` close? Prints the phase table and the findings.
pub fn check(ctx: &Ctx, phase: &str) -> Result<u8, Error> {
    let tree = WorkTree::new(&ctx.root);
    let ws = Workspace::new(&ctx.policy, &tree);
    let mut out = Emitter::new(&ctx.policy);
    let waivers = wpgate_core::rules::waiver::load(&ws, &mut out)?;
    let outliving = || wpgate_core::rules::waiver::outliving_phase(&waivers, phase);
    let table = wpgate_core::rules::phase::phase_check(&ws, phase, &outliving, &mut out)?;
    let mut report = out.finish();
    finish(&ws, &mut report, false)?;
    if ctx.format == Format::Human {
        print!("{}", table.to_text());
    }
    ctx.emit_report(&report)
}
