//! Whole-process measurements: wall time (median of repeated runs after a warm-up) and
//! peak RSS (one extra run under `/usr/bin/time -f %M`, GNU time's maximum resident set).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::gen::{self, Size};

/// One measured command.
#[derive(Debug, Clone)]
pub struct Row {
    pub size: String,
    pub files: usize,
    pub commits: usize,
    pub packets: usize,
    pub spec_mb: f64,
    /// `staged`, `range`, `repo`, `packets` (wpgate) or `floor-staged`, `floor-range` (git).
    pub case: String,
    pub command: String,
    pub median_ms: f64,
    pub min_ms: f64,
    pub rss_kb: u64,
    pub exit: i32,
    pub runs: usize,
}

impl Row {
    pub fn to_tsv(&self) -> String {
        format!(
            "{}\t{}\t{}\t{}\t{:.2}\t{}\t{}\t{:.3}\t{:.3}\t{}\t{}\t{}",
            self.size,
            self.files,
            self.commits,
            self.packets,
            self.spec_mb,
            self.case,
            self.command,
            self.median_ms,
            self.min_ms,
            self.rss_kb,
            self.exit,
            self.runs
        )
    }
    pub fn from_tsv(line: &str) -> Option<Row> {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != 12 {
            return None;
        }
        Some(Row {
            size: f[0].into(),
            files: f[1].parse().ok()?,
            commits: f[2].parse().ok()?,
            packets: f[3].parse().ok()?,
            spec_mb: f[4].parse().ok()?,
            case: f[5].into(),
            command: f[6].into(),
            median_ms: f[7].parse().ok()?,
            min_ms: f[8].parse().ok()?,
            rss_kb: f[9].parse().ok()?,
            exit: f[10].parse().ok()?,
            runs: f[11].parse().ok()?,
        })
    }
}

fn wpgate_exe() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("WPGATE_BIN") {
        return Ok(PathBuf::from(p));
    }
    let me = std::env::current_exe().map_err(|e| format!("current exe: {e}"))?;
    let p = me.with_file_name("wpgate");
    if p.exists() {
        Ok(p)
    } else {
        Err(format!(
            "{} not found: build it first (`cargo build --release -p wpgate`) or set WPGATE_BIN",
            p.display()
        ))
    }
}

fn command(program: &Path, args: &[String], dir: &Path, wp: &str) -> Command {
    let mut c = Command::new(program);
    c.args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("WPGATE_WP", wp)
        .env("NO_COLOR", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// Median and minimum wall time (ms) of `runs` runs after one warm-up, and the exit code.
fn time_runs(
    program: &Path,
    args: &[String],
    dir: &Path,
    wp: &str,
    runs: usize,
) -> (f64, f64, i32) {
    let mut times = Vec::with_capacity(runs);
    let mut exit = -1;
    for i in 0..=runs {
        let t = Instant::now();
        let st = command(program, args, dir, wp).status();
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        exit = st.ok().and_then(|s| s.code()).unwrap_or(-1);
        if i > 0 {
            times.push(ms);
        }
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let median = if times.is_empty() {
        0.0
    } else if times.len() % 2 == 1 {
        times[times.len() / 2]
    } else {
        (times[times.len() / 2 - 1] + times[times.len() / 2]) / 2.0
    };
    (median, times.first().copied().unwrap_or(0.0), exit)
}

/// Peak RSS (KiB) of one run, from GNU time.
fn peak_rss(program: &Path, args: &[String], dir: &Path, wp: &str) -> u64 {
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        return 0;
    }
    let out = std::env::temp_dir().join(format!("wpgate-bench-rss-{}", std::process::id()));
    let mut full = vec![
        "-f".to_string(),
        "%M".to_string(),
        "-o".to_string(),
        out.display().to_string(),
        program.display().to_string(),
    ];
    full.extend(args.iter().cloned());
    let _ = command(time, &full, dir, wp).status();
    let kb = std::fs::read_to_string(&out)
        .ok()
        .and_then(|s| s.lines().last().and_then(|l| l.trim().parse().ok()))
        .unwrap_or(0);
    let _ = std::fs::remove_file(&out);
    kb
}

struct Case {
    case: &'static str,
    program: PathBuf,
    args: Vec<String>,
    label: String,
}

fn measure_cases(
    size: &Size,
    files: usize,
    dir: &Path,
    wp: &str,
    cases: &[Case],
    runs: usize,
) -> Vec<Row> {
    let mut rows = Vec::new();
    for c in cases {
        // Whole-history range checks on big repositories are long: fewer repetitions.
        let n = if c.case.ends_with("range") && size.commits >= 10_000 {
            runs.min(3)
        } else {
            runs
        };
        let (median, min, exit) = time_runs(&c.program, &c.args, dir, wp, n);
        let rss = peak_rss(&c.program, &c.args, dir, wp);
        let row = Row {
            size: size.name.clone(),
            files,
            commits: size.commits + 1,
            packets: size.packets,
            spec_mb: size.spec_bytes as f64 / 1048576.0,
            case: c.case.to_string(),
            command: c.label.clone(),
            median_ms: median,
            min_ms: min,
            rss_kb: rss,
            exit,
            runs: n,
        };
        eprintln!(
            "  {:<14} {:>10.1} ms (min {:>9.1})  {:>7} KiB  exit {}   {}",
            row.case, row.median_ms, row.min_ms, row.rss_kb, row.exit, row.command
        );
        rows.push(row);
    }
    rows
}

fn save(name: &str, rows: &[Row]) -> Result<(), String> {
    let path = crate::bench_dir().join(format!("results-{name}.tsv"));
    let text: String = rows.iter().map(|r| r.to_tsv() + "\n").collect();
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn run(
    sizes: &[String],
    runs: usize,
    corpus: bool,
    regen: bool,
    skip: &[String],
) -> Result<(), String> {
    let exe = wpgate_exe()?;
    let git = PathBuf::from("git");
    let base = crate::bench_dir();
    std::fs::create_dir_all(&base).map_err(|e| format!("{}: {e}", base.display()))?;
    for name in sizes {
        let Some(size) = Size::named(name.trim()) else {
            return Err(format!(
                "unknown size `{name}` (tiny, small, medium, large)"
            ));
        };
        let dir = base.join(&size.name);
        let meta = base.join(format!("{}.meta", size.name));
        let cached = std::fs::read_to_string(&meta).ok();
        let (root, wp, files) = match cached {
            Some(m) if !regen && dir.join(".git").exists() => {
                let f: Vec<&str> = m.split_whitespace().collect();
                if f.len() != 3 {
                    return Err(format!("{}: bad metadata, use --regen", meta.display()));
                }
                (
                    f[0].to_string(),
                    f[1].to_string(),
                    f[2].parse().unwrap_or(0),
                )
            }
            _ => {
                let _ = std::fs::remove_dir_all(&dir);
                let t = Instant::now();
                eprintln!("generating {} in {} ...", size.name, dir.display());
                let g = gen::generate(&size, &dir)?;
                eprintln!(
                    "  {} files, {} commits, {} packets in {:.1}s",
                    g.files,
                    g.commits,
                    size.packets,
                    t.elapsed().as_secs_f64()
                );
                std::fs::write(&meta, format!("{} {} {}\n", g.root, g.staged_wp, g.files))
                    .map_err(|e| format!("{}: {e}", meta.display()))?;
                (g.root, g.staged_wp, g.files)
            }
        };
        eprintln!("measuring {} ({runs} runs after a warm-up)", size.name);
        let range = format!("{root}..HEAD");
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let cases = vec![
            Case {
                case: "floor-staged",
                program: git.clone(),
                args: s(&["diff", "--cached", "--name-status"]),
                label: "git diff --cached --name-status".into(),
            },
            Case {
                case: "staged",
                program: exe.clone(),
                args: s(&["check", "--staged"]),
                label: "wpgate check --staged".into(),
            },
            Case {
                case: "floor-range",
                program: git.clone(),
                args: s(&["log", "--no-renames", "--name-status", &range]),
                label: "git log --no-renames --name-status ROOT..HEAD".into(),
            },
            Case {
                case: "range",
                program: exe.clone(),
                args: s(&["check", "--range", &range]),
                label: "wpgate check --range ROOT..HEAD".into(),
            },
            Case {
                case: "repo",
                program: exe.clone(),
                args: s(&["check", "--repo"]),
                label: "wpgate check --repo".into(),
            },
            Case {
                case: "packets",
                program: exe.clone(),
                args: s(&["packet", "check", "--all"]),
                label: "wpgate packet check --all".into(),
            },
        ];
        let cases: Vec<Case> = cases
            .into_iter()
            .filter(|c| !skip.iter().any(|s| c.case.ends_with(s.as_str())))
            .collect();
        let rows = measure_cases(&size, files, &dir, &wp, &cases, runs);
        save(&size.name, &rows)?;
    }
    if corpus {
        run_corpus(&exe, runs)?;
        run_corpus_06(&exe, runs)?;
        run_layout(&exe, runs)?;
    }
    Ok(())
}

const CORPUS: &str = "/work/shared/corpus/handshake-2026-01-01";
const CORPUS_06: &str = "/work/shared/corpus/handshake-2026-06-22";

/// A copy of corpus snapshot `src` (plus `extra` files) as a git repository in the bench
/// directory `name`, made once.
fn corpus_repo(src: &Path, name: &str, extra: &[(&str, &str)]) -> Result<PathBuf, String> {
    let dir = crate::bench_dir().join(name);
    if !dir.join(".git").exists() {
        let _ = std::fs::remove_dir_all(&dir);
        copy_dir(src, &dir)?;
        for (path, text) in extra {
            std::fs::write(dir.join(path), text).map_err(|e| format!("{path}: {e}"))?;
        }
        gen::run_git(&dir, &["init", "-q", "-b", "main"])?;
        gen::run_git(&dir, &["add", "-A"])?;
        gen::run_git(
            &dir,
            &["commit", "-q", "--no-verify", "-m", "corpus snapshot"],
        )?;
    }
    Ok(dir)
}

fn wpgate_case(case: &'static str, exe: &Path, args: &[&str]) -> Case {
    Case {
        case,
        program: exe.to_path_buf(),
        args: args.iter().map(|x| x.to_string()).collect(),
        label: format!("wpgate {}", args.join(" ")),
    }
}

/// The 2026-06 snapshot (folder packets, microtasks, stubs, a spec bundle) under the
/// profile `examples/policies/handshake-2026-06.toml`.
fn run_corpus_06(exe: &Path, runs: usize) -> Result<(), String> {
    let src = std::env::var_os("WPGATE_BENCH_CORPUS_06")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(CORPUS_06));
    if !src.is_dir() {
        eprintln!("corpus {} not found: skipped", src.display());
        return Ok(());
    }
    let profile = crate::workspace_root().join("examples/policies/handshake-2026-06.toml");
    let profile =
        std::fs::read_to_string(&profile).map_err(|e| format!("{}: {e}", profile.display()))?;
    let dir = corpus_repo(&src, "corpus-06", &[("wpgate.toml", &profile)])?;
    let files: usize = gen::run_git(&dir, &["ls-files"])?.lines().count();
    let size = Size {
        name: "corpus-06".into(),
        files,
        commits: 0,
        packets: 12,
        spec_bytes: 4_800_000,
        out_of_scope_share: 0.0,
    };
    eprintln!("measuring the 2026-06 corpus ({runs} runs after a warm-up)");
    let cases = vec![
        wpgate_case("repo", exe, &["check", "--repo"]),
        wpgate_case("packets", exe, &["packet", "check", "--all"]),
        wpgate_case("list", exe, &["packet", "list"]),
    ];
    let rows = measure_cases(&size, files, &dir, "", &cases, runs);
    save("corpus-06", &rows)
}

/// A synthetic folder layout: 1,400 flat packets and 800 folder packets (`packet.json` +
/// `packet.md`), 3,000 packet files, and 1,600 microtasks (8 in each of 200 folders).
/// `packet check ONE` is discovery plus one packet; `packet list` reads them all.
fn run_layout(exe: &Path, runs: usize) -> Result<(), String> {
    let dir = crate::bench_dir().join("layout");
    if !dir.join(".git").exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let gov = dir.join("gov");
        let w = |p: PathBuf, t: String| {
            std::fs::write(&p, t).map_err(|e| format!("{}: {e}", p.display()))
        };
        std::fs::create_dir_all(&gov).map_err(|e| format!("{}: {e}", gov.display()))?;
        w(
            dir.join("wpgate.toml"),
            "[layout]\npacket_roots = [{ kind = \"active\", include = [\"gov/WP-*/packet.json\", \"gov/WP-*/packet.md\", \"gov/WP-*.md\"] }]\n".into(),
        )?;
        for i in 0..1400 {
            w(
                gov.join(format!("WP-1-Flat-{i:04}.md")),
                format!("# WP-1-Flat-{i:04}\n- TASK_ID: WP-1-Flat-{i:04}\n- STATUS: Ready for Dev\n- IN_SCOPE_PATHS:\n  - src/f{i}/mod.rs\n"),
            )?;
        }
        for i in 0..800 {
            let id = format!("WP-2-Folder-{i:04}");
            let d = gov.join(&id);
            std::fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
            w(
                d.join("packet.json"),
                format!("{{\"id\": \"{id}\", \"status\": \"Ready for Dev\", \"scope\": {{\"in\": [\"src/d{i}/**\"], \"out\": [\"docs/\"]}}}}\n"),
            )?;
            w(
                d.join("packet.md"),
                format!("# {id}\n- STATUS: Ready for Dev\n"),
            )?;
            if i < 200 {
                for m in 0..8 {
                    w(
                        d.join(format!("MT-{m:03}.json")),
                        format!("{{\"id\": \"MT-{m:03}\", \"status\": \"PENDING\", \"scope\": {{\"in\": [\"src/d{i}/m{m}.rs\"]}}}}\n"),
                    )?;
                }
            }
        }
        gen::run_git(&dir, &["init", "-q", "-b", "main"])?;
        gen::run_git(&dir, &["add", "-A"])?;
        gen::run_git(&dir, &["commit", "-q", "--no-verify", "-m", "layout"])?;
    }
    let files: usize = gen::run_git(&dir, &["ls-files"])?.lines().count();
    let size = Size {
        name: "layout".into(),
        files,
        commits: 0,
        packets: 2200,
        spec_bytes: 0,
        out_of_scope_share: 0.0,
    };
    eprintln!("measuring the synthetic packet layout ({runs} runs after a warm-up)");
    let cases = vec![
        wpgate_case("packet-one", exe, &["packet", "check", "WP-2-Folder-0100"]),
        wpgate_case("list", exe, &["packet", "list"]),
    ];
    let rows = measure_cases(&size, files, &dir, "", &cases, runs);
    save("layout", &rows)
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    let rd = std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    for entry in rd.flatten() {
        let p = entry.path();
        let t = to.join(entry.file_name());
        if entry.file_name() == ".git" {
            continue;
        }
        if p.is_dir() {
            copy_dir(&p, &t)?;
        } else if p.is_file() {
            std::fs::copy(&p, &t).map_err(|e| format!("{}: {e}", p.display()))?;
        }
    }
    Ok(())
}

/// The corpus repository copied into a temp git repository: every repository check.
fn run_corpus(exe: &Path, runs: usize) -> Result<(), String> {
    let src = std::env::var_os("WPGATE_BENCH_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(CORPUS));
    if !src.is_dir() {
        eprintln!("corpus {} not found: skipped", src.display());
        return Ok(());
    }
    let dir = corpus_repo(&src, "corpus", &[])?;
    let files: usize = gen::run_git(&dir, &["ls-files"])?.lines().count();
    let size = Size {
        name: "corpus".into(),
        files,
        commits: 0,
        packets: 87,
        spec_bytes: 1_600_000,
        out_of_scope_share: 0.0,
    };
    eprintln!("measuring the corpus ({runs} runs after a warm-up)");
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let cases = vec![
        Case {
            case: "repo",
            program: exe.to_path_buf(),
            args: s(&["check", "--repo"]),
            label: "wpgate check --repo".into(),
        },
        Case {
            case: "packets",
            program: exe.to_path_buf(),
            args: s(&["packet", "check", "--all"]),
            label: "wpgate packet check --all".into(),
        },
        wpgate_case(
            "packet-one",
            exe,
            &["packet", "check", "WP-1-Storage-Foundation-20251228"],
        ),
    ];
    let rows = measure_cases(&size, files, &dir, "", &cases, runs);
    save("corpus", &rows)
}
