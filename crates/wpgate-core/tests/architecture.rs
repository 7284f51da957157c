//! The layering of `src/` (docs/ARCHITECTURE.md): each layer imports only the layers
//! below it. Read from the source text, so a new `use crate::…` that crosses a layer
//! fails here, naming the file and the line.

use std::path::Path;

/// Layer → the crate-level modules it may name (`crate::x`). The root items
/// (`crate::Error`, `crate::VERSION`, `crate::in_order_runs`, the `lazy_re!` macro) are
/// the foundation and allowed everywhere.
const MAY_IMPORT: &[(&str, &[&str])] = &[
    ("text.rs", &[]),
    ("error.rs", &["text"]),
    ("glob.rs", &[]),
    ("report", &["error", "text", "report"]),
    ("policy", &["error", "text", "glob", "report", "policy"]),
    (
        "model",
        &["error", "text", "glob", "report", "policy", "model"],
    ),
    (
        "source",
        &[
            "error", "text", "glob", "report", "policy", "model", "source",
        ],
    ),
    (
        "rules",
        &[
            "error", "text", "glob", "report", "policy", "model", "source", "rules",
        ],
    ),
    (
        "git",
        &[
            "error", "text", "glob", "report", "policy", "model", "source", "git",
        ],
    ),
    (
        "gate",
        &[
            "error", "text", "glob", "report", "policy", "model", "source", "rules", "git", "gate",
        ],
    ),
];

const ROOT_ITEMS: &[&str] = &["Error", "VERSION", "in_order_runs"];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    if dir.is_file() {
        out.push(dir.to_path_buf());
        return;
    }
    for e in std::fs::read_dir(dir).expect("read src dir") {
        let p = e.expect("dir entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every `crate::name` in code (comments and doc comments skipped) with its line.
fn crate_refs(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            out.push((i + 1, name));
            rest = after;
        }
    }
    out
}

#[test]
fn every_layer_imports_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = Vec::new();
    for (layer, allowed) in MAY_IMPORT {
        let mut files = Vec::new();
        rust_files(&src.join(layer), &mut files);
        assert!(!files.is_empty(), "layer {layer} has no files");
        for f in files {
            let text = std::fs::read_to_string(&f).expect("read source");
            for (line, name) in crate_refs(&text) {
                if !allowed.contains(&name.as_str()) && !ROOT_ITEMS.contains(&name.as_str()) {
                    violations.push(format!(
                        "{}:{line}: layer `{layer}` names `crate::{name}`",
                        f.strip_prefix(&src).unwrap_or(&f).display()
                    ));
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "layering violations:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_checker_sees_a_crossing_import() {
    // The scanner itself: a `use crate::git` line is found, a comment is not.
    let refs =
        crate_refs("use crate::git::Repo;\n// crate::rules in a comment\n/// [`crate::gate`]\n");
    assert_eq!(refs, vec![(1, "git".to_string())]);
}

#[test]
fn every_rule_lives_in_the_file_named_by_its_prefix() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules");
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    for r in wpgate_core::rules::all() {
        let prefix = r.id.split('.').next().expect("dotted id");
        let file = src.join(format!("{prefix}.rs"));
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("{}: {e} (rule {})", file.display(), r.id));
        assert!(
            text.contains(&format!("id: \"{}\"", r.id)),
            "rule {} is not defined in {}",
            r.id,
            file.display()
        );
        let test_file = tests.join(format!("rules_{prefix}.rs"));
        let t = std::fs::read_to_string(&test_file)
            .unwrap_or_else(|e| panic!("{}: {e} (rule {})", test_file.display(), r.id));
        assert!(
            t.contains(r.id),
            "rule {} is not named in its tests {}",
            r.id,
            test_file.display()
        );
    }
}
