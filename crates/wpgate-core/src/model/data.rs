//! Structured data (JSON, TOML) as one value tree with source spans.
//!
//! Task packets written as `packet.json` or `packet.toml` are read into a [`Node`] tree
//! whose every key and value carries its byte [`Span`] in the source text, so a rule can
//! point a diagnostic at the exact line and column of `/lifecycle/status`. The tree
//! judges nothing; it only keeps what was written, in source order.
//!
//! - [`parse_json`] is a hand-written RFC 8259 parser: it rejects duplicate keys in one
//!   object (two readers must not disagree on which value counts), lone surrogates,
//!   numbers outside the grammar, nesting deeper than [`MAX_DEPTH`] and anything after
//!   the value. A UTF-8 byte order mark is skipped; spans stay offsets into the text as
//!   given (BOM included). It never panics.
//! - [`parse_toml`] walks `toml_edit`'s parsed document, whose keys and values keep their
//!   spans (dotted keys, inline tables and arrays of tables included). TOML integers are
//!   stored in decimal and floats with `_` and a leading `+` removed, so the same data in
//!   JSON and TOML gives the same [`Node::canonical`] text; `inf`/`nan` are kept as
//!   `inf`, `-inf`, `nan`. Datetimes become strings, as written.
//!
//! Spans cover a token as written: a string (or a quoted key) includes its quotes, an
//! array or inline table its brackets, a JSON object its braces. A TOML `[table]`
//! spans its header through its last key/value line; a table that only exists through
//! dotted keys or a longer header (`a` in `a.b = 1` or in `[a.b]`) spans its members.

use std::collections::HashSet;
use std::fmt;

use crate::report::Span;

/// The deepest nesting of arrays and objects (tables) either parser accepts.
pub const MAX_DEPTH: usize = 128;

/// A value with where it stands in the source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub value: Value,
    /// Byte span of the value in the source text.
    pub span: Span,
}

/// A JSON value (a TOML document maps onto the same shapes; it has no `Null`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Bool(bool),
    /// The number as written in JSON; for TOML see the module documentation.
    Number(String),
    String(String),
    Array(Vec<Node>),
    /// Members in source order (keys are unique: both parsers reject duplicates).
    Object(Vec<Entry>),
}

/// One member of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    /// Byte span of the key as written (quotes included).
    pub key_span: Span,
    pub value: Node,
}

/// Why a text is not a valid document, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    pub message: String,
    /// Byte offset into the text.
    pub offset: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
}

impl DataError {
    fn at(text: &str, offset: usize, message: impl Into<String>) -> Self {
        let (line, column) = crate::text::line_col(text, offset);
        DataError {
            message: message.into(),
            offset,
            line,
            column,
        }
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for DataError {}

impl Node {
    /// The node at an RFC 6901 JSON pointer: `""` is this node, `/a/0` the first item of
    /// member `a`; `~1` stands for `/` and `~0` for `~` in a key. Array indices are
    /// decimal without leading zeros (`-` and `01` match nothing).
    pub fn pointer(&self, ptr: &str) -> Option<&Node> {
        if ptr.is_empty() {
            return Some(self);
        }
        let rest = ptr.strip_prefix('/')?;
        let mut node = self;
        for raw in rest.split('/') {
            let token = unescape_token(raw)?;
            node = match &node.value {
                Value::Object(entries) => &entries.iter().find(|e| e.key == token)?.value,
                Value::Array(items) => items.get(parse_index(&token)?)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// The value of member `key`, if this is an object that has one.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_object()?
            .iter()
            .find(|e| e.key == key)
            .map(|e| &e.value)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Object(entries) => Some(entries),
            _ => None,
        }
    }

    /// A string as one item; an array as its string items (other items skipped);
    /// anything else as nothing.
    pub fn strings(&self) -> Vec<(String, Span)> {
        match &self.value {
            Value::String(s) => vec![(s.clone(), self.span)],
            Value::Array(items) => items
                .iter()
                .filter_map(|n| n.as_str().map(|s| (s.to_string(), n.span)))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// A canonical JSON text of the tree, for digests.
    ///
    /// - Object members sorted by key in UTF-8 byte order (which is Unicode code point
    ///   order; note this differs from RFC 8785's UTF-16 order for keys with characters
    ///   above U+FFFF).
    /// - No whitespace between tokens.
    /// - Strings escaped minimally: `"` and `\` with a backslash, U+0008, U+0009, U+000A,
    ///   U+000C, U+000D as `\b \t \n \f \r`, the other characters below U+0020 as
    ///   `\u00xx` (lowercase hex), everything else as the character itself. So a string
    ///   gives the same bytes however it was escaped in the source.
    /// - Numbers as stored in the tree ([`Value::Number`]).
    /// - Every node whose pointer (RFC 6901, as [`Node::pointer`] reads it, with keys
    ///   escaped `~0`/`~1` and indices in decimal) is in `exclude` is left out: an object
    ///   member entirely, an array item as if it were not there. Indices are those of the
    ///   source array. Excluding `""` gives the empty text.
    pub fn canonical(&self, exclude: &[&str]) -> String {
        let mut out = String::new();
        if is_excluded(exclude, "") {
            return out;
        }
        let mut ptr = String::new();
        write_canonical(self, exclude, &mut ptr, &mut out);
        out
    }
}

fn unescape_token(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '~' {
            match chars.next() {
                Some('0') => out.push('~'),
                Some('1') => out.push('/'),
                _ => return None,
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

fn parse_index(token: &str) -> Option<usize> {
    let digits = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
    if !digits || (token.len() > 1 && token.starts_with('0')) {
        return None;
    }
    token.parse().ok()
}

fn push_token(ptr: &mut String, key: &str) {
    ptr.push('/');
    for c in key.chars() {
        match c {
            '~' => ptr.push_str("~0"),
            '/' => ptr.push_str("~1"),
            c => ptr.push(c),
        }
    }
}

fn is_excluded(exclude: &[&str], ptr: &str) -> bool {
    exclude.contains(&ptr)
}

fn write_canonical(node: &Node, exclude: &[&str], ptr: &mut String, out: &mut String) {
    match &node.value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => out.push_str(n),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            let mut first = true;
            for (i, item) in items.iter().enumerate() {
                let len = ptr.len();
                ptr.push('/');
                ptr.push_str(&i.to_string());
                if !is_excluded(exclude, ptr) {
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    write_canonical(item, exclude, ptr, out);
                }
                ptr.truncate(len);
            }
            out.push(']');
        }
        Value::Object(entries) => {
            let mut sorted: Vec<&Entry> = entries.iter().collect();
            sorted.sort_by(|a, b| a.key.as_bytes().cmp(b.key.as_bytes()));
            out.push('{');
            let mut first = true;
            for e in sorted {
                let len = ptr.len();
                push_token(ptr, &e.key);
                if !is_excluded(exclude, ptr) {
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    write_string(&e.key, out);
                    out.push(':');
                    write_canonical(&e.value, exclude, ptr, out);
                }
                ptr.truncate(len);
            }
            out.push('}');
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

// ---------------------------------------------------------------------------------------
// JSON

/// Parse a JSON text (RFC 8259) into a tree with spans. See the module documentation.
pub fn parse_json(text: &str) -> Result<Node, DataError> {
    let mut p = Json {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    if text.starts_with('\u{feff}') {
        p.pos = '\u{feff}'.len_utf8();
    }
    let node = p.value(0)?;
    p.skip_ws();
    if p.pos < p.bytes.len() {
        return Err(p.err(
            p.pos,
            format!("trailing {} after the JSON value", p.found()),
        ));
    }
    Ok(node)
}

struct Json<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Json<'_> {
    fn err(&self, offset: usize, message: impl Into<String>) -> DataError {
        DataError::at(self.text, offset, message)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// What stands at the current position, for messages.
    fn found(&self) -> String {
        match self.text.get(self.pos..).and_then(|s| s.chars().next()) {
            Some(c) => format!("{c:?}"),
            None => "end of input".to_string(),
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn slice(&self, start: usize, end: usize) -> Result<&str, DataError> {
        self.text
            .get(start..end)
            .ok_or_else(|| self.err(start, "invalid position in string"))
    }

    /// A value at `depth` enclosing arrays/objects.
    fn value(&mut self, depth: usize) -> Result<Node, DataError> {
        self.skip_ws();
        let start = self.pos;
        match self.peek() {
            None => Err(self.err(start, "unexpected end of input, expected a value")),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => {
                let s = self.string()?;
                Ok(Node {
                    value: Value::String(s),
                    span: Span::new(start, self.pos),
                })
            }
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err(start, format!("expected a value, found {}", self.found()))),
        }
    }

    fn check_depth(&self, depth: usize) -> Result<(), DataError> {
        if depth > MAX_DEPTH {
            return Err(self.err(
                self.pos,
                format!("arrays and objects nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Node, DataError> {
        let start = self.pos;
        let end = start + word.len();
        if self.bytes.get(start..end) != Some(word.as_bytes()) {
            return Err(self.err(start, format!("expected a value, found {}", self.found())));
        }
        self.pos = end;
        Ok(Node {
            value,
            span: Span::new(start, end),
        })
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Node, DataError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.err(start, "leading zeros are not allowed in a number"));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => {
                return Err(self.err(
                    self.pos,
                    format!("expected a digit in a number, found {}", self.found()),
                ))
            }
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.err(
                    self.pos,
                    format!(
                        "expected a digit after the decimal point, found {}",
                        self.found()
                    ),
                ));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.err(
                    self.pos,
                    format!("expected a digit in the exponent, found {}", self.found()),
                ));
            }
        }
        let written = self.slice(start, self.pos)?.to_string();
        Ok(Node {
            value: Value::Number(written),
            span: Span::new(start, self.pos),
        })
    }

    /// A string at the opening quote; leaves the position after the closing quote.
    fn string(&mut self) -> Result<String, DataError> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut run = self.pos;
        loop {
            let Some(b) = self.peek() else {
                return Err(self.err(open, "unterminated string"));
            };
            match b {
                b'"' => {
                    out.push_str(self.slice(run, self.pos)?);
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    out.push_str(self.slice(run, self.pos)?);
                    out.push(self.escape()?);
                    run = self.pos;
                }
                0x00..=0x1f => {
                    return Err(self.err(
                        self.pos,
                        format!("control character U+{b:04X} in a string must be escaped"),
                    ))
                }
                _ => self.pos += 1,
            }
        }
    }

    /// An escape at its backslash; leaves the position after it.
    fn escape(&mut self) -> Result<char, DataError> {
        let start = self.pos;
        self.pos += 1;
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let unit = self.hex4(start)?;
                return match unit {
                    0xd800..=0xdbff => {
                        let low_start = self.pos;
                        if self.bytes.get(low_start..low_start + 2) != Some(b"\\u") {
                            return Err(self.err(
                                start,
                                format!("unpaired high surrogate \\u{unit:04X} in a string"),
                            ));
                        }
                        self.pos += 2;
                        let low = self.hex4(low_start)?;
                        if !(0xdc00..=0xdfff).contains(&low) {
                            return Err(self.err(
                                start,
                                format!("unpaired high surrogate \\u{unit:04X} in a string"),
                            ));
                        }
                        let code = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
                        char::from_u32(code)
                            .ok_or_else(|| self.err(start, "invalid surrogate pair"))
                    }
                    0xdc00..=0xdfff => Err(self.err(
                        start,
                        format!("unpaired low surrogate \\u{unit:04X} in a string"),
                    )),
                    _ => char::from_u32(unit).ok_or_else(|| self.err(start, "invalid \\u escape")),
                };
            }
            _ => {
                return Err(self.err(
                    start,
                    format!(
                        "invalid escape in a string: '\\' followed by {}",
                        self.found()
                    ),
                ))
            }
        };
        self.pos += 1;
        Ok(c)
    }

    /// Four hex digits at the position (after `\u`).
    fn hex4(&mut self, escape_start: usize) -> Result<u32, DataError> {
        let mut unit = 0u32;
        for _ in 0..4 {
            let digit = self.peek().and_then(|b| (b as char).to_digit(16));
            let Some(d) = digit else {
                return Err(self.err(escape_start, "invalid \\u escape: expected four hex digits"));
            };
            unit = unit * 16 + d;
            self.pos += 1;
        }
        Ok(unit)
    }

    fn array(&mut self, depth: usize) -> Result<Node, DataError> {
        self.check_depth(depth)?;
        let start = self.pos;
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
        } else {
            loop {
                items.push(self.value(depth)?);
                if self.after_item(start, b']', "array")? {
                    break;
                }
            }
        }
        Ok(Node {
            value: Value::Array(items),
            span: Span::new(start, self.pos),
        })
    }

    /// After an array item or object member: a `,` (more follow, `false`) or the closing
    /// byte (`true`); anything else is an error, an end of text an unterminated `noun`
    /// (`array`, `object`) opened at `start`.
    fn after_item(&mut self, start: usize, close: u8, noun: &str) -> Result<bool, DataError> {
        self.skip_ws();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(false)
            }
            Some(c) if c == close => {
                self.pos += 1;
                Ok(true)
            }
            None => Err(self.err(start, format!("unterminated {noun}"))),
            Some(_) => Err(self.err(
                self.pos,
                format!(
                    "expected ',' or '{}' in an {noun}, found {}",
                    close as char,
                    self.found()
                ),
            )),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Node, DataError> {
        self.check_depth(depth)?;
        let start = self.pos;
        self.pos += 1;
        let mut entries: Vec<Entry> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                let key_start = self.pos;
                match self.peek() {
                    Some(b'"') => {}
                    None => return Err(self.err(start, "unterminated object")),
                    Some(_) => {
                        return Err(self.err(
                            key_start,
                            format!("expected a string key in an object, found {}", self.found()),
                        ))
                    }
                }
                let key = self.string()?;
                let key_span = Span::new(key_start, self.pos);
                if !seen.insert(key.clone()) {
                    return Err(self.err(key_start, format!("duplicate key {key:?} in an object")));
                }
                self.skip_ws();
                if self.peek() != Some(b':') {
                    return Err(self.err(
                        self.pos,
                        format!("expected ':' after an object key, found {}", self.found()),
                    ));
                }
                self.pos += 1;
                let value = self.value(depth)?;
                entries.push(Entry {
                    key,
                    key_span,
                    value,
                });
                if self.after_item(start, b'}', "object")? {
                    break;
                }
            }
        }
        Ok(Node {
            value: Value::Object(entries),
            span: Span::new(start, self.pos),
        })
    }
}

// ---------------------------------------------------------------------------------------
// TOML

/// Parse a TOML document into a tree with spans. See the module documentation.
///
/// TOML itself forbids defining a key twice, so duplicate keys are an error here too.
pub fn parse_toml(text: &str) -> Result<Node, DataError> {
    let doc = toml_edit::ImDocument::parse(text).map_err(|e| {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        // toml_edit puts the expectation on a second line: keep the message one line.
        let message = e.message().trim_end().replace('\n', ": ");
        DataError::at(text, offset, message)
    })?;
    let start = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let walk = Toml { text };
    let mut root = walk.table(doc.as_table(), 1)?;
    root.span = Span::new(start, text.len());
    Ok(root)
}

struct Toml<'a> {
    text: &'a str,
}

fn span_of(range: Option<std::ops::Range<usize>>) -> Option<Span> {
    range.map(|r| Span::new(r.start, r.end))
}

/// The smallest span covering all of `spans`; `None` if there are none.
fn cover(spans: impl IntoIterator<Item = Span>) -> Option<Span> {
    spans.into_iter().reduce(|a, b| Span {
        start: a.start.min(b.start),
        end: a.end.max(b.end),
    })
}

fn entries_cover(entries: &[Entry]) -> Option<Span> {
    cover(entries.iter().flat_map(|e| [e.key_span, e.value.span]))
}

impl Toml<'_> {
    fn check_depth(&self, depth: usize, span: Option<Span>) -> Result<(), DataError> {
        if depth > MAX_DEPTH {
            let offset = span.map(|s| s.start).unwrap_or(0);
            return Err(DataError::at(
                self.text,
                offset,
                format!("arrays and tables nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    /// The source text at a span, if the span is one.
    fn raw(&self, span: Option<Span>) -> Option<&str> {
        span.and_then(|s| self.text.get(s.start..s.end))
    }

    /// An item whose innermost enclosing container is at `depth - 1`.
    fn item(&self, item: &toml_edit::Item, depth: usize) -> Result<Node, DataError> {
        match item {
            toml_edit::Item::None => Ok(Node {
                value: Value::Null,
                span: Span::default(),
            }),
            toml_edit::Item::Value(v) => self.value(v, depth),
            toml_edit::Item::Table(t) => self.table(t, depth),
            toml_edit::Item::ArrayOfTables(a) => {
                let own = span_of(a.span());
                self.check_depth(depth, own)?;
                let items = a
                    .iter()
                    .map(|t| self.table(t, depth + 1))
                    .collect::<Result<Vec<_>, _>>()?;
                let span = own
                    .or_else(|| cover(items.iter().map(|n| n.span)))
                    .unwrap_or_default();
                Ok(Node {
                    value: Value::Array(items),
                    span,
                })
            }
        }
    }

    fn table(&self, t: &toml_edit::Table, depth: usize) -> Result<Node, DataError> {
        let own = span_of(t.span());
        self.check_depth(depth, own)?;
        let mut entries = Vec::new();
        for (k, item) in t.iter() {
            let value = self.item(item, depth + 1)?;
            let key_span = t
                .get_key_value(k)
                .and_then(|(key, _)| span_of(key.span()))
                .unwrap_or(value.span);
            entries.push(Entry {
                key: k.to_string(),
                key_span,
                value,
            });
        }
        entries.sort_by_key(|e| e.key_span.start);
        let span = own.or_else(|| entries_cover(&entries)).unwrap_or_default();
        Ok(Node {
            value: Value::Object(entries),
            span,
        })
    }

    fn value(&self, v: &toml_edit::Value, depth: usize) -> Result<Node, DataError> {
        use toml_edit::Value as T;
        let span = span_of(v.span());
        let value = match v {
            T::String(s) => Value::String(s.value().clone()),
            T::Integer(i) => Value::Number(i.value().to_string()),
            T::Float(f) => Value::Number(match self.raw(span) {
                Some(raw) => toml_float(raw),
                None => toml_float(&f.value().to_string()),
            }),
            T::Boolean(b) => Value::Bool(*b.value()),
            T::Datetime(d) => Value::String(match self.raw(span) {
                Some(raw) => raw.to_string(),
                None => d.value().to_string(),
            }),
            T::Array(a) => {
                self.check_depth(depth, span)?;
                let items = a
                    .iter()
                    .map(|v| self.value(v, depth + 1))
                    .collect::<Result<Vec<_>, _>>()?;
                Value::Array(items)
            }
            T::InlineTable(t) => {
                self.check_depth(depth, span)?;
                let mut entries = Vec::new();
                for (k, item) in t.iter() {
                    let value = self.value(item, depth + 1)?;
                    let key_span = t
                        .get_key_value(k)
                        .and_then(|(key, _)| span_of(key.span()))
                        .unwrap_or(value.span);
                    entries.push(Entry {
                        key: k.to_string(),
                        key_span,
                        value,
                    });
                }
                entries.sort_by_key(|e| e.key_span.start);
                let span = span.or_else(|| entries_cover(&entries));
                return Ok(Node {
                    value: Value::Object(entries),
                    span: span.unwrap_or_default(),
                });
            }
        };
        Ok(Node {
            value,
            span: span.unwrap_or_default(),
        })
    }
}

/// A TOML float literal in JSON's number form: `_` separators and a leading `+`
/// removed; `inf`, `-inf`, `nan` for the special values (whatever their sign for `nan`).
fn toml_float(raw: &str) -> String {
    let s: String = raw.chars().filter(|&c| c != '_').collect();
    let s = s.strip_prefix('+').unwrap_or(&s);
    if s.ends_with("nan") {
        "nan".to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, span: Span) -> &str {
        &text[span.start..span.end]
    }

    fn err_json(text: &str) -> DataError {
        parse_json(text).expect_err(text)
    }

    #[test]
    fn json_spans_point_at_keys_and_values() {
        let text = "{\n  \"lifecycle\": {\"status\" : \"active\"},\n  \"scope\": {\"allowed_paths\": [\"src/**\", 3, \"docs/\\u00e9\"]},\n  \"n\": -1.5e+3, \"t\": true, \"z\": null\n}";
        let root = parse_json(text).unwrap();
        assert_eq!(at(text, root.span), text);
        let obj = root.as_object().unwrap();
        assert_eq!(
            obj.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
            ["lifecycle", "scope", "n", "t", "z"]
        );
        assert_eq!(at(text, obj[0].key_span), "\"lifecycle\"");
        assert_eq!(at(text, obj[0].value.span), "{\"status\" : \"active\"}");
        let status = root.pointer("/lifecycle/status").unwrap();
        assert_eq!(at(text, status.span), "\"active\"");
        assert_eq!(status.as_str(), Some("active"));
        let status_key = &root.pointer("/lifecycle").unwrap().as_object().unwrap()[0];
        assert_eq!(at(text, status_key.key_span), "\"status\"");
        let paths = root.pointer("/scope/allowed_paths").unwrap();
        assert_eq!(at(text, paths.span), "[\"src/**\", 3, \"docs/\\u00e9\"]");
        let strings = paths.strings();
        assert_eq!(strings.len(), 2);
        assert_eq!(strings[0].0, "src/**");
        assert_eq!(at(text, strings[0].1), "\"src/**\"");
        assert_eq!(strings[1].0, "docs/é");
        assert_eq!(at(text, strings[1].1), "\"docs/\\u00e9\"");
        let n = root.pointer("/n").unwrap();
        assert_eq!(n.value, Value::Number("-1.5e+3".into()));
        assert_eq!(at(text, n.span), "-1.5e+3");
        assert_eq!(at(text, root.pointer("/t").unwrap().span), "true");
        assert_eq!(at(text, root.pointer("/z").unwrap().span), "null");
        let (line, col) = crate::text::line_col(text, status.span.start);
        assert_eq!((line, col), (2, 28));
    }

    #[test]
    fn json_escapes() {
        let text = r#""a\"b\\c\/d\be\ff\ng\rh\ti\u0041\u00e9\u20AC""#;
        let n = parse_json(text).unwrap();
        assert_eq!(n.as_str(), Some("a\"b\\c/d\u{8}e\u{c}f\ng\rh\tiAé€"));
        assert!(err_json(r#""\x""#).message.contains("invalid escape"));
        assert!(err_json(r#""\u00g0""#).message.contains("four hex digits"));
        assert!(err_json(r#""\u00""#).message.contains("four hex digits"));
        assert!(err_json("\"a\nb\"").message.contains("control character"));
        assert!(err_json("\"abc").message.contains("unterminated"));
        assert!(err_json("\"\\").message.contains("invalid escape"));
        // Non-ASCII text passes through untouched.
        assert_eq!(parse_json("\"żółw 🐢\"").unwrap().as_str(), Some("żółw 🐢"));
    }

    #[test]
    fn json_surrogates() {
        let n = parse_json(r#""\ud83d\udc22 \uD834\uDD1E""#).unwrap();
        assert_eq!(n.as_str(), Some("🐢 𝄞"));
        for bad in [
            r#""\ud83d""#,
            r#""\ud83dx""#,
            r#""\ud83d\u0041""#,
            r#""\ud83d\ud83d""#,
            r#""\udc22""#,
            r#""\udc22\ud83d""#,
        ] {
            let e = err_json(bad);
            assert!(e.message.contains("surrogate"), "{bad}: {e}");
            assert_eq!(e.offset, 1, "{bad}");
        }
    }

    #[test]
    fn json_numbers() {
        for ok in [
            "0", "-0", "1", "-12", "0.5", "1e5", "1E+5", "1e-05", "-0.0e0", "123.456",
        ] {
            assert_eq!(
                parse_json(ok).unwrap().value,
                Value::Number(ok.into()),
                "{ok}"
            );
        }
        for bad in [
            "01", "-", "+1", "1.", ".5", "1e", "1e+", "-a", "0x10", "1.e3", "Infinity", "NaN",
            "- 1",
        ] {
            assert!(parse_json(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn json_structure_errors() {
        for bad in [
            "",
            " ",
            "[",
            "[1,]",
            "[1 2]",
            "{",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{a:1}",
            "{\"a\":1 \"b\":2}",
            "tru",
            "nul",
            "[1]]",
            "1 2",
            "{} x",
            "'a'",
            "\u{feff}",
            "[\u{00a0}1]",
        ] {
            assert!(parse_json(bad).is_err(), "{bad:?}");
        }
        let e = err_json("{\"a\": 1}\n  x");
        assert_eq!((e.line, e.column, e.offset), (2, 3, 11));
        assert_eq!(
            e.to_string(),
            "line 2, column 3: trailing 'x' after the JSON value"
        );
        let e = err_json("[1, é]");
        assert_eq!(e.column, 5);
        assert!(e.message.contains("'é'"), "{e}");
    }

    #[test]
    fn json_depth_limit() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse_json(&ok).is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        let e = err_json(&deep);
        assert!(e.message.contains("nested deeper"), "{e}");
        assert_eq!(e.offset, MAX_DEPTH);
        let objs = "{\"a\":".repeat(MAX_DEPTH + 1) + "1" + &"}".repeat(MAX_DEPTH + 1);
        assert!(err_json(&objs).message.contains("nested deeper"));
        // Far deeper than any stack could take: still an error, not an overflow.
        assert!(parse_json(&"[".repeat(1_000_000)).is_err());
        assert!(parse_json(&"{\"a\":".repeat(100_000)).is_err());
    }

    #[test]
    fn json_duplicate_keys() {
        let text = "{\"a\": 1, \"b\": {\"x\": 1, \"x\": 2}}";
        let e = err_json(text);
        assert!(e.message.contains("duplicate key \"x\""), "{e}");
        assert_eq!(e.offset, text.rfind("\"x\"").unwrap());
        // The same key written differently is still the same key.
        let e = err_json(r#"{"status": 1, "st\u0061tus": 2}"#);
        assert!(e.message.contains("duplicate key \"status\""), "{e}");
        // Same key in different objects is fine.
        assert!(parse_json(r#"{"a": {"k": 1}, "b": {"k": 2}}"#).is_ok());
    }

    #[test]
    fn json_bom() {
        let text = "\u{feff}{\"a\": \"b\"}";
        let n = parse_json(text).unwrap();
        assert_eq!(at(text, n.pointer("/a").unwrap().span), "\"b\"");
        assert_eq!(n.span.start, 3);
        // Only at the start.
        assert!(parse_json("{\"a\": \u{feff}1}").is_err());
    }

    #[test]
    fn pointer_escapes() {
        let text = r#"{"a/b": 1, "m~n": 2, "": 3, "arr": [10, 11, {"k": 12}], "~01": 4}"#;
        let n = parse_json(text).unwrap();
        let num = |p: &str| match &n.pointer(p)?.value {
            Value::Number(s) => Some(s.clone()),
            _ => None,
        };
        assert_eq!(num("/a~1b").as_deref(), Some("1"));
        assert_eq!(num("/m~0n").as_deref(), Some("2"));
        assert_eq!(num("/").as_deref(), Some("3"));
        assert_eq!(num("/arr/0").as_deref(), Some("10"));
        assert_eq!(num("/arr/2/k").as_deref(), Some("12"));
        assert_eq!(num("/~001").as_deref(), Some("4"));
        assert_eq!(n.pointer("").unwrap(), &n);
        for none in [
            "a", "/a/b", "/arr/01", "/arr/-", "/arr/3", "/arr/+1", "/m~2n", "/m~", "/arr/ 1",
            "/arr/0/x",
        ] {
            assert!(n.pointer(none).is_none(), "{none}");
        }
        assert_eq!(
            n.get("arr").and_then(|a| a.as_array()).map(|a| a.len()),
            Some(3)
        );
        assert!(n.as_str().is_none() && n.as_array().is_none());
    }

    #[test]
    fn strings_of_values() {
        let n =
            parse_json(r#"{"s": "x", "a": ["y", 1, null, ["z"], "w"], "o": {"s": "v"}, "n": 1}"#)
                .unwrap();
        let names = |p: &str| -> Vec<String> {
            n.pointer(p)
                .unwrap()
                .strings()
                .into_iter()
                .map(|(s, _)| s)
                .collect()
        };
        assert_eq!(names("/s"), ["x"]);
        assert_eq!(names("/a"), ["y", "w"]);
        assert!(names("/o").is_empty());
        assert!(names("/n").is_empty());
    }

    #[test]
    fn canonical_ignores_formatting_and_escapes() {
        let a = parse_json(r#"{"b": [1, 2.50, {"y": "é\n", "x": null}], "a": true}"#).unwrap();
        let b = parse_json(
            "\u{feff} {\n  \"a\" : true ,\n  \"\\u0062\": [ 1,2.50 , { \"x\":null, \"y\":\"\\u00e9\\u000A\" } ]\n}\n",
        )
        .unwrap();
        let c = a.canonical(&[]);
        assert_eq!(c, r#"{"a":true,"b":[1,2.50,{"x":null,"y":"é\n"}]}"#);
        assert_eq!(c, b.canonical(&[]));
        let s = parse_json(r#""\u0000\u001f\u007f\"\\\/\b\f\n\r\t\u2028""#).unwrap();
        assert_eq!(
            s.canonical(&[]),
            "\"\\u0000\\u001f\u{7f}\\\"\\\\/\\b\\f\\n\\r\\t\u{2028}\""
        );
        // Keys sort by UTF-8 bytes (code points): U+E000 before U+1F422.
        let k = parse_json("{\"\u{1F422}\": 1, \"\u{E000}\": 2, \"Z\": 3, \"a\": 4}").unwrap();
        assert_eq!(
            k.canonical(&[]),
            "{\"Z\":3,\"a\":4,\"\u{E000}\":2,\"\u{1F422}\":1}"
        );
    }

    #[test]
    fn canonical_exclusion() {
        let n = parse_json(
            r#"{"lock": {"digest": "abc", "by": "x"}, "items": [0, 1, 2, 3], "a/b": 1, "k": 2}"#,
        )
        .unwrap();
        assert_eq!(
            n.canonical(&["/lock/digest", "/items/0", "/items/2", "/a~1b"]),
            r#"{"items":[1,3],"k":2,"lock":{"by":"x"}}"#
        );
        assert_eq!(
            n.canonical(&["/lock"]),
            r#"{"a/b":1,"items":[0,1,2,3],"k":2}"#
        );
        assert_eq!(
            n.canonical(&["/items/1", "/items/3"]),
            r#"{"a/b":1,"items":[0,2],"k":2,"lock":{"by":"x","digest":"abc"}}"#
        );
        assert_eq!(
            n.canonical(&["/nope", "/items/01", "/a/b"]),
            n.canonical(&[])
        );
        assert_eq!(n.canonical(&[""]), "");
        assert_eq!(parse_json("[1]").unwrap().canonical(&["/0"]), "[]");
    }

    // ---------------- TOML

    fn err_toml(text: &str) -> DataError {
        parse_toml(text).expect_err(text)
    }

    #[test]
    fn toml_spans_point_at_keys_and_values() {
        let text = r#"# packet
id = "WP-1"
lifecycle.status = "active"
"quoted key" = 'lit'

[scope]
allowed_paths = ["src/**", 3, "docs/"]
limits = { max = 10, "min" = -2, nested.deep = true }

[[steps]]
name = "one"

[[steps]]
name = "two"
at = 1979-05-27 07:32:00Z
ratio = +1_000.5e-3
count = 0x1F
"#;
        let root = parse_toml(text).unwrap();
        let obj = root.as_object().unwrap();
        assert_eq!(
            obj.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
            ["id", "lifecycle", "quoted key", "scope", "steps"]
        );
        for e in obj {
            let raw = at(text, e.key_span);
            assert!(raw == e.key || raw == format!("\"{}\"", e.key), "{raw}");
        }
        assert_eq!(at(text, root.pointer("/id").unwrap().span), "\"WP-1\"");
        let status = root.pointer("/lifecycle/status").unwrap();
        assert_eq!(at(text, status.span), "\"active\"");
        assert_eq!(status.as_str(), Some("active"));
        let lifecycle = root.pointer("/lifecycle").unwrap();
        assert_eq!(
            at(text, lifecycle.as_object().unwrap()[0].key_span),
            "status"
        );
        assert_eq!(at(text, lifecycle.span), "status = \"active\"");
        assert_eq!(at(text, obj[1].key_span), "lifecycle");
        assert_eq!(crate::text::line_col(text, obj[1].key_span.start), (3, 1));
        assert_eq!(at(text, obj[2].key_span), "\"quoted key\"");
        assert_eq!(at(text, obj[2].value.span), "'lit'");
        let scope = root.pointer("/scope").unwrap();
        assert!(at(text, scope.span).starts_with("[scope]"));
        assert!(at(text, scope.span).ends_with("nested.deep = true }"));
        let paths = root.pointer("/scope/allowed_paths").unwrap();
        assert_eq!(at(text, paths.span), "[\"src/**\", 3, \"docs/\"]");
        assert_eq!(
            paths
                .strings()
                .iter()
                .map(|(s, sp)| (s.as_str(), at(text, *sp)))
                .collect::<Vec<_>>(),
            [("src/**", "\"src/**\""), ("docs/", "\"docs/\"")]
        );
        let limits = root.pointer("/scope/limits").unwrap();
        assert_eq!(
            at(text, limits.span),
            "{ max = 10, \"min\" = -2, nested.deep = true }"
        );
        let lo = limits.as_object().unwrap();
        assert_eq!(at(text, lo[0].key_span), "max");
        assert_eq!(at(text, lo[0].value.span), "10");
        assert_eq!(at(text, lo[1].key_span), "\"min\"");
        assert_eq!(at(text, lo[1].value.span), "-2");
        assert_eq!(at(text, lo[2].key_span), "nested");
        assert_eq!(
            at(
                text,
                root.pointer("/scope/limits/nested/deep").unwrap().span
            ),
            "true"
        );
        let steps = root.pointer("/steps").unwrap();
        assert_eq!(steps.as_array().unwrap().len(), 2);
        assert_eq!(at(text, obj[4].key_span), "steps");
        let s1 = root.pointer("/steps/1").unwrap();
        assert!(at(text, s1.span).starts_with("[[steps]]\nname = \"two\""));
        assert_eq!(
            at(text, root.pointer("/steps/1/name").unwrap().span),
            "\"two\""
        );
        assert_eq!(
            crate::text::line_col(text, root.pointer("/steps/1/name").unwrap().span.start),
            (14, 8)
        );
        let dt = root.pointer("/steps/1/at").unwrap();
        assert_eq!(dt.as_str(), Some("1979-05-27 07:32:00Z"));
        assert_eq!(at(text, dt.span), "1979-05-27 07:32:00Z");
        let ratio = root.pointer("/steps/1/ratio").unwrap();
        assert_eq!(ratio.value, Value::Number("1000.5e-3".into()));
        assert_eq!(at(text, ratio.span), "+1_000.5e-3");
        let count = root.pointer("/steps/1/count").unwrap();
        assert_eq!(count.value, Value::Number("31".into()));
        assert_eq!(at(text, count.span), "0x1F");
    }

    #[test]
    fn toml_header_tables_and_implicit_parents() {
        let text = "[a.b]\nx = 1\n\n[c]\ny = 2\n\n[a]\nz = 3\n";
        let root = parse_toml(text).unwrap();
        let a = root.pointer("/a").unwrap();
        let keys: Vec<_> = a
            .as_object()
            .unwrap()
            .iter()
            .map(|e| e.key.as_str())
            .collect();
        assert_eq!(keys, ["b", "z"]);
        let b_entry = &a.as_object().unwrap()[0];
        assert_eq!(at(text, b_entry.key_span), "b");
        assert_eq!(b_entry.key_span.start, 3);
        assert_eq!(at(text, b_entry.value.span), "[a.b]\nx = 1");
        assert_eq!(at(text, root.pointer("/a/z").unwrap().span), "3");
        let implicit = parse_toml("[p.q.r]\nv = 'w'\n").unwrap();
        let p = implicit.pointer("/p").unwrap();
        assert_eq!(at("[p.q.r]\nv = 'w'\n", p.span), "[p.q.r]\nv = 'w'");
        let p_entry = &implicit.as_object().unwrap()[0];
        assert_eq!((p_entry.key_span.start, p_entry.key_span.end), (1, 2));
        let q_entry = &p.as_object().unwrap()[0];
        assert_eq!((q_entry.key_span.start, q_entry.key_span.end), (3, 4));
    }

    #[test]
    fn toml_duplicate_keys() {
        for bad in [
            "a = 1\na = 2\n",
            "a = 1\n\"a\" = 2\n",
            "[t]\nx = 1\n[t]\ny = 2\n",
            "a.b = 1\na.b = 2\n",
            "x = { k = 1, k = 2 }\n",
        ] {
            let e = err_toml(bad);
            assert!(e.message.contains("duplicate key"), "{bad:?}: {e}");
            assert!(e.line >= 1 && e.column >= 1);
        }
        let e = err_toml("a = 1\na = 2\n");
        assert_eq!(e.line, 2, "{e}");
        assert!(e.message.contains('a'));
    }

    #[test]
    fn toml_errors_and_bom() {
        let e = err_toml("a = \n");
        assert!(e.to_string().starts_with("line 1, column "), "{e}");
        let e = err_toml("t = { a = 1 b = 2 }\n");
        assert_eq!((e.line, e.column), (1, 13), "{e}");
        assert!(!e.message.contains('\n'), "{e}");
        let text = "\u{feff}k = \"v\"\n";
        let n = parse_toml(text).unwrap();
        assert_eq!(at(text, n.pointer("/k").unwrap().span), "\"v\"");
        assert_eq!(n.span.start, 3);
        assert!(parse_toml("").unwrap().as_object().unwrap().is_empty());
    }

    #[test]
    fn toml_depth_limit() {
        // toml_edit's own limit (lower than ours) holds inline nesting ...
        assert!(parse_toml(&format!("a = {}{}", "[".repeat(500), "]".repeat(500))).is_err());
        // ... and a long header plus inline nesting in it adds up past ours.
        let header: Vec<String> = (0..70).map(|i| format!("k{i}")).collect();
        let text = format!(
            "[{}]\nv = {}1{}\n",
            header.join("."),
            "[".repeat(70),
            "]".repeat(70)
        );
        let e = err_toml(&text);
        assert!(e.message.contains("nested deeper"), "{e}");
        assert_eq!(e.line, 2, "{e}");
        let shallow = format!("[{}]\nv = [[1]]\n", header.join("."));
        assert!(parse_toml(&shallow).is_ok());
    }

    #[test]
    fn toml_special_floats() {
        let n = parse_toml("a = inf\nb = -inf\nc = +inf\nd = nan\ne = -nan\nf = 1e06\ng = +0.0\n")
            .unwrap();
        let num = |p: &str| match &n.pointer(p).unwrap().value {
            Value::Number(s) => s.clone(),
            v => panic!("{v:?}"),
        };
        assert_eq!(
            ["/a", "/b", "/c", "/d", "/e", "/f", "/g"].map(num),
            ["inf", "-inf", "inf", "nan", "nan", "1e06", "0.0"]
        );
        let n = parse_toml("a = 1_000\nb = +7\nc = 0o17\nd = 0b101\ne = -0\n").unwrap();
        assert_eq!(n.canonical(&[]), r#"{"a":1000,"b":7,"c":15,"d":5,"e":0}"#);
    }

    #[test]
    fn canonical_same_for_json_and_toml() {
        let json = r#"{
            "id": "WP-7",
            "lifecycle": {"status": "active", "since": "2024-01-02"},
            "scope": {"allowed_paths": ["src/**", "docs/\u00e9"], "max": 10, "ratio": 0.5},
            "steps": [{"name": "one", "done": true}, {"name": "two\ttab", "done": false}],
            "empty": {}, "none": []
        }"#;
        let toml = "id = 'WP-7'\nnone = []\nempty = {}\nlifecycle.status = \"active\"\nlifecycle.since = 2024-01-02\n\n[scope]\nratio = 0.5\nmax = 1_0\nallowed_paths = [\n  \"src/**\",\n  \"docs/\\u00E9\",\n]\n\n[[steps]]\nname = \"one\"\ndone = true\n\n[[steps]]\ndone = false\nname = \"\"\"two\ttab\"\"\"\n";
        let j = parse_json(json).unwrap();
        let t = parse_toml(toml).unwrap();
        assert_eq!(j.canonical(&[]), t.canonical(&[]));
        let ex = ["/lifecycle/since", "/steps/0", "/scope/allowed_paths/1"];
        assert_eq!(j.canonical(&ex), t.canonical(&ex));
        assert_eq!(
            t.canonical(&ex),
            r#"{"empty":{},"id":"WP-7","lifecycle":{"status":"active"},"none":[],"scope":{"allowed_paths":["src/**"],"max":10,"ratio":0.5},"steps":[{"done":false,"name":"two\ttab"}]}"#
        );
    }

    #[test]
    fn parsers_never_panic_on_odd_inputs() {
        for text in [
            "\u{feff}",
            "\"\\u",
            "\"\\ud800\\u",
            "\"\\ud800\\",
            "[\"\\uD800\\uDC0",
            "-",
            "1e",
            "{\"",
            "{\"é",
            "\"é\\é\"",
            "[1,",
            "a = \"\\ud800\"",
            "[[a]]\n[a]",
            "a = 1979-05-27T",
            "\u{0}",
            "[a]\nb = 1\n[a.b]",
            "a.b = 1\n[a]",
        ] {
            let _ = parse_json(text).map(|n| n.canonical(&[""]));
            let _ = parse_toml(text).map(|n| n.canonical(&[]));
        }
    }
}
