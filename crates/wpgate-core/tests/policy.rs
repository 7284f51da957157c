//! The embedded default policy, and merging of repository policies over it.

use wpgate_core::policy::{Policy, DEFAULT_POLICY};

#[test]
fn the_embedded_default_spells_out_every_built_in_default() {
    let mut embedded: Policy = toml::from_str(DEFAULT_POLICY).expect("default.toml parses");
    // Organisation codes exist only in the file.
    assert!(!embedded.rules.is_empty());
    embedded.rules.clear();
    let built_in = Policy::default();
    assert_eq!(embedded.layout, built_in.layout);
    assert_eq!(embedded.packet, built_in.packet);
    assert_eq!(embedded.binding, built_in.binding);
    assert_eq!(embedded.scope, built_in.scope);
    assert_eq!(embedded.lock, built_in.lock);
    assert_eq!(embedded.roles, built_in.roles);
    assert_eq!(embedded.git, built_in.git);
    assert_eq!(embedded.spec, built_in.spec);
    assert_eq!(embedded.board, built_in.board);
    assert_eq!(embedded.deps, built_in.deps);
    assert_eq!(embedded.phase, built_in.phase);
    assert_eq!(embedded.waivers, built_in.waivers);
    assert_eq!(embedded.oss, built_in.oss);
    assert_eq!(embedded.signatures, built_in.signatures);
    assert_eq!(embedded.content, built_in.content);
    assert_eq!(embedded.limits, built_in.limits);
    assert_eq!(
        embedded,
        Policy {
            rules: Default::default(),
            ..built_in
        }
    );
}

#[test]
fn every_rule_code_in_the_default_names_a_registered_rule() {
    let p = Policy::embedded();
    let ids = wpgate_core::rules::all_rule_ids();
    for id in p.rules.keys() {
        assert!(ids.contains(&id.as_str()), "{id}");
    }
}

#[test]
fn tables_merge_and_scalars_replace() {
    let p = Policy::from_text(
        "wpgate.toml",
        "[layout]\npackets_dir = \"governance/wp\"\n[scope]\nexempt = [\"README.md\"]\n",
    )
    .expect("policy");
    assert_eq!(p.layout.packets_dir, "governance/wp");
    assert_eq!(p.layout.task_board, "docs/TASK_BOARD.md");
    assert_eq!(p.scope.exempt, vec!["README.md".to_string()]);
    assert_eq!(
        p.rules["scope.out-of-scope"].code.as_deref(),
        Some("CX-603")
    );
}

#[test]
fn content_rules_merge_by_id() {
    let p = Policy::from_text(
        "wpgate.toml",
        "[[content.rules]]\nid = \"team.no-println\"\npattern = 'println!'\ninclude = [\"src/**\"]\nmessage = \"use tracing\"\n\n[[content.rules]]\nid = \"content.todo-comment\"\npattern = 'TODO'\nmessage = \"no TODOs\"\nseverity = \"error\"\n",
    )
    .expect("policy");
    let ids: Vec<&str> = p.content.rules.iter().map(|r| r.id.as_str()).collect();
    assert!(ids.contains(&"content.unwrap"), "{ids:?}");
    assert!(ids.contains(&"team.no-println"), "{ids:?}");
    let todo = p
        .content
        .rules
        .iter()
        .find(|r| r.id == "content.todo-comment")
        .expect("todo rule");
    assert_eq!(todo.message, "no TODOs");
    assert_eq!(ids.len(), Policy::embedded().content.rules.len() + 1);
}

#[test]
fn extends_none_starts_from_the_built_in_defaults_only() {
    let p = Policy::from_text("wpgate.toml", "extends = \"none\"\n").expect("policy");
    assert!(p.rules.is_empty());
    let err = Policy::from_text("wpgate.toml", "extends = \"other\"\n").expect_err("error");
    assert_eq!((err.line, err.column), (1, 1));
}

#[test]
fn a_pathological_regex_is_a_policy_error_not_a_hang() {
    let err = Policy::from_text(
        "wpgate.toml",
        "[limits]\nregex_size_limit = 1000\n[binding]\nsubject_pattern = '(\\w{1,50}){1,50}'\n",
    )
    .expect_err("too big");
    assert!(err.message.contains("subject_pattern"), "{}", err.message);
    assert_eq!(err.line, 4);
}
