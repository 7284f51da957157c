//! `wpgate report --html`: a self-contained page, rendered in headless Chromium (Debian's
//! `chromium`): no console errors, the expected counts. Skipped with a note when Chromium
//! is not installed.
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn chromium() -> Option<PathBuf> {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(o) = Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
        {
            let p = String::from_utf8_lossy(&o.stdout).trim().to_string();
            if o.status.success() && !p.is_empty() {
                return Some(PathBuf::from(p));
            }
        }
    }
    None
}

/// Loads `page` headless; returns (DOM after scripts, console error lines).
fn load(chrome: &Path, page: &Path, profile: &Path) -> (String, Vec<String>) {
    let out = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    let console: Vec<String> = err
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .map(str::to_string)
        .collect();
    (String::from_utf8_lossy(&out.stdout).to_string(), console)
}

const SECOND: &str = "# Task Packet: WP-1-Api-Jobs

## Metadata
- TASK_ID: WP-1-Api-Jobs
- STATUS: Ready for Dev

## Scope
- **IN_SCOPE_PATHS**:
  - src/api/
- **DEPENDENCIES**: WP-1-Storage-Layer
";

#[test]
fn html_report_renders_in_headless_chromium_with_the_expected_counts() {
    let r = governed();
    r.write("docs/task_packets/WP-1-Api-Jobs.md", SECOND);
    r.write(
        "docs/WAIVERS.toml",
        "[[waiver]]\nid = \"WVR-001\"\nrule = \"content.*\"\npaths = [\"src/legacy/**\"]\nreason = \"Legacy <module> & co\"\napproved_by = \"lead\"\napproved = \"2026-01-01\"\nexpires = \"2999-12-31\"\n",
    );
    let page = r.dir.path().join("report.html");
    let out = wpgate(&r.path)
        .args(["report", "--html", page.to_str().unwrap()])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let html = std::fs::read_to_string(&page).unwrap();
    // Self-contained: no external assets.
    for bad in ["<link", "src=\"http", "href=\"http", "@import", "url(http"] {
        assert!(!html.contains(bad), "external asset `{bad}`");
    }
    assert!(html.contains("<svg") && html.contains("WP-1-Api-Jobs"));
    assert!(
        html.contains("Legacy &lt;module&gt; &amp; co"),
        "escaped waiver reason"
    );

    let Some(chrome) = chromium() else {
        eprintln!("note: chromium is not installed; skipping the headless rendering (`apt-get install chromium`)");
        return;
    };
    let profile = r.dir.path().join("chrome-profile");
    let (dom, console) = load(&chrome, &page, &profile);
    assert!(console.is_empty(), "console errors: {console:#?}");
    assert!(
        dom.contains("data-rendered=\"2\""),
        "the page script ran: {dom}"
    );
    assert!(dom.contains("id=\"count-packets\">2<"), "{dom}");
    assert!(
        dom.contains("id=\"count-blocked\">1<"),
        "WP-1-Api-Jobs waits on an unvalidated packet"
    );
    assert!(dom.contains("id=\"count-waivers\">1<"));
    assert!(
        dom.contains("class=\"edge blocked\""),
        "the blocked chain is highlighted"
    );

    // The console check can fail: a page with a script error is caught.
    let broken = r.dir.path().join("broken.html");
    std::fs::write(
        &broken,
        "<!DOCTYPE html><html><body><script>noSuchFunction();</script></body></html>",
    )
    .unwrap();
    let (_, console) = load(&chrome, &broken, &profile);
    assert!(
        !console.is_empty(),
        "a script error must show on the console"
    );
}
