//! Content rules over added lines.

use wpgate_core::policy::{ContentPolicy, ContentRule};
use wpgate_core::policy::{Level, Policy};
use wpgate_core::report::{Diagnostic, Severity};
use wpgate_core::rules::content::{self, rust_test_regions, ContentChecker};
use wpgate_core::rules::{self, Emitter};

fn lines(src: &[&str]) -> Vec<(usize, String)> {
    src.iter()
        .enumerate()
        .map(|(i, l)| (i + 1, l.to_string()))
        .collect()
}

fn check(path: &str, src: &[&str]) -> Vec<Diagnostic> {
    let policy = Policy::default();
    let checker = ContentChecker::new(&policy).expect("default rules compile");
    let mut out = Emitter::new(&policy);
    checker.check_lines(path, &lines(src), Some("WP-1-X"), &mut out);
    out.finish().diagnostics
}

fn rules_of(d: &[Diagnostic]) -> Vec<(&str, usize)> {
    d.iter()
        .map(|x| (x.rule.as_str(), x.line.unwrap_or(0)))
        .collect()
}

#[test]
fn every_default_rule_is_registered_with_matching_severity() {
    for r in ContentPolicy::default().rules {
        let info = rules::info(&r.id).unwrap_or_else(|| panic!("{} not in RULES", r.id));
        assert_eq!(Some(info.default), r.severity.severity(), "{}", r.id);
        assert!(!info.help.is_empty() && !info.example.is_empty());
    }
    assert!(rules::info("content.skipped").is_some());
}

#[test]
fn unwrap_in_non_test_rust() {
    let d = check(
        "src/storage/mod.rs",
        &[
            "let a = x.unwrap();",
            "let b = y.expect(\"present\");",
            "let c = z.unwrap_or(1);",
            "let d = w.unwrap_or_else(|| 2);",
        ],
    );
    assert_eq!(
        rules_of(&d),
        vec![("content.unwrap", 1), ("content.unwrap", 2)]
    );
    assert_eq!(d[0].wp.as_deref(), Some("WP-1-X"));
    assert_eq!(d[0].path.as_deref(), Some("src/storage/mod.rs"));
    assert_eq!(d[0].severity, Severity::Error);
    assert!(d[0].message.contains(".unwrap()"), "{}", d[0].message);
}

#[test]
fn unwrap_in_tests_benches_examples_is_quiet() {
    for p in [
        "tests/api.rs",
        "crates/core/tests/api.rs",
        "benches/b.rs",
        "examples/demo.rs",
        "src/store_test.rs",
        "src/store/tests.rs",
        "README.md",
        "app/src/main.ts",
    ] {
        let d = check(p, &["let a = x.unwrap();"]);
        assert!(d.is_empty(), "{p}: {d:#?}");
    }
}

#[test]
fn todo_macros_and_comments() {
    let d = check(
        "src/lib.rs",
        &[
            "fn f() { todo!() }",
            "fn g() { unimplemented!(\"later\") }",
            "// TODO: handle postgres",
            "// FIXME(ilja) and XXX",
            "let todos = 1; // mastodon, TODOs",
            "let s = \"autodo!\";",
        ],
    );
    assert_eq!(
        rules_of(&d),
        vec![
            ("content.todo-macro", 1),
            ("content.todo-macro", 2),
            ("content.todo-comment", 3),
            ("content.todo-comment", 4),
        ]
    );
    let c = d.iter().find(|x| x.rule == "content.todo-comment").unwrap();
    assert_eq!(c.severity, Severity::Warning);
    // TODO comments in TypeScript too; todo! only in Rust; not in Markdown.
    assert_eq!(
        rules_of(&check("app/src/a.ts", &["// TODO later", "todo!()"])),
        vec![("content.todo-comment", 1)]
    );
    assert!(check("docs/notes.md", &["TODO: write docs"]).is_empty());
}

#[test]
fn json_blob_heuristic() {
    let d = check(
        "src/api/jobs.rs",
        &[
            "pub fn save(payload: serde_json::Value) -> Result<()> {",
            "pub async fn load(id: Uuid) -> Result<Value, Error> {",
            "pub(crate) fn merge(a: &Value, b: &mut Value) {",
            "    pub fn list() -> Vec<serde_json::Value> {",
            "pub fn typed(job: JobSpec) -> Result<JobRecord> {",
            "pub fn cfg(v: toml::Value) -> Config {",
            "fn private(v: serde_json::Value) {}",
            "let v: Value = serde_json::from_str(s)?;",
            "pub fn value_of(x: ValueKind) -> u8 {",
        ],
    );
    assert_eq!(
        rules_of(&d),
        vec![
            ("content.json-blob", 1),
            ("content.json-blob", 2),
            ("content.json-blob", 3),
            ("content.json-blob", 4),
        ]
    );
}

#[test]
fn packet_placeholders() {
    let d = check(
        "docs/task_packets/WP-1-X.md",
        &[
            "- **What**: {1-2 sentence description}",
            "- **Why**: {Business/technical rationale}",
            "  * {specific file or directory}",
            "- DATE: {ISO 8601 timestamp}",
            "- **What**: Add the storage trait",
            "```rust\nlet s = format!(\"{x}\");\n```",
            "let m = HashMap { a: 1 };",
        ],
    );
    assert_eq!(
        rules_of(&d),
        vec![
            ("content.packet-placeholder", 1),
            ("content.packet-placeholder", 2),
            ("content.packet-placeholder", 3),
            ("content.packet-placeholder", 4),
        ]
    );
    // Syntax documented in inline code is not a placeholder; text after the code span is.
    assert_eq!(
        rules_of(&check(
            "docs/task_packets/WP-1-X.md",
            &[
                "- `just gate-check {wp-id}` is available.",
                "- run `x` then {fill in later}",
            ],
        )),
        vec![("content.packet-placeholder", 2)]
    );
    // Fenced blocks are skipped where the whole file is seen.
    let text = "# WP\n\n```bash\njust pre-work {wp-id here}\n```\n- **What**: {1-2 sentence description}\n";
    let policy = Policy::default();
    let checker = ContentChecker::new(&policy).unwrap();
    let mut out = Emitter::new(&policy);
    checker.check_file("docs/task_packets/WP-1-X.md", text, None, None, &mut out);
    assert_eq!(
        rules_of(&out.finish().diagnostics),
        vec![("content.packet-placeholder", 6)]
    );
    assert_eq!(content::fenced_regions(text), vec![(3, 5)]);
    // Outside packets the rule does not look.
    assert!(check(
        "docs/ORCHESTRATOR_PROTOCOL.md",
        &["- **What**: {1-2 sentence description}"]
    )
    .is_empty());
}

#[test]
fn check_file_gives_spans_and_skips_cfg_test_modules() {
    let text = "\
pub fn run() -> u8 {
    let v = read().unwrap();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn t() {
        let s = \"}\";
        run().to_string().parse::<u8>().unwrap();
        // TODO more cases
    }
}

pub fn after() { x.unwrap(); }
";
    assert_eq!(rust_test_regions(text), vec![(6, 15)]);
    let policy = Policy::default();
    let checker = ContentChecker::new(&policy).unwrap();
    let mut out = Emitter::new(&policy);
    checker.check_file("src/run.rs", text, None, None, &mut out);
    let d = out.finish().diagnostics;
    assert_eq!(
        rules_of(&d),
        vec![
            ("content.unwrap", 2),
            ("content.unwrap", 17),
            ("content.todo-comment", 13),
        ]
    );
    let sp = d[0].span.unwrap();
    assert_eq!(&text[sp.start..sp.end], ".unwrap()");

    // Only added lines are checked.
    let mut out = Emitter::new(&policy);
    checker.check_file("src/run.rs", text, Some(&[17]), None, &mut out);
    assert_eq!(
        rules_of(&out.finish().diagnostics),
        vec![("content.unwrap", 17)]
    );
}

#[test]
fn custom_rules_bad_regexes_and_size_limits() {
    let rule = |id: &str, pattern: &str| ContentRule {
        id: id.into(),
        pattern: pattern.into(),
        include: vec![],
        exclude: vec!["vendor/**".into()],
        message: "no sqlx outside storage".into(),
        severity: Level::Warning,
        skip_rust_tests: false,
        skip_code: false,
    };
    // A bad regex is an error naming the rule, not a panic.
    let e = ContentChecker::from_rules(&[rule("team.bad", "(unclosed")], 1 << 20)
        .err()
        .expect("bad regex rejected");
    assert!(e.to_string().contains("team.bad"), "{e}");
    // A regex above the size limit too.
    let e = ContentChecker::from_rules(&[rule("team.huge", r"\w{1000}\w{1000}")], 1 << 10)
        .err()
        .expect("huge regex rejected");
    assert!(e.to_string().contains("team.huge"), "{e}");
    let mut bad_glob = rule("team.glob", "x");
    bad_glob.include = vec!["src/[".into()];
    assert!(ContentChecker::from_rules(&[bad_glob], 1 << 20).is_err());

    // A team rule emits under its own id with its policy severity.
    let mut policy = Policy::default();
    policy.content.rules = vec![rule("team.sqlx", r"\bsqlx::")];
    let checker = ContentChecker::new(&policy).unwrap();
    let mut out = Emitter::new(&policy);
    checker.check_lines(
        "src/api.rs",
        &lines(&["use sqlx::SqlitePool;", "use crate::db;"]),
        None,
        &mut out,
    );
    checker.check_lines("vendor/x.rs", &lines(&["use sqlx::X;"]), None, &mut out);
    let d = out.finish().diagnostics;
    assert_eq!(rules_of(&d), vec![("team.sqlx", 1)]);
    assert_eq!(d[0].severity, Severity::Warning);
    assert!(checker.applies("src/api.rs") && !checker.applies("vendor/x.rs"));
}

#[test]
fn rule_set_off_in_policy_is_silent() {
    let mut policy = Policy::default();
    policy.rules.insert(
        "content.unwrap".into(),
        wpgate_core::policy::RuleSetting {
            severity: Some(Level::Off),
            code: None,
        },
    );
    let checker = ContentChecker::new(&policy).unwrap();
    let mut out = Emitter::new(&policy);
    checker.check_lines("src/a.rs", &lines(&["x.unwrap();"]), None, &mut out);
    assert!(out.finish().diagnostics.is_empty());
}

#[test]
fn oversized_files_are_noted_not_dropped() {
    let mut policy = Policy::default();
    policy.limits.max_content_bytes = 100;
    let checker = ContentChecker::new(&policy).unwrap();
    assert!(checker.too_large(101));
    assert!(!checker.too_large(100));
    let mut out = Emitter::new(&policy);
    content::skipped("assets/big.rs", 5000, &mut out);
    let d = out.finish().diagnostics;
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].rule, "content.skipped");
    assert_eq!(d[0].severity, Severity::Note);
    assert!(d[0].message.contains("5000") && d[0].message.contains("100"));
}

#[test]
fn a_binary_file_named_by_an_include_glob_is_scanned_and_others_are_noted() {
    let rule = |id: &str, include: &[&str]| ContentRule {
        id: id.into(),
        pattern: r"SECRET|\.unwrap\(\)".into(),
        include: include.iter().map(|s| s.to_string()).collect(),
        exclude: vec![],
        message: "found".into(),
        severity: Level::Error,
        skip_rust_tests: false,
        skip_code: false,
    };
    let mut policy = Policy::default();
    policy.content.rules = vec![rule("custom.any", &[]), rule("custom.rs", &["**/*.rs"])];
    let checker = ContentChecker::new(&policy).unwrap();
    let nul = lines(&["// \0 rustc accepts this", "fn f() { x.unwrap(); }"]);
    // Named by custom.rs's include: scanned as text, by every rule that applies.
    let mut out = Emitter::new(&policy);
    checker.check_binary("src/lib.rs", &nul, None, &mut out);
    let d = out.finish().diagnostics;
    assert_eq!(
        rules_of(&d),
        vec![("custom.any", 2), ("custom.rs", 2)],
        "{d:#?}"
    );
    // Only an include-less rule looks at it: skipped, with a note naming it.
    let mut out = Emitter::new(&policy);
    checker.check_binary("assets/logo.png", &lines(&["\0SECRET"]), None, &mut out);
    let d = out.finish().diagnostics;
    assert_eq!(rules_of(&d), vec![("content.skipped", 0)], "{d:#?}");
    assert_eq!(d[0].severity, Severity::Note);
    assert_eq!(d[0].path.as_deref(), Some("assets/logo.png"));
    assert!(d[0].message.contains("binary"), "{}", d[0].message);
    // No rule looks at it at all: nothing to say.
    let only_rs = ContentChecker::from_rules(&[rule("custom.rs", &["**/*.rs"])], 1 << 20).unwrap();
    let mut out = Emitter::new(&policy);
    only_rs.check_binary("assets/logo.png", &lines(&["\0SECRET"]), None, &mut out);
    assert!(out.finish().diagnostics.is_empty());
}

// ---------------------------------------------------------------------------------------
// On real repositories: a NUL byte in a `.rs` file must not hide it from the content
// rules, whether the change is judged staged and one commit at a time (libgit2) or as a
// range (`git log` and `git cat-file --batch` children).

mod git_common;

mod real_repo {
    use super::git_common::*;
    use wpgate_core::{Context, Diagnostic, Gate, Policy, Repo};

    fn with_gate<T>(r: &TestRepo, f: impl FnOnce(&mut Gate) -> T) -> T {
        unchanged(&r.path, "gate", || {
            let repo = Repo::discover(&r.path).expect("repository");
            let (policy, _) = Policy::discover(&r.path, None).expect("policy");
            let mut gate = Gate::new(&repo, &policy).expect("gate");
            f(&mut gate)
        })
    }

    /// (rule, commit index or "staged", path, line) of every content.* finding.
    fn content(d: &[Diagnostic]) -> Vec<(String, String, usize)> {
        let mut v: Vec<_> = d
            .iter()
            .filter(|d| d.rule.starts_with("content."))
            .map(|d| {
                (
                    d.rule.clone(),
                    d.path.clone().unwrap_or_default(),
                    d.line.unwrap_or(0),
                )
            })
            .collect();
        v.sort();
        v
    }

    fn staged(r: &TestRepo) -> Vec<Diagnostic> {
        let ctx = Context {
            message: Some("feat: x [WP-1-X]".into()),
            ..Context::default()
        };
        with_gate(r, |g| g.staged(&ctx).expect("staged").diagnostics)
    }

    fn commits(r: &TestRepo, shas: &[String]) -> Vec<Diagnostic> {
        with_gate(r, |g| {
            g.commits(shas, &Context::default())
                .expect("commits")
                .diagnostics
        })
    }

    #[test]
    fn a_nul_byte_does_not_hide_a_rust_file() {
        let r = TestRepo::new();
        r.write("src/old_bin.rs", b"\0 was binary\n".as_slice());
        r.git(&["add", "-A"]);
        r.commit_files("base", &[("src/lib.rs", "pub fn f() {}\n")]);
        let base = r.head();
        // A new file with a NUL byte in a comment, an old binary file turned to text, a
        // NUL byte and invalid UTF-8 on the same line as the call.
        r.write(
            "src/evil.rs",
            b"// \0 rustc accepts a NUL in a comment\npub fn g() -> u8 { x().unwrap() }\n"
                .as_slice(),
        );
        r.write(
            "src/old_bin.rs",
            "pub fn h() -> u8 { y().expect(\"now text\") }\n",
        );
        r.write(
            "src/lib.rs",
            b"pub fn f() {}\npub fn k() { z(\"\xff\0\").unwrap(); }\n".as_slice(),
        );
        r.git(&["add", "-A"]);
        let want = vec![
            ("content.unwrap".to_string(), "src/evil.rs".to_string(), 2),
            ("content.unwrap".to_string(), "src/lib.rs".to_string(), 2),
            (
                "content.unwrap".to_string(),
                "src/old_bin.rs".to_string(),
                1,
            ),
        ];
        assert_eq!(
            content(&staged(&r)),
            want,
            "staged (pre-commit, commit-msg)"
        );
        r.git(&["commit", "-q", "-m", "feat: x [WP-1-X]"]);
        let bad = r.head();
        r.commit_files("feat: y [WP-1-X]", &[("README.md", "readme\n")]);
        let after = r.head();
        assert_eq!(
            content(&commits(&r, std::slice::from_ref(&bad))),
            want,
            "one commit"
        );
        // A range: `git log` child and `git cat-file --batch` for the blobs.
        assert_eq!(
            content(&commits(&r, &[bad.clone(), after.clone()])),
            want,
            "range"
        );
        let _ = base;
    }

    #[test]
    fn a_symlink_turned_into_a_rust_file_is_checked() {
        let r = TestRepo::new();
        r.commit_files("base", &[("src/lib.rs", "pub fn f() {}\n")]);
        std::os::unix::fs::symlink("lib.rs", r.path.join("src/evil.rs")).expect("symlink");
        r.git(&["add", "-A"]);
        r.git(&["commit", "-q", "-m", "feat: link [WP-1-X]"]);
        let link = r.head();
        std::fs::remove_file(r.path.join("src/evil.rs")).expect("rm");
        r.write("src/evil.rs", "pub fn g() -> u8 { x().unwrap() }\n");
        r.git(&["add", "-A"]);
        let want = vec![("content.unwrap".to_string(), "src/evil.rs".to_string(), 1)];
        assert_eq!(content(&staged(&r)), want, "staged");
        r.git(&["commit", "-q", "-m", "feat: file [WP-1-X]"]);
        assert_eq!(content(&commits(&r, &[r.head()])), want, "commit");
        assert_eq!(content(&commits(&r, &[link, r.head()])), want, "range");
    }

    #[test]
    fn an_oversized_rust_file_is_noted_in_every_path() {
        let r = TestRepo::new();
        r.commit_files(
            "base",
            &[("wpgate.toml", "[limits]\nmax_content_bytes = 64\n")],
        );
        r.write(
            "src/big.rs",
            format!("// \0\n{}", "x.unwrap();\n".repeat(20)),
        );
        r.git(&["add", "-A"]);
        let want = vec![("content.skipped".to_string(), "src/big.rs".to_string(), 0)];
        assert_eq!(content(&staged(&r)), want);
        r.git(&["commit", "-q", "-m", "feat: big [WP-1-X]"]);
        let big = r.head();
        r.commit_files("feat: y [WP-1-X]", &[("README.md", "readme\n")]);
        assert_eq!(content(&commits(&r, std::slice::from_ref(&big))), want);
        assert_eq!(content(&commits(&r, &[big, r.head()])), want);
    }
}
