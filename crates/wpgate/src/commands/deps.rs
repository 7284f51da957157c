//! `wpgate deps [--graph dot]`: the dependency graph of packets and its checks.

use wpgate_core::report::Format;
use wpgate_core::rules::Emitter;
use wpgate_core::source::{WorkTree, Workspace};
use wpgate_core::Error;

use crate::context::{finish, Ctx};

/// Prints the graph (text, or Graphviz dot) and the dependency findings.
pub fn run(ctx: &Ctx, graph_fmt: &str) -> Result<u8, Error> {
    let tree = WorkTree::new(&ctx.root);
    let ws = Workspace::new(&ctx.policy, &tree);
    let graph = wpgate_core::rules::deps::graph(&ws)?;
    let dot = graph_fmt == "dot" || ctx.format == Format::Dot;
    if dot {
        print!("{}", wpgate_core::rules::deps::to_dot(&graph));
        return Ok(0);
    }
    let mut out = Emitter::new(&ctx.policy);
    wpgate_core::rules::deps::check(&ws, &mut out)?;
    let mut report = out.finish();
    finish(&ws, &mut report, false)?;
    if ctx.format == Format::Human {
        print!("{}", wpgate_core::rules::deps::to_text(&graph));
    }
    ctx.emit_report(&report)
}
