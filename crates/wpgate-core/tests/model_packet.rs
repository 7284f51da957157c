//! The packet parser on every format variant seen in real packets (fixtures written for
//! these tests), CRLF, spans, a sweep of the real corpus when it is available, and
//! never-panic property tests.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use wpgate_core::model::packet::{parse_packet, Field, Packet};
use wpgate_core::model::text::TextFile;
use wpgate_core::policy::FieldAliases;

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/packets")
}

fn fixture_text(name: &str) -> String {
    let p = fixture_dir().join(name);
    match std::fs::read(&p) {
        Ok(b) => TextFile::decode(name, b).text.to_string(),
        Err(e) => panic!("fixture {}: {e}", p.display()),
    }
}

fn parse_text(name: &str, text: &str) -> Packet {
    parse_packet(
        &format!("docs/task_packets/{name}"),
        text,
        &FieldAliases::default(),
    )
}

fn fixture(name: &str) -> (String, Packet) {
    let text = fixture_text(name);
    let p = parse_text(name, &text);
    (text, p)
}

fn values(fs: &[Field<String>]) -> Vec<&str> {
    fs.iter().map(|f| f.value.as_str()).collect()
}

/// Every field's span points at text that contains its value (modulo markup) and its line
/// is the line of the span.
fn assert_spans(text: &str, fs: &[Field<String>]) {
    for f in fs {
        let at = &text[f.span.start..f.span.end];
        assert!(!at.contains('\r'), "span of {:?} holds a \\r", f.value);
        let line = text[..f.span.start].matches('\n').count() + 1;
        assert_eq!(f.line, line, "line of {:?}", f.value);
        assert!(
            at.contains(f.value.as_str()) || f.value.contains(at.trim()),
            "span text {at:?} does not match value {:?}",
            f.value
        );
    }
}

#[test]
fn complete_template_packet() {
    let (text, p) = fixture("WP-1-Complete-Example.md");
    assert_eq!(p.id, "WP-1-Complete-Example");
    assert_eq!(
        p.title.as_ref().map(|t| t.value.as_str()),
        Some("Task Packet: WP-1-Complete-Example")
    );
    assert_eq!(
        p.status.as_ref().map(|f| f.value.as_str()),
        Some("Ready for Dev")
    );
    assert_eq!(
        p.risk_tier.as_ref().map(|f| f.value.as_str()),
        Some("MEDIUM")
    );
    assert_eq!(
        values(&p.in_scope_paths),
        vec![
            "src/server/jobs/cancel.rs",
            "src/server/jobs/mod.rs",
            "src/server/api/routes.rs",
            "tests/server/jobs_cancel.rs"
        ]
    );
    assert_eq!(
        values(&p.out_of_scope),
        vec!["Job scheduler rewrite (→ WP-1-Scheduler-v2)", "UI changes"]
    );
    assert_eq!(
        values(&p.test_plan),
        vec![
            "cargo test -p server jobs_cancel",
            "cargo clippy -p server -- -D warnings"
        ]
    );
    assert!(p.has_test_plan);
    assert_eq!(p.done_means.len(), 3);
    assert_eq!(p.files_to_open.len(), 5);
    assert_eq!(p.search_terms.len(), 10);
    assert_eq!(p.risk_map.len(), 3);
    assert_eq!(
        p.rollback_hint.as_ref().map(|f| f.value.as_str()),
        Some("git revert <commit-sha>")
    );
    assert_eq!(p.spec_anchors.len(), 1);
    let a = &p.spec_anchors[0];
    assert_eq!(a.number.as_deref(), Some("4.2.1"));
    assert_eq!(a.title.as_deref(), Some("Job Cancellation"));
    assert_eq!(a.rule_ids, vec!["CX-JOB-010"]);
    assert_eq!(&text[a.span.start..a.span.end], a.raw);
    assert_eq!(values(&p.depends_on), vec!["WP-1-Job-Queue"]);
    assert_eq!(values(&p.blocks), vec!["WP-1-Job-Retry"]);
    assert_eq!(
        p.effort.as_ref().map(|f| f.value.as_str()),
        Some("4-6 hours")
    );
    // Lock: the footer wins over the metadata field.
    let lock = p.lock.as_ref().expect("lock");
    assert!(lock.real);
    assert_eq!(lock.signature.value, "alice020120261000");
    let footer_end = lock.footer_end.expect("footer");
    assert!(text[..footer_end].ends_with("**User Signature Locked:** alice020120261000\n"));
    assert!(p.placeholders.is_empty(), "{:?}", p.placeholders);
    for f in [
        "task_id",
        "status",
        "what",
        "why",
        "in_scope_paths",
        "out_of_scope",
        "spec_anchor",
        "risk_tier",
        "test_plan",
        "done_means",
        "rollback_hint",
        "files_to_open",
        "search_terms",
        "run_commands",
        "risk_map",
        "dependencies",
        "effort",
        "signature",
    ] {
        assert!(p.has_field(f), "missing {f}");
    }
    let label = p.field_label("in_scope_paths").expect("label");
    assert_eq!(&text[label.span.start..label.span.end], "IN_SCOPE_PATHS");
    for fs in [
        &p.in_scope_paths,
        &p.out_of_scope,
        &p.test_plan,
        &p.done_means,
        &p.files_to_open,
        &p.search_terms,
        &p.risk_map,
        &p.depends_on,
    ] {
        assert_spans(&text, fs);
    }
}

#[test]
fn crlf_keeps_spans_and_values_clean() {
    let lf = fixture_text("WP-1-Complete-Example.md");
    let crlf = lf.replace('\n', "\r\n");
    let a = parse_text("WP-1-Complete-Example.md", &lf);
    let b = parse_text("WP-1-Complete-Example.md", &crlf);
    assert_eq!(values(&a.in_scope_paths), values(&b.in_scope_paths));
    assert_eq!(values(&a.test_plan), values(&b.test_plan));
    assert_eq!(values(&a.done_means), values(&b.done_means));
    assert_eq!(a.status.map(|f| f.value), b.status.clone().map(|f| f.value));
    for fs in [
        &b.in_scope_paths,
        &b.test_plan,
        &b.done_means,
        &b.out_of_scope,
    ] {
        assert_spans(&crlf, fs);
        for f in fs {
            assert!(!f.value.contains('\r'));
        }
    }
    let lock = b.lock.as_ref().expect("lock");
    assert!(!lock.signature.value.contains('\r'));
    let end = lock.footer_end.expect("footer");
    assert!(crlf[..end].ends_with("alice020120261000\r\n"));
    let st = b.status.as_ref().expect("status");
    assert_eq!(&crlf[st.span.start..st.span.end], "Ready for Dev");
    assert_eq!(st.line, 9);
}

/// One notion of a line: a lone CR is a line break for pulldown-cmark (between blocks and
/// list items), so it is one for the parser's own line reading (paragraph lines, scalar
/// values, the footer line) and for the lock. (pulldown-cmark 0.13 does not honour it
/// everywhere: a code fence after a lone CR is read as text, so TEST_PLAN is not compared
/// here; the lock therefore treats an LF turned into a CR as an edit.)
#[test]
fn lone_cr_is_a_line_break_like_lf() {
    let lf = fixture_text("WP-1-Complete-Example.md");
    let cr = lf.replace('\n', "\r");
    let a = parse_text("WP-1-Complete-Example.md", &lf);
    let b = parse_text("WP-1-Complete-Example.md", &cr);
    assert_eq!(values(&a.in_scope_paths), values(&b.in_scope_paths));
    assert_eq!(values(&a.out_of_scope), values(&b.out_of_scope));
    assert_eq!(a.status.map(|f| f.value), b.status.clone().map(|f| f.value));
    let lock = b.lock.as_ref().expect("lock");
    assert_eq!(
        Some(lock.signature.value.as_str()),
        a.lock.as_ref().map(|l| l.signature.value.as_str())
    );

    // Paragraph lines: `**Status:** …` and the next label, separated by a lone CR.
    let para =
        "# WP\r\r**Status:** Ready\r**IN_SCOPE_PATHS:** src/x.rs\r**OUT_OF_SCOPE:** src/api/\r";
    let p = parse_text("WP-1-P.md", para);
    assert_eq!(p.status.as_ref().map(|f| f.value.as_str()), Some("Ready"));
    assert_eq!(values(&p.in_scope_paths), ["src/x.rs"]);
    assert_eq!(values(&p.out_of_scope), ["src/api/"]);
}

/// The lock's line splitter: LF, CRLF and lone CR each end one line; U+2028, U+2029 and
/// U+0085 do not (pulldown-cmark does not honour them either: no field rides on them).
#[test]
fn the_lock_splits_lines_where_the_reader_does() {
    use wpgate_core::model::packet::lock::{split_lines, Break};
    let s = "a\nb\r\nc\rd\u{2028}e\u{85}f\r";
    let lines: Vec<(&str, Break)> = split_lines(s)
        .iter()
        .map(|l| (&s[l.start..l.end], l.brk))
        .collect();
    assert_eq!(
        lines,
        [
            ("a", Break::Lf),
            ("b", Break::CrLf),
            ("c", Break::Cr),
            ("d\u{2028}e\u{85}f", Break::Cr)
        ]
    );
    assert_eq!(split_lines("").len(), 1);
    assert_eq!(split_lines("x").len(), 1);
    assert_eq!(split_lines("x\n").len(), 1);
    let p = parse_text(
        "WP-1-P.md",
        "# WP\n\n- STATUS: Ready\u{2028}- **IN_SCOPE_PATHS**: src/api/x.rs\n- **IN_SCOPE_PATHS**: src/y.rs\n",
    );
    assert_eq!(values(&p.in_scope_paths), ["src/y.rs"]);
}

#[test]
fn heading_sections_groups_and_annotations() {
    let (text, p) = fixture("WP-1-Heading-Sections.md");
    assert_eq!(
        p.status.as_ref().map(|f| f.value.as_str()),
        Some("In Progress")
    );
    assert_eq!(
        values(&p.in_scope_paths),
        vec![
            "src/core/bundles/",
            "src/core/bundles/mod.rs",
            "src/core/migrations/*.sql",
            "src/core/main.rs",
            "app/src/components/BundleExport.tsx",
            "justfile"
        ]
    );
    // The span of a backticked path is the path without the backticks.
    let first = &p.in_scope_paths[0];
    assert_eq!(&text[first.span.start..first.span.end], "src/core/bundles/");
    assert_eq!(
        values(&p.out_of_scope),
        vec![
            "Migrations rewrite (→ WP-1-Migration-Framework)",
            "Cloud upload - Phase 2+"
        ]
    );
    assert_eq!(p.risk_tier.as_ref().map(|f| f.value.as_str()), Some("HIGH"));
    assert_eq!(
        values(&p.test_plan),
        vec![
            "cargo test --manifest-path src/core/Cargo.toml",
            "pnpm -C app test"
        ]
    );
    assert_eq!(p.done_means.len(), 2);
    assert_eq!(
        p.rollback_hint.as_ref().map(|f| f.value.as_str()),
        Some("git revert <sha>")
    );
    let nums: Vec<_> = p.spec_anchors.iter().map(|a| a.number.as_deref()).collect();
    assert_eq!(nums, vec![Some("10.5.6.1"), Some("11.5")]);
    assert_eq!(p.spec_anchors[0].title.as_deref(), Some("Debug Bundle"));
    assert_eq!(p.spec_anchors[1].rule_ids, vec!["FR-EVT-005"]);
    assert_eq!(
        values(&p.depends_on),
        vec!["WP-1-Flight-Recorder-v2", "WP-1-Capability-SSoT"]
    );
    assert_eq!(values(&p.blocks), vec!["WP-1-Bundle-Import"]);
    assert_eq!(values(&p.blocks), vec!["WP-1-Bundle-Import"]);
    assert!(p.has_field("dependencies"));
    // `{id}` inside backticks is code, not a placeholder (and not in a field anyway).
    assert!(p.placeholders.is_empty(), "{:?}", p.placeholders);
    assert!(p.is_locked());
    assert!(p
        .headings
        .iter()
        .any(|h| h.level == 3 && h.text == "IN_SCOPE_PATHS"));
    assert_spans(&text, &p.in_scope_paths);
}

#[test]
fn bold_status_prose_scope_and_inline_lists() {
    let (text, p) = fixture("WP-1-Bold-Status.md");
    assert_eq!(p.id, "WP-1-Bold-Status");
    assert!(p.task_id.is_none());
    assert_eq!(
        p.status.as_ref().map(|f| f.value.as_str()),
        Some("READY FOR DEV")
    );
    assert_eq!(
        p.effort.as_ref().map(|f| f.value.as_str()),
        Some("8-12 hours")
    );
    // Numbered prose stays prose, whole.
    assert_eq!(
        values(&p.in_scope_paths),
        vec![
            "Terminal exec guardrails: timeout, kill_grace, max_output, cwd sandbox.",
            "Secret scan on terminal commands before execution."
        ]
    );
    assert_eq!(p.out_of_scope.len(), 1);
    assert_eq!(p.risk_tier.as_ref().map(|f| f.value.as_str()), Some("HIGH"));
    assert_eq!(
        values(&p.test_plan),
        vec![
            "cargo test --manifest-path src/core/Cargo.toml",
            "just validator-scan"
        ]
    );
    assert_eq!(
        values(&p.files_to_open),
        vec![
            "docs/SPEC_CURRENT.md",
            "src/core/terminal.rs",
            "src/core/guards.rs"
        ]
    );
    assert_eq!(p.search_terms.len(), 3);
    assert_eq!(p.risk_map.len(), 2);
    assert!(p.spec_anchors.is_empty());
    let lock = p.lock.as_ref().expect("lock");
    assert!(!lock.real);
    assert_eq!(lock.signature.value, "<pending>");
    assert!(lock.footer_end.is_some());
    assert_spans(&text, &p.files_to_open);
    assert_spans(&text, &p.search_terms);
}

#[test]
fn mangled_encoding_fences_and_reports() {
    let (text, p) = fixture("WP-1-Mangled-Encoding.md");
    let nums: Vec<_> = p.spec_anchors.iter().map(|a| a.number.as_deref()).collect();
    assert_eq!(
        nums,
        vec![Some("2.6.6.7.14"), Some("2.3.12.1"), Some("7.6.3.2")]
    );
    assert_eq!(
        p.spec_anchors[1].title.as_deref(),
        Some("Four Portability Pillars")
    );
    assert_eq!(p.spec_anchors[1].rule_ids, vec!["CX-DBP-040"]);
    assert_eq!(p.spec_anchors[0].raw, "??2.6.6.7.14");
    // `## RISK_TIER` section with `- Level: HIGH`.
    assert_eq!(p.risk_tier.as_ref().map(|f| f.value.as_str()), Some("HIGH"));
    // The damaged fence "`\x08ash" … "`".
    assert_eq!(
        values(&p.test_plan),
        vec![
            "just validator-spec-regression",
            "just validator-scan WP-1-Mangled-Encoding"
        ]
    );
    assert_spans(&text, &p.test_plan);
    // The appended report does not override the packet's fields.
    assert_eq!(
        p.status.as_ref().map(|f| f.value.as_str()),
        Some("Ready for Dev")
    );
    assert!(p
        .spec_anchors
        .iter()
        .all(|a| a.number.as_deref() != Some("9.9.9")));
    let lock = p.lock.as_ref().expect("lock");
    assert!(lock.real);
    assert_eq!(lock.signature.value, "carol");
    assert_eq!(lock.footer_end, None);
}

#[test]
fn nested_groups_metadata_and_digest() {
    let (text, p) = fixture("WP-1-Nested-Groups.md");
    assert_eq!(
        values(&p.in_scope_paths),
        vec![
            "src/core/llm/mod.rs",
            "src/core/llm/ollama.rs",
            "src/core/tests/llm_errors.rs"
        ]
    );
    assert_eq!(
        p.status.as_ref().map(|f| f.value.as_str()),
        Some("Done [VALIDATED]")
    );
    assert_eq!(p.signature(), Some("dave"));
    let d = p.lock_digest.as_ref().expect("digest");
    assert!(d.value.starts_with("sha256:0123"));
    assert_eq!(&text[d.span.start..d.span.end], d.value);
    assert_eq!(p.risk_tier.as_ref().map(|f| f.value.as_str()), Some("LOW"));
    assert_eq!(values(&p.done_means), vec!["Error codes are stable."]);
    let nums: Vec<_> = p.spec_anchors.iter().map(|a| a.number.as_deref()).collect();
    assert_eq!(
        nums,
        vec![Some("A2.6.6.7.11"), Some("2.3.12.1"), Some("10.1.1.1")]
    );
    assert_eq!(p.spec_anchors[1].rule_ids, vec!["CX-DBP-021"]);
    assert_eq!(values(&p.depends_on), vec!["WP-1-LLM-Core"]);
    assert_eq!(p.effort.as_ref().map(|f| f.value.as_str()), Some("2 hours"));
    assert_eq!(
        values(&p.out_of_scope),
        vec!["Any changes in app/ or src/frontend/."]
    );
}

#[test]
fn template_placeholders_are_found() {
    let (text, p) = fixture("WP-1-Template-Placeholders.md");
    let ph = values(&p.placeholders);
    for want in [
        "{phase}",
        "{short-name}",
        "{1-2 sentence description}",
        "{specific file or directory}",
        "{Exact bash commands}",
        "{Specific criterion 1}",
    ] {
        assert!(ph.contains(&want), "{want} not in {ph:?}");
    }
    assert_spans(&text, &p.placeholders);
    assert_eq!(
        p.risk_tier.as_ref().map(|f| f.value.as_str()),
        Some("LOW | MEDIUM | HIGH")
    );
    assert!(p.has_test_plan);
    assert!(p.test_plan.is_empty());
    assert!(!p.is_locked());
    assert_eq!(p.spec_anchors[0].number, None);
}

#[test]
fn custom_aliases_adapt_without_code() {
    let text = "# P\n\n- Ticket: WP-9-Custom\n- Zustand: Offen\n- Dateien:\n  - src/a/b/c.rs\n";
    let mut f = FieldAliases::default();
    f.task_id.push("Ticket".into());
    f.status.push("Zustand".into());
    f.in_scope_paths.push("Dateien".into());
    let p = parse_packet("docs/task_packets/x.md", text, &f);
    // The identity is the file name; the TASK_ID (under the team's label) is read.
    assert_eq!(p.id, "x");
    assert_eq!(p.task_id.map(|t| t.value), Some("WP-9-Custom".to_string()));
    assert_eq!(p.status.map(|s| s.value), Some("Offen".to_string()));
    assert_eq!(values(&p.in_scope_paths), vec!["src/a/b/c.rs"]);
}

#[test]
fn empty_and_odd_inputs() {
    for t in [
        "",
        "\n",
        "#",
        "- **",
        "**STATUS:**",
        "```",
        "- IN_SCOPE_PATHS:\n  -",
        "`ash\n",
        "\u{feff}# x\r\n- STATUS: a\r",
    ] {
        let p = parse_text("WP-1-X.md", t);
        assert_eq!(p.id, "WP-1-X");
    }
}

#[test]
fn report_before_packet_and_lazy_status_line() {
    // A validation report pasted above the packet body ends at the next heading of its
    // level; fields inside it are ignored, fields after it are read.
    let text = "# Task Packet: WP-1-R\n\n## Metadata\n- TASK_ID: WP-1-R\n- ROLE: Orchestrator\n**STATUS:** VALIDATED\n\n\
                ## RE-AUDIT VALIDATION REPORT (Forensic)\nVerdict: PASS\n\n### Findings\n- **RISK_TIER**: LOW\n\n\
                **STATUS:** HARD-VALIDATED\n\n## Scope\n- **IN_SCOPE_PATHS**:\n  * src/a/b/c.rs\n\n\
                ## Quality Gate\n- **RISK_TIER**: HIGH\n";
    let p = parse_text("WP-1-R.md", text);
    assert_eq!(
        p.status.as_ref().map(|f| f.value.as_str()),
        Some("VALIDATED")
    );
    assert_eq!(p.risk_tier.as_ref().map(|f| f.value.as_str()), Some("HIGH"));
    assert_eq!(values(&p.in_scope_paths), vec!["src/a/b/c.rs"]);
}

#[test]
fn dependencies_section_blocker_and_none() {
    let text =
        "# T\n\n## Dependencies\n- Depends on: WP-1-A-v2, WP-2-B\n- Blocks: WP-3-C\n- None\n\n\
                ## Notes\n- Blocker: WP-1-D must land\n- **Effort:** 3 hours\n";
    let p = parse_text("WP-1-T.md", text);
    assert_eq!(values(&p.depends_on), vec!["WP-1-A-v2", "WP-2-B", "WP-1-D"]);
    assert_eq!(values(&p.blocks), vec!["WP-3-C"]);
    assert_eq!(p.dependencies.len(), 4);
    assert_eq!(p.effort.map(|f| f.value), Some("3 hours".to_string()));
}

#[test]
fn inline_scope_lists() {
    let text = "# T\n- IN_SCOPE_PATHS: `src/a/b.rs`, src/c/d.rs\n- OUT_OF_SCOPE: UI; docs\n\
                - IN_SCOPE: ignored second occurrence\n- SEARCH_TERMS: \"a\", \"b\", \"c\"\n";
    let p = parse_text("WP-1-T.md", text);
    assert_eq!(values(&p.in_scope_paths), vec!["src/a/b.rs", "src/c/d.rs"]);
    assert_eq!(values(&p.out_of_scope), vec!["UI", "docs"]);
    assert_eq!(p.search_terms.len(), 3);
    assert_spans(text, &p.in_scope_paths);
}

// ------------------------------------------------------------------ corpus sweep

#[test]
fn trailing_glob_is_not_bold_markup() {
    let text = "## Scope\n- IN_SCOPE_PATHS: src/kernel/**, app/**, **src/bold.rs**\n- **OUT_OF_SCOPE**: x\n";
    let p = parse_text("WP-1-Glob.md", text);
    assert_eq!(
        values(&p.in_scope_paths),
        ["src/kernel/**", "app/**", "src/bold.rs"]
    );
}

/// Issue: a fence opened inside a list item whose content and closing fence are not
/// indented. CommonMark ends the item (and the code) at the first unindented line, the
/// "closing" fence opens a code block that runs to the end, and `## SCOPE` vanishes.
const DESYNC: &str = "# Task Packet: WP-1-Desync

## Metadata
- TASK_ID: WP-1-Desync
- STATUS: Ready for Dev

## QUALITY_GATE
- **TEST_PLAN**:
  ```bash
cargo test -p core
just lint
```
- **DONE_MEANS**:
  * tests pass

## SCOPE
- **IN_SCOPE_PATHS**:
  * src/core/lib.rs
  * src/core/kernel/**
- **OUT_OF_SCOPE**:
  * src/ui/

## AUTHORITY
- none
";

#[test]
fn list_indented_fence_with_unindented_content_is_resynchronised() {
    let p = parse_text("WP-1-Desync.md", DESYNC);
    assert_eq!(
        values(&p.in_scope_paths),
        ["src/core/lib.rs", "src/core/kernel/**"]
    );
    assert_eq!(values(&p.out_of_scope), ["src/ui/"]);
    assert_eq!(values(&p.done_means), ["tests pass"]);
    // The code block is put back under its list item: TEST_PLAN reads its commands.
    assert_eq!(values(&p.test_plan), ["cargo test -p core", "just lint"]);
    assert_spans(DESYNC, &p.in_scope_paths);
    assert_spans(DESYNC, &p.test_plan);
    assert_eq!(p.in_scope_paths[0].line, 18);
    let heads: Vec<(&str, usize)> = p
        .headings
        .iter()
        .map(|h| (h.text.as_str(), h.line))
        .collect();
    assert!(heads.contains(&("SCOPE", 16)), "{heads:?}");
    assert!(heads.contains(&("AUTHORITY", 23)), "{heads:?}");
    assert_eq!(p.parse_notes.len(), 1, "{:?}", p.parse_notes);
    assert_eq!(p.parse_notes[0].line, 9);
    assert!(p.parse_notes[0].value.contains("lines 9-12"));
}

/// The 2026-06 spec excerpts: fences indented under `- EXCERPT_ASCII_ESCAPED:`, content at
/// the margin (list items and `####` headings of the quoted spec), closers indented. The
/// plain reading alternates code and text out of step and loses the sections after it.
const EXCERPTS: &str = "# Task Packet: WP-1-Excerpts

## SPEC_CONTEXT_WINDOWS
#### ANCHOR 1
- SPEC_ANCHOR: spec.md 2.0.4
- EXCERPT_ASCII_ESCAPED:
  ```text
- **IN_SCOPE_PATHS:** quoted/not/a/scope.rs
  - All mutations MUST be patches.
  ```

#### ANCHOR 2
- EXCERPT_ASCII_ESCAPED:
  ```text
#### 2.3.13.9 Kernel Authority State
  Kernel authority MUST be durable.
  ```

#### ANCHOR 3
- EXCERPT_ASCII_ESCAPED:
  ```text
CalendarEvent (RawContent)
  - id (RID)
  ```
## SCOPE
- IN_SCOPE_PATHS:
  - src/calendar.rs
- OUT_OF_SCOPE:
  - the UI
## QUALITY_GATE
### TEST_PLAN
```bash
cargo test calendar
```
";

#[test]
fn spec_excerpts_fenced_under_list_items_stay_code() {
    let p = parse_text("WP-1-Excerpts.md", EXCERPTS);
    assert_eq!(values(&p.in_scope_paths), ["src/calendar.rs"]);
    assert_eq!(values(&p.out_of_scope), ["the UI"]);
    assert_eq!(values(&p.test_plan), ["cargo test calendar"]);
    assert_eq!(p.in_scope_paths[0].line, 27);
    let heads: Vec<&str> = p.headings.iter().map(|h| h.text.as_str()).collect();
    assert_eq!(
        heads,
        [
            "Task Packet: WP-1-Excerpts",
            "SPEC_CONTEXT_WINDOWS",
            "ANCHOR 1",
            "ANCHOR 2",
            "ANCHOR 3",
            "SCOPE",
            "QUALITY_GATE",
            "TEST_PLAN"
        ]
    );
    assert_eq!(p.parse_notes.len(), 3, "{:?}", p.parse_notes);
    assert_eq!(
        p.parse_notes.iter().map(|n| n.line).collect::<Vec<_>>(),
        [7, 14, 21]
    );
}

/// A genuine fenced example that holds heading and field lines, properly closed (and one
/// indented consistently inside a list item): code, not packet structure; nothing recovered.
#[test]
fn genuine_code_blocks_with_headings_are_not_misread() {
    let text = "# Task Packet: WP-1-Genuine

## TEMPLATE EXAMPLE
```markdown
## SCOPE
- IN_SCOPE_PATHS:
  - src/from/the/example.rs
```

- **TEST_PLAN**:
  ```bash
  cargo test
  ## not a heading
  ```

## Scope
- IN_SCOPE_PATHS:
  - src/real.rs
";
    let p = parse_text("WP-1-Genuine.md", text);
    assert_eq!(values(&p.in_scope_paths), ["src/real.rs"]);
    assert_eq!(values(&p.test_plan), ["cargo test"]);
    let heads: Vec<&str> = p.headings.iter().map(|h| h.text.as_str()).collect();
    assert_eq!(
        heads,
        ["Task Packet: WP-1-Genuine", "TEMPLATE EXAMPLE", "Scope"]
    );
    assert!(p.parse_notes.is_empty(), "{:?}", p.parse_notes);
}

/// An unterminated fence (the author forgot to close it) is read as CommonMark reads it;
/// so is a fence indented at the top level, whose content CommonMark reads right.
#[test]
fn unterminated_and_top_level_indented_fences_are_left_alone() {
    let text = "# Task Packet: WP-1-Open

## Scope
- IN_SCOPE_PATHS:
  - src/a.rs

Run:
  ```bash
cargo test
  ```

## Notes
```text
## Hidden
";
    let p = parse_text("WP-1-Open.md", text);
    assert_eq!(values(&p.in_scope_paths), ["src/a.rs"]);
    let heads: Vec<&str> = p.headings.iter().map(|h| h.text.as_str()).collect();
    assert_eq!(heads, ["Task Packet: WP-1-Open", "Scope", "Notes"]);
    assert!(p.parse_notes.is_empty(), "{:?}", p.parse_notes);
}

/// CRLF and lone-CR line breaks do not defeat the recovery, and spans stay clean.
#[test]
fn resynchronisation_with_crlf() {
    let text = DESYNC.replace('\n', "\r\n");
    let p = parse_text("WP-1-Desync.md", &text);
    assert_eq!(
        values(&p.in_scope_paths),
        ["src/core/lib.rs", "src/core/kernel/**"]
    );
    assert_eq!(values(&p.test_plan), ["cargo test -p core", "just lint"]);
    assert_eq!(p.parse_notes.len(), 1);
    assert_eq!(p.in_scope_paths[0].line, 18);
}

fn corpus_dir() -> Option<PathBuf> {
    // `../../../shared/…` from the workspace of the main checkout; further up from a worktree.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|a| a.join("shared/corpus/handshake-2026-01-01/docs/task_packets"))
        .find(|p| p.is_dir())
}

#[test]
fn corpus_sweep() {
    let Some(dir) = corpus_dir() else {
        eprintln!("corpus not available; skipping");
        return;
    };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("read corpus dir")
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".md") && n != "README.md")
        .collect();
    names.sort();
    assert_eq!(names.len(), 87);
    let mut packets = Vec::new();
    for n in &names {
        let raw = std::fs::read(dir.join(n)).expect("read packet");
        let tf = TextFile::decode(&format!("docs/task_packets/{n}"), raw);
        let p = parse_packet(&tf.path, &tf.text, &FieldAliases::default());
        packets.push((n.clone(), p));
    }
    // TASK_ID equals the file stem, except for the dated file names whose TASK_ID names
    // the version (which `packet.id-mismatch` reports).
    let renamed = [
        (
            "WP-1-Storage-Foundation-20251228",
            "WP-1-Storage-Foundation-v2",
        ),
        (
            "WP-1-Tokenization-Service-20251228",
            "WP-1-Tokenization-Service-v2",
        ),
    ];
    for (n, p) in &packets {
        let stem = n.trim_end_matches(".md");
        if let Some(t) = &p.task_id {
            match renamed.iter().find(|(s, _)| *s == stem) {
                Some((_, id)) => assert_eq!(t.value, *id, "{n}"),
                None => assert_eq!(t.value, stem, "{n}"),
            }
        }
    }
    let with_status = packets.iter().filter(|(_, p)| p.status.is_some()).count();
    assert!(with_status >= 77, "only {with_status} packets have STATUS");
    // Every packet that lists scope under any variant yields entries.
    let expect_first = [
        ("WP-1-ACE-Runtime.md", "src/backend/handshake_core/src/ace/mod.rs"),
        (
            "WP-1-Migration-Framework.md",
            "src/backend/handshake_core/migrations/*.sql",
        ),
        (
            "WP-1-Debug-Bundle-v2.md",
            "src/backend/handshake_core/src/bundles/",
        ),
        ("WP-1-Debug-Bundle-v3.md", "docs/SPEC_CURRENT.md"),
        (
            "WP-1-Operator-Consoles-v2.md",
            "src/backend/handshake_core/src/diagnostics/mod.rs",
        ),
        (
            "WP-1-Validator-Error-Codes-v1.md",
            "src/backend/handshake_core/src/llm/mod.rs",
        ),
        (
            "WP-1-Security-Gates-v3.md",
            "src/backend/handshake_core/src/terminal/config.rs",
        ),
        (
            "WP-1-Security-Gates-v2.md",
            "src/backend/handshake_core/src/terminal.rs",
        ),
        ("WP-1-Gate-Check-Tool.md", "scripts/validation/gate-check.mjs"),
        ("WP-1-Frontend-AI-Action.md", "app/src/components/DocumentView.tsx"),
        (
            "WP-1-Storage-Foundation.md",
            "src/backend/handshake_core/migrations/",
        ),
        (
            "WP-1-Workflow-Engine-v3.md",
            "src/backend/handshake_core/src/main.rs",
        ),
        (
            "WP-1-Tokenization-Service.md",
            "src/backend/handshake_core/src/tokenization.rs",
        ),
        (
            "WP-1-Terminal-Integration-Baseline.md",
            "src/backend/handshake_core/src/terminal.rs",
        ),
        (
            "WP-1-Security-Gates.md",
            "Terminal exec guardrails: timeout, kill_grace, max_output, cwd sandbox, allowlist of commands/modes.",
        ),
        (
            "WP-1-Frontend-Build-Debug.md",
            "All `.ts` and `.tsx` files under `app/src/`.",
        ),
    ];
    for (n, first) in expect_first {
        let p = &packets
            .iter()
            .find(|(m, _)| m == n)
            .unwrap_or_else(|| panic!("{n} missing"))
            .1;
        assert_eq!(
            p.in_scope_paths.first().map(|f| f.value.as_str()),
            Some(first),
            "{n}"
        );
    }
    // Any packet that spells an in-scope label has entries.
    for (n, p) in &packets {
        if p.has_field("in_scope_paths") {
            assert!(
                !p.in_scope_paths.is_empty(),
                "{n}: in-scope label but no entries"
            );
        }
    }
    // Anchors, including the damaged `??` section sign.
    let anchors = |n: &str| -> Vec<Option<String>> {
        packets
            .iter()
            .find(|(m, _)| m == n)
            .map(|(_, p)| p.spec_anchors.iter().map(|a| a.number.clone()).collect())
            .unwrap_or_default()
    };
    assert_eq!(
        anchors("WP-1-Migration-Framework.md"),
        vec![
            Some("2.3.12.1".to_string()),
            Some("2.3.12.2".to_string()),
            Some("2.3.12.4".to_string())
        ]
    );
    assert_eq!(
        anchors("WP-1-Workflow-Engine-v2.md")[0].as_deref(),
        Some("2.6.1")
    );
    assert_eq!(
        anchors("WP-1-Workflow-Engine-v4.md")[0].as_deref(),
        Some("A2.6.1")
    );
    // Damaged fences yield commands.
    let ace = &packets
        .iter()
        .find(|(m, _)| m == "WP-1-ACE-Auditability.md")
        .expect("ACE")
        .1;
    assert_eq!(ace.test_plan.len(), 3);
    assert_eq!(ace.test_plan[0].value, "just validator-spec-regression");
    // Statistics, shown with --nocapture.
    let count = |f: &dyn Fn(&Packet) -> bool| packets.iter().filter(|(_, p)| f(p)).count();
    eprintln!(
        "corpus: {} packets; status {}; in-scope {}; anchors with number {}; real locks {}; test plan commands {}",
        packets.len(),
        with_status,
        count(&|p| !p.in_scope_paths.is_empty()),
        count(&|p| p.spec_anchors.iter().any(|a| a.number.is_some())),
        count(&|p| p.is_locked()),
        count(&|p| !p.test_plan.is_empty()),
    );
    // Spans point at the extracted text: a path entry is exactly its span.
    for (n, p) in &packets {
        let raw = std::fs::read(dir.join(n)).expect("read packet");
        let tf = TextFile::decode(n, raw);
        for f in &p.in_scope_paths {
            if !f.value.contains(' ') {
                assert_eq!(&tf.text[f.span.start..f.span.end], f.value, "{n}");
            }
        }
        for f in p.test_plan.iter().chain(&p.depends_on) {
            assert_eq!(&tf.text[f.span.start..f.span.end], f.value, "{n}");
        }
        if let Some(st) = &p.status {
            assert!(
                tf.text[st.span.start..st.span.end].contains(st.value.as_str()),
                "{n}"
            );
        }
    }
}

// ------------------------------------------------------------------ properties

const FRAGMENTS: &[&str] = &[
    "# Task Packet: WP-1-X\n",
    "## Scope\n",
    "### IN_SCOPE_PATHS\n",
    "- **IN_SCOPE_PATHS**:\n",
    "  * src/a/b.rs (New)\n",
    "  - `src/x/` (NEW - module)\n",
    "- Backend:\n",
    "    - `src/y.rs`\n",
    "**Backend (Rust):**\n",
    "- **SPEC_ANCHOR**: ??2.6.6.7.14, §2.3.12.1 (A, B) [CX-1]\n",
    "- STATUS: Ready for Dev\n",
    "**Status:** READY 🔴\n",
    "## RISK_TIER\n- Level: HIGH\n",
    "```bash\ncargo test\n",
    "```\n",
    "`ash\n",
    "`\n",
    "**User Signature Locked:** <pending>\n",
    "- USER_SIGNATURE: ilja\n",
    "## VALIDATION REPORT\n",
    "- **Dependencies**: Depends on WP-1-Other\n",
    "{placeholder text}\n",
    "1) prose item\n",
    "\r\n",
    "> quote\n",
    "<div>\n",
    "| a | b |\n",
    "\u{FFFD}\u{00A7}",
    "  ",
    "\t",
    "- [ ] ",
    "**",
    ":",
    "- **TEST_PLAN**:\n",
    "  ```bash\n",
    "  ```\n",
    "   ~~~~\n",
    "- EXCERPT:\n  ```text\n",
    "## HEADING IN CODE?\n",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn never_panics_on_arbitrary_text(s in "\\PC*") {
        let p = parse_text("WP-1-P.md", &s);
        for f in p.in_scope_paths.iter().chain(&p.test_plan).chain(&p.placeholders) {
            prop_assert!(f.span.end <= s.len());
            prop_assert!(s.is_char_boundary(f.span.start) && s.is_char_boundary(f.span.end));
        }
    }

    #[test]
    fn never_panics_on_markdown_mixes(idx in proptest::collection::vec(0..FRAGMENTS.len(), 0..40)) {
        let s: String = idx.iter().map(|&i| FRAGMENTS[i]).collect();
        let p = parse_text("WP-1-P.md", &s);
        for f in p
            .in_scope_paths
            .iter()
            .chain(&p.out_of_scope)
            .chain(&p.test_plan)
            .chain(&p.done_means)
            .chain(&p.placeholders)
            .chain(&p.depends_on)
        {
            prop_assert!(f.span.start <= f.span.end && f.span.end <= s.len());
            prop_assert!(s.is_char_boundary(f.span.start) && s.is_char_boundary(f.span.end));
            prop_assert!(!f.value.contains('\r'));
        }
        for a in &p.spec_anchors {
            prop_assert!(a.span.end <= s.len());
        }
    }
}
