//! `wpgate demo`: builds a throwaway governed repository in a temp dir from embedded
//! fixtures, installs the hooks, and shows the gate at work through real `git commit`
//! and `git push` runs. Exit 0 when every step went as expected.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use wpgate_core::Error;

const PACKET: &str = include_str!("../../demo/packet.md");
const SPEC: &str = include_str!("../../demo/spec.md");
const SPEC_CURRENT: &str = include_str!("../../demo/spec_current.md");
const BOARD: &str = include_str!("../../demo/board.md");
const OSS: &str = include_str!("../../demo/oss.md");
const CARGO: &str = include_str!("../../demo/cargo.toml");
const AUDIT: &str = include_str!("../../demo/audit.md");
const SIGNATURE: &str = "demo241120260900";
const WP: &str = "WP-1-Storage-Layer";

struct Demo {
    dir: PathBuf,
    repo: PathBuf,
    exe: PathBuf,
    failures: Vec<String>,
}

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        source: e,
    }
}

impl Demo {
    fn write(&self, rel: &str, text: &str) -> Result<(), Error> {
        let p = self.repo.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        std::fs::write(&p, text).map_err(|e| io(&p, e))
    }

    fn append(&self, rel: &str, text: &str) -> Result<(), Error> {
        let p = self.repo.join(rel);
        let mut s = std::fs::read_to_string(&p).map_err(|e| io(&p, e))?;
        s.push_str(text);
        std::fs::write(&p, s).map_err(|e| io(&p, e))
    }

    fn cmd(&self, program: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(program);
        c.args(args)
            .current_dir(&self.repo)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", self.dir.join("gitconfig"))
            .env("GIT_AUTHOR_NAME", "Demo Coder")
            .env("GIT_AUTHOR_EMAIL", "coder@demo.invalid")
            .env("GIT_COMMITTER_NAME", "Demo Coder")
            .env("GIT_COMMITTER_EMAIL", "coder@demo.invalid")
            .env("WPGATE", &self.exe)
            .env("NO_COLOR", "1")
            .env_remove("WPGATE_WP")
            .stdin(Stdio::null());
        c
    }

    /// Runs a command quietly; failure is an environment error.
    fn quiet(&self, program: &str, args: &[&str]) -> Result<(), Error> {
        let out = self
            .cmd(Path::new(program), args)
            .output()
            .map_err(|e| Error::Usage(format!("cannot run {program}: {e}")))?;
        if !out.status.success() {
            return Err(Error::Usage(format!(
                "demo setup failed: {program} {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        Ok(())
    }

    /// Runs a shown step and checks whether it was accepted as expected.
    fn step(&mut self, title: &str, program: &Path, args: &[&str], expect_ok: bool) {
        let shown = if program == self.exe {
            "wpgate".to_string()
        } else {
            program.display().to_string()
        };
        println!("\n==> {title}\n    $ {shown} {}", args.join(" "));
        let out = self.cmd(program, args).output();
        match out {
            Ok(out) => {
                let text = format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
                for line in text.lines() {
                    println!("    | {line}");
                }
                let ok = out.status.success();
                let verdict = match (ok, expect_ok) {
                    (true, true) => "accepted, as expected".to_string(),
                    (false, false) => "refused, as expected".to_string(),
                    (true, false) => {
                        self.failures.push(title.to_string());
                        "ACCEPTED, but the demo expected a refusal".to_string()
                    }
                    (false, true) => {
                        self.failures.push(title.to_string());
                        "REFUSED, but the demo expected acceptance".to_string()
                    }
                };
                println!("    => {verdict}");
            }
            Err(e) => {
                self.failures.push(title.to_string());
                println!("    cannot run: {e}");
            }
        }
    }
}

pub fn run(keep: bool) -> Result<u8, Error> {
    let tmp = tempfile::Builder::new()
        .prefix("wpgate-demo-")
        .tempdir()
        .map_err(|e| io(Path::new("temp dir"), e))?;
    let dir = tmp.path().to_path_buf();
    let exe = std::env::current_exe().map_err(|e| io(Path::new("current exe"), e))?;
    let mut d = Demo {
        repo: dir.join("repo"),
        dir: dir.clone(),
        exe: exe.clone(),
        failures: Vec::new(),
    };
    std::fs::create_dir_all(&d.repo).map_err(|e| io(&d.repo, e))?;
    std::fs::write(dir.join("gitconfig"), "").map_err(|e| io(&dir, e))?;

    println!(
        "wpgate demo: a throwaway governed repository in {}",
        d.repo.display()
    );
    d.quiet("git", &["init", "-q", "-b", "main"])?;
    d.quiet("git", &["config", "commit.gpgsign", "false"])?;
    d.write(&format!("docs/task_packets/{WP}.md"), PACKET)?;
    d.write("Demo_Master_Spec_v01.002.md", SPEC)?;
    d.write("docs/SPEC_CURRENT.md", SPEC_CURRENT)?;
    d.write("docs/TASK_BOARD.md", BOARD)?;
    d.write("docs/OSS_REGISTER.md", OSS)?;
    d.write("docs/SIGNATURE_AUDIT.md", AUDIT)?;
    d.write("Cargo.toml", CARGO)?;
    d.write("src/main.rs", "fn main() {}\n")?;
    d.write("src/storage/mod.rs", "pub trait Storage {}\n")?;
    d.write("src/api/jobs.rs", "pub fn jobs() {}\n")?;
    d.quiet("git", &["add", "-A"])?;
    d.quiet(
        "git",
        &["commit", "-q", "-m", "bootstrap the governed layout"],
    )?;

    let exe_path = exe.clone();
    d.step(
        "Pre-work check of the packet (protocol Part 8 checklist): it is not locked yet",
        &exe_path,
        &["packet", "check", WP],
        false,
    );
    d.step(
        "Lock the packet: signature footer, sha256 digest of the locked content, audit record",
        &exe_path,
        &["packet", "lock", WP, "--signature", SIGNATURE],
        true,
    );
    d.step(
        "Pre-work check again: the packet is ready for delegation",
        &exe_path,
        &["packet", "check", WP],
        true,
    );
    d.quiet("git", &["commit", "-q", "-am", &format!("lock {WP}")])?;
    d.step(
        "Install the hooks (pre-commit, commit-msg, pre-push)",
        &exe_path,
        &["install"],
        true,
    );

    let git = PathBuf::from("git");
    d.write(
        "src/storage/mod.rs",
        "pub trait Storage {\n    fn get(&self, key: &str) -> Option<String>;\n}\n",
    )?;
    d.quiet("git", &["add", "src/storage/mod.rs"])?;
    d.step(
        "An in-scope commit: src/storage/mod.rs is in the packet's IN_SCOPE_PATHS",
        &git,
        &["commit", "-m", &format!("feat: storage trait [{WP}]")],
        true,
    );

    d.write(
        "src/api/jobs.rs",
        "pub fn jobs() -> Vec<String> { Vec::new() }\n",
    )?;
    d.quiet("git", &["add", "src/api/jobs.rs"])?;
    d.step(
        "An out-of-scope commit: src/api/jobs.rs is not in scope (and matches OUT_OF_SCOPE src/api/)",
        &git,
        &["commit", "-m", &format!("feat: list jobs [{WP}]")],
        false,
    );
    d.quiet("git", &["reset", "-q", "HEAD", "src/api/jobs.rs"])?;
    d.quiet("git", &["checkout", "-q", "--", "src/api/jobs.rs"])?;

    let packet_path = format!("docs/task_packets/{WP}.md");
    let original = std::fs::read_to_string(d.repo.join(&packet_path))
        .map_err(|e| io(&d.repo.join(&packet_path), e))?;
    d.write(
        &packet_path,
        &original.replace(
            "  * tests/storage_test.rs\n",
            "  * tests/storage_test.rs\n  * src/api/jobs.rs\n",
        ),
    )?;
    d.quiet("git", &["add", &packet_path])?;
    d.step(
        "Widening the scope of the locked packet (instruction creep)",
        &git,
        &["commit", "-m", &format!("docs: widen scope [{WP}]")],
        false,
    );
    d.write(&packet_path, &original)?;
    d.quiet("git", &["add", &packet_path])?;

    d.append(
        &packet_path,
        "\n## VALIDATION REPORT (2026-11-24)\nVerdict: PASS\n- Storage trait present: src/storage/mod.rs:1\n",
    )?;
    d.quiet("git", &["add", &packet_path])?;
    d.step(
        "Appending a validation report after the lock footer",
        &git,
        &["commit", "-m", &format!("docs: validation report [{WP}]")],
        true,
    );

    let remote = dir.join("remote.git");
    d.quiet(
        "git",
        &["init", "-q", "--bare", &remote.display().to_string()],
    )?;
    d.quiet(
        "git",
        &["remote", "add", "origin", &remote.display().to_string()],
    )?;
    d.quiet("git", &["push", "-q", "--no-verify", "origin", "main"])?;
    d.write("src/api/jobs.rs", "pub fn jobs() -> usize { 0 }\n")?;
    d.quiet("git", &["add", "src/api/jobs.rs"])?;
    d.quiet(
        "git",
        &[
            "commit",
            "-q",
            "--no-verify",
            "-m",
            &format!("sneak past the hooks [{WP}]"),
        ],
    )?;
    d.step(
        "A push carrying a commit made with --no-verify",
        &git,
        &["push", "origin", "main"],
        false,
    );
    d.step(
        "The same verdict in CI (range check of the last commit)",
        &exe_path,
        &["ci", "--base", "HEAD~1", "--head", "HEAD"],
        false,
    );
    // Trusted authority: a packet authorises work only once it is approved (merged).
    d.quiet("git", &["reset", "-q", "--hard", "origin/main"])?;
    let api = "WP-1-Api-Jobs";
    let api_packet = format!(
        "{}\n---\n\n**Last Updated:** 2026-11-24\n**User Signature Locked:** demo241120261000\n",
        PACKET
            .replace(WP, api)
            .replace(
                "  * src/storage/mod.rs\n  * src/storage/sqlite.rs\n  * tests/storage_test.rs\n",
                "  * src/api/jobs.rs\n"
            )
            .replace("  * src/api/ (→ WP-1-Api-Refactor)\n", "  * src/storage/\n")
    );
    let api_path = format!("docs/task_packets/{api}.md");
    d.write(&api_path, &api_packet)?;
    d.write("src/api/jobs.rs", "pub fn jobs() -> usize { 1 }\n")?;
    d.quiet("git", &["add", &api_path, "src/api/jobs.rs"])?;
    d.step(
        "A packet created and used in one change: it is not in the trusted revision yet",
        &git,
        &["commit", "-m", &format!("feat: jobs [{api}]")],
        false,
    );
    d.quiet("git", &["reset", "-q", "HEAD", "src/api/jobs.rs"])?;
    let board = std::fs::read_to_string(d.repo.join("docs/TASK_BOARD.md"))
        .map_err(|e| io(&d.repo.join("docs/TASK_BOARD.md"), e))?;
    d.write(
        "docs/TASK_BOARD.md",
        &board.replace(
            "## Done",
            &format!("- **[{api}]** - Jobs API [IN PROGRESS]\n\n## Done"),
        ),
    )?;
    d.append(
        "docs/SIGNATURE_AUDIT.md",
        &format!("| demo241120261000 | Orchestrator | 2026-11-24 10:00 | Task packet lock: {api} | v01.002 | |\n"),
    )?;
    d.quiet(
        "git",
        &["add", "docs/TASK_BOARD.md", "docs/SIGNATURE_AUDIT.md"],
    )?;
    d.step(
        "The packet on its own, with its board row and audit record, by the Orchestrator",
        &git,
        &[
            "commit",
            "-m",
            &format!("gov: packet {api}"),
            "-m",
            "Role: Orchestrator",
        ],
        true,
    );
    d.step(
        "Approved: merged into main (the push is checked too)",
        &git,
        &["push", "origin", "main"],
        true,
    );
    d.quiet("git", &["add", "src/api/jobs.rs"])?;
    d.step(
        "The same work, now under an approved packet",
        &git,
        &["commit", "-m", &format!("feat: jobs [{api}]")],
        true,
    );
    d.step(
        "Repository-level rules: spec anchors, board, dependencies, OSS register, signatures",
        &exe_path,
        &["check", "--repo"],
        true,
    );

    println!();
    let code = if d.failures.is_empty() {
        println!("wpgate demo: every step went as expected.");
        0
    } else {
        println!(
            "wpgate demo: {} step(s) did not go as expected: {}",
            d.failures.len(),
            d.failures.join("; ")
        );
        1
    };
    if keep {
        let kept = tmp.keep();
        println!(
            "kept the demo repository at {}",
            kept.join("repo").display()
        );
    }
    Ok(code)
}
