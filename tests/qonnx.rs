//! QONNX import and the golden model against qonnx 1.0.0's reference execution.
//!
//! * The committed cases (`tests/data/qonnx`: outputs of `execute_onnx`, see its README and
//!   SEMANTICS.md), bit for bit, except `brevitas_mlp_w4a4`, whose reference depends on
//!   onnxruntime's float32 summation order (SEMANTICS §5) and is compared with a tolerance
//!   far below a quantization step.
//! * The exact integer Quant on the cases' grid inputs, where qonnx's float32 is exact too.
//! * Quant's integer arithmetic against a straightforward f64 formula: edge cases (ties, clamps,
//!   narrow, 1-bit) and a property test.
//! * User errors for bad or unsupported QONNX nodes (exit code 2), and hardware refusing
//!   several quantizers on the input cleanly.

mod common;

use common::qonnx::{strategy_mode, MODES};
use ndarray::{Array2, ArrayD, Ix2};
use ndarray_npy::read_npy;
use proptest::prelude::*;
use prost::Message;
use rtlgen::config::Config;
use rtlgen::diag::Error;
use rtlgen::golden::GoldenModel;
use rtlgen::ir::quantizer::{IntQuant, PerElement, Quantizer, Rounding, ScaleZero};
use rtlgen::ir::Op;
use rtlgen::onnx_proto::ModelProto;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;

fn case_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/qonnx")
        .join(name)
}

/// A batch-first array as rows of its flattened samples.
fn rows(a: ArrayD<f32>) -> Array2<f64> {
    let n = a.shape()[0];
    let per_row = a.len() / n;
    a.mapv(f64::from)
        .into_shape_with_order((n, per_row))
        .expect("contiguous")
        .into_dimensionality::<Ix2>()
        .expect("two axes")
}

fn load(name: &str, file: &str) -> Array2<f64> {
    rows(read_npy(case_dir(name).join(file)).expect("a float32 .npy"))
}

/// The configuration a case needs: convolutions stream; `trunc_v1` truncates x = 100 without
/// clamping, so its input precision must hold 100.
fn config(name: &str) -> Config {
    let value = match name {
        "brevitas_cnn_w4a4" | "binary_cnn" => json!({"IOType": "io_stream"}),
        "trunc_v1" => {
            json!({"LayerName": {"global_in": {"Precision": {"result": "ap_fixed<16,8>"}}}})
        }
        _ => json!({}),
    };
    Config::from_value(&value).expect("a valid configuration")
}

/// Case `name` through the passes with `cfg`: the graph, its golden model and the notes.
fn compile_with(name: &str, cfg: &Config) -> (rtlgen::ir::Graph, GoldenModel, Vec<String>) {
    let mut graph = rtlgen::import::load(&case_dir(name).join("model.onnx"))
        .unwrap_or_else(|e| panic!("{name}: import: {e}"));
    let mut ctx = rtlgen::passes::PassContext {
        config: cfg,
        notes: vec![],
        dump_after: None,
        skip: &[],
    };
    rtlgen::passes::run(&mut graph, &mut ctx).unwrap_or_else(|e| panic!("{name}: passes: {e}"));
    let golden =
        GoldenModel::compile(&graph).unwrap_or_else(|e| panic!("{name}: golden model: {e}"));
    (graph, golden, ctx.notes)
}

fn compile(name: &str) -> GoldenModel {
    compile_with(name, &config(name)).1
}

/// How a case's golden outputs must agree with qonnx's.
enum Agreement {
    /// As float32, equal to qonnx's value (`==`: −0.0 equals 0.0).
    Exact,
    /// Within this absolute difference.
    Within(f64),
}

/// Runs case `name` through the golden model on its `X.npy` and compares with `Y.npy`.
fn check_case(name: &str, agreement: Agreement) {
    let golden = compile(name);
    let x = load(name, "X.npy");
    let want = load(name, "Y.npy");
    let got = golden.to_values(&golden.run_batch(x.view()).expect("finite inputs"));
    assert_eq!(got.dim(), want.dim(), "{name}: output shape");
    let mut bad = Vec::new();
    for ((r, c), &g) in got.indexed_iter() {
        let w = want[[r, c]];
        let ok = match agreement {
            Agreement::Exact => g as f32 as f64 == w,
            Agreement::Within(tol) => (g - w).abs() <= tol,
        };
        if !ok {
            bad.push((r, c, g, w));
        }
    }
    assert!(
        bad.is_empty(),
        "{name}: {} of {} outputs differ from qonnx; first (row, element, golden, qonnx): {:?}",
        bad.len(),
        want.len(),
        &bad[..bad.len().min(5)]
    );
}

/// Every committed case, with how it must agree.
const CASES: &[&str] = &[
    "binary_cnn",
    "binary_mlp",
    "bipolar",
    "brevitas_cnn_w4a4",
    "brevitas_mlp_w4a4",
    "brevitas_mlp_w4a4_po2",
    "mt_nc",
    "mt_nchw",
    "mt_nhwc",
    "mt_nwc_default",
    "qkeras_binary",
    "qkeras_cnn",
    "qkeras_conv1d",
    "qkeras_mlp",
    "quant_ceil",
    "quant_down",
    "quant_floor",
    "quant_half_down",
    "quant_half_up",
    "quant_misc",
    "quant_nchw",
    "quant_round",
    "quant_up",
    "residual_w4a4",
    "trunc_v1",
    "trunc_v2",
];

#[test]
fn every_committed_case_is_tested() {
    let mut found: Vec<String> = std::fs::read_dir(case_dir(""))
        .expect("the case folder")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("model.onnx").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    assert_eq!(found, CASES);
}

macro_rules! exact_cases {
    ($($name:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            check_case(stringify!($name), Agreement::Exact);
        }
    )*};
}

exact_cases!(
    quant_round,
    quant_floor,
    quant_ceil,
    quant_up,
    quant_down,
    quant_half_up,
    quant_half_down,
    quant_misc,
    quant_nchw,
    bipolar,
    trunc_v1,
    trunc_v2,
    mt_nchw,
    mt_nhwc,
    mt_nc,
    mt_nwc_default,
    brevitas_mlp_w4a4_po2,
    brevitas_cnn_w4a4,
    binary_mlp,
    binary_cnn,
    residual_w4a4,
    qkeras_mlp,
    qkeras_cnn,
    qkeras_conv1d,
    qkeras_binary,
);

/// Non-power-of-two scales: qonnx's float32 Gemm sums in MLAS' order, so its outputs are off by
/// a few float32 ulps (|Y| < 0.53 here, so about 6e-8). A quantization decision taken
/// differently would move an output by a step of the last layer, `s_act·s_w ≈ 2.4e-3`.
#[test]
fn brevitas_mlp_w4a4() {
    check_case("brevitas_mlp_w4a4", Agreement::Within(1e-6));
}

/// The model default does not narrow a quantized model (a note says so); a layer's own
/// precision does; a quantizer's weight type wins over a configured one (a note says so).
#[test]
fn a_quantized_model_is_typed_exactly_unless_configured() {
    let name = "brevitas_mlp_w4a4_po2";
    let x = load(name, "X.npy");
    let want = load(name, "Y.npy");
    let cfg = Config::from_value(&json!({"Model": {"Precision": "ap_fixed<8,3>"}})).unwrap();
    let (_, golden, notes) = compile_with(name, &cfg);
    let got = golden.to_values(&golden.run_batch(x.view()).unwrap());
    assert_eq!(got.mapv(|v| v as f32 as f64), want);
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("Model.Precision.default does not apply")),
        "{notes:?}"
    );
    let cfg = Config::from_value(&json!({"LayerName": {"Gemm_0": {"Precision": {
        "result": "ap_fixed<8,3,AP_RND,AP_SAT>",
        "weight": "ap_fixed<8,1>",
    }}}}))
    .unwrap();
    let (graph, _, notes) = compile_with(name, &cfg);
    let gemm = graph.g.node_weights().find(|n| n.name == "Gemm_0").unwrap();
    let p = gemm.op.dense().unwrap().precision.unwrap();
    assert_eq!(p.result.to_string(), "ap_fixed<8,3,AP_RND,AP_SAT>");
    assert_eq!(
        p.weight.to_string(),
        "ap_fixed<4,-1>",
        "the quantizer's type"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("a QONNX quantizer fixes its weight type")),
        "{notes:?}"
    );
}

/// `Trunc` v1 does not clamp: its output type is sized for inputs within the input precision,
/// and a float input beyond it is a user error (`trunc_v1` holds x = 100; the default input
/// precision ap_fixed<16,6> ends at 32).
#[test]
fn trunc_v1_on_the_float_input_beyond_the_input_precision_is_a_user_error() {
    let (_, golden, _) = compile_with("trunc_v1", &Config::default());
    let x = load("trunc_v1", "X.npy");
    match golden.run_batch(x.view()) {
        Err(Error::User(d)) => {
            assert_eq!(d[0].location, "input data");
            assert!(
                d[0].expected.contains("a value within the input precision"),
                "{d:?}"
            );
            assert_eq!(d[0].found, "100");
        }
        other => panic!("expected a user error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The exact integer Quant on the cases' data

/// `quant_*` cases feed every Quant the float input, so the golden model takes qonnx's float32
/// path. Here each Quant's exact integer kernel runs on the input elements on the 1/16 grid
/// instead (mantissas at 4 fraction bits): with a power-of-two scale and an integer zero point
/// qonnx's float32 arithmetic is exact there, so the two must agree on every such element.
#[test]
fn exact_quant_matches_qonnx_on_grid_inputs() {
    for name in CASES.iter().filter(|n| n.starts_with("quant_")) {
        let graph = rtlgen::import::load(&case_dir(name).join("model.onnx")).unwrap();
        let quants: Vec<&IntQuant> = graph
            .g
            .node_indices()
            .filter_map(|n| match &graph.g[n].op {
                Op::Quantizer(Quantizer::Int(q)) => Some(q),
                _ => None,
            })
            .collect();
        let x = load(name, "X.npy");
        let y = load(name, "Y.npy");
        let n = x.ncols();
        assert_eq!(y.ncols(), n * quants.len(), "{name}: concatenated outputs");
        let mut compared = 0;
        for r in 0..x.nrows() {
            for (k, q) in quants.iter().enumerate() {
                for i in 0..n {
                    let p = q.params.get(i);
                    if (x[[r, i]] * 16.0).fract() != 0.0 || p.scale.log2().fract() != 0.0 {
                        continue;
                    }
                    let m = (x[[r, i]] * 16.0) as i128;
                    let level = q.level(i, m, 4).unwrap();
                    let got = p.value(level).unwrap().to_f64() as f32;
                    let want = y[[r, k * n + i]] as f32;
                    assert_eq!(got, want, "{name} row {r} quant {k} element {i}");
                    compared += 1;
                }
            }
        }
        assert!(compared > 100, "{name}: only {compared} elements compared");
    }
}

// ---------------------------------------------------------------------------------------------
// Quant's integer arithmetic against the f64 formula

/// A Quant's parameters: scale, zero point, bit width, signed, narrow, rounding mode.
#[derive(Debug, Clone, Copy)]
struct Spec(f32, f32, u32, bool, bool, &'static str);

/// qonnx's IntQuant written out in f64 (exact for power-of-two scales and small dyadic inputs):
/// `y = x/s + z`, the 1-bit signed sign case, otherwise clamp and round; `(q − z)·s`.
fn quant_f64(x: f64, spec: Spec) -> f64 {
    let Spec(s, z, bits, signed, narrow, mode) = spec;
    let (s, z) = (s as f64, z as f64);
    let y = x / s + z;
    if bits == 1 && signed {
        let q = if y >= 0.0 { 1.0 } else { -1.0 };
        return (q - z) * s;
    }
    let b = bits as i32;
    let (lo, hi) = if signed {
        let lo = -(2f64.powi(b - 1));
        (if narrow { lo + 1.0 } else { lo }, 2f64.powi(b - 1) - 1.0)
    } else {
        let hi = 2f64.powi(b) - 1.0;
        (0.0, if narrow { hi - 1.0 } else { hi })
    };
    let y = y.clamp(lo, hi);
    let sign = if y > 0.0 {
        1.0
    } else if y < 0.0 {
        -1.0
    } else {
        0.0
    };
    let q = match mode {
        "ROUND" => y.round_ties_even(),
        "FLOOR" => y.floor(),
        "CEIL" => y.ceil(),
        "UP" => sign * y.abs().ceil(),
        "DOWN" => y.trunc(),
        "HALF_UP" => sign * (y.abs() + 0.5).floor(),
        "HALF_DOWN" => sign * (y.abs() - 0.5).ceil(),
        other => panic!("mode {other}"),
    };
    (q - z) * s
}

fn int_quant(spec: Spec) -> IntQuant {
    let Spec(scale, zero_point, bits, signed, narrow, mode) = spec;
    IntQuant {
        params: PerElement {
            sets: vec![ScaleZero { scale, zero_point }],
            index: vec![0],
        },
        bits,
        signed,
        narrow,
        rounding: Rounding::parse(mode).expect("a QONNX mode"),
    }
}

/// The golden Quant of `x = m·2^-f`: exact integer kernel and float32 path.
fn golden_quant(q: &IntQuant, m: i128, f: i32) -> (f64, f64) {
    let p = q.params.get(0);
    let exact = p.value(q.level(0, m, f).unwrap()).unwrap().to_f64();
    let x = m as f64 * 2f64.powi(-f);
    let float = p.value(q.level_f32(0, x as f32)).unwrap().to_f64();
    (exact, float)
}

#[track_caller]
fn assert_quant(spec: Spec, m: i128, f: i32) {
    let x = m as f64 * 2f64.powi(-f);
    let (exact, float) = golden_quant(&int_quant(spec), m, f);
    let want = quant_f64(x, spec);
    assert_eq!(exact, want, "exact kernel, x = {x}, {spec:?}");
    assert_eq!(float, want, "float32 path, x = {x}, {spec:?}");
}

/// Ties `k + ½` (scale 1, so y = x) round as each mode says, on both sides of zero.
#[test]
fn ties_round_as_each_mode_says() {
    let table: [(&str, [f64; 6]); 7] = [
        // y:          -2.5  -1.5  -0.5  0.5  1.5  2.5
        ("ROUND", [-2.0, -2.0, 0.0, 0.0, 2.0, 2.0]),
        ("FLOOR", [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0]),
        ("CEIL", [-2.0, -1.0, 0.0, 1.0, 2.0, 3.0]),
        ("UP", [-3.0, -2.0, -1.0, 1.0, 2.0, 3.0]),
        ("DOWN", [-2.0, -1.0, 0.0, 0.0, 1.0, 2.0]),
        ("HALF_UP", [-3.0, -2.0, -1.0, 1.0, 2.0, 3.0]),
        ("HALF_DOWN", [-2.0, -1.0, 0.0, 0.0, 1.0, 2.0]),
    ];
    for (mode, want) in table {
        let q = int_quant(Spec(1.0, 0.0, 8, true, false, mode));
        for (k, &w) in [-5, -3, -1, 1, 3, 5].iter().zip(&want) {
            assert_eq!(
                golden_quant(&q, *k, 1),
                (w, w),
                "{mode} of {}",
                *k as f64 / 2.0
            );
            assert_quant(Spec(1.0, 0.0, 8, true, false, mode), *k, 1);
        }
    }
}

/// Clamps at both ends, narrow ranges (unsigned narrow drops the top code), zero points that
/// move ties and clamps, and the 1-bit cases.
#[test]
fn clamps_narrow_ranges_zero_points_and_one_bit() {
    for mode in MODES {
        for m in [
            -1000, -129, -128, -127, -9, -8, -7, -1, 0, 1, 7, 8, 9, 127, 128, 1000,
        ] {
            for (signed, narrow) in [(true, false), (true, true), (false, false), (false, true)] {
                assert_quant(Spec(0.125, 0.0, 4, signed, narrow, mode), m, 3);
                assert_quant(Spec(0.125, 3.0, 4, signed, narrow, mode), m, 4);
                assert_quant(Spec(2.0, -2.0, 3, signed, narrow, mode), m, 0);
                assert_quant(Spec(0.5, 0.0, 1, signed, narrow, mode), m, 2);
            }
        }
    }
    // Unsigned narrow 4-bit: the largest level is 14, not 15.
    let q = int_quant(Spec(1.0, 0.0, 4, false, true, "ROUND"));
    assert_eq!(golden_quant(&q, 100, 0).0, 14.0);
    // Signed narrow 4-bit: the smallest level is −7.
    let q = int_quant(Spec(1.0, 0.0, 4, true, true, "ROUND"));
    assert_eq!(golden_quant(&q, -100, 0).0, -7.0);
    // 1-bit signed is the sign of y = x/s + z, 0 included: −1 or +1, never 0.
    let q = int_quant(Spec(0.5, 0.0, 1, true, false, "FLOOR"));
    assert_eq!(golden_quant(&q, 0, 0).0, 0.5);
    assert_eq!(golden_quant(&q, -1, 8).0, -0.5);
    // 1-bit unsigned narrow has the single level 0: the constant (0 − z)·s.
    let q = int_quant(Spec(0.25, 2.0, 1, false, true, "ROUND"));
    assert_eq!(golden_quant(&q, 77, 0).0, -0.5);
}

/// Inside the graph the Quant is exact; on the float input it reproduces qonnx's float32
/// HALF_UP, where `|y| + 0.5` rounds: y = 0.49999997 (the float below ½) gives 1, not 0.
#[test]
fn half_up_float32_trap_only_on_the_float_input() {
    let y = f32::from_bits(0.5f32.to_bits() - 1);
    let q = int_quant(Spec(1.0, 0.0, 4, true, false, "HALF_UP"));
    assert_eq!(q.level_f32(0, y), 1);
    assert_eq!(q.level_f32(0, -y), -1);
    let m = (y as f64 * 2f64.powi(25)) as i128;
    assert_eq!(q.level(0, m, 25), Some(0));
    assert_eq!(q.level(0, -m, 25), Some(0));
}

/// A non-power-of-two scale: the exact kernel decides ties of `x/s` exactly, where qonnx's
/// float32 division may move a value onto a tie (SEMANTICS §1: 0.75/0.3 is 2.4999999 exactly
/// but 2.5 in float32).
#[test]
fn non_power_of_two_scale_is_decided_exactly() {
    let q = int_quant(Spec(0.3, 0.0, 8, true, false, "HALF_UP"));
    let x = 0.75f32;
    assert_eq!(q.level_f32(0, x), 3, "qonnx's float32 sees a tie");
    let m = (x as f64 * 4.0) as i128;
    assert_eq!(q.level(0, m, 2), Some(2), "0.75 / f32(0.3) < 2.5 exactly");
    let t = Quantizer::Int(q).output_type(rtlgen::fixed::FixedType::int(8, true));
    assert_eq!(
        t.unwrap().frac_bits(),
        24,
        "the type holds every k·f32(0.3)"
    );
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 4000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Random bit widths, signedness, narrow ranges, power-of-two scales, zero points, modes and
    /// dyadic inputs: the integer Quant (and the float32 path, exact here) equals the formula.
    #[test]
    fn integer_quant_equals_the_f64_formula(
        bits in 1u32..=12,
        signed: bool,
        narrow: bool,
        e in -8i32..=4,
        z in -4i32..=4,
        mode in strategy_mode(),
        f in 0i32..=10,
        m in -20000i128..=20000,
    ) {
        assert_quant(Spec(2f32.powi(e), z as f32, bits, signed, narrow, mode), m, f);
    }

    /// The same with `y = x/s + z` on the 1/8 grid: integers, ties and their neighbours in
    /// every eighth case, over and beyond the clamp range.
    #[test]
    fn integer_quant_equals_the_f64_formula_at_ties(
        bits in 1u32..=6,
        signed: bool,
        narrow: bool,
        e in -6i32..=3,
        z in -4i32..=4,
        mode in strategy_mode(),
        y8 in -300i128..=300,
    ) {
        // x = (y − z)·2^e = (y8 − 8z)·2^(e − 3).
        let (m, f) = (y8 - 8 * z as i128, 3 - e);
        let (m, f) = if f < 0 { (m << -f, 0) } else { (m, f) };
        assert_quant(Spec(2f32.powi(e), z as f32, bits, signed, narrow, mode), m, f);
    }
}

// ---------------------------------------------------------------------------------------------
// User errors and hardware

fn decode(name: &str) -> ModelProto {
    let bytes = std::fs::read(case_dir(name).join("model.onnx")).unwrap();
    ModelProto::decode(bytes.as_slice()).unwrap()
}

fn node_mut<'a>(m: &'a mut ModelProto, name: &str) -> &'a mut rtlgen::onnx_proto::NodeProto {
    m.graph
        .as_mut()
        .unwrap()
        .node
        .iter_mut()
        .find(|n| n.name() == name)
        .unwrap_or_else(|| panic!("no node {name}"))
}

fn initializer_mut<'a>(
    m: &'a mut ModelProto,
    name: &str,
) -> &'a mut rtlgen::onnx_proto::TensorProto {
    m.graph
        .as_mut()
        .unwrap()
        .initializer
        .iter_mut()
        .find(|t| t.name() == name)
        .unwrap_or_else(|| panic!("no initializer {name}"))
}

/// Replaces a float32 initializer's values.
fn set_floats(m: &mut ModelProto, name: &str, values: &[f32]) {
    let t = initializer_mut(m, name);
    t.raw_data = Some(values.iter().flat_map(|v| v.to_le_bytes()).collect());
    t.float_data.clear();
    t.dims = vec![values.len() as i64];
}

fn set_string_attr(m: &mut ModelProto, node: &str, attr: &str, value: &str) {
    let n = node_mut(m, node);
    let a = n.attribute.iter_mut().find(|a| a.name() == attr).unwrap();
    a.s = Some(value.as_bytes().to_vec());
}

fn remove_attr(m: &mut ModelProto, node: &str, attr: &str) {
    node_mut(m, node).attribute.retain(|a| a.name() != attr);
}

/// Runs `rtlgen build` on `model`; returns the exit code and stderr.
fn build(model: &ModelProto, args: &[&str]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.onnx");
    std::fs::write(&path, rtlgen::modelgen::encode(model)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rtlgen"))
        .arg("build")
        .arg(&path)
        .args(args)
        .arg("-o")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert!(
        !dir.path().join("out").exists(),
        "a failed build leaves nothing"
    );
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[track_caller]
fn assert_user_error(model: &ModelProto, lines: &[&str]) {
    let (code, stderr) = build(model, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    for line in lines {
        assert!(stderr.contains(line), "missing '{line}' in:\n{stderr}");
    }
}

/// Every problem of a Quant node at once, each naming the node, the op, what was expected and
/// what was found.
#[test]
fn bad_quant_attributes_and_inputs_are_user_errors() {
    let mut m = decode("quant_round");
    remove_attr(&mut m, "Quant_0", "narrow");
    remove_attr(&mut m, "Quant_1", "signed");
    set_string_attr(&mut m, "Quant_2", "rounding_mode", "BANKERS");
    set_floats(&mut m, "Quant_3_param2", &[3.5]);
    set_floats(&mut m, "Quant_4_param0", &[0.5, 0.0]);
    set_floats(&mut m, "Quant_5_param1", &[0.5]);
    assert_user_error(
        &m,
        &[
            "6 problems found",
            "Quant_0 (Quant), attribute 'narrow': expected 0 or 1, given explicitly (qonnx requires it; its spec and code disagree on the default), found absent",
            "Quant_1 (Quant), attribute 'signed': expected 0 or 1, given explicitly (qonnx requires it), found absent",
            "Quant_2 (Quant), attribute 'rounding_mode': expected one of ROUND, HALF_EVEN, FLOOR, CEIL, UP, DOWN, HALF_UP, HALF_DOWN, found 'BANKERS'",
            "Quant_3 (Quant), input 3 (bit width): expected one integer from 1 to 64, found 3.5",
            "Quant_4 (Quant), input 1 (scale): expected positive float32 values, found 0",
            "Quant_5 (Quant), input 2 (zero point): expected integer values, found 0.5",
        ],
    );
}

/// A scale that does not broadcast to its tensor (numpy aligns the last axes).
#[test]
fn a_scale_of_the_wrong_shape_is_a_user_error() {
    let mut m = decode("quant_nchw");
    set_floats(&mut m, "Quant_0_param0", &[0.5, 0.25, 0.125]);
    assert_user_error(
        &m,
        &["Quant_0 (Quant), input 1 (scale): expected a shape that broadcasts to the tensor's [1, 3, 2, 2], found [3]"],
    );
}

/// The Trunc class follows the model's opset import of the QONNX domain: 6 inputs in a model
/// that imports it at version 1 is a Trunc v1 with one input too many.
#[test]
fn trunc_inputs_must_match_the_domain_version() {
    let mut m = decode("trunc_v2");
    for o in &mut m.opset_import {
        if o.domain() == "qonnx.custom_op.general" {
            o.version = Some(1);
        }
    }
    assert_user_error(
        &m,
        &["(Trunc), inputs: expected 5 for Trunc v1 (X, scale, zeropt, in_bitwidth, out_bitwidth): the model imports 'qonnx.custom_op.general' at version 1, found 6"],
    );
    let mut m = decode("trunc_v1");
    let trunc = m
        .graph
        .as_ref()
        .unwrap()
        .node
        .iter()
        .find(|n| n.op_type() == "Trunc")
        .unwrap()
        .name()
        .to_owned();
    remove_attr(&mut m, &trunc, "rounding_mode");
    assert_user_error(
        &m,
        &[&format!(
            "{trunc} (Trunc), attribute 'rounding_mode': expected one of ROUND, HALF_EVEN, FLOOR, CEIL, UP, DOWN, HALF_UP, HALF_DOWN (qonnx requires it), found absent"
        )],
    );
}

#[test]
fn multithreshold_rows_must_match_the_channels() {
    let mut m = decode("mt_nc");
    let t = initializer_mut(&mut m, "MultiThreshold_0_param0");
    t.dims = vec![4, 6];
    assert_user_error(
        &m,
        &["MultiThreshold_0 (MultiThreshold), input 1 (thresholds): expected shape [8, T] or [1, T] (channel axis 1 of [1, 8]), found [4, 6]"],
    );
}

/// The golden model runs; building hardware stops with a user error naming the several
/// quantizers that read the input.
#[test]
fn hardware_refuses_several_input_quantizers_cleanly() {
    let (code, stderr) = build(&decode("quant_round"), &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("model input, hardware: expected the input read by one QONNX quantizer, or by layers only"),
        "{stderr}"
    );
}

/// `rtlgen predict` on a Brevitas export reproduces qonnx's outputs.
#[test]
fn predict_reproduces_qonnx() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["brevitas_mlp_w4a4_po2", "residual_w4a4"] {
        let out = dir.path().join(format!("{name}.npy"));
        let status = Command::new(env!("CARGO_BIN_EXE_rtlgen"))
            .arg("predict")
            .arg(case_dir(name).join("model.onnx"))
            .arg("--input")
            .arg(case_dir(name).join("X.npy"))
            .arg("--output")
            .arg(&out)
            .status()
            .unwrap();
        assert!(status.success(), "{name}");
        let got: Array2<f64> = read_npy(&out).unwrap();
        assert_eq!(got.mapv(|v| v as f32 as f64), load(name, "Y.npy"), "{name}");
    }
}
