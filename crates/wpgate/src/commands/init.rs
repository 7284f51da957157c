//! `wpgate init`: scaffolds a governed layout in an existing repository — policy file,
//! `docs/task_packets/` with the packet template, task board, SPEC_CURRENT and a first
//! master spec, waiver file, OSS register — without overwriting anything that exists, and
//! prints the next steps. `--just` adds `just` recipes named as in the protocol.

use std::path::Path;

use wpgate_core::policy::DEFAULT_TEMPLATE;
use wpgate_core::Error;

use crate::context::Ctx;

/// Where the template goes (inside the packets folder, as the protocol keeps it).
pub const TEMPLATE_PATH: &str = "docs/task_packets/TASK_PACKET_TEMPLATE.md";
pub const SPEC_NAME: &str = "Master_Spec_v01.001.md";

const POLICY: &str = r#"# wpgate policy. Every setting has a default: `wpgate policy print-default` shows them
# all with comments; `wpgate policy check` validates this file.

[layout]
packets_dir = "docs/task_packets"
task_board = "docs/TASK_BOARD.md"
spec_current = "docs/SPEC_CURRENT.md"
oss_register = "docs/OSS_REGISTER.md"
waivers = "docs/WAIVERS.toml"
template = "docs/task_packets/TASK_PACKET_TEMPLATE.md"
"#;

const BOARD: &str = "# Task Board

## Ready for Dev

## In Progress

## Blocked

## Done
";

const SPEC: &str = "# Master Specification v01.001

## 1 Introduction

Describe the system here. Requirements use MUST / SHOULD; task packets cite sections in
their SPEC_ANCHOR.
";

const WAIVERS: &str = r#"# Waivers: time-boxed, approved exceptions to wpgate rules.
# Each entry needs id, rule (a rule id or `prefix.*`), a scope (paths or wps), reason,
# approved_by, approved and expires (a date or `phase:N`). Example:
#
# [[waiver]]
# id = "WVR-001"
# rule = "content.todo"
# paths = ["src/legacy/**"]
# reason = "Legacy module, replaced by WP-1-Storage-v2"
# approved_by = "lead"
# approved = "2026-01-01"
# expires = "2026-03-01"
"#;

const OSS: &str = "# OSS REGISTER

Every third-party dependency of a manifest (Cargo.toml, package.json, ...) has a row.

| Component | License | Scope | Purpose |
| --- | --- | --- | --- |
";

fn spec_current() -> String {
    format!(
        "# SPEC_CURRENT\n\nThe current authoritative Master Specification is:\n\n**{SPEC_NAME}**\n"
    )
}

/// The `just` recipes of the protocol, each calling wpgate.
pub const JUST_RECIPES: &[(&str, &str)] = &[
    (
        "pre-work",
        "# Pre-work check of a task packet (protocol Part 8): must pass before delegation.\npre-work wp:\n    wpgate packet check {{wp}}\n",
    ),
    (
        "create-task-packet",
        "# Create a task packet from the template.\ncreate-task-packet wp:\n    wpgate packet new {{wp}}\n",
    ),
    (
        "post-work",
        "# After the work: the packet's lock is intact and the branch's commits stay in scope.\npost-work wp base=\"origin/main\":\n    wpgate packet verify {{wp}}\n    wpgate check --range {{base}}..HEAD\n",
    ),
    (
        "gate-check",
        "# Every repository-level rule: spec, board, dependencies, waivers, OSS, signatures.\ngate-check:\n    wpgate check --repo\n",
    ),
    (
        "validator-spec-regression",
        "# Spec regression guard: SPEC_CURRENT names the latest master spec; anchors resolve.\nvalidator-spec-regression:\n    wpgate spec check\n",
    ),
    (
        "validator-phase-gate",
        "# Phase gate: passes only when every packet of the phase is VALIDATED.\nvalidator-phase-gate phase:\n    wpgate phase check {{phase}}\n",
    ),
];

/// What `init` did with one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Kept,
}

/// Creates `rel` under `root` with `content` unless it exists.
fn create(root: &Path, rel: &str, content: &str) -> Result<Outcome, Error> {
    let p = root.join(rel);
    if p.exists() || p.is_symlink() {
        return Ok(Outcome::Kept);
    }
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::Io {
            path: parent.display().to_string(),
            source: e,
        })?;
    }
    // create_new: never clobber a file that appeared meanwhile.
    use std::io::Write as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&p)
        .map_err(|e| Error::Io {
            path: rel.to_string(),
            source: e,
        })?;
    f.write_all(content.as_bytes()).map_err(|e| Error::Io {
        path: rel.to_string(),
        source: e,
    })?;
    Ok(Outcome::Created)
}

/// Which recipe names a justfile already defines.
fn defined_recipes(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.starts_with([' ', '\t', '#']) && l.contains(':') && !l.contains(":="))
        .filter_map(|l| {
            let head = l.split(':').next()?.trim();
            let name = head.trim_start_matches('@').split_whitespace().next()?;
            Some(name.to_string())
        })
        .collect()
}

/// Adds the protocol recipes that are missing to `justfile` (created when absent).
pub fn add_just(root: &Path) -> Result<(String, Vec<&'static str>, Vec<&'static str>), Error> {
    let existing = ["justfile", "Justfile", ".justfile"]
        .iter()
        .find(|n| root.join(n).is_file())
        .copied();
    let name = existing.unwrap_or("justfile");
    let path = root.join(name);
    let text = match existing {
        Some(_) => std::fs::read_to_string(&path).map_err(|e| Error::Io {
            path: name.to_string(),
            source: e,
        })?,
        None => String::new(),
    };
    let have = defined_recipes(&text);
    let mut added = Vec::new();
    let mut kept = Vec::new();
    let mut out = text.clone();
    for (recipe, body) in JUST_RECIPES {
        if have.iter().any(|h| h == recipe) {
            kept.push(*recipe);
            continue;
        }
        if added.is_empty() {
            if !out.is_empty() && !out.ends_with("\n\n") {
                out.push_str(if out.ends_with('\n') { "\n" } else { "\n\n" });
            }
            out.push_str("# --- wpgate: work-packet protocol recipes (wpgate init --just) ---\n\n");
        } else {
            out.push('\n');
        }
        out.push_str(body);
        added.push(*recipe);
    }
    if !added.is_empty() {
        std::fs::write(&path, out).map_err(|e| Error::Io {
            path: name.to_string(),
            source: e,
        })?;
    }
    Ok((name.to_string(), added, kept))
}

pub fn run(ctx: &Ctx, just: bool) -> Result<u8, Error> {
    let root = &ctx.root;
    let files: Vec<(&str, String)> = vec![
        ("wpgate.toml", POLICY.to_string()),
        (TEMPLATE_PATH, DEFAULT_TEMPLATE.to_string()),
        ("docs/TASK_BOARD.md", BOARD.to_string()),
        ("docs/SPEC_CURRENT.md", spec_current()),
        (SPEC_NAME, SPEC.to_string()),
        ("docs/WAIVERS.toml", WAIVERS.to_string()),
        ("docs/OSS_REGISTER.md", OSS.to_string()),
    ];
    // An existing policy file under another name counts as existing.
    let other_policy = root.join(".wpgate.toml").exists();
    for (rel, content) in &files {
        if *rel == "wpgate.toml" && other_policy {
            println!("  kept     .wpgate.toml (existing policy)");
            continue;
        }
        match create(root, rel, content)? {
            Outcome::Created => println!("  created  {rel}"),
            Outcome::Kept => println!("  kept     {rel} (exists)"),
        }
    }
    if just {
        let (name, added, kept) = add_just(root)?;
        for r in &added {
            println!("  added    just recipe `{r}` to {name}");
        }
        for r in &kept {
            println!("  kept     just recipe `{r}` in {name} (exists)");
        }
    }
    let j = |cmd: &str, plain: &str| {
        if just {
            format!("just {cmd}")
        } else {
            plain.to_string()
        }
    };
    println!(
        "\nNext steps:\n  1. Edit {SPEC_NAME} (the master spec) and docs/TASK_BOARD.md.\n  2. Create a packet:        {}\n  3. Fill it in, then lock:  wpgate packet lock WP-1-First-Task --signature <name><ddmmyyyyhhmm>\n  4. Pre-work check:         {}\n  5. Install the hooks:      wpgate install   (or pre-commit / lefthook, see ci/README.md)\n  6. In CI:                  wpgate-ci        (see ci/action.yml and ci/workflows/wpgate.yml)\n  7. Check everything:       {}",
        j("create-task-packet WP-1-First-Task", "wpgate packet new WP-1-First-Task"),
        j("pre-work WP-1-First-Task", "wpgate packet check WP-1-First-Task"),
        j("gate-check", "wpgate check --repo"),
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipe_names_are_found() {
        let names = defined_recipes("x := 1\npre-work wp:\n    echo\n@gate-check:\n# c:\n");
        assert_eq!(names, vec!["pre-work", "gate-check"]);
    }
}
