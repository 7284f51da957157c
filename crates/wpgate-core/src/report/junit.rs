//! JUnit XML: one testcase per rule and target, so CI systems count what was checked.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::github::plain_line;
use super::{Diagnostic, Report, RuleInfo, Severity};

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
pub fn junit(report: &Report, registry: &[&RuleInfo]) -> String {
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
    for r in registry {
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

#[cfg(test)]
mod tests {
    use super::*;

    use crate::report::test_diag as d;

    #[test]
    fn junit_one_case_per_rule_and_target() {
        let mut r = Report::new();
        r.push(d(Severity::Error, "x"));
        r.push(d(Severity::Error, "y"));
        r.push(Diagnostic::new("scope.out-of-scope", Severity::Warning, "z").with_path("b"));
        let x = junit(&r, &[]);
        assert_eq!(x.matches("<failure").count(), 1);
        assert!(x.contains("name=\"scope.out-of-scope src/a,b:c.rs\""));
        assert!(x.contains("name=\"scope.out-of-scope b\""));
        assert!(!x.contains("scope.out-of-scope (all targets)"));
    }

    #[test]
    fn xml_escape_drops_control_chars() {
        assert_eq!(xml_escape("a<&>\"'\u{1}b"), "a&lt;&amp;&gt;&quot;&apos;b");
    }
}
