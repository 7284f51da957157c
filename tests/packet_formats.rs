//! `wpgate packet new --format md|toml|json` and `wpgate schema packet` through the binary,
//! on real repositories: Markdown unchanged, structured packets written only where a packet
//! root finds them, read back with every field, valid against the printed schema.

mod common;

use common::*;
use std::path::Path;
use wpgate_core::model::packet::{structured, Format};
use wpgate_core::policy::Policy;

/// `packet new WP-1-Golden-Check` as wpgate wrote it before `--format` (WPGATE_TODAY is
/// 2023-11-20 in the tests).
const GOLDEN_MD: &str = r#"# Task Packet: WP-1-Golden-Check

## Metadata
- TASK_ID: WP-1-Golden-Check
- DATE: 2023-11-20
- REQUESTOR: {user or source}
- AGENT_ID: {your agent ID}
- ROLE: Orchestrator
- STATUS: Ready for Dev

## Scope
- **What**: {1-2 sentence description}
- **Why**: {Business/technical rationale}
- **IN_SCOPE_PATHS**:
  * {specific file path}
  * {another specific file path}
- **OUT_OF_SCOPE**:
  * {what NOT to change}
  * {deferred work}

## Quality Gate
- **RISK_TIER**: {LOW | MEDIUM | HIGH}
- **TEST_PLAN**:
  ```bash
  {exact command the coder MUST run}
  ```
- **DONE_MEANS**:
  * {Specific criterion mapped to SPEC_ANCHOR, e.g. MUST: … (§x.y.z, requirement 1)}
  * All tests pass
- **ROLLBACK_HINT**:
  ```bash
  git revert <commit-sha>
  ```

## Bootstrap (Coder Work Plan)
- **FILES_TO_OPEN**:
  * docs/SPEC_CURRENT.md
  * {5-15 implementation-specific files}
- **SEARCH_TERMS**:
  * "{key symbol/function}"
  * "{10-20 grep targets}"
- **RUN_COMMANDS**:
  ```bash
  {startup and validation commands}
  ```
- **RISK_MAP**:
  * "{failure mode}" -> {affected subsystem}
  * "{3-8 failure modes}" -> {affected subsystem}

## Authority
- **SPEC_ANCHOR**: §{section} ({requirement})
- **Task Board**: docs/TASK_BOARD.md

## Notes
- **Assumptions**: {If any - mark as ASSUMPTION}
- **Open Questions**: {If any - must resolve before coding}
- **Dependencies**: {Other WPs this depends on, or None}
- **Effort**: {estimate in hours}
"#;
const GOLDEN_STDOUT: &str = "created docs/task_packets/WP-1-Golden-Check.md\nnext: fill in the placeholders, add it to the task board, then `wpgate packet check WP-1-Golden-Check` and `wpgate packet lock WP-1-Golden-Check --signature <signature>`\n";

/// A policy whose packet roots hold all three formats.
const ROOTS: &str = r#"[[layout.packet_roots]]
include = ["docs/task_packets/WP-*.md", "docs/task_packets/WP-*.toml", "docs/task_packets/WP-*.json"]
"#;

fn with_roots() -> TestRepo {
    let r = TestRepo::new();
    r.write("wpgate.toml", ROOTS);
    r
}

fn new_packet(dir: &Path, wp: &str, format: &str) -> std::process::Output {
    wpgate(dir)
        .args(["packet", "new", wp, "--format", format])
        .output()
        .expect("run")
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The document as JSON (a TOML packet through wpgate's own reader's canonical form).
fn as_json(text: &str, format: Format) -> serde_json::Value {
    let node = structured::parse(text, format).expect("parses");
    serde_json::from_str(&node.canonical(&[])).expect("canonical JSON")
}

fn schema() -> serde_json::Value {
    serde_json::from_str(structured::SCHEMA).expect("the schema is JSON")
}

fn schema_errors(doc: &serde_json::Value) -> Vec<String> {
    let s = schema();
    let v = jsonschema::validator_for(&s).expect("schema compiles");
    v.iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect()
}

/// The canonical names of the default `[packet.pointers]` and their first pointer.
fn default_pointers() -> Vec<(String, String)> {
    let v = serde_json::to_value(&Policy::default().packet.pointers).expect("pointers");
    let obj = v.as_object().expect("object");
    obj.iter()
        .map(|(k, p)| {
            let first = match p {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Array(a) => a[0].as_str().expect("pointer").to_string(),
                other => panic!("{k}: {other}"),
            };
            (k.clone(), first)
        })
        .collect()
}

#[test]
fn markdown_stays_the_default_and_byte_identical() {
    for args in [
        vec!["packet", "new", "WP-1-Golden-Check"],
        vec!["packet", "new", "WP-1-Golden-Check", "--format", "md"],
    ] {
        let r = TestRepo::new();
        let out = wpgate(&r.path).args(&args).output().expect("run");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            GOLDEN_STDOUT,
            "{args:?}"
        );
        assert_eq!(
            read(&r.path, "docs/task_packets/WP-1-Golden-Check.md"),
            GOLDEN_MD,
            "{args:?}"
        );
        let names: Vec<_> = std::fs::read_dir(r.path.join("docs/task_packets"))
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
}

#[test]
fn structured_packets_are_refused_where_no_packet_root_finds_them() {
    for format in ["toml", "json"] {
        let r = TestRepo::new();
        let out = new_packet(&r.path, "WP-1-Job-Cancel", format);
        assert_eq!(out.status.code(), Some(2), "{format}: {out:?}");
        let err = stderr(&out);
        assert!(
            err.contains(&format!("docs/task_packets/WP-1-Job-Cancel.{format}")),
            "{err}"
        );
        assert!(err.contains("no packet root"), "{err}");
        assert!(err.contains("layout.packet_roots"), "{err}");
        assert!(
            err.contains(&format!("docs/task_packets/WP-*.{format}")),
            "names the glob to add: {err}"
        );
        assert!(
            !r.path.join("docs/task_packets").exists(),
            "nothing written for {format}"
        );
    }
    // A declared root without the format: the glob to add is named too.
    let r = TestRepo::new();
    r.write(
        "wpgate.toml",
        "[[layout.packet_roots]]\ninclude = [\"docs/task_packets/WP-*.md\"]\n",
    );
    let out = new_packet(&r.path, "WP-1-Job-Cancel", "json");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        stderr(&out).contains("add `docs/task_packets/WP-*.json`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_unknown_packet_format_is_a_usage_error() {
    let r = with_roots();
    let out = new_packet(&r.path, "WP-1-Job-Cancel", "yaml");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let out = wpgate(&r.path)
        .args(["--format", "sarif", "packet", "new", "WP-1-Job-Cancel"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        stderr(&out).contains("md, toml or json"),
        "{}",
        stderr(&out)
    );
    assert!(!r.path.join("docs/task_packets").exists());
}

#[test]
fn structured_packets_read_back_with_every_field() {
    let r = with_roots();
    let policy = Policy::default();
    for (wp, format, kind) in [
        ("WP-1-Toml-Packet", "toml", Format::Toml),
        ("WP-1-Json-Packet", "json", Format::Json),
    ] {
        let out = new_packet(&r.path, wp, format);
        assert_eq!(out.status.code(), Some(0), "{format}: {out:?}");
        let rel = format!("docs/task_packets/{wp}.{format}");
        assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("created {rel}")));
        let text = read(&r.path, &rel);
        let p = structured::read_packet(&rel, &text, kind, &policy).expect("reads");
        assert_eq!(p.id, wp);
        assert_eq!(p.task_id.as_ref().map(|f| f.value.as_str()), Some(wp));
        assert_eq!(
            p.status.as_ref().map(|f| f.value.as_str()),
            Some("Ready for Dev")
        );
        assert!(p.parse_notes.is_empty(), "{:?}", p.parse_notes);
        assert!(!p.is_locked(), "a new packet is not locked");
        // Every field of the default pointers is there (microtasks are no field of the
        // packet itself: the key is there, an empty list).
        for (name, pointer) in default_pointers() {
            if name == "microtasks" {
                let doc = as_json(&text, kind);
                assert_eq!(doc["microtasks"], serde_json::json!([]), "{format}");
                continue;
            }
            assert!(p.has_field(&name), "{format}: {name} ({pointer}) missing");
        }
        for name in policy
            .packet
            .structured_required_fields
            .iter()
            .chain(&policy.packet.required_fields)
        {
            assert!(p.has_field(name), "{format}: required {name} missing");
        }
        // The placeholders of the template, as in Markdown.
        assert!(!p.placeholders.is_empty(), "{format}: placeholders");
        assert_eq!(p.in_scope_paths.len(), 2);
        assert_eq!(p.done_means.len(), 2);
    }
    // An id is taken whatever the format: the next free one is named.
    for format in ["md", "toml", "json"] {
        let out = new_packet(&r.path, "WP-1-Toml-Packet", format);
        assert_eq!(out.status.code(), Some(1), "{format}: {out:?}");
        assert!(
            stderr(&out).contains("WP-1-Toml-Packet-v2"),
            "{}",
            stderr(&out)
        );
    }
    assert!(!r
        .path
        .join("docs/task_packets/WP-1-Toml-Packet.md")
        .exists());
    assert!(!r
        .path
        .join("docs/task_packets/WP-1-Toml-Packet.json")
        .exists());
}

#[test]
fn structured_packets_are_listed_when_a_root_includes_them() {
    let r = with_roots();
    for (wp, format) in [
        ("WP-1-Md-Packet", "md"),
        ("WP-1-Toml-Packet", "toml"),
        ("WP-1-Json-Packet", "json"),
    ] {
        assert_eq!(new_packet(&r.path, wp, format).status.code(), Some(0));
    }
    let out = wpgate(&r.path)
        .args(["packet", "list", "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v = json(&out);
    let rows = v["packets"].as_array().expect("packets");
    let mut found: Vec<(String, String)> = rows
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap_or("").to_string(),
                p["path"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            (
                "WP-1-Json-Packet",
                "docs/task_packets/WP-1-Json-Packet.json"
            ),
            ("WP-1-Md-Packet", "docs/task_packets/WP-1-Md-Packet.md"),
            (
                "WP-1-Toml-Packet",
                "docs/task_packets/WP-1-Toml-Packet.toml"
            ),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string())),
        "{v:#}"
    );
    for p in rows {
        assert_eq!(p["status"], "Ready for Dev", "{p}");
        assert_eq!(p["locked"], false, "{p}");
    }
}

#[test]
fn packet_check_of_a_fresh_structured_packet_misses_no_field() {
    let r = with_roots();
    for (wp, format) in [("WP-1-Toml-Packet", "toml"), ("WP-1-Json-Packet", "json")] {
        assert_eq!(new_packet(&r.path, wp, format).status.code(), Some(0));
        let out = wpgate(&r.path)
            .args(["packet", "check", wp, "--format", "json"])
            .output()
            .expect("run");
        // The fresh packet has placeholders (exit 1 like a fresh Markdown packet), but
        // it is found and no field is missing.
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{format}: {out:?}"
        );
        let v = json(&out);
        let rules: Vec<String> = v["diagnostics"]
            .as_array()
            .map(|d| {
                d.iter()
                    .filter_map(|x| x["rule"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        assert!(
            !rules.iter().any(|r| r == "packet.missing-field"),
            "{format}: {rules:?}"
        );
    }
}

#[test]
fn schema_packet_is_json_schema_of_the_default_pointers() {
    let r = TestRepo::new();
    let out = wpgate(&r.path)
        .args(["schema", "packet"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(printed, schema(), "prints the core crate's SCHEMA");
    assert_eq!(
        printed["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    jsonschema::draft202012::meta::validate(&printed).expect("a valid 2020-12 schema");
    // Every default pointer is a property, with a description.
    for (name, pointer) in default_pointers() {
        let mut at = &printed;
        for key in pointer.trim_start_matches('/').split('/') {
            at = &at["properties"][key];
        }
        assert!(at.is_object(), "{name}: {pointer} not in the schema");
        assert!(
            at["description"].is_string(),
            "{name}: {pointer} undescribed"
        );
    }
    // `required`: the default structured_required_fields, mapped to their keys.
    let pointers: std::collections::BTreeMap<String, String> =
        default_pointers().into_iter().collect();
    let mut required: Vec<String> = Vec::new();
    for name in &Policy::default().packet.structured_required_fields {
        let pointer = &pointers[name];
        let keys: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
        let mut at = &printed;
        for key in &keys {
            let req: Vec<&str> = at["required"]
                .as_array()
                .map(|a| a.iter().filter_map(|k| k.as_str()).collect())
                .unwrap_or_default();
            assert!(
                req.contains(key),
                "{name}: `{key}` of {pointer} not required"
            );
            at = &at["properties"][*key];
        }
        required.push(keys.join("."));
    }
    assert_eq!(
        required,
        [
            "id",
            "status",
            "scope.in",
            "scope.out",
            "spec_anchors",
            "done_means"
        ]
    );
    // A lone string and a list are both a list.
    assert!(schema_errors(&serde_json::json!({
        "id": "WP-1-A", "status": "Ready for Dev",
        "scope": {"in": "src/a.rs", "out": ["src/b/**"]},
        "spec_anchors": "§1.2", "done_means": ["tests pass"]
    }))
    .is_empty());
    // A packet without a required key, or with a list of objects for a list of strings,
    // is not one.
    assert!(!schema_errors(&serde_json::json!({
        "status": "Ready for Dev", "scope": {"in": [], "out": []},
        "spec_anchors": [], "done_means": []
    }))
    .is_empty());
    assert!(!schema_errors(&serde_json::json!({
        "id": "WP-1-A", "status": "Ready for Dev", "scope": {"in": [{"path": "a"}], "out": []},
        "spec_anchors": [], "done_means": []
    }))
    .is_empty());
}

#[test]
fn written_packets_validate_against_the_schema() {
    let r = with_roots();
    for (wp, format, kind) in [
        ("WP-1-Toml-Packet", "toml", Format::Toml),
        ("WP-1-Json-Packet", "json", Format::Json),
    ] {
        assert_eq!(new_packet(&r.path, wp, format).status.code(), Some(0));
        let text = read(&r.path, &format!("docs/task_packets/{wp}.{format}"));
        if kind == Format::Json {
            let direct: serde_json::Value = serde_json::from_str(&text).expect("JSON");
            assert_eq!(direct, as_json(&text, kind));
        }
        let errs = schema_errors(&as_json(&text, kind));
        assert!(errs.is_empty(), "{format}: {errs:#?}");
    }
}
