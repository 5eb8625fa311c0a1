//! Binary and ternary layers in hardware: activations whose values are ±1 travel as one XNOR
//! bit per element, and a Dense or a convolution at reuse factor 1 reading them counts matching
//! signs (XNOR-popcount) per weight magnitude, zero weights removed.
//!
//! * The Brevitas binary/ternary CNN (`tests/data/qonnx/binary_cnn`) equals qonnx's outputs bit
//!   for bit in io_parallel, and in io_stream back to back and under bubbles and backpressure.
//! * Neurons at the edges of the counting: no weight, one weight, all weights of one sign,
//!   several magnitudes, on inputs whose signs all match, all differ or alternate.
//! * A property test over random binary, ternary and multi-magnitude weights, biases, clock
//!   periods (popcounts split over stages), io_parallel and io_stream, and sign outputs.
//!
//! Every design is co-simulated against the golden model (which tests/qonnx.rs checks against
//! qonnx) with Verilator, and is `verilator -Wall` clean.

mod common;

use common::qonnx::{q, scalar, Qonnx};
use common::{assert_lint_clean, peer_rows, require_tool};
use ndarray::{Array1, Array2};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rtlgen::driver::Compiled;
use rtlgen::modelgen::encode;
use rtlgen::onnx_proto::ModelProto;
use rtlgen::rtl::{Design, Encoding, LayerInfo};
use rtlgen::sim::stream::{self, Traffic};

fn compile(model: &ModelProto, config: &str) -> (Compiled, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (mpath, cpath) = (dir.path().join("b.onnx"), dir.path().join("b.yml"));
    std::fs::write(&mpath, encode(model)).unwrap();
    std::fs::write(&cpath, config).unwrap();
    let c = rtlgen::driver::compile(&mpath, Some(&cpath), None).unwrap();
    (c, dir)
}

fn layer<'a>(design: &'a Design, name: &str) -> &'a LayerInfo {
    design
        .layers
        .iter()
        .find(|l| l.name == name)
        .unwrap_or_else(|| panic!("no layer {name}"))
}

/// Co-simulates `x` through `design`: in io_parallel with the promised latency, in io_stream
/// back to back (latency and II as promised) and under bubbles and backpressure. Every output
/// equals the golden model's; returns the RTL's outputs as values.
#[track_caller]
fn cosim(c: &Compiled, design: &Design, x: &Array2<f64>) -> Array2<f64> {
    require_tool("verilator");
    assert_lint_clean(&design.files, &design.top);
    if design.stream.is_none() {
        let o = rtlgen::sim::cosim::run(c, design, x.view(), None).unwrap();
        let summary = o.summary();
        assert_eq!(o.mismatched_samples, 0, "{summary}");
        assert_eq!(o.received, x.nrows(), "{summary}");
        assert_eq!(o.latency_measured, Some(design.latency), "{summary}");
        return o.rtl_values;
    }
    let inputs: Vec<Vec<i128>> = (0..x.nrows())
        .map(|s| c.golden.quantize_input(s, &x.row(s).to_vec()).unwrap())
        .collect();
    let clean = stream::run(c, design, &inputs, Traffic::CLEAN).unwrap();
    let summary = clean.summary();
    assert_eq!(clean.mismatched_samples, 0, "{summary}");
    assert_eq!(clean.received, inputs.len(), "{summary}");
    assert_eq!(clean.latency_measured, Some(design.latency), "{summary}");
    assert!(clean.ii_uniform, "{summary}");
    let busy = Traffic {
        bubbles: 0.3,
        backpressure: 0.5,
        seed: 5,
    };
    let o = stream::run(c, design, &inputs, busy).unwrap();
    let summary = o.summary();
    assert_eq!(o.mismatched_samples, 0, "{summary}");
    assert_eq!(o.received, inputs.len(), "{summary}");
    assert_eq!(o.rtl_values, clean.rtl_values, "{summary}");
    clean.rtl_values
}

/// Brevitas' binary CNN: a binary input (read by its sign bits) and binary weights, a ternary
/// convolution (25 % zero weights), BatchNorm + sign as thresholds, a max pool and a flatten of
/// ±1 values, a binary classifier; in io_stream and in io_parallel.
#[test]
fn binary_cnn_equals_qonnx_in_both_io_types() {
    let dir = common::data("qonnx/binary_cnn");
    let (x, y) = peer_rows(&dir);
    let rows = ndarray::s![..48, ..];
    for io in ["io_stream", "io_parallel"] {
        let cfg = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(cfg.path(), format!("IOType: {io}\n")).unwrap();
        let c = rtlgen::driver::compile(&dir.join("model.onnx"), Some(cfg.path()), None).unwrap();
        let design = c.design().unwrap();
        let encoding = |name: &str| layer(&design, name).encoding;
        for name in ["BipolarQuant_3", "BipolarQuant_4", "MaxPool_0", "Reshape_0"] {
            assert_eq!(encoding(name), Encoding::Bipolar, "{io}: {name}");
        }
        assert_eq!(encoding("Gemm_0"), Encoding::Mantissa, "the model output");
        // The input's BipolarQuant gives ±1: the top module passes on the sign bits of in_data.
        assert!(design.files[0].1.contains("in_codes"));
        for conv in ["Conv_0", "Conv_1"] {
            let kind = &layer(&design, conv).kind;
            assert!(kind.contains("XNOR-popcount"), "{io}: {kind}");
        }
        let ternary = layer(&design, "Conv_1");
        assert!(ternary.zero_weights > 100, "{}", ternary.zero_weights);
        assert_eq!(ternary.multipliers, 0);
        assert_eq!(layer(&design, "Gemm_0").kind, "Dense (XNOR-popcount)");

        let golden = c.golden.to_values(&c.golden.run_batch(x.view()).unwrap());
        assert_eq!(golden, y, "golden model vs qonnx");
        let rtl = cosim(&c, &design, &x.slice(rows).to_owned());
        assert_eq!(rtl, y.slice(rows), "{io} RTL vs qonnx");
    }
}

/// `x[n] → Quant (8 bits, 2^-4) → BipolarQuant → Gemm fc1 → BipolarQuant → Gemm fc2 …` over
/// `layers` (weights `[out, in]` and biases) and, with `sign_output`, a final BipolarQuant. Every
/// Gemm reads ±1 values.
fn binary_mlp(layers: &[(Array2<f32>, Array1<f32>)], sign_output: bool) -> ModelProto {
    let n = layers[0].0.ncols();
    let mut g = Qonnx::new(&[n], 1);
    let x = g.quant(
        "qin",
        "x",
        scalar(0.0625),
        scalar(0.0),
        q(8, true, false, "ROUND"),
    );
    let mut h = g.bipolar("sign0", &x, scalar(1.0));
    for (k, (w, b)) in layers.iter().enumerate() {
        if k > 0 {
            h = g.bipolar(&format!("sign{k}"), &h, scalar(1.0));
        }
        h = g.g.gemm(&format!("fc{}", k + 1), &h, w, Some(b));
    }
    if sign_output {
        h = g.bipolar("sign_out", &h, scalar(1.0));
    }
    g.finish(&h, &[layers[layers.len() - 1].0.nrows()])
}

/// Input rows whose signs (after the input quantizer) are all +1 (including exact zeros), all
/// −1, alternating both ways, then random rows.
fn sign_rows(n: usize, random: usize, seed: u64) -> Array2<f64> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    Array2::from_shape_fn((6 + random, n), |(r, e)| match r {
        0 => 1.5,
        1 => 0.0,
        2 => -0.5,
        3 => [1.0, -1.0][e % 2],
        4 => [-1.0, 1.0][e % 2],
        5 => [0.0, -0.0625][e % 2],
        _ => rng.random_range(-2.0..2.0),
    })
}

/// Every Gemm is an XNOR-popcount; the values they read travel as 1-bit codes, the output as
/// mantissas.
#[track_caller]
fn assert_counts_bits(design: &Design, layers: usize) {
    for k in 1..=layers {
        let fc = layer(design, &format!("fc{k}"));
        assert!(fc.kind.contains("XNOR-popcount"), "fc{k}: {}", fc.kind);
    }
    let output = design.layers.last().unwrap();
    assert_eq!(output.encoding, Encoding::Mantissa, "{}", output.name);
}

/// Neurons of one layer, whose outputs are the model's: no non-zero weight (a constant), one weight, all +1, all −1, binary ±1 with
/// a bias off the integer grid, ternary, several magnitudes including 3 and 5 (constant
/// multipliers of counts) and a scale of 2^-2.
#[test]
fn neurons_at_the_edges_of_counting() {
    let n = 12;
    let columns: Vec<Vec<f32>> = vec![
        vec![0.0; n],
        (0..n).map(|i| if i == 4 { -1.0 } else { 0.0 }).collect(),
        vec![1.0; n],
        vec![-1.0; n],
        (0..n).map(|i| [1.0, -1.0, -1.0][i % 3]).collect(),
        (0..n).map(|i| [1.0, 0.0, -1.0, 0.0][i % 4]).collect(),
        (0..n)
            .map(|i| [3.0, -5.0, 1.0, 3.0, 0.0, -3.0][i % 6])
            .collect(),
        (0..n).map(|i| [0.25, -0.25][i % 2]).collect(),
    ];
    let w = Array2::from_shape_fn((columns.len(), n), |(j, i)| columns[j][i]);
    let b = Array1::from_vec(vec![0.0, 0.5, -12.0, 3.0, 0.125, -1.0, 2.0, 0.25]);
    let x = sign_rows(n, 30, 1);
    for config in ["{}", "IOType: io_stream\n", "ClockPeriod: 2\n"] {
        let (c, _dir) = compile(&binary_mlp(&[(w.clone(), b.clone())], false), config);
        let design = c.design().unwrap();
        assert_counts_bits(&design, 1);
        let fc1 = layer(&design, "fc1");
        assert_eq!(fc1.zero_weights, n + (n - 1) + n / 2 + n / 6, "{config}");
        cosim(&c, &design, &x);
    }
}

/// The weights of a random layer: binary (one magnitude), ternary, or small integers of several
/// magnitudes, times 2^e.
#[derive(Debug, Clone, Copy)]
enum Weights {
    Binary,
    Ternary,
    Mixed,
}

fn random_weights(kind: Weights, shape: (usize, usize), e: i32, rng: &mut impl Rng) -> Array2<f32> {
    let scale = 2f32.powi(e);
    Array2::from_shape_fn(shape, |_| {
        let level: i32 = match kind {
            Weights::Binary => [1, -1][rng.random_range(0..2)],
            Weights::Ternary => rng.random_range(-1..=1),
            Weights::Mixed => rng.random_range(-5..=5),
        };
        level as f32 * scale
    })
}

fn random_bias(n: usize, rng: &mut impl Rng) -> Array1<f32> {
    Array1::from_shape_fn(n, |_| rng.random_range(-24..=24) as f32 / 8.0)
}

/// One layer `n_in → n_out`, or two `n_in → n_hidden → n_out`.
fn check_random(
    (n_in, n_hidden, n_out): (usize, usize, usize),
    two_layers: bool,
    kinds: (Weights, Weights),
    e: i32,
    config: &str,
    sign_output: bool,
    seed: u64,
) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut layers = vec![];
    let mut n = n_in;
    let widths = if two_layers {
        vec![(n_hidden, kinds.0, e), (n_out, kinds.1, 0)]
    } else {
        vec![(n_out, kinds.0, e)]
    };
    for (width, kind, e) in widths {
        let w = random_weights(kind, (width, n), e, &mut rng);
        layers.push((w, random_bias(width, &mut rng)));
        n = width;
    }
    let (c, _dir) = compile(&binary_mlp(&layers, sign_output), config);
    let design = c.design().unwrap();
    assert_counts_bits(&design, layers.len());
    cosim(&c, &design, &sign_rows(n_in, 40, seed));
}

fn weights_kind() -> impl Strategy<Value = Weights> {
    prop::sample::select(vec![Weights::Binary, Weights::Ternary, Weights::Mixed])
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 4,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Random layer sizes (up to 70 inputs: popcounts of 7 bits), one or two layers, weight
    /// kinds and scales, biases, clock periods of 10 and 2 ns, io_parallel and io_stream, and ±1
    /// or fixed-point outputs.
    #[test]
    fn random_binary_and_ternary_layers(
        sizes in (1usize..=70, 1usize..=24, 1usize..=6),
        two_layers: bool,
        kinds in (weights_kind(), weights_kind()),
        e in -3i32..=1,
        io in prop::sample::select(vec!["", "IOType: io_stream\n"]),
        period in prop::sample::select(vec![10, 2]),
        sign_output: bool,
        seed in 0u64..1000,
    ) {
        let config = format!("{io}ClockPeriod: {period}\n");
        check_random(sizes, two_layers, kinds, e, &config, sign_output, seed);
    }
}
