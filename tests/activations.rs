//! Activations: the golden model equals hls4ml 1.3.0's emulation on the act_* peer cases.

mod common;

use common::data;
use ndarray::{Array1, Array2};
use ndarray_npy::{read_npy, NpzReader};

const CASES: &[&str] = &[
    "act_sigmoid",
    "act_tanh",
    "act_sigmoid_small_table",
    "act_softmax",
    "act_softmax_latency",
    "act_softmax_narrow",
    "act_softmax_accum_default",
    "act_softmax_legacy",
    "act_softmax_argmax",
    "act_leaky_relu",
    "act_relu6",
    "act_hardtanh",
];

fn peer(case: &str) -> (rtlgen::driver::Compiled, Array2<f64>, Array2<f64>) {
    let dir = data(&format!("hls4ml/{case}"));
    let c = rtlgen::driver::compile(&dir.join("model.onnx"), Some(&dir.join("config.yml")), None)
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    let x: Array2<f64> = read_npy(dir.join("X.npy")).unwrap();
    let y: Array2<f64> = read_npy(dir.join("Y.npy")).unwrap();
    (c, x, y)
}

#[test]
fn golden_model_equals_hls4ml_on_every_activation_case() {
    for case in CASES {
        let (c, x, y) = peer(case);
        let got = c.golden.to_values(&c.golden.run_batch(x.view()).unwrap());
        let bad = got.iter().zip(y.iter()).filter(|(a, b)| a != b).count();
        assert_eq!(
            bad,
            0,
            "{case}: {bad} of {} outputs differ from hls4ml",
            y.len()
        );
    }
}

/// Generates, lints and co-simulates `x`; asserts zero mismatches and the promised latency.
fn cosim(c: &rtlgen::driver::Compiled, x: &Array2<f64>) -> (rtlgen::rtl::Design, Array2<f64>) {
    common::require_tool("verilator");
    let design = c.design().unwrap();
    common::assert_lint_clean(&design.files, &design.top);
    let outcome = rtlgen::sim::cosim::run(c, &design, x.view(), None).unwrap();
    let summary = outcome.summary();
    assert_eq!(outcome.received, x.nrows(), "{summary}");
    assert_eq!(outcome.mismatched_samples, 0, "{summary}");
    assert_eq!(outcome.latency_measured, Some(design.latency), "{summary}");
    let values = outcome.rtl_values.clone();
    outcome.into_result().unwrap();
    (design, values)
}

#[test]
fn peer_cases_in_rtl_equal_hls4ml() {
    for case in ["act_sigmoid", "act_softmax"] {
        let (c, x, y) = peer(case);
        let t = std::time::Instant::now();
        let (design, rtl) = cosim(&c, &x);
        eprintln!("{case}: latency {} in {:?}", design.latency, t.elapsed());
        assert_eq!(rtl, y, "{case}: RTL vs hls4ml");
    }
}
