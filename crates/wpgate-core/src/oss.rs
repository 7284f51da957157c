//! Supply chain: every dependency declared in a manifest must be recorded in the OSS register
//! (`layout.oss_register`, default `docs/OSS_REGISTER.md`) with an acceptable license.
//!
//! Manifests: every `Cargo.toml` (tables `[dependencies]`, `[dev-dependencies]`,
//! `[build-dependencies]`, `[target.'cfg(…)'.*dependencies]`, `[workspace.dependencies]`;
//! a renamed dependency `foo = { package = "bar" }` is registered as `bar`; path-only
//! dependencies are the repository's own crates and need no entry) and every `package.json`
//! (`dependencies`, `devDependencies`, `peerDependencies`, `optionalDependencies`;
//! `file:`, `link:` and `workspace:` specifiers are local). Files under `target/` and
//! `node_modules/` are ignored.
//!
//! The register: every Markdown pipe table of the file. The component column is the one
//! headed `Component`, `Name`, `Crate`, `Package`, `Dependency` or `Library` (else the first
//! column); the license column is the one whose header contains `License`. Names may carry
//! backticks, links or a version (`serde 1.0`, `serde@1`, `` `@tauri-apps/api` ^2 ``).
//! Names compare case-insensitively, and `-` and `_` are the same (as on crates.io).
//!
//! Licenses: a register entry is forbidden when every alternative of its license
//! expression (`/`, `OR`, `|`) contains a license from `oss.deny_licenses` (matched as a
//! prefix of a token: `GPL` matches `GPL-3.0-only` and `GPLv3`, not `LGPL`), unless a cell of
//! the row contains one of `oss.isolation_markers` (e.g. `external_process`: the component
//! runs as a separate process, never linked).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::diag::{line_of, Severity, Span};
use crate::error::Error;
use crate::rules::{diag, Emitter, RuleInfo};
use crate::workspace::Workspace;

/// Policy section `[oss]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct OssPolicy {
    /// Licenses (SPDX id prefixes, case-insensitive) that are denied by default (copyleft).
    pub deny_licenses: Vec<String>,
    /// Words in a register row that mark a denied-license component as isolated (allowed).
    pub isolation_markers: Vec<String>,
    /// Dependency names that never need a register entry (globs, e.g. internal crates).
    pub ignore: Vec<String>,
}

impl Default for OssPolicy {
    fn default() -> Self {
        OssPolicy {
            deny_licenses: vec!["GPL".into(), "AGPL".into(), "LGPL".into()],
            isolation_markers: vec!["external_process".into()],
            ignore: vec![],
        }
    }
}

pub const RULES: &[RuleInfo] = &[
    RuleInfo {
        id: "oss.unregistered-dependency",
        default: Severity::Error,
        summary: "a dependency declared in a manifest is missing from the OSS register",
        help: "Supply-chain safety: every dependency must be vetted and recorded in \
               docs/OSS_REGISTER.md (name, license, scope, purpose) before it is used. Add a row \
               for it to the register, or remove the dependency.",
        example: "# Cargo.toml\n[dependencies]\nleft-pad = \"1\"   # no `left-pad` row in docs/OSS_REGISTER.md",
    },
    RuleInfo {
        id: "oss.forbidden-license",
        default: Severity::Error,
        summary: "a registered component has a license the policy denies (copyleft) without an isolation note",
        help: "Copyleft (GPL/AGPL/LGPL) components are denied by default. Replace the component, or \
               run it as a separate process and say so in its register row (`external_process`), \
               or change `oss.deny_licenses` in the policy with approval.",
        example: "| Component | License | Scope |\n| --- | --- | --- |\n| readline | GPL-3.0 | Runtime |",
    },
    RuleInfo {
        id: "oss.register-missing",
        default: Severity::Error,
        summary: "the repository declares dependencies but has no OSS register",
        help: "Create docs/OSS_REGISTER.md (or set layout.oss_register) with a table of every \
               dependency: | Component | License | Scope | Purpose |.",
        example: "Cargo.toml with [dependencies], and no docs/OSS_REGISTER.md",
    },
    RuleInfo {
        id: "oss.manifest-invalid",
        default: Severity::Error,
        summary: "a dependency manifest cannot be parsed, so its dependencies cannot be checked",
        help: "Fix the syntax of the manifest (Cargo.toml must be TOML, package.json must be JSON).",
        example: "[dependencies]\nserde = { version = \"1\"",
    },
];

// ---------------------------------------------------------------------------------------------
// Markdown tables (shared with the signature audit)

/// One cell of a Markdown table, trimmed, with its byte span in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub text: String,
    pub span: Span,
}

/// A body row of a Markdown table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub line: usize,
    pub span: Span,
    pub cells: Vec<Cell>,
}

/// A Markdown pipe table: header cells and body rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub header: Vec<String>,
    pub line: usize,
    pub rows: Vec<Row>,
}

impl Table {
    /// Index of the first column whose normalised header is one of `names` (case-insensitive,
    /// `_`/`-`/`/` and spaces ignored).
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        let norm = |s: &str| {
            s.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect::<String>()
        };
        self.header
            .iter()
            .position(|h| names.iter().any(|n| norm(h) == norm(n)))
    }
}

fn split_row(line: &str, line_start: usize) -> Option<Vec<Cell>> {
    let trimmed_start = line.len() - line.trim_start().len();
    let t = line.trim();
    if !t.starts_with('|') {
        return None;
    }
    let mut cells = Vec::new();
    let bytes = t.as_bytes();
    let base = line_start + trimmed_start;
    let mut start = 1;
    let mut i = 1;
    let mut in_code = false;
    while i <= bytes.len() {
        let at_end = i == bytes.len();
        let c = if at_end { b'|' } else { bytes[i] };
        if c == b'`' {
            in_code = !in_code;
        }
        if c == b'\\' && !at_end {
            i += 2;
            continue;
        }
        if c == b'|' && (!in_code || at_end) {
            let raw = &t[start..i.min(t.len())];
            let lead = raw.len() - raw.trim_start().len();
            let text = raw.trim();
            if !(at_end && text.is_empty() && start >= t.len()) {
                let s = base + start + lead;
                cells.push(Cell {
                    text: text.to_string(),
                    span: Span::new(s, s + text.len()),
                });
            }
            start = i + 1;
        }
        i += 1;
    }
    // A trailing `|` leaves an empty last cell: drop it.
    if t.ends_with('|') && t.len() > 1 {
        if let Some(last) = cells.last() {
            if last.text.is_empty() {
                cells.pop();
            }
        }
    }
    Some(cells)
}

fn is_separator(cells: &[Cell]) -> bool {
    !cells.is_empty()
        && cells.iter().all(|c| {
            let t = c.text.trim();
            !t.is_empty() && t.contains('-') && t.chars().all(|ch| matches!(ch, '-' | ':' | ' '))
        })
}

/// All pipe tables of a Markdown text (outside fenced code blocks).
pub fn markdown_tables(text: &str) -> Vec<Table> {
    let mut tables = Vec::new();
    let mut lines: Vec<(usize, usize, &str)> = Vec::new(); // (line no, start offset, text)
    let mut off = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        lines.push((i + 1, off, l.trim_end_matches(['\n', '\r'])));
        off += l.len();
    }
    let mut i = 0;
    let mut in_fence = false;
    while i < lines.len() {
        let (no, start, l) = lines[i];
        let lt = l.trim_start();
        if lt.starts_with("```") || lt.starts_with("~~~") {
            in_fence = !in_fence;
            i += 1;
            continue;
        }
        if in_fence {
            i += 1;
            continue;
        }
        let Some(header) = split_row(l, start) else {
            i += 1;
            continue;
        };
        let sep = lines.get(i + 1).and_then(|(_, s, l2)| split_row(l2, *s));
        if !sep.as_deref().map(is_separator).unwrap_or(false) {
            i += 1;
            continue;
        }
        let mut table = Table {
            header: header.into_iter().map(|c| c.text).collect(),
            line: no,
            rows: vec![],
        };
        i += 2;
        while i < lines.len() {
            let (no, start, l) = lines[i];
            match split_row(l, start) {
                Some(cells) => {
                    table.rows.push(Row {
                        line: no,
                        span: Span::new(start, start + l.len()),
                        cells,
                    });
                    i += 1;
                }
                None => break,
            }
        }
        tables.push(table);
    }
    tables
}

/// Strips Markdown decoration from a cell: backticks, emphasis, a `[text](link)` wrapper.
pub fn plain(cell: &str) -> String {
    let mut s = cell.trim().to_string();
    if let (Some(open), Some(close)) = (s.find('['), s.find("](")) {
        if open == 0 && close > open {
            s = s[1..close].to_string();
        }
    }
    s.chars()
        .filter(|c| !matches!(c, '`' | '*'))
        .collect::<String>()
        .trim()
        .to_string()
}

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

// ---------------------------------------------------------------------------------------------
// Licenses

fn token_denied(token: &str, deny: &[String]) -> bool {
    let t = token.to_lowercase();
    deny.iter().any(|d| {
        let d = d.to_lowercase();
        match t.strip_prefix(&d) {
            Some(rest) => {
                rest.is_empty()
                    || rest.starts_with(['-', '+', '.', 'v'])
                    || rest.starts_with(|c: char| c.is_ascii_digit())
            }
            None => false,
        }
    })
}

/// Is a license expression denied: every alternative contains a denied license?
pub fn license_denied(expr: &str, deny: &[String]) -> bool {
    let lowered = expr.replace(" OR ", "/").replace(" or ", "/");
    let alternatives: Vec<&str> = lowered
        .split(['/', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    !alternatives.is_empty()
        && alternatives.iter().all(|alt| {
            alt.split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ',' | ';'))
                .filter(|t| !t.is_empty() && *t != "AND" && *t != "and" && *t != "WITH")
                .any(|t| token_denied(t, deny))
        })
}

// ---------------------------------------------------------------------------------------------
// Checks

struct Register {
    path: String,
    names: BTreeSet<String>,
    entries: Vec<RegisterEntry>,
}

fn load_register(ws: &Workspace) -> Result<Option<Register>, Error> {
    let path = ws.policy.layout.oss_register.clone();
    let Some(tf) = ws.text(&path)? else {
        return Ok(None);
    };
    let entries = parse_register(&tf.text);
    Ok(Some(Register {
        path,
        names: entries.iter().map(|e| normalize_name(&e.name)).collect(),
        entries,
    }))
}

fn ignored(ws: &Workspace, name: &str) -> bool {
    ws.policy.oss.ignore.iter().any(|g| {
        crate::glob::cached_matcher(g).is_some_and(|m| m.is_match(name))
            || normalize_name(g) == normalize_name(name)
    })
}

fn unregistered(ws: &Workspace, reg: &Register, path: &str, d: &Dependency, out: &mut Emitter) {
    if d.local || ignored(ws, &d.name) || reg.names.contains(&normalize_name(&d.name)) {
        return;
    }
    let renamed = if d.key != d.name {
        format!(" (declared as `{}`)", d.key)
    } else {
        String::new()
    };
    out.emit(
        diag(
            "oss.unregistered-dependency",
            format!(
                "`{}`{renamed} in [{}] of {path} is not in the OSS register {}",
                d.name, d.section, reg.path
            ),
        )
        .at(path, d.line, d.span),
    );
}

/// The manifests of the repository.
pub fn manifests(ws: &Workspace) -> Result<Vec<String>, Error> {
    Ok(ws
        .files
        .list("")?
        .into_iter()
        .filter(|p| is_manifest(p))
        .collect())
}

/// Repository-level check: every dependency of every manifest is registered; register
/// entries have acceptable licenses; the register exists when there are manifests.
pub fn check(ws: &Workspace, out: &mut Emitter) -> Result<(), Error> {
    let reg = load_register(ws)?;
    if let Some(reg) = &reg {
        check_licenses(ws, reg, out);
    }
    let mut any_deps = false;
    let mut first_manifest: Option<String> = None;
    for path in manifests(ws)? {
        let Some(tf) = ws.text(&path)? else { continue };
        let deps = match parse_manifest(&path, &tf.text) {
            Ok(d) => d,
            Err((line, msg)) => {
                out.emit(
                    diag(
                        "oss.manifest-invalid",
                        format!("{path} cannot be parsed: {msg}"),
                    )
                    .with_path(&path)
                    .with_line(line),
                );
                continue;
            }
        };
        if deps.iter().any(|d| !d.local) {
            any_deps = true;
            first_manifest.get_or_insert_with(|| path.clone());
        }
        if let Some(reg) = &reg {
            for d in &deps {
                unregistered(ws, reg, &path, d, out);
            }
        }
    }
    if reg.is_none() && any_deps {
        out.emit(
            diag(
                "oss.register-missing",
                format!(
                    "dependencies are declared (e.g. in {}) but the OSS register {} does not exist",
                    first_manifest.unwrap_or_default(),
                    ws.policy.layout.oss_register
                ),
            )
            .with_path(&ws.policy.layout.oss_register),
        );
    }
    Ok(())
}

fn check_licenses(ws: &Workspace, reg: &Register, out: &mut Emitter) {
    let pol = &ws.policy.oss;
    for e in &reg.entries {
        let Some(lic) = &e.license else { continue };
        if !license_denied(lic, &pol.deny_licenses) {
            continue;
        }
        let row = e.row_text.to_lowercase();
        if pol
            .isolation_markers
            .iter()
            .any(|m| row.contains(&m.to_lowercase()))
        {
            continue;
        }
        out.emit(
            diag(
                "oss.forbidden-license",
                format!(
                    "`{}` is licensed `{lic}`, denied by policy (oss.deny_licenses) and not marked isolated ({})",
                    e.name,
                    pol.isolation_markers.join(", ")
                ),
            )
            .at(&reg.path, e.line, e.span),
        );
    }
}

/// Diff-level check of one manifest: reports dependencies ADDED by the change (present in
/// `new`, absent from `old`, compared by registered name and section) that the register
/// lacks. `old` is `None` for a new file.
pub fn check_added(
    manifest_path: &str,
    old: Option<&str>,
    new: &str,
    ws: &Workspace,
    out: &mut Emitter,
) -> Result<(), Error> {
    let new_deps = match parse_manifest(manifest_path, new) {
        Ok(d) => d,
        Err((line, msg)) => {
            out.emit(
                diag(
                    "oss.manifest-invalid",
                    format!("{manifest_path} cannot be parsed: {msg}"),
                )
                .with_path(manifest_path)
                .with_line(line),
            );
            return Ok(());
        }
    };
    let old_names: BTreeSet<(String, String)> = old
        .and_then(|t| parse_manifest(manifest_path, t).ok())
        .unwrap_or_default()
        .into_iter()
        .map(|d| (normalize_name(&d.name), d.section))
        .collect();
    let added: Vec<&Dependency> = new_deps
        .iter()
        .filter(|d| !old_names.contains(&(normalize_name(&d.name), d.section.clone())))
        .filter(|d| !d.local)
        .collect();
    if added.is_empty() {
        return Ok(());
    }
    match load_register(ws)? {
        Some(reg) => {
            for d in added {
                unregistered(ws, &reg, manifest_path, d, out);
            }
        }
        None => out.emit(
            diag(
                "oss.register-missing",
                format!(
                    "{manifest_path} adds `{}` but the OSS register {} does not exist",
                    added[0].name, ws.policy.layout.oss_register
                ),
            )
            .at(manifest_path, added[0].line, added[0].span),
        ),
    }
    Ok(())
}
