//! The OSS register and dependency manifests as data: register entries (component,
//! license, the row) and the dependencies `Cargo.toml` and `package.json` declare. The
//! supply-chain rules are `crate::rules::oss`.
//!
//! Manifests: every `Cargo.toml` (tables `[dependencies]`, `[dev-dependencies]`,
//! `[build-dependencies]`, `[target.'cfg(…)'.*dependencies]`, `[workspace.dependencies]`;
//! a renamed dependency `foo = { package = "bar" }` is registered as `bar`; path-only
//! dependencies are the repository's own crates and need no entry) and every `package.json`
//! (`dependencies`, `devDependencies`, `peerDependencies`, `optionalDependencies`;
//! `file:`, `link:` and `workspace:` specifiers are local).
//!
//! The register: every Markdown pipe table of the file. The component column is the one
//! headed `Component`, `Name`, `Crate`, `Package`, `Dependency` or `Library` (else the first
//! column); the license column is the one whose header contains `License`. Names may carry
//! backticks, links or a version (`serde 1.0`, `serde@1`, `` `@tauri-apps/api` ^2 ``).
//! Names compare case-insensitively, and `-` and `_` are the same (as on crates.io).

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::table::{markdown_tables, plain};
use crate::report::{line_of, Span};

// ---------------------------------------------------------------------------------------------
// The register

/// One component of the register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterEntry {
    /// The name as written (decoration and version removed).
    pub name: String,
    pub license: Option<String>,
    pub line: usize,
    pub span: Span,
    /// All cells of the row, for isolation markers.
    pub row_text: String,
}

/// Normalised name for comparisons: lowercase, `_` → `-`.
pub fn normalize_name(name: &str) -> String {
    name.trim().to_lowercase().replace('_', "-")
}

fn component_name(cell: &str) -> Option<String> {
    let p = plain(cell);
    let first = p.split_whitespace().next()?;
    // `name@1.2` (keep the scope's leading `@`), `name=1`, `name(1.0)`, `name,`.
    let mut name = first;
    if let Some(idx) = name[1.min(name.len())..].find('@') {
        name = &name[..idx + 1];
    }
    let name = name
        .split(['=', '(', ',', ';'])
        .next()
        .unwrap_or(name)
        .trim_end_matches(':');
    if name.is_empty()
        || !name.chars().any(|c| c.is_ascii_alphanumeric())
        || name.chars().all(|c| c == '-')
    {
        return None;
    }
    Some(name.to_string())
}

/// Components of an OSS register file.
pub fn parse_register(text: &str) -> Vec<RegisterEntry> {
    let mut out = Vec::new();
    for t in markdown_tables(text) {
        let name_col = t
            .column(&[
                "Component",
                "Name",
                "Crate",
                "Package",
                "Dependency",
                "Library",
            ])
            .unwrap_or(0);
        let lic_col = t.header.iter().position(|h| {
            h.to_lowercase().contains("license") || h.to_lowercase().contains("licence")
        });
        for r in &t.rows {
            let Some(cell) = r.cells.get(name_col) else {
                continue;
            };
            let Some(name) = component_name(&cell.text) else {
                continue;
            };
            out.push(RegisterEntry {
                name,
                license: lic_col
                    .and_then(|c| r.cells.get(c))
                    .map(|c| plain(&c.text))
                    .filter(|s| !s.is_empty()),
                line: r.line,
                span: cell.span,
                row_text: r
                    .cells
                    .iter()
                    .map(|c| c.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" | "),
            });
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Manifests

/// One dependency declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    /// The key as written in the manifest.
    pub key: String,
    /// The package name to register (`package = "…"` of a renamed dependency, else the key).
    pub name: String,
    /// The table it was declared in (`dependencies`, `target.'cfg(unix)'.dev-dependencies`,
    /// `devDependencies`, …).
    pub section: String,
    pub line: usize,
    pub span: Span,
    /// A local dependency (Cargo `path` without version/git; npm `file:`/`link:`/`workspace:`).
    pub local: bool,
}

/// Is `path` a manifest this module reads?
pub fn is_manifest(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let skipped = path
        .split('/')
        .any(|seg| seg == "target" || seg == "node_modules");
    !skipped && (name == "Cargo.toml" || name == "package.json")
}

// Values are not `Spanned`: toml 0.8 cannot span dotted-key tables (`serde.workspace = true`).
type DepTable = BTreeMap<Spanned<String>, toml::Value>;

#[derive(Deserialize, Default)]
struct CargoTargets {
    #[serde(default)]
    dependencies: DepTable,
    #[serde(default, rename = "dev-dependencies")]
    dev_dependencies: DepTable,
    #[serde(default, rename = "dev_dependencies")]
    dev_dependencies2: DepTable,
    #[serde(default, rename = "build-dependencies")]
    build_dependencies: DepTable,
    #[serde(default, rename = "build_dependencies")]
    build_dependencies2: DepTable,
}

#[derive(Deserialize, Default)]
struct CargoWorkspace {
    #[serde(default)]
    dependencies: DepTable,
}

// No `#[serde(flatten)]`: it would buffer values and lose their spans.
#[derive(Deserialize, Default)]
struct CargoManifest {
    #[serde(default)]
    dependencies: DepTable,
    #[serde(default, rename = "dev-dependencies")]
    dev_dependencies: DepTable,
    #[serde(default, rename = "dev_dependencies")]
    dev_dependencies2: DepTable,
    #[serde(default, rename = "build-dependencies")]
    build_dependencies: DepTable,
    #[serde(default, rename = "build_dependencies")]
    build_dependencies2: DepTable,
    #[serde(default)]
    target: BTreeMap<String, CargoTargets>,
    #[serde(default)]
    workspace: CargoWorkspace,
}

fn cargo_deps(text: &str, section: &str, table: DepTable, out: &mut Vec<Dependency>) {
    for (k, v) in table {
        let key = k.get_ref().clone();
        let span = k.span();
        let (name, local) = match &v {
            toml::Value::Table(t) => {
                let name = t
                    .get("package")
                    .and_then(|p| p.as_str())
                    .map(str::to_string)
                    .unwrap_or_else(|| key.clone());
                let local = t.contains_key("path")
                    && !t.contains_key("version")
                    && !t.contains_key("git")
                    && !t.contains_key("registry");
                (name, local)
            }
            _ => (key.clone(), false),
        };
        out.push(Dependency {
            key,
            name,
            section: section.to_string(),
            line: line_of(text, span.start),
            span: Span::new(span.start, span.end),
            local,
        });
    }
}

/// The dependencies of a `Cargo.toml`, in file order.
pub fn parse_cargo(text: &str) -> Result<Vec<Dependency>, (usize, String)> {
    let m: CargoManifest = toml::from_str(text).map_err(|e| {
        (
            line_of(text, e.span().map(|s| s.start).unwrap_or(0)),
            e.message().to_string(),
        )
    })?;
    let mut out = Vec::new();
    let push_targets = |prefix: &str, t: CargoTargets, out: &mut Vec<Dependency>| {
        cargo_deps(text, &format!("{prefix}dependencies"), t.dependencies, out);
        cargo_deps(
            text,
            &format!("{prefix}dev-dependencies"),
            t.dev_dependencies,
            out,
        );
        cargo_deps(
            text,
            &format!("{prefix}dev-dependencies"),
            t.dev_dependencies2,
            out,
        );
        cargo_deps(
            text,
            &format!("{prefix}build-dependencies"),
            t.build_dependencies,
            out,
        );
        cargo_deps(
            text,
            &format!("{prefix}build-dependencies"),
            t.build_dependencies2,
            out,
        );
    };
    let own = CargoTargets {
        dependencies: m.dependencies,
        dev_dependencies: m.dev_dependencies,
        dev_dependencies2: m.dev_dependencies2,
        build_dependencies: m.build_dependencies,
        build_dependencies2: m.build_dependencies2,
    };
    push_targets("", own, &mut out);
    for (cfg, t) in m.target {
        push_targets(&format!("target.'{cfg}'."), t, &mut out);
    }
    cargo_deps(
        text,
        "workspace.dependencies",
        m.workspace.dependencies,
        &mut out,
    );
    out.sort_by_key(|d| d.span.start);
    Ok(out)
}

const NPM_SECTIONS: &[&str] = &[
    "dependencies",
    "devDependencies",
    "peerDependencies",
    "optionalDependencies",
];

/// The dependencies of a `package.json`, in file order, with the line of each key.
pub fn parse_package_json(text: &str) -> Result<Vec<Dependency>, (usize, String)> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| (e.line(), e.to_string()))?;
    let Some(obj) = v.as_object() else {
        return Err((1, "package.json is not a JSON object".into()));
    };
    // Positions of the keys of the dependency objects, by a small JSON scanner.
    let keys = json_second_level_keys(text);
    let mut out = Vec::new();
    for section in NPM_SECTIONS {
        let Some(deps) = obj.get(*section).and_then(|d| d.as_object()) else {
            continue;
        };
        for (name, spec) in deps {
            let pos = keys
                .iter()
                .find(|(s, k, _)| s == section && k == name)
                .map(|(_, _, p)| *p)
                .unwrap_or(0);
            let spec = spec.as_str().unwrap_or("");
            let local = ["file:", "link:", "workspace:", "portal:"]
                .iter()
                .any(|p| spec.starts_with(p));
            out.push(Dependency {
                key: name.clone(),
                name: name.clone(),
                section: section.to_string(),
                line: line_of(text, pos),
                span: Span::new(pos, pos + name.len() + 2),
                local,
            });
        }
    }
    out.sort_by_key(|d| d.span.start);
    Ok(out)
}

/// `(top-level key, key, offset of the key's opening quote)` for every key of an object
/// that is the value of a top-level key. The text must be valid JSON.
fn json_second_level_keys(text: &str) -> Vec<(String, String, usize)> {
    #[derive(PartialEq)]
    enum C {
        Obj,
        Arr,
    }
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut stack: Vec<C> = Vec::new();
    let mut top_key = String::new();
    let mut expect_key = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' => {
                stack.push(C::Obj);
                expect_key = true;
            }
            b'[' => {
                stack.push(C::Arr);
                expect_key = false;
            }
            b'}' | b']' => {
                stack.pop();
                expect_key = false;
            }
            b',' => expect_key = stack.last() == Some(&C::Obj),
            b'"' => {
                let start = i;
                i += 1;
                let mut s = Vec::new();
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' && i + 1 < b.len() {
                        s.push(b[i]);
                        i += 1;
                    }
                    s.push(b[i]);
                    i += 1;
                }
                if expect_key {
                    let raw = String::from_utf8_lossy(&s).into_owned();
                    let key = serde_json::from_str::<String>(&format!("\"{raw}\"")).unwrap_or(raw);
                    if stack.len() == 1 {
                        top_key = key;
                    } else if stack.len() == 2 && stack[1] == C::Obj {
                        out.push((top_key.clone(), key, start));
                    }
                    expect_key = false;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Dependencies of a manifest by its file name.
pub fn parse_manifest(path: &str, text: &str) -> Result<Vec<Dependency>, (usize, String)> {
    if path.ends_with("package.json") {
        parse_package_json(text)
    } else {
        parse_cargo(text)
    }
}
