//! The subcommands, on top of [`driver`](crate::driver).

use crate::cli::ModelArgs;
use crate::diag::{Diagnostic, Error, Result};
use crate::driver::{compile, write_dir_atomically, Compiled};
use std::path::{Path, PathBuf};

fn compile_args(m: &ModelArgs) -> Result<Compiled> {
    let c = compile(&m.model, m.config.as_deref(), m.dump_ir_after.as_deref())?;
    for line in &c.notes {
        eprintln!("note: {line}");
    }
    Ok(c)
}

pub fn build(
    m: &ModelArgs,
    target: &str,
    output: Option<PathBuf>,
    tb_vectors: usize,
) -> Result<()> {
    let board = crate::flow::board(target)?;
    if tb_vectors == 0 {
        return Err(Error::user(Diagnostic::new(
            "--tb-vectors",
            None,
            "count",
            "at least 1",
            "0",
        )));
    }
    let c = compile_args(m)?;
    let design = c.design()?;
    let out = output.unwrap_or_else(|| PathBuf::from(m.model.file_stem().unwrap_or_default()));
    write_dir_atomically(&out, "report.json", |dir| {
        crate::artifacts::write_build(&c, &design, target, &board, dir, tb_vectors)
    })?;
    println!(
        "{}: {} layers, latency {} cycles ({} ns at {} ns), II {} -> {}",
        design.top,
        design.layers.len(),
        design.latency,
        design.latency as f64 * board.clock_period_ns,
        board.clock_period_ns,
        design.ii,
        out.display()
    );
    Ok(())
}

pub fn predict(m: &ModelArgs, input: &Path, output: &Path) -> Result<()> {
    let c = compile_args(m)?;
    let x = crate::npy::read_samples(input, &c.golden.input_shape)?;
    let y = c.golden.run_batch(x.view())?;
    crate::npy::write(output, &c.golden.to_values(&y))?;
    eprintln!("predicted {} samples -> {}", x.nrows(), output.display());
    Ok(())
}

pub fn cosim(m: &ModelArgs, input: &Path, output: &Path, vcd: Option<&Path>) -> Result<()> {
    let c = compile_args(m)?;
    let x = crate::npy::read_samples(input, &c.golden.input_shape)?;
    let design = c.design()?;
    let outcome = crate::sim::cosim::run(&c, &design, x.view(), vcd)?;
    crate::npy::write(output, &outcome.rtl_values)?;
    println!("{}", outcome.summary());
    outcome.into_result()
}
