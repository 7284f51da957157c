//! The JSON output contract (`version` 1): the summary and every diagnostic.

use serde::Serialize;

use super::{Diagnostic, Report, Summary};

/// JSON document of the output contract (`version` 1).
#[derive(Serialize)]
pub struct JsonReport<'a> {
    pub version: u32,
    pub summary: Summary,
    pub diagnostics: &'a [Diagnostic],
}

impl Report {
    pub fn to_json(&self) -> String {
        let doc = JsonReport {
            version: 1,
            summary: self.summary(),
            diagnostics: &self.diagnostics,
        };
        serde_json::to_string_pretty(&doc).unwrap_or_else(|e| {
            format!("{{\"version\":1,\"error\":\"serialising report failed: {e}\"}}")
        })
    }
}
