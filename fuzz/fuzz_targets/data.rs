//! Structured-data reader: arbitrary bytes (lossy) through `parse_json` and `parse_toml`;
//! every key and value span of an accepted document is a char range of the text, errors
//! carry a position inside it, `canonical` never panics, and the canonical text of an
//! accepted document is a JSON text whose own canonical text is itself (TOML `inf`/`nan`
//! excepted: they have no JSON form).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wpgate_core::model::data::{parse_json, parse_toml, DataError, Node, Value};
use wpgate_core::report::Span;

fn check_span(text: &str, s: Span) {
    assert!(
        s.start <= s.end && text.get(s.start..s.end).is_some(),
        "span {s:?}"
    );
}

fn check_tree(text: &str, node: &Node) {
    check_span(text, node.span);
    match &node.value {
        Value::Array(items) => items.iter().for_each(|n| check_tree(text, n)),
        Value::Object(entries) => {
            for e in entries {
                check_span(text, e.key_span);
                check_tree(text, &e.value);
            }
        }
        _ => {}
    }
}

fn check_error(text: &str, e: &DataError) {
    assert!(e.offset <= text.len(), "{e}");
    assert!(e.line >= 1 && e.column >= 1, "{e}");
    let _ = e.to_string();
}

fn check(text: &str, parsed: Result<Node, DataError>, json: bool) {
    let node = match parsed {
        Ok(n) => n,
        Err(e) => return check_error(text, &e),
    };
    check_tree(text, &node);
    let canonical = node.canonical(&[]);
    let _ = node.canonical(&["", "/0", "/a", "/a/0"]);
    if let Some(entries) = node.as_object() {
        for e in entries.iter().take(16) {
            let ptr = format!("/{}", e.key.replace('~', "~0").replace('/', "~1"));
            assert_eq!(node.pointer(&ptr), Some(&e.value));
            let _ = node.canonical(&[ptr.as_str()]);
        }
    }
    let _ = node.strings();
    match parse_json(&canonical) {
        Ok(again) => assert_eq!(again.canonical(&[]), canonical),
        Err(e) => assert!(!json, "canonical text {canonical:?} does not parse: {e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    check(&text, parse_json(&text), true);
    check(&text, parse_toml(&text), false);
});
