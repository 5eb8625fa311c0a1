//! ONNX import and the pass pipeline on models built in-test: the exporter shapes rtlgen accepts
//! (checked against an independent float computation) and the ones it rejects (every problem in
//! one `Error::User`, each naming the node and its op type).

use ndarray::{Array1, Array2};
use rtlgen::config::Config;
use rtlgen::diag::{Diagnostic, Error};
use rtlgen::golden::GoldenModel;
use rtlgen::ir::Graph;
use rtlgen::modelgen::{self, int_attr, node, value_info, DenseLayer, Style};
use rtlgen::onnx_proto::{
    attribute_proto::AttributeType, tensor_proto::DataLocation, tensor_proto::DataType,
    AttributeProto, GraphProto, ModelProto, OperatorSetIdProto, StringStringEntryProto,
    TensorProto, ValueInfoProto,
};
use serde_json::json;

// ---------------------------------------------------------------------------------------------
// Model building blocks (independent of rtlgen::modelgen, so hand-built graphs test the importer
// on protos modelgen never writes: float_data instead of raw_data, int64 shapes, Constant nodes).

fn f32_tensor(name: &str, dims: &[usize], values: &[f32]) -> TensorProto {
    assert_eq!(dims.iter().product::<usize>(), values.len());
    TensorProto {
        name: Some(name.into()),
        dims: dims.iter().map(|&d| d as i64).collect(),
        data_type: Some(DataType::Float as i32),
        float_data: values.to_vec(),
        ..Default::default()
    }
}

fn i64_tensor(name: &str, values: &[i64]) -> TensorProto {
    TensorProto {
        name: Some(name.into()),
        dims: vec![values.len() as i64],
        data_type: Some(DataType::Int64 as i32),
        int64_data: values.to_vec(),
        ..Default::default()
    }
}

fn float_attr(name: &str, v: f32) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        f: Some(v),
        r#type: Some(AttributeType::Float as i32),
        ..Default::default()
    }
}

fn tensor_attr(name: &str, t: TensorProto) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        t: Some(t),
        r#type: Some(AttributeType::Tensor as i32),
        ..Default::default()
    }
}

fn model(graph: GraphProto, opset: i64) -> ModelProto {
    ModelProto {
        ir_version: Some(8),
        producer_name: Some("tests/import.rs".into()),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(opset),
        }],
        graph: Some(graph),
        ..Default::default()
    }
}

/// Dyadic weights (multiples of 1/8 in [-1, 1]) so every product and sum is exact in wide types.
fn weights(n_out: usize, n_in: usize, seed: usize) -> Array2<f32> {
    Array2::from_shape_fn((n_out, n_in), |(o, i)| {
        (((o * 7 + i * 3 + seed * 5) % 17) as f32 - 8.0) / 8.0
    })
}

fn bias(n_out: usize, seed: usize) -> Array1<f32> {
    Array1::from_shape_fn(n_out, |o| (((o * 5 + seed) % 9) as f32 - 4.0) / 4.0)
}

/// Dyadic inputs (multiples of 1/16 in [-1, 1]).
fn inputs(n: usize, width: usize) -> Array2<f64> {
    Array2::from_shape_fn((n, width), |(s, i)| {
        (((s * 11 + i * 5) % 33) as f64 - 16.0) / 16.0
    })
}

fn layer(
    name: &str,
    n_out: usize,
    n_in: usize,
    seed: usize,
    bias_on: bool,
    relu: bool,
) -> DenseLayer {
    DenseLayer {
        name: name.into(),
        weight: weights(n_out, n_in, seed),
        bias: bias_on.then(|| bias(n_out, seed)),
        relu,
    }
}

/// The two-layer torch MLP most tests start from: x[4] -> fc1 (4->3) -> relu1 -> fc2 (3->2) -> y.
fn torch_mlp() -> (ModelProto, Vec<DenseLayer>) {
    let layers = vec![
        layer("fc1", 3, 4, 1, true, true),
        layer("fc2", 2, 3, 2, true, false),
    ];
    (modelgen::mlp(&[4], &layers, Style::Torch), layers)
}

// ---------------------------------------------------------------------------------------------
// Lowering and an independent float reference.

/// Every type ap_fixed<40,16>: the dyadic test values are computed exactly.
fn wide() -> Config {
    Config::from_value(&json!({"Model": {"Precision": "ap_fixed<40,16>"}})).expect("valid config")
}

fn lower_with(model: &ModelProto, cfg: &Config) -> (Graph, GoldenModel) {
    let mut graph = rtlgen::import::import(model).unwrap_or_else(|e| panic!("import failed: {e}"));
    let mut ctx = rtlgen::passes::PassContext {
        config: cfg,
        notes: vec![],
        dump_after: None,
        skip: &[],
    };
    rtlgen::passes::run(&mut graph, &mut ctx).unwrap_or_else(|e| panic!("passes failed: {e}"));
    let golden = GoldenModel::compile(&graph).expect("golden model");
    (graph, golden)
}

fn lower(model: &ModelProto) -> (Graph, GoldenModel) {
    lower_with(model, &wide())
}

fn predict(golden: &GoldenModel, x: &Array2<f64>) -> Array2<f64> {
    golden.to_values(&golden.run_batch(x.view()).expect("finite inputs"))
}

/// `y = x·Wᵀ + b` (W as torch stores it, `(n_out, n_in)`), then ReLU if asked.
fn dense_ref(x: &Array2<f64>, w: &Array2<f64>, b: Option<&Array1<f64>>, relu: bool) -> Array2<f64> {
    let mut y = x.dot(&w.t());
    if let Some(b) = b {
        y += b;
    }
    if relu {
        y.mapv_inplace(|v| v.max(0.0));
    }
    y
}

fn mlp_ref(x: &Array2<f64>, layers: &[DenseLayer]) -> Array2<f64> {
    layers.iter().fold(x.clone(), |x, l| {
        let w = l.weight.mapv(f64::from);
        let b = l.bias.as_ref().map(|b| b.mapv(f64::from));
        dense_ref(&x, &w, b.as_ref(), l.relu)
    })
}

/// `(name, summary)` of each line of a dump, the `-> shape type` part dropped.
fn dump_ops(g: &Graph) -> Vec<String> {
    g.dump()
        .lines()
        .map(|l| l.split(" -> ").next().unwrap().to_owned())
        .collect()
}

/// The shapes on the edges leaving each node, in chain order.
fn dump_shapes(g: &Graph) -> Vec<String> {
    g.dump()
        .lines()
        .filter_map(|l| l.split(" -> ").nth(1))
        .map(|s| s[..=s.find(']').expect("a shape")].to_owned())
        .collect()
}

fn user_diags(r: rtlgen::diag::Result<impl Sized>) -> Vec<Diagnostic> {
    match r {
        Err(Error::User(d)) => d,
        Err(other) => panic!("expected a user error, got {other:?}"),
        Ok(_) => panic!("expected a user error, got success"),
    }
}

fn import_diags(m: &ModelProto) -> Vec<Diagnostic> {
    user_diags(rtlgen::import::import(m))
}

/// Imports and runs the passes; returns the user diagnostics of whichever step failed.
fn pipeline_diags(m: &ModelProto) -> Vec<Diagnostic> {
    let cfg = Config::default();
    user_diags(rtlgen::import::import(m).and_then(|mut g| {
        let mut ctx = rtlgen::passes::PassContext {
            config: &cfg,
            notes: vec![],
            dump_after: None,
            skip: &[],
        };
        rtlgen::passes::run(&mut g, &mut ctx).map(|_| g)
    }))
}

fn find<'a>(diags: &'a [Diagnostic], location: &str, subject: &str) -> &'a Diagnostic {
    diags
        .iter()
        .find(|d| d.location == location && d.subject.contains(subject))
        .unwrap_or_else(|| panic!("no diagnostic at '{location}' about '{subject}' in {diags:#?}"))
}

fn graph_mut(m: &mut ModelProto) -> &mut GraphProto {
    m.graph.as_mut().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Accepted models.

#[test]
fn torch_gemm_trans_b_imports_as_a_chain_of_layers() {
    let (m, layers) = torch_mlp();
    let g = rtlgen::import::import(&m).unwrap();
    assert_eq!(
        dump_ops(&g),
        [
            "x = input 'x' [4]",
            "fc1 = dense 4x3",
            "relu1 = relu",
            "fc2 = dense 3x2",
            "y = output 'y'"
        ]
    );
    assert_eq!(dump_shapes(&g), ["[4]", "[3]", "[3]", "[2]"]);
    assert!(
        g.dump().contains("untyped"),
        "imported edges carry no type yet:\n{}",
        g.dump()
    );

    let (g, golden) = lower(&m);
    assert!(!g.dump().contains("untyped"), "{}", g.dump());
    assert!(
        g.dump()
            .contains("fc1 = dense 4x3 weight ap_fixed<40,16> bias ap_fixed<40,16>"),
        "{}",
        g.dump()
    );
    assert_eq!(
        (
            golden.n_inputs(),
            golden.output_width(),
            golden.layers.len()
        ),
        (4, 2, 3)
    );
    let x = inputs(9, 4);
    assert_eq!(predict(&golden, &x), mlp_ref(&x, &layers));
}

#[test]
fn torch_gemm_under_default_precision_matches_floats_on_the_grid() {
    // ap_fixed<16,6> keeps 10 fraction bits: products of 1/8 and 1/16 steps are exact and the
    // sums stay far inside [-32, 32), so the default config is exact here too.
    let (m, layers) = torch_mlp();
    let (_, golden) = lower_with(&m, &Config::default());
    let x = inputs(5, 4);
    assert_eq!(predict(&golden, &x), mlp_ref(&x, &layers));
}

/// A hand-built Gemm layer `x[n_in] -> y[n_out]` with the given weights initializer and attributes.
fn single_gemm(
    b_dims: &[usize],
    b_values: &[f32],
    c: Option<&[f32]>,
    attrs: Vec<AttributeProto>,
) -> ModelProto {
    let n_out = c.map_or(0, |c| c.len());
    let mut g = GraphProto {
        name: Some("g".into()),
        ..Default::default()
    };
    g.initializer.push(f32_tensor("W", b_dims, b_values));
    let mut ins = vec!["x", "W"];
    if let Some(c) = c {
        g.initializer.push(f32_tensor("C", &[n_out], c));
        ins.push("C");
    }
    g.node.push(node("/fc/Gemm", "Gemm", &ins, &["y"], attrs));
    g.input.push(value_info("x", &[None, Some(4)]));
    g.output.push(value_info("y", &[None, Some(3)]));
    model(g, 13)
}

#[test]
fn gemm_without_trans_b_takes_n_in_by_n_out_weights() {
    let w = weights(3, 4, 3); // (n_out, n_in) reference layout
    let wt = w.t().to_owned(); // (n_in, n_out) as stored
    let b = bias(3, 3);
    let flat: Vec<f32> = wt.iter().copied().collect();
    let m = single_gemm(
        &[4, 3],
        &flat,
        Some(b.as_slice().unwrap()),
        vec![int_attr("transB", 0)],
    );
    let (g, golden) = lower(&m);
    assert_eq!(dump_ops(&g), ["x = input 'x' [4]", "fc = dense 4x3 weight ap_fixed<40,16> bias ap_fixed<40,16> accum ap_fixed<40,16> result ap_fixed<40,16>", "y = output 'y'"]);
    let x = inputs(7, 4);
    assert_eq!(
        predict(&golden, &x),
        dense_ref(&x, &w.mapv(f64::from), Some(&b.mapv(f64::from)), false)
    );

    // The attribute absent means transB = 0 as well.
    let m = single_gemm(&[4, 3], &flat, Some(b.as_slice().unwrap()), vec![]);
    let (_, golden) = lower(&m);
    assert_eq!(
        predict(&golden, &x),
        dense_ref(&x, &w.mapv(f64::from), Some(&b.mapv(f64::from)), false)
    );
}

#[test]
fn gemm_alpha_and_beta_are_folded_into_weights_and_bias() {
    let w = weights(3, 4, 4);
    let b = bias(3, 4);
    let flat: Vec<f32> = w.iter().copied().collect();
    let m = single_gemm(
        &[3, 4],
        &flat,
        Some(b.as_slice().unwrap()),
        vec![
            int_attr("transB", 1),
            float_attr("alpha", 0.5),
            float_attr("beta", 2.0),
        ],
    );
    let (_, golden) = lower(&m);
    let x = inputs(8, 4);
    // Independent: scale the float parameters first, then compute.
    let ws = w.mapv(|v| 0.5 * f64::from(v));
    let bs = b.mapv(|v| 2.0 * f64::from(v));
    let want = dense_ref(&x, &ws, Some(&bs), false);
    assert_eq!(predict(&golden, &x), want);
    // And it is not what the unscaled layer computes (the attributes are not ignored).
    assert_ne!(
        want,
        dense_ref(&x, &w.mapv(f64::from), Some(&b.mapv(f64::from)), false)
    );
}

#[test]
fn gemm_without_c_has_no_bias() {
    let w = weights(3, 4, 5);
    let flat: Vec<f32> = w.iter().copied().collect();
    let mut m = single_gemm(&[3, 4], &flat, None, vec![int_attr("transB", 1)]);
    graph_mut(&mut m).output[0] = value_info("y", &[None, Some(3)]);
    let (g, golden) = lower(&m);
    assert_eq!(dump_shapes(&g), ["[4]", "[3]"]);
    let x = inputs(6, 4);
    assert_eq!(
        predict(&golden, &x),
        dense_ref(&x, &w.mapv(f64::from), None, false)
    );
    // Zero input gives exactly zero output: no bias was invented.
    let zero = Array2::zeros((1, 4));
    assert!(predict(&golden, &zero).iter().all(|&v| v == 0.0));
}

#[test]
fn tf2onnx_matmul_add_fuses_into_dense_layers() {
    let layers = vec![
        layer("dense", 5, 6, 6, true, true),
        layer("dense_1", 2, 5, 7, true, false),
    ];
    let m = modelgen::mlp(&[6], &layers, Style::TfMatMulAdd);
    let g = rtlgen::import::import(&m).unwrap();
    assert_eq!(
        dump_ops(&g),
        [
            "x = input 'x' [6]",
            "dense = dense 6x5",
            "dense_2 = bias_add 5",
            "relu1 = relu",
            "dense_1 = dense 5x2",
            "dense_1_2 = bias_add 2",
            "y = output 'y'"
        ]
    );
    let (g, golden) = lower(&m);
    let ops = dump_ops(&g);
    assert_eq!(ops.len(), 5, "bias adds fused away: {ops:?}");
    assert!(ops.iter().all(|l| !l.contains("bias_add")), "{ops:?}");
    assert_eq!(golden.layers.len(), 3);
    let x = inputs(10, 6);
    assert_eq!(predict(&golden, &x), mlp_ref(&x, &layers));
}

#[test]
fn tf2onnx_add_with_the_constant_first_is_the_same_bias() {
    let layers = vec![
        layer("dense", 5, 6, 8, true, true),
        layer("dense_1", 2, 5, 9, true, false),
    ];
    let mut m = modelgen::mlp(&[6], &layers, Style::TfMatMulAdd);
    for n in graph_mut(&mut m)
        .node
        .iter_mut()
        .filter(|n| n.op_type() == "Add")
    {
        n.input.swap(0, 1);
    }
    let (_, golden) = lower(&m);
    let x = inputs(10, 6);
    assert_eq!(predict(&golden, &x), mlp_ref(&x, &layers));
}

#[test]
fn matmul_without_add_is_a_bias_free_dense() {
    let layers = vec![layer("dense", 3, 4, 10, false, false)];
    let m = modelgen::mlp(&[4], &layers, Style::TfMatMulAdd);
    assert!(graph_mut(&mut m.clone())
        .node
        .iter()
        .all(|n| n.op_type() != "Add"));
    let (g, golden) = lower(&m);
    assert_eq!(dump_shapes(&g), ["[4]", "[3]"]);
    let x = inputs(6, 4);
    assert_eq!(predict(&golden, &x), mlp_ref(&x, &layers));
}

fn image_layers() -> Vec<DenseLayer> {
    // Small weights so 784-term sums stay modest.
    let mut l = layer("fc1", 4, 784, 11, true, true);
    l.weight.mapv_inplace(|v| v / 8.0);
    vec![l, layer("fc2", 2, 4, 12, true, false)]
}

fn image_inputs(n: usize) -> Array2<f64> {
    inputs(n, 784)
}

#[test]
fn flatten_of_an_image_input() {
    let layers = image_layers();
    let m = modelgen::mlp(&[1, 28, 28], &layers, Style::Torch);
    assert!(m
        .graph
        .as_ref()
        .unwrap()
        .node
        .iter()
        .any(|n| n.op_type() == "Flatten"));
    let g = rtlgen::import::import(&m).unwrap();
    assert_eq!(dump_ops(&g)[0], "x = input 'x' [1, 28, 28]");
    assert_eq!(
        dump_shapes(&g),
        ["[1, 28, 28]", "[784]", "[4]", "[4]", "[2]"]
    );
    let (g, golden) = lower(&m);
    assert_eq!(
        dump_shapes(&g),
        ["[784]", "[4]", "[4]", "[2]"],
        "the Flatten is dropped"
    );
    assert_eq!(golden.input_shape, vec![1, 28, 28]);
    assert_eq!((golden.n_inputs(), golden.output_width()), (784, 2));
    let x = image_inputs(3);
    assert_eq!(predict(&golden, &x), mlp_ref(&x, &layers));
}

/// The image MLP with its Flatten replaced by a Reshape to `target`, the shape given by an
/// initializer or by a Constant node.
fn reshape_model(target: &[i64], via_constant: bool) -> (ModelProto, Vec<DenseLayer>) {
    let layers = image_layers();
    let mut m = modelgen::mlp(&[1, 28, 28], &layers, Style::Torch);
    let g = graph_mut(&mut m);
    let pos = g
        .node
        .iter()
        .position(|n| n.op_type() == "Flatten")
        .unwrap();
    let out = g.node[pos].output[0].clone();
    g.node[pos] = node(
        "/Reshape",
        "Reshape",
        &["x", "/Constant_output_0"],
        &[&out],
        vec![],
    );
    let shape = i64_tensor("/Constant_output_0", target);
    if via_constant {
        g.node.insert(
            pos,
            node(
                "/Constant",
                "Constant",
                &[],
                &["/Constant_output_0"],
                vec![tensor_attr("value", shape)],
            ),
        );
    } else {
        g.initializer.push(shape);
    }
    (m, layers)
}

#[test]
fn reshape_with_a_constant_shape() {
    for target in [[-1i64, 784], [0, -1], [1, 784]] {
        for via_constant in [false, true] {
            let (m, layers) = reshape_model(&target, via_constant);
            let g = rtlgen::import::import(&m)
                .unwrap_or_else(|e| panic!("{target:?} constant={via_constant}: {e}"));
            assert_eq!(
                dump_shapes(&g)[1],
                "[784]",
                "{target:?} constant={via_constant}"
            );
            let (_, golden) = lower(&m);
            assert_eq!(golden.n_inputs(), 784);
            let x = image_inputs(2);
            assert_eq!(
                predict(&golden, &x),
                mlp_ref(&x, &layers),
                "{target:?} constant={via_constant}"
            );
        }
    }
}

#[test]
fn identity_and_dropout_in_the_middle_are_transparent() {
    let (mut m, layers) = torch_mlp();
    let g = graph_mut(&mut m);
    // relu1 -> Identity -> Dropout(ratio, training_mode constants; mask output unused) -> fc2
    let relu_out = g
        .node
        .iter()
        .find(|n| n.op_type() == "Relu")
        .unwrap()
        .output[0]
        .clone();
    let fc2 = g.node.iter().position(|n| n.name() == "/fc2/Gemm").unwrap();
    g.node[fc2].input[0] = "/dropout/Dropout_output_0".into();
    g.initializer.push(f32_tensor("ratio", &[], &[0.25]));
    g.node.insert(
        fc2,
        node(
            "/dropout/Dropout",
            "Dropout",
            &["/id/Identity_output_0", "ratio"],
            &["/dropout/Dropout_output_0", "mask"],
            vec![],
        ),
    );
    g.node.insert(
        fc2,
        node(
            "/id/Identity",
            "Identity",
            &[&relu_out],
            &["/id/Identity_output_0"],
            vec![],
        ),
    );
    let imported = rtlgen::import::import(&m).unwrap();
    assert_eq!(dump_ops(&imported).len(), 7, "{}", imported.dump());
    let (g, golden) = lower(&m);
    assert_eq!(dump_ops(&g), ["x = input 'x' [4]", "fc1 = dense 4x3 weight ap_fixed<40,16> bias ap_fixed<40,16> accum ap_fixed<40,16> result ap_fixed<40,16>", "relu1 = relu", "fc2 = dense 3x2 weight ap_fixed<40,16> bias ap_fixed<40,16> accum ap_fixed<40,16> result ap_fixed<40,16>", "y = output 'y'"]);
    let x = inputs(9, 4);
    assert_eq!(
        predict(&golden, &x),
        mlp_ref(&x, &layers),
        "Dropout must not scale at inference"
    );
}

#[test]
fn a_fixed_batch_of_one() {
    let (mut m, layers) = torch_mlp();
    let g = graph_mut(&mut m);
    g.input[0] = value_info("x", &[Some(1), Some(4)]);
    g.output[0] = value_info("y", &[Some(1), Some(2)]);
    let (_, golden) = lower(&m);
    assert_eq!((golden.n_inputs(), golden.output_width()), (4, 2));
    let x = inputs(4, 4);
    assert_eq!(predict(&golden, &x), mlp_ref(&x, &layers));
}

#[test]
fn initializers_also_listed_as_graph_inputs() {
    // Older exporters (ir_version < 4) list every initializer among the graph inputs.
    let (mut m, layers) = torch_mlp();
    let g = graph_mut(&mut m);
    let extra: Vec<ValueInfoProto> = g
        .initializer
        .iter()
        .map(|t| value_info(t.name(), &[Some(1)]))
        .collect();
    g.input.extend(extra);
    let (_, golden) = lower(&m);
    let x = inputs(3, 4);
    assert_eq!(predict(&golden, &x), mlp_ref(&x, &layers));
}

#[test]
fn opsets_11_and_21() {
    for opset in [9, 11, 21, 23] {
        let (mut m, layers) = torch_mlp();
        m.opset_import[0].version = Some(opset);
        let (_, golden) = lower(&m);
        let x = inputs(4, 4);
        assert_eq!(predict(&golden, &x), mlp_ref(&x, &layers), "opset {opset}");
    }
    // "ai.onnx" is the default domain too.
    let (mut m, _) = torch_mlp();
    m.opset_import[0].domain = Some("ai.onnx".into());
    m.opset_import[0].version = Some(21);
    rtlgen::import::import(&m).unwrap();
}

#[test]
fn compile_through_files() {
    let (m, layers) = torch_mlp();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two-layer.onnx");
    std::fs::write(&path, modelgen::encode(&m)).unwrap();
    let cfg = dir.path().join("wide.yml");
    std::fs::write(&cfg, "Model:\n  Precision: ap_fixed<40,16>\n").unwrap();
    let c = rtlgen::driver::compile(&path, Some(&cfg), None).unwrap();
    assert_eq!(c.top, "two_layer");
    let x = inputs(5, 4);
    assert_eq!(predict(&c.golden, &x), mlp_ref(&x, &layers));
}

// ---------------------------------------------------------------------------------------------
// Rejected models.

#[test]
fn every_unsupported_op_and_bad_attribute_is_reported_at_once() {
    // x[16] -> /fc1/Gemm(transA=1) -> /rnn/LSTM -> /act/Elu -> /head/Softplus -> y
    let mut g = GraphProto {
        name: Some("g".into()),
        ..Default::default()
    };
    g.initializer
        .push(f32_tensor("fc1.weight", &[8, 16], &vec![0.5; 128]));
    g.initializer
        .push(f32_tensor("conv.weight", &[1, 1, 1], &[1.0]));
    g.node.push(node(
        "/fc1/Gemm",
        "Gemm",
        &["x", "fc1.weight"],
        &["h1"],
        vec![int_attr("transA", 1), int_attr("transB", 1)],
    ));
    g.node.push(node(
        "/rnn/LSTM",
        "LSTM",
        &["h1", "conv.weight"],
        &["h2"],
        vec![],
    ));
    g.node
        .push(node("/act/Elu", "Elu", &["h2"], &["h3"], vec![]));
    g.node.push(node(
        "/head/Softplus",
        "Softplus",
        &["h3"],
        &["y"],
        vec![int_attr("axis", 1)],
    ));
    g.input.push(value_info("x", &[None, Some(16)]));
    g.output.push(value_info("y", &[None, Some(8)]));
    let diags = import_diags(&model(g, 13));
    assert_eq!(diags.len(), 4, "exactly the four problems: {diags:#?}");

    let gemm = find(&diags, "/fc1/Gemm", "transA");
    assert_eq!(gemm.op.as_deref(), Some("Gemm"));
    assert_eq!(gemm.subject, "attribute 'transA'");
    assert!(gemm.expected.starts_with('0'), "{gemm:?}");
    assert_eq!(gemm.found, "1");
    for (name, op) in [
        ("/rnn/LSTM", "LSTM"),
        ("/act/Elu", "Elu"),
        ("/head/Softplus", "Softplus"),
    ] {
        let d = find(&diags, name, "op type");
        assert_eq!(d.op.as_deref(), Some(op));
        assert!(d.found.contains(op), "{d:?}");
        for supported in ["Gemm", "MatMul", "Add", "Relu", "Flatten", "Reshape"] {
            assert!(d.expected.contains(supported), "{d:?}");
        }
    }
    // The rendered message names every node too.
    let text = Error::User(diags).to_string();
    assert!(text.starts_with("4 problems found:"), "{text}");
    for s in [
        "/fc1/Gemm (Gemm)",
        "/rnn/LSTM (LSTM)",
        "/act/Elu (Elu)",
        "/head/Softplus (Softplus)",
    ] {
        assert!(text.contains(s), "{s} missing from\n{text}");
    }
}

#[test]
fn unnamed_nodes_are_still_located() {
    let (mut m, _) = torch_mlp();
    let g = graph_mut(&mut m);
    let index = g.node.iter().position(|n| n.op_type() == "Relu").unwrap();
    let relu = &mut g.node[index];
    relu.name = None;
    relu.op_type = Some("Softsign".into());
    let diags = import_diags(&m);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].op.as_deref(), Some("Softsign"));
    assert!(!diags[0].location.is_empty());
    assert_eq!(diags[0].location, format!("unnamed node #{index}"));
}

#[test]
fn weights_computed_from_the_input_are_rejected() {
    // MatMul(W, x): the constant is in the activation's slot and the activation in the weights'.
    let mut g = GraphProto {
        name: Some("g".into()),
        ..Default::default()
    };
    g.initializer.push(f32_tensor("W", &[3, 4], &[0.25; 12]));
    g.node
        .push(node("mm", "MatMul", &["W", "x"], &["y"], vec![]));
    g.input.push(value_info("x", &[None, Some(4)]));
    g.output.push(value_info("y", &[None, Some(3)]));
    let diags = import_diags(&model(g, 13));
    let d = diags
        .iter()
        .find(|d| d.location == "mm" && d.subject.starts_with("input 1"))
        .unwrap_or_else(|| panic!("{diags:#?}"));
    assert_eq!(d.op.as_deref(), Some("MatMul"));
    assert!(d.expected.contains("constant"), "{d:?}");
    assert!(d.found.contains("computed from the model input"), "{d:?}");
}

#[test]
fn gemm_input_shape_must_match_the_weights() {
    let (mut m, _) = torch_mlp();
    let g = graph_mut(&mut m);
    g.input[0] = value_info("x", &[None, Some(5)]);
    let diags = import_diags(&m);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = find(&diags, "/fc1/Gemm", "input A shape");
    assert_eq!(d.op.as_deref(), Some("Gemm"));
    assert!(d.expected.contains("[4]"), "{d:?}");
    assert!(d.found.contains('5'), "{d:?}");
}

#[test]
fn a_two_dimensional_input_needs_a_flatten_before_gemm() {
    let (mut m, _) = torch_mlp();
    graph_mut(&mut m).input[0] = value_info("x", &[None, Some(2), Some(2)]);
    let d = &import_diags(&m)[0];
    assert_eq!(
        (d.location.as_str(), d.op.as_deref()),
        ("/fc1/Gemm", Some("Gemm"))
    );
    assert!(d.found.contains("[2, 2]"), "{d:?}");
}

#[test]
fn reshape_with_a_computed_shape_is_rejected() {
    let (mut m, _) = reshape_model(&[-1, 784], false);
    let g = graph_mut(&mut m);
    g.initializer.retain(|t| t.name() != "/Constant_output_0");
    g.node.insert(
        0,
        node("/Shape", "Shape", &["x"], &["/Constant_output_0"], vec![]),
    );
    let diags = import_diags(&m);
    let d = find(&diags, "/Reshape", "input 1 (shape)");
    assert_eq!(d.op.as_deref(), Some("Reshape"));
    assert!(d.expected.contains("constant shape"), "{d:?}");
    find(&diags, "/Shape", "op type");
}

#[test]
fn reshape_that_moves_elements_into_the_batch_is_rejected() {
    let (m, _) = reshape_model(&[-1, 392], false);
    let diags = import_diags(&m);
    let d = find(&diags, "/Reshape", "target shape");
    assert_eq!(d.op.as_deref(), Some("Reshape"));
    assert!(d.found.contains("392"), "{d:?}");
}

#[test]
fn two_graph_inputs_are_rejected() {
    let (mut m, _) = torch_mlp();
    graph_mut(&mut m)
        .input
        .push(value_info("x2", &[None, Some(4)]));
    let diags = import_diags(&m);
    let d = find(&diags, "graph", "inputs");
    assert!(d.expected.contains("one"), "{d:?}");
    assert!(d.found.contains("x2") && d.found.starts_with('2'), "{d:?}");
}

#[test]
fn a_dead_branch_is_rejected() {
    // fc1's output feeds both relu1 and a second Relu whose result nothing uses.
    let (mut m, _) = torch_mlp();
    let g = graph_mut(&mut m);
    let h = g.node[0].output[0].clone();
    g.node
        .push(node("/side/Relu", "Relu", &[&h], &["side"], vec![]));
    let diags = import_diags(&m);
    let d = find(&diags, "/side/Relu", "output");
    assert_eq!(d.found, "a result nothing uses", "{d:?}");
    assert_eq!(diags.len(), 1, "{diags:#?}");
}

#[test]
fn a_skip_connection_imports_as_an_add_of_two_layers() {
    // y = relu(fc1(x)) + fc1(x).
    let (mut m, _) = torch_mlp();
    let g = graph_mut(&mut m);
    g.node[0].output[0] = "h".into();
    g.node[1].input[0] = "h".into();
    let relu_out = g.node[1].output[0].clone();
    g.node.truncate(2);
    g.node
        .push(node("/add/Add", "Add", &[&relu_out, "h"], &["y"], vec![]));
    g.output[0] = value_info("y", &[None, Some(3)]);
    let graph = rtlgen::import::import(&m).unwrap();
    let dump = graph.dump();
    let add = dump
        .lines()
        .find(|l| l.starts_with("add = add"))
        .unwrap_or_else(|| panic!("{dump}"));
    assert!(add.contains("(relu1, fc1)"), "{dump}");
}

#[test]
fn skip_connections_compute_what_the_float_model_does() {
    // h = fc1(x), r = relu(h); y = fc2(cat(r + h, h, r)); every value exact in ap_fixed<40,16>.
    let (l1, l2) = (
        layer("fc1", 3, 4, 1, true, false),
        layer("fc2", 2, 9, 2, true, false),
    );
    let mut g = modelgen::GraphBuilder::new(&[4]);
    let h = g.gemm("fc1", "x", &l1.weight, l1.bias.as_ref());
    let r = g.relu("relu1", &h);
    let s = g.add("add", &r, &h);
    let c = g.concat("cat", &[&s, &h, &r], 1);
    let y = g.gemm("fc2", &c, &l2.weight, l2.bias.as_ref());
    let (graph, golden) = lower(&g.finish(&y, &[2]));
    assert!(!golden.is_chain(), "{}", graph.dump());
    let x = inputs(9, 4);
    let h = dense_ref(
        &x,
        &l1.weight.mapv(f64::from),
        l1.bias.map(|b| b.mapv(f64::from)).as_ref(),
        false,
    );
    let r = h.mapv(|v| v.max(0.0));
    let cat =
        ndarray::concatenate(ndarray::Axis(1), &[(&r + &h).view(), h.view(), r.view()]).unwrap();
    let want = dense_ref(
        &cat,
        &l2.weight.mapv(f64::from),
        l2.bias.map(|b| b.mapv(f64::from)).as_ref(),
        false,
    );
    assert_eq!(predict(&golden, &x), want);
}

#[test]
fn merges_of_mismatched_tensors_are_user_errors() {
    let mut g = rtlgen::modelgen::GraphBuilder::new(&[6]);
    let w = ndarray::Array2::<f32>::ones((4, 6));
    let a = g.gemm("fc1", "x", &w, None);
    let s = g.add("add", &a, "x");
    let m = g.finish(&s, &[4]);
    let diags = import_diags(&m);
    let d = find(&diags, "/add/Add", "input shapes");
    assert!(d.found.contains("[4] and [6]"), "{d:?}");

    let mut g = rtlgen::modelgen::GraphBuilder::new(&[6]);
    let a = g.gemm("fc1", "x", &w, None);
    let c = g.concat("cat", &[&a, "x"], 0);
    let m = g.finish(&c, &[10]);
    let diags = import_diags(&m);
    let d = find(&diags, "/cat/Concat", "attribute 'axis'");
    assert_eq!(d.found, "0", "{d:?}");
}

#[test]
fn external_data_is_rejected() {
    let (mut m, _) = torch_mlp();
    let g = graph_mut(&mut m);
    let t = g
        .initializer
        .iter_mut()
        .find(|t| t.name() == "fc1.weight")
        .unwrap();
    t.raw_data = None;
    t.data_location = Some(DataLocation::External as i32);
    t.external_data = vec![
        StringStringEntryProto {
            key: Some("location".into()),
            value: Some("weights.bin".into()),
        },
        StringStringEntryProto {
            key: Some("offset".into()),
            value: Some("0".into()),
        },
    ];
    let diags = import_diags(&m);
    let d = find(&diags, "initializer 'fc1.weight'", "data");
    assert!(d.found.contains("external"), "{d:?}");
}

#[test]
fn unsupported_opsets_are_rejected() {
    for opset in [5, 8, 24] {
        let (mut m, _) = torch_mlp();
        m.opset_import[0].version = Some(opset);
        let diags = import_diags(&m);
        assert_eq!(diags.len(), 1, "{diags:#?}");
        let d = find(&diags, "model", "opset");
        assert_eq!(d.found, opset.to_string());
        assert!(
            d.expected.contains('9') && d.expected.contains("23"),
            "{d:?}"
        );
    }
    // Other domains' opsets are not the default domain's business.
    let (mut m, _) = torch_mlp();
    m.opset_import.push(OperatorSetIdProto {
        domain: Some("com.microsoft".into()),
        version: Some(1),
    });
    rtlgen::import::import(&m).unwrap();
}

#[test]
fn a_node_of_another_domain_is_rejected() {
    let relu_in = |domain: &str| {
        let (mut m, _) = torch_mlp();
        let relu = graph_mut(&mut m)
            .node
            .iter_mut()
            .find(|n| n.op_type() == "Relu")
            .unwrap();
        relu.domain = Some(domain.into());
        import_diags(&m)[0].clone()
    };
    let d = relu_in("com.microsoft");
    assert_eq!(
        (d.location.as_str(), d.subject.as_str()),
        ("/relu1/Relu", "domain")
    );
    // QONNX's domain holds QONNX's ops only (qonnx would not run a Relu there).
    let d = relu_in("qonnx.custom_op.general");
    assert_eq!(
        (d.location.as_str(), d.subject.as_str()),
        ("/relu1/Relu", "op type")
    );
    assert!(d.expected.contains("MultiThreshold"), "{d:?}");
}

#[test]
fn a_file_that_is_not_protobuf() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.onnx");
    std::fs::write(
        &path,
        b"\xff\xff\xff\xff this is not an ONNX model \x00\x01",
    )
    .unwrap();
    let diags = user_diags(rtlgen::import::load(&path));
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].location, path.display().to_string());
    assert!(diags[0].expected.contains("ONNX"), "{:?}", diags[0]);
    let diags = user_diags(rtlgen::driver::compile(&path, None, None));
    assert_eq!(diags[0].location, path.display().to_string());
    // A missing file is a user error too.
    let missing = dir.path().join("missing.onnx");
    let diags = user_diags(rtlgen::driver::compile(&missing, None, None));
    assert_eq!(diags[0].location, missing.display().to_string());
}

#[test]
fn a_model_without_a_graph_is_rejected() {
    let (mut m, _) = torch_mlp();
    m.graph = None;
    assert!(!import_diags(&m).is_empty());
}

#[test]
fn an_add_not_after_a_matmul_is_rejected() {
    // relu1 -> Add(constant): imports, but the bias has no Dense to join.
    let (mut m, _) = torch_mlp();
    let g = graph_mut(&mut m);
    let fc2 = g.node.iter().position(|n| n.name() == "/fc2/Gemm").unwrap();
    let relu_out = g.node[fc2].input[0].clone();
    g.initializer
        .push(f32_tensor("shift", &[3], &[0.5, 0.25, -0.5]));
    g.node[fc2].input[0] = "/add/Add_output_0".into();
    g.node.insert(
        fc2,
        node(
            "/add/Add",
            "Add",
            &[&relu_out, "shift"],
            &["/add/Add_output_0"],
            vec![],
        ),
    );
    rtlgen::import::import(&m).expect("the importer accepts the Add itself");
    let diags = pipeline_diags(&m);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(
        (diags[0].location.as_str(), diags[0].op.as_deref()),
        ("/add/Add", Some("Add"))
    );
    assert!(diags[0].expected.contains("MatMul"), "{:?}", diags[0]);

    // After a Gemm that already has a bias: also not fusable.
    let (mut m, _) = torch_mlp();
    let g = graph_mut(&mut m);
    let gemm_out = g.node[0].output[0].clone();
    g.node[1].input[0] = "/add/Add_output_0".into();
    g.initializer
        .push(f32_tensor("shift", &[3], &[0.5, 0.25, -0.5]));
    g.node.insert(
        1,
        node(
            "/add/Add",
            "Add",
            &[&gemm_out, "shift"],
            &["/add/Add_output_0"],
            vec![],
        ),
    );
    let diags = pipeline_diags(&m);
    assert_eq!(
        (diags[0].location.as_str(), diags[0].op.as_deref()),
        ("/add/Add", Some("Add"))
    );
}

#[test]
fn a_bias_free_gemm_followed_by_add_is_fused() {
    let w = weights(3, 4, 13);
    let b = bias(3, 13);
    let flat: Vec<f32> = w.iter().copied().collect();
    let mut m = single_gemm(&[3, 4], &flat, None, vec![int_attr("transB", 1)]);
    let g = graph_mut(&mut m);
    g.node[0].output[0] = "g".into();
    g.initializer
        .push(f32_tensor("b", &[1, 3], b.as_slice().unwrap()));
    g.node
        .push(node("/fc/Add", "Add", &["b", "g"], &["y"], vec![]));
    let (graph, golden) = lower(&m);
    assert_eq!(dump_shapes(&graph), ["[4]", "[3]"]);
    let x = inputs(5, 4);
    assert_eq!(
        predict(&golden, &x),
        dense_ref(&x, &w.mapv(f64::from), Some(&b.mapv(f64::from)), false)
    );
}

#[test]
fn all_problems_of_several_nodes_and_inputs_together() {
    // Bad opset + an unsupported op + a bad Gemm attribute: one error with all three.
    let (mut m, _) = torch_mlp();
    m.opset_import[0].version = Some(5);
    let g = graph_mut(&mut m);
    g.node[0].attribute.push(int_attr("transA", 1));
    g.node[1].op_type = Some("Elu".into());
    let diags = import_diags(&m);
    assert_eq!(diags.len(), 3, "{diags:#?}");
    find(&diags, "model", "opset");
    find(&diags, "/fc1/Gemm", "transA");
    find(&diags, "/relu1/Relu", "op type");
}

#[test]
fn opset_11_dropout_with_its_ratio_attribute() {
    // Up to opset 11 Dropout carries `ratio` as an attribute (opset 12 moved it to an input);
    // torch.onnx.export(opset_version=11, training=PRESERVE) writes it that way.
    let (mut m, layers) = torch_mlp();
    m.opset_import[0].version = Some(11);
    let g = graph_mut(&mut m);
    let relu_out = g
        .node
        .iter()
        .find(|n| n.op_type() == "Relu")
        .unwrap()
        .output[0]
        .clone();
    let fc2 = g.node.iter().position(|n| n.name() == "/fc2/Gemm").unwrap();
    g.node[fc2].input[0] = "/dropout/Dropout_output_0".into();
    g.node.insert(
        fc2,
        node(
            "/dropout/Dropout",
            "Dropout",
            &[&relu_out],
            &["/dropout/Dropout_output_0"],
            vec![float_attr("ratio", 0.5)],
        ),
    );
    let (_, golden) = lower(&m);
    let x = inputs(4, 4);
    assert_eq!(predict(&golden, &x), mlp_ref(&x, &layers));
}

#[test]
fn reshape_allowzero_makes_zero_a_literal_size() {
    // With allowzero = 1 a 0 in the target shape is a real zero-sized dimension, not "copy the
    // batch": [0, -1] is then not a shape a 784-element sample can take, and must be rejected.
    let (mut m, _) = reshape_model(&[0, -1], false);
    graph_mut(&mut m)
        .node
        .iter_mut()
        .find(|n| n.op_type() == "Reshape")
        .unwrap()
        .attribute
        .push(int_attr("allowzero", 1));
    let diags = import_diags(&m);
    let d = diags
        .iter()
        .find(|d| d.location == "/Reshape")
        .unwrap_or_else(|| panic!("{diags:#?}"));
    assert_eq!(d.op.as_deref(), Some("Reshape"));
    // allowzero = 0 (the default) keeps the batch.
    let (mut m, _) = reshape_model(&[0, -1], false);
    graph_mut(&mut m)
        .node
        .iter_mut()
        .find(|n| n.op_type() == "Reshape")
        .unwrap()
        .attribute
        .push(int_attr("allowzero", 0));
    rtlgen::import::import(&m).unwrap();
}
