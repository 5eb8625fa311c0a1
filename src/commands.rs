//! The subcommands, on top of [`driver`](crate::driver).

use crate::cli::{HardwareArgs, ModelArgs};
use crate::diag::{Diagnostic, Error, Result};
use crate::driver::{compile, write_dir_atomically, Compiled};
use crate::rtl::timing::Timing;
use std::path::{Path, PathBuf};

fn compile_args(m: &ModelArgs) -> Result<Compiled> {
    let c = compile(&m.model, m.config.as_deref(), m.dump_ir_after.as_deref())?;
    for line in &c.notes {
        eprintln!("note: {line}");
    }
    Ok(c)
}

/// The board and the timing its pipeline is scheduled for; a bad period is a user error.
fn hardware(hw: &HardwareArgs) -> Result<(crate::flow::Board, Timing)> {
    let mut board = crate::flow::board(&hw.target)?;
    if let Some(p) = hw.clock_period_ns {
        if !(p.is_finite() && p > 0.0) {
            return Err(Error::user(Diagnostic::new(
                "--clock-period-ns",
                None,
                "period",
                "a positive number of nanoseconds",
                p.to_string(),
            )));
        }
        board.clock_period_ns = p;
    }
    let timing = Timing::new(board.family, board.clock_period_ns);
    Ok((board, timing))
}

/// Returns the output folder.
pub fn build(
    m: &ModelArgs,
    hw: &HardwareArgs,
    output: Option<PathBuf>,
    tb_vectors: usize,
) -> Result<PathBuf> {
    let (board, timing) = hardware(hw)?;
    let target = hw.target.as_str();
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
    let design = c.design_for(&timing)?;
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
    Ok(out)
}

pub fn predict(m: &ModelArgs, input: &Path, output: &Path) -> Result<()> {
    let c = compile_args(m)?;
    let x = crate::npy::read_samples(input, &c.golden.input_shape)?;
    let y = c.golden.run_batch(x.view())?;
    crate::npy::write(output, &c.golden.to_values(&y))?;
    eprintln!("predicted {} samples -> {}", x.nrows(), output.display());
    Ok(())
}

pub fn cosim(
    m: &ModelArgs,
    input: &Path,
    output: &Path,
    hw: &HardwareArgs,
    vcd: Option<&Path>,
) -> Result<()> {
    let (_, timing) = hardware(hw)?;
    let c = compile_args(m)?;
    let x = crate::npy::read_samples(input, &c.golden.input_shape)?;
    let design = c.design_for(&timing)?;
    let outcome = crate::sim::cosim::run(&c, &design, x.view(), vcd)?;
    crate::npy::write(output, &outcome.rtl_values)?;
    println!("{}", outcome.summary());
    outcome.into_result()
}
