//! `wpgate spec check` (SPEC_CURRENT, latest version, anchors) and
//! `wpgate spec requirements SECTION` (the MUST / SHOULD sentences of a section).

use wpgate_core::report::Format;
use wpgate_core::source::{WorkTree, Workspace};
use wpgate_core::Error;

use crate::context::{with_ws, Ctx};

/// The spec rules over the work tree.
pub fn check(ctx: &Ctx) -> Result<u8, Error> {
    with_ws(ctx, false, wpgate_core::rules::spec::check)
}

/// Prints the MUST / SHOULD sentences of `section` of the current spec.
pub fn requirements(ctx: &Ctx, section: &str) -> Result<u8, Error> {
    let tree = WorkTree::new(&ctx.root);
    let ws = Workspace::new(&ctx.policy, &tree);
    let Some(spec) = wpgate_core::rules::spec::load(&ws)? else {
        return Err(Error::Usage(format!(
            "no current spec: {} names no existing spec file",
            ctx.policy.layout.spec_current
        )));
    };
    let number = section.trim().trim_start_matches('§');
    let reqs = spec
        .index
        .find(number)
        .map(|_| wpgate_core::model::spec::requirements(&spec.index, &spec.text, number));
    match reqs {
        None => Err(Error::Usage(format!(
            "the current spec has no section {number}"
        ))),
        Some(rows) => {
            if ctx.format == Format::Json {
                let rows: Vec<_> = rows
                    .iter()
                    .map(|(l, s)| serde_json::json!({"line": l, "sentence": s}))
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({"section": number, "path": spec.path, "requirements": rows}))
                        .unwrap_or_default()
                );
            } else {
                for (line, s) in &rows {
                    println!("{}:{line}: {s}", spec.path);
                }
                println!(
                    "{} MUST/SHOULD sentence{} in §{number}",
                    rows.len(),
                    if rows.len() == 1 { "" } else { "s" }
                );
            }
            Ok(0)
        }
    }
}
