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
        /// A fenced block (not an indented one).
        fenced: bool,
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
    /// Fenced code blocks the reader re-synchronised (see [`build`]): the opening fence
    /// line and the closing fence line, as spans of the original text.
    pub recovered: Vec<(Span, Span)>,
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

/// The block tree of `text`, tolerant of one authoring slip CommonMark does not forgive: a
/// fence opened inside a list item (`  ```bash` under `- TEST_PLAN:`) whose content lines
/// and closing fence are not indented. CommonMark ends the item, and the code block, at the
/// first unindented line; the "closing" fence then opens a new code block that swallows the
/// headings and field labels after it, often to the end of the file.
///
/// The recovery is line-oriented. Fences are first paired the way an author reads them:
/// in line order, whatever their indentation, a fence line opens a block and the next
/// fence line of the same character, at least as long and without an info string, closes
/// it. When the code blocks CommonMark sees start on other lines than those intended
/// openers (it is *desynchronised*), every intended block that CommonMark cannot read as
/// one (its opener is indented and a content line or the closer is less indented) is
/// re-read as written: the text is parsed again with the indentation of those two fence
/// lines moved to the end of the line (byte offsets do not change, so every span stays
/// valid for the original text), and the code block is put back into the list item its
/// opener stood in. The recovered tree is kept only when it agrees with the intended
/// pairing on more code blocks than the plain reading did. A genuine code block (a fenced
/// example holding `## heading` lines, properly closed) is paired identically by both
/// readings and never touched.
pub(crate) fn build(text: &str) -> Tree {
    let plain = build_plain(text);
    let fences = intended_fences(text);
    let before = disagreements(text, &plain, &fences);
    if before == 0 {
        return plain;
    }
    let broken: Vec<&Fence> = fences.iter().filter(|f| f.broken).collect();
    if broken.is_empty() {
        return plain;
    }
    let mut bytes = text.as_bytes().to_vec();
    for f in &broken {
        move_indent(&mut bytes, f.open);
        if let Some(c) = f.close {
            move_indent(&mut bytes, c);
        }
    }
    // Only ASCII white space moved within lines: still UTF-8, same length.
    let Ok(repaired) = String::from_utf8(bytes) else {
        return plain;
    };
    let mut tree = build_plain(&repaired);
    for f in &broken {
        reattach(text, &mut tree.nodes, f);
    }
    if disagreements(text, &tree, &fences) >= before {
        return plain;
    }
    tree.recovered = broken
        .iter()
        .filter_map(|f| f.close.map(|c| (f.open, c)))
        .collect();
    tree
}

/// A fenced code block as the author meant it: opening and closing fence lines (without
/// the line break), and the indentation of the opener.
struct Fence {
    open: Span,
    close: Option<Span>,
    indent: usize,
    /// CommonMark cannot read it as one block: the opener is indented and a non-blank
    /// content line, or the closer, is indented less.
    broken: bool,
}

/// A fence line: indentation (bytes of spaces and tabs), fence character, length, and
/// whether an info string follows.
fn fence_line(line: &str) -> Option<(usize, u8, usize, bool)> {
    let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
    let rest = &line[indent..];
    let c = *rest.as_bytes().first()?;
    if c != b'`' && c != b'~' {
        return None;
    }
    let n = rest.bytes().take_while(|&b| b == c).count();
    if n < 3 {
        return None;
    }
    let info = rest[n..].trim();
    if c == b'`' && info.contains('`') {
        return None;
    }
    Some((indent, c, n, !info.is_empty()))
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '\t']).len()
}

/// Pairs fence lines in line order, whatever their indentation. Lines in block quotes are
/// not fences here.
fn intended_fences(text: &str) -> Vec<Fence> {
    let mut out: Vec<Fence> = Vec::new();
    // The open fence: index in `out`, character, length.
    let mut open: Option<(usize, u8, usize)> = None;
    for l in super::lock::split_lines(text) {
        let line = &text[l.start..l.end];
        let sp = Span::new(l.start, l.end);
        match (open, fence_line(line)) {
            (None, Some((indent, c, n, _))) => {
                out.push(Fence {
                    open: sp,
                    close: None,
                    indent,
                    broken: false,
                });
                open = Some((out.len() - 1, c, n));
            }
            (Some((k, c, n)), Some((ind, c2, n2, info))) if c2 == c && n2 >= n && !info => {
                if let Some(f) = out.get_mut(k) {
                    f.close = Some(sp);
                    if f.indent > 0 && ind < f.indent {
                        f.broken = true;
                    }
                }
                open = None;
            }
            (Some((k, ..)), _) => {
                if let Some(f) = out.get_mut(k) {
                    if f.indent > 0 && !line.trim().is_empty() && indent_of(line) < f.indent {
                        f.broken = true;
                    }
                }
            }
            (None, None) => {}
        }
    }
    // An unterminated block is left as CommonMark reads it.
    for f in &mut out {
        if f.close.is_none() {
            f.broken = false;
        }
    }
    out
}

/// How many fenced code blocks of the tree start elsewhere than an intended opener, plus
/// how many intended openers start no code block.
fn disagreements(text: &str, tree: &Tree, fences: &[Fence]) -> usize {
    let mut starts = Vec::new();
    fn walk(nodes: &[Node], out: &mut Vec<usize>) {
        for n in nodes {
            if let Kind::Code { fenced: true, .. } = n.kind {
                out.push(n.span.start);
            }
            walk(&n.children, out);
        }
    }
    walk(&tree.nodes, &mut starts);
    // The start of the line holding each code block's opener.
    let line_start = |at: usize| {
        let at = at.min(text.len());
        text[..at].rfind(['\n', '\r']).map(|i| i + 1).unwrap_or(0)
    };
    let starts: Vec<usize> = starts.into_iter().map(line_start).collect();
    let opens: Vec<usize> = fences.iter().map(|f| f.open.start).collect();
    starts.iter().filter(|s| !opens.contains(s)).count()
        + opens.iter().filter(|o| !starts.contains(o)).count()
}

/// Moves the leading blanks of a line to its end.
fn move_indent(bytes: &mut [u8], line: Span) {
    let Some(l) = bytes.get_mut(line.start..line.end) else {
        return;
    };
    let w = l.iter().take_while(|b| **b == b' ' || **b == b'\t').count();
    l.rotate_left(w);
}

/// Puts a re-synchronised code block back into the list item its opener stood in: the
/// deepest last item of the list just before it whose content starts at or before the
/// opener's column. The spans of the list and items on the way grow to cover the block.
fn reattach(text: &str, nodes: &mut Vec<Node>, f: &Fence) {
    let at = nodes
        .iter()
        .position(|n| matches!(n.kind, Kind::Code { .. }) && n.span.start == f.open.start);
    let Some(i) = at else {
        for n in nodes.iter_mut() {
            if n.span.start <= f.open.start && f.open.start < n.span.end.max(n.span.start + 1) {
                reattach(text, &mut n.children, f);
            }
        }
        return;
    };
    if i == 0 || !matches!(nodes[i - 1].kind, Kind::List) {
        return;
    }
    let column = |at: usize| {
        let at = at.min(text.len());
        at - text[..at].rfind(['\n', '\r']).map(|i| i + 1).unwrap_or(0)
    };
    // Does an eligible item exist?
    let fits = |item: &Node| column(item.inner.start) <= f.indent;
    if !nodes[i - 1].children.last().is_some_and(fits) {
        return;
    }
    let code = nodes.remove(i);
    let end = code.span.end;
    let mut list = &mut nodes[i - 1];
    loop {
        list.span.end = list.span.end.max(end);
        let Some(item) = list.children.last_mut() else {
            return;
        };
        item.span.end = item.span.end.max(end);
        let deeper = matches!(item.children.last().map(|c| &c.kind), Some(Kind::List))
            && item
                .children
                .last()
                .and_then(|l| l.children.last())
                .is_some_and(fits);
        if deeper {
            let Some(next) = item.children.last_mut() else {
                return;
            };
            list = next;
        } else {
            item.children.push(code);
            return;
        }
    }
}

fn build_plain(text: &str) -> Tree {
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
                            fenced: matches!(k, CodeBlockKind::Fenced(_)),
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
        recovered: Vec::new(),
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
