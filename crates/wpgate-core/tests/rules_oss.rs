//! Supply-chain rules: manifests vs the OSS register.

use std::path::{Path, PathBuf};

use wpgate_core::model::register::{self, parse_cargo, parse_package_json, parse_register};
use wpgate_core::report::{Diagnostic, Severity};
use wpgate_core::rules::oss::{self, license_denied};
use wpgate_core::rules::Emitter;
use wpgate_core::source::{WorkTree, Workspace};
use wpgate_core::Policy;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/gov2")
        .join(name)
}

fn run_check(root: &Path, policy: &Policy) -> Vec<Diagnostic> {
    let tree = WorkTree::new(root);
    let ws = Workspace::new(policy, &tree);
    let mut out = Emitter::new(policy);
    oss::check(&ws, &mut out).expect("check runs");
    let mut r = out.finish();
    r.sort();
    r.diagnostics
}

fn found(diags: &[Diagnostic], rule: &str) -> Vec<(String, usize)> {
    diags
        .iter()
        .filter(|d| d.rule == rule)
        .map(|d| (d.path.clone().unwrap_or_default(), d.line.unwrap_or(0)))
        .collect()
}

fn line_containing(path: &Path, needle: &str) -> usize {
    let text = std::fs::read_to_string(path).expect("fixture readable");
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .expect("needle in fixture")
}

#[test]
fn cargo_tables_renames_and_lines() {
    let text = std::fs::read_to_string(fixture("oss/Cargo.toml")).unwrap();
    let deps = parse_cargo(&text).unwrap();
    let got: Vec<(&str, &str, &str, usize, bool)> = deps
        .iter()
        .map(|d| {
            (
                d.key.as_str(),
                d.name.as_str(),
                d.section.as_str(),
                d.line,
                d.local,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("serde", "serde", "workspace.dependencies", 5, false),
            ("anyhow", "anyhow", "workspace.dependencies", 6, false),
            ("serde", "serde", "dependencies", 13, false),
            ("engine", "engine", "dependencies", 14, true),
            ("json", "serde_json", "dependencies", 15, false),
            ("left-pad", "left-pad", "dependencies", 16, false),
            ("tempfile", "tempfile", "dev-dependencies", 19, false),
            ("mockall", "mockall", "dev-dependencies", 20, false),
            ("cc", "cc", "build-dependencies", 23, false),
            (
                "winapi",
                "winapi",
                "target.'cfg(windows)'.dependencies",
                26,
                false
            ),
            ("nix", "nix", "target.'cfg(unix)'.dependencies", 28, false),
        ]
    );
}

#[test]
fn package_json_sections_and_lines() {
    let text = std::fs::read_to_string(fixture("oss/web/package.json")).unwrap();
    let deps = parse_package_json(&text).unwrap();
    let got: Vec<(&str, &str, usize, bool)> = deps
        .iter()
        .map(|d| (d.name.as_str(), d.section.as_str(), d.line, d.local))
        .collect();
    assert_eq!(
        got,
        vec![
            ("react", "dependencies", 6, false),
            ("@tauri-apps/api", "dependencies", 7, false),
            ("lodash", "dependencies", 8, false),
            ("vitest", "devDependencies", 11, false),
            ("local-lib", "devDependencies", 12, true),
            ("react-dom", "peerDependencies", 15, false),
            ("fsevents", "optionalDependencies", 18, false),
        ]
    );
}

#[test]
fn register_names_strip_decoration_and_versions() {
    let text = std::fs::read_to_string(fixture("oss/docs/OSS_REGISTER.md")).unwrap();
    let names: Vec<String> = parse_register(&text).into_iter().map(|e| e.name).collect();
    for n in [
        "serde",
        "serde_json",
        "anyhow",
        "react",
        "@tauri-apps/api",
        "vitest",
    ] {
        assert!(names.iter().any(|x| x == n), "{n} missing from {names:?}");
    }
    // The governance list and the separator rows are not components.
    assert!(!names
        .iter()
        .any(|x| x.starts_with('-') || x.contains("Every")));
}

#[test]
fn unregistered_dependencies_are_reported_with_manifest_and_line() {
    let root = fixture("oss");
    let diags = run_check(&root, &Policy::default());
    let mut got = found(&diags, "oss.unregistered-dependency");
    got.sort();
    assert_eq!(
        got,
        vec![
            ("Cargo.toml".to_string(), 16),
            ("Cargo.toml".to_string(), 20),
            ("web/package.json".to_string(), 8),
            ("web/package.json".to_string(), 18),
        ],
        "{diags:#?}"
    );
    let msgs: Vec<&str> = diags
        .iter()
        .filter(|d| d.rule == "oss.unregistered-dependency")
        .map(|d| d.message.as_str())
        .collect();
    assert!(msgs
        .iter()
        .any(|m| m.contains("`left-pad`") && m.contains("Cargo.toml")));
    assert!(diags
        .iter()
        .filter(|d| d.rule == "oss.unregistered-dependency")
        .all(|d| d.severity == Severity::Error));
}

#[test]
fn copyleft_licenses_are_denied_unless_isolated() {
    let root = fixture("oss");
    let reg = root.join("docs/OSS_REGISTER.md");
    let diags = run_check(&root, &Policy::default());
    let mut got = found(&diags, "oss.forbidden-license");
    got.sort();
    assert_eq!(
        got,
        vec![
            (
                "docs/OSS_REGISTER.md".to_string(),
                line_containing(&reg, "readline-sys")
            ),
            (
                "docs/OSS_REGISTER.md".to_string(),
                line_containing(&reg, "mysql-client")
            ),
        ]
    );
}

#[test]
fn license_expressions() {
    let deny: Vec<String> = vec!["GPL".into(), "AGPL".into(), "LGPL".into()];
    assert!(license_denied("GPL-3.0-only", &deny));
    assert!(license_denied("GPLv3", &deny));
    assert!(license_denied("AGPL-3.0", &deny));
    assert!(license_denied("MIT AND GPL-2.0", &deny));
    assert!(!license_denied("MIT/Apache-2.0", &deny));
    assert!(!license_denied("MIT OR GPL-2.0", &deny));
    assert!(!license_denied("MPL-2.0", &deny));
    // Only GPL denied: LGPL is a different license, not a GPL variant.
    assert!(!license_denied("LGPL-2.1", &["GPL".to_string()]));
}

#[test]
fn a_clean_repository_is_quiet() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("docs")).unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"x\"\n\n[dependencies]\nserde = \"1\"\nserde-json = { version = \"1\" }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("docs/OSS_REGISTER.md"),
        "| Crate | License |\n|---|---|\n| serde | MIT |\n| serde_json | MIT |\n",
    )
    .unwrap();
    let diags = run_check(dir.path(), &Policy::default());
    assert!(diags.is_empty(), "{diags:#?}");
}

#[test]
fn missing_register_and_ignored_dirs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"x\"\n[dependencies]\nserde = \"1\"\n",
    )
    .unwrap();
    // A manifest under node_modules/ is not the repository's.
    std::fs::create_dir_all(dir.path().join("node_modules/pkg")).unwrap();
    std::fs::write(
        dir.path().join("node_modules/pkg/package.json"),
        "{ not json",
    )
    .unwrap();
    let diags = run_check(dir.path(), &Policy::default());
    assert_eq!(found(&diags, "oss.register-missing").len(), 1, "{diags:#?}");
    assert!(found(&diags, "oss.manifest-invalid").is_empty());
    assert!(!register::is_manifest("node_modules/pkg/package.json"));
    assert!(!register::is_manifest("target/debug/build/x/Cargo.toml"));
    assert!(register::is_manifest("app/src-tauri/Cargo.toml"));

    // No dependencies at all: no register needed.
    std::fs::write(dir.path().join("Cargo.toml"), "[package]\nname = \"x\"\n").unwrap();
    let diags = run_check(dir.path(), &Policy::default());
    assert!(diags.is_empty(), "{diags:#?}");
}

#[test]
fn invalid_manifest_is_a_diagnostic_with_a_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("docs")).unwrap();
    std::fs::write(
        dir.path().join("docs/OSS_REGISTER.md"),
        "| Crate |\n|---|\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"x\"\n[dependencies]\nserde = { version = \"1\"\n",
    )
    .unwrap();
    let diags = run_check(dir.path(), &Policy::default());
    let inv = found(&diags, "oss.manifest-invalid");
    assert_eq!(inv.len(), 1, "{diags:#?}");
    assert_eq!(inv[0].0, "Cargo.toml");
    assert!(inv[0].1 >= 4, "line {}", inv[0].1);
}

#[test]
fn check_added_flags_only_new_unregistered_dependencies() {
    let root = fixture("oss");
    let policy = Policy::default();
    let tree = WorkTree::new(&root);
    let ws = Workspace::new(&policy, &tree);
    let old = "[package]\nname = \"x\"\n\n[dependencies]\nleft-pad = \"0.1\"\n";
    let new = "[package]\nname = \"x\"\n\n[dependencies]\nleft-pad = \"0.1\"\nserde = \"1\"\nright-pad = \"1\"\n\n[dev-dependencies]\nleft-pad = \"0.1\"\n";
    let mut out = Emitter::new(&policy);
    oss::check_added("crates/x/Cargo.toml", Some(old), new, &ws, &mut out).unwrap();
    let r = out.finish();
    let got = found(&r.diagnostics, "oss.unregistered-dependency");
    // left-pad in [dependencies] existed before; serde is registered; right-pad is new and
    // unregistered; left-pad as a new dev-dependency is an addition too.
    assert_eq!(
        got,
        vec![
            ("crates/x/Cargo.toml".to_string(), 7),
            ("crates/x/Cargo.toml".to_string(), 10)
        ],
        "{:#?}",
        r.diagnostics
    );

    // Nothing added: quiet.
    let mut out = Emitter::new(&policy);
    oss::check_added("crates/x/Cargo.toml", Some(old), old, &ws, &mut out).unwrap();
    assert!(out.finish().diagnostics.is_empty());

    // package.json, new file.
    let mut out = Emitter::new(&policy);
    oss::check_added(
        "web2/package.json",
        None,
        "{\n  \"dependencies\": {\n    \"react\": \"19\",\n    \"left-pad\": \"1\"\n  }\n}\n",
        &ws,
        &mut out,
    )
    .unwrap();
    let r = out.finish();
    assert_eq!(
        found(&r.diagnostics, "oss.unregistered-dependency"),
        vec![("web2/package.json".to_string(), 4)]
    );
}

/// The real corpus (skipped when absent): lists what its register lacks.
#[test]
fn corpus_register_coverage() {
    let Some(root) = corpus_root() else {
        eprintln!("corpus not present; skipped");
        return;
    };
    let diags = run_check(&root, &Policy::default());
    let mut names: Vec<String> = diags
        .iter()
        .filter(|d| d.rule == "oss.unregistered-dependency")
        .map(|d| {
            format!(
                "{}:{} {}",
                d.path.as_deref().unwrap_or(""),
                d.line.unwrap_or(0),
                d.message.split('`').nth(1).unwrap_or("")
            )
        })
        .collect();
    names.sort();
    eprintln!("corpus unregistered dependencies:\n{}", names.join("\n"));
    let expected = [
        "src/backend/handshake_core/Cargo.toml:24 sha2",
        "src/backend/handshake_core/Cargo.toml:25 hex",
        "src/backend/handshake_core/Cargo.toml:26 unicode-normalization",
        "src/backend/handshake_core/Cargo.toml:27 tiktoken-rs",
        "src/backend/handshake_core/Cargo.toml:29 tokenizers",
        "src/backend/handshake_core/Cargo.toml:30 regex",
        "src/backend/handshake_core/Cargo.toml:31 zip",
        "src/backend/handshake_core/Cargo.toml:34 tempfile",
    ];
    let mut expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(names, expected);
    assert!(found(&diags, "oss.forbidden-license").is_empty());
    assert!(found(&diags, "oss.register-missing").is_empty());
}

/// The corpus: `$WPGATE_CORPUS`, or `shared/corpus/handshake-2026-01-01` beside the
/// workspace (`/work/main`) or beside the worktree directory (`/work/wt/NAME`).
fn corpus_root() -> Option<std::path::PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut candidates: Vec<std::path::PathBuf> = Vec::new();
    if let Ok(p) = std::env::var("WPGATE_CORPUS") {
        candidates.push(p.into());
    }
    candidates.push(manifest.join("../../../shared/corpus/handshake-2026-01-01"));
    candidates.push(manifest.join("../../../../shared/corpus/handshake-2026-01-01"));
    candidates.into_iter().find(|p| p.join("docs").is_dir())
}
