//! `wpgate spec check` (SPEC_CURRENT, latest version, anchors; names a spec bundle) and
//! `wpgate spec requirements SECTION` (the MUST / SHOULD sentences of a section).

use wpgate_core::report::Format;
use wpgate_core::source::{WorkTree, Workspace};
use wpgate_core::Error;

use crate::context::{with_ws, Ctx};

/// The spec rules over the work tree. A spec bundle is named on stderr (version, module
/// count, manifest), so every report format on stdout stays as it is.
pub fn check(ctx: &Ctx) -> Result<u8, Error> {
    with_ws(ctx, false, |ws, out| {
        wpgate_core::rules::spec::check(ws, out)?;
        if let Some(spec) = wpgate_core::rules::spec::load(ws)? {
            if spec.bundle.is_some() {
                eprintln!("current spec: {}", spec.summary());
            }
        }
        Ok(())
    })
}

/// Prints the MUST / SHOULD sentences of `section` of the current spec.
pub fn requirements(ctx: &Ctx, section: &str) -> Result<u8, Error> {
    let tree = WorkTree::new(&ctx.root);
    let ws = Workspace::new(&ctx.policy, &tree);
    let Some(spec) = wpgate_core::rules::spec::load(&ws)? else {
        return Err(Error::Usage(format!(
            "no current spec: {} names no existing spec file or spec bundle (`wpgate spec check` says why)",
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
            // Lines of a bundle are lines of its module files.
            let bundle = spec.bundle.is_some();
            if ctx.format == Format::Json {
                let rows: Vec<_> = rows
                    .iter()
                    .map(|(l, s)| {
                        if bundle {
                            let (path, line) = spec.location(*l);
                            serde_json::json!({"path": path, "line": line, "sentence": s})
                        } else {
                            serde_json::json!({"line": l, "sentence": s})
                        }
                    })
                    .collect();
                let mut v =
                    serde_json::json!({"section": number, "path": spec.path, "requirements": rows});
                if let (Some(b), Some(obj)) = (&spec.bundle, v.as_object_mut()) {
                    obj.insert(
                        "bundle".into(),
                        serde_json::json!({"manifest": b.manifest, "version": b.version, "modules": b.modules.len()}),
                    );
                }
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else {
                if bundle {
                    println!("current spec: {}", spec.summary());
                }
                for (line, s) in &rows {
                    let (path, line) = spec.location(*line);
                    println!("{path}:{line}: {s}");
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
