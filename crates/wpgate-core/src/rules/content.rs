//! Content rules: configurable regexes over the lines a change ADDS (the Anti-Vibe Guard:
//! placeholders, `unwrap()`, generic JSON blobs, leftover TODOs).
//!
//! Each rule of `[[content.rules]]` has an `id`, a `pattern` (Rust regex, compiled once with
//! `limits.regex_size_limit`), `include` / `exclude` path globs (an empty `include` means every
//! file), a `message`, a `severity` (used for rule ids that are not in the registry),
//! `skip_rust_tests` (skip lines inside `#[cfg(test)] mod … { … }` blocks; see below) and
//! `skip_code` (ignore matches inside Markdown inline code spans and fenced code blocks:
//! `` `just gate-check {wp-id}` `` documents syntax, it is not a placeholder).
//! Files larger than `limits.max_content_bytes` are not read; [`skipped`] reports them as a
//! `content.skipped` note, never silently.
//!
//! A file with a NUL byte in its first 8000 bytes (git's binary heuristic) is still scanned
//! as text, decoded lossily, when a rule's `include` globs name it
//! ([`ContentChecker::check_binary`]): rustc accepts `// \0`, so one NUL byte must not hide
//! a `.rs` file from every rule. Only a binary file that no rule names by its include
//! globs (rules with an empty `include` see every file, and skip binary ones) is skipped,
//! with a `content.skipped` note ([`skipped_binary`]).
//!
//! Limitations:
//! - Rules see single added lines: a construct split over several lines is not matched.
//! - [`ContentChecker::check_lines`] only sees the added lines, so it cannot know whether a
//!   line is inside a `#[cfg(test)]` module; [`ContentChecker::check_file`] gets the whole new
//!   text and skips such modules (found by brace counting that ignores strings, chars and
//!   comments heuristically) for rules with `skip_rust_tests = true`.
//! - `content.json-blob` is a heuristic: a line starting with `pub fn` / `pub async fn`
//!   (any `pub(…)`, `const`, `unsafe`, `extern` qualifiers) that contains `serde_json::Value`,
//!   or `Value` right after `(`, `<`, `,`, `&`, `mut `, `->` or a single `:` (a parameter or
//!   return type). `toml::Value` and other paths ending in `::Value` do not count, but a
//!   `use serde_json::Value` import followed by a bare `Value` does. A signature spanning
//!   several lines is only checked on its first line.

use crate::policy::ContentRule;

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::{Regex, RegexBuilder};

use crate::error::Error;
use crate::policy::Policy;
use crate::report::{Severity, Span};
use crate::rules::{diag, Emitter, RuleInfo};

pub const RULES: &[RuleInfo] = &[
    RuleInfo {
        id: "content.unwrap",
        default: Severity::Error,
        summary: "`.unwrap()` or `.expect(` added in non-test Rust code",
        help: "A panic on bad input is a defect (Anti-Vibe Guard). Propagate the error with `?`, \
               map it to a typed error, or handle the `None`/`Err` case. Tests (tests/, benches/, \
               examples/, *_test.rs, #[cfg(test)] modules) are exempt.",
        example: "let cfg = std::fs::read_to_string(path).unwrap();",
    },
    RuleInfo {
        id: "content.todo-macro",
        default: Severity::Error,
        summary: "`todo!` or `unimplemented!` added in Rust code",
        help:
            "Placeholder macros panic at run time and mark hollow implementations. Implement the \
               code path, or return a typed error that says what is unsupported.",
        example: "fn migrate(&self) -> Result<()> { todo!() }",
    },
    RuleInfo {
        id: "content.todo-comment",
        default: Severity::Warning,
        summary: "a TODO / FIXME / XXX marker was added",
        help: "Unfinished work belongs in a task packet, not in a comment. Finish it, or create a \
               packet and reference it.",
        example: "// TODO: handle the postgres case",
    },
    RuleInfo {
        id: "content.json-blob",
        default: Severity::Error,
        summary:
            "a public function signature takes or returns a generic JSON blob (`serde_json::Value`)",
        help: "Generic JSON blobs hide the contract (Anti-Vibe Guard). Define a typed struct with \
               serde derives and use it in the signature. Heuristic: a line starting with \
               `pub fn`/`pub async fn` that names `serde_json::Value` or a bare `Value` type.",
        example: "pub fn save_job(payload: serde_json::Value) -> Result<(), Error>",
    },
    RuleInfo {
        id: "content.packet-placeholder",
        default: Severity::Error,
        summary: "a task packet still contains an unreplaced template placeholder",
        help: "Replace every `{placeholder}` of the template with the real content before the \
               packet is delegated or locked.",
        example: "- **What**: {1-2 sentence description}",
    },
    RuleInfo {
        id: "content.skipped",
        default: Severity::Warning,
        summary: "a file was not checked by content rules: it exceeds limits.max_content_bytes, \
                  or it is binary and no rule's include globs name it (always a note)",
        help: "Large files are skipped to bound run time. Raise `limits.max_content_bytes` in the \
               policy if such files must be checked. A binary file (a NUL byte in its first \
               8000 bytes) is scanned as text by the rules whose `include` globs name it; \
               add its pattern to a rule's `include` if it must be checked.",
        example: "a 5 MB generated file added in a commit",
    },
];

struct Compiled {
    id: String,
    re: Regex,
    include: Option<GlobSet>,
    exclude: GlobSet,
    message: String,
    skip_rust_tests: bool,
    skip_code: bool,
}

/// The content rules of a policy, compiled once.
pub struct ContentChecker {
    rules: Vec<Compiled>,
    max_bytes: u64,
}

fn globset(rule: &str, key: &str, globs: &[String]) -> Result<GlobSet, Error> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        let glob = Glob::new(g).map_err(|e| {
            Error::Usage(format!(
                "content rule `{rule}`: `{key}` has an invalid glob `{g}`: {e}"
            ))
        })?;
        b.add(glob);
    }
    b.build()
        .map_err(|e| Error::Usage(format!("content rule `{rule}`: `{key}`: {e}")))
}

impl ContentChecker {
    /// Compiles the `[content]` rules of `policy`.
    pub fn new(policy: &Policy) -> Result<ContentChecker, Error> {
        let mut c =
            ContentChecker::from_rules(&policy.content.rules, policy.limits.regex_size_limit)?;
        c.max_bytes = policy.limits.max_content_bytes;
        Ok(c)
    }

    /// Compiles `rules`; a bad or oversized regex or glob is an error naming the rule.
    pub fn from_rules(
        rules: &[ContentRule],
        regex_size_limit: usize,
    ) -> Result<ContentChecker, Error> {
        let mut out = Vec::with_capacity(rules.len());
        for r in rules {
            let re = RegexBuilder::new(&r.pattern)
                .size_limit(regex_size_limit)
                .build()
                .map_err(|e| {
                    Error::Usage(format!(
                        "content rule `{}`: pattern is not a usable regex: {e}",
                        r.id
                    ))
                })?;
            out.push(Compiled {
                id: r.id.clone(),
                re,
                include: if r.include.is_empty() {
                    None
                } else {
                    Some(globset(&r.id, "include", &r.include)?)
                },
                exclude: globset(&r.id, "exclude", &r.exclude)?,
                message: r.message.clone(),
                skip_rust_tests: r.skip_rust_tests,
                skip_code: r.skip_code,
            });
        }
        Ok(ContentChecker {
            rules: out,
            max_bytes: crate::policy::Limits::default().max_content_bytes,
        })
    }

    fn rule_applies(r: &Compiled, path: &str) -> bool {
        r.include.as_ref().map(|g| g.is_match(path)).unwrap_or(true) && !r.exclude.is_match(path)
    }

    /// Does any rule look at `path`? (Callers can skip reading other files.)
    pub fn applies(&self, path: &str) -> bool {
        self.rules.iter().any(|r| Self::rule_applies(r, path))
    }

    /// Is a file of `size` bytes too large to check (report it with [`skipped`])?
    pub fn too_large(&self, size: u64) -> bool {
        size > self.max_bytes
    }

    /// Checks added lines `(1-based line number, text)` of `path`.
    pub fn check_lines(
        &self,
        path: &str,
        lines: &[(usize, String)],
        wp: Option<&str>,
        out: &mut Emitter,
    ) {
        for r in &self.rules {
            if !Self::rule_applies(r, path) || !out.enabled(&r.id) {
                continue;
            }
            for (no, text) in lines {
                if let Some(m) = first_match(r, text) {
                    out.emit(
                        diag(
                            &r.id,
                            format!("{}: `{}`", r.message, snippet(text, m.start(), m.end())),
                        )
                        .with_path(path)
                        .with_line(*no)
                        .with_opt_wp(wp),
                    );
                }
            }
        }
    }

    /// Added lines of a file one side of which looks binary (a NUL byte): scanned as text
    /// when some rule's include globs name `path` (then by every rule that applies),
    /// otherwise reported by [`skipped_binary`]. Never silent.
    pub fn check_binary(
        &self,
        path: &str,
        lines: &[(usize, String)],
        wp: Option<&str>,
        out: &mut Emitter,
    ) {
        let named = self
            .rules
            .iter()
            .any(|r| r.include.is_some() && Self::rule_applies(r, path));
        if named {
            self.check_lines(path, lines, wp, out);
        } else if self.applies(path) {
            skipped_binary(path, out);
        }
    }

    /// Checks the lines of the new `text` of `path` whose numbers are in `added` (all lines
    /// when `None`), with byte spans, skipping `#[cfg(test)]` modules for rules that ask so.
    pub fn check_file(
        &self,
        path: &str,
        text: &str,
        added: Option<&[usize]>,
        wp: Option<&str>,
        out: &mut Emitter,
    ) {
        let tests = if path.ends_with(".rs") {
            rust_test_regions(text)
        } else {
            vec![]
        };
        let added: Option<std::collections::BTreeSet<usize>> =
            added.map(|a| a.iter().copied().collect());
        let fences = if path.ends_with(".md") || path.ends_with(".markdown") {
            fenced_regions(text)
        } else {
            vec![]
        };
        let in_fence = |line: usize| fences.iter().any(|(a, b)| line >= *a && line <= *b);
        let in_tests = |line: usize| tests.iter().any(|(a, b)| line >= *a && line <= *b);
        for r in &self.rules {
            if !Self::rule_applies(r, path) || !out.enabled(&r.id) {
                continue;
            }
            let mut off = 0;
            for (i, raw) in text.split_inclusive('\n').enumerate() {
                let no = i + 1;
                let start = off;
                off += raw.len();
                if let Some(a) = &added {
                    if !a.contains(&no) {
                        continue;
                    }
                }
                if r.skip_rust_tests && in_tests(no) {
                    continue;
                }
                if r.skip_code && in_fence(no) {
                    continue;
                }
                let line = raw.trim_end_matches(['\n', '\r']);
                if let Some(m) = first_match(r, line) {
                    out.emit(
                        diag(
                            &r.id,
                            format!("{}: `{}`", r.message, snippet(line, m.start(), m.end())),
                        )
                        .at(path, no, Span::new(start + m.start(), start + m.end()))
                        .with_opt_wp(wp),
                    );
                }
            }
        }
    }
}

/// The first match of `r` in `line`, ignoring matches inside inline code when the rule says so.
fn first_match<'t>(r: &Compiled, line: &'t str) -> Option<regex::Match<'t>> {
    if !r.skip_code {
        return r.re.find(line);
    }
    r.re.find_iter(line)
        .find(|m| line[..m.start()].matches('`').count() % 2 == 0)
}

/// 1-based inclusive line ranges of fenced code blocks (``` or ~~~) of a Markdown text.
pub fn fenced_regions(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (i, l) in text.lines().enumerate() {
        let t = l.trim_start();
        let fence: String = t.chars().take_while(|c| *c == '`' || *c == '~').collect();
        if fence.len() < 3 {
            continue;
        }
        match &open {
            None => open = Some((i + 1, fence)),
            Some((start, f))
                if fence.starts_with(f.as_str()) && t[fence.len()..].trim().is_empty() =>
            {
                out.push((*start, i + 1));
                open = None;
            }
            Some(_) => {}
        }
    }
    if let Some((start, _)) = open {
        out.push((start, text.lines().count().max(start)));
    }
    out
}

fn snippet(line: &str, start: usize, end: usize) -> String {
    let m = &line[start..end];
    let t = if m.trim().len() < 3 {
        line.trim()
    } else {
        m.trim()
    };
    if t.chars().count() > 80 {
        let cut: String = t.chars().take(77).collect();
        format!("{cut}...")
    } else {
        t.to_string()
    }
}

/// Reports a file left unchecked because it exceeds `limits.max_content_bytes` (a note).
pub fn skipped(path: &str, size: u64, out: &mut Emitter) {
    let max = out.policy.limits.max_content_bytes;
    out.note(
        diag(
            "content.skipped",
            format!(
                "{path} ({size} bytes) is larger than limits.max_content_bytes ({max}); content rules did not check it"
            ),
        )
        .with_path(path),
    );
}

/// Reports a binary file (a NUL byte) that no content rule's include globs name, left
/// unchecked by the rules without include globs (a note).
pub fn skipped_binary(path: &str, out: &mut Emitter) {
    out.note(
        diag(
            "content.skipped",
            format!(
                "{path} is binary (a NUL byte in its first 8000 bytes) and no content rule's \
                 include globs name it; content rules did not check it"
            ),
        )
        .with_path(path),
    );
}

/// 1-based inclusive line ranges of `#[cfg(test)] mod NAME { … }` blocks of a Rust text
/// (heuristic brace counting that skips string literals, char literals and comments).
pub fn rust_test_regions(text: &str) -> Vec<(usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !lines[i].trim_start().starts_with("#[cfg(test)]") {
            i += 1;
            continue;
        }
        let attr = i;
        // The item after the attribute (and any further attributes); also `#[cfg(test)] mod x {`.
        let mut j = i;
        let rest_of_attr = lines[i].trim_start()["#[cfg(test)]".len()..].trim();
        let mut item = if rest_of_attr.is_empty() {
            None
        } else {
            Some(j)
        };
        while item.is_none() {
            j += 1;
            if j >= lines.len() {
                break;
            }
            let t = lines[j].trim();
            if t.is_empty() || t.starts_with("#[") || t.starts_with("//") {
                continue;
            }
            item = Some(j);
        }
        let Some(j) = item else { break };
        let line = lines[j].trim_start();
        let line = line
            .strip_prefix("#[cfg(test)]")
            .unwrap_or(line)
            .trim_start();
        let is_mod =
            line.starts_with("mod ") || (line.starts_with("pub") && line.contains(" mod "));
        if !is_mod || !lines[j..].iter().take(3).any(|l| l.contains('{')) {
            i = j + 1;
            continue;
        }
        // Count braces from line j.
        let mut depth: i64 = 0;
        let mut opened = false;
        let mut k = j;
        let mut in_block_comment = false;
        'outer: while k < lines.len() {
            let b = lines[k].as_bytes();
            let mut p = 0;
            while p < b.len() {
                if in_block_comment {
                    if b[p] == b'*' && b.get(p + 1) == Some(&b'/') {
                        in_block_comment = false;
                        p += 2;
                        continue;
                    }
                    p += 1;
                    continue;
                }
                match b[p] {
                    b'/' if b.get(p + 1) == Some(&b'/') => break,
                    b'/' if b.get(p + 1) == Some(&b'*') => {
                        in_block_comment = true;
                        p += 2;
                        continue;
                    }
                    b'"' => {
                        p += 1;
                        while p < b.len() && b[p] != b'"' {
                            if b[p] == b'\\' {
                                p += 1;
                            }
                            p += 1;
                        }
                    }
                    b'\'' => {
                        // A char literal ('x', '\n', '{'); lifetimes have no closing quote nearby.
                        if b.get(p + 2) == Some(&b'\'') {
                            p += 2;
                        } else if b.get(p + 1) == Some(&b'\\') {
                            if let Some(q) = b[p + 2..].iter().position(|&c| c == b'\'') {
                                p += 2 + q;
                            }
                        }
                    }
                    b'{' => {
                        depth += 1;
                        opened = true;
                    }
                    b'}' => {
                        depth -= 1;
                        if opened && depth == 0 {
                            break 'outer;
                        }
                    }
                    _ => {}
                }
                p += 1;
            }
            k += 1;
        }
        let end = k.min(lines.len().saturating_sub(1));
        out.push((attr + 1, end + 1));
        i = end + 1;
    }
    out
}
