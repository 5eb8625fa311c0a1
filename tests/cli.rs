//! The `rtlgen` binary: `build` artifacts, determinism, user errors that leave nothing behind, and
//! `predict` on .npy files. (`cosim` is covered elsewhere.)

use ndarray::{Array1, Array2, ArrayD, IxDyn};
use ndarray_npy::{read_npy, write_npy};
use rtlgen::modelgen::{self, DenseLayer, Style};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn rtlgen(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rtlgen"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[track_caller]
fn assert_ok(o: &Output) {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        stdout(o),
        stderr(o)
    );
}

#[track_caller]
fn assert_user_error(o: &Output) {
    assert_eq!(
        o.status.code(),
        Some(2),
        "stdout: {}\nstderr: {}",
        stdout(o),
        stderr(o)
    );
    assert!(stderr(o).starts_with("error:"), "stderr: {}", stderr(o));
}

/// Every file under `root`, relative path → contents.
fn tree(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, at: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(at).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(
                    p.strip_prefix(root).unwrap().to_owned(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Names directly in `dir`, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

// ---------------------------------------------------------------------------------------------
// The model: x[4] -> fc1 (4->3) -> relu1 -> fc2 (3->2) -> y, dyadic parameters.

fn w1() -> Array2<f32> {
    Array2::from_shape_vec(
        (3, 4),
        vec![
            0.5, -0.25, 0.125, 1.0, -0.5, 0.75, 0.25, -0.125, 0.375, 0.5, -1.0, 0.25,
        ],
    )
    .unwrap()
}
fn b1() -> Array1<f32> {
    Array1::from(vec![0.25, -0.5, 1.5])
}
fn w2() -> Array2<f32> {
    Array2::from_shape_vec((2, 3), vec![1.0, -0.5, 0.25, -0.75, 0.5, 1.25]).unwrap()
}
fn b2() -> Array1<f32> {
    Array1::from(vec![-0.125, 0.5])
}

fn layers() -> Vec<DenseLayer> {
    vec![
        DenseLayer {
            name: "fc1".into(),
            weight: w1(),
            bias: Some(b1()),
            relu: true,
        },
        DenseLayer {
            name: "fc2".into(),
            weight: w2(),
            bias: Some(b2()),
            relu: false,
        },
    ]
}

/// The float computation of the model (exact for dyadic inputs with few fraction bits).
fn reference(x: &Array2<f64>) -> Array2<f64> {
    let h = (x.dot(&w1().mapv(f64::from).t()) + b1().mapv(f64::from)).mapv(|v| v.max(0.0));
    h.dot(&w2().mapv(f64::from).t()) + b2().mapv(f64::from)
}

fn inputs(n: usize) -> Array2<f64> {
    Array2::from_shape_fn((n, 4), |(s, i)| (((s * 7 + i * 3) % 17) as f64 - 8.0) / 8.0)
}

/// A temp dir holding `tiny.onnx`.
fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.onnx");
    std::fs::write(
        &model,
        modelgen::encode(&modelgen::mlp(&[4], &layers(), Style::Torch)),
    )
    .unwrap();
    (dir, model)
}

// ---------------------------------------------------------------------------------------------
// build

#[test]
fn build_writes_rtl_testbench_flow_scripts_and_report() {
    let (dir, _) = setup();
    let o = rtlgen(dir.path(), &["build", "tiny.onnx"]);
    assert_ok(&o);
    let out = dir.path().join("tiny");
    assert!(
        out.is_dir(),
        "default output folder is named after the model stem: {:?}",
        entries(dir.path())
    );
    assert_eq!(
        entries(dir.path()),
        ["tiny", "tiny.onnx"],
        "no staging directories left behind"
    );
    assert_eq!(
        entries(&out),
        ["fpga", "report.json", "report.txt", "rtl", "tb"]
    );

    let rtl = entries(&out.join("rtl"));
    assert!(rtl.iter().all(|f| f.ends_with(".v")), "{rtl:?}");
    assert!(
        rtl.contains(&"tiny.v".to_owned()) && rtl.len() >= 2,
        "{rtl:?}"
    );
    let top = std::fs::read_to_string(out.join("rtl/tiny.v")).unwrap();
    assert!(top.contains("module tiny"), "{top}");
    for f in &rtl {
        let text = std::fs::read_to_string(out.join("rtl").join(f)).unwrap();
        assert_eq!(
            text.matches("endmodule").count(),
            text.matches("\nmodule ").count() + text.starts_with("module ") as usize,
            "{f}"
        );
    }

    assert_eq!(
        entries(&out.join("tb")),
        [
            "expected.hex",
            "run_icarus.sh",
            "run_verilator.sh",
            "stimulus.hex",
            "tb_tiny.v"
        ]
    );
    let tb = std::fs::read_to_string(out.join("tb/tb_tiny.v")).unwrap();
    assert!(tb.contains("tiny"), "the testbench instantiates the top");
    use std::os::unix::fs::PermissionsExt;
    for script in ["run_icarus.sh", "run_verilator.sh"] {
        let mode = std::fs::metadata(out.join("tb").join(script))
            .unwrap()
            .permissions()
            .mode();
        assert_ne!(mode & 0o111, 0, "{script} is executable");
    }

    assert_eq!(
        entries(&out.join("fpga")),
        ["build.tcl", "constraints.xdc", "synth_yosys.ys"]
    );
    let tcl = std::fs::read_to_string(out.join("fpga/build.tcl")).unwrap();
    assert!(
        tcl.contains("xc7a35ticsg324-1L"),
        "arty-a7 part in build.tcl:\n{tcl}"
    );
    let xdc = std::fs::read_to_string(out.join("fpga/constraints.xdc")).unwrap();
    assert!(xdc.contains("10"), "10 ns clock in constraints:\n{xdc}");

    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["top"], "tiny");
    assert_eq!(report["target"], "arty-a7");
    assert_eq!(report["ii_cycles"], 1);
    let latency = report["latency_cycles"]
        .as_u64()
        .expect("latency_cycles is a number");
    assert!(latency >= 1);
    assert_eq!(
        report["latency_ns"].as_f64().unwrap(),
        latency as f64 * 10.0
    );
    assert_eq!(report["input"]["elements"], 4);
    assert_eq!(report["output"]["elements"], 2);
    assert_eq!(report["input"]["type"], "ap_fixed<16,6>");
    assert_eq!(report["input"]["bits"], 64);
    assert_eq!(report["layers"].as_array().unwrap().len(), 3);
    assert!(
        stdout(&o).contains(&format!("latency {latency} cycles")),
        "{}",
        stdout(&o)
    );
}

/// Element i of a vector of W-bit mantissas at bits [i·W + W − 1 : i·W], as hex, MSB first.
fn pack_hex(values: &[i64], width: usize) -> String {
    let bits = values.len() * width;
    let mut bitvec = vec![false; bits.div_ceil(4) * 4];
    for (i, &v) in values.iter().enumerate() {
        for b in 0..width {
            bitvec[i * width + b] = (v >> b) & 1 == 1;
        }
    }
    bitvec
        .chunks(4)
        .rev()
        .map(|c| {
            char::from_digit(
                c.iter().enumerate().map(|(k, &on)| (on as u32) << k).sum(),
                16,
            )
            .unwrap()
        })
        .collect()
}

#[test]
fn testbench_vectors_follow_the_model() {
    let (dir, _) = setup();
    assert_ok(&rtlgen(
        dir.path(),
        &["build", "tiny.onnx", "--tb-vectors", "20"],
    ));
    let stim = std::fs::read_to_string(dir.path().join("tiny/tb/stimulus.hex")).unwrap();
    let expect = std::fs::read_to_string(dir.path().join("tiny/tb/expected.hex")).unwrap();
    let stim: Vec<&str> = stim.lines().collect();
    let expect: Vec<&str> = expect.lines().collect();
    assert_eq!((stim.len(), expect.len()), (20, 20));
    // ap_fixed<16,6> inputs: most negative, zero, most positive first.
    assert_eq!(
        &stim[..3],
        ["8000800080008000", "0000000000000000", "7fff7fff7fff7fff"]
    );
    // Zero in: y = W2·relu(b1) + b2, independently, as ap_fixed<16,6> mantissas (× 2^10).
    let y = reference(&Array2::zeros((1, 4)));
    let mantissas: Vec<i64> = y.iter().map(|v| (v * 1024.0) as i64).collect();
    assert_eq!(expect[1], pack_hex(&mantissas, 16));
}

#[test]
fn builds_are_byte_identical() {
    let (dir, _) = setup();
    assert_ok(&rtlgen(dir.path(), &["build", "tiny.onnx", "-o", "a"]));
    assert_ok(&rtlgen(dir.path(), &["build", "tiny.onnx", "-o", "b"]));
    let a = tree(&dir.path().join("a"));
    let b = tree(&dir.path().join("b"));
    assert!(a.len() >= 10, "{:?}", a.keys());
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (k, v) in &a {
        assert!(v == &b[k], "{} differs between builds", k.display());
    }
    // Rebuilding over an earlier output replaces it with the same files.
    std::fs::write(dir.path().join("a/stale.txt"), "old").unwrap();
    assert_ok(&rtlgen(dir.path(), &["build", "tiny.onnx", "-o", "a"]));
    assert_eq!(
        tree(&dir.path().join("a")),
        b,
        "the earlier output is replaced, not merged"
    );
}

#[test]
fn build_to_a_nested_output_path() {
    let (dir, _) = setup();
    assert_ok(&rtlgen(
        dir.path(),
        &["build", "tiny.onnx", "-o", "deep/er/out"],
    ));
    assert!(dir.path().join("deep/er/out/report.json").is_file());
    assert_eq!(entries(&dir.path().join("deep/er")), ["out"]);
}

#[test]
fn other_targets() {
    let (dir, _) = setup();
    assert_ok(&rtlgen(
        dir.path(),
        &["build", "tiny.onnx", "--target", "pynq-z2", "-o", "z"],
    ));
    let tcl = std::fs::read_to_string(dir.path().join("z/fpga/build.tcl")).unwrap();
    assert!(tcl.contains("xc7z020clg400-1"), "{tcl}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("z/report.json")).unwrap()).unwrap();
    assert_eq!(report["target"], "pynq-z2");
}

// ---------------------------------------------------------------------------------------------
// build errors leave nothing behind

#[test]
fn unknown_target_lists_the_boards() {
    let (dir, _) = setup();
    let o = rtlgen(dir.path(), &["build", "tiny.onnx", "--target", "nonsense"]);
    assert_user_error(&o);
    let err = stderr(&o);
    for board in ["arty-a7", "arty-a7-100", "pynq-z2"] {
        assert!(err.contains(board), "{board} not listed: {err}");
    }
    assert!(err.contains("nonsense"), "{err}");
    assert_eq!(entries(dir.path()), ["tiny.onnx"]);
}

#[test]
fn missing_model_file() {
    let (dir, _) = setup();
    let o = rtlgen(dir.path(), &["build", "missing.onnx"]);
    assert_user_error(&o);
    assert!(stderr(&o).contains("missing.onnx"), "{}", stderr(&o));
    assert_eq!(entries(dir.path()), ["tiny.onnx"]);
}

#[test]
fn malformed_config() {
    let (dir, _) = setup();
    std::fs::write(
        dir.path().join("bad.yml"),
        "Model:\n  Precision: ap_fixed<16\n  ReuseFactor: [\n",
    )
    .unwrap();
    let o = rtlgen(dir.path(), &["build", "tiny.onnx", "--config", "bad.yml"]);
    assert_user_error(&o);
    assert!(stderr(&o).contains("bad.yml"), "{}", stderr(&o));
    assert_eq!(entries(dir.path()), ["bad.yml", "tiny.onnx"]);

    // Well-formed YAML with several wrong values: one error listing them all.
    std::fs::write(
        dir.path().join("wrong.yml"),
        "Model:\n  Precision: ap_fixd<16,6>\n  ReuseFactor: 0\n  Strategy: fast\n",
    )
    .unwrap();
    let o = rtlgen(dir.path(), &["build", "tiny.onnx", "--config", "wrong.yml"]);
    assert_user_error(&o);
    let err = stderr(&o);
    assert!(err.contains("3 problems found"), "{err}");
    for key in ["Model.Precision", "Model.ReuseFactor", "Model.Strategy"] {
        assert!(err.contains(key), "{key}: {err}");
    }
    assert_eq!(entries(dir.path()), ["bad.yml", "tiny.onnx", "wrong.yml"]);
}

#[test]
fn unsupported_model() {
    let (dir, _) = setup();
    let mut m = modelgen::mlp(&[4], &layers(), Style::Torch);
    let g = m.graph.as_mut().unwrap();
    g.node[1].op_type = Some("Elu".into());
    g.node[0].op_type = Some("LSTM".into());
    std::fs::write(dir.path().join("odd.onnx"), modelgen::encode(&m)).unwrap();
    let o = rtlgen(dir.path(), &["build", "odd.onnx"]);
    assert_user_error(&o);
    let err = stderr(&o);
    assert!(err.contains("2 problems found"), "{err}");
    assert!(
        err.contains("/relu1/Relu (Elu)") && err.contains("/fc1/Gemm (LSTM)"),
        "{err}"
    );
    assert_eq!(entries(dir.path()), ["odd.onnx", "tiny.onnx"]);

    std::fs::write(
        dir.path().join("junk.onnx"),
        "not a protobuf at all \u{1}\u{2}\u{3}",
    )
    .unwrap();
    let o = rtlgen(dir.path(), &["build", "junk.onnx"]);
    assert_user_error(&o);
    assert_eq!(entries(dir.path()), ["junk.onnx", "odd.onnx", "tiny.onnx"]);
}

#[test]
fn output_into_a_foreign_directory_is_refused() {
    let (dir, _) = setup();
    let mine = dir.path().join("thesis");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("chapter1.tex"), "precious").unwrap();
    let o = rtlgen(dir.path(), &["build", "tiny.onnx", "-o", "thesis"]);
    assert_user_error(&o);
    assert!(stderr(&o).contains("thesis"), "{}", stderr(&o));
    assert_eq!(entries(&mine), ["chapter1.tex"]);
    assert_eq!(
        std::fs::read_to_string(mine.join("chapter1.tex")).unwrap(),
        "precious"
    );
    assert_eq!(entries(dir.path()), ["thesis", "tiny.onnx"]);

    // An existing regular file as -o is refused too, and kept.
    std::fs::write(dir.path().join("notes.txt"), "keep").unwrap();
    let o = rtlgen(dir.path(), &["build", "tiny.onnx", "-o", "notes.txt"]);
    assert_user_error(&o);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
        "keep"
    );
}

#[test]
fn config_problems_found_late_leave_no_output() {
    // A config that parses but fails in the passes (a reuse factor beyond the layers' weights).
    let (dir, _) = setup();
    std::fs::write(dir.path().join("rf.yml"), "Model:\n  ReuseFactor: 100000\n").unwrap();
    let o = rtlgen(dir.path(), &["build", "tiny.onnx", "--config", "rf.yml"]);
    assert_user_error(&o);
    assert!(stderr(&o).contains("ReuseFactor"), "{}", stderr(&o));
    assert_eq!(entries(dir.path()), ["rf.yml", "tiny.onnx"]);
}

#[test]
fn ignored_config_keys_are_noted_once() {
    let (dir, _) = setup();
    std::fs::write(
        dir.path().join("c.yml"),
        "Backend: Vitis\nHLSConfig:\n  Model:\n    Precision: ap_fixed<16,6>\n  LayerName:\n    fc1: {Trace: true}\n    relu1: {Trace: true}\n    fc2: {Trace: true}\n",
    )
    .unwrap();
    let o = rtlgen(dir.path(), &["build", "tiny.onnx", "--config", "c.yml"]);
    assert_ok(&o);
    let err = stderr(&o);
    assert_eq!(
        err.lines()
            .filter(|l| l.starts_with("note:") && l.contains("'Trace'"))
            .count(),
        1,
        "{err}"
    );
    assert_eq!(
        err.lines()
            .filter(|l| l.starts_with("note:") && l.contains("'Backend'"))
            .count(),
        1,
        "{err}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("tiny/report.json")).unwrap())
            .unwrap();
    assert_eq!(report["ignored_config"].as_array().unwrap().len(), 2);
}

#[test]
fn dump_ir_after_a_pass() {
    let (dir, _) = setup();
    let o = rtlgen(
        dir.path(),
        &[
            "predict",
            "tiny.onnx",
            "--dump-ir-after",
            "nonsense",
            "--input",
            "x.npy",
            "--output",
            "y.npy",
        ],
    );
    assert_user_error(&o);
    assert!(
        stderr(&o).contains("apply-config"),
        "valid passes listed: {}",
        stderr(&o)
    );

    write_npy(dir.path().join("x.npy"), &inputs(2)).unwrap();
    let o = rtlgen(
        dir.path(),
        &[
            "predict",
            "tiny.onnx",
            "--dump-ir-after",
            "apply-config",
            "--input",
            "x.npy",
            "--output",
            "y.npy",
        ],
    );
    assert_ok(&o);
    assert!(
        stderr(&o).contains("fc1 = dense 4x3 weight ap_fixed<16,6>"),
        "{}",
        stderr(&o)
    );
}

// ---------------------------------------------------------------------------------------------
// predict

fn golden(model: &Path, config: Option<&Path>, x: &Array2<f64>) -> Array2<f64> {
    let c = rtlgen::driver::compile(model, config, None).unwrap();
    c.golden.to_values(&c.golden.run_batch(x.view()).unwrap())
}

#[test]
fn predict_float64_and_float32() {
    let (dir, model) = setup();
    let x = inputs(17);
    let want = reference(&x);

    write_npy(dir.path().join("x64.npy"), &x).unwrap();
    let o = rtlgen(
        dir.path(),
        &[
            "predict",
            "tiny.onnx",
            "--input",
            "x64.npy",
            "--output",
            "y64.npy",
        ],
    );
    assert_ok(&o);
    let y64: Array2<f64> = read_npy(dir.path().join("y64.npy")).unwrap();
    assert_eq!(
        y64, want,
        "dyadic inputs in range: the fixed-point result equals the float one"
    );
    assert_eq!(y64, golden(&model, None, &x));

    write_npy(dir.path().join("x32.npy"), &x.mapv(|v| v as f32)).unwrap();
    let o = rtlgen(
        dir.path(),
        &[
            "predict",
            "tiny.onnx",
            "--input",
            "x32.npy",
            "--output",
            "y32.npy",
        ],
    );
    assert_ok(&o);
    let y32: Array2<f64> = read_npy(dir.path().join("y32.npy")).unwrap();
    assert_eq!(y32, want);
}

#[test]
fn predict_quantizes_off_grid_inputs_like_the_library() {
    // Inputs with more fraction bits than ap_fixed<16,6> keeps and beyond its range: the output
    // differs from the float reference, and the binary agrees with the library golden model.
    let (dir, model) = setup();
    let x = Array2::from_shape_fn((9, 4), |(s, i)| {
        (s as f64 * 7.31 - 20.0) * if i % 2 == 0 { 1.0 } else { -1.7 } + 1e-4
    });
    write_npy(dir.path().join("x.npy"), &x).unwrap();
    assert_ok(&rtlgen(
        dir.path(),
        &[
            "predict",
            "tiny.onnx",
            "--input",
            "x.npy",
            "--output",
            "y.npy",
        ],
    ));
    let y: Array2<f64> = read_npy(dir.path().join("y.npy")).unwrap();
    assert_eq!(y, golden(&model, None, &x));
    assert_ne!(y, reference(&x));
    // Every output is on the ap_fixed<16,6> grid and inside its range.
    assert!(
        y.iter()
            .all(|&v| (v * 1024.0).fract() == 0.0 && (-32.0..32.0).contains(&v)),
        "{y}"
    );
}

#[test]
fn predict_with_a_config() {
    let (dir, model) = setup();
    std::fs::write(
        dir.path().join("c.yml"),
        "Model:\n  Precision: ap_fixed<8,3,AP_RND,AP_SAT>\n",
    )
    .unwrap();
    let x = inputs(11) * 3.3;
    write_npy(dir.path().join("x.npy"), &x).unwrap();
    assert_ok(&rtlgen(
        dir.path(),
        &[
            "predict",
            "tiny.onnx",
            "--config",
            "c.yml",
            "--input",
            "x.npy",
            "--output",
            "y.npy",
        ],
    ));
    let y: Array2<f64> = read_npy(dir.path().join("y.npy")).unwrap();
    assert_eq!(y, golden(&model, Some(&dir.path().join("c.yml")), &x));
    // Saturating ap_fixed<8,3>: outputs on a 1/32 grid in [-4, 4).
    assert!(
        y.iter()
            .all(|&v| (v * 32.0).fract() == 0.0 && (-4.0..4.0).contains(&v)),
        "{y}"
    );
}

#[test]
fn predict_takes_the_models_own_input_shape() {
    // x of shape (N, 1, 2, 2) behind a Flatten.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("img.onnx"),
        modelgen::encode(&modelgen::mlp(&[1, 2, 2], &layers(), Style::Torch)),
    )
    .unwrap();
    let x = inputs(5);
    let x4 = x.clone().into_shape_with_order((5, 1, 2, 2)).unwrap();
    write_npy(dir.path().join("x.npy"), &x4).unwrap();
    assert_ok(&rtlgen(
        dir.path(),
        &[
            "predict", "img.onnx", "--input", "x.npy", "--output", "y.npy",
        ],
    ));
    let y: Array2<f64> = read_npy(dir.path().join("y.npy")).unwrap();
    assert_eq!(y, reference(&x));

    // The flattened (N, 4) form is not the model's input shape.
    write_npy(dir.path().join("flat.npy"), &x).unwrap();
    let o = rtlgen(
        dir.path(),
        &[
            "predict", "img.onnx", "--input", "flat.npy", "--output", "y2.npy",
        ],
    );
    assert_user_error(&o);
    assert!(stderr(&o).contains("(N, 1, 2, 2)"), "{}", stderr(&o));
    assert!(!dir.path().join("y2.npy").exists());
}

#[test]
fn predict_rejects_wrong_shapes_and_writes_nothing() {
    let (dir, _) = setup();
    let cases: Vec<(&str, ArrayD<f64>)> = vec![
        ("wide.npy", ArrayD::zeros(IxDyn(&[3, 5]))),
        ("flat.npy", ArrayD::zeros(IxDyn(&[4]))),
        ("deep.npy", ArrayD::zeros(IxDyn(&[3, 4, 1]))),
    ];
    for (name, a) in cases {
        write_npy(dir.path().join(name), &a).unwrap();
        let o = rtlgen(
            dir.path(),
            &["predict", "tiny.onnx", "--input", name, "--output", "y.npy"],
        );
        assert_user_error(&o);
        let err = stderr(&o);
        assert!(
            err.contains("(N, 4)") && err.contains(name),
            "{name}: {err}"
        );
        assert!(!dir.path().join("y.npy").exists(), "{name}: output written");
    }
    // Integers are not a float array.
    write_npy(dir.path().join("ints.npy"), &Array2::<i64>::zeros((2, 4))).unwrap();
    let o = rtlgen(
        dir.path(),
        &[
            "predict",
            "tiny.onnx",
            "--input",
            "ints.npy",
            "--output",
            "y.npy",
        ],
    );
    assert_user_error(&o);
    assert!(!dir.path().join("y.npy").exists());
    // A missing input file.
    let o = rtlgen(
        dir.path(),
        &[
            "predict",
            "tiny.onnx",
            "--input",
            "none.npy",
            "--output",
            "y.npy",
        ],
    );
    assert_user_error(&o);
    assert!(!dir.path().join("y.npy").exists());
}

#[test]
fn predict_rejects_nan_and_infinity() {
    let (dir, _) = setup();
    for (k, bad) in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY]
        .into_iter()
        .enumerate()
    {
        let mut x = inputs(4);
        x[[2, 3]] = bad;
        let name = format!("x{k}.npy");
        write_npy(dir.path().join(&name), &x).unwrap();
        let o = rtlgen(
            dir.path(),
            &[
                "predict",
                "tiny.onnx",
                "--input",
                &name,
                "--output",
                "y.npy",
            ],
        );
        assert_user_error(&o);
        let err = stderr(&o);
        assert!(
            err.contains("sample 2") && err.contains("element 3"),
            "{err}"
        );
        assert!(
            !dir.path().join("y.npy").exists(),
            "output written for {bad}"
        );
    }
    // float32 NaN as well.
    let mut x = inputs(2).mapv(|v| v as f32);
    x[[0, 0]] = f32::NAN;
    write_npy(dir.path().join("x32.npy"), &x).unwrap();
    let o = rtlgen(
        dir.path(),
        &[
            "predict",
            "tiny.onnx",
            "--input",
            "x32.npy",
            "--output",
            "y.npy",
        ],
    );
    assert_user_error(&o);
    assert!(!dir.path().join("y.npy").exists());
}

#[test]
fn predict_failure_keeps_an_existing_output_file() {
    let (dir, _) = setup();
    std::fs::write(dir.path().join("y.npy"), "earlier results").unwrap();
    write_npy(dir.path().join("bad.npy"), &Array2::<f64>::zeros((2, 3))).unwrap();
    let o = rtlgen(
        dir.path(),
        &[
            "predict",
            "tiny.onnx",
            "--input",
            "bad.npy",
            "--output",
            "y.npy",
        ],
    );
    assert_user_error(&o);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("y.npy")).unwrap(),
        "earlier results"
    );
}

#[test]
fn predict_an_empty_batch() {
    let (dir, _) = setup();
    write_npy(dir.path().join("x.npy"), &Array2::<f64>::zeros((0, 4))).unwrap();
    let o = rtlgen(
        dir.path(),
        &[
            "predict",
            "tiny.onnx",
            "--input",
            "x.npy",
            "--output",
            "y.npy",
        ],
    );
    assert_ok(&o);
    let y: Array2<f64> = read_npy(dir.path().join("y.npy")).unwrap();
    assert_eq!(y.dim(), (0, 2));
}

#[test]
fn model_names_that_are_not_verilog_identifiers() {
    let (dir, _) = setup();
    let bytes = std::fs::read(dir.path().join("tiny.onnx")).unwrap();
    for (file, out, top) in [
        ("module.onnx", "module", "module_net"),
        ("2-layer net.onnx", "2-layer net", "model_2_layer_net"),
    ] {
        std::fs::write(dir.path().join(file), &bytes).unwrap();
        let o = rtlgen(dir.path(), &["build", file]);
        assert_ok(&o);
        let base = dir.path().join(out);
        assert!(
            base.join("rtl").join(format!("{top}.v")).is_file(),
            "{:?}",
            entries(&base.join("rtl"))
        );
        assert!(
            base.join("tb").join(format!("tb_{top}.v")).is_file(),
            "{:?}",
            entries(&base.join("tb"))
        );
        let top_v = std::fs::read_to_string(base.join("rtl").join(format!("{top}.v"))).unwrap();
        assert!(top_v.contains(&format!("module {top}")), "{top_v}");
    }
}

#[test]
fn zero_testbench_vectors_is_a_user_error() {
    let (dir, _) = setup();
    let o = rtlgen(dir.path(), &["build", "tiny.onnx", "--tb-vectors", "0"]);
    assert_user_error(&o);
    assert_eq!(entries(dir.path()), ["tiny.onnx"]);
}
