//! `wpgate explain [RULE] [--list]`: the help text and example of a rule, or every rule.

use wpgate_core::rules;
use wpgate_core::Error;

/// Prints the rule `rule`, or the list of rules (`--list`, or no rule named).
pub fn run(rule: Option<&str>, list: bool) -> Result<u8, Error> {
    if list || rule.is_none() {
        for r in rules::all() {
            println!("{:<34} {:<8} {}", r.id, r.default.as_str(), r.summary);
        }
        return Ok(0);
    }
    let id = rule.unwrap_or_default();
    match rules::info(id) {
        Some(r) => {
            println!("{}  (default: {})\n", r.id, r.default);
            println!("{}\n", r.summary);
            println!("{}\n", textwrap(r.help, 88));
            println!("Example:\n");
            for l in r.example.lines() {
                println!("    {l}");
            }
            Ok(0)
        }
        None => Err(Error::Usage(format!(
            "unknown rule `{id}`; `wpgate explain --list` lists every rule"
        ))),
    }
}

fn textwrap(s: &str, width: usize) -> String {
    let mut out = String::new();
    let mut col = 0;
    for w in s.split_whitespace() {
        if col > 0 && col + 1 + w.len() > width {
            out.push('\n');
            col = 0;
        } else if col > 0 {
            out.push(' ');
            col += 1;
        }
        out.push_str(w);
        col += w.len();
    }
    out
}
