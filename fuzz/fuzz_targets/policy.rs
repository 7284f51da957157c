//! Policy loader: arbitrary TOML text through `Policy::from_text` (merge over the default,
//! validation, regex size limit); an accepted policy must compile its rules (`DiffRules`,
//! content rules) without panicking, and an error must render.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wpgate_core::Policy;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match Policy::from_text("wpgate.toml", &text) {
        Ok(p) => {
            let _ = wpgate_core::gate::DiffRules::new(&p);
            let _ = wpgate_core::rules::content::ContentChecker::new(&p);
            let _ = wpgate_core::model::board::id_regex(&p.board);
            let _ = wpgate_core::rules::spec::title_regexes(&p.spec);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
