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
