//! hls4ml-shaped configurations: the shapes hls4ml writes, hls4ml's precision lookup order,
//! `auto`, ignored keys, and every problem of a bad file reported at once; then end to end
//! through `driver::compile`.

use ndarray::{Array1, Array2};
use rtlgen::config::{Config, IoType, Prec, Strategy};
use rtlgen::diag::{Diagnostic, Error};
use rtlgen::fixed::{FixedType, Overflow, Quant};
use rtlgen::modelgen::{self, DenseLayer, Style};
use serde_json::json;
use std::path::{Path, PathBuf};

fn fx(w: u32, i: i32) -> FixedType {
    FixedType::fixed(w, i, true)
}

fn ty(w: u32, i: i32) -> Prec {
    Prec::Type(fx(w, i))
}

fn parse(v: serde_json::Value) -> Config {
    Config::from_value(&v).unwrap_or_else(|e| panic!("config rejected: {e}"))
}

fn user_diags<T>(r: rtlgen::diag::Result<T>) -> Vec<Diagnostic> {
    match r {
        Err(Error::User(d)) => d,
        Err(other) => panic!("expected a user error, got {other:?}"),
        Ok(_) => panic!("expected a user error, got success"),
    }
}

fn find<'a>(diags: &'a [Diagnostic], location: &str) -> &'a Diagnostic {
    diags
        .iter()
        .find(|d| d.location == location)
        .unwrap_or_else(|| panic!("no diagnostic at '{location}' in {diags:#?}"))
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

// ---------------------------------------------------------------------------------------------
// Shapes of the configuration.

#[test]
fn model_precision_as_a_string() {
    let c = parse(json!({"Model": {"Precision": "ap_fixed<12,4>"}}));
    assert_eq!(c.model.precision.get("default"), Some(&ty(12, 4)));
    assert_eq!(c.model_default(), fx(12, 4));
    assert_eq!(c.maximum, None);
    assert_eq!(c.io_type, IoType::Parallel);
    assert!(c.ignored_summary().is_empty());
}

#[test]
fn no_config_means_ap_fixed_16_6() {
    let c = Config::default();
    assert_eq!(c.model_default(), fx(16, 6));
    let (p, from) = c.precision("weight", &names(&["fc1"]), &["Dense"]);
    assert_eq!(p, ty(16, 6));
    assert_eq!(from, "Model.Precision.default");
    // An empty mapping is the same.
    assert_eq!(parse(json!({})).model_default(), fx(16, 6));
}

#[test]
fn model_precision_with_default_and_maximum() {
    let c = parse(
        json!({"Model": {"Precision": {"default": "ap_fixed<18,8,AP_RND,AP_SAT>", "maximum": "ap_fixed<24,12>", "accum": "ap_fixed<30,10>"}}}),
    );
    assert_eq!(
        c.model_default(),
        fx(18, 8).with_modes(Quant::Rnd, Overflow::Sat)
    );
    assert_eq!(c.maximum, Some(fx(24, 12)));
    assert_eq!(c.model.precision.get("accum"), Some(&ty(30, 10)));
    assert!(
        !c.model.precision.contains_key("maximum"),
        "maximum is not a precision variable"
    );
}

#[test]
fn hls4ml_spellings_of_types() {
    let cases = [
        (
            "fixed<16,6,RND_CONV,SAT_SYM,0>",
            fx(16, 6).with_modes(Quant::RndConv, Overflow::SatSym),
        ),
        ("ap_ufixed<8,3>", FixedType::fixed(8, 3, false)),
        (
            "ufixed<8,0,AP_RND,AP_SAT>",
            FixedType::fixed(8, 0, false).with_modes(Quant::Rnd, Overflow::Sat),
        ),
        ("ap_int<8>", FixedType::int(8, true)),
        ("uint<4>", FixedType::int(4, false)),
        (" ap_fixed< 16 , 6 > ", fx(16, 6)),
    ];
    for (text, want) in cases {
        let c = parse(json!({"Model": {"Precision": text}}));
        assert_eq!(c.model_default(), want, "{text}");
    }
}

#[test]
fn layer_type_and_layer_name_sections() {
    let c = parse(json!({
        "Model": {"Precision": "ap_fixed<16,6>", "ReuseFactor": 1, "Strategy": "Latency"},
        "LayerType": {"Dense": {"Precision": {"weight": "ap_fixed<8,3>", "result": "auto"}, "ReuseFactor": 1, "Strategy": "latency"}},
        "LayerName": {"fc1": {"Precision": "ap_fixed<10,4>", "Strategy": "Resource"}, "relu1": {"Precision": {"result": "ap_ufixed<8,4>"}}}
    }));
    let dense = &c.layer_type["Dense"];
    assert_eq!(dense.precision.get("weight"), Some(&ty(8, 3)));
    assert_eq!(dense.precision.get("result"), Some(&Prec::Auto));
    assert_eq!(
        (dense.reuse_factor, dense.strategy),
        (Some(1), Some(Strategy::Latency))
    );
    let fc1 = &c.layer_name["fc1"];
    assert_eq!(fc1.precision.get("default"), Some(&ty(10, 4)));
    assert_eq!(fc1.strategy, Some(Strategy::Resource));
    assert_eq!(
        c.layer_name["relu1"].precision.get("result"),
        Some(&Prec::Type(FixedType::fixed(8, 4, false)))
    );
    // Per-layer settings: name before type before model.
    let rf = c.setting(&names(&["fc1"]), &["Dense"], |s| s.strategy);
    assert_eq!(rf, Some(Strategy::Resource));
    assert_eq!(
        c.setting(&names(&["fc2"]), &["Dense"], |s| s.strategy),
        Some(Strategy::Latency)
    );
}

#[test]
fn all_strategy_spellings() {
    for (text, want) in [
        ("Latency", Strategy::Latency),
        ("Resource", Strategy::Resource),
        ("resource_unrolled", Strategy::ResourceUnrolled),
        ("Resource_Unrolled", Strategy::ResourceUnrolled),
        ("distributed_arithmetic", Strategy::DistributedArithmetic),
        ("da", Strategy::DistributedArithmetic),
    ] {
        assert_eq!(
            parse(json!({"Model": {"Strategy": text}})).model.strategy,
            Some(want),
            "{text}"
        );
    }
}

#[test]
fn full_hls4ml_project_file() {
    let c = parse(json!({
        "Backend": "Vitis",
        "Part": "xcu250-figd2104-2L-e",
        "ClockPeriod": 5,
        "ClockUncertainty": "27%",
        "OutputDir": "my-hls-test",
        "ProjectName": "myproject",
        "IOType": "io_parallel",
        "OnnxModel": "model.onnx",
        "InputData": null,
        "OutputPredictions": null,
        "HLSConfig": {
            "Model": {"Precision": {"default": "ap_fixed<14,5>"}, "ReuseFactor": 1, "Strategy": "Latency", "BramFactor": 1000000000, "TraceOutput": false},
            "LayerName": {"fc1": {"Precision": {"weight": "ap_fixed<8,3>"}}}
        }
    }));
    assert_eq!(c.model_default(), fx(14, 5));
    assert_eq!(c.layer_name["fc1"].precision.get("weight"), Some(&ty(8, 3)));
    assert_eq!(c.io_type, IoType::Parallel);
    let summary = c.ignored_summary().join("\n");
    for key in [
        "Backend",
        "Part",
        "ClockPeriod",
        "OutputDir",
        "ProjectName",
        "OnnxModel",
        "BramFactor",
        "TraceOutput",
    ] {
        assert!(
            summary.contains(&format!("'{key}'")),
            "{key} not reported as ignored:\n{summary}"
        );
    }
    assert!(
        !summary.contains("'IOType'"),
        "IOType is used, not ignored:\n{summary}"
    );

    // IOType at the top of a project file is honoured.
    let c = parse(
        json!({"IOType": "io_stream", "HLSConfig": {"Model": {"Precision": "ap_fixed<16,6>"}}}),
    );
    assert_eq!(c.io_type, IoType::Stream);
}

#[test]
fn unknown_keys_inside_hls_config_are_errors() {
    let d = user_diags(Config::from_value(&json!({"HLSConfig": {"Modle": {}}})));
    let e = find(&d, "HLSConfig.Modle");
    assert!(
        e.expected.contains("Model") && e.expected.contains("LayerName"),
        "{e:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Precision lookup order (REFERENCE §2.1).

#[test]
fn precision_lookup_follows_hls4ml_order() {
    // Six levels, each a different type; drop the best level one at a time.
    let levels: [(&str, &str, Prec, &str); 6] = [
        (
            "LayerName",
            "weight",
            ty(10, 1),
            "LayerName.fc1.Precision.weight",
        ),
        (
            "LayerName",
            "default",
            ty(11, 2),
            "LayerName.fc1.Precision.default",
        ),
        (
            "LayerType",
            "weight",
            ty(12, 3),
            "LayerType.Dense.Precision.weight",
        ),
        (
            "LayerType",
            "default",
            ty(13, 4),
            "LayerType.Dense.Precision.default",
        ),
        ("Model", "weight", ty(14, 5), "Model.Precision.weight"),
        ("Model", "default", ty(15, 6), "Model.Precision.default"),
    ];
    let text = |p: &Prec| match p {
        Prec::Type(t) => format!("ap_fixed<{},{}>", t.width, t.int_bits),
        Prec::Auto => "auto".into(),
    };
    for first in 0..levels.len() {
        let mut v = json!({"Model": {"Precision": {}}, "LayerType": {"Dense": {"Precision": {}}}, "LayerName": {"fc1": {"Precision": {}}}});
        for (section, var, p, _) in &levels[first..] {
            let slot = match *section {
                "Model" => &mut v["Model"]["Precision"],
                "LayerType" => &mut v["LayerType"]["Dense"]["Precision"],
                _ => &mut v["LayerName"]["fc1"]["Precision"],
            };
            slot[*var] = json!(text(p));
        }
        let c = parse(v);
        let (p, from) = c.precision("weight", &names(&["/fc1/Gemm", "fc1"]), &["Dense"]);
        assert_eq!(
            (p, from.as_str()),
            (levels[first].2, levels[first].3),
            "with levels {first}.. present"
        );
    }
}

#[test]
fn a_variable_does_not_leak_into_another() {
    let c = parse(json!({
        "Model": {"Precision": {"default": "ap_fixed<15,6>", "bias": "ap_fixed<14,5>"}},
        "LayerType": {"Dense": {"Precision": {"weight": "ap_fixed<12,3>"}}},
        "LayerName": {"fc1": {"Precision": {"weight": "ap_fixed<10,1>"}}}
    }));
    let fc1 = names(&["fc1"]);
    // bias: not at name or type level, and neither section has a default → model bias.
    assert_eq!(
        c.precision("bias", &fc1, &["Dense"]),
        (ty(14, 5), "Model.Precision.bias".to_owned())
    );
    // accum: nothing specific anywhere → model default.
    assert_eq!(c.precision("accum", &fc1, &["Dense"]).0, ty(15, 6));
    // Another Dense layer gets the type-level weight; a ReLU is not a Dense.
    assert_eq!(
        c.precision("weight", &names(&["fc2"]), &["Dense"]).0,
        ty(12, 3)
    );
    assert_eq!(
        c.precision("weight", &names(&["relu1"]), &["Activation", "ReLU"])
            .0,
        ty(15, 6)
    );
    // A layer known under several names finds its entry under any of them.
    assert_eq!(
        c.precision("weight", &names(&["/fc1/Gemm", "fc1"]), &["Dense"])
            .0,
        ty(10, 1)
    );
}

#[test]
fn auto_is_accepted_for_layer_variables_only() {
    let c = parse(json!({
        "Model": {"Precision": {"default": "ap_fixed<16,6>", "result": "auto"}},
        "LayerName": {"fc1": {"Precision": {"accum": "AUTO", "result": " auto "}}}
    }));
    assert_eq!(
        c.layer_name["fc1"].precision.get("accum"),
        Some(&Prec::Auto)
    );
    assert_eq!(
        c.layer_name["fc1"].precision.get("result"),
        Some(&Prec::Auto)
    );
    assert_eq!(
        c.precision("result", &names(&["fc2"]), &["Dense"]).0,
        Prec::Auto
    );

    // The model default and the maximum must be real types.
    let d = user_diags(Config::from_value(&json!({"Model": {"Precision": "auto"}})));
    assert!(
        d.iter()
            .any(|d| d.location.starts_with("Model.Precision") && d.found == "auto"),
        "{d:#?}"
    );
    let d = user_diags(Config::from_value(
        &json!({"Model": {"Precision": {"default": "ap_fixed<16,6>", "maximum": "auto"}}}),
    ));
    assert_eq!(find(&d, "Model.Precision.maximum").found, "auto");
}

// ---------------------------------------------------------------------------------------------
// Ignored keys and errors.

#[test]
fn an_ignored_key_is_reported_once() {
    let mut layers = serde_json::Map::new();
    for k in 1..=7 {
        layers.insert(
            format!("layer{k}"),
            json!({"Trace": true, "Precision": {"result": "ap_fixed<16,6>"}}),
        );
    }
    let c = parse(json!({
        "Model": {"Precision": "ap_fixed<16,6>", "BramFactor": 1000000000},
        "LayerType": {"ELU": {"Precision": {"exp_table": "ap_fixed<18,8>"}}},
        "LayerName": layers
    }));
    let lines = c.ignored_summary();
    let trace: Vec<&String> = lines.iter().filter(|l| l.contains("'Trace'")).collect();
    assert_eq!(trace.len(), 1, "{lines:#?}");
    for k in 1..=7 {
        assert!(
            trace[0].contains(&format!("LayerName.layer{k}")),
            "{}",
            trace[0]
        );
    }
    assert_eq!(
        lines.iter().filter(|l| l.contains("'BramFactor'")).count(),
        1,
        "{lines:#?}"
    );
    assert_eq!(
        lines.iter().filter(|l| l.contains("'ELU'")).count(),
        1,
        "{lines:#?}"
    );
    assert_eq!(lines.len(), 3, "{lines:#?}");
}

#[test]
fn ignored_precision_variables_are_reported_not_rejected() {
    let c = parse(
        json!({"LayerName": {"relu1": {"Precision": {"result": "ap_fixed<16,6>", "table": "ap_fixed<18,8>"}, "BramFactor": 1024}}}),
    );
    let lines = c.ignored_summary().join("\n");
    assert!(lines.contains("table"), "{lines}");
    assert!(lines.contains("BramFactor"), "{lines}");
}

#[test]
fn every_problem_is_reported_together() {
    let v = json!({
        "Model": {"Precison": "ap_fixed<16,6>", "Precision": {"default": "ap_fixd<16,6>", "result": "ap_fixed<16,6,RND,FOO>"}, "ReuseFactor": 0, "Strategy": "Fastest"},
        "LayerType": {"Dens": {"Precision": "ap_fixed<16,6>"}},
        "LayerName": {"fc1": {"ReuseFactor": "two", "Precision": {"weights": "ap_fixed<8,3>"}, "Colour": "red"}},
        "IOType": "io_serial"
    });
    let d = user_diags(Config::from_value(&v));
    assert_eq!(d.len(), 10, "{d:#?}");

    let unknown = find(&d, "Model.Precison");
    assert_eq!(unknown.subject, "key");
    assert!(
        unknown.expected.contains("Precision") && unknown.expected.contains("ReuseFactor"),
        "{unknown:?}"
    );
    assert!(unknown.found.contains("Precison"), "{unknown:?}");

    let bad_type = find(&d, "Model.Precision.default");
    assert!(bad_type.found.contains("ap_fixd<16,6>"), "{bad_type:?}");
    assert!(
        bad_type.found.contains("ap_fixed<W,I") && bad_type.expected.contains("ap_fixed<16,6"),
        "valid spellings listed: {bad_type:?}"
    );
    let bad_mode = find(&d, "Model.Precision.result");
    assert!(bad_mode.found.contains("FOO"), "{bad_mode:?}");
    assert!(
        bad_mode.found.contains("SAT") || bad_mode.expected.contains("SAT"),
        "overflow modes listed: {bad_mode:?}"
    );

    let rf = find(&d, "Model.ReuseFactor");
    assert!(rf.expected.contains("positive integer"), "{rf:?}");
    assert_eq!(rf.found, "0");
    let rf = find(&d, "LayerName.fc1.ReuseFactor");
    assert!(rf.found.contains("two"), "{rf:?}");

    let strategy = find(&d, "Model.Strategy");
    for choice in [
        "Latency",
        "Resource",
        "Resource_Unrolled",
        "distributed_arithmetic",
    ] {
        assert!(strategy.expected.contains(choice), "{strategy:?}");
    }
    assert!(strategy.found.contains("Fastest"));

    let lt = find(&d, "LayerType.Dens");
    assert!(
        lt.expected.contains("Dense") && lt.expected.contains("Conv2D"),
        "{lt:?}"
    );
    let var = find(&d, "LayerName.fc1.Precision.weights");
    assert!(
        var.expected.contains("weight") && var.expected.contains("accum"),
        "{var:?}"
    );
    let colour = find(&d, "LayerName.fc1.Colour");
    assert!(colour.expected.contains("Precision"), "{colour:?}");
    let io = find(&d, "IOType");
    assert!(
        io.expected.contains("io_parallel") && io.expected.contains("io_stream"),
        "{io:?}"
    );

    // The message a user sees lists them all.
    let text = Error::User(d).to_string();
    assert!(text.starts_with("10 problems found:"), "{text}");
}

#[test]
fn wrong_shapes_of_values() {
    let d = user_diags(Config::from_value(
        &json!({"Model": ["Precision"], "LayerName": "fc1"}),
    ));
    assert!(find(&d, "Model").expected.contains("mapping"));
    assert!(find(&d, "LayerName").expected.contains("mapping"));
    let d = user_diags(Config::from_value(&json!([1, 2])));
    assert_eq!(d.len(), 1);
    let d = user_diags(Config::from_value(
        &json!({"Model": {"Precision": 16, "ReuseFactor": 1.5, "Strategy": 3}}),
    ));
    find(&d, "Model.Precision");
    find(&d, "Model.ReuseFactor");
    find(&d, "Model.Strategy");
    let d = user_diags(Config::from_value(
        &json!({"Model": {"Precision": {"default": "ap_fixed<16,6>", "maximum": "ap_fixed<16,6>"}}, "LayerName": {"fc1": {"Precision": {"maximum": "ap_fixed<8,3>"}}}}),
    ));
    find(&d, "LayerName.fc1.Precision.maximum");
}

// ---------------------------------------------------------------------------------------------
// Files.

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const YAML_PROJECT: &str = "\
Backend: Vivado
Part: xc7a35ticsg324-1L
ClockPeriod: 10
IOType: io_parallel
HLSConfig:
  Model:
    Precision:
      default: ap_fixed<16,6>
      maximum: ap_fixed<32,12>
    ReuseFactor: 1
    Strategy: Latency
  LayerType:
    Dense:
      Precision:
        accum: auto
  LayerName:
    fc1:
      Precision:
        weight: ap_fixed<8,3>
      Trace: true
";

#[test]
fn load_yaml_and_json_files() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["c.yml", "c.yaml", "c.YAML"] {
        let c = Config::load(&write(dir.path(), name, YAML_PROJECT))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(c.model_default(), fx(16, 6));
        assert_eq!(c.maximum, Some(fx(32, 12)));
        assert_eq!(
            c.layer_type["Dense"].precision.get("accum"),
            Some(&Prec::Auto)
        );
        assert_eq!(c.layer_name["fc1"].precision.get("weight"), Some(&ty(8, 3)));
        assert_eq!(
            c.ignored_summary().len(),
            4,
            "Backend, Part, ClockPeriod, Trace: {:#?}",
            c.ignored_summary()
        );
    }
    let as_json = serde_json::to_string_pretty(
        &serde_yaml_ng::from_str::<serde_json::Value>(YAML_PROJECT).unwrap(),
    )
    .unwrap();
    let c = Config::load(&write(dir.path(), "c.json", &as_json)).unwrap();
    assert_eq!(c.layer_name["fc1"].precision.get("weight"), Some(&ty(8, 3)));
    assert_eq!(c.maximum, Some(fx(32, 12)));
}

#[test]
fn malformed_and_missing_files_are_user_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let yml = write(dir.path(), "bad.yml", "Model:\n  Precision: [unclosed\n");
    let d = user_diags(Config::load(&yml));
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].location, yml.display().to_string());
    assert!(d[0].expected.contains("YAML"), "{:?}", d[0]);
    let json = write(dir.path(), "bad.json", "{\"Model\": ");
    let d = user_diags(Config::load(&json));
    assert_eq!(d[0].location, json.display().to_string());
    assert!(d[0].expected.contains("JSON"), "{:?}", d[0]);
    let missing = dir.path().join("nope.yml");
    assert_eq!(
        user_diags(Config::load(&missing))[0].location,
        missing.display().to_string()
    );
    // A valid file with bad contents names the key, not the file.
    let keyed = write(dir.path(), "keyed.yml", "Model:\n  ReuseFactor: -3\n");
    assert_eq!(
        user_diags(Config::load(&keyed))[0].location,
        "Model.ReuseFactor"
    );
}

// ---------------------------------------------------------------------------------------------
// End to end through driver::compile.

fn ramp(n_out: usize, n_in: usize) -> Array2<f32> {
    Array2::from_shape_fn((n_out, n_in), |(o, i)| {
        (((o * 3 + i * 5) % 11) as f32 - 5.0) / 8.0
    })
}

fn dense(name: &str, n_out: usize, n_in: usize, relu: bool) -> DenseLayer {
    DenseLayer {
        name: name.into(),
        weight: ramp(n_out, n_in),
        bias: Some(Array1::from_elem(n_out, 0.25)),
        relu,
    }
}

struct Project {
    dir: tempfile::TempDir,
    model: PathBuf,
}

/// x[16] -> fc1 (16->8) -> relu1 -> fc2 (8->4) -> y, torch style.
fn project() -> Project {
    project_with(
        &[16],
        &[dense("fc1", 8, 16, true), dense("fc2", 4, 8, false)],
        Style::Torch,
    )
}

fn project_with(shape: &[usize], layers: &[DenseLayer], style: Style) -> Project {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("mlp.onnx");
    std::fs::write(
        &model,
        modelgen::encode(&modelgen::mlp(shape, layers, style)),
    )
    .unwrap();
    Project { dir, model }
}

impl Project {
    fn compile(&self, yaml: &str) -> rtlgen::diag::Result<rtlgen::driver::Compiled> {
        let cfg = write(self.dir.path(), "config.yml", yaml);
        rtlgen::driver::compile(&self.model, Some(&cfg), None)
    }
    fn dump(&self, yaml: &str) -> String {
        self.compile(yaml)
            .unwrap_or_else(|e| panic!("compile failed: {e}"))
            .graph
            .dump()
    }
}

fn line<'a>(dump: &'a str, layer: &str) -> &'a str {
    dump.lines()
        .find(|l| l.starts_with(&format!("{layer} = ")))
        .unwrap_or_else(|| panic!("no {layer} in\n{dump}"))
}

#[test]
fn a_layer_name_matching_no_layer_lists_the_valid_names() {
    let p = project();
    let d = user_diags(p.compile(
        "LayerName:\n  fc9:\n    Precision: ap_fixed<8,3>\n  fc1:\n    Precision: ap_fixed<8,3>\n",
    ));
    assert_eq!(d.len(), 1, "only fc9 is wrong: {d:#?}");
    let e = &d[0];
    assert_eq!(e.location, "LayerName.fc9");
    assert!(e.found.contains("fc9"), "{e:?}");
    for valid in [
        "/fc1/Gemm",
        "fc1",
        "/relu1/Relu",
        "relu1",
        "/fc2/Gemm",
        "fc2",
        "x",
    ] {
        assert!(e.expected.contains(valid), "{valid} not listed: {e:?}");
    }
}

#[test]
fn node_names_module_names_and_the_input_name_are_layer_names() {
    let p = project();
    let dump = p.dump(
        "Model:\n  Precision: ap_fixed<16,6>\nLayerName:\n  x:\n    Precision:\n      result: ap_fixed<12,4>\n  /fc1/Gemm:\n    Precision:\n      weight: ap_fixed<8,3>\n  relu1:\n    Precision:\n      result: ap_ufixed<8,4>\n  fc2:\n    Precision:\n      bias: ap_fixed<9,2>\n",
    );
    assert!(
        line(&dump, "x").ends_with("-> [16] ap_fixed<12,4>"),
        "{dump}"
    );
    assert!(
        line(&dump, "fc1").contains("weight ap_fixed<8,3> bias ap_fixed<16,6>"),
        "{dump}"
    );
    assert!(
        line(&dump, "relu1").ends_with("-> [8] ap_ufixed<8,4>"),
        "{dump}"
    );
    assert!(
        line(&dump, "fc2").contains("weight ap_fixed<16,6> bias ap_fixed<9,2>"),
        "{dump}"
    );
}

#[test]
fn tensorflow_module_names_are_layer_names() {
    let p = project_with(&[16], &[dense("dense", 8, 16, false)], Style::TfMatMulAdd);
    let dump = p.dump("LayerName:\n  dense:\n    Precision:\n      weight: ap_fixed<8,3>\n  sequential/dense/BiasAdd:\n    Precision:\n      bias: ap_fixed<9,2>\n");
    assert!(
        line(&dump, "dense").contains("weight ap_fixed<8,3> bias ap_fixed<9,2>"),
        "{dump}"
    );
}

#[test]
fn layer_type_sections_apply_by_hls4ml_class() {
    let p = project();
    let dump = p.dump("LayerType:\n  Dense:\n    Precision:\n      weight: ap_fixed<8,3>\n  Activation:\n    Precision:\n      result: ap_fixed<10,5>\n  Input:\n    Precision: ap_fixed<11,5>\n");
    assert!(line(&dump, "x").ends_with("ap_fixed<11,5>"), "{dump}");
    assert!(
        line(&dump, "fc1").contains("weight ap_fixed<8,3>"),
        "{dump}"
    );
    assert!(
        line(&dump, "fc2").contains("weight ap_fixed<8,3>"),
        "{dump}"
    );
    assert!(line(&dump, "relu1").ends_with("ap_fixed<10,5>"), "{dump}");
}

#[test]
fn reuse_factor_and_strategy_are_clear_user_errors() {
    let p = project();
    // Any reuse factor up to a layer's number of weights is honoured; beyond it is an error
    // giving the range, never a silent replacement.
    let d = user_diags(p.compile("Model:\n  ReuseFactor: 100000\n"));
    assert_eq!(d.len(), 2, "one per Dense: {d:#?}");
    for layer in ["fc1", "fc2"] {
        let e = find(&d, layer);
        assert_eq!(e.subject, "ReuseFactor");
        assert!(
            e.expected.starts_with("1 to ") && e.expected.contains("weights"),
            "{e:?}"
        );
        assert_eq!(e.found, "100000");
    }
    p.compile("Model:\n  ReuseFactor: 2\n  Strategy: Resource\n")
        .unwrap();

    let d = user_diags(p.compile("LayerName:\n  fc2:\n    Strategy: Resource_Unrolled\n"));
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(
        (d[0].location.as_str(), d[0].subject.as_str()),
        ("fc2", "Strategy")
    );
    assert!(
        d[0].expected.contains("Latency or Resource") && d[0].found.contains("ResourceUnrolled"),
        "{:?}",
        d[0]
    );

    // io_stream is accepted for a dense network (each layer takes one beat per sample).
    p.compile("IOType: io_stream\nHLSConfig:\n  Model:\n    Precision: ap_fixed<16,6>\n")
        .unwrap();

    // All at once.
    let d = user_diags(p.compile(
        "IOType: io_stream\nHLSConfig:\n  Model:\n    ReuseFactor: 100000\n    Strategy: da\n",
    ));
    assert_eq!(d.len(), 4, "two reuse factors and two strategies: {d:#?}");

    // The values rtlgen implements are accepted.
    p.compile("Model:\n  ReuseFactor: 1\n  Strategy: Latency\nIOType: io_parallel\n")
        .unwrap();
}

#[test]
fn auto_accum_and_result_are_hls4mls_lossless_type() {
    let p = project();
    // Everything ap_fixed<16,6>, n_in = 16: W = 16+16+4 = 36, I = 6+6+4 = 16, frac 20; bias:
    // I = max(16, 6) + 1 = 17, W = 17 + max(20, 10) = 37.
    let dump = p.dump("Model:\n  Precision: ap_fixed<16,6>\nLayerName:\n  fc1:\n    Precision:\n      accum: auto\n      result: auto\n");
    assert_eq!(
        line(&dump, "fc1"),
        "fc1 = dense 16x8 weight ap_fixed<16,6> bias ap_fixed<16,6> accum ap_fixed<37,17> result ap_fixed<37,17> -> [8] ap_fixed<37,17>"
    );
    // An activation's result is the model default, not its input type.
    assert!(
        line(&dump, "relu1").ends_with("-> [8] ap_fixed<16,6>"),
        "{dump}"
    );
    // fc2 was not auto.
    assert!(
        line(&dump, "fc2").contains("accum ap_fixed<16,6> result ap_fixed<16,6>"),
        "{dump}"
    );
}

#[test]
fn auto_by_layer_type_sizes_each_layer_from_its_own_input() {
    let p = project();
    let dump =
        p.dump("LayerType:\n  Dense:\n    Precision:\n      accum: auto\n      result: auto\n");
    assert!(
        line(&dump, "fc1").contains("accum ap_fixed<37,17> result ap_fixed<37,17>"),
        "{dump}"
    );
    // fc2: input from the ReLU is ap_fixed<16,6>, n_in = 8, L = 3: W = 35, I = 15, frac 20;
    // bias: I = 16, W = 16 + 20 = 36.
    assert!(
        line(&dump, "fc2").contains("accum ap_fixed<36,16> result ap_fixed<36,16>"),
        "{dump}"
    );
}

#[test]
fn auto_worked_example_of_the_reference() {
    // n_in = 10, input ap_fixed<8,3>, weight ap_fixed<6,1>, bias ap_fixed<8,2> -> ap_fixed<19,9>.
    let p = project_with(&[10], &[dense("fc1", 3, 10, false)], Style::Torch);
    let dump = p.dump(
        "LayerName:\n  x:\n    Precision:\n      result: ap_fixed<8,3>\n  fc1:\n    Precision:\n      weight: ap_fixed<6,1>\n      bias: ap_fixed<8,2>\n      accum: auto\n      result: auto\n",
    );
    assert!(
        line(&dump, "fc1")
            .ends_with("accum ap_fixed<19,9> result ap_fixed<19,9> -> [3] ap_fixed<19,9>"),
        "{dump}"
    );
}

#[test]
fn auto_counts_a_bias_even_when_the_model_has_none() {
    // A bias-free MatMul: hls4ml still sizes auto as if a bias were present.
    let layers = [DenseLayer {
        name: "dense".into(),
        weight: ramp(8, 16),
        bias: None,
        relu: false,
    }];
    let p = project_with(&[16], &layers, Style::TfMatMulAdd);
    let dump =
        p.dump("LayerName:\n  dense:\n    Precision:\n      accum: auto\n      result: auto\n");
    assert!(
        line(&dump, "dense").contains("accum ap_fixed<37,17>"),
        "{dump}"
    );
}

#[test]
fn auto_is_capped_by_the_maximum() {
    let p = project();
    let dump = p.dump("Model:\n  Precision:\n    default: ap_fixed<16,6>\n    maximum: ap_fixed<24,12>\nLayerName:\n  fc1:\n    Precision:\n      accum: auto\n      result: auto\n");
    // Width and integer bits are capped separately: min(37, 24), min(17, 12).
    assert!(
        line(&dump, "fc1").contains("accum ap_fixed<24,12> result ap_fixed<24,12>"),
        "{dump}"
    );
}

#[test]
fn auto_weight_and_bias_fall_back_to_the_model_default() {
    let p = project();
    let dump = p.dump("Model:\n  Precision: ap_fixed<12,4>\nLayerName:\n  x:\n    Precision:\n      result: auto\n  fc1:\n    Precision:\n      weight: auto\n      bias: auto\n");
    assert!(line(&dump, "x").ends_with("ap_fixed<12,4>"), "{dump}");
    assert!(
        line(&dump, "fc1")
            .contains("weight ap_fixed<12,4> bias ap_fixed<12,4> accum ap_fixed<12,4>"),
        "{dump}"
    );
}

#[test]
fn ignored_keys_survive_into_the_compiled_config() {
    let p = project();
    let c = p
        .compile("Backend: Vitis\nHLSConfig:\n  LayerName:\n    fc1:\n      Trace: true\n    fc2:\n      Trace: true\n    relu1:\n      Trace: true\n")
        .unwrap();
    let lines = c.config.ignored_summary();
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(
        lines.iter().any(|l| l.contains("'Trace'")
            && l.contains("LayerName.fc1")
            && l.contains("LayerName.relu1")),
        "{lines:#?}"
    );
}

#[test]
fn layer_names_of_flatten_nodes_are_accepted() {
    // hls4ml's granularity='name' configs have an entry for every layer of the model, the
    // Flatten included (hls4ml keeps it as a Reshape layer); such a config must carry over even
    // though rtlgen removes the Flatten.
    let p = project_with(
        &[1, 4, 4],
        &[dense("fc1", 8, 16, true), dense("fc2", 4, 8, false)],
        Style::Torch,
    );
    let c = p.compile(
        "Model:\n  Precision: ap_fixed<16,6>\nLayerName:\n  x:\n    Trace: false\n    Precision:\n      result: auto\n  /flatten/Flatten:\n    Trace: false\n    Precision:\n      result: auto\n  fc1:\n    Trace: false\n    Precision:\n      weight: auto\n",
    );
    match c {
        Ok(_) => {}
        Err(e) => panic!("a LayerName entry for the Flatten node was rejected: {e}"),
    }
}
