//! Co-simulation of io_stream designs: images are fed beat by beat through the handshake, with
//! optional random input bubbles and output backpressure, and every output beat is compared,
//! in order, with the golden model.

use super::bus;
use super::cosim::{Mismatch, Outcome};
use crate::diag::{Error, Result};
use crate::driver::Compiled;
use crate::fixed::to_f64;
use crate::rtl::{Design, StreamIo};
use ndarray::Array2;
use rand::{Rng, SeedableRng};

/// How the testbench side of the handshake behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Traffic {
    /// Probability that `in_valid` is low in a cycle although a beat is waiting.
    pub bubbles: f64,
    /// Probability that `out_ready` is low in a cycle.
    pub backpressure: f64,
    pub seed: u64,
}

impl Traffic {
    /// Input always valid, output always ready: the conditions latency and II are promised for.
    pub const CLEAN: Traffic = Traffic {
        bubbles: 0.0,
        backpressure: 0.0,
        seed: 0,
    };

    fn is_clean(&self) -> bool {
        self.bubbles == 0.0 && self.backpressure == 0.0
    }
}

/// Runs `inputs` (one image each, in the layers' element order) through the Verilated stream
/// design. With [`Traffic::CLEAN`] the latency and II are measured too.
pub fn run(
    c: &Compiled,
    design: &Design,
    inputs: &[Vec<i128>],
    traffic: Traffic,
) -> Result<Outcome> {
    let io = design
        .stream
        .as_ref()
        .ok_or_else(|| Error::Internal("stream co-simulation of an io_parallel design".into()))?;
    let mut sim = super::cosim::load(design)?;
    let in_t = design.in_type;
    let in_bits = design.in_elements * in_t.width as usize;
    let beats: Vec<Vec<u32>> = inputs
        .iter()
        .flat_map(|image| image.chunks(design.in_elements))
        .map(|beat| bus::pack(beat, in_t.width))
        .collect();
    let zeros = vec![0u32; in_bits.div_ceil(32).max(1)];
    for _ in 0..3 {
        sim.cycle_stream(true, false, &zeros, false);
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(traffic.seed);
    let expected_beats = inputs.len() * io.out_beats;
    let mut received: Vec<Vec<u32>> = Vec::with_capacity(expected_beats);
    let (mut sent, mut cycle, mut idle) = (0usize, 0u64, 0u64);
    let (mut first_in, mut last_out) = (vec![], vec![]);
    let patience = 1000 + 100 * design.latency as u64 + 10 * design.ii as u64;
    while received.len() < expected_beats && idle < patience {
        let offer = sent < beats.len() && !rng.random_bool(traffic.bubbles);
        let ready = !rng.random_bool(traffic.backpressure);
        let data = if offer { &beats[sent] } else { &zeros };
        let ports = sim.cycle_stream(false, offer, data, ready);
        let moved_in = offer && ports.in_ready;
        let moved_out = ports.out_valid && ready;
        if moved_in {
            if sent % io.in_beats == 0 {
                first_in.push(cycle);
            }
            sent += 1;
        }
        if moved_out {
            received.push(ports.out_data);
            if received.len() % io.out_beats == 0 {
                last_out.push(cycle);
            }
        }
        idle = if moved_in || moved_out { 0 } else { idle + 1 };
        cycle += 1;
    }
    // Anything beyond the expected beats is an error too: run a little longer and count.
    let mut extra = 0;
    for _ in 0..(design.latency as u64 + 8) {
        if sim.cycle_stream(false, false, &zeros, true).out_valid {
            extra += 1;
        }
    }
    Ok(compare(
        c,
        design,
        io,
        inputs,
        &received,
        extra,
        traffic.is_clean().then_some((first_in, last_out)),
    ))
}

fn compare(
    c: &Compiled,
    design: &Design,
    io: &StreamIo,
    inputs: &[Vec<i128>],
    received: &[Vec<u32>],
    extra: usize,
    timing: Option<(Vec<u64>, Vec<u64>)>,
) -> Outcome {
    let out_t = design.out_type;
    let n_out = design.out_elements * io.out_beats;
    let mut rtl_values = Array2::from_elem((inputs.len(), n_out), f64::NAN);
    let (mut mismatched, mut first) = (0, None);
    for (s, image) in inputs.iter().enumerate() {
        let want = c.golden.run(image);
        let beats = received.iter().skip(s * io.out_beats).take(io.out_beats);
        let got: Vec<i128> = beats
            .flat_map(|w| bus::unpack(w, design.out_elements, out_t.width, out_t.signed))
            .collect();
        let mut bad = got.len() != want.len();
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
    let complete_images = received.len() / io.out_beats;
    let (latency_measured, ii_measured, on_schedule) = match &timing {
        Some((first_in, last_out)) => (
            last_out
                .first()
                .zip(first_in.first())
                .map(|(o, i)| (o - i) as u32),
            first_in.windows(2).map(|w| (w[1] - w[0]) as u32).max(),
            first_in
                .iter()
                .map(|&t| t - first_in[0])
                .zip(&io.first_in)
                .all(|(measured, &modelled)| measured == modelled),
        ),
        None => (None, None, true),
    };
    Outcome {
        samples: inputs.len(),
        mismatched_samples: mismatched,
        first,
        out_frac: out_t.frac_bits(),
        rtl_values,
        received: complete_images + extra,
        timed: timing.is_some(),
        latency_expected: design.latency,
        latency_measured,
        ii_expected: io.expected_ii(inputs.len()).unwrap_or(design.ii),
        ii_measured,
        ii_uniform: on_schedule,
    }
}
