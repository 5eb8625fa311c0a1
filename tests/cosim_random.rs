//! Property test: random small dense networks with random per-layer precisions (every
//! quantization and overflow mode, `auto`, narrow and wide types, negative integer or fraction
//! bits, power-of-two weights), random sparsity (0, 50 or 90 % zeros), and random per-layer
//! reuse factors and strategies generate lint-clean RTL that Verilator proves equal to the golden
//! model, with the promised latency and II. Needs Verilator (scripts/test.sh).

mod common;

use common::{assert_lint_clean, require_tool};
use ndarray::{Array1, Array2};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rtlgen::modelgen::{encode, mlp, DenseLayer, Style};
use serde_json::{json, Value};

const QUANT: [&str; 7] = [
    "TRN",
    "TRN_ZERO",
    "RND",
    "RND_ZERO",
    "RND_INF",
    "RND_MIN_INF",
    "RND_CONV",
];
const OVERFLOW: [&str; 4] = ["WRAP", "SAT", "SAT_ZERO", "SAT_SYM"];

/// A random precision string; `wide` allows accumulator-sized types.
fn precision(rng: &mut rand::rngs::StdRng, wide: bool) -> String {
    let width: i32 = if wide {
        rng.random_range(8..=40)
    } else {
        rng.random_range(2..=18)
    };
    let int = rng.random_range(-3..=(width / 2 + 4));
    let sign = if rng.random_bool(0.8) { "" } else { "u" };
    match rng.random_range(0..10) {
        0 => format!("ap_{sign}int<{}>", width.min(16)),
        1..=3 => format!("ap_{sign}fixed<{width},{int}>"),
        _ => {
            let q = QUANT[rng.random_range(0..QUANT.len())];
            let o = OVERFLOW[rng.random_range(0..OVERFLOW.len())];
            let n = if o == "WRAP" && width > 3 && rng.random_bool(0.3) {
                format!(",{}", rng.random_range(1..=2))
            } else {
                String::new()
            };
            format!("ap_{sign}fixed<{width},{int},AP_{q},AP_{o}{n}>")
        }
    }
}

fn weight(rng: &mut rand::rngs::StdRng) -> f32 {
    match rng.random_range(0..10) {
        0..=2 => 0.0,
        3 => [1.0, -1.0, 0.5, -0.25, 2.0, -4.0][rng.random_range(0..6)],
        _ => rng.random_range(-2.0..2.0),
    }
}

/// A random network and config: `(onnx bytes, config json, sample width)`.
fn random_case(seed: u64) -> (Vec<u8>, Value, usize) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let n_layers = rng.random_range(1..=3);
    let n_in = rng.random_range(1..=6);
    let mut layers = Vec::new();
    let mut width = n_in;
    let mut names = vec![(
        "x".to_string(),
        json!({"Precision": {"result": precision(&mut rng, false)}}),
    )];
    for k in 0..n_layers {
        let n_out = rng.random_range(1..=5);
        let relu = k + 1 < n_layers && rng.random_bool(0.7);
        let name = format!("fc{}", k + 1);
        // Pruning: a random fraction (0, 50 % or 90 %) of the weights is forced to zero.
        let sparsity = [0.0, 0.5, 0.9][rng.random_range(0..3)];
        let w = Array2::from_shape_fn((n_out, width), |_| {
            if rng.random_bool(sparsity) {
                0.0
            } else {
                weight(&mut rng)
            }
        });
        let b = rng
            .random_bool(0.8)
            .then(|| Array1::from_shape_fn(n_out, |_| weight(&mut rng)));
        let mut p = serde_json::Map::new();
        p.insert("weight".into(), json!(precision(&mut rng, false)));
        p.insert("bias".into(), json!(precision(&mut rng, false)));
        p.insert(
            "accum".into(),
            json!(if rng.random_bool(0.2) {
                "auto".into()
            } else {
                precision(&mut rng, true)
            }),
        );
        p.insert(
            "result".into(),
            json!(if rng.random_bool(0.2) {
                "auto".into()
            } else {
                precision(&mut rng, false)
            }),
        );
        // Any reuse factor from 1 to the number of weights, either strategy.
        let reuse = if rng.random_bool(0.4) {
            1
        } else {
            rng.random_range(1..=n_out * width)
        };
        let strategy = if rng.random_bool(0.5) {
            "Latency"
        } else {
            "Resource"
        };
        names.push((
            name.clone(),
            json!({ "Precision": p, "ReuseFactor": reuse, "Strategy": strategy }),
        ));
        if relu {
            names.push((
                format!("relu{}", k + 1),
                json!({"Precision": {"result": precision(&mut rng, false)}}),
            ));
        }
        layers.push(DenseLayer {
            name,
            weight: w,
            bias: b,
            relu,
        });
        width = n_out;
    }
    let style = if rng.random_bool(0.5) {
        Style::Torch
    } else {
        Style::TfMatMulAdd
    };
    let model = encode(&mlp(&[n_in], &layers, style));
    let config = json!({
        "Model": {"Precision": "ap_fixed<16,6>", "ReuseFactor": 1, "Strategy": "Latency"},
        "LayerName": names.into_iter().collect::<serde_json::Map<_, _>>(),
    });
    (model, config, n_in)
}

fn check_case(seed: u64) {
    require_tool("verilator");
    let (model, config, n_in) = random_case(seed);
    let dir = tempfile::tempdir().unwrap();
    let mpath = dir.path().join(format!("rand{seed}.onnx"));
    let cpath = dir.path().join("config.json");
    std::fs::write(&mpath, model).unwrap();
    std::fs::write(&cpath, serde_json::to_string_pretty(&config).unwrap()).unwrap();
    let c = rtlgen::driver::compile(&mpath, Some(&cpath), None)
        .unwrap_or_else(|e| panic!("seed {seed}: {e}\nconfig: {config:#}"));
    let t = c.golden.input_type;
    let step = (2.0f64).powi(-t.frac_bits());
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ 0x5eed);
    // Codes over the whole range (and a little beyond) plus exact ties between grid points.
    let x = Array2::from_shape_fn((300, n_in), |(r, _)| {
        let code = rng.random_range(t.min_mantissa() - 2..=t.max_mantissa() + 2) as f64;
        if r % 3 == 0 {
            (code + 0.5) * step
        } else {
            code * step
        }
    });
    let design = c.design().unwrap();
    assert_lint_clean(&design.files, &design.top);
    let outcome = rtlgen::sim::cosim::run(&c, &design, x.view(), None).unwrap();
    let summary = outcome.summary();
    assert_eq!(
        outcome.mismatched_samples,
        0,
        "seed {seed}: {summary}\nIR:\n{}",
        c.graph.dump()
    );
    assert_eq!(outcome.received, x.nrows(), "seed {seed}: {summary}");
    assert_eq!(
        outcome.ii_measured.filter(|_| outcome.ii_uniform),
        (x.nrows() > 1).then_some(design.ii),
        "seed {seed}: {summary}"
    );
    assert_eq!(
        outcome.latency_measured,
        Some(design.latency),
        "seed {seed}: {summary}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_networks_cosimulate_bit_exact(seed in any::<u64>()) {
        check_case(seed);
    }
}

/// Frozen regression (found by tests/fixed_point.rs and tests/golden_model.rs): an unsigned
/// WRAP type with saturation bits receiving negative values, and a SAT_SYM accumulator whose
/// products reach the most negative code. Every input pair of the 4-bit input type is simulated.
#[test]
fn regression_unsigned_wrap_sat_bits_and_sat_sym_accumulator() {
    require_tool("verilator");
    let layers = [DenseLayer {
        name: "fc1".into(),
        weight: Array2::from_shape_vec((2, 2), vec![4.0, -3.0, -1.0, 2.0]).unwrap(),
        bias: Some(Array1::from(vec![1.0, -0.5])),
        relu: false,
    }];
    let config = json!({"LayerName": {
        "x": {"Precision": {"result": "ap_fixed<4,2>"}},
        "fc1": {"Precision": {"weight": "ap_fixed<4,4>", "bias": "ap_fixed<4,3>", "accum": "ap_fixed<6,4,AP_TRN,AP_SAT_SYM>", "result": "ap_ufixed<6,3,AP_TRN,AP_WRAP,2>"}}
    }});
    let dir = tempfile::tempdir().unwrap();
    let (mpath, cpath) = (dir.path().join("reg.onnx"), dir.path().join("reg.json"));
    std::fs::write(&mpath, encode(&mlp(&[2], &layers, Style::Torch))).unwrap();
    std::fs::write(&cpath, config.to_string()).unwrap();
    let c = rtlgen::driver::compile(&mpath, Some(&cpath), None).unwrap();
    let x = Array2::from_shape_fn((256, 2), |(r, k)| {
        ((if k == 0 { r % 16 } else { r / 16 }) as f64 - 8.0) * 0.25
    });
    let design = c.design().unwrap();
    assert_lint_clean(&design.files, &design.top);
    let outcome = rtlgen::sim::cosim::run(&c, &design, x.view(), None).unwrap();
    assert_eq!(outcome.mismatched_samples, 0, "{}", outcome.summary());
    // Independent expectation for x = (−2, −2), output 0: acc = 1; the product 4·(−2) = −8 is the
    // most negative code of the accumulator and SAT_SYM makes it −7.75; acc = −6.75; + (−3)·(−2)
    // gives −0.75, mantissa −6 in ap_ufixed<6,3>: negative, so it overflows; the low bits 111010
    // keep their top two bits forced to ones: 0b111010 = 58 → 7.25.
    assert_eq!(outcome.rtl_values[[0, 0]], 7.25);
}

/// Accumulators and results wider than 64 bits (hls4ml's lossless `auto` type for 32-bit inputs
/// and weights): the golden model's i128 path, Verilator's wide ports and wide constants.
#[test]
fn wide_accumulators_beyond_64_bits_cosimulate() {
    require_tool("verilator");
    let mut rng = rand::rngs::StdRng::seed_from_u64(64);
    let layers = [
        DenseLayer {
            name: "fc1".into(),
            weight: Array2::from_shape_fn((3, 5), |_| weight(&mut rng)),
            bias: Some(Array1::from_shape_fn(3, |_| weight(&mut rng))),
            relu: false,
        },
        DenseLayer {
            name: "fc2".into(),
            weight: Array2::from_shape_fn((2, 3), |_| weight(&mut rng)),
            bias: Some(Array1::from_shape_fn(2, |_| weight(&mut rng))),
            relu: false,
        },
    ];
    let config = json!({"LayerName": {
        "x": {"Precision": {"result": "ap_fixed<32,12,AP_RND,AP_SAT>"}},
        "fc1": {"Precision": {"weight": "ap_fixed<32,4>", "bias": "ap_fixed<32,8>", "accum": "auto", "result": "auto"}},
        "fc2": {"Precision": {"weight": "ap_fixed<20,4>", "bias": "ap_fixed<24,8>", "accum": "ap_fixed<100,40,AP_RND_CONV,AP_SAT>", "result": "ap_fixed<90,30,AP_RND,AP_SAT_SYM>"}}
    }});
    let dir = tempfile::tempdir().unwrap();
    let (mpath, cpath) = (dir.path().join("wide.onnx"), dir.path().join("wide.json"));
    std::fs::write(&mpath, encode(&mlp(&[5], &layers, Style::Torch))).unwrap();
    std::fs::write(&cpath, config.to_string()).unwrap();
    let c = rtlgen::driver::compile(&mpath, Some(&cpath), None).unwrap();
    let dump = c.graph.dump();
    // 32 + 32 + ceil(log2 5) = 67 bits with 19 integer bits, plus one integer bit for the bias.
    assert!(
        dump.contains("accum ap_fixed<68,20>"),
        "fc1's lossless accumulator:\n{dump}"
    );
    let t = c.golden.input_type;
    let x = Array2::from_shape_fn((400, 5), |_| {
        rng.random_range(t.min_mantissa()..=t.max_mantissa()) as f64 * (2.0f64).powi(-t.frac_bits())
    });
    let design = c.design().unwrap();
    assert_lint_clean(&design.files, &design.top);
    let outcome = rtlgen::sim::cosim::run(&c, &design, x.view(), None).unwrap();
    assert_eq!(outcome.mismatched_samples, 0, "{}", outcome.summary());
    assert_eq!(outcome.received, 400);
}
