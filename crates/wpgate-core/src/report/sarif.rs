//! SARIF 2.1.0: one run, every registry rule a `reportingDescriptor`, findings as results
//! with stable fingerprints. A pure function of the report and the rule catalog.

use std::fmt::Write as _;

use std::collections::BTreeMap;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{line_col, Diagnostic, Report, RuleInfo, Severity};

/// The `$schema` written into SARIF logs.
pub const SARIF_SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn rule_descriptor(r: &RuleInfo) -> Value {
    let mut help_md = String::new();
    let _ = write!(
        help_md,
        "{}\n\nExample that triggers it:\n\n```\n{}\n```\n\nRun `wpgate explain {}` for details.",
        r.help,
        r.example.trim_end(),
        r.id
    );
    json!({
        "id": r.id,
        "name": camel_name(r.id),
        "shortDescription": { "text": r.summary },
        "fullDescription": { "text": r.help },
        "help": {
            "text": format!("{}\n\nExample:\n{}", r.help, r.example.trim_end()),
            "markdown": help_md,
        },
        "defaultConfiguration": { "level": sarif_level(r.default) },
        "properties": { "tags": ["wpgate", r.id.split('.').next().unwrap_or(r.id)] },
    })
}

/// `scope.out-of-scope` → `ScopeOutOfScope` (SARIF's `name` is an identifier-like label).
fn camel_name(id: &str) -> String {
    let mut out = String::new();
    for part in id.split(['.', '-', '_']) {
        let mut cs = part.chars();
        if let Some(c) = cs.next() {
            out.extend(c.to_uppercase());
            out.push_str(cs.as_str());
        }
    }
    out
}

/// A stable identity of a finding that survives line moves: rule, path, packet, commit-free
/// message with digits removed (line numbers in messages shift).
pub fn fingerprint(d: &Diagnostic) -> String {
    let normalized: String = d.message.chars().filter(|c| !c.is_ascii_digit()).collect();
    let mut h = Sha256::new();
    for part in [
        d.rule.as_str(),
        d.path.as_deref().unwrap_or(""),
        d.wp.as_deref().unwrap_or(""),
        normalized.as_str(),
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    let digest = h.finalize();
    let mut hex = String::with_capacity(32);
    for b in &digest[..16] {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// Percent-encodes what is not allowed in a relative URI reference (spaces, `%`, non-ASCII).
fn uri_path(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn region(report: &Report, d: &Diagnostic) -> Option<Value> {
    let text = d.path.as_ref().and_then(|p| report.sources.get(p));
    if let (Some(text), Some(span)) = (text, d.span) {
        if span.end <= text.len() {
            let (sl, sc) = line_col(text, span.start);
            let (el, ec) = line_col(text, span.end);
            return Some(json!({
                "startLine": sl, "startColumn": sc, "endLine": el.max(sl),
                "endColumn": if el > sl { ec } else { ec.max(sc) },
            }));
        }
    }
    d.line
        .filter(|&l| l >= 1)
        .map(|l| json!({ "startLine": l }))
}

/// The SARIF 2.1.0 log of a report: one run, every rule of `registry` (the rule catalog,
/// [`crate::rules::all`]) as a `reportingDescriptor`.
pub fn sarif(report: &Report, registry: &[&RuleInfo]) -> Value {
    let mut descriptors: Vec<Value> = registry.iter().map(|r| rule_descriptor(r)).collect();
    let mut index: BTreeMap<String, usize> = registry
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.to_string(), i))
        .collect();
    let mut results = Vec::new();
    for d in &report.diagnostics {
        let rule_index = match index.get(&d.rule) {
            Some(&i) => i,
            None => {
                // A diagnostic outside the registry (internal checks): describe it anyway so
                // every result has a rule.
                let i = descriptors.len();
                descriptors.push(json!({
                    "id": d.rule,
                    "name": camel_name(&d.rule),
                    "shortDescription": { "text": d.rule },
                    "defaultConfiguration": { "level": sarif_level(d.severity) },
                }));
                index.insert(d.rule.clone(), i);
                i
            }
        };
        let mut text = d.message.clone();
        if let Some(h) = &d.help {
            text.push_str("\nhelp: ");
            text.push_str(h);
        }
        let mut result = json!({
            "ruleId": d.rule,
            "ruleIndex": rule_index,
            "level": sarif_level(d.severity),
            "kind": "fail",
            "message": { "text": text },
            "partialFingerprints": { "wpgateFinding/v1": fingerprint(d) },
        });
        if let Some(path) = &d.path {
            let mut phys = json!({
                "artifactLocation": { "uri": uri_path(path), "uriBaseId": "%SRCROOT%" },
            });
            if let Some(r) = region(report, d) {
                phys["region"] = r;
            }
            result["locations"] = json!([{ "physicalLocation": phys }]);
        }
        let mut props = serde_json::Map::new();
        if let Some(wp) = &d.wp {
            props.insert("wp".into(), json!(wp));
        }
        if let Some(c) = &d.commit {
            props.insert("commit".into(), json!(c));
        }
        if let Some(c) = &d.code {
            props.insert("code".into(), json!(c));
        }
        if !props.is_empty() {
            result["properties"] = Value::Object(props);
        }
        if let Some(w) = &d.waiver {
            result["suppressions"] = json!([{ "kind": "external", "state": "accepted", "justification": format!("waived by {w}") }]);
        }
        results.push(result);
    }
    json!({
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "wpgate",
                "version": crate::VERSION,
                "semanticVersion": crate::VERSION,
                "rules": descriptors,
            }},
            "invocations": [{ "executionSuccessful": true }],
            "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": "The repository root." } } },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

/// [`sarif`] as pretty JSON with a final newline.
pub fn sarif_string(report: &Report, registry: &[&RuleInfo]) -> String {
    let mut s = serde_json::to_string_pretty(&sarif(report, registry)).unwrap_or_else(|e| {
        format!("{{\"version\":\"2.1.0\",\"runs\":[],\"properties\":{{\"error\":\"{e}\"}}}}")
    });
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::report::test_diag as d;

    #[test]
    fn fingerprint_ignores_line_numbers() {
        let a = d(Severity::Error, "first difference at line 18");
        let b = d(Severity::Error, "first difference at line 20");
        assert_eq!(fingerprint(&a), fingerprint(&b));
        let c = d(Severity::Error, "other");
        assert_ne!(fingerprint(&a), fingerprint(&c));
    }
}
