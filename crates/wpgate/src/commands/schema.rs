//! `wpgate schema packet`: the JSON Schema of a wpgate data format, printed to stdout.
//! Each schema is a text of the core crate (the packet one:
//! `wpgate_core::model::packet::structured::SCHEMA`); another format (`policy`) is one
//! more [`SchemaWhat`] variant and one more arm here.

use wpgate_core::Error;

use crate::cli::SchemaWhat;

/// The schema text of `what`.
pub fn text(what: SchemaWhat) -> &'static str {
    match what {
        SchemaWhat::Packet => wpgate_core::model::packet::structured::SCHEMA,
    }
}

/// Prints the schema of `what`.
pub fn run(what: SchemaWhat) -> Result<u8, Error> {
    let t = text(what);
    if t.ends_with('\n') {
        print!("{t}");
    } else {
        println!("{t}");
    }
    Ok(0)
}
