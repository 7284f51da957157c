mod gov_util;

use gov_util::*;
use wpgate_core::model::spec::{self as spec_model, SpecIndex};
use wpgate_core::policy::SpecPolicy;
use wpgate_core::rules::spec::{self, ChangeKind, LoadedSpec};
use wpgate_core::source::Workspace;

fn loaded() -> LoadedSpec {
    LoadedSpec::single("Demo_Master_Spec_v01.002.md", FIXTURE_SPEC)
}

fn check_anchor(
    a: wpgate_core::model::packet::Anchor,
    pol: &SpecPolicy,
) -> Vec<wpgate_core::Diagnostic> {
    let policy = policy();
    let p = with_anchors(packet("WP-1-Demo"), vec![a]);
    let spec = loaded();
    run(&policy, |out| {
        spec::check_packets(&[p], &spec, pol, out).expect("check")
    })
}

const CURRENT: &str = "# SPEC_CURRENT\n\nThe current spec is:\n\n**Demo_Master_Spec_v01.002.md**\n\nGovernance: **Demo Codex v1.4.md**\n";

// ------------------------------------------------------------------ index

#[test]
fn index_numbers_titles_rule_ids_and_ranges() {
    let idx = SpecIndex::build(FIXTURE_SPEC);
    let h = idx.find("2.3.12").expect("2.3.12");
    assert_eq!(h.title, "Storage Backend Portability Architecture");
    assert_eq!(h.rule_ids, vec!["CX-DBP-001"]);
    assert_eq!(h.level, 3);
    let line = FIXTURE_SPEC
        .lines()
        .position(|l| l.starts_with("### 2.3.12 "))
        .map(|i| i + 1);
    assert_eq!(Some(h.line), line);
    // The section runs to the next heading of the same or a higher level (2.3.13).
    let body = &FIXTURE_SPEC[h.range.start..h.range.end];
    assert!(body.contains("2.3.12.3 Storage API"));
    assert!(!body.contains("2.3.13 Moved"));
    // Top level with a trailing dot.
    assert_eq!(idx.find("1").map(|h| h.title.as_str()), Some("Vision"));
    // Headings inside fenced code are not headings.
    assert!(!idx
        .headings
        .iter()
        .any(|h| h.title.contains("Not a heading")));
    // Rule ids in the body map to their section.
    let at = idx.find_rule_id("CX-DBP-040");
    assert_eq!(at.len(), 1);
    assert_eq!(idx.headings[at[0]].number.as_deref(), Some("2.3.12.3"));
}

#[test]
fn appendix_style_and_section_sign_resolve() {
    let idx = SpecIndex::build(FIXTURE_SPEC);
    for n in [
        "A2.6.6.7.11",
        "§2.6.6.7.11",
        "2.6.6.7.11",
        "§A2.6.6.7.11",
        "2.6.6.7.11.",
    ] {
        assert_eq!(
            idx.find(n).and_then(|h| h.number.as_deref()),
            Some("2.6.6.7.11"),
            "{n}"
        );
    }
    assert!(idx.find("2.6.6.7.12").is_none());
}

#[test]
fn unnumbered_headings_do_not_close_numbered_sections() {
    let text = "# 1. One\n## 1.1 Sub\n```bash\n# comment\n```\n# stray comment\nMUST stay in 1.1.\n## 1.2 Next\n# 2. Two\n";
    let idx = SpecIndex::build(text);
    let h = idx.find("1.1").expect("1.1");
    assert!(text[h.range.start..h.range.end].contains("MUST stay in 1.1."));
    assert!(!text[h.range.start..h.range.end].contains("1.2 Next"));
    assert_eq!(spec_model::requirements(&idx, text, "1.1").len(), 1);
    assert!(idx.find("2").map(|h| h.canonical).unwrap_or(false));
    assert!(idx.find("1.2").map(|h| h.canonical).unwrap_or(false));
}

#[test]
fn missing_anchor_names_nearest_parent() {
    let d = check_anchor(
        anchor("§7.6.3.7", Some("7.6.3.7"), None, &[]),
        &SpecPolicy::default(),
    );
    assert_eq!(rules_of(&d), vec!["spec.anchor-missing"]);
    let help = d[0].help.as_deref().unwrap_or("");
    assert!(
        help.contains("§7.6.3") && help.contains("not Main Body"),
        "{help}"
    );
}

#[test]
fn local_renumbering_is_not_canonical() {
    // `### 9.1 Pasted…` under `# 6.` loses against the real `## 9.1` under `# 9.`.
    let idx = SpecIndex::build(FIXTURE_SPEC);
    assert_eq!(idx.candidates("9.1").len(), 2);
    assert_eq!(
        idx.find("9.1").map(|h| h.title.as_str()),
        Some("Canonical Specification")
    );
}

// ------------------------------------------------------------------ anchors

#[test]
fn anchor_resolving_with_title_and_rule_id_is_quiet() {
    let d = check_anchor(
        anchor(
            "§2.3.12.3 (Storage API Abstraction Pattern) [CX-DBP-040]",
            Some("2.3.12.3"),
            Some("Storage API Abstraction Pattern"),
            &["CX-DBP-040"],
        ),
        &SpecPolicy::default(),
    );
    assert!(d.is_empty(), "{d:?}");
    // A shortened title is still a match.
    let d = check_anchor(
        anchor(
            "A2.3.12.1 (Portability Pillars)",
            Some("A2.3.12.1"),
            Some("Portability Pillars"),
            &[],
        ),
        &SpecPolicy::default(),
    );
    assert!(d.is_empty(), "{d:?}");
}

#[test]
fn anchor_missing() {
    let d = check_anchor(
        anchor("§2.3.99 (Nowhere)", Some("2.3.99"), Some("Nowhere"), &[]),
        &SpecPolicy::default(),
    );
    assert_eq!(rules_of(&d), vec!["spec.anchor-missing"]);
    assert_eq!(d[0].wp.as_deref(), Some("WP-1-Demo"));
    assert_eq!(d[0].line, Some(5));
}

#[test]
fn anchor_missing_says_where_the_title_went() {
    let d = check_anchor(
        anchor(
            "§2.3.12.2 (Retention Pillars)",
            Some("2.3.12.2"),
            Some("Retention Pillars"),
            &[],
        ),
        &SpecPolicy::default(),
    );
    assert_eq!(rules_of(&d), vec!["spec.anchor-missing"]);
    let help = d[0].help.as_deref().unwrap_or("");
    assert!(help.contains("§2.3.13.1"), "{help}");
}

#[test]
fn anchor_malformed() {
    let d = check_anchor(
        anchor("§Future Work (Phase 2+)", None, Some("Phase 2+"), &[]),
        &SpecPolicy::default(),
    );
    assert_eq!(rules_of(&d), vec!["spec.anchor-malformed"]);
}

#[test]
fn anchor_title_mismatch_points_to_new_place() {
    let d = check_anchor(
        anchor(
            "§2.3.12.1 (Retention Pillars)",
            Some("2.3.12.1"),
            Some("Retention Pillars"),
            &[],
        ),
        &SpecPolicy::default(),
    );
    assert_eq!(rules_of(&d), vec!["spec.anchor-title-mismatch"]);
    let help = d[0].help.as_deref().unwrap_or("");
    assert!(help.contains("now at §2.3.13.1"), "{help}");
}

#[test]
fn anchor_rule_id_mismatch_points_to_new_place() {
    let d = check_anchor(
        anchor(
            "§2.3.12.1 [CX-DBP-050]",
            Some("2.3.12.1"),
            None,
            &["CX-DBP-050"],
        ),
        &SpecPolicy::default(),
    );
    assert_eq!(rules_of(&d), vec!["spec.anchor-title-mismatch"]);
    let help = d[0].help.as_deref().unwrap_or("");
    assert!(
        help.contains("CX-DBP-050") && help.contains("§2.3.13.1"),
        "{help}"
    );
    // A rule id written in parentheses is a rule id, not a title; here it matches.
    let d = check_anchor(
        anchor(
            "§2.3.12.3 (CX-DBP-040)",
            Some("2.3.12.3"),
            Some("CX-DBP-040"),
            &[],
        ),
        &SpecPolicy::default(),
    );
    assert!(d.is_empty(), "{d:?}");
}

#[test]
fn anchor_roadmap_by_title_and_by_main_body() {
    let d = check_anchor(
        anchor("§7.6.3", Some("7.6.3"), None, &[]),
        &SpecPolicy::default(),
    );
    assert_eq!(rules_of(&d), vec!["spec.anchor-roadmap"]);
    assert!(
        d[0].message.contains("Development Roadmap"),
        "{}",
        d[0].message
    );
    // Section 8 is not Main Body when the policy lists it (corpus: 1-6, 9-11).
    let corpus_policy = SpecPolicy {
        main_body: ["1", "2", "3", "4", "5", "6", "9", "10", "11"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ..SpecPolicy::default()
    };
    let d = check_anchor(anchor("§8.1", Some("8.1"), None, &[]), &corpus_policy);
    assert_eq!(rules_of(&d), vec!["spec.anchor-roadmap"]);
    // …but is under the default policy, and 9.1 is Main Body under both.
    let d = check_anchor(
        anchor("§8.1", Some("8.1"), None, &[]),
        &SpecPolicy::default(),
    );
    assert!(d.is_empty());
    let d = check_anchor(anchor("§9.1", Some("9.1"), None, &[]), &corpus_policy);
    assert!(d.is_empty(), "{d:?}");
}

#[test]
fn number_under_respects_component_boundaries() {
    assert!(spec::number_under("2.3.12", "2"));
    assert!(spec::number_under("2.3.12", "2.3"));
    assert!(spec::number_under("10.1", "10"));
    assert!(!spec::number_under("10.1", "1"));
    assert!(!spec::number_under("2.31", "2.3"));
}

// ------------------------------------------------------------------ DONE_MEANS mapping

#[test]
fn done_means_unmapped_only_when_enabled() {
    let p = with_done_means(
        with_anchors(
            packet("WP-1-Demo"),
            vec![anchor("§2.3.12.3", Some("2.3.12.3"), None, &[])],
        ),
        &[
            "MUST: Database trait defined (§2.3.12.3, requirement 1)",
            "Implement wrapper (2.3.12.3 requirement 2)",
            "All tests pass",
            "Mentions 2.3.12.30 which is another section",
        ],
    );
    let spec = loaded();
    let policy = policy();
    let d = run(&policy, |out| {
        spec::check_packets(std::slice::from_ref(&p), &spec, &SpecPolicy::default(), out)
            .expect("check");
    });
    assert!(d.is_empty());
    let on = SpecPolicy {
        require_done_means_mapping: true,
        ..SpecPolicy::default()
    };
    let d = run(&policy, |out| {
        spec::check_packets(&[p], &spec, &on, out).expect("check")
    });
    assert_eq!(count(&d, "spec.done-means-unmapped"), 2, "{d:?}");
    assert!(d[0].message.contains("All tests pass"));
}

#[test]
fn requirements_of_a_section() {
    let idx = SpecIndex::build(FIXTURE_SPEC);
    let reqs = spec_model::requirements(&idx, FIXTURE_SPEC, "2.3.12.3");
    let sentences: Vec<&str> = reqs.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(reqs.len(), 4, "{sentences:?}");
    assert!(sentences[0].contains("MUST NOT expose backend types"));
    assert!(sentences[1].starts_with("MUST: Define Database trait"));
    // Lines are spec lines.
    let line = FIXTURE_SPEC
        .lines()
        .position(|l| l.contains("MUST: Define Database trait"))
        .map(|i| i + 1);
    assert_eq!(Some(reqs[1].0), line);
    // Code and lowercase "must" are not requirements.
    assert!(!sentences
        .iter()
        .any(|s| s.contains("inside code") || s.contains("lowercase")));
    // Both sentences of one line are split.
    let reqs = spec_model::requirements(&idx, FIXTURE_SPEC, "2.3.12.1");
    assert_eq!(reqs.len(), 2);
    assert!(reqs[1].1.starts_with("Callers SHOULD NOT"));
    assert!(spec_model::requirements(&idx, FIXTURE_SPEC, "99.9").is_empty());
}

#[test]
fn trace_maps_by_number_and_by_key_words() {
    let idx = SpecIndex::build(FIXTURE_SPEC);
    let p = with_done_means(
        with_anchors(
            packet("WP-1-Demo"),
            vec![anchor("§2.3.12.3", Some("2.3.12.3"), None, &[])],
        ),
        &[
            "Trait is pure (§2.3.12.3, requirement 1)",
            "SqliteDatabase wrapper implemented for storage",
            "All tests pass",
        ],
    );
    let rows = spec_model::trace(&p, &idx, FIXTURE_SPEC);
    assert_eq!(rows.len(), 4);
    assert_eq!(
        rows[0].done_means.as_deref(),
        Some("Trait is pure (§2.3.12.3, requirement 1)")
    );
    assert_eq!(rows[1].done_means, None, "{:?}", rows[1]);
    assert_eq!(
        rows[2].done_means.as_deref(),
        Some("SqliteDatabase wrapper implemented for storage")
    );
    assert_eq!(rows[3].done_means, None);
    assert!(rows.iter().all(|r| r.anchor == "2.3.12.3"));
}

#[test]
fn cites_needs_number_boundaries() {
    assert!(spec_model::cites(
        "see §2.3.12.3, requirement 1",
        "2.3.12.3"
    ));
    assert!(spec_model::cites("A2.3.12.3.", "2.3.12.3"));
    assert!(spec_model::cites("per 2.3.12.3", "A2.3.12.3"));
    assert!(!spec_model::cites("see 2.3.12.31", "2.3.12.3"));
    assert!(!spec_model::cites("see 12.3.12.3", "2.3.12.3"));
    assert!(!spec_model::cites("see 2.3.12.3.1", "2.3.12.3"));
}

// ------------------------------------------------------------------ current / latest

#[test]
fn current_spec_found_next_to_spec_current_is_quiet() {
    let fs = MemFs::new(&[
        ("docs/SPEC_CURRENT.md", CURRENT),
        ("docs/Demo_Master_Spec_v01.002.md", FIXTURE_SPEC),
        ("Demo_Master_Spec_v01.001.md", "# old\n"),
    ]);
    let policy = policy();
    let ws = Workspace::new(&policy, &fs);
    let d = run(&policy, |out| spec::check(&ws, out).expect("check"));
    assert!(d.is_empty(), "{d:?}");
    let loaded = spec::load(&ws).expect("load").expect("spec");
    assert_eq!(loaded.path, "docs/Demo_Master_Spec_v01.002.md");
    // Indexed once per workspace: a second load returns the same index.
    let again = spec::load(&ws).expect("load").expect("spec");
    assert!(std::sync::Arc::ptr_eq(&loaded, &again));
}

#[test]
fn current_missing_when_file_absent_or_unnamed() {
    let policy = policy();
    for files in [
        vec![],
        vec![("docs/SPEC_CURRENT.md", "# SPEC_CURRENT\nnothing named\n")],
        vec![("docs/SPEC_CURRENT.md", CURRENT)],
    ] {
        let fs = MemFs::new(&files);
        let ws = Workspace::new(&policy, &fs);
        let d = run(&policy, |out| spec::check(&ws, out).expect("check"));
        assert_eq!(rules_of(&d), vec!["spec.current-missing"], "{files:?}");
    }
}

#[test]
fn not_latest_compares_numerically() {
    let current = "**Handshake_Master_Spec_v02.99.md**\n";
    let fs = MemFs::new(&[
        ("docs/SPEC_CURRENT.md", current),
        ("Handshake_Master_Spec_v02.99.md", "# 1. A\n"),
        ("Handshake_Master_Spec_v02.100.md", "# 1. A\n"),
        ("Other_Spec_v09.000.md", "# 1. A\n"),
    ]);
    let policy = policy();
    let ws = Workspace::new(&policy, &fs);
    let d = run(&policy, |out| spec::check(&ws, out).expect("check"));
    assert_eq!(rules_of(&d), vec!["spec.not-latest"]);
    assert!(d[0].message.contains("v02.100"));
    assert_eq!(d[0].line, Some(1));
    // The reverse (current v02.100, old v02.99 present) is fine.
    let fs = MemFs::new(&[
        (
            "docs/SPEC_CURRENT.md",
            "**Handshake_Master_Spec_v02.100.md**\n",
        ),
        ("Handshake_Master_Spec_v02.99.md", "# 1. A\n"),
        ("Handshake_Master_Spec_v02.100.md", "# 1. A\n"),
    ]);
    let ws = Workspace::new(&policy, &fs);
    let d = run(&policy, |out| spec::check(&ws, out).expect("check"));
    assert!(d.is_empty(), "{d:?}");
}

#[test]
fn spec_version_parsing() {
    let v = spec_model::parse_spec_version("x/Handshake_Master_Spec_v02.100.md").expect("v");
    assert_eq!(v.stem, "Handshake_Master_Spec");
    assert_eq!(v.version, vec![2, 100]);
    assert!(spec_model::parse_spec_version("README.md").is_none());
}

// ------------------------------------------------------------------ frozen

fn frozen(changed: &[(&str, ChangeKind)], wp: Option<&str>) -> Vec<wpgate_core::Diagnostic> {
    let fs = MemFs::new(&[
        ("docs/SPEC_CURRENT.md", CURRENT),
        ("Demo_Master_Spec_v01.002.md", FIXTURE_SPEC),
    ]);
    let policy = policy();
    let ws = Workspace::new(&policy, &fs);
    run(&policy, |out| {
        spec::check_frozen(changed, wp, &ws, out).expect("frozen")
    })
}

#[test]
fn frozen_refuses_modifying_current_spec_even_for_spec_update() {
    let d = frozen(
        &[("Demo_Master_Spec_v01.002.md", ChangeKind::Modified)],
        Some("WP-1-X"),
    );
    assert_eq!(rules_of(&d), vec!["spec.frozen"]);
    let d = frozen(
        &[("Demo_Master_Spec_v01.002.md", ChangeKind::Deleted)],
        Some("WP-1-SpecUpdate-v02"),
    );
    assert_eq!(rules_of(&d), vec!["spec.frozen"]);
}

#[test]
fn frozen_new_version_needs_spec_update_packet() {
    let change = [
        ("Demo_Master_Spec_v01.003.md", ChangeKind::Added),
        ("docs/SPEC_CURRENT.md", ChangeKind::Modified),
    ];
    let d = frozen(&change, Some("WP-1-Storage"));
    assert_eq!(count(&d, "spec.frozen"), 2, "{d:?}");
    let d = frozen(&change, None);
    assert_eq!(count(&d, "spec.frozen"), 2);
    let d = frozen(&change, Some("WP-1-SpecUpdate-Storage"));
    assert!(d.is_empty(), "{d:?}");
    // Unrelated files are fine.
    let d = frozen(
        &[("src/lib.rs", ChangeKind::Modified)],
        Some("WP-1-Storage"),
    );
    assert!(d.is_empty());
}

// ------------------------------------------------------------------ registry

#[test]
fn every_spec_rule_is_documented() {
    for r in spec::RULES {
        assert!(r.id.starts_with("spec."));
        assert!(!r.summary.is_empty() && !r.help.is_empty() && !r.example.is_empty());
    }
    assert_eq!(spec::RULES.len(), 8);
}

// ------------------------------------------------------------------ corpus

#[test]
fn corpus_spec_index() {
    let Some(dir) = corpus() else {
        eprintln!("corpus absent; skipped");
        return;
    };
    let raw = std::fs::read(dir.join("Handshake_Master_Spec_v02.100.md")).expect("spec");
    let text = String::from_utf8_lossy(&raw);
    let t0 = std::time::Instant::now();
    let idx = SpecIndex::build(&text);
    let took = t0.elapsed();
    eprintln!(
        "corpus spec: {} bytes, {} headings, index built in {:?}",
        text.len(),
        idx.headings.len(),
        took
    );
    assert!(idx.headings.len() > 1500);
    let h = idx.find("2.3.12").expect("2.3.12");
    assert_eq!(h.title, "Storage Backend Portability Architecture");
    assert_eq!(h.rule_ids, vec!["CX-DBP-001"]);
    assert_eq!(
        idx.find("2.3.12.1").map(|h| h.title.as_str()),
        Some("Four Portability Pillars")
    );
    assert!(idx.find("A2.6.6.7.11").is_some());
    assert!(idx.find("§2.6.6.7.14").is_some());
    assert_eq!(
        idx.find("7.6").map(|h| h.title.as_str()),
        Some("Development Roadmap")
    );
    // 10.5 is the Operator Consoles section, not the pasted calendar sub-document's 10.5.
    assert!(idx
        .find("10.5")
        .map(|h| h.title.starts_with("Operator Consoles"))
        .unwrap_or(false));
    // CX-DBP-040 is defined in the body of 2.3.12.3.
    let at = idx.find_rule_id("CX-DBP-040");
    assert_eq!(
        at.first().and_then(|&i| idx.headings[i].number.as_deref()),
        Some("2.3.12.3")
    );
    let reqs = spec_model::requirements(&idx, &text, "2.3.12.3");
    assert!(!reqs.is_empty());
    // The roadmap rule sees 7.6.3.x as non-Main-Body by default.
    let i = idx.candidates("7.6.3")[0];
    assert!(spec::non_main_body_reason(&idx, i, &SpecPolicy::default()).is_some());
}

#[test]
fn spec_name_without_bold_is_found() {
    let (name, line, _) = spec_model::spec_name_in_current(
        "# Current\n\nSee [spec](../Demo_Master_Spec_v01.002.md).\n",
    )
    .expect("name");
    assert_eq!(name, "Demo_Master_Spec_v01.002.md");
    assert_eq!(line, 3);
    assert!(spec_model::spec_name_in_current("# Current\nnothing\n").is_none());
}

#[test]
fn bad_title_regex_is_an_error() {
    let pol = SpecPolicy {
        non_main_body_titles: vec!["(".into()],
        ..SpecPolicy::default()
    };
    let policy = policy();
    let spec = loaded();
    let mut out = wpgate_core::rules::Emitter::new(&policy);
    assert!(spec::check_packets(&[], &spec, &pol, &mut out).is_err());
}

/// Findings on the real corpus: anchors read with a minimal extractor (the packet parser
/// is developed separately) and resolved against the real spec. Prints a summary.
#[test]
fn corpus_anchor_findings() {
    let Some(dir) = corpus() else {
        eprintln!("corpus absent; skipped");
        return;
    };
    let raw = std::fs::read(dir.join("Handshake_Master_Spec_v02.100.md")).expect("spec");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let spec = LoadedSpec::single("Handshake_Master_Spec_v02.100.md", &text);
    let re = regex::Regex::new(
        r"(?:^|[^v0-9.])(?:§|\?\?|A)?([0-9]+(?:\.[0-9]+)+)(?:\s*\(([^)]*)\))?((?:\s*\[[A-Z0-9-]+\])*)",
    )
    .expect("re");
    let mut packets = Vec::new();
    let pdir = dir.join("docs/task_packets");
    for e in std::fs::read_dir(&pdir).expect("dir").flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with("WP-") {
            continue;
        }
        let t = String::from_utf8_lossy(&std::fs::read(e.path()).expect("read")).into_owned();
        let Some(line) = t
            .lines()
            .find(|l| l.contains("SPEC_ANCHOR") && !l.contains("Spec:"))
        else {
            continue;
        };
        let line_no = t.lines().position(|l| l == line).unwrap_or(0) + 1;
        let value = line.split_once(':').map(|x| x.1).unwrap_or("");
        let mut anchors = Vec::new();
        for item in value.split(',') {
            let Some(c) = re.captures(item) else { continue };
            let ids: Vec<&str> = c
                .get(3)
                .map(|m| m.as_str())
                .unwrap_or("")
                .split(['[', ']', ' '])
                .filter(|s| !s.is_empty())
                .collect();
            let mut a = anchor(
                item.trim(),
                c.get(1).map(|m| m.as_str()),
                c.get(2).map(|m| m.as_str()),
                &ids,
            );
            a.line = line_no;
            anchors.push(a);
        }
        let id = name.trim_end_matches(".md").to_string();
        packets.push(with_anchors(packet(&id), anchors));
    }
    let policy = policy();
    let corpus_pol = SpecPolicy {
        main_body: ["1", "2", "3", "4", "5", "6", "9", "10", "11"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ..SpecPolicy::default()
    };
    let d = run(&policy, |out| {
        spec::check_packets(&packets, &spec, &corpus_pol, out).expect("check")
    });
    let anchors: usize = packets.iter().map(|p| p.spec_anchors.len()).sum();
    eprintln!(
        "corpus: {} packets with SPEC_ANCHOR, {anchors} anchors",
        packets.len()
    );
    for r in [
        "spec.anchor-missing",
        "spec.anchor-roadmap",
        "spec.anchor-title-mismatch",
    ] {
        eprintln!("  {r}: {}", count(&d, r));
    }
    for x in &d {
        eprintln!(
            "  {} {}: {}{}",
            x.rule,
            x.wp.as_deref().unwrap_or(""),
            x.message,
            x.help
                .as_deref()
                .map(|h| format!(" [help: {h}]"))
                .unwrap_or_default()
        );
    }
    assert!(anchors > 50);
    // The corpus anchors many packets to the 7.6.3 roadmap.
    assert!(count(&d, "spec.anchor-roadmap") > 0);
}

// ------------------------------------------------------------------ spec bundles

/// A JSON SPEC_CURRENT naming a manifest of three modules. It also mentions a stale
/// baseline spec (present in the repository) that must never be read.
const BUNDLE_CURRENT: &str = r#"{
  "schema": "demo.spec_current@1",
  "current_spec": {
    "entrypoint_path": "spec/v02/manifest.json",
    "version": "v02.001",
    "source_baseline_path": "Demo_Master_Spec_v01.002.md"
  }
}
"#;

const BUNDLE_MANIFEST: &str = r#"{
  "spec_version": "v02.001",
  "modules": [
    { "module_id": "01", "path": "modules/01-x.md" },
    { "module_id": "02", "path": "modules/02-x.md" },
    { "module_id": "03", "path": "modules/03-x.md" }
  ]
}
"#;

const MODULE_1: &str = "---\nmodule_id: \"01\"\n# a YAML comment, not a heading\n---\n# 1. Vision\n\n## 1.1 Purpose\nThe product stores notes.\n\n```text\nan unclosed fence\n";

const MODULE_2: &str = "---\nmodule_id: \"02\"\n---\n# 2. Architecture\n\n## 2.1 Storage [CX-ST-001]\nAll access MUST go through the trait.\n\n### 2.1.1 Storage Trait\nThe trait MUST be async.\n";

const MODULE_3: &str = "---\nmodule_id: \"03\"\n---\n# 3. Operations\n\n## 3.1 Backups\nBackups MUST run daily.\n\n## 3.2 Roadmap\n### 3.2.1 Later\n";

fn bundle_files() -> Vec<(&'static str, &'static str)> {
    vec![
        ("docs/SPEC_CURRENT.md", BUNDLE_CURRENT),
        ("spec/v02/manifest.json", BUNDLE_MANIFEST),
        ("spec/v02/modules/01-x.md", MODULE_1),
        ("spec/v02/modules/02-x.md", MODULE_2),
        ("spec/v02/modules/03-x.md", MODULE_3),
        ("Demo_Master_Spec_v01.002.md", FIXTURE_SPEC),
    ]
}

/// `files` with `path` replaced (or removed when `text` is `None`).
fn with_file<'a>(
    mut files: Vec<(&'a str, &'a str)>,
    path: &'a str,
    text: Option<&'a str>,
) -> Vec<(&'a str, &'a str)> {
    files.retain(|(p, _)| *p != path);
    if let Some(t) = text {
        files.push((path, t));
    }
    files
}

/// The spec diagnostics of a repository and the spec it loads.
fn spec_run(
    files: &[(&str, &str)],
    anchors: Vec<wpgate_core::model::packet::Anchor>,
) -> (
    Vec<wpgate_core::Diagnostic>,
    Option<std::sync::Arc<LoadedSpec>>,
) {
    let fs = MemFs::new(files);
    let policy = policy();
    let ws = Workspace::new(&policy, &fs);
    let loaded = spec::load(&ws).expect("load");
    let mut d = run(&policy, |out| spec::check_current(&ws, out).expect("check"));
    if let Some(s) = &loaded {
        let p = with_anchors(packet("WP-1-Demo"), anchors);
        d.extend(run(&policy, |out| {
            spec::check_packets(&[p], s, &SpecPolicy::default(), out).expect("anchors")
        }));
    }
    (d, loaded)
}

#[test]
fn bundle_loads_every_module_and_resolves_an_anchor_in_module_2() {
    let (d, loaded) = spec_run(
        &bundle_files(),
        vec![anchor(
            "§2.1.1 (Storage Trait)",
            Some("2.1.1"),
            Some("Storage Trait"),
            &[],
        )],
    );
    assert!(d.is_empty(), "{d:?}");
    let s = loaded.expect("a bundle loads");
    assert_eq!(s.path, "spec/v02/manifest.json");
    let b = s.bundle.as_ref().expect("bundle");
    assert_eq!(b.version.as_deref(), Some("v02.001"));
    let paths: Vec<&str> = b.modules.iter().map(|m| m.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "spec/v02/modules/01-x.md",
            "spec/v02/modules/02-x.md",
            "spec/v02/modules/03-x.md"
        ]
    );
    assert!(s.summary().contains("v02.001") && s.summary().contains("3 modules"));
    // Frontmatter is not spec text; the open fence of module 1 ends with module 1.
    assert!(!s.index.headings.iter().any(|h| h.title.contains("YAML")));
    assert!(!s.text.contains("module_id"));
    assert!(s.index.find("2.1").is_some() && s.index.find("3.1").is_some());
    // The heading's line maps back to its module file.
    let h = s.index.find("2.1.1").expect("2.1.1");
    assert_eq!(s.location(h.line), ("spec/v02/modules/02-x.md", 9));
    // Requirements resolve across modules too.
    let reqs = spec_model::requirements(&s.index, &s.text, "3.1");
    assert_eq!(reqs.len(), 1);
    assert_eq!(s.location(reqs[0].0), ("spec/v02/modules/03-x.md", 7));
    // Loaded once: the second load is the same index.
    let fs = MemFs::new(&bundle_files());
    let policy = policy();
    let ws = Workspace::new(&policy, &fs);
    let a = spec::load(&ws).expect("load").expect("spec");
    let again = spec::load(&ws).expect("load").expect("spec");
    assert!(std::sync::Arc::ptr_eq(&a, &again));
}

#[test]
fn bundle_diagnostics_name_the_module_file_and_line() {
    let (d, _) = spec_run(
        &bundle_files(),
        vec![
            anchor("§2.1.1 (Backups)", Some("2.1.1"), Some("Backups"), &[]),
            anchor("§3.2.1", Some("3.2.1"), None, &[]),
        ],
    );
    assert_eq!(
        rules_of(&d),
        vec!["spec.anchor-title-mismatch", "spec.anchor-roadmap"],
        "{d:?}"
    );
    assert!(
        d[0].message.contains("spec/v02/modules/02-x.md:9"),
        "{}",
        d[0].message
    );
    let help = d[0].help.as_deref().unwrap_or("");
    assert!(help.contains("spec/v02/modules/03-x.md:6"), "{help}");
    assert!(
        d[1].message.contains("spec/v02/modules/03-x.md:9"),
        "{}",
        d[1].message
    );
}

#[test]
fn bundle_module_scoped_anchors() {
    let raw2 = "spec/v01/modules/02-x.md#2.1";
    let raw3 = "03-x.md#2.1";
    let raw4 = ".GOV/spec/old/04-x.md#2.1";
    let (d, _) = spec_run(&bundle_files(), vec![anchor(raw2, Some("2.1"), None, &[])]);
    assert!(d.is_empty(), "{d:?}");
    // The number after `#` counts even when the anchor parser found none.
    let (d, _) = spec_run(&bundle_files(), vec![anchor("02-x.md#2", None, None, &[])]);
    assert!(d.is_empty(), "{d:?}");
    let (d, _) = spec_run(&bundle_files(), vec![anchor(raw3, Some("2.1"), None, &[])]);
    assert_eq!(rules_of(&d), vec!["spec.anchor-missing"], "{d:?}");
    assert!(
        d[0].message.contains("spec/v02/modules/03-x.md"),
        "{}",
        d[0].message
    );
    let help = d[0].help.as_deref().unwrap_or("");
    assert!(help.contains("02-x.md#2.1"), "{help}");
    let (d, _) = spec_run(&bundle_files(), vec![anchor(raw4, Some("2.1"), None, &[])]);
    assert_eq!(rules_of(&d), vec!["spec.anchor-missing"], "{d:?}");
    assert!(d[0].message.contains("`04-x.md`"), "{}", d[0].message);
}

#[test]
fn bundle_with_a_missing_module_is_current_missing() {
    let files = with_file(bundle_files(), "spec/v02/modules/02-x.md", None);
    let (d, loaded) = spec_run(&files, vec![]);
    assert_eq!(rules_of(&d), vec!["spec.current-missing"], "{d:?}");
    assert!(loaded.is_none());
    assert_eq!(d[0].path.as_deref(), Some("spec/v02/manifest.json"));
    assert_eq!(d[0].line, Some(5));
    assert!(
        d[0].message.contains("spec/v02/modules/02-x.md"),
        "{}",
        d[0].message
    );
    // A missing manifest names SPEC_CURRENT's pointer and the manifest.
    let files = with_file(bundle_files(), "spec/v02/manifest.json", None);
    let (d, loaded) = spec_run(&files, vec![]);
    assert_eq!(rules_of(&d), vec!["spec.current-missing"], "{d:?}");
    assert!(loaded.is_none());
    assert_eq!(d[0].path.as_deref(), Some("docs/SPEC_CURRENT.md"));
    assert_eq!(d[0].line, Some(4));
    assert!(
        d[0].message.contains("/current_spec/entrypoint_path")
            && d[0].message.contains("spec/v02/manifest.json"),
        "{}",
        d[0].message
    );
    // A manifest without the module list.
    let files = with_file(
        bundle_files(),
        "spec/v02/manifest.json",
        Some("{\"parts\": []}\n"),
    );
    let (d, _) = spec_run(&files, vec![]);
    assert_eq!(rules_of(&d), vec!["spec.current-missing"], "{d:?}");
    assert!(d[0].message.contains("/modules"), "{}", d[0].message);
}

#[test]
fn malformed_json_spec_current_is_current_missing_with_line_and_column() {
    let bad =
        "{\n  \"current_spec\": {\n    \"entrypoint_path\": \"spec/v02/manifest.json\",\n  }\n}\n";
    let files = with_file(bundle_files(), "docs/SPEC_CURRENT.md", Some(bad));
    let (d, loaded) = spec_run(&files, vec![]);
    assert_eq!(rules_of(&d), vec!["spec.current-missing"], "{d:?}");
    assert!(loaded.is_none(), "no fallback to the baseline spec");
    assert_eq!(d[0].path.as_deref(), Some("docs/SPEC_CURRENT.md"));
    assert_eq!(d[0].line, Some(4));
    assert!(
        d[0].message.contains("line 4, column 3"),
        "{}",
        d[0].message
    );
    // The same for a manifest that does not parse.
    let files = with_file(
        bundle_files(),
        "spec/v02/manifest.json",
        Some("{\"modules\": [\n  {\"path\": \"modules/01-x.md\"\n]}\n"),
    );
    let (d, _) = spec_run(&files, vec![]);
    assert_eq!(rules_of(&d), vec!["spec.current-missing"], "{d:?}");
    assert_eq!(d[0].path.as_deref(), Some("spec/v02/manifest.json"));
    assert_eq!(d[0].line, Some(3));
}

#[test]
fn json_spec_current_without_the_pointer_never_falls_back_to_a_named_md() {
    let current = "{\n  \"current_spec\": {\n    \"source_baseline_path\": \"Demo_Master_Spec_v01.002.md\"\n  }\n}\n";
    let files = with_file(bundle_files(), "docs/SPEC_CURRENT.md", Some(current));
    let (d, loaded) = spec_run(&files, vec![]);
    assert_eq!(rules_of(&d), vec!["spec.current-missing"], "{d:?}");
    assert!(loaded.is_none(), "the baseline .md must not be loaded");
    assert!(
        d[0].message.contains("/current_spec/entrypoint_path"),
        "{}",
        d[0].message
    );
    assert!(
        !d[0].message.contains("Demo_Master_Spec"),
        "{}",
        d[0].message
    );
    // A pointer to something other than a string.
    let current = "{\"current_spec\": {\"entrypoint_path\": 3}}\n";
    let files = with_file(bundle_files(), "docs/SPEC_CURRENT.md", Some(current));
    let (d, loaded) = spec_run(&files, vec![]);
    assert_eq!(rules_of(&d), vec!["spec.current-missing"], "{d:?}");
    assert!(loaded.is_none());
}

#[test]
fn bundle_policy_pointers_and_repository_relative_modules() {
    let current = "{\"spec\": {\"manifest\": \"/spec/v02/index.json\"}}\n";
    let manifest = "{\"parts\": [\"spec/v02/modules/02-x.md\", \"spec/v02/modules/03-x.md\"]}\n";
    let files = vec![
        ("docs/SPEC_CURRENT.md", current),
        ("spec/v02/index.json", manifest),
        ("spec/v02/modules/02-x.md", MODULE_2),
        ("spec/v02/modules/03-x.md", MODULE_3),
    ];
    let fs = MemFs::new(&files);
    let mut policy = policy();
    policy.spec.current_manifest_pointers = vec!["/spec/manifest".into()];
    policy.spec.manifest_modules_pointer = "/parts".into();
    policy.spec.module_path_pointer = String::new();
    policy.spec.module_paths_from = "repository".into();
    let ws = Workspace::new(&policy, &fs);
    let d = run(&policy, |out| spec::check_current(&ws, out).expect("check"));
    assert!(d.is_empty(), "{d:?}");
    let s = spec::load(&ws).expect("load").expect("bundle");
    assert_eq!(s.bundle.as_ref().map(|b| b.modules.len()), Some(2));
    assert_eq!(s.bundle.as_ref().and_then(|b| b.version.clone()), None);
    // An unknown base is a usage error (exit 2), not a silent default.
    policy.spec.module_paths_from = "elsewhere".into();
    let ws = Workspace::new(&policy, &fs);
    assert!(spec::load(&ws).is_err());
}

fn bundle_frozen(changed: &[(&str, ChangeKind)], wp: Option<&str>) -> Vec<wpgate_core::Diagnostic> {
    let fs = MemFs::new(&bundle_files());
    let policy = policy();
    let ws = Workspace::new(&policy, &fs);
    run(&policy, |out| {
        spec::check_frozen(changed, wp, &ws, out).expect("frozen")
    })
}

#[test]
fn bundle_modules_and_manifest_are_frozen_except_under_a_spec_update_packet() {
    let m3 = [("spec/v02/modules/03-x.md", ChangeKind::Modified)];
    let d = bundle_frozen(&m3, Some("WP-1-Storage"));
    assert_eq!(rules_of(&d), vec!["spec.frozen"], "{d:?}");
    assert!(
        d[0].message.contains("spec/v02/manifest.json"),
        "{}",
        d[0].message
    );
    assert_eq!(rules_of(&bundle_frozen(&m3, None)), vec!["spec.frozen"]);
    for (path, kind) in [
        ("spec/v02/manifest.json", ChangeKind::Modified),
        ("spec/v02/modules/01-x.md", ChangeKind::Deleted),
        ("spec/v02/modules/02-x.md", ChangeKind::Renamed),
    ] {
        let d = bundle_frozen(&[(path, kind)], Some("WP-1-Storage"));
        assert_eq!(rules_of(&d), vec!["spec.frozen"], "{path}");
    }
    // A spec-update packet may change the bundle in place.
    let d = bundle_frozen(
        &[
            ("spec/v02/modules/03-x.md", ChangeKind::Modified),
            ("spec/v02/manifest.json", ChangeKind::Modified),
            ("docs/SPEC_CURRENT.md", ChangeKind::Modified),
        ],
        Some("WP-1-SpecUpdate-Backups"),
    );
    assert!(d.is_empty(), "{d:?}");
    // The stale baseline is not the current spec: editing it is not a freeze finding.
    let d = bundle_frozen(
        &[("Demo_Master_Spec_v01.002.md", ChangeKind::Modified)],
        Some("WP-1-Storage"),
    );
    assert!(d.is_empty(), "{d:?}");
}

#[test]
fn frontmatter_is_measured_only_when_closed() {
    assert_eq!(
        spec_model::frontmatter_len("---\na: 1\n---\n# 1. X\n"),
        (13, 3)
    );
    assert_eq!(spec_model::frontmatter_len("---\na: 1\n# 1. X\n"), (0, 0));
    assert_eq!(spec_model::frontmatter_len("# 1. X\n---\n"), (0, 0));
    assert_eq!(spec_model::frontmatter_len(""), (0, 0));
}

/// The corpus of 2026-06-22, when present.
fn corpus_2026_06() -> Option<std::path::PathBuf> {
    [
        "../../../shared/corpus/handshake-2026-06-22",
        "../../../../shared/corpus/handshake-2026-06-22",
    ]
    .iter()
    .map(|rel| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel))
    .find(|p| p.is_dir())
}

/// The real bundle: SPEC_CURRENT is JSON naming v02.195's manifest of 15 modules.
#[test]
fn corpus_2026_06_current_spec_is_the_v02_195_bundle() {
    let Some(dir) = corpus_2026_06() else {
        eprintln!("corpus handshake-2026-06-22 absent; skipped");
        return;
    };
    let tree = wpgate_core::source::WorkTree::new(&dir);
    let mut policy = policy();
    policy.layout.spec_current = ".GOV/spec/SPEC_CURRENT.md".into();
    let ws = Workspace::new(&policy, &tree);
    let d = run(&policy, |out| spec::check_current(&ws, out).expect("check"));
    assert_eq!(count(&d, "spec.current-missing"), 0, "{d:?}");
    let t0 = std::time::Instant::now();
    let s = spec::load(&ws).expect("load").expect("bundle");
    let took = t0.elapsed();
    let b = s.bundle.as_ref().expect("bundle");
    eprintln!(
        "corpus 2026-06-22: {}, {} bytes, {} headings, loaded in {took:?}",
        s.summary(),
        s.text.len(),
        s.index.headings.len()
    );
    assert_eq!(
        b.manifest,
        ".GOV/spec/master-spec-v02.195/indexed-spec-manifest.json"
    );
    assert_eq!(b.version.as_deref(), Some("v02.195"));
    assert_eq!(b.modules.len(), 15);
    // Never the stale monolith the JSON also mentions.
    assert!(!s.path.contains("v02.182"));
    let h = s.index.find("2.3.13.9").expect("2.3.13.9");
    assert!(
        h.title.starts_with("Kernel V1 Authority State"),
        "{}",
        h.title
    );
    let (file, _) = s.location(h.line);
    assert!(
        file.ends_with("spec-modules/02-system-architecture.md"),
        "{file}"
    );
    // 7.6 lives in its own module and is still the roadmap under section 7.
    let i = s.index.candidates("7.6")[0];
    assert_eq!(s.index.headings[i].title, "Development Roadmap");
    assert!(s
        .location(s.index.headings[i].line)
        .0
        .ends_with("07-6-development-roadmap.md"));
    assert!(spec::non_main_body_reason(&s.index, i, &SpecPolicy::default()).is_some());
    // Module-scoped anchors as the corpus writes them (an older bundle's directory).
    let p = with_anchors(
        packet("WP-1-Demo"),
        vec![anchor(
            ".GOV/spec/master-spec-v02.184/spec-modules/02-system-architecture.md#2.3.13.9",
            Some("2.3.13.9"),
            None,
            &[],
        )],
    );
    let d = run(&policy, |out| {
        spec::check_packets(&[p], &s, &SpecPolicy::default(), out).expect("anchors")
    });
    assert!(d.is_empty(), "{d:?}");
}

#[test]
fn an_item_label_after_the_number_is_not_a_title() {
    // `2.3.12.3(B)` cites item B of 2.3.12.3; `2.3.12.3 (B)` still names a title.
    let d = check_anchor(
        anchor("2.3.12.3(B)", Some("2.3.12.3"), Some("B"), &[]),
        &SpecPolicy::default(),
    );
    assert!(d.is_empty(), "{d:?}");
    let d = check_anchor(
        anchor("2.3.12.3 (B)", Some("2.3.12.3"), Some("B"), &[]),
        &SpecPolicy::default(),
    );
    assert_eq!(rules_of(&d), vec!["spec.anchor-title-mismatch"]);
}
