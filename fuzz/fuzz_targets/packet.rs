//! Packet parser: arbitrary bytes, decoded lossily as callers do, parsed with the default
//! field aliases; then the packet rules, the lock content/digest and the human renderer run
//! over the result. Every span the parser reports must lie inside the text on char
//! boundaries (the renderer slices by them).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wpgate_core::report::Span;
use wpgate_core::rules::Emitter;
use wpgate_core::model::text::TextFile;
use wpgate_core::{parse_packet, Policy};

fn policy() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(Policy::embedded)
}

fn span_ok(text: &str, s: Span, what: &str) {
    assert!(
        s.start <= s.end && s.end <= text.len() && text.get(s.start..s.end).is_some(),
        "{what}: span {}..{} is not a char range of a {}-byte text",
        s.start,
        s.end,
        text.len()
    );
}

fuzz_target!(|data: &[u8]| {
    let path = "docs/task_packets/WP-1-Fuzz.md";
    let tf = TextFile::decode(path, data.to_vec());
    let text: &str = &tf.text;
    let policy = policy();
    let p = parse_packet(path, text, &policy.packet.fields);
    for f in p
        .in_scope_paths
        .iter()
        .chain(&p.out_of_scope)
        .chain(&p.done_means)
        .chain(&p.test_plan)
        .chain(&p.files_to_open)
        .chain(&p.search_terms)
        .chain(&p.risk_map)
        .chain(&p.dependencies)
        .chain(&p.depends_on)
        .chain(&p.blocks)
        .chain(&p.placeholders)
        .chain(&p.parse_notes)
        .chain(p.present_fields.iter().map(|(_, f)| f))
        .chain(p.task_id.iter())
        .chain(p.title.iter())
        .chain(p.status.iter())
        .chain(p.risk_tier.iter())
        .chain(p.spec_anchor_field.iter())
        .chain(p.rollback_hint.iter())
        .chain(p.effort.iter())
        .chain(p.lock_digest.iter())
    {
        span_ok(text, f.span, "field");
    }
    for a in &p.spec_anchors {
        span_ok(text, a.span, "anchor");
    }
    for h in &p.headings {
        span_ok(text, h.span, "heading");
    }
    if let Some(l) = &p.lock {
        span_ok(text, l.signature.span, "signature");
        if let Some(end) = l.footer_end {
            assert!(end <= text.len() && text.is_char_boundary(end), "footer_end {end}");
        }
    }
    let mut out = Emitter::new(policy);
    wpgate_core::rules::packet::check_packet(&p, &tf, policy, &mut out);
    wpgate_core::rules::lock::check_digest(text, &p, policy, &mut out);
    let _ = wpgate_core::model::packet::lock::locked_content(text, &p, policy);
    let mut report = out.finish();
    for d in &report.diagnostics {
        if let Some(s) = d.span {
            span_ok(text, s, &d.rule);
        }
    }
    report.add_source(path, tf.text.clone());
    let _ = wpgate_core::report::human::human(&report, false);
});
