//! QONNX quantizers inside the graph, in hardware: Verilator co-simulation bit for bit against
//! the golden model with the promised latency (and II), `verilator -Wall` clean.
//!
//! * Small graphs: an input `Quant` (8 bits, scale 2^-4, evaluated in float32 as qonnx does)
//!   feeding the quantizers under test, so that every one of its 256 levels reaches them: each
//!   rounding mode at its ties, clamps, narrow and unsigned-narrow ranges, the 1-bit cases, zero
//!   points, per-channel scales, scales finer than the input, non-power-of-two scales, `Trunc`
//!   v1 and v2, `MultiThreshold`, `BipolarQuant`. The Quant outputs are also checked against
//!   qonnx's formula written out in f64, which does not go through the golden model.
//! * io_stream: a convolution followed by per-channel quantizers, back to back and under input
//!   bubbles and output backpressure.
//! * qonnx 1.0.0's reference outputs (`tests/data/qonnx`) reproduced by the RTL of the Brevitas
//!   exports.
//! * A property test over random widths, signedness, narrow ranges, per-channel power-of-two
//!   scales, zero points and rounding modes.
//!
//! Needs Verilator.

mod common;

use common::qonnx::{per_channel, q, scalar, strategy_mode, Qonnx, MODES, P, Q};
use common::{assert_lint_clean, require_tool};
use ndarray::{Array2, ArrayD, Ix2, IxDyn};
use ndarray_npy::read_npy;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rtlgen::diag::Error;
use rtlgen::driver::Compiled;
use rtlgen::modelgen::encode;
use rtlgen::onnx_proto::ModelProto;
use rtlgen::rtl::requant::{self, Index};
use rtlgen::rtl::timing::Timing;
use rtlgen::rtl::Design;
use rtlgen::sim::stream::{self, Traffic};
use std::path::{Path, PathBuf};

/// Compiles `model` without `fuse-thresholds`, so every quantizer reaches its own hardware.
fn compile(model: &ModelProto, config: &str) -> (Compiled, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (mpath, cpath) = (dir.path().join("q.onnx"), dir.path().join("q.yml"));
    std::fs::write(&mpath, encode(model)).unwrap();
    std::fs::write(&cpath, config).unwrap();
    let c =
        rtlgen::driver::compile_skipping(&mpath, Some(&cpath), None, &["fuse-thresholds"]).unwrap();
    (c, dir)
}

/// Rows of `n` inputs: row `s`, element `e` is level `(s + 37·e) mod 256 − 128` of the input
/// quantizer (so over 256 rows every element takes each level once), then values beyond its
/// range and between its levels.
fn levels(n: usize) -> Array2<f64> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    Array2::from_shape_fn((300, n), |(s, e)| {
        if s < 256 {
            (((s + 37 * e) % 256) as f64 - 128.0) / 16.0
        } else {
            rng.random_range(-12.0..12.0)
        }
    })
}

/// Lints `design` and co-simulates `x` through it: every output equals the golden model's, at
/// the promised latency.
#[track_caller]
fn cosim(c: &Compiled, design: &Design, x: &Array2<f64>) -> Array2<f64> {
    require_tool("verilator");
    assert_lint_clean(&design.files, &design.top);
    let outcome = rtlgen::sim::cosim::run(c, design, x.view(), None).unwrap();
    let summary = outcome.summary();
    assert_eq!(outcome.mismatched_samples, 0, "{summary}");
    assert_eq!(outcome.received, x.nrows(), "{summary}");
    assert_eq!(outcome.latency_measured, Some(design.latency), "{summary}");
    outcome.rtl_values
}

/// The outputs `outs` of `g` (each of `n` elements) concatenated as the model's output, compiled
/// and co-simulated on [`levels`] of `n` inputs.
fn cosim_outputs(mut g: Qonnx, outs: &[String], n: usize) {
    let refs: Vec<&str> = outs.iter().map(String::as_str).collect();
    let y = g.g.concat("cat", &refs, -1);
    let model = g.finish(&y, &[n * refs.len()]);
    let (c, _dir) = compile(&model, "{}");
    cosim(&c, &c.design().unwrap(), &levels(n));
}

/// qonnx's IntQuant written out in f64 (exact for power-of-two scales on these inputs):
/// `y = x/s + z`, the 1-bit signed sign, otherwise clamp and round; `(q − z)·s`.
fn quant_f64(x: f64, s: f64, z: f64, q: Q) -> f64 {
    let y = x / s + z;
    if q.bits == 1 && q.signed {
        return ((if y >= 0.0 { 1.0 } else { -1.0 }) - z) * s;
    }
    let b = q.bits as i32;
    let (lo, hi) = match (q.signed, q.narrow) {
        (true, narrow) => (
            -(2f64.powi(b - 1)) + narrow as u8 as f64,
            2f64.powi(b - 1) - 1.0,
        ),
        (false, narrow) => (0.0, 2f64.powi(b) - 1.0 - narrow as u8 as f64),
    };
    let y = y.clamp(lo, hi);
    let r = match q.mode {
        "ROUND" | "HALF_EVEN" => y.round_ties_even(),
        "FLOOR" => y.floor(),
        "CEIL" => y.ceil(),
        "UP" => y.signum() * y.abs().ceil(),
        "DOWN" => y.trunc(),
        "HALF_UP" => y.signum() * (y.abs() + 0.5).floor(),
        "HALF_DOWN" => y.signum() * (y.abs() - 0.5).ceil(),
        other => panic!("mode {other}"),
    };
    (r - z) * s
}

/// The input quantizer in f64 (its inputs here are on its grid or beyond its range).
fn input_f64(x: f64) -> f64 {
    quant_f64(x, 0.0625, 0.0, q(8, true, false, "ROUND"))
}

/// A Quant under test on a vector: per-channel scales and zero points.
#[derive(Debug, Clone)]
struct Case {
    scales: Vec<f32>,
    zeros: Vec<f32>,
    q: Q,
}

/// `x[n] → qin → each case → Concat`.
fn quants_model(n: usize, cases: &[Case]) -> ModelProto {
    let mut g = Qonnx::new(&[n], 1);
    let x = g.input();
    let p = |v: &[f32]| {
        if v.len() == 1 {
            scalar(v[0])
        } else {
            per_channel(v)
        }
    };
    let outs: Vec<String> = cases
        .iter()
        .enumerate()
        .map(|(k, case)| {
            g.quant(
                &format!("q{k}"),
                &x,
                p(&case.scales),
                p(&case.zeros),
                case.q,
            )
        })
        .collect();
    let refs: Vec<&str> = outs.iter().map(String::as_str).collect();
    let y = g.g.concat("cat", &refs, -1);
    g.finish(&y, &[n * cases.len()])
}

/// [`quants_model`] co-simulated on [`levels`]; every output also equals [`quant_f64`] of the
/// input quantizer's output.
fn check_quants(n: usize, cases: &[Case]) -> Design {
    let (c, _dir) = compile(&quants_model(n, cases), "{}");
    let design = c.design().unwrap();
    let x = levels(n);
    let rtl = cosim(&c, &design, &x);
    for (r, row) in x.rows().into_iter().enumerate() {
        for (k, case) in cases.iter().enumerate() {
            for (e, &v) in row.iter().enumerate() {
                let at = |p: &[f32]| p[if p.len() == 1 { 0 } else { e }] as f64;
                let want = quant_f64(input_f64(v), at(&case.scales), at(&case.zeros), case.q);
                let got = rtl[[r, k * n + e]];
                assert_eq!(got, want, "row {r}, {case:?}, element {e}, x = {v}");
            }
        }
    }
    design
}

fn uniform(scale: f32, zero: f32, q: Q) -> Case {
    Case {
        scales: vec![scale],
        zeros: vec![zero],
        q,
    }
}

/// Every rounding mode on 4-bit signed levels of 2^-2 (two bits dropped: ties at every ±½) and
/// of 2^-3 with zero point 3 (one bit dropped, ties moved by the zero point), clamping at both
/// ends of the input's range.
#[test]
fn every_rounding_mode_at_ties_and_clamps() {
    let cases: Vec<Case> = MODES
        .iter()
        .flat_map(|&mode| {
            [
                uniform(0.25, 0.0, q(4, true, false, mode)),
                uniform(0.125, 3.0, q(4, true, false, mode)),
            ]
        })
        .collect();
    let design = check_quants(4, &cases);
    assert!(
        design.layers.iter().all(|l| l.latency == 1),
        "one stage at 10 ns"
    );
}

/// Narrow ranges (signed drops −2^(b−1), unsigned the top code 2^b − 1), unsigned levels, the
/// 1-bit signed sign (never 0) and 1-bit unsigned (including narrow: the single level 0), scales
/// finer than the input (no rounding, only the clamp), a scale above 1, negative zero points,
/// per-channel scales and zero points.
#[test]
fn ranges_one_bit_zero_points_and_per_channel_scales() {
    let cases = vec![
        uniform(0.25, 0.0, q(4, true, true, "ROUND")),
        uniform(0.25, 0.0, q(4, false, false, "HALF_UP")),
        uniform(0.25, 0.0, q(4, false, true, "CEIL")),
        uniform(0.5, 0.0, q(1, true, false, "FLOOR")),
        uniform(0.5, 1.0, q(1, true, true, "ROUND")),
        uniform(0.25, -2.0, q(1, true, false, "UP")),
        uniform(0.25, 0.0, q(1, false, false, "HALF_DOWN")),
        uniform(0.25, 2.0, q(1, false, true, "ROUND")),
        uniform(0.015625, 0.0, q(8, true, false, "ROUND")),
        uniform(0.015625, -5.0, q(6, false, false, "DOWN")),
        uniform(2.0, -1.0, q(3, true, false, "HALF_EVEN")),
        uniform(0.0625, 0.0, q(8, true, false, "FLOOR")),
        Case {
            scales: vec![0.25, 0.125, 1.0, 0.03125],
            zeros: vec![0.0, -3.0, 2.0, 1.0],
            q: q(3, true, true, "HALF_DOWN"),
        },
        Case {
            scales: vec![0.5, 0.0625, 4.0, 0.25],
            zeros: vec![1.0, 7.0, 0.0, -1.0],
            q: q(5, false, false, "UP"),
        },
    ];
    check_quants(4, &cases);
}

/// Scales that are not powers of two. With many levels (8 bits) the quotient by a constant
/// reciprocal multiplication and the remainder against half the divisor; with few, constant
/// thresholds (cheaper). 3·2^-3 and 3·2^-7 have exact ties on the input grid; float32 0.3 and
/// 0.0666… have 24-bit odd mantissas; per channel too. At 2 ns the multiplications take
/// pipeline stages of their own, and the latency the report promises still holds.
#[test]
fn non_power_of_two_scales() {
    let cases: Vec<Case> = MODES
        .iter()
        .flat_map(|&mode| {
            [
                uniform(0.375, 0.0, q(4, true, false, mode)),
                uniform(0.023_437_5, 0.0, q(8, true, false, mode)),
            ]
        })
        .chain([
            uniform(0.3, 2.0, q(4, true, true, "ROUND")),
            uniform(0.066_666_67, 0.0, q(4, false, false, "HALF_UP")),
            uniform(0.018_75, -3.0, q(8, true, true, "HALF_EVEN")),
            Case {
                scales: vec![0.3, 0.07, 0.25, 1.5],
                zeros: vec![0.0, 1.0, 0.0, -2.0],
                q: q(3, true, false, "HALF_DOWN"),
            },
            Case {
                scales: vec![0.023_437_5, 0.018_75, 0.046_875, 0.0625],
                zeros: vec![0.0, 5.0, -1.0, 0.0],
                q: q(7, false, false, "UP"),
            },
        ])
        .collect();
    let (c, _dir) = compile(&quants_model(4, &cases), "{}");
    let (mut reciprocals, mut thresholds) = (0, 0);
    for layer in &c.golden.layers {
        if let rtlgen::golden::Layer::Quantizer(k) = layer {
            for plan in requant::plans(k).unwrap() {
                match plan.index {
                    Index::Divide(ds) if ds[0].reciprocal().is_some() => reciprocals += 1,
                    Index::Count(t) if t.len() > 1 => thresholds += 1,
                    _ => {}
                }
            }
        }
    }
    assert!(
        reciprocals >= 30 && thresholds >= 30,
        "{reciprocals} {thresholds}"
    );
    let x = levels(4);
    cosim(&c, &c.design().unwrap(), &x);
    let fast = c.design_for(&Timing::xc7(2.0)).unwrap();
    assert!(
        fast.layers.iter().any(|l| l.latency > 2),
        "{:?}",
        fast.layers.iter().map(|l| l.latency).collect::<Vec<_>>()
    );
    cosim(&c, &fast, &x);
}

/// `Trunc` v1 (no clamp; the level divided by 2^(in − out) in each mode, zero points
/// subtracted unscaled) on the input quantizer's output.
#[test]
fn trunc_v1() {
    let mut g = Qonnx::new(&[4], 1);
    let x = g.input();
    let mut outs = vec![];
    for (k, mode) in MODES.iter().enumerate() {
        outs.push(g.trunc(
            &format!("t{k}"),
            &x,
            (0.0625, 0.0),
            (8, 4),
            None,
            (true, false),
            mode,
        ));
    }
    outs.push(g.trunc(
        "tz",
        &x,
        (0.0625, 5.0),
        (8, 5),
        None,
        (true, false),
        "FLOOR",
    ));
    outs.push(g.trunc("tn", &x, (0.3, 0.0), (8, 6), None, (true, false), "ROUND"));
    outs.push(g.trunc("tw", &x, (0.25, 1.0), (6, 7), None, (true, false), "CEIL"));
    cosim_outputs(g, &outs, 4);
}

/// `Trunc` v2: the output scale's power of two (2^round(log2(s_out/s)), also when the ratio is
/// not one: 3 gives 4), the clamp into signed, unsigned and narrow output ranges, a fractional
/// output zero point, an output scale finer than the input's.
#[test]
fn trunc_v2() {
    let mut g = Qonnx::new(&[4], 2);
    let x = g.input();
    let mut outs = vec![];
    for (k, mode) in MODES.iter().enumerate() {
        outs.push(g.trunc(
            &format!("t{k}"),
            &x,
            (0.0625, 0.0),
            (8, 4),
            Some(0.5),
            (true, false),
            mode,
        ));
    }
    let variants = [
        ("vu", (0.0625, 0.0), 3, 0.25, (false, true), "ROUND"),
        ("v3", (0.0625, 0.0), 8, 0.1875, (true, false), "HALF_UP"),
        ("vz", (0.0625, 6.0), 5, 0.25, (false, false), "FLOOR"),
        ("vf", (0.0625, 0.0), 8, 0.015625, (true, true), "DOWN"),
        ("vn", (0.3, 1.0), 6, 1.2, (true, false), "HALF_EVEN"),
    ];
    for (name, sz, out_bits, out_scale, sn, mode) in variants {
        outs.push(g.trunc(name, &x, sz, (8, out_bits), Some(out_scale), sn, mode));
    }
    cosim_outputs(g, &outs, 4);
}

/// `MultiThreshold` per channel (sorted, unsorted, duplicated thresholds and thresholds beyond
/// the input's range), with one global row and negative output scale, in the bipolar form, and
/// `BipolarQuant` per channel.
#[test]
fn multithreshold_and_bipolar() {
    let mut g = Qonnx::new(&[3], 1);
    let x = g.input();
    let rows = P(
        vec![3, 7],
        vec![
            -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, // sorted
            0.25, 0.25, -9.0, 3.0, 0.0625, 0.25, 100.0, // duplicates, out of range
            7.9375, -8.0, 1.5, -1.5, 0.75, -0.75, 0.0, // unsorted, at the range's ends
        ],
    );
    let outs = [
        g.multithreshold("mt", &x, rows, (1.0, 0.0), "NC"),
        g.multithreshold(
            "mg",
            &x,
            P(vec![1, 4], vec![-3.0, -0.125, 0.0, 5.5]),
            (-0.5, 0.25),
            "NC",
        ),
        g.multithreshold(
            "mb",
            &x,
            P(vec![3, 1], vec![0.0, -0.0625, 1.0]),
            (2.0, -1.0),
            "NC",
        ),
        g.bipolar("bq", &x, per_channel(&[1.0, 0.5, 0.3])),
    ];
    cosim_outputs(g, &outs, 3);
}

/// Deterministic values on a 2^-3 grid in (−1, 1).
fn grid(shape: &[usize], seed: u64) -> ArrayD<f32> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    ArrayD::from_shape_fn(IxDyn(shape), |_| rng.random_range(-7..=7) as f32 / 8.0)
}

/// `x[2, 5, 5] → qin → conv 3×3 (3 filters, padding 1) → Quant per channel ([1, 3, 1, 1]
/// scales and zero points) → MultiThreshold (NCHW rows) → flatten → Gemm → Quant`, streamed.
fn stream_model(per_pixel: bool) -> ModelProto {
    let mut g = Qonnx::new(&[2, 5, 5], 1);
    let x = g.input();
    let w = grid(&[3, 2, 3, 3], 1);
    let b = grid(&[3], 2).into_dimensionality().unwrap();
    let h = g.g.conv("conv", &x, &w, Some(&b), &[1, 1], &[1, 1, 1, 1]);
    let scales = if per_pixel {
        P(vec![1, 1, 1, 5], vec![0.25, 0.125, 0.5, 0.25, 0.25])
    } else {
        P(vec![1, 3, 1, 1], vec![0.25, 0.125, 0.5])
    };
    let zeros = P(vec![1, 3, 1, 1], vec![0.0, 2.0, -1.0]);
    let h = g.quant("qc", &h, scales, zeros, q(4, true, false, "HALF_UP"));
    let rows = P(
        vec![3, 3],
        vec![-1.0, 0.0, 1.0, 0.5, 0.5, -0.25, 2.0, -2.0, 0.0],
    );
    let h = g.multithreshold("mt", &h, rows, (0.5, -0.5), "NCHW");
    let f = g.g.flatten("flatten", &h);
    let w = grid(&[4, 75], 3).into_dimensionality().unwrap();
    let b = grid(&[4], 4).into_dimensionality().unwrap();
    let y = g.g.gemm("fc", &f, &w, Some(&b));
    let y = g.quant(
        "qout",
        &y,
        scalar(0.125),
        scalar(0.0),
        q(6, true, true, "ROUND"),
    );
    g.finish(&y, &[4])
}

/// io_stream: per-channel quantizers on pixel beats and a quantizer on a vector beat, bit-exact
/// back to back (latency and II as promised) and under bubbles and backpressure.
#[test]
fn stream_per_channel_quantizers_under_backpressure() {
    let (c, _dir) = compile(&stream_model(false), "IOType: io_stream\n");
    let design = c.design().unwrap();
    require_tool("verilator");
    assert_lint_clean(&design.files, &design.top);
    let x = levels(50);
    let inputs: Vec<Vec<i128>> = (0..12)
        .map(|s| c.golden.quantize_input(s, &x.row(s * 20).to_vec()).unwrap())
        .collect();
    let clean = stream::run(&c, &design, &inputs, Traffic::CLEAN).unwrap();
    let summary = clean.summary();
    assert_eq!(clean.mismatched_samples, 0, "{summary}");
    assert_eq!(clean.received, inputs.len(), "{summary}");
    assert_eq!(clean.latency_measured, Some(design.latency), "{summary}");
    assert!(clean.ii_uniform, "{summary}");
    for (seed, bubbles, backpressure) in [(1, 0.3, 0.0), (2, 0.0, 0.7), (3, 0.5, 0.6)] {
        let traffic = Traffic {
            bubbles,
            backpressure,
            seed,
        };
        let o = stream::run(&c, &design, &inputs, traffic).unwrap();
        let summary = o.summary();
        assert_eq!(o.mismatched_samples, 0, "{traffic:?}: {summary}");
        assert_eq!(o.received, inputs.len(), "{traffic:?}: {summary}");
    }
}

/// In io_stream a quantizer's parameters apply to every pixel's beat: a scale that varies along
/// W (numpy's trailing-axis broadcast) is a user error naming the node.
#[test]
fn stream_parameters_that_differ_between_pixels_are_a_user_error() {
    let (c, _dir) = compile(&stream_model(true), "IOType: io_stream\n");
    match c.design() {
        Err(Error::User(d)) => {
            let text = d[0].to_string();
            assert!(
                text.starts_with("qc (Quant), hardware: expected parameters that are the same for every pixel in io_stream"),
                "{text}"
            );
        }
        other => panic!("expected a user error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// qonnx's reference outputs

fn case_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/qonnx")
        .join(name)
}

fn load(name: &str, file: &str) -> Array2<f64> {
    let a: ArrayD<f32> = read_npy(case_dir(name).join(file)).unwrap();
    let n = a.shape()[0];
    let per_row = a.len() / n;
    a.mapv(f64::from)
        .into_shape_with_order((n, per_row))
        .unwrap()
        .into_dimensionality::<Ix2>()
        .unwrap()
}

/// The RTL of case `name` (with `config`) on its `X.npy`: bit-exact with the golden model at
/// the promised latency; returned as float32 values.
fn rtl_of_case(name: &str, config: &str) -> Array2<f64> {
    let dir = tempfile::tempdir().unwrap();
    let cpath = dir.path().join("c.yml");
    std::fs::write(&cpath, config).unwrap();
    let c =
        rtlgen::driver::compile(&case_dir(name).join("model.onnx"), Some(&cpath), None).unwrap();
    let design = c.design().unwrap();
    cosim(&c, &design, &load(name, "X.npy")).mapv(|v| v as f32 as f64)
}

/// The power-of-two Brevitas exports and the binarized MLP (its BipolarQuant layers as sign
/// comparisons, its ±1 weights as wires): the RTL reproduces qonnx's outputs bit for bit.
#[test]
fn rtl_reproduces_qonnx_on_the_brevitas_exports() {
    for (name, config) in [
        ("brevitas_mlp_w4a4_po2", "{}"),
        ("residual_w4a4", "{}"),
        ("brevitas_cnn_w4a4", "IOType: io_stream\n"),
        ("brevitas_cnn_w4a4", "IOType: io_parallel\n"),
        ("binary_mlp", "{}"),
    ] {
        assert_eq!(rtl_of_case(name, config), load(name, "Y.npy"), "{name}");
    }
}

/// The exports of qonnx's QKeras converter: MatMul + Add for each Dense, a channels-last input
/// transposed around the convolution and before the flatten, BatchNormalization as Mul + Add
/// (the second fused into thresholds with the quantized ReLU after it; the first reads too many
/// codes to fuse), binary and ternary weights as
/// 1- and 2-bit Quants. These models quantize no input: the float inputs are on the 2^-8 grid,
/// which the default input type holds. The RTL reproduces qonnx's outputs bit for bit.
#[test]
fn rtl_reproduces_qonnx_on_the_qkeras_exports() {
    for (name, config) in [
        ("qkeras_mlp", "{}"),
        ("qkeras_cnn", "IOType: io_stream\n"),
        ("qkeras_cnn", "IOType: io_parallel\n"),
        ("qkeras_conv1d", "IOType: io_stream\n"),
        ("qkeras_conv1d", "IOType: io_parallel\n"),
        ("qkeras_binary", "{}"),
    ] {
        assert_eq!(
            rtl_of_case(name, config),
            load(name, "Y.npy"),
            "{name}: {config}"
        );
    }
}

/// Non-power-of-two scales (Brevitas' default quantizers): the RTL equals the golden model bit
/// for bit, and qonnx within its float32 summation noise (see tests/qonnx.rs).
#[test]
fn rtl_of_the_non_power_of_two_brevitas_mlp() {
    let name = "brevitas_mlp_w4a4";
    let got = rtl_of_case(name, "{}");
    let want = load(name, "Y.npy");
    let worst = (&got - &want).mapv(f64::abs).fold(0.0f64, |a, &b| a.max(b));
    assert!(worst <= 1e-6, "largest difference from qonnx {worst}");
}

/// `examples/qonnx_mlp_w4a4.onnx` is the power-of-two Brevitas MLP, whose RTL reproduces qonnx
/// above, and the README's command builds it with its two quantizer layers.
#[test]
fn the_qonnx_example_is_the_power_of_two_brevitas_mlp_and_builds() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/qonnx_mlp_w4a4.onnx");
    let case = case_dir("brevitas_mlp_w4a4_po2").join("model.onnx");
    assert_eq!(
        std::fs::read(&example).unwrap(),
        std::fs::read(case).unwrap()
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("qonnx_mlp");
    common::cli_build(&example, &["--target", "arty-a7"], &out);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    let text = report.to_string();
    for layer in ["Quant_4", "Quant_5"] {
        assert!(text.contains(&format!("\"{layer}\"")), "{layer} in {text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Random power-of-two quantizers

/// Four channels with their own scale exponent and zero point.
fn check_random(bits: u32, signed: bool, narrow: bool, mode: &'static str, ez: &[(i32, i32)]) {
    let case = Case {
        scales: ez.iter().map(|&(e, _)| 2f32.powi(e)).collect(),
        zeros: ez.iter().map(|&(_, z)| z as f32).collect(),
        q: q(bits, signed, narrow, mode),
    };
    check_quants(ez.len(), &[case]);
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 4,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Random bit widths, signedness, narrow ranges, per-channel power-of-two scales (coarser
    /// and finer than the input's 2^-4) and zero points, and rounding modes.
    #[test]
    fn random_power_of_two_quantizers(
        bits in 1u32..=9,
        signed: bool,
        narrow: bool,
        mode in strategy_mode(),
        ez in prop::collection::vec((-7i32..=2, -4i32..=4), 4),
    ) {
        check_random(bits, signed, narrow, mode, &ez);
    }
}
