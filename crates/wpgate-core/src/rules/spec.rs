//! The Master Spec: which file is current (`SPEC_CURRENT.md`), its section index, and the
//! rules over SPEC_ANCHOR references, the spec freeze and DONE_MEANS mapping.
//!
//! Section numbers: headings such as `# 1. Vision`, `## 2.3.12 Title [CX-DBP-001]`,
//! `##### 2.6.6.7.11 Validators`. Packets also cite sections appendix-style (`A2.6.6.7.11`,
//! `§A9.2.1`); when the spec has no `A`-numbered heading of that number the leading `A` is
//! dropped, so `§2.6.6.7.11` and `A2.6.6.7.11` resolve to the same heading.
//!
//! Real specs renumber locally (sub-documents pasted verbatim restart at `9.1` inside
//! section 6), so a number can name several headings. A heading is *canonical* when its
//! first number component equals the number of the enclosing top-level (`#`) section;
//! lookups prefer canonical headings, then shallower heading levels, then the first.
//!
//! Sections end at the next heading of the same or a higher level, except that an
//! unnumbered heading never ends a numbered section (in numbered specs those are accidents,
//! such as shell comments after a broken code fence); it becomes a child instead.
//!
//! Spec bundles: a SPEC_CURRENT whose text starts with `{` is JSON, read only as JSON (never
//! searched for a `.md` name). The first of `spec.current_manifest_pointers` present names
//! the manifest (repository-relative); its `spec.manifest_modules_pointer` array lists the
//! modules, each file at `spec.module_path_pointer` in an entry, relative to the manifest's
//! directory (a leading `/`: the repository root; `spec.module_paths_from = "repository"`:
//! always the root). The module bodies (frontmatter removed) are joined in manifest order
//! and indexed once as one spec, so numbering, canonical headings and the Main Body read as
//! in the monolith the bundle was split from; [`LoadedSpec::location`] maps a line back to
//! its module file. `module.md#2.3.13.9` (any directories before the file name) resolves in
//! that module only. Anything that keeps SPEC_CURRENT from resolving (JSON that does not
//! parse, no pointer, a missing manifest or module) is `spec.current-missing` at the file and
//! line concerned. The manifest and every module are frozen (`spec.frozen`) except under a
//! spec-update packet, which may change them in place.

use crate::model::spec::{
    cites, contains_word, frontmatter_len, normalize_number, parse_spec_version,
    spec_name_in_current, title_matches, SpecIndex,
};

use crate::policy::SpecPolicy;
use std::sync::Arc;

use regex::Regex;

use crate::error::Error;
use crate::model::packet::{Anchor, Packet};
use crate::report::{Severity, Span};
use crate::rules::{diag, Emitter, RuleInfo};
use crate::source::Workspace;

pub const RULES: &[RuleInfo] = &[
    RuleInfo {
        id: "spec.current-missing",
        default: Severity::Error,
        summary: "SPEC_CURRENT is missing or names no existing spec file",
        help:
            "Every packet anchors to the Master Spec named by SPEC_CURRENT; without it no anchor \
can be verified. Create the file (layout.spec_current) naming the current spec in bold, e.g. \
`**Project_Master_Spec_v01.002.md**`, and make sure that file exists at the repository root or \
next to SPEC_CURRENT (policy spec.search_dirs). A JSON SPEC_CURRENT names a spec bundle \
instead: a manifest (policy spec.current_manifest_pointers) listing module files \
(spec.manifest_modules_pointer, spec.module_path_pointer); the JSON must parse and the \
manifest and every module must exist. A JSON SPEC_CURRENT is read only as JSON.",
        example: "docs/SPEC_CURRENT.md: **Handshake_Master_Spec_v02.100.md** (file absent)",
    },
    RuleInfo {
        id: "spec.not-latest",
        default: Severity::Error,
        summary: "a newer version of the current spec exists in the repository",
        help: "SPEC_CURRENT must point at the latest Master Spec version (Part 2, Step 1). Point \
SPEC_CURRENT at the newest version (versions compare numerically: v02.100 > v02.99) or remove \
the stale file.",
        example: "SPEC_CURRENT names Spec_v02.99.md while Spec_v02.100.md exists",
    },
    RuleInfo {
        id: "spec.anchor-missing",
        default: Severity::Error,
        summary: "a SPEC_ANCHOR names a section that does not exist in the current spec",
        help: "Anchors must exist in the latest Master Spec (5.2). Re-anchor the packet to the \
section that now holds the requirement (a new packet if the packet is locked).",
        example: "SPEC_ANCHOR: §2.3.99 (Nowhere)",
    },
    RuleInfo {
        id: "spec.anchor-roadmap",
        default: Severity::Error,
        summary: "a SPEC_ANCHOR points into the Roadmap / outside the Main Body",
        help:
            "Roadmap items are pointers; only the Main Body defines Done (CX-598). Anchor to the \
Main Body section the roadmap item points to (policy spec.main_body, \
spec.non_main_body_titles).",
        example: "SPEC_ANCHOR: §7.6.3.12 (under `## 7.6 Development Roadmap`)",
    },
    RuleInfo {
        id: "spec.anchor-malformed",
        default: Severity::Error,
        summary: "a SPEC_ANCHOR has no readable section number",
        help: "Write anchors as `§<number> (<title>) [<rule id>]`, e.g. `§2.3.12.1 (Four \
Portability Pillars)`; `§Roadmap` or `§Future Work` are not specific.",
        example: "SPEC_ANCHOR: §Future Work (Phase 2+)",
    },
    RuleInfo {
        id: "spec.anchor-title-mismatch",
        default: Severity::Warning,
        summary: "the anchored heading no longer carries the anchor's title or rule id",
        help: "The spec was renumbered or the requirement moved. The help says where the title \
or rule id lives now; re-anchor the packet there.",
        example:
            "SPEC_ANCHOR: §2.3.12.1 (Storage API) while 2.3.12.1 is `Four Portability Pillars`",
    },
    RuleInfo {
        id: "spec.frozen",
        default: Severity::Error,
        summary: "the current Master Spec is frozen during phase execution",
        help: "Spec-Version Lock (CX-585A): never modify the current spec file. To change the \
spec, add a new versioned file and repoint SPEC_CURRENT under a spec-update packet (policy \
spec.update_packet_pattern, default `*-SpecUpdate*`). A spec bundle (manifest and module \
files) is frozen the same way, but a spec-update packet may change it in place.",
        example: "commit modifies Handshake_Master_Spec_v02.100.md",
    },
    RuleInfo {
        id: "spec.done-means-unmapped",
        default: Severity::Warning,
        summary: "a DONE_MEANS item cites none of the packet's spec anchors",
        help: "Every DONE_MEANS item maps 1:1 to a SPEC_ANCHOR requirement (5.4, CX-602): cite \
it, e.g. `MUST: Database trait defined (§2.3.12.3, requirement 1)`. Only runs with \
spec.require_done_means_mapping = true.",
        example: "DONE_MEANS: - All tests pass   (anchor §2.3.12.3 not cited)",
    },
];

/// The current spec as loaded for a run.
#[derive(Debug, Clone)]
pub struct LoadedSpec {
    /// Repository path of the spec file; of a bundle, its manifest.
    pub path: String,
    /// The spec text; of a bundle, the module bodies (frontmatter removed) joined in
    /// manifest order, each ending with a newline. Lines of [`LoadedSpec::index`] are
    /// lines of this text: [`LoadedSpec::location`] maps them back to a module file.
    pub text: Arc<str>,
    pub index: SpecIndex,
    /// Time spent building the index.
    pub build_time: std::time::Duration,
    /// The bundle, when SPEC_CURRENT names a manifest of modules.
    pub bundle: Option<SpecBundle>,
}

/// A spec split into module files listed by a manifest (a JSON SPEC_CURRENT names it).
#[derive(Debug, Clone)]
pub struct SpecBundle {
    /// Repository path of the manifest.
    pub manifest: String,
    /// The bundle's version (`spec.bundle_version_pointers`), when it gives one.
    pub version: Option<String>,
    /// The modules in manifest order.
    pub modules: Vec<SpecModule>,
    /// The decoded manifest and module texts the index was built from (cache key).
    sources: Vec<Arc<str>>,
}

/// One module of a bundle, as placed in [`LoadedSpec::text`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecModule {
    /// Repository path of the module file.
    pub path: String,
    /// Byte range of the module's body in the joined text.
    pub range: Span,
    /// 1-based line of the joined text where the body starts.
    pub first_line: usize,
    /// 1-based line of the module file where the body starts (after its frontmatter).
    pub file_line: usize,
}

impl SpecModule {
    /// The module's file name (`02-system-architecture.md`): what `module.md#2.3` names.
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}

impl LoadedSpec {
    /// A single-file spec.
    pub fn single(path: &str, text: &str) -> LoadedSpec {
        LoadedSpec {
            path: path.to_string(),
            text: text.into(),
            index: SpecIndex::build(text),
            build_time: Default::default(),
            bundle: None,
        }
    }

    /// The module holding byte `offset` of [`LoadedSpec::text`] (bundles only).
    pub fn module_at(&self, offset: usize) -> Option<&SpecModule> {
        let b = self.bundle.as_ref()?;
        let k = b.modules.partition_point(|m| m.range.start <= offset);
        b.modules[..k].iter().rev().find(|m| offset < m.range.end)
    }

    /// The file and 1-based line of line `line` of [`LoadedSpec::text`]: the spec file
    /// itself, or the module file of a bundle.
    pub fn location(&self, line: usize) -> (&str, usize) {
        let Some(b) = &self.bundle else {
            return (&self.path, line);
        };
        let k = b.modules.partition_point(|m| m.first_line <= line);
        match k.checked_sub(1).and_then(|k| b.modules.get(k)) {
            Some(m) => (&m.path, line - m.first_line + m.file_line),
            None => (&self.path, line),
        }
    }

    /// Shown form of heading `i`: `§2.3.12 (Title) at line 12`; in a bundle
    /// `§2.3.12 (Title) at spec-modules/02-x.md:12`.
    pub fn describe(&self, i: usize) -> String {
        if self.bundle.is_none() {
            return self.index.describe(i);
        }
        let h = &self.index.headings[i];
        let (file, line) = self.location(h.line);
        match &h.number {
            Some(n) => format!("§{n} ({}) at {file}:{line}", h.title),
            None => format!("`{}` at {file}:{line}", h.title),
        }
    }

    /// The repository files of the current spec: the spec file, or a bundle's manifest and
    /// modules.
    pub fn files(&self) -> Vec<&str> {
        match &self.bundle {
            None => vec![self.path.as_str()],
            Some(b) => std::iter::once(b.manifest.as_str())
                .chain(b.modules.iter().map(|m| m.path.as_str()))
                .collect(),
        }
    }

    /// One line naming the current spec: its path, or `bundle v02.195 (15 modules,
    /// manifest …)`.
    pub fn summary(&self) -> String {
        match &self.bundle {
            None => self.path.clone(),
            Some(b) => format!(
                "bundle {}({} module{}, manifest {})",
                b.version
                    .as_deref()
                    .map(|v| format!("{v} "))
                    .unwrap_or_default(),
                b.modules.len(),
                if b.modules.len() == 1 { "" } else { "s" },
                b.manifest
            ),
        }
    }
}

fn dir_of(path: &str) -> &str {
    path.rfind('/').map(|i| &path[..i]).unwrap_or("")
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() || name.starts_with(&format!("{dir}/")) {
        name.to_string()
    } else {
        format!("{}/{}", dir.trim_end_matches('/'), name)
    }
}

/// What SPEC_CURRENT declares.
enum Current {
    /// SPEC_CURRENT does not exist.
    Absent,
    /// A Markdown SPEC_CURRENT: the name it gives (name, line, span), if any, and the
    /// file found for it.
    File {
        named: Option<(String, usize, Span)>,
        found: Option<String>,
    },
    /// A JSON SPEC_CURRENT: the bundle it names, or why that cannot be resolved.
    Bundle(Result<BundlePlan, Unresolved>),
}

/// A bundle whose manifest parsed and whose module files all exist.
struct BundlePlan {
    manifest: String,
    manifest_text: Arc<str>,
    version: Option<String>,
    modules: Vec<String>,
}

/// Why a JSON SPEC_CURRENT resolves to no spec: where (file, line, span) and what.
struct Unresolved {
    path: String,
    line: usize,
    span: Span,
    message: String,
    help: Option<String>,
}

impl Unresolved {
    fn at(path: &str, text: &str, span: Span, message: String) -> Unresolved {
        Unresolved {
            path: path.to_string(),
            line: crate::report::line_of(text, span.start),
            span,
            message,
            help: None,
        }
    }

    fn help(mut self, help: String) -> Unresolved {
        self.help = Some(help);
        self
    }
}

/// A SPEC_CURRENT whose text (after a byte order mark and white space) starts with `{` is
/// JSON and read only as JSON.
fn is_json(text: &str) -> bool {
    text.trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('{')
}

/// Normalises a repository path written in a bundle file: a leading `/` is the repository
/// root, `.` components go, `..` removes the previous component. `None` when it is empty
/// or leaves the repository.
fn normalize_repo_path(base: &str, p: &str) -> Option<String> {
    let (base, p) = match p.strip_prefix('/') {
        Some(rest) => ("", rest),
        None => (base, p),
    };
    let mut parts: Vec<&str> = Vec::new();
    for c in base.split('/').chain(p.split('/')) {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    if parts.is_empty() || p.trim().is_empty() {
        None
    } else {
        Some(parts.join("/"))
    }
}

/// Reads SPEC_CURRENT: the spec file it names or the bundle it points to. Returns the
/// SPEC_CURRENT path too.
fn locate(ws: &Workspace) -> Result<(String, Current), Error> {
    let cur_path = ws.resolve(&ws.policy.layout.spec_current);
    let Some(cur) = ws.text(&cur_path)? else {
        return Ok((cur_path, Current::Absent));
    };
    if is_json(&cur.text) {
        let plan = locate_bundle(ws, &cur_path, &cur.text)?;
        return Ok((cur_path, Current::Bundle(plan)));
    }
    let Some((name, line, span)) = spec_name_in_current(&cur.text) else {
        return Ok((
            cur_path,
            Current::File {
                named: None,
                found: None,
            },
        ));
    };
    let mut dirs: Vec<String> = ws.policy.spec.search_dirs.clone();
    dirs.push(dir_of(&cur_path).to_string());
    for d in &dirs {
        let p = join(d.trim_matches('/'), &name);
        if ws.files.exists(&p)? {
            return Ok((
                cur_path,
                Current::File {
                    named: Some((name, line, span)),
                    found: Some(p),
                },
            ));
        }
    }
    Ok((
        cur_path,
        Current::File {
            named: Some((name, line, span)),
            found: None,
        },
    ))
}

/// Resolves a JSON SPEC_CURRENT to its manifest and module files (see `[spec]` in the
/// policy). Anything missing or malformed is an [`Unresolved`]; read errors are errors.
fn locate_bundle(
    ws: &Workspace,
    cur_path: &str,
    cur_text: &str,
) -> Result<Result<BundlePlan, Unresolved>, Error> {
    use crate::model::data::parse_json;
    let pol = &ws.policy.spec;
    let root = match parse_json(cur_text) {
        Ok(n) => n,
        Err(e) => {
            return Ok(Err(Unresolved {
                path: cur_path.to_string(),
                line: e.line,
                span: char_span(cur_text, e.offset),
                message: format!(
                    "{cur_path} starts with `{{` but is not valid JSON (line {}, column {}: {}): no current Master Spec can be read",
                    e.line, e.column, e.message
                ),
                help: None,
            }))
        }
    };
    let whole = char_span(cur_text, 0);
    let Some((ptr, node)) = pol
        .current_manifest_pointers
        .iter()
        .find_map(|p| root.pointer(p).map(|n| (p, n)))
    else {
        return Ok(Err(Unresolved::at(
            cur_path,
            cur_text,
            whole,
            format!(
                "{cur_path} is JSON but has none of {}: it names no spec manifest",
                list_pointers(&pol.current_manifest_pointers)
            ),
        )
        .help(format!(
            "name the manifest at one of those pointers (policy spec.current_manifest_pointers); a JSON {cur_path} is read only as JSON"
        ))));
    };
    let Some(raw) = node.as_str() else {
        return Ok(Err(Unresolved::at(
            cur_path,
            cur_text,
            node.span,
            format!("`{ptr}` in {cur_path} is not a string naming the spec manifest"),
        )));
    };
    let Some(manifest) = normalize_repo_path("", raw) else {
        return Ok(Err(Unresolved::at(
            cur_path,
            cur_text,
            node.span,
            format!("`{ptr}` in {cur_path} (`{raw}`) is not a path inside the repository"),
        )));
    };
    let Some(mtf) = ws.text(&manifest)? else {
        return Ok(Err(Unresolved::at(
            cur_path,
            cur_text,
            node.span,
            format!(
                "`{ptr}` in {cur_path} names the spec manifest {manifest}, which does not exist"
            ),
        )));
    };
    let mtext = mtf.text.clone();
    let mroot = match parse_json(&mtext) {
        Ok(n) => n,
        Err(e) => {
            return Ok(Err(Unresolved {
                path: manifest.clone(),
                line: e.line,
                span: char_span(&mtext, e.offset),
                message: format!(
                    "the spec manifest {manifest} (named by {cur_path}) is not valid JSON (line {}, column {}: {})",
                    e.line, e.column, e.message
                ),
                help: None,
            }))
        }
    };
    let mptr = &pol.manifest_modules_pointer;
    let Some(list) = mroot.pointer(mptr) else {
        return Ok(Err(Unresolved::at(
            &manifest,
            &mtext,
            char_span(&mtext, 0),
            format!("the spec manifest {manifest} has no module list at `{mptr}`"),
        )
        .help(
            "set policy spec.manifest_modules_pointer to where the manifest lists its modules"
                .into(),
        )));
    };
    let Some(items) = list.as_array() else {
        return Ok(Err(Unresolved::at(
            &manifest,
            &mtext,
            list.span,
            format!("`{mptr}` in the spec manifest {manifest} is not an array of modules"),
        )));
    };
    if items.is_empty() {
        return Ok(Err(Unresolved::at(
            &manifest,
            &mtext,
            list.span,
            format!("the spec manifest {manifest} lists no modules at `{mptr}`"),
        )));
    }
    let base = match pol.module_paths_from.as_str() {
        "manifest" => dir_of(&manifest).to_string(),
        "repository" => String::new(),
        other => {
            return Err(Error::Usage(format!(
                "spec.module_paths_from = `{other}`: expected \"manifest\" or \"repository\""
            )))
        }
    };
    let pptr = &pol.module_path_pointer;
    let mut modules = Vec::with_capacity(items.len());
    for (k, item) in items.iter().enumerate() {
        let Some(pnode) = item.pointer(pptr) else {
            return Ok(Err(Unresolved::at(
                &manifest,
                &mtext,
                item.span,
                format!("module {k} of the spec manifest {manifest} has no path at `{pptr}`"),
            )
            .help(
                "set policy spec.module_path_pointer to where a module entry gives its file".into(),
            )));
        };
        let Some(p) = pnode.as_str() else {
            return Ok(Err(Unresolved::at(
                &manifest,
                &mtext,
                pnode.span,
                format!("module {k} of the spec manifest {manifest}: `{pptr}` is not a string"),
            )));
        };
        let Some(path) = normalize_repo_path(&base, p) else {
            return Ok(Err(Unresolved::at(
                &manifest,
                &mtext,
                pnode.span,
                format!("module {k} of the spec manifest {manifest}: `{p}` is not a path inside the repository"),
            )));
        };
        if !ws.files.exists(&path)? {
            return Ok(Err(Unresolved::at(
                &manifest,
                &mtext,
                pnode.span,
                format!("the spec manifest {manifest} lists module `{p}` ({path}), which does not exist"),
            )
            .help(format!(
                "module paths are relative to {} (policy spec.module_paths_from = \"{}\")",
                if base.is_empty() { "the repository root".to_string() } else { base.clone() },
                pol.module_paths_from
            ))));
        }
        modules.push(path);
    }
    let version = pol
        .bundle_version_pointers
        .iter()
        .find_map(|p| mroot.pointer(p).and_then(|n| n.as_str()))
        .or_else(|| {
            pol.bundle_version_pointers
                .iter()
                .find_map(|p| root.pointer(p).and_then(|n| n.as_str()))
        })
        .map(str::to_string);
    Ok(Ok(BundlePlan {
        manifest,
        manifest_text: mtext,
        version,
        modules,
    }))
}

/// The span of the character at byte `offset` (empty at the end of the text).
fn char_span(text: &str, offset: usize) -> Span {
    let end = text
        .get(offset..)
        .and_then(|rest| rest.chars().next())
        .map(|c| offset + c.len_utf8())
        .unwrap_or(offset);
    Span::new(offset, end)
}

fn list_pointers(ptrs: &[String]) -> String {
    if ptrs.is_empty() {
        return "the pointers (spec.current_manifest_pointers is empty)".to_string();
    }
    ptrs.iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The last index built: reused while the same decoded texts (same `Arc`s, i.e. the same
/// [`Workspace`] or the same blobs through the run's parse cache) and rule-id pattern are
/// asked for, so a run indexes the spec (every module of a bundle) once even when several
/// checks (spec, phase) load it.
static LAST: std::sync::Mutex<Option<(String, Arc<LoadedSpec>)>> = std::sync::Mutex::new(None);

fn rule_id_regex(ws: &Workspace) -> Result<Regex, Error> {
    regex::RegexBuilder::new(&ws.policy.spec.rule_id_pattern)
        .size_limit(ws.policy.limits.regex_size_limit)
        .build()
        .map_err(|e| Error::Usage(format!("spec.rule_id_pattern: {e}")))
}

/// Loads and indexes the current spec (`Ok(None)` when SPEC_CURRENT names no existing file
/// or a bundle that cannot be resolved; `check_current` reports why).
pub fn load(ws: &Workspace) -> Result<Option<Arc<LoadedSpec>>, Error> {
    match locate(ws)?.1 {
        Current::File {
            found: Some(path), ..
        } => load_file(ws, path),
        Current::Bundle(Ok(plan)) => load_bundle(ws, plan),
        _ => Ok(None),
    }
}

fn load_file(ws: &Workspace, path: String) -> Result<Option<Arc<LoadedSpec>>, Error> {
    let Some(tf) = ws.text(&path)? else {
        return Ok(None);
    };
    let pattern = ws.policy.spec.rule_id_pattern.clone();
    if let Ok(guard) = LAST.lock() {
        if let Some((pat, hit)) = guard.as_ref() {
            if *pat == pattern
                && hit.bundle.is_none()
                && hit.path == path
                && Arc::ptr_eq(&hit.text, &tf.text)
            {
                return Ok(Some(hit.clone()));
            }
        }
    }
    let re = rule_id_regex(ws)?;
    let t0 = std::time::Instant::now();
    let index = SpecIndex::build_with(&tf.text, &re);
    let loaded = Arc::new(LoadedSpec {
        path,
        text: tf.text.clone(),
        index,
        build_time: t0.elapsed(),
        bundle: None,
    });
    if let Ok(mut guard) = LAST.lock() {
        *guard = Some((pattern, loaded.clone()));
    }
    Ok(Some(loaded))
}

fn load_bundle(ws: &Workspace, plan: BundlePlan) -> Result<Option<Arc<LoadedSpec>>, Error> {
    let mut sources: Vec<Arc<str>> = Vec::with_capacity(plan.modules.len() + 1);
    sources.push(plan.manifest_text.clone());
    for m in &plan.modules {
        let Some(tf) = ws.text(m)? else {
            return Ok(None);
        };
        sources.push(tf.text.clone());
    }
    let pattern = ws.policy.spec.rule_id_pattern.clone();
    if let Ok(guard) = LAST.lock() {
        if let Some((pat, hit)) = guard.as_ref() {
            let same = hit.bundle.as_ref().is_some_and(|b| {
                b.manifest == plan.manifest
                    && b.modules.len() == plan.modules.len()
                    && b.modules
                        .iter()
                        .zip(&plan.modules)
                        .all(|(a, p)| a.path == *p)
                    && b.sources.len() == sources.len()
                    && b.sources
                        .iter()
                        .zip(&sources)
                        .all(|(a, s)| Arc::ptr_eq(a, s))
            });
            if *pat == pattern && same {
                return Ok(Some(hit.clone()));
            }
        }
    }
    let re = rule_id_regex(ws)?;
    let t0 = std::time::Instant::now();
    let total: usize = sources[1..].iter().map(|s| s.len() + 1).sum();
    let mut text = String::with_capacity(total);
    let mut line = 1usize;
    let mut modules = Vec::with_capacity(plan.modules.len());
    let mut breaks = Vec::with_capacity(plan.modules.len());
    for (path, src) in plan.modules.iter().zip(&sources[1..]) {
        let (fm_bytes, fm_lines) = frontmatter_len(src);
        let skip = if fm_bytes > 0 {
            fm_bytes
        } else if src.starts_with('\u{feff}') {
            '\u{feff}'.len_utf8()
        } else {
            0
        };
        let body = src.get(skip..).unwrap_or("");
        let start = text.len();
        breaks.push(start);
        text.push_str(body);
        if !body.is_empty() && !body.ends_with('\n') {
            text.push('\n');
        }
        modules.push(SpecModule {
            path: path.clone(),
            range: Span::new(start, text.len()),
            first_line: line,
            file_line: fm_lines + 1,
        });
        line += text[start..].bytes().filter(|&b| b == b'\n').count();
    }
    let index = SpecIndex::build_parts(&text, &re, &breaks);
    let loaded = Arc::new(LoadedSpec {
        path: plan.manifest.clone(),
        text: text.into(),
        index,
        build_time: t0.elapsed(),
        bundle: Some(SpecBundle {
            manifest: plan.manifest,
            version: plan.version,
            modules,
            sources,
        }),
    });
    if let Ok(mut guard) = LAST.lock() {
        *guard = Some((pattern, loaded.clone()));
    }
    Ok(Some(loaded))
}

/// The path of the current spec file, when SPEC_CURRENT names an existing one; of a
/// bundle that resolves, its manifest.
pub fn current_spec_path(ws: &Workspace) -> Result<Option<String>, Error> {
    Ok(match locate(ws)?.1 {
        Current::File { found, .. } => found,
        Current::Bundle(Ok(plan)) => Some(plan.manifest),
        _ => None,
    })
}

/// The repository files of the current spec: the spec file, or a bundle's manifest and
/// every module file (empty when SPEC_CURRENT resolves to nothing).
pub fn current_spec_files(ws: &Workspace) -> Result<Vec<String>, Error> {
    Ok(match locate(ws)?.1 {
        Current::File { found, .. } => found.into_iter().collect(),
        Current::Bundle(Ok(plan)) => std::iter::once(plan.manifest).chain(plan.modules).collect(),
        _ => Vec::new(),
    })
}

// ---------------------------------------------------------------------------------------------
// Rules

/// Repository-level spec rules: `spec.current-missing`, `spec.not-latest`, and the anchor
/// and DONE_MEANS rules over every packet.
pub fn check(ws: &Workspace, out: &mut Emitter) -> Result<(), Error> {
    check_current(ws, out)?;
    let Some(spec) = load(ws)? else { return Ok(()) };
    // Archived (superseded) packets keep their historical anchors; they are not checked.
    let board = crate::rules::board::load(ws)?;
    let live: Vec<Packet> = ws
        .packets()?
        .iter()
        .filter(|p| !crate::rules::board::is_archived(p, board.as_deref(), &ws.policy.board))
        .cloned()
        .collect();
    check_packets(&live, &spec, &ws.policy.spec, out)
}

/// `spec.current-missing` and `spec.not-latest`.
pub fn check_current(ws: &Workspace, out: &mut Emitter) -> Result<(), Error> {
    let (cur_path, current) = locate(ws)?;
    let (named, found) = match current {
        Current::Absent => {
            out.emit(
                diag(
                    "spec.current-missing",
                    format!("{cur_path} does not exist: no current Master Spec is declared"),
                )
                .with_path(&cur_path),
            );
            return Ok(());
        }
        Current::Bundle(Ok(plan)) => {
            if let Some(newer) = newer_bundle(ws, &plan.manifest)? {
                let text = ws.text(&cur_path)?;
                let (line, span) = text
                    .as_ref()
                    .and_then(|t| {
                        let at = t.text.find(plan.manifest.as_str())?;
                        Some((
                            crate::text::line_of(&t.text, at),
                            Span::new(at, at + plan.manifest.len()),
                        ))
                    })
                    .unwrap_or((1, Span::new(0, 0)));
                out.emit(
                    diag(
                        "spec.not-latest",
                        format!(
                            "{cur_path} names the bundle `{}` but a newer version exists: {newer}",
                            plan.manifest
                        ),
                    )
                    .at(&cur_path, line, span)
                    .with_help(format!("point {cur_path} at `{newer}`")),
                );
            }
            return Ok(());
        }
        Current::Bundle(Err(u)) => {
            let mut d = diag("spec.current-missing", u.message).at(&u.path, u.line, u.span);
            if let Some(h) = u.help {
                d = d.with_help(h);
            }
            out.emit(d);
            return Ok(());
        }
        Current::File { named, found } => (named, found),
    };
    let Some((name, line, span)) = named else {
        let len = ws.text(&cur_path)?.map(|t| t.text.len()).unwrap_or(0);
        out.emit(
            diag(
                "spec.current-missing",
                format!("{cur_path} names no spec file (expected a bold `**<Spec>_vNN.NNN.md**`)"),
            )
            .at(&cur_path, 1, Span::new(0, len.min(1))),
        );
        return Ok(());
    };
    let Some(found) = found else {
        out.emit(
            diag(
                "spec.current-missing",
                format!("{cur_path} names `{name}`, which does not exist in the repository"),
            )
            .at(&cur_path, line, span)
            .with_help(format!(
                "searched {} and the directory of {cur_path}; add the file or fix the name",
                ws.policy
                    .spec
                    .search_dirs
                    .iter()
                    .map(|d| if d.is_empty() {
                        "the repository root".to_string()
                    } else {
                        d.clone()
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        );
        return Ok(());
    };
    let Some(cv) = parse_spec_version(&found) else {
        return Ok(());
    };
    let mut newest: Option<(Vec<u64>, String)> = None;
    for f in ws.files.list("")? {
        let Some(v) = parse_spec_version(&f) else {
            continue;
        };
        if v.stem == cv.stem && v.version > cv.version {
            let better = newest
                .as_ref()
                .map(|(nv, _)| &v.version > nv)
                .unwrap_or(true);
            if better {
                newest = Some((v.version, f));
            }
        }
    }
    if let Some((_, newer)) = newest {
        out.emit(
            diag(
                "spec.not-latest",
                format!("{cur_path} names `{name}` but a newer version exists: {newer}"),
            )
            .at(&cur_path, line, span)
            .with_help(format!(
                "point {cur_path} at `{}`",
                newer.rsplit('/').next().unwrap_or(&newer)
            )),
        );
    }
    Ok(())
}

/// A newer version of a bundle: the same manifest file in a sibling directory whose name
/// has the same stem and a higher version (`master-spec-v02.196/…` beside
/// `master-spec-v02.195/…`). Versions compare numerically, like spec files.
fn newer_bundle(ws: &Workspace, manifest: &str) -> Result<Option<String>, Error> {
    let mut parts = manifest.rsplitn(3, '/');
    let (Some(file), Some(dir), parent) = (parts.next(), parts.next(), parts.next()) else {
        return Ok(None);
    };
    let Some(cur) = parse_spec_version(&format!("bundle-{dir}.md")) else {
        return Ok(None);
    };
    let parent = parent.unwrap_or("");
    let mut newest: Option<(Vec<u64>, String)> = None;
    for f in ws.files.list(parent)? {
        let rest = if parent.is_empty() {
            f.as_str()
        } else {
            match f.strip_prefix(parent).and_then(|r| r.strip_prefix('/')) {
                Some(r) => r,
                None => continue,
            }
        };
        let Some((d, name)) = rest.split_once('/') else {
            continue;
        };
        if name != file {
            continue;
        }
        let Some(v) = parse_spec_version(&format!("bundle-{d}.md")) else {
            continue;
        };
        if v.stem == cur.stem
            && v.version > cur.version
            && newest.as_ref().map_or(true, |(nv, _)| &v.version > nv)
        {
            newest = Some((v.version, f.clone()));
        }
    }
    Ok(newest.map(|(_, f)| f))
}

/// Compiles `spec.non_main_body_titles`.
pub fn title_regexes(policy: &SpecPolicy) -> Result<Vec<Regex>, Error> {
    policy
        .non_main_body_titles
        .iter()
        .map(|r| {
            Regex::new(r).map_err(|e| Error::Usage(format!("spec.non_main_body_titles `{r}`: {e}")))
        })
        .collect()
}

/// Is heading `i` outside the Main Body? Returns the reason.
pub fn non_main_body_reason(index: &SpecIndex, i: usize, policy: &SpecPolicy) -> Option<String> {
    let res = title_regexes(policy).unwrap_or_default();
    non_main_body_reason_with(index, i, policy, &res)
}

/// [`non_main_body_reason`] with compiled title regexes.
pub fn non_main_body_reason_with(
    index: &SpecIndex,
    i: usize,
    policy: &SpecPolicy,
    title_res: &[Regex],
) -> Option<String> {
    reason_in(index, i, policy, title_res, &|c| index.describe(c))
}

/// [`non_main_body_reason_with`] naming headings with `describe`.
fn reason_in(
    index: &SpecIndex,
    i: usize,
    policy: &SpecPolicy,
    title_res: &[Regex],
    describe: &dyn Fn(usize) -> String,
) -> Option<String> {
    let mut chain = vec![i];
    chain.extend(index.ancestors(i));
    for re in title_res {
        for &c in &chain {
            if re.is_match(&index.headings[c].title) {
                return Some(format!("it lies under {}", describe(c)));
            }
        }
    }
    if !policy.main_body.is_empty() {
        // The deepest canonical number in the chain decides.
        let num = chain
            .iter()
            .find(|&&c| index.headings[c].canonical)
            .and_then(|&c| index.headings[c].number.clone())
            .or_else(|| index.headings[i].top.clone());
        let inside = num
            .as_deref()
            .map(|n| policy.main_body.iter().any(|p| number_under(n, p)))
            .unwrap_or(false);
        if !inside {
            return Some(format!(
                "it is outside the Main Body (sections {})",
                policy.main_body.join(", ")
            ));
        }
    }
    None
}

/// `2.3.12` is under `2` and `2.3` (component boundaries), not under `2.31`.
pub fn number_under(n: &str, prefix: &str) -> bool {
    let n = n.trim_start_matches('A');
    let p = prefix.trim_start_matches('A').trim_end_matches('.');
    n == p || (n.starts_with(p) && n[p.len()..].starts_with('.'))
}

/// Anchor rules over parsed packets: `spec.anchor-missing`, `spec.anchor-roadmap`,
/// `spec.anchor-malformed`, `spec.anchor-title-mismatch`, `spec.done-means-unmapped`.
pub fn check_packets(
    packets: &[Packet],
    spec: &LoadedSpec,
    policy: &SpecPolicy,
    out: &mut Emitter,
) -> Result<(), Error> {
    let title_res = title_regexes(policy)?;
    for p in packets {
        for a in &p.spec_anchors {
            check_anchor(p, a, spec, policy, &title_res, out);
        }
        if policy.require_done_means_mapping {
            check_done_means(p, out);
        }
    }
    Ok(())
}

fn looks_like_rule_id(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty()
        && s.contains('-')
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
        && s.chars()
            .next()
            .map(|c| c.is_ascii_uppercase())
            .unwrap_or(false)
}

/// Is `(t)` written right after the number (`2.6.6.7.14.6(B)`, `§5.2(3)`) with `t` a
/// short item label (a letter, a number, a roman numeral)?
fn is_item_label(raw: &str, t: &str) -> bool {
    let t = t.trim();
    if t.is_empty() || t.len() > 4 || !t.chars().all(|c| c.is_ascii_alphanumeric()) {
        return false;
    }
    let label = format!("({t})");
    raw.match_indices(&label).any(|(i, _)| {
        raw[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_digit())
    })
}

fn check_anchor(
    p: &Packet,
    a: &Anchor,
    spec: &LoadedSpec,
    policy: &SpecPolicy,
    title_res: &[Regex],
    out: &mut Emitter,
) {
    let index = &spec.index;
    // In a bundle, `module.md#2.3.13.9` resolves in that module only.
    let scoped = spec
        .bundle
        .as_ref()
        .and_then(|b| module_ref(&a.raw).map(|r| (b, r)));
    let number = scoped
        .as_ref()
        .and_then(|(_, (_, n))| n.as_deref())
        .or(a.number.as_deref());
    let Some(number) = number else {
        out.emit(
            diag(
                "spec.anchor-malformed",
                format!("SPEC_ANCHOR `{}` has no section number", a.raw),
            )
            .at(&p.path, a.line, a.span)
            .with_wp(&p.id),
        );
        return;
    };
    // The anchor's title may really be a rule id: `(ACE-RAG-001)`.
    let mut rule_ids: Vec<String> = a.rule_ids.clone();
    let title = match a.title.as_deref() {
        Some(t) if looks_like_rule_id(t) => {
            rule_ids.push(t.trim().to_string());
            None
        }
        // `2.6.6.7.14.6(B)`: an item of the section, not its title.
        Some(t) if is_item_label(&a.raw, t) => None,
        Some(t) => Some(t),
        None => None,
    };
    let mut cands = index.candidates(number);
    if let Some((b, (name, _))) = &scoped {
        let Some(m) = b.modules.iter().find(|m| m.name() == name.as_str()) else {
            let names: Vec<&str> = b.modules.iter().map(|m| m.name()).collect();
            out.emit(
                diag(
                    "spec.anchor-missing",
                    format!(
                        "SPEC_ANCHOR `{}` names module `{name}`, which is not a module of the current spec bundle ({})",
                        a.raw, b.manifest
                    ),
                )
                .at(&p.path, a.line, a.span)
                .with_wp(&p.id)
                .with_help(format!("the modules are {}", shown_list(&names, 20))),
            );
            return;
        };
        let all = std::mem::take(&mut cands);
        cands = all
            .iter()
            .copied()
            .filter(|&i| {
                let s = index.headings[i].span.start;
                m.range.start <= s && s < m.range.end
            })
            .collect();
        if cands.is_empty() {
            let mut d = diag(
                "spec.anchor-missing",
                format!(
                    "SPEC_ANCHOR §{} does not exist in module {}",
                    normalize_number(number),
                    m.path
                ),
            )
            .at(&p.path, a.line, a.span)
            .with_wp(&p.id);
            if let Some(&i) = all.first() {
                d = d.with_help(format!(
                    "§{} is {} (anchor `{}#{}`)",
                    normalize_number(number),
                    spec.describe(i),
                    spec.module_at(index.headings[i].span.start)
                        .map(|m| m.name())
                        .unwrap_or(""),
                    normalize_number(number)
                ));
            }
            out.emit(d);
            return;
        }
    }
    if cands.is_empty() {
        let mut d = diag(
            "spec.anchor-missing",
            format!(
                "SPEC_ANCHOR §{} does not exist in {}",
                normalize_number(number),
                spec.path
            ),
        )
        .at(&p.path, a.line, a.span)
        .with_wp(&p.id);
        let mut help = Vec::new();
        if let Some(h) = where_now(spec, title, &rule_ids) {
            help.push(h);
        }
        if let Some(i) = nearest_parent(index, number) {
            let mut s = format!("the nearest existing section is {}", spec.describe(i));
            if let Some(r) = reason_in(index, i, policy, title_res, &|c| spec.describe(c)) {
                s.push_str(&format!(" (not Main Body: {r})"));
            }
            help.push(s);
        }
        if !help.is_empty() {
            d = d.with_help(help.join("; "));
        }
        out.emit(d);
        return;
    }
    // Pick the candidate that carries the title and rule ids, else the best one.
    let fits = |i: usize| {
        title
            .map(|t| title_matches(&index.headings[i].title, t))
            .unwrap_or(true)
            && rule_ids
                .iter()
                .all(|r| index.section_has_rule_id(&spec.text, i, r))
    };
    let chosen = cands.iter().copied().find(|&i| fits(i));
    let target = chosen.unwrap_or(cands[0]);
    if chosen.is_none() {
        let mut what = Vec::new();
        if let Some(t) = title {
            if !cands
                .iter()
                .any(|&i| title_matches(&index.headings[i].title, t))
            {
                what.push(format!("title `{t}`"));
            }
        }
        for r in &rule_ids {
            if !cands
                .iter()
                .any(|&i| index.section_has_rule_id(&spec.text, i, r))
            {
                what.push(format!("rule id `{r}`"));
            }
        }
        if what.is_empty() {
            what.push("title and rule ids together".to_string());
        }
        let mut d = diag(
            "spec.anchor-title-mismatch",
            format!(
                "SPEC_ANCHOR `{}`: {} does not carry the {}",
                a.raw,
                spec.describe(target),
                what.join(" and ")
            ),
        )
        .at(&p.path, a.line, a.span)
        .with_wp(&p.id);
        if let Some(h) = where_now(spec, title, &rule_ids) {
            d = d.with_help(h);
        }
        out.emit(d);
    }
    if let Some(reason) = reason_in(index, target, policy, title_res, &|c| spec.describe(c)) {
        out.emit(
            diag(
                "spec.anchor-roadmap",
                format!(
                    "SPEC_ANCHOR `{}` resolves to {}, which is not Main Body: {reason}",
                    a.raw,
                    spec.describe(target)
                ),
            )
            .at(&p.path, a.line, a.span)
            .with_wp(&p.id),
        );
    }
}

/// The module a SPEC_ANCHOR names in `module.md#2.3.13.9` form: the module's file name
/// (whatever directories precede it: anchors often name an older bundle's directory) and
/// the number after `#`, if there is one.
fn module_ref(raw: &str) -> Option<(String, Option<String>)> {
    let at = raw.find(".md#")?;
    let before = &raw[..at];
    let start = before
        .char_indices()
        .rev()
        .find(|&(_, c)| {
            c.is_whitespace() || matches!(c, '(' | '[' | ',' | ';' | '`' | '<' | '"' | '\'' | '*')
        })
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or(0);
    let path = &raw[start..at + 3];
    let name = path.rsplit('/').next().unwrap_or(path);
    if name == ".md" {
        return None;
    }
    let rest = raw[at + 4..]
        .trim_start()
        .trim_start_matches('§')
        .trim_start();
    let len = rest
        .char_indices()
        .find(|&(k, c)| !(c.is_ascii_digit() || c == '.' || (k == 0 && c == 'A')))
        .map(|(k, _)| k)
        .unwrap_or(rest.len());
    let number = rest[..len].trim_end_matches('.');
    let number = number
        .bytes()
        .any(|b| b.is_ascii_digit())
        .then(|| number.to_string());
    Some((name.to_string(), number))
}

/// `a, b, c` of at most `max` items, then `… (N more)`.
fn shown_list(items: &[&str], max: usize) -> String {
    let mut s = items
        .iter()
        .take(max)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > max {
        s.push_str(&format!(", … ({} more)", items.len() - max));
    }
    s
}

/// The closest existing ancestor number of a missing one (`7.6.3.7` → `7.6.3`).
fn nearest_parent(index: &SpecIndex, number: &str) -> Option<usize> {
    let mut n = normalize_number(number);
    while let Some(p) = n.rfind('.') {
        n.truncate(p);
        if let Some(&i) = index.candidates(&n).first() {
            return Some(i);
        }
    }
    None
}

/// "now at §2.3.13.1" help for a title / rule ids that moved.
fn where_now(spec: &LoadedSpec, title: Option<&str>, rule_ids: &[String]) -> Option<String> {
    let index = &spec.index;
    let text: &str = &spec.text;
    let mut parts = Vec::new();
    if let Some(t) = title {
        let found = index.find_title(t);
        if let Some(&i) = found.first() {
            parts.push(format!("title `{t}` is now at {}", spec.describe(i)));
        }
    }
    for r in rule_ids {
        let mut found = index.find_rule_id(r);
        if found.is_empty() {
            // Unbracketed mention: first occurrence.
            if let Some(pos) = find_word(text, r) {
                let k = index.headings.partition_point(|h| h.span.start <= pos);
                if k > 0 {
                    found.push(k - 1);
                }
            }
        }
        if let Some(&i) = found.first() {
            parts.push(format!("rule id `{r}` is now at {}", spec.describe(i)));
        }
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("; "))
    }
}

fn find_word(hay: &str, needle: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(p) = hay[from..].find(needle) {
        let s = from + p;
        if contains_word(&hay[s..s + needle.len()], needle) {
            let before_ok = hay[..s]
                .chars()
                .next_back()
                .map(|c| !(c.is_alphanumeric() || c == '-'))
                .unwrap_or(true);
            let after_ok = hay[s + needle.len()..]
                .chars()
                .next()
                .map(|c| !(c.is_alphanumeric() || c == '-'))
                .unwrap_or(true);
            if before_ok && after_ok {
                return Some(s);
            }
        }
        from = s + needle.len();
    }
    None
}

/// `spec.done-means-unmapped` for one packet.
pub fn check_done_means(p: &Packet, out: &mut Emitter) {
    let numbers: Vec<&str> = p
        .spec_anchors
        .iter()
        .filter_map(|a| a.number.as_deref())
        .collect();
    if numbers.is_empty() {
        return;
    }
    for dm in &p.done_means {
        if !numbers.iter().any(|n| cites(&dm.value, n)) {
            out.emit(
                diag(
                    "spec.done-means-unmapped",
                    format!(
                        "DONE_MEANS item `{}` cites none of the anchors ({})",
                        dm.value.trim(),
                        numbers
                            .iter()
                            .map(|n| format!("§{}", normalize_number(n)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .at(&p.path, dm.line, dm.span)
                .with_wp(&p.id),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Frozen spec (diff level)

/// How a path changed in a change set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Modified,
    Deleted,
    /// The path is the old name of a renamed file.
    Renamed,
}

/// Glob match of a packet id against a pattern (`*` and `?` only).
pub fn id_glob(pattern: &str, id: &str) -> bool {
    crate::glob::cached_matcher(pattern).is_some_and(|m| m.is_match(id))
}

/// `spec.frozen`: the current spec is never modified; adding a new spec version or changing
/// SPEC_CURRENT needs a spec-update packet. `ws` is the state before the change.
pub fn check_frozen(
    changed: &[(&str, ChangeKind)],
    bound_wp: Option<&str>,
    ws: &Workspace,
    out: &mut Emitter,
) -> Result<(), Error> {
    let (cur_path, current) = locate(ws)?;
    let (spec_path, bundle) = match current {
        Current::File { found, .. } => (found, None),
        Current::Bundle(Ok(plan)) => (None, Some(plan)),
        _ => (None, None),
    };
    let bundle_files: std::collections::HashSet<&str> = bundle
        .iter()
        .flat_map(|b| {
            std::iter::once(b.manifest.as_str()).chain(b.modules.iter().map(String::as_str))
        })
        .collect();
    let stem = spec_path
        .as_deref()
        .and_then(parse_spec_version)
        .map(|v| v.stem);
    let is_update = bound_wp
        .map(|w| id_glob(&ws.policy.spec.update_packet_pattern, w))
        .unwrap_or(false);
    let pat = &ws.policy.spec.update_packet_pattern;
    for &(path, kind) in changed {
        if Some(path) == spec_path.as_deref() && kind != ChangeKind::Added {
            out.emit(
                diag(
                    "spec.frozen",
                    format!(
                        "the current Master Spec {path} is frozen ({}); it must not be {}",
                        cur_path,
                        match kind {
                            ChangeKind::Deleted => "deleted",
                            ChangeKind::Renamed => "renamed",
                            _ => "modified",
                        }
                    ),
                )
                .with_path(path)
                .with_opt_wp(bound_wp)
                .with_help(format!(
                    "add a new version (e.g. the next `_vNN.NNN.md`) and repoint {cur_path} under a packet matching `{pat}`"
                )),
            );
            continue;
        }
        if kind != ChangeKind::Added && bundle_files.contains(path) {
            // A bundle is changed in place, but only under a spec-update packet.
            if !is_update {
                let manifest = bundle.as_ref().map(|b| b.manifest.as_str()).unwrap_or("");
                out.emit(
                    diag(
                        "spec.frozen",
                        format!(
                            "{path} is part of the current spec bundle ({manifest}, named by {cur_path}) and is frozen; it must not be {} outside a spec-update packet",
                            match kind {
                                ChangeKind::Deleted => "deleted",
                                ChangeKind::Renamed => "renamed",
                                _ => "modified",
                            }
                        ),
                    )
                    .with_path(path)
                    .with_opt_wp(bound_wp)
                    .with_help(format!(
                        "change the spec bundle under a packet whose id matches `{pat}` (bound: {})",
                        bound_wp.unwrap_or("none")
                    )),
                );
            }
            continue;
        }
        if is_update {
            continue;
        }
        if path == cur_path {
            out.emit(
                diag(
                    "spec.frozen",
                    format!("{cur_path} changed outside a spec-update packet"),
                )
                .with_path(path)
                .with_opt_wp(bound_wp)
                .with_help(format!(
                    "repointing the current spec needs a packet whose id matches `{pat}` (bound: {})",
                    bound_wp.unwrap_or("none")
                )),
            );
            continue;
        }
        if kind == ChangeKind::Added {
            if let (Some(v), Some(stem)) = (parse_spec_version(path), stem.as_deref()) {
                if v.stem == stem {
                    out.emit(
                        diag(
                            "spec.frozen",
                            format!("new spec version {path} added outside a spec-update packet"),
                        )
                        .with_path(path)
                        .with_opt_wp(bound_wp)
                        .with_help(format!(
                            "spec versions are added under a packet whose id matches `{pat}` (bound: {})",
                            bound_wp.unwrap_or("none")
                        )),
                    );
                }
            }
        }
    }
    Ok(())
}
