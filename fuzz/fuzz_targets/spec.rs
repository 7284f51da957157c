//! Spec indexer: arbitrary bytes (lossy) indexed; lookups by number, title and rule id,
//! requirement extraction and section reasons run over every heading found.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wpgate_core::spec::{self, SpecIndex};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let index = SpecIndex::build(&text);
    let policy = spec::SpecPolicy::default();
    for (i, h) in index.headings.iter().enumerate().take(64) {
        let _ = index.ancestors(i);
        let _ = index.describe(i);
        let _ = spec::non_main_body_reason(&index, i, &policy);
        if let Some(n) = &h.number {
            let _ = index.find(n);
            let _ = spec::requirements(&index, &text, n);
        }
        let _ = index.find_title(&h.title);
    }
    let _ = index.find_rule_id("CX-DBP-040");
    let _ = spec::cites(&text, "2.3");
    let _ = spec::spec_name_in_current(&text);
});
