//! The packet parser: reads the hand-written Markdown formats teams actually use.
//!
//! The text is first turned into a block tree (pulldown-cmark, see `tree`), then fields are
//! found by their labels, wherever they stand:
//! - headings (`## SCOPE` containers, `### IN_SCOPE_PATHS`, `## RISK_TIER`, `### RISK_TIER: HIGH`);
//! - list items (`- **IN_SCOPE_PATHS**:`, `- STATUS: Ready for Dev`) with nested lists;
//! - paragraph lines (`**Status:** READY FOR DEV`, `**User Signature Locked:** …`).
//!
//! Labels are matched against [`FieldAliases`] ignoring case, markup, a trailing `:` and the
//! difference between `_`, `-` and spaces. The first occurrence of a field wins (the
//! dependencies accumulate). Everything after the first appended validation report heading
//! is not part of the authored packet: only the lock footer and the `LOCK_DIGEST` line are
//! read there. The parser never fails and never panics.

use super::tree::{self, clamp, trim, Kind, Node};
use super::{Anchor, Field, Heading, Lock, Packet};
use crate::model::packet::id_from_path;
use crate::policy::FieldAliases;
use crate::report::{line_of, Span};

/// Parses a task packet. Never fails: what cannot be read is simply absent.
pub fn parse_packet(path: &str, text: &str, fields: &FieldAliases) -> Packet {
    let tree = tree::build(text);
    let mut p = Parser {
        text,
        aliases: alias_table(fields),
        report: fields
            .report_headings
            .iter()
            .map(|s| norm_label(s))
            .collect(),
        code_spans: tree.code_spans.clone(),
        reports: Vec::new(),
        value_regions: Vec::new(),
        footer_lock: None,
        meta_lock: None,
        footer_only: false,
        pk: empty_packet(path),
    };
    p.find_authored_end(&tree.nodes);
    p.scan(&tree.nodes);
    p.finish();
    for (open, close) in &tree.recovered {
        let (a, b) = (line_of(text, open.start), line_of(text, close.start));
        let note = format!(
            "the code block fenced at lines {a}-{b} opens inside a list item but its lines are \
             not indented; CommonMark would end it early and read the rest of the file out of \
             step, so it was read as one code block up to its closing fence"
        );
        p.pk.parse_notes.push(Field::new(note, *open, a));
    }
    p.pk
}

fn empty_packet(path: &str) -> Packet {
    Packet {
        path: path.to_string(),
        id: id_from_path(path),
        kind: Default::default(),
        format: super::Format::Markdown,
        aliases: vec![],
        microtasks: vec![],
        projection: None,
        twins: vec![],
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
        blocks: vec![],
        effort: None,
        lock: None,
        lock_digest: None,
        headings: vec![],
        present_fields: vec![],
        placeholders: vec![],
        parse_notes: vec![],
    }
}

/// The canonical name of a field label (`STATUS` → `status`) under these aliases.
pub(crate) fn canonical(fields: &FieldAliases, label: &str) -> Option<&'static str> {
    let n = norm_label(label);
    alias_table(fields)
        .into_iter()
        .find(|(k, _)| *k == n)
        .map(|(_, c)| c)
}

/// Canonical field names, in the order of [`FieldAliases`].
fn alias_table(f: &FieldAliases) -> Vec<(String, &'static str)> {
    let groups: [(&Vec<String>, &'static str); 20] = [
        (&f.task_id, "task_id"),
        (&f.status, "status"),
        (&f.risk_tier, "risk_tier"),
        (&f.what, "what"),
        (&f.why, "why"),
        (&f.scope, "scope"),
        (&f.in_scope_paths, "in_scope_paths"),
        (&f.out_of_scope, "out_of_scope"),
        (&f.spec_anchor, "spec_anchor"),
        (&f.done_means, "done_means"),
        (&f.test_plan, "test_plan"),
        (&f.rollback_hint, "rollback_hint"),
        (&f.files_to_open, "files_to_open"),
        (&f.search_terms, "search_terms"),
        (&f.run_commands, "run_commands"),
        (&f.risk_map, "risk_map"),
        (&f.signature, "signature"),
        (&f.dependencies, "dependencies"),
        (&f.effort, "effort"),
        (&f.lock_digest, "lock_digest"),
    ];
    let mut out = Vec::new();
    for (names, canon) in groups {
        for n in names {
            let k = norm_label(n);
            if !k.is_empty() {
                out.push((k, canon));
            }
        }
    }
    out
}

/// Normalises a label: no markup, lower case, `_`/`-` as spaces, no trailing `:` and no
/// trailing `(…)`/`[…]` annotations, no leading symbols (emoji).
pub(crate) fn norm_label(s: &str) -> String {
    let mut t: String = s
        .chars()
        .filter(|c| *c != '*' && *c != '`')
        .map(|c| match c {
            '_' | '-' => ' ',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    loop {
        let trimmed = t.trim().trim_end_matches(':').trim_end().to_string();
        let cut = if trimmed.ends_with(')') {
            trimmed.rfind('(')
        } else if trimmed.ends_with(']') {
            trimmed.rfind('[')
        } else {
            None
        };
        match cut {
            Some(i) if i > 0 => t = trimmed[..i].to_string(),
            _ => {
                t = trimmed;
                break;
            }
        }
    }
    let t = t.trim_start_matches(|c: char| !c.is_alphanumeric());
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How entries of a list field are read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Paths,
    Plain,
    Terms,
}

struct Parser<'t> {
    text: &'t str,
    aliases: Vec<(String, &'static str)>,
    report: Vec<String>,
    code_spans: Vec<Span>,
    /// Regions of appended validation reports: from a report heading to the next heading
    /// of the same or a higher level that is not a report.
    reports: Vec<Span>,
    value_regions: Vec<Span>,
    footer_lock: Option<Lock>,
    meta_lock: Option<Lock>,
    /// Scanning the content of a field section: only the lock footer and LOCK_DIGEST count.
    footer_only: bool,
    pk: Packet,
}

/// A field occurrence: its label, the value on the label's line(s), and the blocks that
/// belong to it.
struct Occ<'n> {
    canon: &'static str,
    label: Span,
    value: Span,
    blocks: &'n [Node],
    /// Found on a paragraph line (not a list item or heading).
    in_para: bool,
    /// Normalised label text.
    norm: String,
}

impl<'t> Parser<'t> {
    fn canon(&self, label: &str) -> Option<&'static str> {
        let n = norm_label(label);
        self.aliases.iter().find(|(k, _)| *k == n).map(|(_, c)| *c)
    }

    fn s(&self, sp: Span) -> &'t str {
        let sp = clamp(self.text, sp.start, sp.end);
        &self.text[sp.start..sp.end]
    }

    fn field(&self, value: String, sp: Span) -> Field<String> {
        Field::new(value, sp, line_of(self.text, sp.start))
    }

    fn is_report_heading(&self, n: &Node) -> bool {
        let h = norm_label(self.s(n.inner));
        self.report
            .iter()
            .any(|r| !r.is_empty() && h.contains(r.as_str()))
    }

    fn find_authored_end(&mut self, nodes: &[Node]) {
        let mut open: Option<(usize, u8)> = None;
        for n in nodes {
            if let Kind::Heading(level) = n.kind {
                let report = self.is_report_heading(n);
                match open {
                    Some((start, l)) if level <= l && !report => {
                        self.reports.push(Span::new(start, n.span.start));
                        open = None;
                    }
                    Some((start, l)) if report && level < l => {
                        self.reports.push(Span::new(start, n.span.start));
                        open = Some((n.span.start, level));
                    }
                    None if report => open = Some((n.span.start, level)),
                    _ => {}
                }
            }
        }
        if let Some((start, _)) = open {
            self.reports.push(Span::new(start, self.text.len()));
        }
    }

    fn authored(&self, n: &Node) -> bool {
        !self
            .reports
            .iter()
            .any(|r| r.start <= n.span.start && n.span.start < r.end)
    }

    // ---------------------------------------------------------------- scanning

    fn scan(&mut self, nodes: &[Node]) {
        let mut i = 0;
        while i < nodes.len() {
            let n = &nodes[i];
            match &n.kind {
                Kind::Heading(level) => {
                    let level = *level;
                    let htext = self.s(n.inner).to_string();
                    // A setext heading: the lock footer directly followed by a `-`/`=` line
                    // (text appended after the footer without a blank line) is still the
                    // footer, and what follows it stays outside the locked content.
                    let at = n.span.start.min(self.text.len());
                    if !self.text[at..].trim_start().starts_with('#') {
                        let saved = self.footer_only;
                        self.footer_only = true;
                        self.para(n, &[]);
                        self.footer_only = saved;
                    }
                    if !self.footer_only {
                        self.pk.headings.push(Heading {
                            level,
                            text: htext.clone(),
                            span: n.inner,
                            line: line_of(self.text, n.inner.start),
                        });
                    }
                    if level == 1 && self.pk.title.is_none() {
                        self.pk.title = Some(self.field(strip_markup(&htext), n.inner));
                    }
                    // The section: following blocks up to the next heading of the same or
                    // a higher level.
                    let mut j = i + 1;
                    while j < nodes.len() {
                        if let Kind::Heading(l) = nodes[j].kind {
                            if l <= level {
                                break;
                            }
                        }
                        j += 1;
                    }
                    if self.authored(n) && !self.footer_only {
                        if let Some((label, value)) = self.heading_label(n.inner) {
                            if let Some(canon) = self.canon(self.s(label)) {
                                if canon != "scope" {
                                    let occ = Occ {
                                        canon,
                                        label,
                                        value,
                                        blocks: &nodes[i + 1..j],
                                        in_para: false,
                                        norm: norm_label(self.s(label)),
                                    };
                                    self.handle(occ);
                                    // Record the sub-headings of the section, and find a
                                    // lock footer that ends up inside it.
                                    for sub in &nodes[i + 1..j] {
                                        self.record_headings(sub);
                                    }
                                    let saved = self.footer_only;
                                    self.footer_only = true;
                                    self.scan(&nodes[i + 1..j]);
                                    self.footer_only = saved;
                                    i = j;
                                    continue;
                                }
                            }
                        }
                    }
                    i += 1;
                }
                Kind::Para => {
                    self.para(n, &nodes[i + 1..]);
                    i += 1;
                }
                Kind::List => {
                    for item in &n.children {
                        self.item(item);
                    }
                    i += 1;
                }
                Kind::Item => {
                    self.item(n);
                    i += 1;
                }
                Kind::Other => {
                    self.scan(&n.children);
                    i += 1;
                }
                Kind::Code { .. } => i += 1,
            }
        }
    }

    fn record_headings(&mut self, n: &Node) {
        if let Kind::Heading(level) = n.kind {
            self.pk.headings.push(Heading {
                level,
                text: self.s(n.inner).to_string(),
                span: n.inner,
                line: line_of(self.text, n.inner.start),
            });
        }
    }

    /// A heading as a label: the whole heading, or `LABEL: value`.
    fn heading_label(&self, inner: Span) -> Option<(Span, Span)> {
        let s = self.s(inner);
        if let Some((l, v)) = detect_label(self.text, inner) {
            if self.canon(self.s(l)).is_some() {
                return Some((l, v));
            }
        }
        if s.is_empty() {
            return None;
        }
        Some((inner, Span::new(inner.end, inner.end)))
    }

    fn item(&mut self, item: &Node) {
        let mut own = item.inner;
        // Lazy continuation lines that carry their own bold label (`**STATUS:** Done` right
        // under a list) are read like paragraph lines.
        let lines = line_spans(self.text, own);
        if lines.len() > 1 {
            let cont: Vec<Span> = lines[1..]
                .iter()
                .copied()
                .filter(|l| {
                    self.s(*l).starts_with("**")
                        && detect_label(self.text, *l)
                            .map(|(lb, _)| self.canon(self.s(lb)).is_some())
                            .unwrap_or(false)
                })
                .collect();
            if let Some(first) = cont.first() {
                own = trim(self.text, Span::new(own.start, first.start));
                let fake = Node {
                    kind: Kind::Para,
                    span: Span::new(first.start, item.inner.end),
                    inner: Span::new(first.start, item.inner.end),
                    children: Vec::new(),
                };
                self.para(&fake, &[]);
            }
        }
        if let Some((label, value)) = detect_label(self.text, own) {
            if let Some(canon) = self.canon(self.s(label)) {
                let authored = self.authored(item) && !self.footer_only;
                if canon != "scope" && (authored || canon == "lock_digest") {
                    let occ = Occ {
                        canon,
                        label,
                        value,
                        blocks: &item.children,
                        in_para: false,
                        norm: norm_label(self.s(label)),
                    };
                    let inline = !trim(self.text, value).is_empty();
                    let scalar = matches!(
                        canon,
                        "task_id"
                            | "status"
                            | "risk_tier"
                            | "effort"
                            | "signature"
                            | "what"
                            | "why"
                            | "lock_digest"
                    );
                    self.handle(occ);
                    if scalar && inline {
                        // Metadata nested under a scalar field (`- TASK_ID: X` with the other
                        // metadata indented below it).
                        self.scan(&item.children);
                    }
                    return;
                }
            }
        }
        self.scan(&item.children);
    }

    fn para(&mut self, n: &Node, following: &[Node]) {
        let lines = line_spans(self.text, n.span);
        let count = lines.len();
        for (k, line) in lines.into_iter().enumerate() {
            let Some((label, value)) = detect_label(self.text, line) else {
                continue;
            };
            let Some(canon) = self.canon(self.s(label)) else {
                continue;
            };
            let norm = norm_label(self.s(label));
            let authored = self.authored(n) && !self.footer_only;
            let footer = canon == "signature" && norm.contains("locked");
            if !(authored || footer || canon == "lock_digest") || canon == "scope" {
                continue;
            }
            // A label alone on the last line of a paragraph owns the blocks that follow,
            // up to the next heading or paragraph.
            let value_t = trim(self.text, value);
            let blocks: &[Node] = if value_t.is_empty() && k + 1 == count {
                let end = following
                    .iter()
                    .position(|b| matches!(b.kind, Kind::Heading(_) | Kind::Para))
                    .unwrap_or(following.len());
                &following[..end]
            } else {
                &[]
            };
            // footer_end includes trailing blanks (any Unicode white space, U+2028 too) and
            // the line break: the whole physical line.
            let mut line_end = line.end;
            line_end += self.text[line_end.min(self.text.len())..]
                .find(['\n', '\r'])
                .unwrap_or(self.text.len() - line_end.min(self.text.len()));
            let rest = &self.text[line_end.min(self.text.len())..];
            if rest.starts_with("\r\n") {
                line_end += 2;
            } else if rest.starts_with(['\n', '\r']) {
                line_end += 1;
            }
            let occ = Occ {
                canon,
                label,
                value,
                blocks,
                in_para: true,
                norm,
            };
            if footer {
                self.footer(occ, line_end);
            } else {
                self.handle(occ);
            }
        }
    }

    // ---------------------------------------------------------------- fields

    fn present(&mut self, canon: &str, label: Span) -> bool {
        if self.pk.has_field(canon) {
            return false;
        }
        let f = self.field(strip_markup(self.s(label)), label);
        self.pk.present_fields.push((canon.to_string(), f));
        true
    }

    fn handle(&mut self, o: Occ<'_>) {
        let first = self.present(o.canon, o.label);
        if !first && !matches!(o.canon, "dependencies" | "signature") {
            return;
        }
        if o.canon != "lock_digest" && o.canon != "signature" {
            self.value_regions.push(o.value);
            for b in o.blocks {
                self.value_regions.push(b.span);
            }
        }
        match o.canon {
            "task_id" => {
                if let Some(f) = self.first_token(o.value, o.blocks) {
                    self.pk.task_id = Some(f);
                }
            }
            "status" => {
                self.pk.status = self.scalar(o.value, o.blocks, &[]).map(|mut f| {
                    // A status emoji damaged by encoding (`??? DONE`).
                    let t = f
                        .value
                        .trim_start_matches(|c: char| !c.is_alphanumeric() && !"{<[".contains(c))
                        .trim_start();
                    let cut = f.value.len() - t.len();
                    if cut > 0 && !t.is_empty() {
                        f.value = t.to_string();
                    }
                    f
                })
            }
            "risk_tier" => {
                self.pk.risk_tier = self.scalar(o.value, o.blocks, &["level", "tier", "risk tier"])
            }
            "effort" => self.pk.effort = self.scalar(o.value, o.blocks, &[]),
            "rollback_hint" => {
                let code = o.blocks.iter().find_map(|b| match b.kind {
                    Kind::Code { .. } => Some(trim(self.text, b.inner)),
                    _ => None,
                });
                self.pk.rollback_hint = match code {
                    Some(sp) if !sp.is_empty() => {
                        Some(self.field(self.s(sp).replace('\r', ""), sp))
                    }
                    _ => self.scalar(o.value, o.blocks, &[]),
                };
            }
            "in_scope_paths" => {
                let e = self.entries(o.value, o.blocks, Mode::Paths);
                self.pk.in_scope_paths = e;
            }
            "out_of_scope" => self.pk.out_of_scope = self.entries(o.value, o.blocks, Mode::Plain),
            "done_means" => self.pk.done_means = self.entries(o.value, o.blocks, Mode::Plain),
            "files_to_open" => self.pk.files_to_open = self.entries(o.value, o.blocks, Mode::Terms),
            "search_terms" => self.pk.search_terms = self.entries(o.value, o.blocks, Mode::Terms),
            "risk_map" => self.pk.risk_map = self.entries(o.value, o.blocks, Mode::Terms),
            "spec_anchor" => self.anchors(o.value, o.blocks),
            "test_plan" => {
                self.pk.has_test_plan = true;
                self.pk.test_plan = self.commands(o.value, o.blocks);
            }
            "dependencies" => {
                let mut stmts = Vec::new();
                let v = trim(self.text, o.value);
                let plain = self.entries(o.value, o.blocks, Mode::Plain);
                if !v.is_empty() && plain.is_empty() {
                    stmts.push(self.field(clean(self.s(v)), v));
                }
                if o.in_para || !matches!(o.norm.as_str(), "dependencies") {
                    // `Depends on: WP-…` / `Blocker: …`: the label is part of the statement.
                    let whole = Span::new(o.label.start, v.end.max(o.label.end));
                    if let Some(s) = stmts.first_mut() {
                        *s = self.field(clean(self.s(whole)), whole);
                    }
                }
                stmts.extend(plain);
                for s in stmts {
                    self.depends(&s);
                    self.pk.dependencies.push(s);
                }
            }
            "signature" => {
                let v = trim(self.text, o.value);
                let sig = clean(self.s(v));
                let lock = Lock {
                    real: is_real_signature(&sig),
                    signature: self.field(sig, v),
                    footer_end: None,
                };
                if self.meta_lock.is_none() {
                    self.meta_lock = Some(lock);
                }
            }
            "lock_digest" if self.pk.lock_digest.is_none() => {
                self.pk.lock_digest = self.first_token(o.value, &[]);
            }
            _ => {}
        }
    }

    fn footer(&mut self, o: Occ<'_>, line_end: usize) {
        self.present("signature", o.label);
        let v = trim(self.text, o.value);
        let sig = clean(self.s(v));
        if self.footer_lock.is_none() {
            self.footer_lock = Some(Lock {
                real: is_real_signature(&sig),
                signature: self.field(sig, v),
                footer_end: Some(line_end.min(self.text.len())),
            });
        }
    }

    /// The first whitespace-separated token of the value, without markup.
    fn first_token(&self, value: Span, blocks: &[Node]) -> Option<Field<String>> {
        let sp = self.scalar_span(value, blocks, &[])?;
        let s = self.s(sp);
        let lead = s.len() - s.trim_start_matches(['*', '`', '_', ' ']).len();
        let rest = &s[lead..];
        let len = rest
            .find(|c: char| c.is_whitespace() || c == '*' || c == '`')
            .unwrap_or(rest.len());
        let tsp = Span::new(sp.start + lead, sp.start + lead + len);
        if tsp.is_empty() {
            return None;
        }
        Some(self.field(self.s(tsp).to_string(), tsp))
    }

    /// A single-valued field: the value on the label's line, else the first line of the
    /// first block (or the value of a sub-item labelled with one of `sublabels`).
    fn scalar(&self, value: Span, blocks: &[Node], sublabels: &[&str]) -> Option<Field<String>> {
        let sp = self.scalar_span(value, blocks, sublabels)?;
        let v = clean(self.s(sp));
        if v.is_empty() {
            return None;
        }
        Some(self.field(v, sp))
    }

    fn scalar_span(&self, value: Span, blocks: &[Node], sublabels: &[&str]) -> Option<Span> {
        let v = first_line(self.text, trim(self.text, value));
        if !v.is_empty() && !clean(self.s(v)).is_empty() {
            return Some(v);
        }
        // A sub-item `Level: HIGH`.
        for b in blocks {
            if let Kind::List = b.kind {
                for it in &b.children {
                    if let Some((l, val)) = detect_label(self.text, it.inner) {
                        let n = norm_label(self.s(l));
                        if sublabels.iter().any(|s| *s == n) {
                            let v = first_line(self.text, trim(self.text, val));
                            if !v.is_empty() {
                                return Some(v);
                            }
                        }
                    }
                }
            }
        }
        for b in blocks {
            let sp = match b.kind {
                Kind::List => match b.children.first() {
                    Some(it) => it.inner,
                    None => continue,
                },
                Kind::Code { .. } => b.inner,
                Kind::Para | Kind::Other => b.span,
                Kind::Heading(_) | Kind::Item => continue,
            };
            let l = first_line(self.text, trim(self.text, sp));
            if !l.is_empty() {
                return Some(l);
            }
        }
        None
    }

    // ---------------------------------------------------------------- lists

    fn entries(&self, value: Span, blocks: &[Node], mode: Mode) -> Vec<Field<String>> {
        let mut out = Vec::new();
        let v = trim(self.text, value);
        if !v.is_empty() && !is_placeholder_only(self.s(v)) {
            for piece in self.split_inline(v, mode) {
                self.push_entry(&mut out, piece, mode);
            }
        }
        for b in blocks {
            self.entries_block(b, mode, &mut out);
        }
        out
    }

    fn entries_block(&self, b: &Node, mode: Mode, out: &mut Vec<Field<String>>) {
        match &b.kind {
            Kind::List => {
                for it in &b.children {
                    let own = strip_checkbox(self.text, it.inner);
                    let own_s = self.s(own);
                    let nested = it.children.iter().any(|c| matches!(c.kind, Kind::List));
                    let group = own.is_empty()
                        || is_group_label(own_s)
                        || (mode == Mode::Paths && nested && !looks_like_path_entry(own_s));
                    if group && nested {
                        for c in &it.children {
                            self.entries_block(c, mode, out);
                        }
                    } else if !(group && own.is_empty()) {
                        self.push_entry(out, own, mode);
                    }
                }
            }
            Kind::Para if mode == Mode::Paths => {
                for line in line_spans(self.text, b.span) {
                    let s = self.s(line);
                    if s.is_empty() || is_group_label(s) {
                        continue;
                    }
                    self.push_entry(out, line, mode);
                }
            }
            Kind::Other => {
                for c in &b.children {
                    self.entries_block(c, mode, out);
                }
            }
            _ => {}
        }
    }

    fn split_inline(&self, v: Span, mode: Mode) -> Vec<Span> {
        let s = self.s(v);
        let seps: &[char] = match mode {
            Mode::Terms if !s.contains(';') && s.contains("\", \"") => &[','],
            Mode::Terms => &[';'],
            Mode::Paths => &[';', ','],
            Mode::Plain => &[';'],
        };
        let pieces = split_top(s, seps);
        if mode == Mode::Paths
            && pieces.len() > 1
            && !pieces
                .iter()
                .all(|&(a, b)| looks_like_path_entry(s[a..b].trim()))
        {
            return vec![v];
        }
        pieces
            .into_iter()
            .map(|(a, b)| trim(self.text, Span::new(v.start + a, v.start + b)))
            .filter(|sp| !sp.is_empty())
            .collect()
    }

    fn push_entry(&self, out: &mut Vec<Field<String>>, sp: Span, mode: Mode) {
        let sp = trim(self.text, sp);
        if sp.is_empty() {
            return;
        }
        if mode == Mode::Paths {
            if let Some(p) = path_of(self.text, sp) {
                out.push(self.field(self.s(p).to_string(), p));
                return;
            }
        }
        let mut sp = sp;
        let mut raw = self.s(sp);
        if raw.len() >= 2
            && raw.starts_with('`')
            && raw.ends_with('`')
            && raw.matches('`').count() == 2
        {
            sp = Span::new(sp.start + 1, sp.end - 1);
            raw = self.s(sp);
        }
        let v = if raw.chars().all(|c| c == '*') {
            // A bare `*`/`**` glob: markup stripping would erase it.
            raw.to_string()
        } else {
            clean(raw)
        };
        if !v.is_empty() {
            out.push(self.field(v, sp));
        }
    }

    // ---------------------------------------------------------------- commands

    fn commands(&self, value: Span, blocks: &[Node]) -> Vec<Field<String>> {
        let mut out = Vec::new();
        let v = trim(self.text, value);
        if !v.is_empty() {
            self.commands_text(v, &mut out);
        }
        for b in blocks {
            self.commands_block(b, &mut out);
        }
        out
    }

    fn commands_block(&self, b: &Node, out: &mut Vec<Field<String>>) {
        match &b.kind {
            Kind::Code { .. } => self.command_lines(b.inner, out),
            Kind::List => {
                for it in &b.children {
                    self.commands_text(it.inner, out);
                    for c in &it.children {
                        self.commands_block(c, out);
                    }
                }
            }
            Kind::Para => self.commands_text(b.span, out),
            Kind::Other => {
                for c in &b.children {
                    self.commands_block(c, out);
                }
            }
            _ => {}
        }
    }

    /// Commands in running text: a damaged fence (a line "`ash" … a line "`"), else the
    /// inline code spans.
    fn commands_text(&self, sp: Span, out: &mut Vec<Field<String>>) {
        let lines = line_spans(self.text, sp);
        let mut in_fence = false;
        let mut saw_fence = false;
        let mut fence_lines = Vec::new();
        for l in &lines {
            let s = self.s(*l);
            if is_fence_line(s) {
                saw_fence = true;
                in_fence = !in_fence;
                continue;
            }
            if in_fence {
                fence_lines.push(*l);
            }
        }
        if saw_fence {
            for l in fence_lines {
                self.push_command(l, out);
            }
            return;
        }
        let s = self.s(sp);
        for (a, b) in code_spans_in(s) {
            self.push_command(Span::new(sp.start + a, sp.start + b), out);
        }
    }

    fn command_lines(&self, sp: Span, out: &mut Vec<Field<String>>) {
        for l in line_spans(self.text, sp) {
            self.push_command(l, out);
        }
    }

    fn push_command(&self, sp: Span, out: &mut Vec<Field<String>>) {
        let sp = trim(self.text, sp);
        let s = self.s(sp);
        if s.is_empty() || s.starts_with('#') {
            return;
        }
        out.push(self.field(s.to_string(), sp));
    }

    // ---------------------------------------------------------------- anchors

    fn anchors(&mut self, value: Span, blocks: &[Node]) {
        let v = trim(self.text, value);
        let mut pieces = Vec::new();
        if !v.is_empty() {
            pieces.push(v);
        }
        let mut whole = v;
        for b in blocks {
            collect_item_texts(b, &mut pieces);
            if let Kind::Para = b.kind {
                pieces.push(trim(self.text, b.span));
            }
            if whole.is_empty() {
                whole = trim(self.text, b.span);
            } else {
                whole = Span::new(whole.start, b.span.end.max(whole.end));
            }
        }
        let whole = trim(self.text, whole);
        if !whole.is_empty() {
            self.pk.spec_anchor_field = Some(self.field(clean(self.s(whole)), whole));
        }
        for piece in pieces {
            let s = self.s(piece);
            // Split at separators; a part without a section number belongs to the one before
            // (`§10.1.1 Security, Capabilities`, `§2.6.1 [HSK-WF-001], [HSK-WF-002]`).
            let mut parts: Vec<Span> = Vec::new();
            for (a, b) in split_top(s, &[',', ';', '\n', '\r']) {
                let sp = trim(self.text, Span::new(piece.start + a, piece.start + b));
                if sp.is_empty() {
                    continue;
                }
                match parts.last_mut() {
                    Some(last) if parse_anchor(&clean(self.s(sp))).0.is_none() => {
                        *last = Span::new(last.start, sp.end);
                    }
                    _ => parts.push(sp),
                }
            }
            for sp in parts {
                let raw = clean(self.s(sp));
                if raw.is_empty() {
                    continue;
                }
                let (number, title, rule_ids) = parse_anchor(&raw);
                self.pk.spec_anchors.push(Anchor {
                    raw,
                    number,
                    title,
                    rule_ids,
                    span: sp,
                    line: line_of(self.text, sp.start),
                });
            }
        }
    }

    fn depends(&mut self, stmt: &Field<String>) {
        let Some(re) = wp_id_re() else { return };
        let s = self.s(stmt.span);
        // Pieces of a statement: `Depends on WP-A (Done); blocks WP-B`.
        for (a, b) in split_top(s, &[';', '\n', '\r']) {
            let piece = &s[a..b];
            let lead = piece
                .trim_start_matches(|c: char| !c.is_alphanumeric())
                .to_ascii_lowercase();
            let reverse = ["blocks", "unblocks", "enables", "required by", "blocking"]
                .iter()
                .any(|w| lead.starts_with(w));
            let reverse = reverse || lead.contains("prerequisite for");
            // `None`, and `Supersedes WP-…` (a replaced packet, not a dependency).
            let none = lead.starts_with("none") || lead.starts_with("supersede");
            if none {
                continue;
            }
            for m in re.find_iter(piece) {
                let id = m.as_str();
                let is_self = id == self.pk.id
                    || self
                        .pk
                        .task_id
                        .as_ref()
                        .map(|t| t.value == id)
                        .unwrap_or(false);
                let list = if reverse {
                    &self.pk.blocks
                } else {
                    &self.pk.depends_on
                };
                if is_self || list.iter().any(|d| d.value == id) {
                    continue;
                }
                let sp = Span::new(
                    stmt.span.start + a + m.start(),
                    stmt.span.start + a + m.end(),
                );
                let f = self.field(id.to_string(), sp);
                if reverse {
                    self.pk.blocks.push(f);
                } else {
                    self.pk.depends_on.push(f);
                }
            }
        }
    }

    // ---------------------------------------------------------------- end

    fn finish(&mut self) {
        // The identity is the file name (discovery may set it from TASK_ID when the
        // policy says so); dependencies may have been read before TASK_ID: drop self
        // references by either.
        let own = self.pk.id.clone();
        let task = self
            .pk
            .task_id
            .as_ref()
            .map(|t| t.value.trim_end_matches(['.', ',', ';', ':']).to_string());
        let is_own = |v: &str| v == own || task.as_deref() == Some(v);
        self.pk.depends_on.retain(|d| !is_own(&d.value));
        self.pk.blocks.retain(|d| !is_own(&d.value));
        self.pk.lock = self.footer_lock.take().or_else(|| self.meta_lock.take());
        // Placeholders in field values, outside code.
        if let Some(re) = placeholder_re() {
            let mut regions = std::mem::take(&mut self.value_regions);
            regions.sort_by_key(|r| (r.start, r.end));
            let mut seen: Vec<Span> = Vec::new();
            for r in regions {
                let r = clamp(self.text, r.start, r.end);
                let s = &self.text[r.start..r.end];
                for m in re.find_iter(s) {
                    let sp = Span::new(r.start + m.start(), r.start + m.end());
                    // `/jobs/{id}/cancel` is a route template, not a placeholder.
                    let before = self.text[..sp.start].chars().next_back();
                    let after = self.text[sp.end..].chars().next();
                    let route = before == Some('/') || after == Some('/');
                    if seen.contains(&sp) || self.in_code(sp) || route {
                        continue;
                    }
                    seen.push(sp);
                    self.pk.placeholders.push(Field::new(
                        m.as_str().to_string(),
                        sp,
                        line_of(self.text, sp.start),
                    ));
                }
            }
            self.pk.placeholders.sort_by_key(|f| f.span.start);
        }
    }

    fn in_code(&self, sp: Span) -> bool {
        self.code_spans
            .iter()
            .any(|c| c.start <= sp.start && sp.end <= c.end)
    }
}

// -------------------------------------------------------------------- helpers

fn collect_item_texts(b: &Node, out: &mut Vec<Span>) {
    if let Kind::List = b.kind {
        for it in &b.children {
            if !it.inner.is_empty() {
                out.push(it.inner);
            }
            for c in &it.children {
                collect_item_texts(c, out);
            }
        }
    }
}

/// Spans of the lines of a region, trimmed. Lines end at LF, CRLF and a lone CR, as for
/// pulldown-cmark and the lock (`lock::split_lines`).
pub(crate) fn line_spans(text: &str, sp: Span) -> Vec<Span> {
    let sp = clamp(text, sp.start, sp.end);
    let s = &text[sp.start..sp.end];
    let mut out = Vec::new();
    let mut off = 0;
    for l in s.split(['\n', '\r']) {
        let a = sp.start + off;
        // The LF of a CRLF: the empty piece between CR and LF is no line.
        let crlf = l.is_empty()
            && s.as_bytes().get(off) == Some(&b'\n')
            && off > 0
            && s.as_bytes()[off - 1] == b'\r';
        if !crlf {
            out.push(trim(text, Span::new(a, a + l.len())));
        }
        off += l.len() + 1;
    }
    out
}

fn first_line(text: &str, sp: Span) -> Span {
    let s = &text[sp.start..sp.end];
    match s.find(['\n', '\r']) {
        Some(i) => trim(text, Span::new(sp.start, sp.start + i)),
        None => sp,
    }
}

/// Finds `LABEL: value` at the start of a region: `**LABEL**: v`, `**LABEL:** v`,
/// `*LABEL*: v`, `LABEL: v`. Returns the label span (without markup) and the value span
/// (to the end of the region).
pub(crate) fn detect_label(text: &str, region: Span) -> Option<(Span, Span)> {
    let region = trim(text, region);
    let region = strip_checkbox(text, region);
    let s = &text[region.start..region.end];
    let line_len = s.find(['\n', '\r']).unwrap_or(s.len());
    let line = &s[..line_len];
    for marker in ["**", "__", "*", "_"] {
        if let Some(rest) = line.strip_prefix(marker) {
            let close = rest.find(marker)?;
            let inner = &rest[..close];
            let after = marker.len() + close + marker.len();
            let inner_t = inner.trim_end();
            let (label_len, value_start) = if let Some(l) = inner_t.strip_suffix(':') {
                (l.trim_end().len(), after)
            } else {
                let tail = &s[after..];
                let t = tail.trim_start_matches([' ', '\t']);
                if !t.starts_with(':') {
                    return None;
                }
                (inner_t.len(), after + (tail.len() - t.len()) + 1)
            };
            if label_len == 0 || label_len > 60 || inner.contains('`') {
                return None;
            }
            let label = Span::new(
                region.start + marker.len(),
                region.start + marker.len() + label_len,
            );
            let value = Span::new(region.start + value_start.min(s.len()), region.end);
            return Some((label, value));
        }
    }
    let colon = line.find(':')?;
    let label = &line[..colon];
    if label.is_empty()
        || label.len() > 60
        || !label.starts_with(|c: char| c.is_ascii_alphabetic())
        || !label
            .chars()
            .all(|c| c.is_alphanumeric() || " _-()/&.".contains(c))
        || line[colon..].starts_with("://")
    {
        return None;
    }
    let lsp = trim(text, Span::new(region.start, region.start + colon));
    Some((lsp, Span::new(region.start + colon + 1, region.end)))
}

fn strip_checkbox(text: &str, sp: Span) -> Span {
    let s = &text[sp.start..sp.end];
    for cb in ["[ ]", "[x]", "[X]"] {
        if let Some(rest) = s.strip_prefix(cb) {
            let t = rest.trim_start();
            return Span::new(sp.end - t.len(), sp.end);
        }
    }
    sp
}

/// Removes markup from a value: `**`, surrounding backticks, `\r`, and collapses lines.
pub(crate) fn clean(s: &str) -> String {
    // A lone CR is a line break (as for pulldown-cmark), not nothing.
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    let s = s.replace("**", "").replace("__", "");
    let joined = s
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let t = joined.trim();
    let t = if t.len() >= 2 && t.starts_with('`') && t.ends_with('`') && t.matches('`').count() == 2
    {
        &t[1..t.len() - 1]
    } else {
        t
    };
    // Trailing symbols such as status emoji.
    t.trim_end_matches(|c: char| !c.is_ascii() && !c.is_alphanumeric())
        .trim()
        .to_string()
}

fn strip_markup(s: &str) -> String {
    clean(s)
}

/// A label line that only names a group (`**Backend (Rust):**`, `Backend:`).
fn is_group_label(s: &str) -> bool {
    let t = s.trim().replace("**", "").replace("__", "");
    let t = t.trim();
    if t.is_empty() {
        return true;
    }
    t.ends_with(':') && !t[..t.len() - 1].contains(':') && t.len() <= 60 && !t.contains('`')
}

fn is_placeholder_only(s: &str) -> bool {
    let t = s.trim();
    t.starts_with('{') && t.ends_with('}')
}

/// Splits at separators outside parentheses, brackets and backticks; ranges are relative.
fn split_top(s: &str, seps: &[char]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut in_code = false;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '`' => in_code = !in_code,
            '(' | '[' | '{' if !in_code => depth += 1,
            ')' | ']' | '}' if !in_code => depth = (depth - 1).max(0),
            c if depth == 0 && !in_code && seps.contains(&c) => {
                out.push((start, i));
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push((start, s.len()));
    out
}

/// Byte ranges (relative) of the contents of inline code spans in `s`.
fn code_spans_in(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'`' {
            let mut n = 0;
            while i + n < b.len() && b[i + n] == b'`' {
                n += 1;
            }
            let open_end = i + n;
            let fence = &s[i..open_end];
            match s[open_end..].find(fence) {
                Some(rel) => {
                    out.push((open_end, open_end + rel));
                    i = open_end + rel + n;
                }
                None => break,
            }
        } else {
            i += 1;
        }
    }
    out
}

/// A damaged or plain fence line: "`ash", "```bash", "`", "```".
fn is_fence_line(s: &str) -> bool {
    let t = s.trim();
    let ticks = t.bytes().take_while(|&b| b == b'`').count();
    if ticks == 0 || ticks > 3 {
        return false;
    }
    let rest = &t[ticks..];
    rest.chars().count() <= 12
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c.is_control())
}

/// Does an IN_SCOPE entry start with a path (first token path-like, then nothing or an
/// annotation)?
fn looks_like_path_entry(s: &str) -> bool {
    let t = s.trim().trim_start_matches("**");
    let token = if let Some(rest) = t.strip_prefix('`') {
        match rest.find('`') {
            Some(i) => &rest[..i],
            None => return false,
        }
    } else {
        t.split_whitespace().next().unwrap_or("")
    };
    super::is_path_like(token.trim_end_matches(['.', ',', ';', ':']))
}

/// The path at the start of an IN_SCOPE entry, when the entry is a path (possibly with an
/// annotation): `src/x.rs (New)`, `` `src/x/` (NEW - module) ``, `justfile (Update)`.
pub(crate) fn path_of(text: &str, sp: Span) -> Option<Span> {
    let s = &text[sp.start..sp.end];
    let mut off = 0;
    let t = s.trim_start_matches("**");
    off += s.len() - t.len();
    let (tok_start, tok_len, after) = if let Some(rest) = t.strip_prefix('`') {
        let i = rest.find('`')?;
        (off + 1, i, off + 1 + i + 1)
    } else {
        let len = t.find(char::is_whitespace).unwrap_or(t.len());
        (off, len, off + len)
    };
    let token = &s[tok_start..tok_start + tok_len];
    let token_t = token.trim_end_matches(['.', ',', ';', ':']);
    // Closing bold markup (`**src/x.rs**`), but not the glob of `src/kernel/**`.
    let bold = s.trim_start().starts_with("**");
    let token_t = match token_t.strip_suffix("**") {
        Some(t) if bold || !t.ends_with('/') => t.trim_end_matches('*'),
        _ => token_t,
    };
    if token_t.is_empty() || token_t.contains(char::is_whitespace) {
        return None;
    }
    let rest = s[after.min(s.len())..]
        .trim()
        .trim_start_matches("**")
        .trim();
    let annotation = rest.is_empty()
        || rest.starts_with(['(', '[', '-', '—', '–', ':', '#', '→'])
        || rest.starts_with("->");
    if !annotation {
        return None;
    }
    let path_like = super::is_path_like(token_t)
        || (rest.starts_with('(')
            && token_t
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            && token_t.chars().any(|c| c.is_ascii_alphabetic()));
    if !path_like {
        return None;
    }
    Some(Span::new(
        sp.start + tok_start,
        sp.start + tok_start + token_t.len(),
    ))
}

/// Parses one SPEC_ANCHOR item: number, title in parentheses, rule ids in brackets.
pub(crate) fn parse_anchor(raw: &str) -> (Option<String>, Option<String>, Vec<String>) {
    let s = repair_section_sign(raw);
    let mut number = None;
    let mut after = 0;
    if let Some(re) = section_re() {
        if let Some(c) = re.captures(&s) {
            if let Some(m) = c.get(1) {
                number = Some(m.as_str().to_string());
                after = m.end();
            }
        }
    }
    if number.is_none() {
        if let Some(re) = dotted_re() {
            if let Some(c) = re.captures(&s) {
                if let Some(m) = c.get(1) {
                    number = Some(m.as_str().to_string());
                    after = m.end();
                }
            }
        }
    }
    let mut title = None;
    if number.is_some() {
        let rest = s[after..].trim_start();
        if let Some(r) = rest.strip_prefix('(') {
            let mut depth = 1;
            for (i, c) in r.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            let t = r[..i].trim();
                            if !t.is_empty() {
                                title = Some(t.to_string());
                            }
                            break;
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    let mut rule_ids = Vec::new();
    if let Some(re) = rule_id_re() {
        for c in re.captures_iter(&s) {
            if let Some(m) = c.get(1) {
                rule_ids.push(m.as_str().to_string());
            }
        }
    }
    (number, title, rule_ids)
}

/// Restores `§` damaged by encoding: `Â§`, U+FFFD, `??` before a section number.
fn repair_section_sign(s: &str) -> String {
    match repair_re() {
        Some(re) => re.replace_all(s, "§$2").into_owned(),
        None => s.to_string(),
    }
}

/// Is a signature real (not a placeholder)? Equivalent to the default
/// `lock.placeholder_pattern`.
pub fn is_real_signature(sig: &str) -> bool {
    match sig_placeholder_re() {
        Some(re) => !re.is_match(sig),
        None => !sig.trim().is_empty(),
    }
}

lazy_re!(wp_id_re, r"WP-[0-9A-Za-z]+-[A-Za-z0-9._-]*[A-Za-z0-9]");

/// Packet ids named in a text (`WP-1-Foo`).
pub(crate) fn wp_ids(s: &str) -> Vec<(usize, usize)> {
    wp_id_re()
        .map(|re| re.find_iter(s).map(|m| (m.start(), m.end())).collect())
        .unwrap_or_default()
}
lazy_re!(
    placeholder_re,
    r"\{[A-Za-z0-9][A-Za-z0-9 _./,|'+&-]*[A-Za-z][A-Za-z0-9 _./,|'+&()-]*\}"
);
lazy_re!(section_re, r"§\s*(A?\d+(?:\.\d+)*)");
lazy_re!(dotted_re, r"(?:^|[^\w.])(A?\d+(?:\.\d+)+)");
lazy_re!(rule_id_re, r"\[([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)\]");
lazy_re!(repair_re, r"(Â§|\x{FFFD}|\?\?)(\s*A?\d)");
lazy_re!(
    sig_placeholder_re,
    r"(?i)^\s*(\{.*\}|<.*>|\[.*\]|pending|tbd|todo|none|n/?a|-+|)\s*$"
);
