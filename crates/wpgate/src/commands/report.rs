//! `wpgate report --html FILE`: one self-contained HTML page (inline CSS and SVG, no
//! external assets) for a lead: phase progress (packets by status), the dependency graph
//! with blocked chains highlighted, each packet's scope / lock / anchor state, open
//! waivers with their expiry, and the findings of `check --repo`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use wpgate_core::gate::repo_rules;
use wpgate_core::model::waiver::{Date, Expiry, Waiver};
use wpgate_core::report::Severity;
use wpgate_core::rules::deps::{self, Graph};
use wpgate_core::rules::waiver;
use wpgate_core::rules::Emitter;
use wpgate_core::source::{WorkTree, Workspace};
use wpgate_core::{Error, Packet, Report};

use crate::context::{attach_sources, Ctx};

/// HTML-escapes text for content and attribute values (the XML escaping of the JUnit
/// renderer serves HTML too).
pub fn esc(s: &str) -> String {
    wpgate_core::report::junit::xml_escape(s)
}

/// Per-packet facts shown in the report.
struct Row<'a> {
    p: &'a Packet,
    status: String,
    validated: bool,
    blocked_by: Vec<String>,
    digest: Option<bool>,
    anchor_findings: usize,
    findings: usize,
}

fn phase_of(id: &str) -> String {
    id.split('-')
        .nth(1)
        .filter(|s| s.chars().all(|c| c.is_ascii_digit()) && !s.is_empty())
        .map(|s| s.to_string())
        .unwrap_or_else(|| "?".into())
}

/// Unvalidated dependencies of `id`, transitively (cycle-safe).
fn blockers(id: &str, g: &Graph, validated: &dyn Fn(&str) -> bool) -> Vec<String> {
    let mut out = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut stack = vec![id.to_string()];
    while let Some(n) = stack.pop() {
        if !seen.insert(n.clone()) {
            continue;
        }
        for e in g.deps_of(&n) {
            if !validated(&e.to) {
                out.insert(e.to.clone());
            }
            stack.push(e.to.clone());
        }
    }
    out.remove(id);
    out.into_iter().collect()
}

/// Longest-path layer of each node (dependencies to the left), cycle-safe.
fn layers(g: &Graph) -> BTreeMap<String, usize> {
    let mut level: BTreeMap<String, usize> = g.nodes.iter().map(|n| (n.clone(), 0)).collect();
    // Bellman-Ford style relaxation, bounded by the node count (cycles stop growing).
    for _ in 0..g.nodes.len().min(64) {
        let mut changed = false;
        for (from, edges) in &g.edges {
            for e in edges {
                let want = level.get(&e.to).copied().unwrap_or(0) + 1;
                let cur = level.entry(from.clone()).or_insert(0);
                if want > *cur && want <= g.nodes.len() {
                    *cur = want;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    level
}

fn svg_graph(g: &Graph, rows: &BTreeMap<String, &Row>) -> String {
    const W: usize = 230;
    const H: usize = 34;
    const GX: usize = 70;
    const GY: usize = 18;
    let level = layers(g);
    // Only packets in a dependency relation are drawn; the rest are counted below the graph.
    let mut connected: BTreeSet<&String> = BTreeSet::new();
    for (from, edges) in &g.edges {
        for e in edges {
            connected.insert(from);
            connected.insert(&e.to);
        }
    }
    let mut columns: BTreeMap<usize, Vec<&String>> = BTreeMap::new();
    for n in g.nodes.iter().filter(|n| connected.contains(n)) {
        columns
            .entry(level.get(n).copied().unwrap_or(0))
            .or_default()
            .push(n);
    }
    let mut pos: BTreeMap<&String, (usize, usize)> = BTreeMap::new();
    let mut max_rows = 1;
    for (c, ns) in &columns {
        max_rows = max_rows.max(ns.len());
        for (r, n) in ns.iter().enumerate() {
            pos.insert(n, (10 + c * (W + GX), 10 + r * (H + GY)));
        }
    }
    let width = 20 + columns.len().max(1) * (W + GX);
    let height = 20 + max_rows * (H + GY);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"deps-graph\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"Dependency graph\">\
<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#666\"/></marker>\
<marker id=\"arrow-b\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#c62828\"/></marker></defs>"
    );
    for (from, edges) in &g.edges {
        let Some(&(fx, fy)) = pos.get(from) else {
            continue;
        };
        let from_row = rows.get(from.as_str());
        for e in edges {
            let Some(&(tx, ty)) = pos.get(&e.to) else {
                continue;
            };
            let to_validated = rows
                .get(e.to.as_str())
                .map(|r| r.validated)
                .unwrap_or(false);
            let blocked = from_row.map(|r| !r.validated).unwrap_or(false) && !to_validated;
            let (x1, y1) = (fx, fy + H / 2);
            let (x2, y2) = (tx + W, ty + H / 2);
            let _ = write!(
                s,
                "<path class=\"edge{}\" d=\"M{x1},{y1} C{},{y1} {},{y2} {x2},{y2}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" marker-end=\"url(#{})\"><title>{} depends on {}</title></path>",
                if blocked { " blocked" } else { "" },
                x1.saturating_sub(GX / 2),
                x2 + GX / 2,
                if blocked { "#c62828" } else { "#888" },
                if blocked { 2.5 } else { 1.2 },
                if blocked { "arrow-b" } else { "arrow" },
                esc(from),
                esc(&e.to)
            );
        }
    }
    for (n, &(x, y)) in &pos {
        let row = rows.get(n.as_str());
        let (fill, stroke, class) = match row {
            None => ("#f5f5f5", "#9e9e9e", "node missing"),
            Some(r) if r.validated => ("#e8f5e9", "#2e7d32", "node validated"),
            Some(r) if !r.blocked_by.is_empty() => ("#ffebee", "#c62828", "node blocked"),
            Some(_) => ("#e3f2fd", "#1565c0", "node open"),
        };
        let status = row.map(|r| r.status.as_str()).unwrap_or("no packet");
        let label: String = n.chars().take(30).collect();
        let _ = write!(
            s,
            "<g class=\"{class}\"><rect x=\"{x}\" y=\"{y}\" width=\"{W}\" height=\"{H}\" rx=\"6\" fill=\"{fill}\" stroke=\"{stroke}\"{}/>\
<text x=\"{}\" y=\"{}\" font-size=\"12\" font-family=\"sans-serif\">{}</text><title>{} — {}</title></g>",
            if row.is_none() { " stroke-dasharray=\"4 3\"" } else { "" },
            x + 8,
            y + H / 2 + 4,
            esc(&label),
            esc(n),
            esc(status)
        );
    }
    s.push_str("</svg>");
    let alone = g.nodes.len() - connected.len();
    if alone > 0 {
        let _ = write!(
            s,
            "<p class=\"muted\" id=\"deps-isolated\">{alone} packet{} without dependencies in either direction not drawn.</p>",
            if alone == 1 { "" } else { "s" }
        );
    }
    s
}

const CSS: &str = "body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{margin:0 0 4px}h2{margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
.muted{color:#666}.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:10px 16px;min-width:120px}
.card b{display:block;font-size:28px}.err b{color:#c62828}.warn b{color:#ef6c00}.ok b{color:#2e7d32}
table{border-collapse:collapse;background:#fff;width:100%;font-size:14px}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f0f0f0}
.bar{display:flex;height:18px;border-radius:4px;overflow:hidden;background:#eee;min-width:240px}
.bar span{display:block;height:100%}.graph{overflow:auto;background:#fff;border:1px solid #ddd;border-radius:8px;padding:8px}
.sev-error{color:#c62828;font-weight:600}.sev-warning{color:#ef6c00}.sev-note{color:#666}
code{font-size:12px}.legend span{display:inline-block;padding:1px 8px;margin-right:6px;border-radius:4px;border:1px solid}
";

const STATUS_COLORS: &[&str] = &[
    "#2e7d32", "#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#9e9d24", "#5d4037", "#546e7a",
];

pub fn render(
    ws: &Workspace,
    findings: &Report,
    waivers: &[Waiver],
    today: Date,
) -> Result<String, Error> {
    let packets = ws.packets()?;
    let board = wpgate_core::rules::board::load(ws)?;
    let g = deps::graph(ws)?;
    let validated_of = |id: &str| deps::is_validated(id, packets, board.as_deref(), ws.policy).0;
    let mut rows: Vec<Row> = Vec::new();
    for p in packets {
        let status = p
            .status
            .as_ref()
            .map(|s| s.value.trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "(no status)".into());
        let digest = match ws.text(&p.path)? {
            Some(tf) if p.is_locked() => {
                wpgate_core::model::packet::lock::digest_matches(&tf.text, p, ws.policy)
            }
            _ => None,
        };
        let mine = findings.diagnostics.iter().filter(|d| {
            d.wp.as_deref() == Some(p.id.as_str()) || d.path.as_deref() == Some(p.path.as_str())
        });
        let (mut anchor_findings, mut n) = (0, 0);
        for d in mine {
            if d.severity == Severity::Note {
                continue;
            }
            n += 1;
            if d.rule.starts_with("spec.") {
                anchor_findings += 1;
            }
        }
        let validated = validated_of(&p.id);
        rows.push(Row {
            p,
            status,
            validated,
            blocked_by: if validated {
                vec![]
            } else {
                blockers(&p.id, &g, &validated_of)
            },
            digest,
            anchor_findings,
            findings: n,
        });
    }
    let by_id: BTreeMap<String, &Row> = rows.iter().map(|r| (r.p.id.clone(), r)).collect();
    let summary = findings.summary();
    let open_waivers: Vec<&Waiver> = waivers
        .iter()
        .filter(|w| !w.is_expired(today, &[]))
        .collect();
    let blocked = rows.iter().filter(|r| !r.blocked_by.is_empty()).count();
    let validated = rows.iter().filter(|r| r.validated).count();
    let locked = rows.iter().filter(|r| r.p.is_locked()).count();

    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>wpgate report</title><style>{CSS}</style></head><body>\
<h1>wpgate governance report</h1><p class=\"muted\">Generated {today} by wpgate {}; policy layout: packets in <code>{}</code>.</p>\
<div class=\"cards\">\
<div class=\"card\"><b id=\"count-packets\">{}</b>packets</div>\
<div class=\"card ok\"><b id=\"count-validated\">{validated}</b>validated</div>\
<div class=\"card\"><b id=\"count-locked\">{locked}</b>locked</div>\
<div class=\"card err\"><b id=\"count-blocked\">{blocked}</b>blocked</div>\
<div class=\"card err\"><b id=\"count-errors\">{}</b>errors</div>\
<div class=\"card warn\"><b id=\"count-warnings\">{}</b>warnings</div>\
<div class=\"card\"><b id=\"count-waivers\">{}</b>open waivers</div></div>",
        wpgate_core::VERSION,
        esc(&ws.policy.layout.packets_dir),
        rows.len(),
        summary.errors,
        summary.warnings,
        open_waivers.len()
    );

    // Phase progress.
    let mut statuses: Vec<String> = rows.iter().map(|r| r.status.clone()).collect();
    statuses.sort();
    statuses.dedup();
    let color = |s: &str| {
        let i = statuses.iter().position(|x| x == s).unwrap_or(0);
        STATUS_COLORS[i % STATUS_COLORS.len()]
    };
    let mut phases: BTreeMap<String, Vec<&Row>> = BTreeMap::new();
    for r in &rows {
        phases.entry(phase_of(&r.p.id)).or_default().push(r);
    }
    h.push_str("<h2>Phase progress</h2><p class=\"legend\">");
    for s in &statuses {
        let _ = write!(
            h,
            "<span style=\"border-color:{0};color:{0}\">{1}</span>",
            color(s),
            esc(s)
        );
    }
    h.push_str("</p><table id=\"phases\"><tr><th>Phase</th><th>Packets</th><th>Validated</th><th>By status</th></tr>");
    for (ph, rs) in &phases {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for r in rs {
            *counts.entry(r.status.as_str()).or_default() += 1;
        }
        let v = rs.iter().filter(|r| r.validated).count();
        let _ = write!(
            h,
            "<tr data-phase=\"{0}\"><td>Phase {0}</td><td>{1}</td><td>{v} / {1}</td><td><div class=\"bar\">",
            esc(ph),
            rs.len()
        );
        for (s, n) in &counts {
            let _ = write!(
                h,
                "<span style=\"width:{:.2}%;background:{}\" title=\"{}: {n}\"></span>",
                100.0 * *n as f64 / rs.len() as f64,
                color(s),
                esc(s)
            );
        }
        h.push_str("</div></td></tr>");
    }
    h.push_str("</table>");

    // Dependency graph.
    let _ = write!(
        h,
        "<h2>Dependencies</h2><p class=\"muted\">Arrows point from a packet to what it depends on. \
<span class=\"sev-error\">Red</span>: a blocked chain (a packet waiting on unvalidated work). \
Green: validated. Dashed: named but no packet file.</p><div class=\"graph\">{}</div>",
        svg_graph(&g, &by_id)
    );

    // Packets.
    h.push_str("<h2>Packets</h2><table id=\"packets\"><tr><th>Packet</th><th>Status</th><th>Scope</th><th>Lock</th><th>Spec anchors</th><th>Blocked by</th><th>Findings</th></tr>");
    for r in &rows {
        let scope: Vec<String> =
            r.p.in_scope_paths
                .iter()
                .take(6)
                .map(|f| format!("<code>{}</code>", esc(&f.value)))
                .collect();
        let more = r.p.in_scope_paths.len().saturating_sub(6);
        let lock = match (r.p.is_locked(), r.digest) {
            (false, _) => "<span class=\"sev-warning\">not locked</span>".to_string(),
            (true, Some(false)) => {
                "<span class=\"sev-error\">locked, digest mismatch</span>".into()
            }
            (true, Some(true)) => {
                format!("locked ({}), digest ok", esc(r.p.signature().unwrap_or("")))
            }
            (true, None) => format!("locked ({})", esc(r.p.signature().unwrap_or(""))),
        };
        let anchors: Vec<String> =
            r.p.spec_anchors
                .iter()
                .map(|a| esc(a.number.as_deref().unwrap_or(&a.raw)))
                .collect();
        let anchor_state = if r.p.spec_anchors.is_empty() {
            "<span class=\"sev-warning\">none</span>".to_string()
        } else if r.anchor_findings > 0 {
            format!(
                "{} <span class=\"sev-error\">({} problem{})</span>",
                anchors.join(", "),
                r.anchor_findings,
                if r.anchor_findings == 1 { "" } else { "s" }
            )
        } else {
            format!("{} ✓", anchors.join(", "))
        };
        let _ = write!(
            h,
            "<tr data-wp=\"{}\"><td><code>{}</code></td><td>{}</td><td>{}{}</td><td>{lock}</td><td>{anchor_state}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.p.id),
            esc(&r.p.id),
            esc(&r.status),
            scope.join(" "),
            if more > 0 { format!(" +{more}") } else { String::new() },
            if r.blocked_by.is_empty() {
                String::new()
            } else {
                format!("<span class=\"sev-error\">{}</span>", esc(&r.blocked_by.join(", ")))
            },
            r.findings
        );
    }
    h.push_str("</table>");

    // Waivers.
    h.push_str("<h2>Open waivers</h2>");
    if open_waivers.is_empty() {
        h.push_str("<p class=\"muted\">No open waivers.</p>");
    } else {
        h.push_str("<table id=\"waivers\"><tr><th>Id</th><th>Rule</th><th>Scope</th><th>Reason</th><th>Approved</th><th>Expires</th></tr>");
        for w in &open_waivers {
            let scope: Vec<String> = w.paths.iter().chain(w.wps.iter()).map(|s| esc(s)).collect();
            let expires = match &w.expires {
                Some(e) => {
                    let soon = match e {
                        Expiry::Date(d) => {
                            let days = d.days_since_epoch() - today.days_since_epoch();
                            if days <= 14 {
                                format!(
                                    " <span class=\"sev-warning\">(in {days} day{})</span>",
                                    if days == 1 { "" } else { "s" }
                                )
                            } else {
                                format!(" <span class=\"muted\">(in {days} days)</span>")
                            }
                        }
                        Expiry::Phase(_) => String::new(),
                    };
                    format!("{}{soon}", esc(&e.to_string()))
                }
                None => "<span class=\"sev-warning\">never</span>".into(),
            };
            let _ = write!(
                h,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{} by {}</td><td>{expires}</td></tr>",
                esc(&w.id),
                esc(&w.rule),
                scope.join(", "),
                esc(&w.reason),
                w.approved,
                esc(&w.approved_by)
            );
        }
        h.push_str("</table>");
    }

    // Findings.
    let _ = write!(
        h,
        "<h2>Findings of <code>wpgate check --repo</code></h2><p>{} error{}, {} warning{}.</p>",
        summary.errors,
        if summary.errors == 1 { "" } else { "s" },
        summary.warnings,
        if summary.warnings == 1 { "" } else { "s" }
    );
    if !findings.diagnostics.is_empty() {
        h.push_str("<table id=\"findings\"><tr><th>Severity</th><th>Rule</th><th>Location</th><th>Packet</th><th>Message</th></tr>");
        for d in &findings.diagnostics {
            let loc = match (&d.path, d.line) {
                (Some(p), Some(l)) => format!("{p}:{l}"),
                (Some(p), None) => p.clone(),
                _ => String::new(),
            };
            let _ = write!(
                h,
                "<tr class=\"finding\"><td class=\"sev-{0}\">{0}</td><td><code>{1}</code></td><td><code>{2}</code></td><td>{3}</td><td>{4}{5}</td></tr>",
                d.severity,
                esc(&d.rule),
                esc(&loc),
                esc(d.wp.as_deref().unwrap_or("")),
                esc(&d.message),
                d.waiver.as_ref().map(|w| format!(" <span class=\"muted\">(waived by {})</span>", esc(w))).unwrap_or_default()
            );
        }
        h.push_str("</table>");
    }
    // A small self-check: the page marks itself rendered (tests read it from the DOM).
    h.push_str("<script>document.body.setAttribute('data-rendered', String(document.querySelectorAll('#packets tr[data-wp]').length));</script>");
    h.push_str("</body></html>\n");
    Ok(h)
}

pub fn run(ctx: &Ctx, html: &Path) -> Result<u8, Error> {
    let tree = WorkTree::new(&ctx.root);
    let ws = Workspace::new(&ctx.policy, &tree);
    let mut out = Emitter::new(&ctx.policy);
    repo_rules(&ws, &mut out)?;
    let mut report = out.finish();
    waiver::apply_from(&ws, &mut report, true)?;
    attach_sources(&ws, &mut report);
    report.sort();
    let mut scratch = Emitter::new(&ctx.policy);
    let waivers = waiver::load(&ws, &mut scratch)?;
    let today = Date::today()?;
    let page = render(&ws, &report, &waivers, today)?;
    std::fs::write(html, page).map_err(|e| Error::Io {
        path: html.display().to_string(),
        source: e,
    })?;
    let s = report.summary();
    println!(
        "wrote {} ({} packets, {} errors, {} warnings)",
        html.display(),
        ws.packets()?.len(),
        s.errors,
        s.warnings
    );
    Ok(0)
}
