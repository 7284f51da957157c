//! Properties of the structured-data reader (`model::data`): neither parser panics on
//! any text; a JSON text written by serde_json reads back as the same value with spans
//! that point at what they say; the canonical text does not depend on formatting, and is
//! what serde_json writes compactly for its sorted maps; TOML written by `toml` reads
//! back to the same canonical text as the JSON of the same data.

use proptest::prelude::*;
use serde_json::Value as J;
use wpgate_core::model::data::{parse_json, parse_toml, Node, Value};

/// Strings heavy in what needs escaping, plus arbitrary Unicode.
fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\\x00-\\x1f\"\\\\/~a-z \u{7f}\u{e9}\u{2028}\u{e000}\u{1F422}]{0,10}",
    ]
}

fn json_value(floats: bool) -> impl Strategy<Value = J> {
    let number = if floats {
        prop_oneof![
            any::<i64>().prop_map(J::from),
            any::<u64>().prop_map(J::from),
            any::<f64>()
                .prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(J::Number)),
        ]
        .boxed()
    } else {
        any::<i64>().prop_map(J::from).boxed()
    };
    let leaf = prop_oneof![
        any::<bool>().prop_map(J::Bool),
        number,
        string().prop_map(J::String),
    ];
    let leaf = if floats {
        prop_oneof![Just(J::Null), leaf].boxed()
    } else {
        leaf.boxed()
    };
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(J::Array),
            prop::collection::btree_map(string(), inner, 0..6)
                .prop_map(|m| J::Object(m.into_iter().collect())),
        ]
    })
}

/// The tree holds the same data as the serde_json value, members in the written order.
fn same(node: &Node, v: &J) -> bool {
    match (&node.value, v) {
        (Value::Null, J::Null) => true,
        (Value::Bool(a), J::Bool(b)) => a == b,
        (Value::Number(a), J::Number(b)) => *a == b.to_string(),
        (Value::String(a), J::String(b)) => a == b,
        (Value::Array(a), J::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Value::Object(a), J::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(e, (k, bv))| e.key == *k && same(&e.value, bv))
        }
        _ => false,
    }
}

/// Every string value and every key, re-read from its span alone, gives itself back.
fn spans_reparse(text: &str, node: &Node) -> Result<(), String> {
    let piece = |s: wpgate_core::report::Span| {
        text.get(s.start..s.end)
            .ok_or_else(|| format!("span {s:?} not in text"))
    };
    match &node.value {
        Value::String(s) => {
            let raw = piece(node.span)?;
            let back = parse_json(raw).map_err(|e| e.to_string())?;
            if back.as_str() != Some(s) {
                return Err(format!("{raw:?} re-reads as {back:?}, not {s:?}"));
            }
        }
        Value::Array(items) => {
            for n in items {
                spans_reparse(text, n)?;
            }
        }
        Value::Object(entries) => {
            for e in entries {
                let raw = piece(e.key_span)?;
                let back = parse_json(raw).map_err(|e| e.to_string())?;
                if back.as_str() != Some(e.key.as_str()) {
                    return Err(format!("key {raw:?} re-reads as {back:?}"));
                }
                spans_reparse(text, &e.value)?;
            }
        }
        _ => {
            let raw = piece(node.span)?;
            let back = parse_json(raw).map_err(|e| e.to_string())?;
            if back.value != node.value {
                return Err(format!("{raw:?} re-reads as {back:?}"));
            }
        }
    }
    Ok(())
}

/// Every TOML string value, re-read from its span as a value, gives itself back; every
/// key span holds the key as written (bare, or quoted and re-reading to the key).
fn toml_spans_reparse(text: &str, node: &Node) -> Result<(), String> {
    let piece = |s: wpgate_core::report::Span| {
        text.get(s.start..s.end)
            .ok_or_else(|| format!("span {s:?} not in text"))
    };
    match &node.value {
        Value::String(s) => {
            let raw = piece(node.span)?;
            let back = parse_toml(&format!("x = {raw}")).map_err(|e| e.to_string())?;
            if back.pointer("/x").and_then(Node::as_str) != Some(s) {
                return Err(format!("{raw:?} re-reads as {back:?}, not {s:?}"));
            }
        }
        Value::Array(items) => {
            for n in items {
                toml_spans_reparse(text, n)?;
            }
        }
        Value::Object(entries) => {
            for e in entries {
                let raw = piece(e.key_span)?;
                let back = parse_toml(&format!("{raw} = 1")).map_err(|e| e.to_string())?;
                let keys: Vec<&str> = back
                    .as_object()
                    .unwrap_or_default()
                    .iter()
                    .map(|e| e.key.as_str())
                    .collect();
                if keys != [e.key.as_str()] {
                    return Err(format!("key {raw:?} re-reads as {keys:?}, not {:?}", e.key));
                }
                toml_spans_reparse(text, &e.value)?;
            }
        }
        _ => {}
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn parsers_never_panic_on_any_string(text in any::<String>()) {
        let _ = parse_json(&text).map(|n| n.canonical(&["/a", "/0"]));
        let _ = parse_toml(&text).map(|n| n.canonical(&["/a", "/0"]));
    }

    #[test]
    fn json_parser_never_panics_on_json_like_text(
        text in "\u{feff}?[\\[\\]{}\":, \n0-9eE.+\\-tfrulnasx\\\\/\u{e9}\u{1F422}]{0,80}"
    ) {
        if let Ok(n) = parse_json(&text) {
            prop_assert!(spans_reparse(&text, &n).is_ok());
            let _ = n.canonical(&[]);
        }
    }

    #[test]
    fn toml_parser_never_panics_on_toml_like_text(
        text in "[\\[\\]{}\"'=,. \n0-9a-z_:+\\-#\\\\\u{e9}]{0,80}"
    ) {
        if let Ok(n) = parse_toml(&text) {
            let _ = n.canonical(&[]);
        }
    }

    #[test]
    fn serde_json_texts_read_back_as_written(v in json_value(true)) {
        let compact = serde_json::to_string(&v).unwrap();
        let pretty = serde_json::to_string_pretty(&v).unwrap();
        let a = parse_json(&compact).map_err(|e| TestCaseError::fail(format!("{e}: {compact}")))?;
        let b = parse_json(&pretty).map_err(|e| TestCaseError::fail(format!("{e}: {pretty}")))?;
        prop_assert!(same(&a, &v), "compact {compact} read as {a:?}");
        prop_assert!(same(&b, &v), "pretty {pretty} read as {b:?}");
        // serde_json's maps are sorted by key bytes and it escapes as minimally as
        // canonical does, so its compact text *is* the canonical text.
        prop_assert_eq!(a.canonical(&[]), compact.clone());
        prop_assert_eq!(b.canonical(&[]), compact.clone());
        if let Err(e) = spans_reparse(&compact, &a) {
            return Err(TestCaseError::fail(e));
        }
        if let Err(e) = spans_reparse(&pretty, &b) {
            return Err(TestCaseError::fail(e));
        }
    }

    #[test]
    fn truncated_json_never_panics(v in json_value(true), cut in any::<prop::sample::Index>()) {
        let text = serde_json::to_string_pretty(&v).unwrap();
        let ends: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        if !ends.is_empty() {
            let end = ends[cut.index(ends.len())];
            let _ = parse_json(&text[..end]);
            let _ = parse_json(&text[end..]);
        }
    }

    #[test]
    fn excluded_member_is_as_if_absent(
        m in prop::collection::btree_map(string(), json_value(true), 1..6),
        pick in any::<prop::sample::Index>(),
    ) {
        let keys: Vec<String> = m.keys().cloned().collect();
        let key = keys[pick.index(keys.len())].clone();
        let full = J::Object(m.clone().into_iter().collect());
        let mut less = m;
        less.remove(&key);
        let less = J::Object(less.into_iter().collect());
        let ptr = format!("/{}", key.replace('~', "~0").replace('/', "~1"));
        let n = parse_json(&serde_json::to_string_pretty(&full).unwrap()).unwrap();
        prop_assert!(n.pointer(&ptr).is_some());
        prop_assert_eq!(n.canonical(&[ptr.as_str()]), serde_json::to_string(&less).unwrap());
    }

    #[test]
    fn toml_of_the_same_data_has_the_same_canonical_text(
        m in prop::collection::btree_map(string(), json_value(false), 0..6)
    ) {
        let v = J::Object(m.into_iter().collect());
        let Ok(text) = toml::to_string(&v) else {
            // Not every JSON shape has a TOML form the serializer writes.
            return Ok(());
        };
        let n = parse_toml(&text).map_err(|e| TestCaseError::fail(format!("{e}:\n{text}")))?;
        prop_assert_eq!(n.canonical(&[]), serde_json::to_string(&v).unwrap(), "{}", text);
        if let Err(e) = toml_spans_reparse(&text, &n) {
            return Err(TestCaseError::fail(format!("{e}\n{text}")));
        }
    }
}
