//! `wpgate trace WP`: for each MUST / SHOULD of a packet's anchored sections, the
//! DONE_MEANS item citing it (exit 1 when one is unmapped).

use wpgate_core::report::Format;
use wpgate_core::source::{WorkTree, Workspace};
use wpgate_core::Error;

use crate::context::Ctx;

/// Prints the requirement-to-DONE_MEANS rows of packet `wp`.
pub fn run(ctx: &Ctx, wp: &str) -> Result<u8, Error> {
    let tree = WorkTree::new(&ctx.root);
    let ws = Workspace::new(&ctx.policy, &tree);
    let packet = super::packet::find(&ws, wp)?;
    let Some(spec) = wpgate_core::rules::spec::load(&ws)? else {
        return Err(Error::Usage("no current spec".into()));
    };
    let mut rows = wpgate_core::model::spec::trace(&packet, &spec.index, &spec.text);
    // A bundle's lines are those of its modules.
    if spec.bundle.is_some() {
        for r in &mut rows {
            let (file, line) = spec.location(r.line);
            r.path = Some(file.to_string());
            r.line = line;
        }
    }
    let unmapped = rows.iter().filter(|r| r.done_means.is_none()).count();
    if ctx.format == Format::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).unwrap_or_default()
        );
    } else {
        for r in &rows {
            println!(
                "§{} {}:{}: {}\n    -> {}",
                r.anchor,
                r.path.as_deref().unwrap_or(&spec.path),
                r.line,
                r.sentence,
                r.done_means.as_deref().unwrap_or("unmapped")
            );
        }
        println!(
            "{} requirement{}, {unmapped} unmapped",
            rows.len(),
            if rows.len() == 1 { "" } else { "s" }
        );
    }
    Ok(if unmapped > 0 { 1 } else { 0 })
}
