//! Waiver parser: arbitrary bytes (lossy) through `waiver::parse`; diagnostics carry spans
//! inside the text; parsed waivers answer expiry and matching without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wpgate_core::model::waiver::{self, Date};
use wpgate_core::policy::WaiverPolicy;
use wpgate_core::rules::waiver::outliving_phase;
use wpgate_core::Diagnostic;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (waivers, diags) = waiver::parse("docs/WAIVERS.toml", &text, &WaiverPolicy::default());
    for d in &diags {
        if let Some(s) = d.span {
            assert!(s.start <= s.end && s.end <= text.len(), "span {s:?}");
        }
    }
    let today = Date::new(2026, 1, 1).unwrap_or_else(|| Date::from_days(0));
    let probe = Diagnostic::new("content.unwrap", wpgate_core::Severity::Error, "x")
        .with_path("src/lib.rs")
        .with_wp("WP-1-A");
    for w in &waivers {
        let _ = w.is_expired(today, &["1"]);
        let _ = w.matches(&probe);
    }
    let _ = outliving_phase(&waivers, "1");
});
