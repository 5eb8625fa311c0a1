use super::registry::PIPELINE;
use crate::config::Config;
use crate::diag::{Error, Result};
use crate::ir::{verify, Graph};

/// Receives the IR text after a pass.
pub type IrSink<'a> = &'a mut dyn FnMut(&str);

/// What passes may read, and what they report besides errors.
pub struct PassContext<'a> {
    pub config: &'a Config,
    /// Remarks for the user (not errors), printed once by the CLI.
    pub notes: Vec<String>,
    /// Called with the IR text after the named pass (`--dump-ir-after`).
    pub dump_after: Option<(&'a str, IrSink<'a>)>,
    /// Optional passes not to run.
    pub skip: &'a [&'a str],
}

/// Runs the whole pipeline, verifying the graph before the first pass and after every pass.
pub fn run(graph: &mut Graph, ctx: &mut PassContext) -> Result<()> {
    verify(graph).map_err(|e| rename(e, "import"))?;
    for pass in PIPELINE {
        if !pass.required && ctx.skip.contains(&pass.name) {
            continue;
        }
        (pass.run)(graph, ctx)?;
        graph.phase = pass.produces;
        verify(graph).map_err(|e| rename(e, pass.name))?;
        if let Some((name, sink)) = ctx.dump_after.as_mut() {
            if *name == pass.name {
                sink(&graph.dump());
            }
        }
    }
    Ok(())
}

fn rename(e: Error, pass: &str) -> Error {
    match e {
        Error::Internal(msg) => {
            Error::Internal(format!("the graph is invalid after pass '{pass}': {msg}"))
        }
        other => other,
    }
}
