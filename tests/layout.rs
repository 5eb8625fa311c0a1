//! Channels-last images, as tf2onnx writes Keras CNNs: the input `[H, W, C]` (`[L, C]`), a
//! `Transpose` to channels-first before the convolutions, one back to channels-last before the
//! flatten (whose Dense then reads pixels in HWC order), and BatchNormalization as a `Mul` and an
//! `Add` of per-channel constants. A random channels-first CNN and its channels-last rewrite must
//! compute the same function: the golden models agree on every sample, and the channels-last
//! design co-simulates bit for bit in io_stream (back to back and under bubbles and
//! backpressure) and io_parallel. The QKeras exports themselves are checked against qonnx in
//! tests/qonnx.rs and tests/qonnx_rtl.rs. Needs Verilator.

mod common;

use common::{cosim_both_ways, cosim_parallel};
use ndarray::{Array1, Array2, IxDyn};
use rand::{Rng, SeedableRng};
use rtlgen::diag::Error;
use rtlgen::driver::{compile, Compiled};
use rtlgen::modelgen::{cnn, encode, ints_attr, node, uniform, value_info, CnnLayer};
use rtlgen::onnx_proto::{ModelProto, NodeProto, TensorProto};

/// A random channels-first CNN: conv, BatchNorm (whose `var + ε` is exactly 1, so its scale is
/// γ and its bias β, as a `Mul` and `Add` would give), ReLU, maybe a max pool, a second conv,
/// Flatten and a Gemm; 1-D or 2-D. The Flatten reads at least two channels and two pixels, so
/// the CHW and HWC orders differ. Returns the input shape `[C, spatial…]` and the layers.
fn random_cnn(rng: &mut impl Rng) -> (Vec<usize>, Vec<CnnLayer>) {
    let dims = if rng.random_bool(0.3) { 1 } else { 2 };
    let c = rng.random_range(1..=3);
    let f = rng.random_range(1..=3);
    let k: Vec<usize> = (0..dims).map(|_| rng.random_range(1..=3)).collect();
    let size: Vec<usize> = (0..dims).map(|d| k[d] + rng.random_range(2..=5)).collect();
    let seed = rng.random::<u64>();
    let conv = |name: &str, c: usize, f: usize, k: &[usize], seed: u64| {
        let mut shape = vec![f, c];
        shape.extend(k);
        CnnLayer::Conv {
            name: name.into(),
            weight: uniform(IxDyn(&shape), -1.0, 1.0, seed),
            bias: Some(uniform(f, -0.5, 0.5, seed + 1)),
            stride: vec![1; k.len()],
            pads: vec![0; 2 * k.len()],
            auto_pad: None,
        }
    };
    let epsilon = 2f32.powi(-10);
    let mut layers = vec![
        conv("conv1", c, f, &k, seed),
        CnnLayer::BatchNorm {
            name: "bn1".into(),
            scale: uniform(f, -1.5, 1.5, seed + 2),
            bias: uniform(f, -0.5, 0.5, seed + 3),
            mean: Array1::zeros(f),
            var: Array1::from_elem(f, 1.0 - epsilon),
            epsilon,
        },
        CnnLayer::Relu {
            name: "relu1".into(),
        },
    ];
    let mut out: Vec<usize> = (0..dims).map(|d| size[d] - k[d] + 1).collect();
    if out.iter().all(|&o| o >= 4) && rng.random_bool(0.5) {
        layers.push(CnnLayer::MaxPool {
            name: "pool1".into(),
            kernel: vec![2; dims],
            stride: vec![2; dims],
            pads: vec![0; 2 * dims],
        });
        out.iter_mut().for_each(|o| *o /= 2);
    }
    let f2 = rng.random_range(2..=3);
    layers.push(conv("conv2", f, f2, &vec![1; dims], seed + 4));
    layers.push(CnnLayer::Flatten {
        name: "flatten".into(),
    });
    let n = f2 * out.iter().product::<usize>();
    layers.push(CnnLayer::Gemm {
        name: "fc1".into(),
        weight: uniform((3, n), -0.5, 0.5, seed + 5),
        bias: Some(Array1::from_elem(3, 0.125)),
    });
    let mut input = vec![c];
    input.extend(&size);
    (input, layers)
}

/// `[0, rank, 1, …]`: channels-last to channels-first, with the batch axis.
fn to_first(rank: usize) -> Vec<i64> {
    let rank = rank as i64;
    [0, rank].into_iter().chain(1..rank).collect()
}

/// `[0, 2, …, rank, 1]`: channels-first to channels-last, with the batch axis.
fn to_last(rank: usize) -> Vec<i64> {
    let rank = rank as i64;
    [0].into_iter().chain(2..=rank).chain([1]).collect()
}

fn initializer(model: &ModelProto, name: &str) -> Vec<f32> {
    let t = model
        .graph
        .as_ref()
        .unwrap()
        .initializer
        .iter()
        .find(|t| t.name() == name)
        .unwrap_or_else(|| panic!("initializer {name}"));
    rtlgen::import::tensor_to_array(t)
        .unwrap()
        .iter()
        .map(|&v| v as f32)
        .collect()
}

fn f32_tensor(name: &str, dims: &[usize], values: &[f32]) -> TensorProto {
    TensorProto {
        name: Some(name.into()),
        dims: dims.iter().map(|&d| d as i64).collect(),
        data_type: Some(rtlgen::onnx_proto::tensor_proto::DataType::Float as i32),
        float_data: values.to_vec(),
        ..Default::default()
    }
}

/// `model` (from [`random_cnn`]) rewritten as tf2onnx writes the Keras equivalent: input
/// `[spatial…, C]`, a Transpose to channels-first, BatchNormalization as `Mul` and `Add` of
/// `[C, 1…]` constants, a Transpose to channels-last before the Flatten, and the Gemm's columns
/// reordered from CHW to HWC. `image` is the channels-first shape the Flatten reads.
fn channels_last(model: &ModelProto, input: &[usize], image: &[usize]) -> ModelProto {
    let mut m = model.clone();
    let g = m.graph.as_mut().unwrap();
    let rank = input.len();
    let mut last_input: Vec<usize> = input[1..].to_vec();
    last_input.push(input[0]);
    let mut dims = vec![None];
    dims.extend(last_input.iter().map(|&d| Some(d as i64)));
    g.input[0] = value_info("x", &dims);
    let mut nodes: Vec<NodeProto> = vec![node(
        "/to_first/Transpose",
        "Transpose",
        &["x"],
        &["x_first"],
        vec![ints_attr("perm", &to_first(rank))],
    )];
    for mut n in std::mem::take(&mut g.node) {
        for i in n.input.iter_mut().filter(|i| *i == "x") {
            *i = "x_first".into();
        }
        match n.op_type() {
            "BatchNormalization" => {
                let channels = initializer(model, "bn1.weight");
                let shift = initializer(model, "bn1.bias");
                let mut shape = vec![channels.len()];
                shape.extend(vec![1; rank - 1]);
                g.initializer.push(f32_tensor("bn1.mul", &shape, &channels));
                g.initializer.push(f32_tensor("bn1.add", &shape, &shift));
                let (x, y) = (n.input[0].clone(), n.output[0].clone());
                nodes.push(node(
                    "/bn1/Mul",
                    "Mul",
                    &[&x, "bn1.mul"],
                    &["bn1_scaled"],
                    vec![],
                ));
                nodes.push(node(
                    "/bn1/Add",
                    "Add",
                    &["bn1_scaled", "bn1.add"],
                    &[&y],
                    vec![],
                ));
            }
            "Flatten" => {
                let x = n.input[0].clone();
                nodes.push(node(
                    "/to_last/Transpose",
                    "Transpose",
                    &[&x],
                    &["hwc"],
                    vec![ints_attr("perm", &to_last(rank))],
                ));
                n.input[0] = "hwc".into();
                nodes.push(n);
            }
            _ => nodes.push(n),
        }
    }
    g.node = nodes;
    let w = initializer(model, "fc1.weight");
    let n_in = image.iter().product::<usize>();
    let n_out = w.len() / n_in;
    let (c, spatial) = (image[0], n_in / image[0]);
    let mut hwc = vec![0f32; w.len()];
    for o in 0..n_out {
        for ch in 0..c {
            for p in 0..spatial {
                hwc[o * n_in + p * c + ch] = w[o * n_in + ch * spatial + p];
            }
        }
    }
    let at = g
        .initializer
        .iter()
        .position(|t| t.name() == "fc1.weight")
        .unwrap();
    g.initializer[at] = f32_tensor("fc1.weight", &[n_out, n_in], &hwc);
    m
}

fn build(model: &ModelProto, config: &str) -> Compiled {
    let dir = tempfile::tempdir().unwrap();
    let (path, cfg) = (dir.path().join("net.onnx"), dir.path().join("config.yml"));
    std::fs::write(&path, encode(model)).unwrap();
    std::fs::write(&cfg, config).unwrap();
    compile(&path, Some(&cfg), None).unwrap_or_else(|e| panic!("{e}"))
}

/// The channels-first shape (`[C, spatial…]`) of `dims` spatial axes that node `name` of
/// `model` reads, from the imported graph.
fn image_read_by(model: &ModelProto, name: &str, dims: usize) -> Vec<usize> {
    let graph = rtlgen::import::import(model).unwrap();
    let n = graph
        .g
        .node_indices()
        .find(|&n| graph.g[n].name == name)
        .unwrap_or_else(|| panic!("node {name}"));
    let held = &graph.input_edge(n).unwrap().shape;
    let (&c, spatial) = held.split_last().unwrap();
    [&[c][..], &spatial[spatial.len() - dims..]].concat()
}

/// Random samples of the channels-first input, and the same samples channels-last.
fn samples(input: &[usize], n: usize, seed: u64) -> (Array2<f64>, Array2<f64>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (c, spatial) = (input[0], input[1..].iter().product::<usize>());
    let first = Array2::from_shape_fn((n, c * spatial), |_| {
        f64::from(rng.random_range(-64i32..64)) / 16.0
    });
    let last = Array2::from_shape_fn((n, c * spatial), |(s, e)| {
        let (p, ch) = (e / c, e % c);
        first[[s, ch * spatial + p]]
    });
    (first, last)
}

const CONFIG: &str = "Model:\n  Precision: \"ap_fixed<12,5>\"\n";

fn check_layouts_agree(seed: u64) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (input, layers) = random_cnn(&mut rng);
    let first = cnn(&input, &layers);
    let last = channels_last(
        &first,
        &input,
        &image_read_by(&first, "flatten", input.len() - 1),
    );
    let (x_first, x_last) = samples(&input, 32, seed);
    let stream = format!("IOType: io_stream\n{CONFIG}");
    let a = build(&first, &stream);
    let b = build(&last, &stream);
    let run = |c: &Compiled, x: &Array2<f64>| c.golden.run_batch(x.view()).unwrap();
    assert_eq!(
        run(&a, &x_first),
        run(&b, &x_last),
        "seed {seed}: {input:?}"
    );
    cosim_both_ways(&b, 3);
    let parallel = build(&last, &format!("IOType: io_parallel\n{CONFIG}"));
    assert_eq!(run(&parallel, &x_last), run(&a, &x_first), "seed {seed}");
    cosim_parallel(&parallel, 4);
}

/// A 2-D case with three channels, a pool and every rewrite in it.
#[test]
fn a_channels_last_cnn_computes_what_its_channels_first_original_does() {
    check_layouts_agree(3);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 4,
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]

    #[test]
    fn random_channels_last_cnns_agree_and_cosimulate(seed in proptest::prelude::any::<u64>()) {
        check_layouts_agree(seed);
    }
}

/// Transposes that would move data, a Mul that varies within a channel and a Mul of two tensors
/// are user errors naming the node and what was expected.
#[test]
fn layouts_rtlgen_does_not_hold_are_user_errors() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let (input, layers) = random_cnn(&mut rng);
    let first = cnn(&input, &layers);
    let last = channels_last(
        &first,
        &input,
        &image_read_by(&first, "flatten", input.len() - 1),
    );
    let edit = |f: &dyn Fn(&mut rtlgen::onnx_proto::GraphProto)| {
        let mut m = last.clone();
        f(m.graph.as_mut().unwrap());
        match rtlgen::import::import(&m) {
            Err(e @ Error::User(_)) => e.to_string(),
            other => panic!("expected a user error, got {other:?}"),
        }
    };
    let wrong_perm = edit(&|g| {
        let t = g
            .node
            .iter_mut()
            .find(|n| n.op_type() == "Transpose")
            .unwrap();
        let identity: Vec<i64> = (0..=input.len() as i64).collect();
        t.attribute = vec![ints_attr("perm", &identity)];
    });
    assert!(
        wrong_perm.contains("/to_first/Transpose") && wrong_perm.contains("attribute 'perm'"),
        "{wrong_perm}"
    );
    let bn_input = image_read_by(&first, "bn1", input.len() - 1);
    let varying = edit(&|g| {
        let t = g
            .initializer
            .iter_mut()
            .find(|t| t.name() == "bn1.mul")
            .unwrap();
        let n: usize = bn_input.iter().product();
        let values: Vec<f32> = (0..n).map(|i| i as f32 / 8.0).collect();
        *t = f32_tensor("bn1.mul", &bn_input, &values);
    });
    assert!(
        varying.contains("/bn1/Mul") && varying.contains("differ within channel"),
        "{varying}"
    );
    let two_tensors = edit(&|g| {
        let mul = g.node.iter_mut().find(|n| n.op_type() == "Mul").unwrap();
        mul.input[1] = mul.input[0].clone();
    });
    assert!(
        two_tensors.contains("/bn1/Mul") && two_tensors.contains("one constant"),
        "{two_tensors}"
    );
}
