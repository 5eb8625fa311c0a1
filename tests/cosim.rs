//! Co-simulation of generated RTL (Verilator, through the FFI harness) against the golden model,
//! and of the golden model against hls4ml 1.3.0's own emulation outputs (frozen in
//! tests/data/hls4ml, produced by tests/data/hls4ml/make_case.py with hls4ml and torch).
//! Needs Verilator (and Icarus for the testbench test): run through scripts/test.sh.

mod common;

use common::{assert_lint_clean, assert_testbench_passes, cli_build, data, require_tool};
use ndarray::{s, Array2};
use ndarray_npy::read_npy;
use rand::{Rng, SeedableRng};
use rtlgen::driver::{compile, Compiled};
use rtlgen::sim::cosim;

fn peer(case: &str) -> (Compiled, Array2<f64>, Array2<f64>) {
    let dir = data(&format!("hls4ml/{case}"));
    let c = compile(&dir.join("model.onnx"), Some(&dir.join("config.yml")), None)
        .expect("peer model compiles");
    let x: Array2<f64> = read_npy(dir.join("X.npy")).unwrap();
    let y: Array2<f64> = read_npy(dir.join("Y.npy")).unwrap();
    (c, x, y)
}

/// Inputs that stress the input conversion: values exactly halfway between grid points of the
/// input type (rounding ties), values just outside its range (saturation or wrap-around), and
/// uniformly random values across twice its range.
fn stress_inputs(c: &Compiled, rows: usize, seed: u64) -> Array2<f64> {
    let t = c.golden.input_type;
    let n = c.golden.n_inputs();
    let step = (2.0f64).powi(-t.frac_bits());
    let (lo, hi) = (
        t.min_mantissa() as f64 * step,
        t.max_mantissa() as f64 * step,
    );
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    Array2::from_shape_fn((rows, n), |(r, _)| match r % 4 {
        0 => (rng.random_range(t.min_mantissa()..=t.max_mantissa()) as f64 + 0.5) * step,
        1 => {
            if rng.random_bool(0.5) {
                hi + step * rng.random_range(0..4) as f64
            } else {
                lo - step * rng.random_range(0..4) as f64
            }
        }
        2 => rng.random_range(2.0 * lo..2.0 * hi),
        _ => rng.random_range(t.min_mantissa()..=t.max_mantissa()) as f64 * step,
    })
}

/// Generates, lints and co-simulates; asserts zero mismatches and the promised latency and II.
fn cosim_clean(c: &Compiled, x: &Array2<f64>) -> Array2<f64> {
    require_tool("verilator");
    let design = c.design().unwrap();
    assert_lint_clean(&design.files, &design.top);
    let outcome = cosim::run(c, &design, x.view(), None).unwrap();
    let summary = outcome.summary();
    assert_eq!(outcome.received, x.nrows(), "{summary}");
    assert_eq!(outcome.mismatched_samples, 0, "{summary}");
    assert_eq!(outcome.latency_measured, Some(design.latency), "{summary}");
    assert_eq!(outcome.ii_measured, Some(1), "{summary}");
    let values = outcome.rtl_values.clone();
    outcome.into_result().unwrap();
    values
}

#[test]
fn golden_model_reproduces_hls4ml_emulation_bit_for_bit() {
    for case in ["model_default", "name_auto", "name_custom", "mnist_like"] {
        let (c, x, y) = peer(case);
        let got = c.golden.to_values(&c.golden.run_batch(x.view()).unwrap());
        let bad = got.iter().zip(y.iter()).filter(|(a, b)| a != b).count();
        assert_eq!(bad, 0, "{case}: {bad} outputs differ from hls4ml");
    }
}

/// Co-simulates a peer case on hls4ml's inputs plus `extra` stress inputs; asserts the RTL
/// equals the golden model on all of them and hls4ml's own outputs on its inputs.
fn peer_cosim(case: &str, extra: usize, seed: u64) -> usize {
    let (c, x, y) = peer(case);
    let stress = stress_inputs(&c, extra, seed);
    let all = ndarray::concatenate(ndarray::Axis(0), &[x.view(), stress.view()]).unwrap();
    let rtl = cosim_clean(&c, &all);
    assert_eq!(
        rtl.slice(s![..x.nrows(), ..]),
        y,
        "{case}: RTL differs from hls4ml's emulation"
    );
    all.nrows()
}

#[test]
fn jet_network_rtl_matches_hls4ml_and_golden_on_1000_inputs() {
    assert!(peer_cosim("model_default", 500, 7) >= 1000);
}

#[test]
fn saturating_and_rounding_config_rtl_matches_hls4ml() {
    // fc1 accumulates in ap_fixed<14,6,AP_RND,AP_SAT> (hls4ml's sequential order matters), the
    // input rounds to even and saturates, results use RND_ZERO/SAT_SYM, RND_INF/SAT,
    // RND_MIN_INF/SAT_ZERO and RND/WRAP.
    peer_cosim("name_custom", 400, 11);
}

#[test]
fn mnist_784_16_10_rtl_matches_golden_on_1000_inputs() {
    assert!(peer_cosim("mnist_like", 900, 3) >= 1000);
}

#[test]
fn generated_verilog_is_byte_identical_across_runs() {
    let (a, _, _) = peer("name_custom");
    let (b, _, _) = peer("name_custom");
    assert_eq!(a.design().unwrap().files, b.design().unwrap().files);
}

#[test]
fn generated_testbench_passes_in_icarus() {
    require_tool("iverilog");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("jet");
    let config = data("hls4ml/name_custom/config.yml");
    let args = [
        "--config",
        config.to_str().unwrap(),
        "--target",
        "arty-a7",
        "--tb-vectors",
        "300",
    ];
    cli_build(&data("hls4ml/name_custom/model.onnx"), &args, &out);
    assert_testbench_passes(&out, "run_icarus.sh", 300);
}

#[test]
fn primitive_testbenches_pass_in_icarus() {
    require_tool("iverilog");
    let prims = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rtl_primitives");
    let dir = tempfile::tempdir().unwrap();
    for tb in std::fs::read_dir(&prims)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("tb_"))
    {
        let dut = prims.join(
            tb.file_name()
                .unwrap()
                .to_string_lossy()
                .trim_start_matches("tb_"),
        );
        let vvp = dir.path().join("tb.vvp");
        let ok = std::process::Command::new("iverilog")
            .args(["-g2005", "-o"])
            .arg(&vvp)
            .arg(&tb)
            .arg(&dut)
            .status()
            .unwrap();
        assert!(ok.success(), "{} does not compile", tb.display());
        let run = std::process::Command::new("vvp")
            .arg("-n")
            .arg(&vvp)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&run.stdout);
        assert!(
            text.contains("PASS") && !text.contains("FAIL"),
            "{}:\n{text}",
            tb.display()
        );
    }
}

#[test]
fn generated_yosys_script_and_testbenches_run_for_a_small_network() {
    require_tool("yosys");
    // A small network keeps synthesis to seconds; the script is the same for any model.
    let dir = tempfile::tempdir().unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let mut layer =
        |name: &str, n_out: usize, n_in: usize, relu: bool| rtlgen::modelgen::DenseLayer {
            name: name.into(),
            weight: Array2::from_shape_fn((n_out, n_in), |_| rng.random_range(-1.0f32..1.0)),
            bias: Some(ndarray::Array1::from_shape_fn(n_out, |_| {
                rng.random_range(-1.0f32..1.0)
            })),
            relu,
        };
    let layers = [layer("fc1", 6, 8, true), layer("fc2", 3, 6, false)];
    let model = dir.path().join("model.onnx");
    std::fs::write(
        &model,
        rtlgen::modelgen::encode(&rtlgen::modelgen::mlp(
            &[8],
            &layers,
            rtlgen::modelgen::Style::Torch,
        )),
    )
    .unwrap();
    let out = dir.path().join("jet");
    cli_build(&model, &["--target", "arty-a7"], &out);
    let run = std::process::Command::new("yosys")
        .args(["-q", "-s", "synth_yosys.ys"])
        .current_dir(out.join("fpga"))
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "yosys failed:\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stat = std::fs::read_to_string(out.join("fpga/yosys_utilization.txt")).unwrap();
    assert!(
        stat.contains("LUT") && stat.contains("FDRE"),
        "no LUTs or flip-flops in:\n{stat}"
    );
    assert!(out.join("fpga/model_netlist.json").exists());
    for (script, tool) in [
        ("run_icarus.sh", "iverilog"),
        ("run_verilator.sh", "verilator"),
    ] {
        require_tool(tool);
        assert_testbench_passes(&out, script, 256);
    }
}
