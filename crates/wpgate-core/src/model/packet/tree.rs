//! A small block tree over pulldown-cmark's offset iterator: headings, paragraphs, code
//! blocks, lists and items with their byte spans in the original text. Inline structure is
//! not kept (the interpreter reads the source text of a block), except the spans of inline
//! code, which placeholder detection must skip.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

use crate::report::Span;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    Heading(u8),
    Para,
    /// A code block; `info` is the fence's info string.
    Code {
        info: String,
    },
    List,
    Item,
    /// Block quotes, HTML blocks, tables and the like.
    Other,
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub kind: Kind,
    /// The whole block.
    pub span: Span,
    /// Heading: its text; Code: its content; Item: its own text (without the marker and
    /// without nested blocks); others: the whole block.
    pub inner: Span,
    /// Child blocks (for an item: the blocks after its own text).
    pub children: Vec<Node>,
}

pub(crate) struct Tree {
    pub nodes: Vec<Node>,
    /// Spans of inline code and code blocks.
    pub code_spans: Vec<Span>,
}

fn is_block(t: &TagEnd) -> bool {
    matches!(
        t,
        TagEnd::Paragraph
            | TagEnd::Heading(_)
            | TagEnd::BlockQuote(_)
            | TagEnd::CodeBlock
            | TagEnd::HtmlBlock
            | TagEnd::List(_)
            | TagEnd::Item
            | TagEnd::FootnoteDefinition
            | TagEnd::DefinitionList
            | TagEnd::DefinitionListTitle
            | TagEnd::DefinitionListDefinition
            | TagEnd::Table
            | TagEnd::MetadataBlock(_)
    )
}

/// Clamps a range to the text and to char boundaries.
pub(crate) fn clamp(text: &str, start: usize, end: usize) -> Span {
    let mut s = start.min(text.len());
    let mut e = end.min(text.len()).max(s);
    while s > 0 && !text.is_char_boundary(s) {
        s -= 1;
    }
    while e < text.len() && !text.is_char_boundary(e) {
        e += 1;
    }
    Span::new(s, e)
}

/// Trims whitespace (including `\r`) from both ends of a span.
pub(crate) fn trim(text: &str, sp: Span) -> Span {
    let sp = clamp(text, sp.start, sp.end);
    let s = &text[sp.start..sp.end];
    let lead = s.len() - s.trim_start().len();
    let t = s.trim();
    Span::new(sp.start + lead, sp.start + lead + t.len())
}

pub(crate) fn build(text: &str) -> Tree {
    let mut stack: Vec<Node> = Vec::new();
    let mut top: Vec<Node> = Vec::new();
    let mut code_spans = Vec::new();
    // Content range of the code block being read.
    let mut code_content: Option<(usize, usize)> = None;
    for (ev, range) in Parser::new_ext(text, Options::empty()).into_offset_iter() {
        let range = clamp(text, range.start, range.end);
        match ev {
            Event::Start(tag) => {
                let kind = match &tag {
                    Tag::Paragraph => Kind::Para,
                    Tag::Heading { level, .. } => Kind::Heading(*level as u8),
                    Tag::CodeBlock(k) => {
                        code_content = None;
                        Kind::Code {
                            info: match k {
                                CodeBlockKind::Fenced(i) => i.to_string(),
                                CodeBlockKind::Indented => String::new(),
                            },
                        }
                    }
                    Tag::List(_) => Kind::List,
                    Tag::Item => Kind::Item,
                    _ => Kind::Other,
                };
                let end: TagEnd = tag.into();
                if is_block(&end) {
                    stack.push(Node {
                        kind,
                        span: range,
                        inner: range,
                        children: Vec::new(),
                    });
                }
            }
            Event::End(end) => {
                if !is_block(&end) {
                    continue;
                }
                let Some(mut node) = stack.pop() else {
                    continue;
                };
                finish(text, &mut node, &mut code_content, &mut code_spans);
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => top.push(node),
                }
            }
            Event::Text(_) => {
                if matches!(stack.last().map(|n| &n.kind), Some(Kind::Code { .. })) {
                    code_content = Some(match code_content {
                        None => (range.start, range.end),
                        Some((s, _)) => (s, range.end),
                    });
                }
            }
            Event::Code(_) => code_spans.push(range),
            _ => {}
        }
    }
    // Unterminated structures (should not happen with pulldown-cmark): close them.
    while let Some(mut node) = stack.pop() {
        finish(text, &mut node, &mut code_content, &mut code_spans);
        match stack.last_mut() {
            Some(parent) => parent.children.push(node),
            None => top.push(node),
        }
    }
    Tree {
        nodes: top,
        code_spans,
    }
}

fn finish(
    text: &str,
    node: &mut Node,
    code_content: &mut Option<(usize, usize)>,
    code_spans: &mut Vec<Span>,
) {
    match node.kind {
        Kind::Heading(_) => node.inner = heading_text(text, node.span),
        Kind::Code { .. } => {
            code_spans.push(node.span);
            node.inner = match code_content.take() {
                Some((s, e)) => clamp(text, s, e),
                None => Span::new(node.span.end, node.span.end),
            };
        }
        Kind::Item => {
            let first_is_para = matches!(node.children.first().map(|c| &c.kind), Some(Kind::Para));
            if first_is_para {
                let para = node.children.remove(0);
                node.inner = trim(text, para.span);
            } else {
                let start = skip_marker(text, node.span.start, node.span.end);
                let end = node
                    .children
                    .first()
                    .map(|c| c.span.start)
                    .unwrap_or(node.span.end);
                node.inner = trim(text, Span::new(start, end.max(start)));
            }
        }
        _ => {}
    }
}

/// Skips a list marker (`-`, `*`, `+`, `1.`, `1)`) and the spaces after it.
fn skip_marker(text: &str, start: usize, end: usize) -> usize {
    let b = text.as_bytes();
    let end = end.min(b.len());
    let mut i = start;
    while i < end && (b[i] == b' ' || b[i] == b'\t') {
        i += 1;
    }
    if i < end && matches!(b[i], b'-' | b'*' | b'+') {
        i += 1;
    } else {
        let d = i;
        while i < end && b[i].is_ascii_digit() {
            i += 1;
        }
        if i > d && i < end && matches!(b[i], b'.' | b')') {
            i += 1;
        } else {
            i = d;
        }
    }
    while i < end && (b[i] == b' ' || b[i] == b'\t') {
        i += 1;
    }
    i
}

/// The text of a heading (ATX or setext) without its markers.
fn heading_text(text: &str, span: Span) -> Span {
    let s = &text[span.start..span.end];
    if s.trim_start().starts_with('#') {
        let line_end = s.find(['\n', '\r']).unwrap_or(s.len());
        let line = &s[..line_end];
        let lead = line.len() - line.trim_start().len();
        let hashes = line[lead..].bytes().take_while(|&b| b == b'#').count();
        let mut body_start = lead + hashes;
        let mut body_end = line.trim_end().len();
        // Closing sequence of #.
        let body = &line[body_start.min(body_end)..body_end];
        let trimmed = body.trim_end_matches('#');
        if trimmed.len() < body.len() && (trimmed.is_empty() || trimmed.ends_with([' ', '\t'])) {
            body_end = body_start + trimmed.len();
        }
        body_start = body_start.min(body_end);
        trim(
            text,
            Span::new(span.start + body_start, span.start + body_end),
        )
    } else {
        let line_end = s.find(['\n', '\r']).unwrap_or(s.len());
        trim(text, Span::new(span.start, span.start + line_end))
    }
}
