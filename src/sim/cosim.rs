//! Co-simulation: runs inputs through the Verilated RTL and compares every output with the golden
//! model, checking latency and initiation interval against the design's promise.

use super::bus;
use super::ffi::Simulator;
use crate::diag::{Error, Result};
use crate::driver::Compiled;
use crate::fixed::to_f64;
use crate::rtl::Design;
use ndarray::{Array2, ArrayView2};
use std::path::Path;

/// The first disagreement found.
#[derive(Debug, Clone)]
pub struct Mismatch {
    pub sample: usize,
    pub output: usize,
    pub rtl: i128,
    pub golden: i128,
}

#[derive(Debug)]
pub struct Outcome {
    pub samples: usize,
    pub mismatched_samples: usize,
    pub first: Option<Mismatch>,
    pub out_frac: i32,
    /// Outputs the RTL produced (as exact values); missing outputs are NaN.
    pub rtl_values: Array2<f64>,
    pub received: usize,
    /// Whether latency and II were measured (inputs back to back, output always ready).
    pub timed: bool,
    pub latency_expected: u32,
    pub latency_measured: Option<u32>,
    /// io_parallel: the design's initiation interval, inputs are fed this many cycles apart.
    /// io_stream: the largest spacing of the images' first input beats that the cycle model
    /// gives for this many images (the II once they reach the steady pace).
    pub ii_expected: u32,
    /// io_parallel: the largest number of cycles between consecutive outputs; io_stream: between
    /// consecutive images' first input beats (`None` for fewer than two). Equal to
    /// `ii_expected` when the design keeps its promise.
    pub ii_measured: Option<u32>,
    /// io_parallel: whether all consecutive outputs were equally far apart; io_stream: whether
    /// every image's first input beat moved at the cycle the cycle model gives.
    pub ii_uniform: bool,
}

impl Outcome {
    pub fn summary(&self) -> String {
        let lat = self
            .latency_measured
            .map_or("none".into(), |l| l.to_string());
        let ii = self.ii_measured.map_or("n/a".into(), |l| l.to_string());
        let timing = if self.timed {
            format!(
                "latency {lat} cycles (promised {}), II {ii} (promised {})",
                self.latency_expected, self.ii_expected
            )
        } else {
            "timing not measured (random input bubbles and output backpressure)".into()
        };
        let mut s = format!(
            "cosim: {} samples, {} outputs received, {} mismatching samples; {timing}",
            self.samples, self.received, self.mismatched_samples
        );
        if let Some(m) = &self.first {
            s.push_str(&format!(
                "\nfirst mismatch: sample {}, output {}: RTL {} (mantissa {}), golden model {} (mantissa {})",
                m.sample,
                m.output,
                to_f64(m.rtl, self.out_frac),
                m.rtl,
                to_f64(m.golden, self.out_frac),
                m.golden
            ));
        }
        s
    }

    /// `Ok` only if every output arrived, matched, and latency and II are as promised.
    pub fn into_result(self) -> Result<()> {
        let timing_ok = !self.timed
            || (self.latency_measured == Some(self.latency_expected)
                && self.ii_uniform
                && self.ii_measured.is_none_or(|ii| ii == self.ii_expected));
        let ok = self.mismatched_samples == 0 && self.received == self.samples && timing_ok;
        if ok {
            Ok(())
        } else {
            Err(Error::Mismatch(format!(
                "co-simulation failed: {}",
                self.summary()
            )))
        }
    }
}

/// Builds (or reuses) the Verilated design and runs every row of `x` through it, one per clock.
pub fn run(
    c: &Compiled,
    design: &Design,
    x: ArrayView2<f64>,
    vcd: Option<&Path>,
) -> Result<Outcome> {
    let inputs: Vec<Vec<i128>> = (0..x.nrows())
        .map(|s| c.golden.quantize_input(s, &x.row(s).to_vec()))
        .collect::<Result<_>>()?;
    run_mantissas(c, design, &inputs, vcd)
}

/// Verilates the design (or reuses the cached build) with a progress spinner and loads it, with
/// the stream harness for an io_stream design.
pub(super) fn load(design: &Design) -> Result<Simulator> {
    let stream = design.stream.is_some();
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let lib = super::verilator::build(&design.files, &design.top, stream, &|msg| {
        spinner.set_message(msg.to_owned())
    })?;
    spinner.finish_and_clear();
    let in_bits = design.in_elements * design.in_type.width as usize;
    let out_bits = design.out_elements * design.out_type.width as usize;
    Simulator::load(&lib, in_bits, out_bits, stream)
}

/// Like [`run`] with inputs already in the input type.
pub fn run_mantissas(
    c: &Compiled,
    design: &Design,
    inputs: &[Vec<i128>],
    vcd: Option<&Path>,
) -> Result<Outcome> {
    if design.stream.is_some() {
        if vcd.is_some() {
            return Err(Error::user(crate::diag::Diagnostic::new(
                "--vcd",
                None,
                "design",
                "an io_parallel design (waveforms of io_stream designs are not written yet)",
                "an io_stream design",
            )));
        }
        return super::stream::run(c, design, inputs, super::stream::Traffic::CLEAN);
    }
    let mut sim = load(design)?;
    let in_bits = design.in_elements * design.in_type.width as usize;
    let out_bits = design.out_elements * design.out_type.width as usize;
    let mut wave = match vcd {
        Some(path) => Some(super::wave::Writer::create(path, in_bits, out_bits)?),
        None => None,
    };
    let zeros = vec![0u32; in_bits.div_ceil(32)];
    let step = |sim: &mut Simulator,
                rst: bool,
                valid: bool,
                data: &[u32],
                wave: &mut Option<super::wave::Writer>|
     -> Result<(bool, Vec<u32>)> {
        let (ov, od) = sim.cycle(rst, valid, data);
        if let Some(w) = wave.as_mut() {
            w.cycle(rst, valid, data, ov, &od)?;
        }
        Ok((ov, od))
    };
    for _ in 0..3 {
        step(&mut sim, true, false, &zeros, &mut wave)?;
    }
    let n = inputs.len();
    let mut outputs: Vec<(u64, Vec<u32>)> = Vec::with_capacity(n);
    let mut cycle: u64 = 0;
    let ii = design.ii as u64;
    let budget = n as u64 * ii + design.latency as u64 + 16;
    while cycle < budget && outputs.len() < n + 1 {
        let next = (cycle % ii == 0)
            .then(|| inputs.get((cycle / ii) as usize))
            .flatten();
        let (valid, data) = match next {
            Some(x) => (true, bus::pack(x, design.in_type.width)),
            None => (false, zeros.clone()),
        };
        let (ov, od) = step(&mut sim, false, valid, &data, &mut wave)?;
        if ov {
            outputs.push((cycle, od));
        }
        cycle += 1;
    }
    if let Some(w) = wave {
        w.finish()?;
    }
    let out_t = design.out_type;
    let mut rtl_values = Array2::from_elem((n, design.out_elements), f64::NAN);
    let mut mismatched = 0;
    let mut first = None;
    for (s, (_, words)) in outputs.iter().take(n).enumerate() {
        let got = bus::unpack(words, design.out_elements, out_t.width, out_t.signed);
        let want = c.golden.run(&inputs[s]);
        let mut bad = false;
        for (o, (&g, &w)) in got.iter().zip(&want).enumerate() {
            rtl_values[[s, o]] = to_f64(g, out_t.frac_bits());
            if g != w {
                bad = true;
                first.get_or_insert(Mismatch {
                    sample: s,
                    output: o,
                    rtl: g,
                    golden: w,
                });
            }
        }
        mismatched += bad as usize;
    }
    let latency_measured = outputs.first().map(|(c, _)| *c as u32 + 1);
    let gaps: Vec<u32> = outputs
        .windows(2)
        .map(|w| (w[1].0 - w[0].0) as u32)
        .collect();
    let ii_measured = gaps.iter().max().copied();
    let ii_uniform = gaps.iter().min() == gaps.iter().max();
    Ok(Outcome {
        samples: n,
        mismatched_samples: mismatched,
        first,
        out_frac: out_t.frac_bits(),
        rtl_values,
        received: outputs.len(),
        timed: true,
        latency_expected: design.latency,
        latency_measured,
        ii_expected: design.ii,
        ii_measured,
        ii_uniform,
    })
}
