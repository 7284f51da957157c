//! CI output formats through the CLI: SARIF validated against the official SARIF 2.1.0
//! schema (tests/fixtures/sarif), GitHub workflow commands, JUnit XML.
mod common;

use common::*;

const SCHEMA: &str = include_str!("fixtures/sarif/sarif-schema-2.1.0.json");

fn out_of_scope_commit(r: &TestRepo, files: usize) -> String {
    let owned: Vec<(String, String)> = (0..files)
        .map(|i| {
            (
                format!("src/api/f{i:02}.rs"),
                format!("pub fn f{i}() {{}}\n"),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = owned
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    r.commit_files(&format!("feat: api [{WP}]"), &refs)
}

fn validate(doc: &serde_json::Value) -> Vec<String> {
    let schema: serde_json::Value = serde_json::from_str(SCHEMA).expect("schema JSON");
    let v = jsonschema::validator_for(&schema).expect("schema compiles");
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

#[test]
fn sarif_is_valid_against_the_official_schema_and_complete() {
    let r = governed();
    out_of_scope_commit(&r, 2);
    let out = wpgate(&r.path)
        .args(["check", "--commit", "HEAD", "--format", "sarif"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    let errs = validate(&doc);
    assert!(errs.is_empty(), "schema errors: {errs:#?}");
    assert_eq!(doc["version"], "2.1.0");
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let listed = wpgate(&r.path)
        .args(["explain", "--list"])
        .output()
        .expect("run");
    let n_rules = String::from_utf8_lossy(&listed.stdout).lines().count();
    assert_eq!(rules.len(), n_rules, "one reportingDescriptor per rule");
    for rule in rules {
        for k in [
            "id",
            "shortDescription",
            "fullDescription",
            "help",
            "defaultConfiguration",
        ] {
            assert!(!rule[k].is_null(), "rule without {k}: {rule}");
        }
    }
    let results = run["results"].as_array().expect("results");
    let oos: Vec<_> = results
        .iter()
        .filter(|x| x["ruleId"] == "scope.out-of-scope")
        .collect();
    assert_eq!(oos.len(), 2, "{results:#?}");
    let uris: Vec<&str> = oos
        .iter()
        .map(|x| {
            x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(uris.contains(&"src/api/f00.rs"), "{uris:?}");
    let fp: Vec<&str> = oos
        .iter()
        .map(|x| {
            x["partialFingerprints"]["wpgateFinding/v1"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_ne!(fp[0], fp[1], "fingerprints tell findings apart");
    let idx = oos[0]["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[idx]["id"], "scope.out-of-scope");
    assert_eq!(oos[0]["level"], "error");
}

#[test]
fn sarif_of_a_clean_check_is_valid_and_empty() {
    let r = governed();
    r.commit_files(
        &format!("feat: storage [{WP}]"),
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn get(&self); }\n",
        )],
    );
    let out = wpgate(&r.path)
        .args(["check", "--commit", "HEAD", "--format", "sarif"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(validate(&doc).is_empty());
    assert_eq!(doc["runs"][0]["results"].as_array().unwrap().len(), 0);
}

#[test]
fn the_schema_fixture_rejects_a_broken_log() {
    // The validation above can fail: a result without a message is refused.
    let bad = serde_json::json!({
        "version": "2.1.0",
        "runs": [{ "tool": { "driver": { "name": "wpgate" } }, "results": [{ "ruleId": "x" }] }]
    });
    assert!(!validate(&bad).is_empty());
}

#[test]
fn github_commands_escape_and_report_overflow() {
    let r = governed();
    r.commit_files(
        &format!("feat: odd [{WP}]"),
        &[("src/api/a,b:c%.rs", "x\n")],
    );
    let out = wpgate(&r.path)
        .args(["check", "--commit", "HEAD", "--format", "github"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("::error ") && l.contains("scope.out-of-scope"))
        .unwrap_or_else(|| panic!("no annotation: {text}"));
    assert!(line.contains("file=src/api/a%2Cb%3Ac%25.rs"), "{line}");
    let message = line.splitn(3, "::").nth(2).unwrap();
    assert!(
        !message.contains('\n') && message.contains("%0Ahelp"),
        "{line}"
    );

    let r = governed();
    out_of_scope_commit(&r, 13);
    let out = wpgate(&r.path)
        .args(["check", "--commit", "HEAD", "--format", "github"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    let oos = text
        .lines()
        .filter(|l| l.starts_with("::error ") && l.contains("scope.out-of-scope"))
        .count();
    assert!(oos <= 10, "{text}");
    assert!(
        text.contains("more findings than GitHub shows as annotations"),
        "{text}"
    );
    assert!(text.contains("src/api/f12.rs") || text.contains("src/api/f00.rs"));
}

#[test]
fn junit_has_a_testcase_per_rule_and_target() {
    let r = governed();
    out_of_scope_commit(&r, 2);
    let out = wpgate(&r.path)
        .args(["check", "--commit", "HEAD", "--format", "junit"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let x = String::from_utf8_lossy(&out.stdout);
    assert!(x.starts_with("<?xml"));
    assert!(
        x.contains("name=\"scope.out-of-scope src/api/f00.rs\""),
        "{x}"
    );
    assert!(
        x.contains("name=\"scope.out-of-scope src/api/f01.rs\""),
        "{x}"
    );
    assert!(x.matches("<failure").count() >= 2);
    assert!(
        x.contains("(all targets)\"/>"),
        "passing rules are listed: {x}"
    );
    assert_eq!(x.matches("<testsuite ").count(), 1);
}
