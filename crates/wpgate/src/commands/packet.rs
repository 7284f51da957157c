//! `wpgate packet check|new|lock|verify|list`: task packet tooling.

use serde::Serialize;
use std::sync::Arc;
use wpgate_core::model::packet::Format as PacketFormat;
use wpgate_core::policy::DEFAULT_TEMPLATE;
use wpgate_core::report::Format;
use wpgate_core::rules::{self, Emitter};
use wpgate_core::source::{Resolved, WorkTree, Workspace};
use wpgate_core::{Error, Packet};

use crate::cli::PacketCmd;
use crate::context::{attach_sources, Ctx};

/// JSON shape of `packet list`.
#[derive(Serialize)]
struct PacketRow<'a> {
    id: &'a str,
    path: &'a str,
    status: Option<&'a str>,
    risk_tier: Option<&'a str>,
    locked: bool,
    signature: Option<&'a str>,
    in_scope_paths: Vec<&'a str>,
    out_of_scope: Vec<&'a str>,
    spec_anchors: Vec<String>,
    /// `active`, `stub` or `archive` (the kind of the packet's root).
    kind: &'a str,
    /// `markdown`, `json` or `toml`.
    format: &'a str,
    /// The Markdown projection of a structured packet.
    #[serde(skip_serializing_if = "Option::is_none")]
    projection: Option<&'a str>,
    microtasks: Vec<MicrotaskRow<'a>>,
}

/// JSON shape of one microtask in `packet list`.
#[derive(Serialize)]
struct MicrotaskRow<'a> {
    id: &'a str,
    path: &'a str,
    status: Option<&'a str>,
    in_scope_paths: Vec<&'a str>,
    out_of_scope: Vec<&'a str>,
    depends_on: Vec<&'a str>,
}

fn packet_row(p: &Packet) -> PacketRow<'_> {
    PacketRow {
        kind: p.kind.as_str(),
        format: p.format.as_str(),
        projection: p.projection.as_deref(),
        microtasks: p
            .microtasks
            .iter()
            .map(|m| MicrotaskRow {
                id: &m.id,
                path: &m.path,
                status: m.status.as_ref().map(|f| f.value.as_str()),
                in_scope_paths: m.in_scope_paths.iter().map(|f| f.value.as_str()).collect(),
                out_of_scope: m.out_of_scope.iter().map(|f| f.value.as_str()).collect(),
                depends_on: m.depends_on.iter().map(|f| f.value.as_str()).collect(),
            })
            .collect(),
        id: &p.id,
        path: &p.path,
        status: p.status.as_ref().map(|f| f.value.as_str()),
        risk_tier: p.risk_tier.as_ref().map(|f| f.value.as_str()),
        locked: p.is_locked(),
        signature: p.signature(),
        in_scope_paths: p.in_scope_paths.iter().map(|f| f.value.as_str()).collect(),
        out_of_scope: p.out_of_scope.iter().map(|f| f.value.as_str()).collect(),
        spec_anchors: p
            .spec_anchors
            .iter()
            .map(|a| a.number.clone().unwrap_or_else(|| a.raw.clone()))
            .collect(),
    }
}

/// The packet a command names: its identity, an alias, or a unique short id. A missing
/// or ambiguous one is a usage error (exit 2) naming what there is.
pub(crate) fn find(ws: &Workspace, id: &str) -> Result<Arc<Packet>, Error> {
    match ws.lookup(id)? {
        Resolved::Found(p) => Ok(p),
        Resolved::Ambiguous(ids) => Err(Error::Usage(format!(
            "`{id}` names {} packets: {}; give the full id",
            ids.len(),
            ids.join(", ")
        ))),
        Resolved::Missing => {
            let hint = ws
                .packets()?
                .iter()
                .find(|p| p.task_id.as_ref().is_some_and(|t| t.value == id))
                .map(|p| {
                    format!(
                        "; {} has TASK_ID {id}, but a packet's id is its file name: `{}`",
                        p.path, p.id
                    )
                })
                .unwrap_or_default();
            let roots: Vec<String> = ws
                .policy
                .layout
                .roots()
                .iter()
                .flat_map(|r| r.include.clone())
                .collect();
            Err(Error::Usage(format!(
                "no packet {id} in {} (`wpgate packet list` lists them){hint}",
                roots.join(", ")
            )))
        }
    }
}

/// The packets a command names: one (read alone), or all of them (borrowed, not copied).
fn select<'w>(
    ws: &'w Workspace,
    wp: Option<&str>,
    all: bool,
) -> Result<Vec<std::borrow::Cow<'w, Packet>>, Error> {
    use std::borrow::Cow;
    match (wp, all) {
        (Some(id), false) => Ok(vec![Cow::Owned(find(ws, id)?.as_ref().clone())]),
        (None, true) | (None, false) => Ok(ws.packets()?.iter().map(Cow::Borrowed).collect()),
        (Some(_), true) => Err(Error::Usage("give a packet id or --all, not both".into())),
    }
}

/// Runs one `packet` subcommand.
pub fn run(ctx: &Ctx, cmd: PacketCmd) -> Result<u8, Error> {
    let tree = WorkTree::new(&ctx.root);
    let ws = Workspace::new(&ctx.policy, &tree);
    match cmd {
        PacketCmd::List => {
            let packets = ws.packets()?;
            match ctx.format {
                Format::Json => {
                    #[derive(Serialize)]
                    struct Doc<'a> {
                        packets: Vec<PacketRow<'a>>,
                    }
                    let doc = Doc {
                        packets: packets.iter().map(packet_row).collect(),
                    };
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&doc)
                            .map_err(|e| Error::Usage(e.to_string()))?
                    );
                }
                _ => {
                    let kinds = packets.iter().any(|p| {
                        p.kind != wpgate_core::model::packet::PacketKind::Active
                            || !p.microtasks.is_empty()
                    });
                    if kinds {
                        println!(
                            "{:<44} {:<7} {:<16} {:<7} {:<7} {:>5} {:>4}",
                            "ID", "KIND", "STATUS", "RISK", "LOCKED", "PATHS", "MTS"
                        );
                    } else {
                        println!(
                            "{:<44} {:<16} {:<7} {:<7} {:>5}",
                            "ID", "STATUS", "RISK", "LOCKED", "PATHS"
                        );
                    }
                    for p in packets {
                        let r = packet_row(p);
                        if kinds {
                            println!(
                                "{:<44} {:<7} {:<16} {:<7} {:<7} {:>5} {:>4}",
                                r.id,
                                r.kind,
                                truncate(r.status.unwrap_or("-"), 16),
                                r.risk_tier.unwrap_or("-"),
                                if r.locked { "yes" } else { "no" },
                                r.in_scope_paths.len(),
                                r.microtasks.len()
                            );
                        } else {
                            println!(
                                "{:<44} {:<16} {:<7} {:<7} {:>5}",
                                r.id,
                                truncate(r.status.unwrap_or("-"), 16),
                                r.risk_tier.unwrap_or("-"),
                                if r.locked { "yes" } else { "no" },
                                r.in_scope_paths.len()
                            );
                        }
                    }
                    println!("{} packets", packets.len());
                }
            }
            Ok(0)
        }
        PacketCmd::Check { wp, all } => {
            if wp.is_none() && !all {
                return Err(Error::Usage(
                    "give a packet id (`wpgate packet check WP-1-Foo`) or --all".into(),
                ));
            }
            let selected = select(&ws, wp.as_deref(), all)?;
            let mut out = Emitter::new(&ctx.policy);
            for p in &selected {
                rules::packet::check_in(p, &ws, &mut out)?;
            }
            let mut report = out.finish();
            attach_sources(&ws, &mut report);
            report.sort();
            ctx.emit_report(&report)
        }
        PacketCmd::Verify { wp, all } => {
            let selected = select(&ws, wp.as_deref(), all)?;
            let mut out = Emitter::new(&ctx.policy);
            let mut verified = 0;
            let mut without = Vec::new();
            for p in &selected {
                if let Some(tf) = ws.text(&p.path)? {
                    match wpgate_core::model::packet::lock::digest_matches(&tf.text, p, &ctx.policy)
                    {
                        Some(_) => verified += 1,
                        None => without.push(p.id.as_str()),
                    }
                    wpgate_core::rules::lock::check_digest(&tf.text, p, &ctx.policy, &mut out);
                }
            }
            let mut report = out.finish();
            attach_sources(&ws, &mut report);
            report.sort();
            if ctx.format == Format::Human {
                eprintln!(
                    "verified {verified} lock digest{}; {} packet{} without a digest{}",
                    if verified == 1 { "" } else { "s" },
                    without.len(),
                    if without.len() == 1 { "" } else { "s" },
                    if without.is_empty() || selected.len() > 1 {
                        String::new()
                    } else {
                        format!(" ({})", without.join(", "))
                    }
                );
            }
            ctx.emit_report(&report)
        }
        PacketCmd::New { wp, format } => new(ctx, &ws, &wp, format.0),
        PacketCmd::Lock { wp, signature } => lock(ctx, &ws, &wp, &signature),
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// `packet new WP [--format md|toml|json]`: the packet file, from the template (Markdown)
/// or in wpgate's structured format ([`structured_packet`]); a taken id names the next free
/// one. A structured packet no packet root would find is refused.
pub fn new(ctx: &Ctx, ws: &Workspace, wp: &str, format: PacketFormat) -> Result<u8, Error> {
    let re = regex::Regex::new(&ctx.policy.packet.id_pattern)
        .map_err(|e| Error::Usage(format!("policy packet.id_pattern: {e}")))?;
    if !re.is_match(wp) {
        return Err(Error::Usage(format!(
            "`{wp}` is not a packet id (policy packet.id_pattern `{}`; e.g. WP-1-Job-Cancel)",
            ctx.policy.packet.id_pattern
        )));
    }
    let dir = ctx.policy.layout.packets_dir.trim_end_matches('/');
    let ext = match format {
        PacketFormat::Markdown => "md",
        PacketFormat::Toml => "toml",
        PacketFormat::Json => "json",
    };
    let rel = format!("{dir}/{wp}.{ext}");
    if format != PacketFormat::Markdown {
        let roots = wpgate_core::model::packet::discovery::Roots::new(&ctx.policy)?;
        if roots.root_of(&rel).is_none() {
            return Err(Error::Usage(not_in_a_root(ctx, dir, &rel, ext)));
        }
    }
    // An id is taken by a packet in any format (packets are never reused).
    let taken = |id: &str| -> Result<bool, Error> {
        let on_disk = ["md", "toml", "json"]
            .iter()
            .any(|e| ctx.root.join(format!("{dir}/{id}.{e}")).exists());
        Ok(on_disk || ws.packet(id)?.is_some())
    };
    if taken(wp)? {
        let mut n = 2;
        let base = strip_variant(wp);
        let next = loop {
            let cand = format!("{base}-v{n}");
            if !taken(&cand)? {
                break cand;
            }
            n += 1;
        };
        let again = match format {
            PacketFormat::Markdown => String::new(),
            _ => format!(" --format {ext}"),
        };
        eprintln!(
            "wpgate: packet {wp} already exists; packets are never reused. The next free id is {next}:\n  wpgate packet new {next}{again}"
        );
        return Ok(1);
    }
    let body = match format {
        PacketFormat::Markdown => {
            let template = match ws.text(&ws.resolve(&ctx.policy.layout.template))? {
                Some(t) => t.text.to_string(),
                None => DEFAULT_TEMPLATE.to_string(),
            };
            let today = wpgate_core::model::waiver::today_string();
            template
                .replace("WP-{phase}-{short-name}", wp)
                .replace("WP-{phase}-{name}", wp)
                .replace("WP-{ID}", wp)
                .replace("{ISO 8601 timestamp}", &today)
        }
        structured => structured_packet(wp, structured),
    };
    let path = ctx.root.join(&rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::Io {
            path: parent.display().to_string(),
            source: e,
        })?;
    }
    std::fs::write(&path, body).map_err(|e| Error::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    println!("created {rel}");
    println!("next: fill in the placeholders, add it to the task board, then `wpgate packet check {wp}` and `wpgate packet lock {wp} --signature <signature>`");
    Ok(0)
}

/// Why a structured packet at `rel` is refused: no packet root includes it, and the glob
/// that would.
fn not_in_a_root(ctx: &Ctx, dir: &str, rel: &str, ext: &str) -> String {
    let layout = &ctx.policy.layout;
    let name_glob = match layout.packet_glob.strip_suffix(".md") {
        Some(stem) if layout.packet_roots.is_empty() => format!("{stem}.{ext}"),
        _ => format!("WP-*.{ext}"),
    };
    let glob = if dir.is_empty() {
        name_glob
    } else {
        format!("{dir}/{name_glob}")
    };
    let now: Vec<String> = layout
        .roots()
        .iter()
        .flat_map(|r| r.include.iter().cloned())
        .collect();
    let how = if layout.packet_roots.is_empty() {
        let md = now.first().cloned().unwrap_or_default();
        format!(
            "with no `layout.packet_roots` the only root is `layout.packets_dir`/`layout.packet_glob` (`{md}`); declare the roots in wpgate.toml:\n  [[layout.packet_roots]]\n  include = [\"{md}\", \"{glob}\"]"
        )
    } else {
        format!("add `{glob}` to the `include` of a `[[layout.packet_roots]]`")
    };
    format!(
        "{rel} would be in no packet root (the roots include {}), so no command would find the packet; {how}",
        now.iter()
            .map(|g| format!("`{g}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// A value of a new structured packet.
enum Val {
    Str(String),
    List(Vec<String>),
    Table(Vec<(&'static str, Val)>),
}

/// A new packet in wpgate's structured format (the default `[packet.pointers]`, the schema
/// of `wpgate schema packet`): every field present, with the Markdown template's
/// placeholders, not locked (an empty `lock.signature`).
fn structured_packet(wp: &str, format: PacketFormat) -> String {
    use Val::{List, Str, Table};
    let s = |v: &str| Str(v.to_string());
    let l = |v: &[&str]| List(v.iter().map(|i| i.to_string()).collect());
    let doc: Vec<(&'static str, Val)> =
        vec![
        ("id", s(wp)),
        ("title", Str(format!("Task Packet: {wp}"))),
        ("status", s("Ready for Dev")),
        ("risk_tier", s("{LOW | MEDIUM | HIGH}")),
        ("what", s("{1-2 sentence description}")),
        ("why", s("{Business/technical rationale}")),
        (
            "scope",
            Table(vec![
                ("in", l(&["{specific file path}", "{another specific file path}"])),
                ("out", l(&["{what NOT to change}", "{deferred work}"])),
            ]),
        ),
        ("spec_anchors", l(&["§{section} ({requirement})"])),
        (
            "done_means",
            l(&[
                "{Specific criterion mapped to SPEC_ANCHOR, e.g. MUST: … (§x.y.z, requirement 1)}",
                "All tests pass",
            ]),
        ),
        ("test_plan", l(&["{exact command the coder MUST run}"])),
        ("rollback_hint", s("git revert <commit-sha>")),
        (
            "bootstrap",
            Table(vec![
                (
                    "files_to_open",
                    l(&["docs/SPEC_CURRENT.md", "{5-15 implementation-specific files}"]),
                ),
                (
                    "search_terms",
                    l(&["{key symbol/function}", "{10-20 grep targets}"]),
                ),
                ("run_commands", l(&["{startup and validation commands}"])),
                (
                    "risk_map",
                    l(&[
                        "\"{failure mode}\" -> {affected subsystem}",
                        "\"{3-8 failure modes}\" -> {affected subsystem}",
                    ]),
                ),
            ]),
        ),
        ("depends_on", l(&[])),
        ("blocks", l(&[])),
        ("effort", s("{estimate in hours}")),
        ("aliases", l(&[])),
        ("microtasks", l(&[])),
        ("lock", Table(vec![("signature", s("")), ("digest", s(""))])),
    ];
    match format {
        PacketFormat::Toml => toml_text(&doc),
        _ => json_text(&doc),
    }
}

/// A string literal: JSON's escapes are also TOML basic-string escapes.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{}\"", s.escape_default()))
}

fn list_text(items: &[String], indent: &str) -> String {
    if items.is_empty() {
        return "[]".into();
    }
    let inner: Vec<String> = items
        .iter()
        .map(|i| format!("{indent}  {}", quoted(i)))
        .collect();
    format!("[\n{}\n{indent}]", inner.join(",\n"))
}

fn json_text(doc: &[(&'static str, Val)]) -> String {
    fn object(fields: &[(&'static str, Val)], indent: &str) -> String {
        let inner = format!("{indent}  ");
        let lines: Vec<String> = fields
            .iter()
            .map(|(k, v)| {
                let value = match v {
                    Val::Str(s) => quoted(s),
                    Val::List(items) => list_text(items, &inner),
                    Val::Table(t) => object(t, &inner),
                };
                format!("{inner}{}: {value}", quoted(k))
            })
            .collect();
        format!("{{\n{}\n{indent}}}", lines.join(",\n"))
    }
    format!("{}\n", object(doc, ""))
}

fn toml_text(doc: &[(&'static str, Val)]) -> String {
    let mut top = String::from(
        "# wpgate task packet (wpgate's structured format: `wpgate schema packet`).\n",
    );
    let mut tables = String::new();
    for (k, v) in doc {
        match v {
            Val::Str(s) => top.push_str(&format!("{k} = {}\n", quoted(s))),
            Val::List(items) => top.push_str(&format!("{k} = {}\n", list_text(items, ""))),
            Val::Table(t) => {
                tables.push_str(&format!("\n[{k}]\n"));
                for (tk, tv) in t {
                    let value = match tv {
                        Val::Str(s) => quoted(s),
                        Val::List(items) => list_text(items, ""),
                        // The format nests one level only.
                        Val::Table(_) => continue,
                    };
                    tables.push_str(&format!("{tk} = {value}\n"));
                }
            }
        }
    }
    top + &tables
}

/// `WP-1-Foo-v2` → `WP-1-Foo`.
fn strip_variant(id: &str) -> &str {
    if let Some(i) = id.rfind("-v") {
        if id[i + 2..].chars().all(|c| c.is_ascii_digit()) && i + 2 < id.len() {
            return &id[..i];
        }
    }
    id
}

/// `packet lock WP --signature SIG`: signature footer, lock digest, audit record.
pub fn lock(ctx: &Ctx, ws: &Workspace, wp: &str, signature: &str) -> Result<u8, Error> {
    let packet = find(ws, wp)?;
    let packet = packet.as_ref();
    let signature = signature.trim();
    if wpgate_core::rules::lock::is_real_lock(packet, &ctx.policy)? {
        eprintln!(
            "wpgate: {wp} is already locked (signature {}); a locked packet is immutable: create a variant packet instead",
            packet.signature().unwrap_or("?")
        );
        return Ok(1);
    }
    let sig_re = regex::Regex::new(&ctx.policy.signatures.pattern)
        .map_err(|e| Error::Usage(format!("policy signatures.pattern: {e}")))?;
    if !sig_re.is_match(signature) {
        eprintln!(
            "wpgate: signature `{signature}` does not match the policy's signature pattern `{}` ({{username}}{{DDMMYYYYHHMM}})",
            ctx.policy.signatures.pattern
        );
        return Ok(1);
    }
    if let Some(place) = wpgate_core::rules::signature::is_used(signature, ws)? {
        eprintln!("wpgate: signature `{signature}` is already used ({place}); each signature is used once");
        return Ok(1);
    }
    let Some(tf) = ws.text(&packet.path)? else {
        return Err(Error::Usage(format!("cannot read {}", packet.path)));
    };
    if tf.invalid_utf8_line.is_some() {
        return Err(Error::input(
            &packet.path,
            tf.invalid_utf8_line.unwrap_or(1),
            "the packet is not valid UTF-8; fix its encoding before locking",
        ));
    }
    let text = tf.text.to_string();
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let today = wpgate_core::model::waiver::today_string();
    let mut new_text = text.clone();
    // Replace a placeholder metadata signature in place.
    if let Some(lock) = &packet.lock {
        let s = lock.signature.span;
        if s.end <= new_text.len() && lock.footer_end.is_none() {
            new_text.replace_range(s.start..s.end, signature);
        }
    }
    let footer = format!(
        "{nl}---{nl}{nl}**Last Updated:** {today}{nl}**User Signature Locked:** {signature}{nl}"
    );
    // A placeholder footer is replaced; otherwise the footer goes before any appended report.
    let reparsed = wpgate_core::parse_packet(&packet.path, &new_text, &ctx.policy.packet.fields);
    let insert_at = match reparsed
        .lock
        .as_ref()
        .and_then(|l| l.footer_end.map(|e| (l, e)))
    {
        Some((l, _)) => {
            let s = l.signature.span;
            new_text.replace_range(s.start..s.end, signature);
            None
        }
        None => Some(wpgate_core::model::packet::lock::locked_end(
            &new_text,
            &reparsed,
            &ctx.policy,
        )),
    };
    if let Some(at) = insert_at {
        let mut at = at.min(new_text.len());
        while !new_text.is_char_boundary(at) {
            at -= 1;
        }
        let before = new_text[..at].trim_end().len();
        let tail = new_text[at..].to_string();
        new_text.truncate(before);
        new_text.push_str(nl);
        new_text.push_str(&footer);
        if !tail.trim().is_empty() {
            new_text.push_str(nl);
            new_text.push_str(tail.trim_start());
        }
    }
    // Digest of the locked content, written right after the footer line.
    let locked = wpgate_core::parse_packet(&packet.path, &new_text, &ctx.policy.packet.fields);
    let Some(footer_end) = locked.lock.as_ref().and_then(|l| l.footer_end) else {
        return Err(Error::Usage(format!(
            "wrote a lock footer to {} but could not read it back; the packet format is not understood by the policy's field aliases",
            packet.path
        )));
    };
    let digest = wpgate_core::model::packet::lock::digest(
        &wpgate_core::model::packet::lock::locked_content(&new_text, &locked, &ctx.policy),
    );
    new_text.insert_str(footer_end, &format!("**Lock Digest:** {digest}{nl}"));
    let path = ctx.root.join(&packet.path);
    std::fs::write(&path, &new_text).map_err(|e| Error::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    println!("locked {} with signature {signature}", packet.path);
    println!("lock digest {digest}");
    let audit_path = ws.resolve(&ctx.policy.layout.signature_audit);
    if let Some(audit) = ws.text(&audit_path)? {
        let spec = wpgate_core::rules::spec::load(ws)
            .ok()
            .flatten()
            .map(|s| s.path.clone());
        let spec_version = spec.as_deref().and_then(|p| {
            let name = p.rsplit('/').next().unwrap_or(p);
            let i = name.rfind("_v")?;
            Some(name[i + 1..].trim_end_matches(".md").to_string())
        });
        match wpgate_core::model::audit::record_in_audit(
            &audit.text,
            signature,
            wp,
            spec_version.as_deref(),
        ) {
            Some(updated) => {
                let p = ctx.root.join(&audit_path);
                std::fs::write(&p, updated).map_err(|e| Error::Io {
                    path: p.display().to_string(),
                    source: e,
                })?;
                println!("recorded the signature in {audit_path}");
            }
            None => println!(
                "record the signature in {audit_path} (it has no signature table; signature.unrecorded warns until it is there)"
            ),
        }
    }
    Ok(0)
}
