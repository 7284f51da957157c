//! Property: a path is in scope iff some IN_SCOPE_PATHS pattern matches it and no
//! OUT_OF_SCOPE pattern does, checked against an independent model of the documented
//! entry forms (exact path = the file or the directory of that name, `dir/` = everything
//! below, `dir/*.ext` = files of that directory with that extension), on generated
//! paths and patterns. OUT_OF_SCOPE entries may carry an annotation after the path.

use proptest::prelude::*;
use wpgate_core::glob::Scope;

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
