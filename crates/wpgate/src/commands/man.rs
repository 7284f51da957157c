//! `wpgate man [--out FILE]`: the man page (clap_mangen), generated from the clap
//! definition in `cli.rs`, so it never drifts from the real arguments.

use std::io::Write as _;
use std::path::Path;

use clap::CommandFactory;
use wpgate_core::Error;

use crate::cli::Cli;
use crate::context::write_out;

/// The man page (roff): `wpgate(1)` followed by one section per subcommand.
pub fn man_page() -> Result<Vec<u8>, Error> {
    let cmd = Cli::command();
    let io = |e: std::io::Error| Error::Io {
        path: "<man page>".into(),
        source: e,
    };
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut buf)
        .map_err(io)?;
    buf.extend_from_slice(
        b".SH \"EXIT STATUS\"\n.TP\n0\nclean (warnings allowed)\n.TP\n1\nat least one error\\-severity violation\n.TP\n2\nusage, configuration or environment error (also: a check that could not run)\n",
    );
    for sub in cmd.get_subcommands() {
        if sub.is_hide_set() {
            continue;
        }
        let name = format!("wpgate {}", sub.get_name());
        let _ = writeln!(buf, ".SH \"{}\"", name.to_uppercase());
        let page = clap_mangen::Man::new(sub.clone().bin_name(name));
        page.render_synopsis_section(&mut buf).map_err(io)?;
        page.render_description_section(&mut buf).map_err(io)?;
        if sub.get_arguments().any(|a| !a.is_hide_set()) {
            page.render_options_section(&mut buf).map_err(io)?;
        }
    }
    Ok(buf)
}

/// Writes the man page to `out`, or prints it.
pub fn run(out: Option<&Path>) -> Result<u8, Error> {
    let buf = man_page()?;
    write_out(out, &buf)
}
