//! Pipelining to a clock period, multiplier mapping, resource reports and Yosys measurement.
//! Needs Verilator and Yosys (scripts/test.sh).

mod common;

use common::{cli_build, data, require_tool};
use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rtlgen::modelgen::{encode, mlp, DenseLayer, Style};
use rtlgen::rtl::timing::Timing;
use serde_json::{json, Value};
use std::path::Path;

/// A small two-layer network and a config with the given per-layer settings, in `dir`.
fn small_model(dir: &Path, fc1: Value, fc2: Value) -> (std::path::PathBuf, std::path::PathBuf) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(21);
    let mut layer = |name: &str, n_out: usize, n_in: usize, relu: bool| DenseLayer {
        name: name.into(),
        weight: Array2::from_shape_fn((n_out, n_in), |_| rng.random_range(-1.0f32..1.0)),
        bias: Some(Array1::from_shape_fn(n_out, |_| {
            rng.random_range(-1.0f32..1.0)
        })),
        relu,
    };
    let layers = [layer("fc1", 6, 8, true), layer("fc2", 4, 6, false)];
    let (m, c) = (dir.join("small.onnx"), dir.join("small.json"));
    std::fs::write(&m, encode(&mlp(&[8], &layers, Style::Torch))).unwrap();
    std::fs::write(
        &c,
        json!({"Model": {"Precision": "ap_fixed<16,6>"}, "LayerName": {"fc1": fc1, "fc2": fc2}})
            .to_string(),
    )
    .unwrap();
    (m, c)
}

#[test]
fn clock_period_decides_the_pipeline_and_the_design_stays_exact() {
    require_tool("verilator");
    let dir = data("hls4ml/name_custom");
    let c = rtlgen::driver::compile(&dir.join("model.onnx"), Some(&dir.join("config.yml")), None)
        .unwrap();
    let mut previous = u32::MAX;
    for period in [2.0, 3.0, 5.0, 10.0, 20.0] {
        let d = c.design_for(&Timing::xc7(period)).unwrap();
        assert!(
            d.latency <= previous,
            "a longer period ({period} ns) never needs more cycles"
        );
        previous = d.latency;
        assert_eq!(d.clock_period_ns, period);
    }
    let fast = c.design_for(&Timing::xc7(2.0)).unwrap();
    let slow = c.design_for(&Timing::xc7(20.0)).unwrap();
    assert!(
        fast.latency > slow.latency,
        "{} vs {}",
        fast.latency,
        slow.latency
    );
    assert!(slow.estimated_stage_ns <= 20.0);
    let x: Array2<f64> = ndarray_npy::read_npy(dir.join("X.npy")).unwrap();
    let x = x.slice(ndarray::s![..150, ..]).to_owned();
    for d in [fast, slow] {
        common::assert_lint_clean(&d.files, &d.top);
        let outcome = rtlgen::sim::cosim::run(&c, &d, x.view(), None).unwrap();
        assert_eq!(outcome.mismatched_samples, 0, "{}", outcome.summary());
        assert_eq!(
            outcome.latency_measured,
            Some(d.latency),
            "{}",
            outcome.summary()
        );
    }
}

#[test]
fn multiplier_style_is_emitted_and_estimated() {
    let dir = tempfile::tempdir().unwrap();
    let (m, cfg) = small_model(
        dir.path(),
        json!({"ReuseFactor": 4, "Strategy": "Resource", "Multiplier": "dsp"}),
        json!({"ReuseFactor": 3, "Strategy": "Latency", "Multiplier": "lut"}),
    );
    let c = rtlgen::driver::compile(&m, Some(&cfg), None).unwrap();
    let d = c.design().unwrap();
    let file = |name: &str| &d.files.iter().find(|(f, _)| f == name).unwrap().1;
    assert!(file(&format!("{}_fc1.v", d.top)).contains("(* use_dsp = \"yes\" *)"));
    assert!(!file(&format!("{}_fc1.v", d.top)).contains("use_dsp = \"no\""));
    assert!(file(&format!("{}_fc2.v", d.top)).contains("(* use_dsp = \"no\" *)"));
    let fc1 = d.layers.iter().find(|l| l.name == "fc1").unwrap();
    let fc2 = d.layers.iter().find(|l| l.name == "fc2").unwrap();
    assert_eq!(fc1.estimate.multipliers as usize, 48usize.div_ceil(4));
    assert!(
        fc1.estimate.dsps >= fc1.estimate.multipliers,
        "every DSP-mapped multiplier costs at least one DSP"
    );
    assert_eq!(fc2.estimate.dsps, 0);
    assert!(
        fc1.estimate.weight_memory_bits > 0,
        "Resource keeps its weights in a ROM"
    );
    assert_eq!(
        fc2.estimate.weight_memory_bits, 0,
        "Latency selects constant weights"
    );
}

#[test]
fn reports_total_the_layers_and_yosys_measures_them() {
    require_tool("yosys");
    let dir = tempfile::tempdir().unwrap();
    let (m, cfg) = small_model(
        dir.path(),
        json!({"ReuseFactor": 2, "Multiplier": "dsp"}),
        json!({"ReuseFactor": 1, "Multiplier": "lut"}),
    );
    let out = dir.path().join("build");
    cli_build(
        &m,
        &[
            "--config",
            cfg.to_str().unwrap(),
            "--clock-period-ns",
            "5",
            "--synth",
        ],
        &out,
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["clock_period_ns"], 5.0);
    assert_eq!(report["ii_cycles"], 2);
    let layers = report["layers"].as_array().unwrap();
    for key in [
        "luts",
        "multipliers",
        "adders",
        "dsps",
        "weight_memory_bits",
    ] {
        let sum: u64 = layers
            .iter()
            .map(|l| l["estimate"][key].as_u64().unwrap())
            .sum();
        assert_eq!(report["totals"][key].as_u64().unwrap(), sum, "{key}");
    }
    let luts = report["totals"]["luts"].as_f64().unwrap();
    assert!((report["board_fraction"]["luts"].as_f64().unwrap() - luts / 20800.0).abs() < 1e-12);
    let text = std::fs::read_to_string(out.join("report.txt")).unwrap();
    for l in layers {
        assert!(text.contains(l["name"].as_str().unwrap()), "{text}");
    }
    assert!(
        text.contains("total") && text.contains("II 2 cycles"),
        "{text}"
    );
    let synth: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("synth.json")).unwrap()).unwrap();
    for key in ["luts", "ffs", "carry"] {
        assert!(
            synth["measured"][key].as_u64().unwrap() > 0,
            "yosys measured no {key}: {synth}"
        );
    }
    assert!(synth["measured"]["logic_depth"].as_u64().unwrap() > 0);
    // The script honours use_dsp: fc1's 24 multipliers (16 × at most 16 bits) take one DSP48E1
    // each, fc2's constant multiplications none.
    assert_eq!(report["layers"][0]["estimate"]["dsps"], 24);
    assert_eq!(report["layers"][2]["estimate"]["dsps"], 0);
    assert_eq!(synth["measured"]["dsps"], 24, "{synth}");
    let table = std::fs::read_to_string(out.join("synth.txt")).unwrap();
    assert!(
        table.contains("ratio") && table.contains("logic depth"),
        "{table}"
    );
}

#[test]
fn bad_clock_periods_are_user_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (m, _) = small_model(dir.path(), json!({}), json!({}));
    for bad in ["0", "-3", "NaN"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_rtlgen"))
            .arg("build")
            .arg(&m)
            .arg(format!("--clock-period-ns={bad}"))
            .arg("-o")
            .arg(dir.path().join("never"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--clock-period-ns"));
        assert!(!dir.path().join("never").exists());
    }
}

#[test]
fn ecp5_and_ice40_targets_synthesize_with_their_own_cells() {
    require_tool("yosys");
    let dir = tempfile::tempdir().unwrap();
    let (m, cfg) = small_model(
        dir.path(),
        json!({"ReuseFactor": 2, "Multiplier": "dsp"}),
        json!({"ReuseFactor": 3, "Strategy": "Resource", "Multiplier": "dsp"}),
    );
    for (target, dsp_cell, carry_cell, dsps) in [
        ("ulx3s-85f", "MULT18X18D", "CCU2C", 24 + 8),
        ("icebreaker", "SB_MAC16", "SB_CARRY", 0),
    ] {
        let out = dir.path().join(target);
        cli_build(
            &m,
            &[
                "--config",
                cfg.to_str().unwrap(),
                "--target",
                target,
                "--synth",
            ],
            &out,
        );
        let report: Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap())
                .unwrap();
        assert_eq!(report["target"], target);
        assert!(
            !out.join("fpga/build.tcl").exists(),
            "no Vivado script for {target}"
        );
        let script = std::fs::read_to_string(out.join("fpga/synth_yosys.ys")).unwrap();
        assert!(!script.contains("synth_xilinx"), "{script}");
        let synth: Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("synth.json")).unwrap())
                .unwrap();
        // fc1 has 24 multipliers and fc2 ⌈24 / 3⌉ = 8, each fitting one 18 × 18 block; the
        // iCE40 keeps every multiplication in LUTs.
        assert_eq!(synth["estimate"]["dsps"], dsps, "{target}: {synth}");
        assert_eq!(synth["measured"]["dsps"], dsps, "{target}: {synth}");
        for key in ["luts", "ffs", "carry"] {
            assert!(
                synth["measured"][key].as_u64().unwrap() > 0,
                "{target}: yosys measured no {key}: {synth}"
            );
        }
        let table = std::fs::read_to_string(out.join("synth.txt")).unwrap();
        assert!(
            table.contains(dsp_cell) && table.contains(carry_cell),
            "{table}"
        );
    }
}
