//! Spec indexer: arbitrary bytes (lossy) indexed; lookups by number, title and rule id,
//! requirement extraction and section reasons run over every heading found.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wpgate_core::model::spec::{self as spec_model, SpecIndex};
use wpgate_core::policy::SpecPolicy;
use wpgate_core::rules::spec;

/// The default title regexes, compiled once (the per-call convenience function compiles
/// them every time, which made the first recorded run crawl at 5 exec/s).
fn titles() -> &'static [regex::Regex] {
    static T: OnceLock<Vec<regex::Regex>> = OnceLock::new();
    T.get_or_init(|| spec::title_regexes(&SpecPolicy::default()).unwrap_or_default())
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let index = SpecIndex::build(&text);
    let policy = SpecPolicy::default();
    let title_res = titles();
    for (i, h) in index.headings.iter().enumerate().take(64) {
        let _ = index.ancestors(i);
        let _ = index.describe(i);
        let _ = spec::non_main_body_reason_with(&index, i, &policy, title_res);
        if let Some(n) = &h.number {
            let _ = index.find(n);
            let _ = spec_model::requirements(&index, &text, n);
        }
        let _ = index.find_title(&h.title);
    }
    let _ = index.find_rule_id("CX-DBP-040");
    let _ = spec_model::cites(&text, "2.3");
    let _ = spec_model::spec_name_in_current(&text);
});
