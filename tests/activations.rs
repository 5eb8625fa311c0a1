//! Activations (Sigmoid, Tanh, Softmax in its four variants, LeakyRelu, Clip, linear): the
//! golden model equals hls4ml 1.3.0's emulation and tables on the 12 act_* peer cases, the
//! table index arithmetic equals an independent rational computation, and the RTL equals the
//! golden model in io_parallel and io_stream with the promised latency. The co-simulation tests
//! need Verilator.

mod common;

use common::{assert_lint_clean, data, require_tool};
use ndarray::Array2;
use ndarray_npy::{read_npy, NpzReader};
use num_bigint::BigInt;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rtlgen::driver::Compiled;
use rtlgen::fixed::FixedType;
use rtlgen::golden::activation::{top_bits, RangeIndex};
use rtlgen::golden::Layer;
use rtlgen::modelgen::{encode, float_attr, int_attr, GraphBuilder};
use rtlgen::onnx_proto::ModelProto;

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

fn peer(case: &str) -> (Compiled, Array2<f64>, Array2<f64>) {
    let dir = data(&format!("hls4ml/{case}"));
    let c = rtlgen::driver::compile(&dir.join("model.onnx"), Some(&dir.join("config.yml")), None)
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    let x: Array2<f64> = read_npy(dir.join("X.npy")).unwrap();
    let y: Array2<f64> = read_npy(dir.join("Y.npy")).unwrap();
    (c, x, y)
}

/// The activation layer of a compiled model (the last layer).
fn activation(c: &Compiled) -> &Layer {
    c.golden.layers.last().unwrap()
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

/// Every table entry equals the one hls4ml's own C++ initialiser wrote (tables.npz).
#[test]
fn tables_equal_hls4mls_initialisers() {
    let mut compared = 0;
    for case in CASES {
        let path = data(&format!("hls4ml/{case}/tables.npz"));
        if !path.exists() {
            continue;
        }
        let (c, _, _) = peer(case);
        let mut npz = NpzReader::new(std::fs::File::open(&path).unwrap()).unwrap();
        let mut check = |name: &str, entries: &[i128], ty: FixedType| {
            let want: ndarray::Array1<i64> = npz.by_name(&format!("{name}.npy")).unwrap();
            let frac: ndarray::Array0<i64> = npz.by_name(&format!("{name}_frac_bits.npy")).unwrap();
            assert_eq!(frac.into_scalar(), ty.frac_bits() as i64, "{case} {name}");
            let got: Vec<i64> = entries.iter().map(|&v| v as i64).collect();
            assert_eq!(got, want.to_vec(), "{case}: {name} differs from hls4ml's");
            compared += 1;
        };
        match activation(&c) {
            Layer::Lut(k) => check("table", &k.entries, k.table.ty),
            Layer::Softmax(k) => {
                let (exp_t, inv_t) = match k.softmax {
                    rtlgen::ir::Softmax::Stable { tables, .. }
                    | rtlgen::ir::Softmax::Latency { tables } => (tables.exp.ty, tables.inv.ty),
                    rtlgen::ir::Softmax::Legacy { exp, inv } => (exp.ty, inv.ty),
                    rtlgen::ir::Softmax::Argmax => unreachable!("argmax has no tables"),
                };
                check("exp_table", &k.exp, exp_t);
                check("inv_table", &k.inv, inv_t);
            }
            other => panic!("{case}: tables for {}", other.name()),
        }
    }
    assert_eq!(compared, 13, "every committed table was compared");
}

/// The sizes and types hls4ml resolved (its layers.json) for the softmax cases: the table-size
/// fix, the derived inp_norm_t, the exp-table clamp and the default accum.
#[test]
fn softmax_sizes_and_types_follow_hls4ml() {
    let expect = [
        (
            "act_softmax",
            "stable",
            1024,
            1024,
            "ap_fixed<18,8,AP_RND,AP_SAT>",
        ),
        (
            "act_softmax_narrow",
            "stable",
            128,
            256,
            "ap_fixed<18,8,AP_RND,AP_SAT>",
        ),
        (
            "act_softmax_accum_default",
            "stable",
            1024,
            1024,
            "ap_fixed<16,6>",
        ),
        (
            "act_softmax_latency",
            "latency",
            1024,
            1024,
            "ap_fixed<18,8,AP_RND,AP_SAT>",
        ),
    ];
    for (case, name, n_exp, n_inv, accum) in expect {
        let (c, _, _) = peer(case);
        let Layer::Softmax(k) = activation(&c) else {
            panic!("{case}: not a softmax")
        };
        assert_eq!(k.softmax.name(), name, "{case}");
        let (rtlgen::ir::Softmax::Stable { tables, .. } | rtlgen::ir::Softmax::Latency { tables }) =
            k.softmax
        else {
            unreachable!()
        };
        assert_eq!((tables.exp.size, tables.inv.size), (n_exp, n_inv), "{case}");
        assert_eq!(tables.accum.to_string(), accum, "{case}");
        if let rtlgen::ir::Softmax::Stable { inp_norm, .. } = k.softmax {
            let want = if case == "act_softmax_narrow" {
                "ap_ufixed<7,2>"
            } else {
                "ap_ufixed<15,5>"
            };
            assert_eq!(inp_norm.to_string(), want, "{case}");
        }
    }
    let (c, _, _) = peer("act_sigmoid_small_table");
    let Layer::Lut(k) = activation(&c) else {
        panic!("not a table")
    };
    assert_eq!(
        (k.table.size, k.table.ty.to_string()),
        (256, "ap_fixed<12,4>".into())
    );
    let (c, _, _) = peer("act_leaky_relu");
    let Layer::LeakyRelu(k) = activation(&c) else {
        panic!("not a leaky relu")
    };
    assert_eq!(
        (k.param.to_string(), k.alpha),
        ("ap_ufixed<8,-3>".into(), 204)
    );
}

/// Generates, lints and co-simulates `x`; asserts zero mismatches and the promised latency.
fn cosim(c: &Compiled, x: &Array2<f64>) -> (rtlgen::rtl::Design, Array2<f64>) {
    require_tool("verilator");
    let design = c.design().unwrap();
    assert_lint_clean(&design.files, &design.top);
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
    for case in [
        "act_sigmoid",
        "act_tanh",
        "act_softmax",
        "act_softmax_latency",
        "act_softmax_narrow",
        "act_leaky_relu",
        "act_hardtanh",
    ] {
        let (c, x, y) = peer(case);
        let (_, rtl) = cosim(&c, &x);
        assert_eq!(rtl, y, "{case}: RTL vs hls4ml");
    }
}

/// Rows of `n` inputs of type `t`: the type's extremes, zero, ±LSB, values beyond the range
/// (the input conversion saturates or wraps), each of `edges` and its neighbours one LSB away,
/// rows of equal values (softmax ties), then random values over twice the range.
fn inputs(t: FixedType, n: usize, edges: &[f64], rows: usize, seed: u64) -> Array2<f64> {
    let lsb = 2f64.powi(-t.frac_bits());
    let (lo, hi) = (t.min_mantissa() as f64 * lsb, t.max_mantissa() as f64 * lsb);
    let mut pool = vec![
        lo,
        hi,
        0.0,
        -lsb,
        lsb,
        lo - 3.0 * lsb,
        hi + 3.0 * lsb,
        hi - lsb,
    ];
    for &e in edges {
        pool.extend([e - lsb, e, e + lsb]);
    }
    let fixed_rows = pool.len().div_ceil(n);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    Array2::from_shape_fn((rows, n), |(r, i)| {
        if r < fixed_rows {
            pool[(r * n + i) % pool.len()]
        } else if r < fixed_rows + 3 {
            [lo, hi, 0.5][r - fixed_rows]
        } else if r % 5 == 0 && i % 2 == 0 {
            hi
        } else {
            rng.random_range(2.0 * lo..2.0 * hi)
        }
    })
}

/// Compiles `model` with the YAML `config`.
fn compile(model: &ModelProto, config: &str) -> (Compiled, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (mpath, cpath) = (dir.path().join("act.onnx"), dir.path().join("act.yml"));
    std::fs::write(&mpath, encode(model)).unwrap();
    std::fs::write(&cpath, config).unwrap();
    let c = rtlgen::driver::compile(&mpath, Some(&cpath), None).unwrap_or_else(|e| panic!("{e}"));
    (c, dir)
}

/// Bin edges `k·R/N` of a table of `n` entries over a range `r`, out to two bins past it.
fn bin_edges(r: f64, n: usize) -> Vec<f64> {
    let step = r / n as f64;
    let k = (n / 2 + 2) as i64;
    (-k..=k).map(|i| i as f64 * step).collect()
}

/// One io_parallel design with every activation as a branch of the input (through a linear
/// cast to a narrower type for some), joined by a Concat wide enough to hold every result
/// exactly.
#[test]
fn every_activation_in_one_io_parallel_design() {
    let n = 6;
    let mut g = GraphBuilder::new(&[n]);
    let narrow = g.op("narrow", "Identity", &["x"], vec![]);
    let branches = [
        g.op("sig", "Sigmoid", &["x"], vec![]),
        g.op("tanh", "Tanh", &[&narrow], vec![]),
        g.op("stable", "Softmax", &["x"], vec![int_attr("axis", -1)]),
        g.op("lat", "Softmax", &["x"], vec![int_attr("axis", 1)]),
        g.op("amax", "Softmax", &[&narrow], vec![]),
        g.op("legacy", "Softmax", &["x"], vec![]),
        g.op(
            "leaky",
            "LeakyRelu",
            &["x"],
            vec![float_attr("alpha", -0.3)],
        ),
    ];
    let lo = g.constant("lo", -0.75);
    let hi = g.constant("hi", 2.3);
    let clip = g.op("clip", "Clip", &["x", &lo, &hi], vec![]);
    let upper = g.op("upper", "Clip", &[&narrow, "", &hi], vec![]);
    let mut all: Vec<&str> = branches.iter().map(String::as_str).collect();
    all.extend([clip.as_str(), upper.as_str(), narrow.as_str()]);
    let cat = g.concat("cat", &all, -1);
    let model = g.finish(&cat, &[n * all.len()]);
    let config = "\
Model:
  Precision: ap_fixed<16,6>
LayerName:
  x:
    Precision:
      result: ap_fixed<10,4,AP_RND,AP_SAT>
  narrow:
    Precision:
      result: ap_fixed<6,3,AP_RND_CONV,AP_SAT>
  sig:
    Precision:
      result: ap_ufixed<8,0,AP_RND_CONV,AP_SAT>
    TableSize: 256
    table_t: ap_fixed<10,2,AP_RND,AP_SAT>
  stable:
    Precision:
      result: ap_ufixed<10,1>
      accum: ap_fixed<12,5,AP_RND,AP_SAT>
    TableSize: 128
    InvTableT: ap_fixed<14,6,AP_RND,AP_SAT>
  lat:
    Implementation: latency
    TableSize: 256
  amax:
    Implementation: argmax
    Precision:
      result: ap_ufixed<4,2>
  legacy:
    Implementation: legacy
    TableSize: 64
  leaky:
    Precision:
      result: ap_fixed<8,3,AP_RND,AP_SAT>
  clip:
    Precision:
      result: ap_fixed<6,2,AP_RND,AP_SAT>
  cat:
    Precision:
      result: ap_fixed<26,12>
";
    let (c, _dir) = compile(&model, config);
    let t = c.golden.input_type;
    let mut edges = bin_edges(16.0, 256);
    edges.extend([-0.75, 2.3, 32.0 - 0.5]);
    let x = inputs(t, n, &edges, 400, 7);
    let (design, _) = cosim(&c, &x);
    let kinds: Vec<&str> = design.layers.iter().map(|l| l.kind.as_str()).collect();
    for kind in [
        "Sigmoid",
        "Tanh",
        "Softmax stable",
        "Softmax latency",
        "Softmax argmax",
        "Softmax legacy",
        "LeakyReLU",
        "Clip",
        "Linear",
    ] {
        assert!(
            kinds.iter().any(|k| k.starts_with(kind)),
            "{kind} in {kinds:?}"
        );
    }
}

/// A chain of every element-wise activation and a softmax as io_stream stages, and a softmax
/// over the channels of each pixel of an image.
#[test]
fn activations_as_io_stream_stages() {
    let n = 5;
    let mut g = GraphBuilder::new(&[n]);
    let h = g.op(
        "leaky",
        "LeakyRelu",
        &["x"],
        vec![float_attr("alpha", 0.125)],
    );
    let h = g.op("tanh", "Tanh", &[&h], vec![]);
    let zero = g.constant("zero", 0.0);
    let six = g.constant("six", 6.0);
    let h = g.op("relu6", "Clip", &[&h, &zero, &six], vec![]);
    let h = g.op("sig", "Sigmoid", &[&h], vec![]);
    let y = g.op("soft", "Softmax", &[&h], vec![]);
    let model = g.finish(&y, &[n]);
    let config = "\
IOType: io_stream
LayerName:
  x:
    Precision:
      result: ap_fixed<9,4,AP_RND,AP_SAT>
  tanh:
    TableSize: 512
";
    let (c, _dir) = compile(&model, config);
    let x = inputs(c.golden.input_type, n, &bin_edges(8.0, 512), 200, 3);
    let (design, _) = cosim(&c, &x);
    assert_eq!(design.layers.len(), 5);

    // [C=4, H=3, W=2]: a 1×1 max pooling makes it an image streamed pixel by pixel.
    let layers = [rtlgen::modelgen::CnnLayer::MaxPool {
        name: "pool".into(),
        kernel: vec![1, 1],
        stride: vec![1, 1],
        pads: vec![0, 0, 0, 0],
    }];
    let mut model = rtlgen::modelgen::cnn(&[4, 3, 2], &layers);
    let graph = model.graph.as_mut().unwrap();
    let last = graph.node.last_mut().unwrap();
    let out = last.output[0].clone();
    last.output[0] = "pooled".into();
    graph.node.push(rtlgen::modelgen::node(
        "/soft/Softmax",
        "Softmax",
        &["pooled"],
        &[&out],
        vec![int_attr("axis", 1)],
    ));
    let config =
        "IOType: io_stream\nLayerName:\n  x:\n    Precision:\n      result: ap_fixed<8,3>\n";
    let (c, _dir) = compile(&model, config);
    let Layer::Softmax(k) = activation(&c) else {
        panic!("not a softmax")
    };
    assert_eq!(k.group, 4, "a softmax per pixel, over its 4 channels");
    let x = inputs(c.golden.input_type, 24, &[], 60, 5);
    cosim(&c, &x);
}

/// `clamp(trunc(x·N/R) + c, 0, N − 1)` computed on big integers straight from the definition.
fn reference_index(m: i64, frac: i32, bits: u32, range_log2: i32, centred: bool) -> usize {
    let n = BigInt::from(1u64 << bits);
    let mut num = BigInt::from(m) * &n;
    let mut den = BigInt::from(1);
    let scale = frac + range_log2;
    if scale >= 0 {
        den <<= scale as usize;
    } else {
        num <<= (-scale) as usize;
    }
    let k = &num / &den; // BigInt division truncates toward zero
    let offset = if centred { &n / 2 } else { BigInt::from(0) };
    let index = (k + offset).clamp(BigInt::from(0), n - 1);
    index.try_into().unwrap()
}

fn fixed_type() -> impl Strategy<Value = FixedType> {
    (1u32..=40, -12i32..=30, any::<bool>())
        .prop_map(|(w, i, s)| FixedType::fixed(w.max(1 + s as u32), i, s))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// The golden model's range index (one TRN_ZERO/SAT cast) equals the definition, and the
    /// softmax top-bits index equals `floor(raw / 2^(W − n))`, for random types, table sizes
    /// and ranges.
    #[test]
    fn table_index_matches_the_definition(
        t in fixed_type(),
        bits in 1u32..=16,
        range_log2 in prop::sample::select(vec![3, 4, 6]),
        centred in any::<bool>(),
        pick in any::<u64>(),
    ) {
        let (lo, hi) = (t.min_mantissa() as i64, t.max_mantissa() as i64);
        let m = lo + (pick % ((hi - lo) as u64 + 1)) as i64;
        let frac = t.frac_bits();
        let got = RangeIndex::new(frac, bits, range_log2, centred).apply(m as i128);
        prop_assert_eq!(got, reference_index(m, frac, bits, range_log2, centred));
        if bits <= t.width {
            let raw = (m as i128).rem_euclid(1i128 << t.width);
            let want = (raw >> (t.width - bits)) as usize;
            prop_assert_eq!(top_bits(m as i128, &t, bits), want);
        }
    }
}

/// Frozen regressions of the index: a one-bit table (the centre bin covers everything near 0),
/// and inputs far wider than the table (the index saturates).
#[test]
fn table_index_regressions() {
    for (m, frac, bits, r, centred) in [
        (-1, 0, 1, 4, true),
        (1 << 39, 0, 10, 4, true),
        (-(1 << 39), 30, 16, 3, true),
        (-5, -3, 4, 6, false),
        (63, 2, 8, 6, false),
    ] {
        let got = RangeIndex::new(frac, bits, r, centred).apply(m as i128);
        assert_eq!(
            got,
            reference_index(m, frac, bits, r, centred),
            "{m} {frac} {bits} {r}"
        );
    }
}

/// A random single-activation model and config for the co-simulation property.
fn random_case(seed: u64) -> (ModelProto, String, usize) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let n = rng.random_range(2..=6);
    let w = rng.random_range(4..=12);
    let x_ty = format!(
        "ap_fixed<{w},{},{},{}>",
        rng.random_range(1..=5),
        ["AP_TRN", "AP_RND"][rng.random_range(0..2)],
        ["AP_WRAP", "AP_SAT"][rng.random_range(0..2)]
    );
    let result = format!(
        "ap_{}fixed<{},{},{},{}>",
        ["", "u"][rng.random_range(0..2)],
        rng.random_range(4..=12),
        rng.random_range(-1..=4),
        ["AP_TRN", "AP_RND_CONV", "AP_RND_ZERO"][rng.random_range(0..3)],
        ["AP_WRAP", "AP_SAT"][rng.random_range(0..2)]
    );
    let size = 1 << rng.random_range(1..=9);
    let table_t = format!(
        "ap_fixed<{},{}>",
        rng.random_range(6..=16),
        rng.random_range(1..=6)
    );
    let mut g = GraphBuilder::new(&[n]);
    let (op, extra) = match rng.random_range(0..7) {
        0 => ("Sigmoid", format!("    table_t: {table_t}\n")),
        1 => ("Tanh", format!("    table_t: {table_t}\n")),
        2 => ("Softmax", String::new()),
        3 => ("Softmax", "    Implementation: latency\n".into()),
        4 => ("Softmax", "    Implementation: legacy\n".into()),
        5 => ("Softmax", "    Implementation: argmax\n".into()),
        _ => ("LeakyRelu", String::new()),
    };
    let attrs = if op == "LeakyRelu" {
        vec![float_attr("alpha", rng.random_range(-1.0f32..1.0))]
    } else {
        vec![]
    };
    let y = g.op("act", op, &["x"], attrs);
    let config = format!(
        "LayerName:\n  x:\n    Precision:\n      result: {x_ty}\n  act:\n    Precision:\n      result: {result}\n    TableSize: {size}\n{extra}"
    );
    (g.finish(&y, &[n]), config, n)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, failure_persistence: None, ..ProptestConfig::default() })]

    /// A random activation with random input, table and result types co-simulates bit-exact.
    #[test]
    fn random_activations_cosimulate_bit_exact(seed in any::<u64>()) {
        let (model, config, n) = random_case(seed);
        let (c, _dir) = compile(&model, &config);
        let x = inputs(c.golden.input_type, n, &[], 60, seed);
        cosim(&c, &x);
    }
}

/// Runs `rtlgen build` on `model` with `config`; returns the exit code and stderr.
fn build_fails(model: &ModelProto, config: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let (mpath, cpath) = (dir.path().join("m.onnx"), dir.path().join("c.yml"));
    std::fs::write(&mpath, encode(model)).unwrap();
    std::fs::write(&cpath, config).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rtlgen"))
        .arg("build")
        .arg(&mpath)
        .arg("--config")
        .arg(&cpath)
        .arg("-o")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn unsupported_activation_settings_are_user_errors() {
    let mut g = GraphBuilder::new(&[3, 4]);
    let a = g.op("first", "Softmax", &["x"], vec![int_attr("axis", 1)]);
    let r = g.relu("r", "x");
    let b = g.op("bounds", "Clip", &["x", &r], vec![]);
    let cat = g.concat("cat", &[&a, &b], -1);
    let model = g.finish(&cat, &[3, 8]);
    let (code, err) = build_fails(&model, "Model:\n  Precision: ap_fixed<16,6>\n");
    assert_eq!(code, Some(2), "{err}");
    for want in [
        "/first/Softmax (Softmax), attribute 'axis': expected 2 or -1, the last axis",
        "found 1",
        "/bounds/Clip (Clip), input 1 (min): expected a constant bound",
        "found a tensor computed from the model input",
    ] {
        assert!(err.contains(want), "'{want}' in:\n{err}");
    }
    let mut g = GraphBuilder::new(&[4]);
    let s = g.op("sig", "Sigmoid", &["x"], vec![]);
    let model = g.finish(&s, &[4]);
    let (code, err) = build_fails(
        &model,
        "LayerName:\n  sig:\n    TableSize: 1000\n    Implementation: fast\n",
    );
    assert_eq!(code, Some(2), "{err}");
    for want in [
        "LayerName.sig.Implementation (config)",
        "stable, latency, argmax or legacy",
        "'fast'",
    ] {
        assert!(err.contains(want), "'{want}' in:\n{err}");
    }
    let (code, err) = build_fails(&model, "LayerName:\n  sig:\n    TableSize: 1000\n");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(
            "sig (Activation), table_size: expected a power of two from 2 to 65536, found 1000"
        ),
        "{err}"
    );
}

/// `Skip: true` removes a softmax (hls4ml's skip_softmax); an Identity given a result type is a
/// cast; `Precision: {table: …}` is ignored with a note, as hls4ml ignores it.
#[test]
fn skip_linear_and_ignored_table_precision() {
    let mut g = GraphBuilder::new(&[4]);
    let h = g.op("id", "Identity", &["x"], vec![]);
    let s = g.op("sig", "Sigmoid", &[&h], vec![]);
    let y = g.op("soft", "Softmax", &[&s], vec![]);
    let model = g.finish(&y, &[4]);
    let config = "\
LayerName:
  id:
    Precision:
      result: ap_fixed<6,2>
  sig:
    Precision:
      table: ap_fixed<12,4>
  soft:
    Skip: true
";
    let (c, _dir) = compile(&model, config);
    let kinds: Vec<String> = c
        .golden
        .layers
        .iter()
        .map(|l| l.name().to_owned())
        .collect();
    assert_eq!(kinds, ["id", "sig"]);
    let Layer::Lut(k) = &c.golden.layers[1] else {
        panic!("not a table")
    };
    assert_eq!(
        k.table.ty.to_string(),
        "ap_fixed<18,8>",
        "Precision.table is ignored"
    );
    assert!(
        c.notes
            .iter()
            .any(|n| n.contains("'Precision.table' is ignored, as hls4ml 1.3.0 ignores it")),
        "{:?}",
        c.notes
    );
    let Layer::Linear { result, .. } = &c.golden.layers[0] else {
        panic!("not a cast")
    };
    assert_eq!(result.to_string(), "ap_fixed<6,2>");
}
