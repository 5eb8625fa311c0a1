//! Skip connections in io_parallel: Add of two computed tensors and Concat, with a tensor used
//! by several layers, co-simulated bit-exact against the golden model with the latency the
//! report promises (operands that are ready early wait in delay lines). Needs Verilator.

mod common;

use common::{
    assert_lint_clean, assert_testbench_passes, cli_build, data, peer_rows, require_tool,
};
use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rtlgen::modelgen::{encode, GraphBuilder};

/// Deterministic weights on a 2^-6 grid in (−1, 1), `(n_out, n_in)`.
fn weights(n_out: usize, n_in: usize, seed: u64) -> Array2<f32> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    Array2::from_shape_fn((n_out, n_in), |_| rng.random_range(-63..=63) as f32 / 64.0)
}

fn bias(n: usize, seed: u64) -> Array1<f32> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    Array1::from_shape_fn(n, |_| rng.random_range(-32..=32) as f32 / 32.0)
}

/// Compiles `model` with the YAML `config`.
fn compile(
    model: rtlgen::onnx_proto::ModelProto,
    config: &str,
) -> (rtlgen::driver::Compiled, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (mpath, cpath) = (dir.path().join("skip.onnx"), dir.path().join("skip.yml"));
    std::fs::write(&mpath, encode(&model)).unwrap();
    std::fs::write(&cpath, config).unwrap();
    let c = rtlgen::driver::compile(&mpath, Some(&cpath), None).unwrap();
    (c, dir)
}

/// Random inputs over twice the input type's range (so they saturate or wrap there), plus the
/// type's extremes, zero and −LSB.
fn inputs(c: &rtlgen::driver::Compiled, rows: usize, seed: u64) -> Array2<f64> {
    let t = c.golden.input_type;
    let lsb = 2f64.powi(-t.frac_bits());
    let (lo, hi) = (t.min_mantissa() as f64 * lsb, t.max_mantissa() as f64 * lsb);
    let n = c.golden.n_inputs();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    Array2::from_shape_fn((rows, n), |(r, _)| match r {
        0 => lo,
        1 => hi,
        2 => 0.0,
        3 => -lsb,
        _ => rng.random_range(2.0 * lo..2.0 * hi),
    })
}

/// Co-simulates on `rows` inputs; checks every output, the latency and the II.
fn cosim(c: &rtlgen::driver::Compiled, rows: usize, seed: u64) -> rtlgen::rtl::Design {
    require_tool("verilator");
    let design = c.design().unwrap();
    assert_lint_clean(&design.files, &design.top);
    let x = inputs(c, rows, seed);
    let outcome = rtlgen::sim::cosim::run(c, &design, x.view(), None).unwrap();
    let summary = outcome.summary();
    assert_eq!(outcome.mismatched_samples, 0, "{summary}");
    assert_eq!(outcome.received, rows, "{summary}");
    assert_eq!(outcome.latency_measured, Some(design.latency), "{summary}");
    design
}

/// x[12] → fc1 → relu1 → fc2 → add(·, x) → relu2 → fc3[4]: a residual block.
fn residual(seed: u64) -> rtlgen::onnx_proto::ModelProto {
    let mut g = GraphBuilder::new(&[12]);
    let h = g.gemm(
        "fc1",
        "x",
        &weights(12, 12, seed),
        Some(&bias(12, seed + 1)),
    );
    let h = g.relu("relu1", &h);
    let h = g.gemm(
        "fc2",
        &h,
        &weights(12, 12, seed + 2),
        Some(&bias(12, seed + 3)),
    );
    let s = g.add("add", &h, "x");
    let s = g.relu("relu2", &s);
    let y = g.gemm(
        "fc3",
        &s,
        &weights(4, 12, seed + 4),
        Some(&bias(4, seed + 5)),
    );
    g.finish(&y, &[4])
}

#[test]
fn residual_block_waits_for_its_longer_branch() {
    // The add rounds and saturates into a narrow type; fc1 takes a new input every 3 cycles, so
    // the skip path from x waits for fc1, relu1 and fc2.
    let config = "Model:\n  Precision: \"ap_fixed<10,4>\"\nLayerName:\n  add:\n    Precision:\n      result: \"ap_fixed<8,3,AP_RND_CONV,AP_SAT>\"\n  fc1:\n    ReuseFactor: 3\n";
    let (c, dir) = compile(residual(1), config);
    let design = cosim(&c, 300, 2);
    let latency = |name: &str| {
        design
            .layers
            .iter()
            .find(|l| l.name == name)
            .unwrap()
            .latency
    };
    assert_eq!(
        design.latency,
        1 + latency("fc1")
            + latency("relu1")
            + latency("fc2")
            + latency("add")
            + latency("relu2")
            + latency("fc3"),
        "the skip path adds no latency"
    );
    assert_eq!(design.ii, 3);
    let top = &design.files[0].1;
    let delay = 1 + latency("fc1") + latency("relu1") + latency("fc2") - 1;
    assert!(
        top.contains(&format!("u_in_delay{delay}")),
        "x waits {delay} cycles for fc2:\n{top}"
    );
    require_tool("iverilog");
    let out = dir.path().join("build");
    let cpath = dir.path().join("skip.yml");
    cli_build(
        &c.model_path,
        &["--config", cpath.to_str().unwrap(), "--tb-vectors", "100"],
        &out,
    );
    assert_testbench_passes(&out, "run_icarus.sh", 100);
}

#[test]
fn concat_of_three_operands_one_used_twice() {
    // x feeds fc1, fc2 and the concat; fc2 takes 4 cycles per input. Concat along axis −1.
    let mut g = GraphBuilder::new(&[6]);
    let a = g.gemm("fc1", "x", &weights(5, 6, 10), Some(&bias(5, 11)));
    let a = g.relu("relu1", &a);
    let b = g.gemm("fc2", "x", &weights(4, 6, 12), None);
    let cat = g.concat("cat", &[&a, &b, "x"], -1);
    let y = g.gemm("fc3", &cat, &weights(3, 15, 13), Some(&bias(3, 14)));
    let model = g.finish(&y, &[3]);
    let config = "Model:\n  Precision: \"ap_fixed<12,5>\"\nLayerName:\n  cat:\n    Precision:\n      result: \"ap_fixed<9,4,AP_RND,AP_SAT>\"\n  fc2:\n    ReuseFactor: 4\n";
    let (c, _dir) = compile(model, config);
    let design = cosim(&c, 200, 3);
    assert_eq!(design.ii, 4);
    let cat = design.layers.iter().find(|l| l.name == "cat").unwrap();
    assert_eq!((cat.n_in, cat.n_out), (15, 15));
}

/// The golden model equals hls4ml 1.3.0's emulation on every skip-connection case (residual Add
/// and Concat, io_parallel and io_stream, explicit and `auto` result types), and the RTL of two
/// io_parallel cases equals the golden model.
#[test]
fn skip_cases_match_hls4ml_and_their_rtl_matches_the_golden_model() {
    for case in [
        "skip_dense_add",
        "skip_dense_add_auto",
        "skip_dense_add_narrow",
        "skip_dense_concat",
        "skip_dense_concat_auto",
        "skip_cnn_add",
        "skip_cnn_add_auto",
        "skip_cnn_concat",
    ] {
        let dir = data(&format!("hls4ml/{case}"));
        let c =
            rtlgen::driver::compile(&dir.join("model.onnx"), Some(&dir.join("config.yml")), None)
                .unwrap();
        let (x, y) = peer_rows(&dir);
        let got = c.golden.to_values(&c.golden.run_batch(x.view()).unwrap());
        assert_eq!(got, y, "{case}: golden model vs hls4ml");
        if case == "skip_dense_add_narrow" || case == "skip_dense_concat_auto" {
            require_tool("verilator");
            let design = c.design().unwrap();
            let outcome = rtlgen::sim::cosim::run(&c, &design, x.view(), None).unwrap();
            let summary = outcome.summary();
            assert_eq!(outcome.mismatched_samples, 0, "{case}: {summary}");
            assert_eq!(outcome.rtl_values, y, "{case}: RTL vs hls4ml");
        }
    }
}
