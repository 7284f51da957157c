//! A measurement, not a check: how much of SCOPE the packet reader reads from the real
//! Handshake corpora, when they are present (`WPGATE_CORPUS`, default `/work/shared/corpus`).
//! Run with `cargo test -p wpgate-core --test corpus_scope -- --ignored --nocapture`;
//! `WPGATE_CORPUS_DUMP=<file>` writes every packet as read (JSON lines) for before/after diffs.

use std::io::Write;
use std::path::{Path, PathBuf};

use wpgate_core::model::packet::parse_packet;
use wpgate_core::model::text::TextFile;
use wpgate_core::policy::FieldAliases;

fn corpus() -> PathBuf {
    PathBuf::from(std::env::var("WPGATE_CORPUS").unwrap_or_else(|_| "/work/shared/corpus".into()))
}

fn md_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            md_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "md")
            && p.file_name().is_some_and(|n| n != "README.md")
        {
            out.push(p);
        }
    }
}

/// Does the raw text have a SCOPE heading or an IN_SCOPE_PATHS label line?
fn raw_scope(text: &str) -> (bool, bool) {
    let mut heading = false;
    let mut label = false;
    for l in text.lines() {
        let t = l.trim_start();
        if t.starts_with('#')
            && t.trim_start_matches('#')
                .trim()
                .eq_ignore_ascii_case("scope")
        {
            heading = true;
        }
        let u = t
            .trim_start_matches(['-', '*', ' ', '#'])
            .trim_start_matches('*');
        if u.starts_with("IN_SCOPE_PATHS") {
            label = true;
        }
    }
    (heading, label)
}

fn json_paths(md: &Path) -> Option<Vec<String>> {
    if md.file_name()? != "packet.md" {
        return None;
    }
    let j = std::fs::read_to_string(md.with_file_name("packet.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&j).ok()?;
    let arr = v.get("scope")?.get("allowed_paths")?.as_array()?;
    Some(
        arr.iter()
            .filter_map(|x| x.as_str())
            .map(|s| {
                s.trim()
                    .trim_start_matches("- ")
                    .trim_start_matches("* ")
                    .trim()
                    .to_string()
            })
            .collect(),
    )
}

#[test]
#[ignore]
fn measure_scope_reading() {
    let root = corpus();
    let aliases = FieldAliases::default();
    let mut dump = std::env::var("WPGATE_CORPUS_DUMP")
        .ok()
        .and_then(|p| std::fs::File::create(p).ok());
    for (name, sub) in [
        ("2026-01", "handshake-2026-01-01/docs/task_packets"),
        ("2026-06", "handshake-2026-06-22/.GOV/task_packets"),
    ] {
        let mut files = Vec::new();
        md_files(&root.join(sub), &mut files);
        if files.is_empty() {
            eprintln!("{name}: corpus not present");
            continue;
        }
        let (mut ins, mut outs, mut missed_h, mut missed_l, mut with_notes) = (0, 0, 0, 0, 0);
        let (mut truth_total, mut truth_read, mut truth_files, mut truth_exact) = (0, 0, 0, 0);
        for f in &files {
            let Ok(bytes) = std::fs::read(f) else {
                continue;
            };
            let rel = f.strip_prefix(&root).unwrap_or(f).display().to_string();
            let text = TextFile::decode(&rel, bytes).text.to_string();
            let p = parse_packet(&rel, &text, &aliases);
            ins += p.in_scope_paths.len();
            outs += p.out_of_scope.len();
            if !p.parse_notes.is_empty() {
                with_notes += 1;
            }
            let (h, l) = raw_scope(&text);
            let read_h = p
                .headings
                .iter()
                .any(|x| x.text.trim().eq_ignore_ascii_case("scope"));
            if h && !read_h {
                missed_h += 1;
                eprintln!("  {name} missed SCOPE heading: {rel}");
                if std::env::var("WPGATE_CORPUS_VERBOSE").is_ok() {
                    for x in &p.headings {
                        eprintln!("      heading line {}: {}", x.line, x.text);
                    }
                }
            }
            if l && !p.has_field("in_scope_paths") {
                missed_l += 1;
                eprintln!("  {name} missed IN_SCOPE_PATHS label: {rel}");
            }
            if let Some(truth) = json_paths(f) {
                let read: Vec<&str> = p.in_scope_paths.iter().map(|x| x.value.as_str()).collect();
                truth_files += 1;
                truth_total += truth.len();
                let hit = truth.iter().filter(|t| read.contains(&t.as_str())).count();
                truth_read += hit;
                if hit == truth.len() && read.len() == truth.len() {
                    truth_exact += 1;
                }
                for t in &truth {
                    if !read.contains(&t.as_str()) {
                        eprintln!("      not read: {t}");
                    }
                }
                eprintln!(
                    "  {name} truth {rel}: {hit}/{} json paths read ({} read)",
                    truth.len(),
                    read.len()
                );
            }
            if let Some(d) = dump.as_mut() {
                let js = serde_json::to_string(&p).unwrap_or_default();
                let _ = writeln!(d, "{js}");
            }
        }
        println!(
            "{name}: {} files; IN_SCOPE_PATHS entries {ins}, OUT_OF_SCOPE entries {outs}; \
             SCOPE heading missed in {missed_h}, IN_SCOPE_PATHS label missed in {missed_l}; \
             files with parse notes {with_notes}; packet.json truth: {truth_read}/{truth_total} \
             paths read, {truth_exact}/{truth_files} packets exact",
            files.len()
        );
    }
}
