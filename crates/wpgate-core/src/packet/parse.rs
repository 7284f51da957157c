//! The packet parser (stub).

use super::Packet;
use crate::policy::FieldAliases;
use crate::workspace::id_from_path;

/// Parses a task packet. Never fails: what cannot be read is simply absent.
pub fn parse_packet(path: &str, _text: &str, _fields: &FieldAliases) -> Packet {
    Packet {
        path: path.to_string(),
        id: id_from_path(path),
        task_id: None,
        title: None,
        status: None,
        risk_tier: None,
        in_scope_paths: vec![],
        out_of_scope: vec![],
        spec_anchors: vec![],
        spec_anchor_field: None,
        done_means: vec![],
        test_plan: vec![],
        has_test_plan: false,
        files_to_open: vec![],
        search_terms: vec![],
        risk_map: vec![],
        rollback_hint: None,
        dependencies: vec![],
        depends_on: vec![],
        effort: None,
        lock: None,
        lock_digest: None,
        headings: vec![],
        present_fields: vec![],
        placeholders: vec![],
        parse_notes: vec![],
    }
}
