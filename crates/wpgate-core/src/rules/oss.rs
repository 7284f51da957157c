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

use crate::model::register::{
    is_manifest, normalize_name, parse_manifest, parse_register, Dependency, RegisterEntry,
};

use std::collections::BTreeSet;

use crate::error::Error;
use crate::report::Severity;
use crate::rules::{diag, Emitter, RuleInfo};
use crate::source::Workspace;

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
    let path = ws.resolve(&ws.policy.layout.oss_register);
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
            .with_path(ws.policy.layout.oss_register.primary()),
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
