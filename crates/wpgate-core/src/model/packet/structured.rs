//! The structured reader: a packet (or microtask) written as JSON or TOML, its fields
//! found by the JSON pointers of the policy (`[packet.pointers]`, candidates in order,
//! the first present wins). Every field keeps the span of its value, so a diagnostic
//! points at the key's line and column. The lock of a structured packet is its canonical
//! form ([`locked_form`]): the whole document, keys sorted, minus the mutable pointers.
//!
//! Values are read leniently where real contracts are: a scope entry imported from
//! Markdown (`"- src/x.rs"`) loses its bullet, an annotated entry
//! (`"app/src/** (reference only)"`) is its leading path, prose stays as written (and
//! matches no path). A document that does not parse is an error naming line and column:
//! the authority of a packet is never guessed.

use super::markdown::{parse_anchor, path_of, wp_ids};
use super::{is_real_signature, Anchor, Field, Format, Lock, Microtask, Packet};
use crate::model::data::{parse_json, parse_toml, DataError, Node, Value};
use crate::policy::{Candidates, MicrotaskPointers, PacketPointers, Policy};
use crate::report::Span;
use crate::text::line_of;

/// Parses a structured document.
pub fn parse(text: &str, format: Format) -> Result<Node, DataError> {
    match format {
        Format::Toml => parse_toml(text),
        _ => parse_json(text),
    }
}

/// The first candidate pointer present in `node`, with the pointer.
fn first<'n>(node: &'n Node, c: &Candidates) -> Option<(&'n Node, String)> {
    c.all()
        .iter()
        .find_map(|p| node.pointer(p).map(|n| (n, p.clone())))
}

struct Reader<'a> {
    text: &'a str,
}

impl Reader<'_> {
    fn field(&self, value: String, span: Span) -> Field<String> {
        Field::new(value, span, line_of(self.text, span.start))
    }

    /// A scalar as text: a string, or a number or boolean as written.
    fn scalar(&self, n: &Node) -> Option<Field<String>> {
        let v = match &n.value {
            Value::String(s) => s.trim().to_string(),
            Value::Number(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            _ => return None,
        };
        if v.is_empty() {
            return None;
        }
        Some(self.field(v, n.span))
    }

    /// A string, or the strings of an array (a lone scalar counts as one item). Items
    /// that are empty after trimming are skipped.
    fn list(&self, n: &Node) -> Vec<Field<String>> {
        let items: Vec<&Node> = match &n.value {
            Value::Array(items) => items.iter().collect(),
            _ => vec![n],
        };
        items
            .into_iter()
            .filter_map(|i| self.scalar(i))
            .filter(|f| !f.value.is_empty())
            .collect()
    }

    /// Scope entries: bullets removed, an annotated path reduced to the path.
    fn scope(&self, n: &Node) -> Vec<Field<String>> {
        self.list(n)
            .into_iter()
            .map(|mut f| {
                let v = strip_bullet(&f.value).to_string();
                f.value = match path_of(&v, Span::new(0, v.len())) {
                    Some(sp) => v.get(sp.start..sp.end).unwrap_or(&v).to_string(),
                    None => v,
                };
                f
            })
            .filter(|f| !f.value.is_empty())
            .collect()
    }
}

fn strip_bullet(s: &str) -> &str {
    let t = s.trim();
    for b in ["- ", "* ", "+ "] {
        if let Some(rest) = t.strip_prefix(b) {
            return rest.trim();
        }
    }
    t
}

/// Reads a structured packet. `path` is its contract file; its identity is set by
/// discovery (here: the id derived from the path).
pub fn read_packet(
    path: &str,
    text: &str,
    format: Format,
    policy: &Policy,
) -> Result<Packet, DataError> {
    let root = parse(text, format)?;
    Ok(packet_from(path, text, format, &root, policy))
}

/// The packet a parsed structured document describes.
pub fn packet_from(path: &str, text: &str, format: Format, root: &Node, policy: &Policy) -> Packet {
    let r = Reader { text };
    let ptr: &PacketPointers = &policy.packet.pointers;
    let mut p = Packet {
        path: path.to_string(),
        id: super::id_from_path(path),
        format,
        ..Packet::default()
    };
    if !matches!(root.value, Value::Object(_)) {
        p.parse_notes.push(r.field(
            "the document is not an object: no field can be read".into(),
            root.span,
        ));
        return p;
    }
    let mut found: Vec<(String, Field<String>)> = Vec::new();
    let mut present = |name: &str, pointer: &str, n: &Node| {
        found.push((name.to_string(), r.field(pointer.to_string(), n.span)));
    };
    macro_rules! scalar {
        ($name:literal, $c:expr) => {
            first(root, $c).and_then(|(n, at)| {
                present($name, &at, n);
                r.scalar(n)
            })
        };
    }
    macro_rules! list {
        ($name:literal, $c:expr) => {
            match first(root, $c) {
                Some((n, at)) => {
                    present($name, &at, n);
                    r.list(n)
                }
                None => Vec::new(),
            }
        };
    }
    p.task_id = scalar!("task_id", &ptr.task_id);
    p.title = scalar!("title", &ptr.title);
    p.status = scalar!("status", &ptr.status);
    p.risk_tier = scalar!("risk_tier", &ptr.risk_tier);
    let what = scalar!("what", &ptr.what);
    let why = scalar!("why", &ptr.why);
    p.rollback_hint = scalar!("rollback_hint", &ptr.rollback_hint);
    p.effort = scalar!("effort", &ptr.effort);
    p.in_scope_paths = match first(root, &ptr.in_scope_paths) {
        Some((n, at)) => {
            present("in_scope_paths", &at, n);
            r.scope(n)
        }
        None => Vec::new(),
    };
    p.out_of_scope = match first(root, &ptr.out_of_scope) {
        Some((n, at)) => {
            present("out_of_scope", &at, n);
            r.scope(n)
        }
        None => Vec::new(),
    };
    if let Some((n, at)) = first(root, &ptr.spec_anchor) {
        present("spec_anchor", &at, n);
        let items = r.list(n);
        p.spec_anchor_field = items.first().cloned().map(|mut f| {
            f.value = items
                .iter()
                .map(|i| i.value.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            f
        });
        for f in items {
            let (number, title, rule_ids) = parse_anchor(&f.value);
            p.spec_anchors.push(Anchor {
                raw: f.value,
                number,
                title,
                rule_ids,
                span: f.span,
                line: f.line,
            });
        }
    }
    p.done_means = list!("done_means", &ptr.done_means);
    p.test_plan = list!("test_plan", &ptr.test_plan);
    p.has_test_plan = first(root, &ptr.test_plan).is_some();
    p.files_to_open = list!("files_to_open", &ptr.files_to_open);
    p.search_terms = list!("search_terms", &ptr.search_terms);
    p.risk_map = list!("risk_map", &ptr.risk_map);
    if let Some((n, at)) = first(root, &ptr.run_commands) {
        present("run_commands", &at, n);
    }
    p.dependencies = list!("dependencies", &ptr.dependencies);
    p.depends_on = ids_in(&p.dependencies, &p.id);
    let blocks = list!("blocks", &ptr.blocks);
    p.blocks = ids_in(&blocks, &p.id);
    p.aliases = list!("aliases", &ptr.aliases);
    if let Some((n, at)) = first(root, &ptr.signature) {
        present("signature", &at, n);
        if let Some(sig) = r.scalar(n) {
            let real = is_real_signature(&sig.value);
            p.lock = Some(Lock {
                signature: sig,
                real,
                footer_end: None,
            });
        }
    }
    p.lock_digest = scalar!("lock_digest", &ptr.lock_digest);
    p.present_fields = found;
    if let Some(w) = &what {
        p.placeholders_in(w);
    }
    if let Some(w) = &why {
        p.placeholders_in(w);
    }
    // Microtasks declared in the packet: objects (read here) or ids of microtask files.
    if let Some((n, _)) = first(root, &ptr.microtasks) {
        if let Some(items) = n.as_array() {
            for item in items {
                if matches!(item.value, Value::Object(_)) {
                    p.microtasks.push(microtask_from(
                        path,
                        text,
                        format,
                        item,
                        &policy.packet.microtasks.pointers,
                    ));
                }
            }
        }
    }
    p
}

impl Packet {
    fn placeholders_in(&mut self, f: &Field<String>) {
        let v = f.value.trim();
        if v.starts_with('{') && v.ends_with('}') {
            self.placeholders.push(f.clone());
        }
    }
}

/// Packet ids named in dependency statements, without the packet's own.
fn ids_in(statements: &[Field<String>], own: &str) -> Vec<Field<String>> {
    let mut out: Vec<Field<String>> = Vec::new();
    for s in statements {
        for (a, b) in wp_ids(&s.value) {
            let id = s.value.get(a..b).unwrap_or("");
            if id.is_empty() || id == own || out.iter().any(|d| d.value == id) {
                continue;
            }
            out.push(Field::new(id.to_string(), s.span, s.line));
        }
    }
    out
}

/// Reads a structured microtask file.
pub fn read_microtask(
    path: &str,
    text: &str,
    format: Format,
    pointers: &MicrotaskPointers,
) -> Result<Microtask, DataError> {
    let root = parse(text, format)?;
    Ok(microtask_from(path, text, format, &root, pointers))
}

/// The microtask an object describes (a microtask file's root, or an item of the
/// packet's declared list).
pub fn microtask_from(
    path: &str,
    text: &str,
    format: Format,
    node: &Node,
    ptr: &MicrotaskPointers,
) -> Microtask {
    let r = Reader { text };
    let stem = super::discovery::identity_of::<&str, _>(path, &[], &[".json", ".toml", ".md"]);
    let id = first(node, &ptr.id)
        .and_then(|(n, _)| r.scalar(n))
        .map(|f| f.value)
        .filter(|v| !v.is_empty())
        .unwrap_or(stem);
    Microtask {
        id,
        path: path.to_string(),
        format,
        title: first(node, &ptr.title).and_then(|(n, _)| r.scalar(n)),
        status: first(node, &ptr.status).and_then(|(n, _)| r.scalar(n)),
        in_scope_paths: first(node, &ptr.in_scope_paths)
            .map(|(n, _)| r.scope(n))
            .unwrap_or_default(),
        out_of_scope: first(node, &ptr.out_of_scope)
            .map(|(n, _)| r.scope(n))
            .unwrap_or_default(),
        depends_on: first(node, &ptr.dependencies)
            .map(|(n, _)| r.list(n))
            .unwrap_or_default(),
        projection: None,
        parse_notes: Vec::new(),
    }
}

/// A Markdown microtask (no structured twin): read with the packet reader's labels.
pub fn microtask_from_markdown(path: &str, text: &str, policy: &Policy) -> Microtask {
    let p = super::parse_packet(path, text, &policy.packet.fields);
    let stem = super::discovery::identity_of::<&str, _>(path, &[], &[".md"]);
    Microtask {
        id: stem,
        path: path.to_string(),
        format: Format::Markdown,
        title: p.title,
        status: p.status,
        in_scope_paths: p.in_scope_paths,
        out_of_scope: p.out_of_scope,
        depends_on: p.dependencies,
        projection: None,
        parse_notes: p.parse_notes,
    }
}

/// The pointers left out of a structured packet's lock: its status and lock digest
/// pointers (always mutable) and `lock.mutable_pointers`.
pub fn mutable_pointers(policy: &Policy) -> Vec<String> {
    let ptr = &policy.packet.pointers;
    let mut out: Vec<String> = Vec::new();
    for p in ptr
        .status
        .all()
        .iter()
        .chain(ptr.lock_digest.all())
        .chain(&policy.lock.mutable_pointers)
    {
        if !out.contains(p) {
            out.push(p.clone());
        }
    }
    out
}

/// The locked content of a structured packet: its canonical JSON form without the
/// mutable pointers. Two versions are the same locked packet when these are equal.
pub fn locked_form(root: &Node, policy: &Policy) -> String {
    let m = mutable_pointers(policy);
    let refs: Vec<&str> = m.iter().map(String::as_str).collect();
    root.canonical(&refs)
}

/// The first pointer (in document order) at which two versions' locked content differs,
/// with the span of that place in the new version (or the old one's, when the new
/// version lacks it): where a `lock.locked-packet-edited` finding points.
pub fn first_difference(old: &Node, new: &Node, policy: &Policy) -> Option<(String, Span)> {
    let m = mutable_pointers(policy);
    diff_at(old, new, "", &m)
}

fn esc(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn diff_at(old: &Node, new: &Node, at: &str, skip: &[String]) -> Option<(String, Span)> {
    if skip.iter().any(|s| s == at) {
        return None;
    }
    match (&old.value, &new.value) {
        (Value::Object(a), Value::Object(b)) => {
            for e in b {
                let here = format!("{at}/{}", esc(&e.key));
                if skip.contains(&here) {
                    continue;
                }
                match a.iter().find(|o| o.key == e.key) {
                    Some(o) => {
                        if let Some(d) = diff_at(&o.value, &e.value, &here, skip) {
                            return Some(d);
                        }
                    }
                    None => return Some((here, e.key_span)),
                }
            }
            for o in a {
                let here = format!("{at}/{}", esc(&o.key));
                if !skip.contains(&here) && !b.iter().any(|e| e.key == o.key) {
                    return Some((here, new.span));
                }
            }
            None
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, n) in b.iter().enumerate() {
                let here = format!("{at}/{i}");
                match a.get(i) {
                    Some(o) => {
                        if let Some(d) = diff_at(o, n, &here, skip) {
                            return Some(d);
                        }
                    }
                    None => return Some((here, n.span)),
                }
            }
            (a.len() > b.len()).then(|| (format!("{at}/{}", b.len()), new.span))
        }
        _ => {
            let one = old.canonical(&[]);
            let two = new.canonical(&[]);
            (one != two).then(|| (at.to_string(), new.span))
        }
    }
}

/// JSON Schema (draft 2020-12) of wpgate's structured packet format: the default pointers.
pub const SCHEMA: &str = include_str!("schema.json");

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: &str = r#"{
  "id": "WP-1-Data",
  "title": "Data",
  "status": "Ready for Dev",
  "risk_tier": "LOW",
  "scope": {
    "in": ["- src/data/mod.rs", "src/data/** (new module)", "Any changes to the UI"],
    "out": "src/ui/**"
  },
  "spec_anchors": ["§2.3.1 (Storage) [CX-1]"],
  "done_means": ["tests pass"],
  "depends_on": ["WP-1-Base", "WP-1-Data"],
  "aliases": ["WP-1-Dat"],
  "lock": {"signature": "ilja010120261200", "digest": ""},
  "microtasks": [{"id": "MT-001", "status": "PENDING", "scope": {"in": ["src/data/mod.rs"]}}]
}
"#;

    #[test]
    fn fields_are_read_by_pointer_with_their_lines() {
        let pol = Policy::default();
        let p = read_packet("gov/WP-1-Data/packet.json", JSON, Format::Json, &pol).expect("parse");
        assert_eq!(p.id, "WP-1-Data");
        assert_eq!(p.task_id.as_ref().map(|f| f.line), Some(2));
        assert_eq!(
            p.status.as_ref().map(|f| f.value.as_str()),
            Some("Ready for Dev")
        );
        assert_eq!(p.status.as_ref().map(|f| f.line), Some(4));
        let ins: Vec<&str> = p.in_scope_paths.iter().map(|f| f.value.as_str()).collect();
        assert_eq!(
            ins,
            ["src/data/mod.rs", "src/data/**", "Any changes to the UI"]
        );
        assert_eq!(p.in_scope_paths[0].line, 7);
        assert_eq!(p.out_of_scope[0].value, "src/ui/**");
        assert_eq!(p.spec_anchors[0].number.as_deref(), Some("2.3.1"));
        assert_eq!(p.spec_anchors[0].rule_ids, ["CX-1"]);
        assert_eq!(p.depends_on.len(), 1);
        assert_eq!(p.depends_on[0].value, "WP-1-Base");
        assert!(p.is_locked());
        assert_eq!(p.aliases[0].value, "WP-1-Dat");
        assert_eq!(p.microtasks.len(), 1);
        assert_eq!(p.microtasks[0].id, "MT-001");
        assert!(p.has_field("done_means"));
        assert!(!p.has_field("effort"));
    }

    #[test]
    fn the_same_packet_in_toml_reads_the_same() {
        let toml = r#"id = "WP-1-Data"
status = "Ready for Dev"
spec_anchors = ["§2.3.1"]

[scope]
in = ["src/data/mod.rs"]
out = ["src/ui/**"]
"#;
        let pol = Policy::default();
        let p = read_packet("WP-1-Data.toml", toml, Format::Toml, &pol).expect("parse");
        assert_eq!(p.in_scope_paths[0].value, "src/data/mod.rs");
        assert_eq!(p.in_scope_paths[0].line, 6);
        assert_eq!(p.status.as_ref().map(|f| f.line), Some(2));
    }

    #[test]
    fn a_broken_document_is_an_error_with_line_and_column() {
        let e = read_packet(
            "x.json",
            "{\n  \"id\": \"a\",\n  \"id\": \"b\"\n}",
            Format::Json,
            &Policy::default(),
        )
        .expect_err("duplicate");
        assert_eq!(e.line, 3);
    }

    #[test]
    fn the_lock_ignores_status_and_digest_only() {
        let pol = Policy::default();
        let a = parse(JSON, Format::Json).expect("a");
        let b = parse(&JSON.replace("Ready for Dev", "In Progress"), Format::Json).expect("b");
        assert_eq!(locked_form(&a, &pol), locked_form(&b, &pol));
        assert!(first_difference(&a, &b, &pol).is_none());
        let c = parse(&JSON.replace("src/ui/**", "src/**"), Format::Json).expect("c");
        assert_ne!(locked_form(&a, &pol), locked_form(&c, &pol));
        let (at, sp) = first_difference(&a, &c, &pol).expect("differs");
        assert_eq!(at, "/scope/out");
        assert_eq!(line_of(&JSON.replace("src/ui/**", "src/**"), sp.start), 8);
    }
}
