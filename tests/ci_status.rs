//! `wpgate ci` in GitHub Actions: range from the event, step summary, annotation overflow,
//! shallow checkouts, and the commit status posted to a real HTTP server on loopback.
mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use common::*;

const TOKEN: &str = "ghs_secretTOKEN0123456789";

#[derive(Debug, Clone)]
struct Req {
    method: String,
    path: String,
    headers: BTreeMap<String, String>,
    body: String,
}

/// A plain HTTP/1.1 server on 127.0.0.1: answers the given statuses in turn (the last one
/// repeats), records each request. Serves at most `max` connections, then stops.
fn server(statuses: Vec<u16>, max: usize) -> (String, Arc<Mutex<Vec<Req>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(Vec::new()));
    let rec = log.clone();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().take(max).enumerate() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let mut parts = line.split_whitespace();
            let method = parts.next().unwrap_or("").to_string();
            let path = parts.next().unwrap_or("").to_string();
            let mut headers = BTreeMap::new();
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                }
            }
            let len: usize = headers
                .get("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
            rec.lock().unwrap().push(Req {
                method,
                path,
                headers,
                body: String::from_utf8_lossy(&body).into_owned(),
            });
            let code = *statuses.get(n).or(statuses.last()).unwrap_or(&201);
            let reason = if code >= 500 {
                "Server Error"
            } else {
                "Created"
            };
            let resp_body = "{}";
            let _ = write!(
                stream,
                "HTTP/1.1 {code} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{resp_body}",
                resp_body.len()
            );
        }
    });
    (url, log)
}

fn ci(dir: &std::path::Path) -> assert_cmd::Command {
    let mut c = wpgate(dir);
    c.arg("ci")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GITHUB_REPOSITORY")
        .env_remove("GITHUB_API_URL")
        .env_remove("GITHUB_RUN_ID")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy");
    c
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Stderr with the renderer's line wrapping undone.
fn flat(b: &[u8]) -> String {
    text(b).split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn status_is_posted_with_retry_on_5xx_and_the_token_never_shows() {
    let r = governed();
    let base = r.head();
    let head = r.commit_files(&format!("feat: jobs [{WP}]"), &[("src/api/jobs.rs", "x\n")]);
    let (url, log) = server(vec![500, 201], 4);
    let summary = r.dir.path().join("summary.md");
    let out = ci(&r.path)
        .args([
            "--base",
            &base,
            "--head",
            "HEAD",
            "--github-status",
            "--format",
            "github",
        ])
        .args(["--status-context", "gate/wpgate"])
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_REPOSITORY", "acme/widgets")
        .env("GITHUB_API_URL", &url)
        .env("GITHUB_SERVER_URL", "https://github.example")
        .env("GITHUB_RUN_ID", "4242")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .expect("run");
    let (so, se) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "stdout={so} stderr={se}");
    let reqs = log.lock().unwrap().clone();
    assert_eq!(reqs.len(), 2, "one 500, one retry: {reqs:#?}");
    for q in &reqs {
        assert_eq!(q.method, "POST");
        assert_eq!(q.path, format!("/repos/acme/widgets/statuses/{head}"));
        assert_eq!(q.headers["authorization"], format!("Bearer {TOKEN}"));
        assert_eq!(q.headers["accept"], "application/vnd.github+json");
        assert!(q.headers["content-type"].starts_with("application/json"));
        assert!(q.headers["user-agent"].starts_with("wpgate/"));
        let body: serde_json::Value = serde_json::from_str(&q.body).expect("JSON body");
        assert_eq!(body["state"], "failure");
        assert_eq!(body["context"], "gate/wpgate");
        assert!(
            body["description"].as_str().unwrap().contains("1 error"),
            "{body}"
        );
        assert_eq!(
            body["target_url"],
            "https://github.example/acme/widgets/actions/runs/4242"
        );
    }
    assert!(se.contains("retrying"), "{se}");
    let md = std::fs::read_to_string(&summary).expect("step summary written");
    assert!(
        md.contains("## wpgate: ❌ failed") && md.contains("scope.out-of-scope"),
        "{md}"
    );
    for s in [&so, &se, &md] {
        assert!(!s.contains(TOKEN), "token leaked: {s}");
    }
}

#[test]
fn success_status_for_a_clean_range() {
    let r = governed();
    let base = r.head();
    let head = r.commit_files(
        &format!("feat: storage [{WP}]"),
        &[(
            "src/storage/mod.rs",
            "pub trait Storage { fn get(&self); }\n",
        )],
    );
    let (url, log) = server(vec![201], 2);
    let out = ci(&r.path)
        .args(["--base", &base, "--github-status"])
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_REPOSITORY", "acme/widgets")
        .env("GITHUB_API_URL", &url)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let reqs = log.lock().unwrap().clone();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].path, format!("/repos/acme/widgets/statuses/{head}"));
    let body: serde_json::Value = serde_json::from_str(&reqs[0].body).unwrap();
    assert_eq!(body["state"], "success");
    assert_eq!(body["context"], "wpgate");
}

#[test]
fn error_status_when_the_check_cannot_run_and_no_retry_on_4xx() {
    let r = governed();
    let head = r.head();
    let missing = "0123456789abcdef0123456789abcdef01234567";
    let (url, log) = server(vec![422], 4);
    let out = ci(&r.path)
        .args(["--base", missing, "--github-status"])
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_REPOSITORY", "acme/widgets")
        .env("GITHUB_API_URL", &url)
        .output()
        .expect("run");
    let se = flat(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{se}");
    assert!(
        se.contains(&format!("git fetch --no-tags origin {missing}")),
        "{se}"
    );
    let reqs = log.lock().unwrap().clone();
    assert_eq!(reqs.len(), 1, "a 4xx is not retried");
    assert_eq!(reqs[0].path, format!("/repos/acme/widgets/statuses/{head}"));
    let body: serde_json::Value = serde_json::from_str(&reqs[0].body).unwrap();
    assert_eq!(body["state"], "error");
    assert!(!se.contains(TOKEN));
}

#[test]
fn github_status_without_token_is_a_usage_error() {
    let r = governed();
    let out = ci(&r.path)
        .args(["--base", "HEAD", "--github-status"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("GITHUB_TOKEN"));
}

#[test]
fn pull_request_and_push_events_give_the_range() {
    let r = governed();
    let base = r.head();
    let head = r.commit_files(&format!("feat: jobs [{WP}]"), &[("src/api/jobs.rs", "y\n")]);
    let ev = r.dir.path().join("event.json");
    std::fs::write(
        &ev,
        serde_json::json!({"pull_request": {"base": {"sha": base}, "head": {"sha": head, "ref": "feat/x"}}})
            .to_string(),
    )
    .unwrap();
    let out = ci(&r.path)
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", &ev)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(text(&out.stderr).contains("checked 1 commit (GitHub pull_request event)"));

    std::fs::write(
        &ev,
        serde_json::json!({"before": base, "after": head}).to_string(),
    )
    .unwrap();
    let out = ci(&r.path)
        .env("GITHUB_EVENT_NAME", "push")
        .env("GITHUB_EVENT_PATH", &ev)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("(GitHub push event)"));
}

#[test]
fn shallow_checkout_names_the_missing_fetch() {
    let r = governed();
    let first = r.head();
    r.commit_files(&format!("feat: s [{WP}]"), &[("src/storage/a.rs", "a\n")]);
    r.commit_files(&format!("feat: s [{WP}]"), &[("src/storage/b.rs", "b\n")]);
    let clone = r.dir.path().join("shallow");
    let url = format!("file://{}", r.path.display());
    git(
        r.dir.path(),
        &["clone", "-q", "--depth", "1", &url, clone.to_str().unwrap()],
    );
    let out = ci(&clone).args(["--base", &first]).output().expect("run");
    let se = flat(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{se}");
    assert!(
        se.contains(&format!("git fetch --no-tags --unshallow origin {first}")),
        "{se}"
    );
}

#[test]
fn annotation_overflow_goes_to_the_step_summary() {
    let r = governed();
    let base = r.head();
    let files: Vec<(String, String)> = (0..13)
        .map(|i| (format!("src/api/g{i:02}.rs"), "x\n".to_string()))
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    r.commit_files(&format!("feat: api [{WP}]"), &refs);
    let summary = r.dir.path().join("summary.md");
    let out = ci(&r.path)
        .args(["--base", &base, "--format", "github"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let so = text(&out.stdout);
    assert!(
        so.lines().filter(|l| l.starts_with("::error ")).count() <= 10,
        "{so}"
    );
    assert!(
        so.contains("step summary"),
        "the output says where the rest went: {so}"
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.contains("not shown as annotations"), "{md}");
    // Every finding is in the summary.
    for i in 0..13 {
        assert!(md.contains(&format!("src/api/g{i:02}.rs")), "{md}");
    }
}
