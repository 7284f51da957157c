//! Machine formats of a [`Report`] for CI systems: SARIF 2.1.0, GitHub workflow commands,
//! JUnit XML, and the Markdown summary `wpgate ci` writes to `GITHUB_STEP_SUMMARY`.
//!
//! Everything here is a pure function of the report and the rule registry
//! ([`crate::rules::all`]); nothing reads the environment or writes files.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::diag::{line_col, Diagnostic, Report, Severity};
use crate::error::Error;
use crate::render::Format;
use crate::rules::{self, RuleInfo};

/// Renders `report` in a CI format (`sarif`, `github`, `junit`).
pub fn render(report: &Report, format: Format) -> Result<String, Error> {
    match format {
        Format::Sarif => Ok(sarif_string(report)),
        Format::Github => Ok(github(report, &GithubOptions::default()).text),
        Format::Junit => Ok(junit(report)),
        other => Err(Error::Usage(format!(
            "--format {other:?} is not a CI format (expected sarif, github or junit)"
        ))),
    }
}

// ---------------------------------------------------------------------------------------
// SARIF 2.1.0
// ---------------------------------------------------------------------------------------

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

/// The SARIF 2.1.0 log of a report: one run, every registry rule as a `reportingDescriptor`.
pub fn sarif(report: &Report) -> Value {
    let registry = rules::all();
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
pub fn sarif_string(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&sarif(report)).unwrap_or_else(|e| {
        format!("{{\"version\":\"2.1.0\",\"runs\":[],\"properties\":{{\"error\":\"{e}\"}}}}")
    });
    s.push('\n');
    s
}

// ---------------------------------------------------------------------------------------
// GitHub workflow commands
// ---------------------------------------------------------------------------------------

/// GitHub shows at most this many annotations of one type (error, warning, notice) per step…
pub const GITHUB_PER_TYPE_PER_STEP: usize = 10;
/// …and at most this many per job.
pub const GITHUB_PER_JOB: usize = 50;

/// Escapes the message part of a workflow command (`%`, CR, LF).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value of a workflow command (`%`, CR, LF, `:` and `,`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command_of(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    }
}

/// How annotations are rendered.
#[derive(Debug, Clone)]
pub struct GithubOptions {
    pub per_type: usize,
    pub per_job: usize,
    /// The findings that do not fit are also in the step summary (`wpgate ci` writes it).
    pub summary_written: bool,
}

impl Default for GithubOptions {
    fn default() -> Self {
        GithubOptions {
            per_type: GITHUB_PER_TYPE_PER_STEP,
            per_job: GITHUB_PER_JOB,
            summary_written: false,
        }
    }
}

/// The rendered commands plus what did not fit.
#[derive(Debug, Clone, Default)]
pub struct GithubOutput {
    pub text: String,
    pub annotated: usize,
    /// Indexes into `report.diagnostics` of findings not shown as annotations.
    pub overflow: Vec<usize>,
}

/// One workflow command for a diagnostic.
pub fn github_command(d: &Diagnostic) -> String {
    let mut props = Vec::new();
    if let Some(p) = &d.path {
        props.push(format!("file={}", escape_property(p)));
        if let Some(l) = d.line {
            props.push(format!("line={l}"));
        }
    }
    let title = match &d.wp {
        Some(wp) => format!("{} ({wp})", d.rule),
        None => d.rule.clone(),
    };
    props.push(format!("title={}", escape_property(&title)));
    let mut msg = d.message.clone();
    if let Some(h) = &d.help {
        msg.push_str("\nhelp: ");
        msg.push_str(h);
    }
    if let Some(c) = &d.commit {
        let _ = write!(msg, "\ncommit {}", &c[..c.len().min(12)]);
    }
    if let Some(w) = &d.waiver {
        let _ = write!(msg, "\nwaived by {w}");
    }
    format!(
        "::{} {}::{}",
        command_of(d.severity),
        props.join(","),
        escape_data(&msg)
    )
}

/// A plain log line for a finding that is not an annotation.
fn plain_line(d: &Diagnostic) -> String {
    let loc = match (&d.path, d.line) {
        (Some(p), Some(l)) => format!("{p}:{l}: "),
        (Some(p), None) => format!("{p}: "),
        _ => String::new(),
    };
    let one_line = d.message.replace(['\r', '\n'], " ");
    format!("{loc}{} {}: {one_line}", d.severity, d.rule)
}

/// GitHub workflow commands for a report, within GitHub's annotation limits. Findings over
/// the limits are printed as plain lines and said so.
pub fn github(report: &Report, opts: &GithubOptions) -> GithubOutput {
    let mut out = GithubOutput::default();
    let mut per_type: BTreeMap<&str, usize> = BTreeMap::new();
    // Errors first, so the limits keep the findings that fail the check.
    let mut order: Vec<usize> = (0..report.diagnostics.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(report.diagnostics[i].severity));
    let mut shown = vec![false; report.diagnostics.len()];
    for &i in &order {
        let d = &report.diagnostics[i];
        let kind = command_of(d.severity);
        let n = per_type.entry(kind).or_default();
        if *n < opts.per_type && out.annotated < opts.per_job {
            *n += 1;
            out.annotated += 1;
            shown[i] = true;
        }
    }
    for (i, d) in report.diagnostics.iter().enumerate() {
        if shown[i] {
            out.text.push_str(&github_command(d));
            out.text.push('\n');
        } else {
            out.overflow.push(i);
        }
    }
    if !out.overflow.is_empty() {
        let where_ = if opts.summary_written {
            "they are listed below and in the job's step summary"
        } else {
            "they are listed below"
        };
        let _ = writeln!(
            out.text,
            "::warning title=wpgate::{}",
            escape_data(&format!(
                "{} more finding{} than GitHub shows as annotations (at most {} per type per step, {} per job); {where_}",
                out.overflow.len(),
                if out.overflow.len() == 1 { "" } else { "s" },
                opts.per_type,
                opts.per_job
            ))
        );
        for &i in &out.overflow {
            out.text.push_str(&plain_line(&report.diagnostics[i]));
            out.text.push('\n');
        }
    }
    let s = report.summary();
    let _ = writeln!(
        out.text,
        "wpgate: {} error{}, {} warning{}",
        s.errors,
        if s.errors == 1 { "" } else { "s" },
        s.warnings,
        if s.warnings == 1 { "" } else { "s" }
    );
    out
}

// ---------------------------------------------------------------------------------------
// JUnit XML
// ---------------------------------------------------------------------------------------

/// Escapes text for XML content and attributes; drops characters XML 1.0 cannot carry.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// What a finding is about, for JUnit's testcase name: the path, else the packet, else the
/// repository.
fn target(d: &Diagnostic) -> String {
    d.path
        .clone()
        .or_else(|| d.wp.clone())
        .unwrap_or_else(|| "(repository)".to_string())
}

/// JUnit XML: one testcase per rule and target. A testcase fails when it has an
/// error-severity finding; warnings and notes are its `system-out`. Registry rules without
/// findings are one passing testcase each, so CI systems count what was checked.
pub fn junit(report: &Report) -> String {
    let mut groups: BTreeMap<(String, String), Vec<&Diagnostic>> = BTreeMap::new();
    for d in &report.diagnostics {
        groups
            .entry((d.rule.clone(), target(d)))
            .or_default()
            .push(d);
    }
    let mut cases = String::new();
    let mut tests = 0;
    let mut failures = 0;
    for ((rule, tgt), ds) in &groups {
        tests += 1;
        let _ = writeln!(
            cases,
            "    <testcase classname=\"wpgate.{}\" name=\"{} {}\" file=\"{}\">",
            xml_escape(rule),
            xml_escape(rule),
            xml_escape(tgt),
            xml_escape(ds[0].path.as_deref().unwrap_or(""))
        );
        let errors: Vec<&&Diagnostic> = ds
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        let body: String = ds.iter().map(|d| plain_line(d) + "\n").collect();
        if let Some(first) = errors.first() {
            failures += 1;
            let _ = writeln!(
                cases,
                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                xml_escape(rule),
                xml_escape(&first.message),
                xml_escape(&body)
            );
        } else {
            let _ = writeln!(
                cases,
                "      <system-out>{}</system-out>",
                xml_escape(&body)
            );
        }
        cases.push_str("    </testcase>\n");
    }
    let seen: std::collections::BTreeSet<&str> = groups.keys().map(|(r, _)| r.as_str()).collect();
    for r in rules::all() {
        if seen.contains(r.id) {
            continue;
        }
        tests += 1;
        let _ = writeln!(
            cases,
            "    <testcase classname=\"wpgate.{}\" name=\"{} (all targets)\"/>",
            xml_escape(r.id),
            xml_escape(r.id)
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"wpgate\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">\n  <testsuite name=\"wpgate\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">\n{cases}  </testsuite>\n</testsuites>\n"
    )
}

// ---------------------------------------------------------------------------------------
// Markdown summary (GITHUB_STEP_SUMMARY)
// ---------------------------------------------------------------------------------------

fn md_cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
        .replace('<', "&lt;")
}

/// A Markdown summary of a report: verdict, counts, a table of findings (at most
/// `max_rows`; the rest counted).
pub fn markdown_summary(report: &Report, context: &str, max_rows: usize) -> String {
    let s = report.summary();
    let notes = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Note)
        .count();
    let mut out = String::new();
    let verdict = if s.errors > 0 {
        "❌ failed"
    } else {
        "✅ passed"
    };
    let _ = writeln!(out, "## wpgate: {verdict}\n");
    if !context.is_empty() {
        let _ = writeln!(out, "{}\n", md_cell(context));
    }
    let _ = writeln!(
        out,
        "**{}** error{}, **{}** warning{}, {} note{}\n",
        s.errors,
        if s.errors == 1 { "" } else { "s" },
        s.warnings,
        if s.warnings == 1 { "" } else { "s" },
        notes,
        if notes == 1 { "" } else { "s" }
    );
    if report.diagnostics.is_empty() {
        return out;
    }
    out.push_str("| Severity | Rule | Location | Packet | Message |\n|---|---|---|---|---|\n");
    for d in report.diagnostics.iter().take(max_rows) {
        let loc = match (&d.path, d.line) {
            (Some(p), Some(l)) => format!("`{}:{l}`", p.replace('`', "'")),
            (Some(p), None) => format!("`{}`", p.replace('`', "'")),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} | {} |",
            d.severity,
            d.rule,
            md_cell(&loc),
            md_cell(d.wp.as_deref().unwrap_or("")),
            md_cell(&d.message)
        );
    }
    if report.diagnostics.len() > max_rows {
        let _ = writeln!(
            out,
            "\n… and {} more (run `wpgate ci` locally or download the SARIF for all).",
            report.diagnostics.len() - max_rows
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(sev: Severity, msg: &str) -> Diagnostic {
        Diagnostic::new("scope.out-of-scope", sev, msg).with_path("src/a,b:c.rs")
    }

    #[test]
    fn escapes_data_and_properties() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        let c = github_command(&d(Severity::Error, "bad\nthing").with_line(3));
        assert_eq!(
            c,
            "::error file=src/a%2Cb%3Ac.rs,line=3,title=scope.out-of-scope::bad%0Athing"
        );
    }

    #[test]
    fn annotation_limits_overflow() {
        let mut r = Report::new();
        for i in 0..13 {
            r.push(d(Severity::Error, &format!("e{i}")));
        }
        r.push(d(Severity::Warning, "w"));
        let out = github(&r, &GithubOptions::default());
        assert_eq!(out.annotated, 11);
        assert_eq!(out.overflow.len(), 3);
        assert_eq!(out.text.matches("::error ").count(), 10);
        assert!(out.text.contains("3 more findings than GitHub shows"));
        let quiet = github(&Report::new(), &GithubOptions::default());
        assert!(quiet.overflow.is_empty());
        assert!(!quiet.text.contains("::"));
    }

    #[test]
    fn junit_one_case_per_rule_and_target() {
        let mut r = Report::new();
        r.push(d(Severity::Error, "x"));
        r.push(d(Severity::Error, "y"));
        r.push(Diagnostic::new("scope.out-of-scope", Severity::Warning, "z").with_path("b"));
        let x = junit(&r);
        assert_eq!(x.matches("<failure").count(), 1);
        assert!(x.contains("name=\"scope.out-of-scope src/a,b:c.rs\""));
        assert!(x.contains("name=\"scope.out-of-scope b\""));
        assert!(!x.contains("scope.out-of-scope (all targets)"));
    }

    #[test]
    fn xml_escape_drops_control_chars() {
        assert_eq!(xml_escape("a<&>\"'\u{1}b"), "a&lt;&amp;&gt;&quot;&apos;b");
    }

    #[test]
    fn fingerprint_ignores_line_numbers() {
        let a = d(Severity::Error, "first difference at line 18");
        let b = d(Severity::Error, "first difference at line 20");
        assert_eq!(fingerprint(&a), fingerprint(&b));
        let c = d(Severity::Error, "other");
        assert_ne!(fingerprint(&a), fingerprint(&c));
    }
}
