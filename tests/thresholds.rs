//! A BatchNorm (or bias) and a quantizer after it become comparisons with thresholds
//! (`fuse-thresholds`): the binary MLP exported by Brevitas, in RTL, equals qonnx's reference
//! execution; with negative and zero BatchNorm scales the fused model equals the unfused one.
//! Needs Verilator.

mod common;

use common::{data, require_tool};
use ndarray::{Array2, ArrayD};
use ndarray_npy::read_npy;
use prost::Message;
use rand::{Rng, SeedableRng};
use rtlgen::driver::{compile, compile_skipping, Compiled};
use rtlgen::golden::Layer;
use rtlgen::onnx_proto::ModelProto;
use rtlgen::sim::stream::{self, Traffic};

fn rows(a: ArrayD<f32>) -> Array2<f64> {
    let n = a.shape()[0];
    let len = a.len();
    a.mapv(f64::from)
        .into_shape_with_order((n, len / n))
        .unwrap()
}

fn case(file: &str) -> Array2<f64> {
    rows(read_npy(data("qonnx/binary_mlp").join(file)).unwrap())
}

fn count(c: &Compiled, what: fn(&Layer) -> bool) -> usize {
    c.golden.layers.iter().filter(|l| what(l)).count()
}

/// Writes `config` next to a copy of `model` and compiles it, skipping `skip`.
fn compile_model(model: &ModelProto, config: &str, skip: &[&str]) -> (Compiled, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (mpath, cpath) = (dir.path().join("net.onnx"), dir.path().join("net.yml"));
    std::fs::write(&mpath, model.encode_to_vec()).unwrap();
    std::fs::write(&cpath, config).unwrap();
    let c = compile_skipping(&mpath, Some(&cpath), None, skip).unwrap();
    (c, dir)
}

#[test]
fn binary_mlp_thresholds_match_qonnx_in_rtl_parallel_and_stream() {
    require_tool("verilator");
    let dir = data("qonnx/binary_mlp");
    let c = compile(&dir.join("model.onnx"), None, None).unwrap();
    assert_eq!(count(&c, |l| matches!(l, Layer::Thresholds { .. })), 2);
    assert_eq!(count(&c, |l| matches!(l, Layer::BatchNorm(_))), 0);
    assert_eq!(count(&c, |l| matches!(l, Layer::Quantizer(_))), 0);
    let (x, y) = (case("X.npy"), case("Y.npy"));
    let got = c.golden.to_values(&c.golden.run_batch(x.view()).unwrap());
    assert_eq!(got, y, "golden model vs qonnx");
    let design = c.design().unwrap();
    let gemms: Vec<&str> = design
        .layers
        .iter()
        .filter(|l| l.name.starts_with("Gemm"))
        .map(|l| l.kind.as_str())
        .collect();
    assert_eq!(
        gemms, ["Dense (XNOR-popcount)"; 3],
        "every Gemm reads ±1 values"
    );
    let outcome = rtlgen::sim::cosim::run(&c, &design, x.view(), None).unwrap();
    let summary = outcome.summary();
    assert_eq!(outcome.mismatched_samples, 0, "{summary}");
    assert_eq!(outcome.rtl_values, y, "io_parallel RTL vs qonnx");
    assert_eq!(outcome.latency_measured, Some(design.latency), "{summary}");

    let bytes = std::fs::read(dir.join("model.onnx")).unwrap();
    let model = ModelProto::decode(bytes.as_slice()).unwrap();
    let (s, _dir) = compile_model(&model, "IOType: io_stream\n", &[]);
    let design = s.design().unwrap();
    let inputs: Vec<Vec<i128>> = (0..40)
        .map(|r| s.golden.quantize_input(r, &x.row(r).to_vec()).unwrap())
        .collect();
    let busy = Traffic {
        bubbles: 0.3,
        backpressure: 0.5,
        seed: 3,
    };
    for traffic in [Traffic::CLEAN, busy] {
        let o = stream::run(&s, &design, &inputs, traffic).unwrap();
        let summary = o.summary();
        assert_eq!(o.mismatched_samples, 0, "{traffic:?}: {summary}");
        assert_eq!(
            o.rtl_values,
            y.slice(ndarray::s![..40, ..]),
            "io_stream RTL vs qonnx"
        );
    }
}

/// BatchNormalization_0's scale (γ) negated on odd channels and zero on channel 2: falling
/// steps and a constant output, which must still equal the unfused BatchNorm and quantizer.
#[test]
fn negative_and_zero_batch_norm_scales_equal_the_unfused_chain() {
    require_tool("verilator");
    let bytes = std::fs::read(data("qonnx/binary_mlp").join("model.onnx")).unwrap();
    let mut model = ModelProto::decode(bytes.as_slice()).unwrap();
    let graph = model.graph.as_mut().unwrap();
    let gamma = graph
        .initializer
        .iter_mut()
        .find(|t| t.name() == "BatchNormalization_0_param0")
        .unwrap();
    let mut values: Vec<f32> = gamma
        .raw_data()
        .chunks(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    for (c, v) in values.iter_mut().enumerate() {
        if c % 2 == 1 {
            *v = -v.abs();
        }
    }
    values[2] = 0.0;
    gamma.raw_data = Some(values.iter().flat_map(|v| v.to_le_bytes()).collect());
    let (fused, _a) = compile_model(&model, "Model: {}\n", &[]);
    let (plain, _b) = compile_model(&model, "Model: {}\n", &["fuse-thresholds"]);
    assert_eq!(count(&plain, |l| matches!(l, Layer::Thresholds { .. })), 0);
    let steps = fused
        .golden
        .layers
        .iter()
        .find_map(|l| match l {
            Layer::Thresholds { steps, .. } => Some(steps),
            _ => None,
        })
        .unwrap();
    let falling = (0..32)
        .filter(|&c| {
            let s = steps.get(c);
            s.outputs.len() == 2 && s.outputs[0] > s.outputs[1]
        })
        .count();
    assert!(falling >= 8, "{falling} falling steps");
    assert!(
        steps.get(2).thresholds.is_empty(),
        "a zero scale is a constant"
    );
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let x = Array2::from_shape_fn((500, 16), |_| rng.random_range(-1.5..1.5));
    let a = fused.golden.run_batch(x.view()).unwrap();
    let b = plain.golden.run_batch(x.view()).unwrap();
    assert_eq!(a, b, "fused vs unfused golden model");
    let design = fused.design().unwrap();
    let outcome = rtlgen::sim::cosim::run(&fused, &design, x.view(), None).unwrap();
    assert_eq!(outcome.mismatched_samples, 0, "{}", outcome.summary());
}

#[test]
fn only_optional_passes_can_be_skipped() {
    let dir = data("qonnx/binary_mlp");
    let err = compile_skipping(&dir.join("model.onnx"), None, None, &["apply-config"])
        .err()
        .unwrap();
    assert!(matches!(err, rtlgen::diag::Error::User(_)), "{err}");
}
