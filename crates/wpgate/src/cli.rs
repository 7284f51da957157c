//! The clap definition of the command line: global options, subcommands and their
//! arguments. Parsing only; running is `run_main` (lib.rs) and `commands::dispatch`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use wpgate_core::report::Format;

#[derive(Parser, Debug)]
#[command(
    name = "wpgate",
    version,
    about = "Git-hook and CI gate for work-packet governed repositories",
    long_about = "wpgate enforces the work-packet protocol mechanically: every change is bound to a \
                  locked task packet and stays inside its IN_SCOPE_PATHS; locked packets are \
                  immutable; the master spec, task board, dependencies, waivers and OSS register \
                  are checked.\n\nExit codes: 0 clean (warnings allowed), 1 violations, 2 usage, \
                  configuration or environment error."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct Global {
    /// Run as if started in DIR.
    #[arg(short = 'C', long = "directory", global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Use this policy file instead of wpgate.toml / .wpgate.toml discovery.
    #[arg(long, global = true, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Output format of reporting commands: human, json, sarif, github, junit (and dot for `deps`).
    #[arg(long, global = true, default_value = "human", value_parser = parse_format)]
    pub format: Format,
    /// Colour in human output: auto, always, never.
    #[arg(long, global = true, default_value = "auto")]
    pub color: String,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Task packet tooling: check (pre-work), new, lock, verify, list.
    #[command(subcommand)]
    Packet(PacketCmd),
    /// Policy tooling.
    #[command(subcommand)]
    Policy(PolicyCmd),
    /// Show the help text and an example of a rule (`--list` for all rules).
    Explain {
        /// Rule id, e.g. scope.out-of-scope
        rule: Option<String>,
        #[arg(long)]
        list: bool,
    },
    /// Check a change: the staged index, one commit, a range, or the whole repository.
    Check(CheckArgs),
    /// Git pre-push hook entrypoint: reads `<local ref> <local sha> <remote ref> <remote sha>` lines on stdin.
    PrePush { remote: String, url: Option<String> },
    /// Git commit-msg hook entrypoint: checks the staged change with the message's binding.
    CommitMsg { file: PathBuf },
    /// CI gate: checks the commits of the pull request or push (or --base..--head).
    Ci(CiArgs),
    /// Install hook shims into the repository's hooks directory (keeps existing hooks).
    Install {
        /// Hooks to install.
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "pre-commit,commit-msg,pre-push"
        )]
        hooks: Vec<String>,
    },
    /// Remove wpgate's hook shims, restoring hooks that were there before.
    Uninstall {
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "pre-commit,commit-msg,pre-push"
        )]
        hooks: Vec<String>,
    },
    /// Spec tooling: check anchors and freeze, print requirements of a section.
    #[command(subcommand)]
    Spec(SpecCmd),
    /// For each MUST/SHOULD of a packet's anchored sections, the DONE_MEANS item citing it.
    Trace { wp: String },
    /// Task board checks.
    #[command(subcommand)]
    Board(BoardCmd),
    /// Print the dependency graph of packets (`--format dot` for Graphviz).
    Deps {
        #[arg(long, default_value = "text")]
        graph: String,
    },
    /// Phase gate: passes only when every packet of phase N is VALIDATED.
    #[command(subcommand)]
    Phase(PhaseCmd),
    /// Supply chain: every declared dependency is in the OSS register.
    #[command(subcommand)]
    Oss(OssCmd),
    /// Scaffold a governed layout in this repository (never overwrites).
    Init {
        /// Also add `just` recipes named as in the protocol.
        #[arg(long)]
        just: bool,
    },
    /// Governance report: a self-contained HTML page.
    Report {
        #[arg(long, value_name = "FILE")]
        html: PathBuf,
    },
    /// Print shell completions (bash, zsh, fish, elvish, powershell).
    Completions { shell: String },
    /// Write the man page (to a file, or stdout).
    Man {
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Print the JSON Schema (draft 2020-12) of a wpgate data format.
    Schema {
        #[arg(value_enum)]
        what: SchemaWhat,
    },
    /// Build a throwaway governed repository and show the checks at work.
    Demo {
        /// Keep the demo repository and print its path.
        #[arg(long)]
        keep: bool,
    },
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Check the staged index against HEAD (pre-commit).
    #[arg(long, conflicts_with_all = ["commit", "range", "all_repo"])]
    pub staged: bool,
    /// Check one commit against its parent.
    #[arg(long, value_name = "REV")]
    pub commit: Option<String>,
    /// Check each commit of BASE..HEAD.
    #[arg(long, value_name = "BASE..HEAD")]
    pub range: Option<String>,
    /// Run every repository-level rule (no diff).
    #[arg(long = "repo", id = "all_repo")]
    pub all_repo: bool,
    /// Commit message file for the staged check (commit-msg hook).
    #[arg(long, value_name = "FILE")]
    pub message_file: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct CiArgs {
    /// Base of the range (exclusive); default from WPGATE_BASE or the CI event.
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Head of the range; default HEAD or the CI event's head.
    #[arg(long, value_name = "REV")]
    pub head: Option<String>,
    /// Branch name used for binding (default: the CI head ref).
    #[arg(long)]
    pub branch: Option<String>,
    /// Post a commit status to GitHub (needs GITHUB_TOKEN and GITHUB_REPOSITORY); posts
    /// `error` when the check itself cannot run, so a required check never stays pending.
    #[arg(long)]
    pub github_status: bool,
    /// Context (name) of the commit status.
    #[arg(long, value_name = "NAME", default_value = "wpgate")]
    pub status_context: String,
    /// Timeout in seconds of one status request.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub status_timeout: u64,
    /// Attempts of the status request (retried on 5xx, 429 and network errors).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub status_attempts: u32,
    /// Also write the findings as SARIF 2.1.0 to FILE (for code scanning upload).
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,
    /// Also write the findings as JUnit XML to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Markdown summary file (default: $GITHUB_STEP_SUMMARY when set).
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
}

impl Default for CiArgs {
    fn default() -> Self {
        CiArgs {
            base: None,
            head: None,
            branch: None,
            github_status: false,
            status_context: "wpgate".into(),
            status_timeout: 10,
            status_attempts: 3,
            sarif: None,
            junit: None,
            summary: None,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum PacketCmd {
    /// Pre-work check of one packet or all (Part 8 checklist).
    Check {
        wp: Option<String>,
        #[arg(long)]
        all: bool,
    },
    /// Create a packet: Markdown from the template, or wpgate's structured format (TOML, JSON).
    New {
        wp: String,
        #[command(flatten)]
        format: NewFormat,
    },
    /// Lock a packet: write the signature footer and the lock digest.
    Lock {
        wp: String,
        #[arg(long)]
        signature: String,
    },
    /// Recompute lock digests.
    Verify {
        wp: Option<String>,
        #[arg(long)]
        all: bool,
    },
    /// List packets: id, status, risk tier, locked, scope size.
    List,
}

/// What `wpgate schema` describes.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchemaWhat {
    /// wpgate's structured (JSON/TOML) packet format: the default `[packet.pointers]`.
    Packet,
}

/// `packet new --format md|toml|json` (default md).
///
/// `--format` is also the global report-format option, and clap keeps the values of one
/// argument id under one type on every level (a subcommand's value is copied up to the
/// global one). So this argument has the global's id `format` and stores the global's
/// type ([`Format`]: json stays json, md and toml are plain output), and the packet
/// format is read from the value as written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NewFormat(pub wpgate_core::model::packet::Format);

impl NewFormat {
    const VALUES: [&'static str; 3] = ["md", "toml", "json"];
}

impl clap::FromArgMatches for NewFormat {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        use clap::parser::ValueSource;
        use wpgate_core::model::packet::Format as Packet;
        // A default (the global `human`) is no choice: Markdown.
        if !matches!(
            m.value_source("format"),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        ) {
            return Ok(NewFormat(Packet::Markdown));
        }
        let written = m
            .try_get_raw("format")
            .ok()
            .flatten()
            .and_then(|mut v| v.next_back())
            .map(|v| v.to_string_lossy().into_owned())
            .unwrap_or_default();
        match written.as_str() {
            "md" | "human" => Ok(NewFormat(Packet::Markdown)),
            "toml" => Ok(NewFormat(Packet::Toml)),
            "json" => Ok(NewFormat(Packet::Json)),
            other => Err(clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format!("`packet new --format` is the packet's format: md, toml or json (not `{other}`)\n"),
            )),
        }
    }

    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl clap::Args for NewFormat {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        use clap::builder::TypedValueParser;
        cmd.arg(
            clap::Arg::new("format")
                .long("format")
                .value_name("FORMAT")
                .help("File format of the new packet: md (from the template), toml or json (wpgate's structured format, `wpgate schema packet`)")
                .value_parser(
                    clap::builder::PossibleValuesParser::new(NewFormat::VALUES).map(|v| {
                        if v == "json" {
                            Format::Json
                        } else {
                            Format::Human
                        }
                    }),
                ),
        )
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

#[derive(Subcommand, Debug)]
pub enum PolicyCmd {
    /// Validate a policy file (default: the repository's).
    Check { file: Option<PathBuf> },
    /// Print the embedded default policy.
    PrintDefault,
}

#[derive(Subcommand, Debug)]
pub enum SpecCmd {
    /// SPEC_CURRENT, latest version, anchors of every packet.
    Check,
    /// Print the MUST / SHOULD sentences of a section.
    Requirements { section: String },
}

#[derive(Subcommand, Debug)]
pub enum BoardCmd {
    /// Board vs packets.
    Check,
}

#[derive(Subcommand, Debug)]
pub enum PhaseCmd {
    /// Can phase N close?
    Check { phase: String },
}

#[derive(Subcommand, Debug)]
pub enum OssCmd {
    /// Manifests vs OSS register.
    Check,
}
