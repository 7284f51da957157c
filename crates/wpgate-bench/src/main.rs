//! wpgate-bench: generates governed repositories and measures wpgate against git.
//!
//! ```text
//! cargo build --release -p wpgate -p wpgate-bench
//! ./target/release/wpgate-bench run --sizes small,medium     # then: --sizes large
//! ./target/release/wpgate-bench gen --size small --out /tmp/x # the generator alone
//! ./target/release/wpgate-bench report                        # BENCHMARKS.md + plot from saved results
//! ```
//! Repositories and results live in `$WPGATE_BENCH_DIR` (default `/tmp/wpgate-bench`).

mod gen;
mod measure;
mod report;

use std::path::PathBuf;

fn usage() -> ! {
    eprintln!(
        "usage: wpgate-bench run [--sizes small,medium,large] [--runs N] [--no-corpus] [--regen] [--skip range,...]\n\
         \x20      wpgate-bench gen --size NAME --out DIR\n\
         \x20      wpgate-bench report [--out BENCHMARKS.md]"
    );
    std::process::exit(2)
}

pub fn bench_dir() -> PathBuf {
    std::env::var_os("WPGATE_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/wpgate-bench"))
}

/// The workspace root (where BENCHMARKS.md goes): the nearest ancestor of the current
/// directory holding `Cargo.lock`.
pub fn workspace_root() -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let mut d = Some(cwd.as_path());
    while let Some(x) = d {
        if x.join("Cargo.lock").exists() {
            return x.to_path_buf();
        }
        d = x.parent();
    }
    cwd
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else { usage() };
    let opt = |name: &str| -> Option<String> {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let flag = |name: &str| args.iter().any(|a| a == name);
    let res = match cmd.as_str() {
        "gen" => {
            let size = opt("--size").unwrap_or_else(|| "small".into());
            let Some(size) = gen::Size::named(&size) else {
                usage()
            };
            let out = opt("--out").map(PathBuf::from).unwrap_or_else(|| usage());
            let t = std::time::Instant::now();
            gen::generate(&size, &out).map(|g| {
                println!(
                    "generated {} ({} files, {} commits, {} packets) in {:.1}s at {}",
                    size.name,
                    g.files,
                    g.commits,
                    size.packets,
                    t.elapsed().as_secs_f64(),
                    out.display()
                )
            })
        }
        "run" => {
            let sizes = opt("--sizes").unwrap_or_else(|| "small,medium".into());
            let runs: usize = opt("--runs").and_then(|r| r.parse().ok()).unwrap_or(7);
            measure::run(
                &sizes.split(',').map(str::to_string).collect::<Vec<_>>(),
                runs,
                !flag("--no-corpus"),
                flag("--regen"),
                &opt("--skip")
                    .map(|s| s.split(',').map(str::to_string).collect::<Vec<_>>())
                    .unwrap_or_default(),
            )
            .and_then(|_| report::write(&workspace_root()))
        }
        "report" => report::write(&workspace_root()),
        _ => usage(),
    };
    if let Err(e) = res {
        eprintln!("wpgate-bench: {e}");
        std::process::exit(2);
    }
}
