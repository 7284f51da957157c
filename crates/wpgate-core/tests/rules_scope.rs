//! Scope rules. `scope.out-of-scope`: property tests of the scope matcher (below), and
//! the rule on real repositories, judged by `Gate::staged` and `Gate::commits` (the
//! `real_repo` section at the end). `scope.overlap`: in-progress packets sharing paths.
//!
//! Property: a path is in scope iff some IN_SCOPE_PATHS pattern matches it and no
//! OUT_OF_SCOPE pattern does, checked against an independent model of the documented
//! entry forms (exact path = the file or the directory of that name, `dir/` = everything
//! below, `dir/*.ext` = files of that directory with that extension), on generated
//! paths and patterns. OUT_OF_SCOPE entries may carry an annotation after the path.

mod gov_util;

use gov_util::*;
use proptest::prelude::*;
use wpgate_core::glob::{Scope, Verdict};
use wpgate_core::model::board as board_model;
use wpgate_core::policy::BoardPolicy;
use wpgate_core::rules::scope::{self, ScopeEntry};

#[derive(Debug, Clone)]
enum Pat {
    Exact(String),
    Dir(String),
    StarExt(String, String),
}

impl Pat {
    fn text(&self) -> String {
        match self {
            Pat::Exact(p) => p.clone(),
            Pat::Dir(d) => format!("{d}/"),
            Pat::StarExt(d, e) => format!("{d}/*.{e}"),
        }
    }
    /// The model.
    fn matches(&self, path: &str) -> bool {
        match self {
            Pat::Exact(p) => path == p || path.starts_with(&format!("{p}/")),
            Pat::Dir(d) => path.starts_with(&format!("{d}/")),
            Pat::StarExt(d, e) => path
                .strip_prefix(&format!("{d}/"))
                .is_some_and(|rest| !rest.contains('/') && rest.ends_with(&format!(".{e}"))),
        }
    }
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a".to_string()),
        Just("b".to_string()),
        Just("ab".to_string()),
        Just("src".to_string()),
        Just("a.rs".to_string()),
        Just("b.md".to_string()),
        Just("x-y_z".to_string()),
    ]
}

fn path(min: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(segment(), min..5).prop_map(|s| s.join("/"))
}

fn pat() -> impl Strategy<Value = Pat> {
    prop_oneof![
        path(2).prop_map(Pat::Exact),
        path(1).prop_map(Pat::Dir),
        (path(1), prop_oneof![Just("rs"), Just("md")])
            .prop_map(|(d, e)| Pat::StarExt(d, e.to_string())),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn in_scope_iff_some_in_and_no_out(
        ins in prop::collection::vec(pat(), 0..5),
        outs in prop::collection::vec(pat(), 0..4),
        annotate in any::<bool>(),
        backticks in any::<bool>(),
        paths in prop::collection::vec(path(1), 1..8),
    ) {
        let in_text: Vec<String> = ins
            .iter()
            .map(|p| if backticks { format!("`{}`", p.text()) } else { p.text() })
            .collect();
        let out_text: Vec<String> = outs
            .iter()
            .map(|p| if annotate { format!("{} (→ WP-1-Other)", p.text()) } else { p.text() })
            .collect();
        let scope = Scope::new(&in_text, &out_text);
        for p in &paths {
            let want = ins.iter().any(|i| i.matches(p)) && !outs.iter().any(|o| o.matches(p));
            prop_assert_eq!(
                scope.contains(p),
                want,
                "path {} IN {:?} OUT {:?}",
                p,
                in_text,
                out_text
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// Exclusions fail closed: a path spelt in another case, or with a trailing dot on a
    /// component (the same file on macOS / Windows), is excluded exactly when the path
    /// is; IN_SCOPE_PATHS stays exact (an upper-cased path is never in scope by it).
    #[test]
    fn out_of_scope_ignores_case_and_in_scope_does_not(
        outs in prop::collection::vec(pat(), 1..4),
        p in path(1),
        flips in prop::collection::vec(any::<bool>(), 0..40),
        dot in any::<bool>(),
    ) {
        let out_text: Vec<String> = outs.iter().map(Pat::text).collect();
        let excluded = |s: &Scope, q: &str| matches!(s.verdict(q), Verdict::Excluded(_));
        let scope = Scope::new(&["**"], &out_text);
        let mut spelt: String = p
            .chars()
            .zip(flips.iter().chain(std::iter::repeat(&false)))
            .map(|(c, f)| if *f { c.to_ascii_uppercase() } else { c })
            .collect();
        if dot {
            spelt = spelt.replacen('/', "./", 1);
        }
        prop_assert_eq!(excluded(&scope, &spelt), excluded(&scope, &p), "{} vs {} OUT {:?}", spelt, p, out_text);
        let exact = Scope::new(&[p.as_str()], &[] as &[&str]);
        prop_assert!(exact.contains(&p));
        if spelt.to_lowercase() != spelt && !dot {
            prop_assert!(!exact.contains(&spelt.to_uppercase()), "{}", spelt);
        }
    }
}

#[test]
fn out_of_scope_is_matched_case_and_normalisation_insensitively() {
    let nfc = "src/caf\u{e9}/";
    let nfd = "src/cafe\u{301}/";
    let s = Scope::new(
        &["src/", "`docs/`"],
        &["src/api/ (→ WP-1-Api)", nfc, "docs/Secret.md"],
    );
    for p in [
        "src/api/jobs.rs",
        "src/API/evil.rs",
        "src/Api/evil.rs",
        "SRC/api/evil.rs",
        // Windows drops trailing dots and spaces of a name.
        "src/api./evil.rs",
        "src/api /evil.rs",
        // HFS+ ignores zero-width joiners and marks.
        "src/ap\u{200c}i/evil.rs",
        "src/a\u{feff}pi/evil.rs",
        // The same name, composed or decomposed, in any case.
        "src/caf\u{e9}/menu.rs",
        "src/cafe\u{301}/menu.rs",
        "src/CAFE\u{301}/menu.rs",
        "src/CAF\u{c9}/menu.rs",
        "docs/secret.md",
        "docs/SECRET.MD",
    ] {
        assert!(
            matches!(s.verdict(p), Verdict::Excluded(_)),
            "{p}: {:?}",
            s.verdict(p)
        );
    }
    // The entry is named as written.
    assert_eq!(
        s.verdict("src/API/evil.rs"),
        Verdict::Excluded("src/api/".into())
    );
    assert_eq!(
        s.verdict("src/CAFE\u{301}/m.rs"),
        Verdict::Excluded(nfc.into())
    );
    // An entry written decomposed excludes the composed spelling too.
    let d = Scope::new(&["src/"], &[nfd]);
    assert!(matches!(
        d.verdict("src/caf\u{e9}/menu.rs"),
        Verdict::Excluded(_)
    ));
    // Lookalikes that are other files everywhere stay in scope.
    for p in [
        "src/apix/a.rs",
        "src/ap/i.rs",
        "src/cafe/menu.rs",
        "src/api.rs",
        "docs/secret.mdx",
    ] {
        assert_eq!(s.verdict(p), Verdict::In, "{p}");
    }
    // IN_SCOPE_PATHS is exact: a differently spelt path is not in scope.
    let exact = Scope::new(&["src/storage/", "src/caf\u{e9}.rs"], &[] as &[&str]);
    assert!(exact.contains("src/storage/mod.rs"));
    assert!(exact.contains("src/caf\u{e9}.rs"));
    for p in [
        "src/STORAGE/mod.rs",
        "src/storage./mod.rs",
        "src/cafe\u{301}.rs",
        "src/CAF\u{c9}.rs",
    ] {
        assert_eq!(exact.verdict(p), Verdict::NotListed, "{p}");
    }
}

fn board_of(text: &str) -> board_model::Board {
    let re = board_model::id_regex(&BoardPolicy::default()).expect("re");
    board_model::parse_board("docs/TASK_BOARD.md", text, &re)
}

#[test]
fn scope_entries() {
    let e = ScopeEntry::parse("`src/storage/`").expect("dir");
    assert!(e.matches("src/storage/mod.rs"));
    assert!(!e.matches("src/storagex/mod.rs"));
    let e = ScopeEntry::parse("src/**/*.rs (all Rust files)").expect("glob");
    assert!(e.matches("src/a/b.rs"));
    let e = ScopeEntry::parse("src/storage").expect("exact");
    assert!(e.matches("src/storage") && e.matches("src/storage/x.rs"));
    assert!(!e.matches("src/storage.rs"));
}

#[test]
fn overlap_of_in_progress_packets() {
    let files: Vec<String> = [
        "src/storage/mod.rs",
        "src/storage/sqlite.rs",
        "src/api/jobs.rs",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let policy = policy();
    let ps = vec![
        with_scope(
            with_status(packet("WP-1-A"), "In Progress"),
            &["src/storage/"],
        ),
        with_scope(
            with_status(packet("WP-1-B"), "In-Progress"),
            &["src/storage/sqlite.rs", "src/new/file.rs"],
        ),
        with_scope(
            with_status(packet("WP-1-C"), "Ready for Dev"),
            &["src/storage/mod.rs"],
        ),
    ];
    let d = run(&policy, |out| {
        scope::check_overlap_with(&ps, None, &files, &policy.board, out)
    });
    assert_eq!(rules_of(&d), vec!["scope.overlap"]);
    assert!(d[0].message.contains("WP-1-A and WP-1-B"));
    assert!(d[0].message.contains("src/storage/sqlite.rs"));
    // Literal paths not created yet overlap too.
    let ps = vec![
        with_scope(
            with_status(packet("WP-1-A"), "In Progress"),
            &["src/new/file.rs"],
        ),
        with_scope(
            with_status(packet("WP-1-B"), "In Progress"),
            &["src/new/*.rs"],
        ),
    ];
    let d = run(&policy, |out| {
        scope::check_overlap_with(&ps, None, &files, &policy.board, out)
    });
    assert_eq!(rules_of(&d), vec!["scope.overlap"]);
    // Disjoint scopes, or in progress only on the board for one of them and disjoint: quiet.
    let ps = vec![
        with_scope(
            with_status(packet("WP-1-A"), "In Progress"),
            &["src/storage/"],
        ),
        with_scope(packet("WP-1-B"), &["src/api/jobs.rs"]),
    ];
    let b = board_of("## In Progress\n- **[WP-1-B]** / IN PROGRESS: x\n");
    let d = run(&policy, |out| {
        scope::check_overlap_with(&ps, Some(&b), &files, &policy.board, out)
    });
    assert!(d.is_empty(), "{d:?}");
}

// ---------------------------------------------------------------------------------------
// `scope.out-of-scope` on real repositories: changes staged and committed with the git
// CLI, judged by `Gate::staged` (commit-msg) and `Gate::commits` (`check --commit`) with
// the policy discovered as the CLI does; every gate run is checked not to write to the
// repository.

mod gate_util;
mod git_common;

mod real_repo {
    use super::gate_util::{rules, stage, with_gate};
    use super::git_common::*;
    use wpgate_core::{Context, Diagnostic, Severity};

    const WP: &str = "WP-1-Storage-Layer";
    const SIG: &str = "ilja010120260900";
    const BOARD: &str =
        "# Task Board\n\n## In Progress\n- **[WP-1-Storage-Layer]** / IN PROGRESS: storage trait\n";

    fn packet_text(id: &str, in_scope: &[&str], out_of_scope: &[&str]) -> String {
        let ins: String = in_scope.iter().map(|p| format!("  * {p}\n")).collect();
        let outs: String = out_of_scope.iter().map(|p| format!("  * {p}\n")).collect();
        format!(
            "# Task Packet: {id}

## Metadata
- TASK_ID: {id}
- STATUS: In Progress

## Scope
- **What**: Put every database call behind one `Storage` trait.
- **Why**: Backend portability.
- **IN_SCOPE_PATHS**:
{ins}- **OUT_OF_SCOPE**:
{outs}
## Quality Gate
- **RISK_TIER**: LOW
- **DONE_MEANS**:
  * the Storage trait exists (§2.1.1)

---

**Last Updated:** 2026-01-01
**User Signature Locked:** {SIG}
"
        )
    }

    fn packet_path(id: &str) -> String {
        format!("docs/task_packets/{id}.md")
    }

    /// Line of the IN_SCOPE_PATHS label in the packet text.
    const SCOPE_LINE: usize = 10;

    /// The default layout, committed, with two locked packets:
    /// - [`WP`]: three storage files in scope (`src/storage/sqlite.rs` not created yet),
    ///   `src/api/` out of scope;
    /// - `WP-1-Narrow`: the directory `src/storage/` in scope, one file of it out.
    fn governed_with(extra: &[(&str, &str)]) -> TestRepo {
        let r = TestRepo::new();
        let wp = packet_text(
            WP,
            &[
                "src/storage/mod.rs",
                "src/storage/sqlite.rs",
                "tests/storage_test.rs",
            ],
            &[
                "src/api/ (→ WP-1-Api-Refactor)",
                "Migrations rewrite (→ WP-1-Migration-Framework)",
            ],
        );
        let narrow = packet_text(
            "WP-1-Narrow",
            &["src/storage/"],
            &["src/storage/legacy.rs (→ WP-1-Legacy)"],
        );
        let mut files: Vec<(String, &str)> = vec![
            (packet_path(WP), wp.as_str()),
            (packet_path("WP-1-Narrow"), narrow.as_str()),
            (
                packet_path("WP-1-Draft"),
                "# WP-1-Draft\n\n- TASK_ID: WP-1-Draft\n",
            ),
            ("docs/TASK_BOARD.md".into(), BOARD),
            ("src/storage/mod.rs".into(), "pub trait Storage {}\n"),
            ("src/storage/legacy.rs".into(), "pub fn legacy() {}\n"),
            ("src/api/jobs.rs".into(), "pub fn jobs() -> usize { 0 }\n"),
            ("src/main.rs".into(), "fn main() {}\n"),
        ];
        files.extend(extra.iter().map(|(p, c)| (p.to_string(), *c)));
        let files: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), *c)).collect();
        r.commit_files("bootstrap", &files);
        r
    }

    fn governed() -> TestRepo {
        governed_with(&[])
    }

    fn staged(r: &TestRepo, msg: &str) -> Vec<Diagnostic> {
        let ctx = Context {
            message: Some(msg.to_string()),
            ..Context::default()
        };
        with_gate(r, "Gate::staged", |g| {
            g.staged(&ctx).expect("staged").diagnostics
        })
    }

    fn committed(r: &TestRepo, shas: &[String]) -> Vec<Diagnostic> {
        with_gate(r, "Gate::commits", |g| {
            g.commits(shas, &Context::default())
                .expect("commits")
                .diagnostics
        })
    }

    /// (path, message) of each finding, sorted.
    fn findings(d: &[Diagnostic]) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = d
            .iter()
            .map(|d| (d.path.clone().unwrap_or_default(), d.message.clone()))
            .collect();
        v.sort();
        v
    }

    /// Judges what is staged with `msg` (commit-msg), commits it (real `git commit`) and
    /// judges the commit. Both must find the same, only `scope.out-of-scope`, with these
    /// (path, message) pairs; returns the findings on the commit.
    fn expect(r: &TestRepo, msg: &str, want: &[(&str, &str)]) -> Vec<Diagnostic> {
        let pre = staged(r, msg);
        r.git(&["commit", "-q", "-m", msg]);
        let sha = r.head();
        let post = committed(r, std::slice::from_ref(&sha));
        let mut want: Vec<(String, String)> = want
            .iter()
            .map(|(p, m)| (p.to_string(), m.to_string()))
            .collect();
        want.sort();
        assert_eq!(findings(&pre), want, "staged, {msg:?}: {pre:#?}");
        assert_eq!(findings(&post), want, "commit, {msg:?}: {post:#?}");
        assert!(
            pre.iter()
                .chain(&post)
                .all(|d| d.rule == "scope.out-of-scope"),
            "{pre:#?}"
        );
        assert!(post
            .iter()
            .all(|d| d.commit.as_deref() == Some(sha.as_str())));
        post
    }

    fn msg() -> String {
        format!("feat: storage [{WP}]")
    }

    /// The entry is named by its leading path, without the annotation.
    const API_OUT: &str = "matched by OUT_OF_SCOPE entry `src/api/` of WP-1-Storage-Layer";

    #[test]
    fn a_path_matched_by_out_of_scope_fires() {
        let r = governed();
        stage(&r, &[("src/api/jobs.rs", "pub fn jobs() -> usize { 1 }\n")]);
        let m = format!("src/api/jobs.rs: changed, but {API_OUT}");
        let d = expect(&r, &msg(), &[("src/api/jobs.rs", &m)]);
        assert_eq!(d[0].wp.as_deref(), Some(WP));
        assert_eq!(d[0].severity, Severity::Error);
        assert_eq!(d[0].code.as_deref(), Some("CX-603"));
        let help = d[0].help.as_deref().unwrap_or_default();
        assert!(
            help.starts_with(&format!(
                "{WP} lists its scope at {}:{SCOPE_LINE};",
                packet_path(WP)
            )),
            "{help}"
        );
    }

    #[test]
    fn the_same_kind_of_change_inside_in_scope_paths_passes() {
        let r = governed();
        stage(
            &r,
            &[
                (
                    "src/storage/mod.rs",
                    "pub trait Storage { fn get(&self); }\n",
                ),
                // Listed but not created yet: adding it is in scope.
                ("tests/storage_test.rs", "#[test]\nfn works() {}\n"),
            ],
        );
        expect(&r, &msg(), &[]);
    }

    #[test]
    fn a_path_not_listed_fires() {
        let r = governed();
        stage(
            &r,
            &[
                ("src/main.rs", "fn main() { println!(); }\n"),
                // Beside a listed file, yet not listed itself.
                ("src/storage/cache.rs", "pub struct Cache;\n"),
                (
                    "src/storage/mod.rs",
                    "pub trait Storage { fn get(&self); }\n",
                ),
            ],
        );
        expect(
            &r,
            &msg(),
            &[
                (
                    "src/main.rs",
                    &format!("src/main.rs: changed, but not in IN_SCOPE_PATHS of {WP}"),
                ),
                (
                    "src/storage/cache.rs",
                    &format!("src/storage/cache.rs: added, but not in IN_SCOPE_PATHS of {WP}"),
                ),
            ],
        );
    }

    #[test]
    fn deleting_an_out_of_scope_file_fires() {
        let r = governed();
        r.git(&["rm", "-q", "src/api/jobs.rs"]);
        let m = format!("src/api/jobs.rs: deleted, but {API_OUT}");
        expect(&r, &msg(), &[("src/api/jobs.rs", &m)]);
        // Deleting a file in scope does not.
        r.git(&["rm", "-q", "src/storage/mod.rs"]);
        expect(&r, &msg(), &[]);
    }

    #[test]
    fn a_rename_is_checked_on_both_paths() {
        // Out of scope -> in scope: the old path fires.
        let r = governed();
        r.git(&["mv", "src/api/jobs.rs", "src/storage/sqlite.rs"]);
        let m = format!("src/api/jobs.rs: renamed from, but {API_OUT}");
        expect(&r, &msg(), &[("src/api/jobs.rs", &m)]);
        // In scope -> out of scope: the new path fires.
        let r = governed();
        r.git(&["mv", "src/storage/mod.rs", "src/api/storage.rs"]);
        let m = format!("src/api/storage.rs: renamed to, but {API_OUT}");
        expect(&r, &msg(), &[("src/api/storage.rs", &m)]);
        // In scope -> in scope: quiet.
        let r = governed();
        r.git(&["mv", "src/storage/mod.rs", "src/storage/sqlite.rs"]);
        expect(&r, &msg(), &[]);
    }

    #[test]
    fn out_of_scope_wins_over_an_in_scope_directory() {
        let r = governed();
        stage(
            &r,
            &[("src/storage/legacy.rs", "pub fn legacy() -> u8 { 1 }\n")],
        );
        expect(
            &r,
            "fix: legacy [WP-1-Narrow]",
            &[(
                "src/storage/legacy.rs",
                "src/storage/legacy.rs: changed, but matched by OUT_OF_SCOPE entry \
                 `src/storage/legacy.rs` of WP-1-Narrow",
            )],
        );
        // Everything else below the directory is in scope, however deep.
        stage(
            &r,
            &[
                (
                    "src/storage/mod.rs",
                    "pub trait Storage { fn get(&self); }\n",
                ),
                ("src/storage/sqlite/pool.rs", "pub struct Pool;\n"),
            ],
        );
        expect(&r, "fix: storage [WP-1-Narrow]", &[]);
    }

    #[test]
    fn a_differently_spelt_out_of_scope_path_fires() {
        // WP-1-Wide: all of src/ but the API and the café; on macOS or Windows each of
        // these paths is a file in an excluded directory.
        let wide = packet_text(
            "WP-1-Wide",
            &["src/"],
            &["src/api/ (→ WP-1-Api-Refactor)", "src/caf\u{e9}/"],
        );
        let r = governed_with(&[(&packet_path("WP-1-Wide"), &wide)]);
        let paths = [
            "src/API/evil.rs",
            "src/api./evil.rs",
            "src/ap\u{200c}i/evil.rs",
            "src/cafe\u{301}/menu.rs",
            "src/CAF\u{c9}/menu.rs",
        ];
        for p in paths {
            stage(&r, &[(p, "pub fn evil() {}\n")]);
        }
        let want: Vec<(String, String)> = paths
            .iter()
            .map(|p| {
                let e = if p.to_lowercase().contains("caf") {
                    "src/caf\u{e9}/"
                } else {
                    "src/api/"
                };
                (
                    p.to_string(),
                    format!("{p}: added, but matched by OUT_OF_SCOPE entry `{e}` of WP-1-Wide"),
                )
            })
            .collect();
        let want: Vec<(&str, &str)> = want.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        expect(&r, "feat: wide [WP-1-Wide]", &want);
        // Renaming an excluded file to a case variant does not carry it out either.
        std::fs::create_dir_all(r.path.join("src/Api")).expect("mkdir");
        r.git(&["mv", "src/api/jobs.rs", "src/Api/jobs.rs"]);
        expect(
            &r,
            "feat: wide [WP-1-Wide]",
            &[
                (
                    "src/Api/jobs.rs",
                    "src/Api/jobs.rs: renamed to, but matched by OUT_OF_SCOPE entry `src/api/` of WP-1-Wide",
                ),
                (
                    "src/api/jobs.rs",
                    "src/api/jobs.rs: renamed from, but matched by OUT_OF_SCOPE entry `src/api/` of WP-1-Wide",
                ),
            ],
        );
        // The rest of src/ is in scope.
        stage(&r, &[("src/main.rs", "fn main() { run(); }\n")]);
        expect(&r, "feat: wide [WP-1-Wide]", &[]);
        // A file below an in-scope directory, excluded by a file entry, in upper case.
        stage(&r, &[("src/storage/LEGACY.rs", "pub fn legacy() {}\n")]);
        expect(
            &r,
            "fix: legacy [WP-1-Narrow]",
            &[(
                "src/storage/LEGACY.rs",
                "src/storage/LEGACY.rs: added, but matched by OUT_OF_SCOPE entry \
                 `src/storage/legacy.rs` of WP-1-Narrow",
            )],
        );
    }

    #[test]
    fn in_scope_paths_stay_exact() {
        let r = governed();
        stage(&r, &[("src/Storage/mod.rs", "pub trait Storage {}\n")]);
        expect(
            &r,
            &msg(),
            &[(
                "src/Storage/mod.rs",
                &format!("src/Storage/mod.rs: added, but not in IN_SCOPE_PATHS of {WP}"),
            )],
        );
    }

    #[test]
    fn exempt_paths_are_never_out_of_scope() {
        let r = governed();
        stage(
            &r,
            &[
                ("docs/TASK_BOARD.md", &format!("{BOARD}- note\n")),
                (
                    &packet_path("WP-1-Draft"),
                    "# WP-1-Draft\n\n- TASK_ID: WP-1-Draft\n- STATUS: Draft\n",
                ),
                (
                    "src/storage/mod.rs",
                    "pub trait Storage { fn get(&self); }\n",
                ),
            ],
        );
        expect(&r, &msg(), &[]);
    }

    #[test]
    fn without_exemptions_the_packet_and_the_board_are_still_allowed() {
        // scope.always_allowed: the bound packet's own file and the board, nothing else.
        let r = governed_with(&[("wpgate.toml", "[scope]\nexempt = []\n")]);
        let own = format!(
            "{}\n## VALIDATION REPORT\nVerdict: PASS\n",
            std::fs::read_to_string(r.path.join(packet_path(WP))).expect("read")
        );
        stage(
            &r,
            &[
                ("docs/TASK_BOARD.md", &format!("{BOARD}- note\n")),
                (&packet_path(WP), &own),
            ],
        );
        expect(&r, &msg(), &[]);
        // Another packet's file is now governed, and outside this packet's scope.
        let draft = packet_path("WP-1-Draft");
        stage(
            &r,
            &[(
                &draft,
                "# WP-1-Draft\n\n- TASK_ID: WP-1-Draft\n- STATUS: Draft\n",
            )],
        );
        let m = format!("{draft}: changed, but not in IN_SCOPE_PATHS of {WP}");
        expect(&r, &msg(), &[(&draft, &m)]);
    }

    #[test]
    fn each_commit_of_a_range_is_judged_against_its_own_parent() {
        let r = governed();
        let good = r.commit_files(
            &msg(),
            &[(
                "src/storage/mod.rs",
                "pub trait Storage { fn get(&self); }\n",
            )],
        );
        let bad = r.commit_files(&msg(), &[("src/main.rs", "fn main() { run(); }\n")]);
        // The pipeline (two commits and more), then each commit on its own.
        let d = committed(&r, &[good.clone(), bad.clone()]);
        assert_eq!(rules(&d), ["scope.out-of-scope"], "{d:#?}");
        assert_eq!(d[0].commit.as_deref(), Some(bad.as_str()));
        assert_eq!(d[0].path.as_deref(), Some("src/main.rs"));
        assert!(committed(&r, std::slice::from_ref(&good)).is_empty());
        let alone = committed(&r, std::slice::from_ref(&bad));
        assert_eq!(findings(&alone), findings(&d));
    }
}
