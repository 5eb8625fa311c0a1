//! Channels-last images, as tf2onnx writes Keras CNNs: the input `[H, W, C]` (`[L, C]`), a
//! `Transpose` to channels-first before the convolutions, one back to channels-last before the
//! flatten (whose Dense then reads pixels in HWC order), and BatchNormalization as a `Mul` and an
//! `Add` of per-channel constants; a 1-D network as 2-D layers between `Unsqueeze` and
//! `Squeeze`, its pool over axes the held image has the other way round. A random
//! channels-first CNN and its channels-last rewrite must
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
use rtlgen::onnx_proto::{GraphProto, ModelProto, NodeProto, TensorProto};

/// A random channels-first CNN: conv, BatchNorm (whose `var + ε` is exactly 1, so its scale is
/// γ and its bias β, as a `Mul` and `Add` would give), ReLU, maybe a max pool, a second conv,
/// Flatten and a Gemm, over `dims` spatial axes, with the pool if `pool`. The Flatten reads at
/// least two channels and two pixels, so the CHW and HWC orders differ. Returns the input shape
/// `[C, spatial…]` and the layers.
fn random_cnn(rng: &mut impl Rng, dims: usize, pool: bool) -> (Vec<usize>, Vec<CnnLayer>) {
    let c = rng.random_range(1..=3);
    let f = rng.random_range(1..=3);
    let k: Vec<usize> = (0..dims).map(|_| rng.random_range(1..=3)).collect();
    let size: Vec<usize> = (0..dims).map(|d| k[d] + rng.random_range(3..=6)).collect();
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
    if pool {
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

fn i64_tensor(name: &str, values: &[i64]) -> TensorProto {
    TensorProto {
        name: Some(name.into()),
        dims: vec![values.len() as i64],
        data_type: Some(rtlgen::onnx_proto::tensor_proto::DataType::Int64 as i32),
        int64_data: values.to_vec(),
        ..Default::default()
    }
}

fn ints(n: &NodeProto, name: &str) -> Vec<i64> {
    n.attribute
        .iter()
        .find(|a| a.name() == name)
        .map(|a| a.ints.clone())
        .unwrap_or_default()
}

/// A 1-D [`channels_last`] model rewritten further as tf2onnx writes a Keras `Conv1D` and
/// `MaxPooling1D`: the input `Unsqueeze`d to `[N, 1, L, C]` before its Transpose, each
/// convolution 2-D (kernel `[1, k]`) between an `Unsqueeze` and a `Squeeze` of axis 2, and the
/// pool along H of `[N, F, L, 1]` (an `Unsqueeze` of axis 1 and a `Reshape`), then squeezed.
/// `pooled` is the channels-first `[F, L]` the pool reads, if there is one.
fn keras_1d_as_2d(model: &ModelProto, pooled: Option<&[usize]>) -> ModelProto {
    let mut m = model.clone();
    let g = m.graph.as_mut().unwrap();
    g.initializer.push(i64_tensor("axes1", &[1]));
    g.initializer.push(i64_tensor("axes2", &[2]));
    g.initializer.push(i64_tensor("axes3", &[3]));
    if let Some(&[f, l]) = pooled {
        g.initializer
            .push(i64_tensor("pool_shape", &[-1, f as i64, l as i64, 1]));
    }
    let mut nodes = vec![];
    for mut n in std::mem::take(&mut g.node) {
        let name = n.name().to_owned();
        let (x, y) = (n.input[0].clone(), n.output[0].clone());
        match n.op_type() {
            "Transpose" if name == "/to_first/Transpose" => {
                nodes.push(node(
                    "/x4/Unsqueeze",
                    "Unsqueeze",
                    &["x", "axes1"],
                    &["x4"],
                    vec![],
                ));
                n.input[0] = "x4".into();
                n.output[0] = "x_first4".into();
                n.attribute = vec![ints_attr("perm", &[0, 3, 1, 2])];
                nodes.push(n);
            }
            "Conv" => {
                let input = if x == "x_first" {
                    "x_first4".to_owned()
                } else {
                    let u = format!("{x}_4d");
                    let un = format!("{name}_in");
                    nodes.push(node(&un, "Unsqueeze", &[&x, "axes2"], &[&u], vec![]));
                    u
                };
                let w = n.input[1].clone();
                let t = g.initializer.iter_mut().find(|t| t.name() == w).unwrap();
                t.dims.insert(2, 1);
                let (k, s, p) = (
                    ints(&n, "kernel_shape"),
                    ints(&n, "strides"),
                    ints(&n, "pads"),
                );
                n.attribute = vec![
                    ints_attr("dilations", &[1, 1]),
                    ints_attr("kernel_shape", &[1, k[0]]),
                    ints_attr("pads", &[0, p[0], 0, p[1]]),
                    ints_attr("strides", &[1, s[0]]),
                ];
                let out = format!("{y}_4d");
                n.input[0] = input;
                n.output[0] = out.clone();
                nodes.push(n);
                let sq = format!("{name}_out");
                nodes.push(node(&sq, "Squeeze", &[&out, "axes2"], &[&y], vec![]));
            }
            "MaxPool" => {
                nodes.push(node(
                    "/pool/Unsqueeze",
                    "Unsqueeze",
                    &[&x, "axes1"],
                    &["pool_u"],
                    vec![],
                ));
                nodes.push(node(
                    "/pool/Reshape",
                    "Reshape",
                    &["pool_u", "pool_shape"],
                    &["pool_in"],
                    vec![],
                ));
                let (k, s, p) = (
                    ints(&n, "kernel_shape"),
                    ints(&n, "strides"),
                    ints(&n, "pads"),
                );
                n.attribute = vec![
                    ints_attr("kernel_shape", &[k[0], 1]),
                    ints_attr("pads", &[p[0], 0, p[1], 0]),
                    ints_attr("strides", &[s[0], 1]),
                ];
                n.input[0] = "pool_in".into();
                n.output[0] = "pool_out".into();
                nodes.push(n);
                nodes.push(node(
                    "/pool/Squeeze",
                    "Squeeze",
                    &["pool_out", "axes3"],
                    &[&y],
                    vec![],
                ));
            }
            _ => nodes.push(n),
        }
    }
    g.node = nodes;
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

fn check_layouts_agree(seed: u64, dims: usize, pool: bool) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (input, layers) = random_cnn(&mut rng, dims, pool);
    let first = cnn(&input, &layers);
    let last = channels_last(
        &first,
        &input,
        &image_read_by(&first, "flatten", input.len() - 1),
    );
    let last = match input.len() {
        2 => {
            let pooled = layers
                .iter()
                .any(|l| matches!(l, CnnLayer::MaxPool { .. }))
                .then(|| image_read_by(&first, "pool1", 1));
            keras_1d_as_2d(&last, pooled.as_deref())
        }
        _ => last,
    };
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

/// A 2-D case with a pool and every rewrite in it.
#[test]
fn a_channels_last_cnn_computes_what_its_channels_first_original_does() {
    check_layouts_agree(3, 2, true);
}

/// A 1-D case as tf2onnx writes Keras' `Conv1D` and `MaxPooling1D`: 2-D convolutions over
/// `[C, 1, L]` and a pool over `[F, L, 1]`, whose axes the held image has the other way round.
#[test]
fn a_keras_1d_cnn_run_through_2d_layers_computes_its_original() {
    check_layouts_agree(5, 1, true);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 4,
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]

    #[test]
    fn random_channels_last_cnns_agree_and_cosimulate(seed in proptest::prelude::any::<u64>()) {
        check_layouts_agree(seed, 1 + (seed % 2) as usize, seed % 3 != 0);
    }
}

/// The user error importing `model` edited by `edit` gives, as text.
fn import_error(model: &ModelProto, edit: &dyn Fn(&mut GraphProto)) -> String {
    let mut m = model.clone();
    edit(m.graph.as_mut().unwrap());
    match rtlgen::import::import(&m) {
        Err(e @ Error::User(_)) => e.to_string(),
        other => panic!("expected a user error, got {other:?}"),
    }
}

/// Transposes that would move data, a Mul that varies within a channel and a Mul of two tensors
/// are user errors naming the node and what was expected.
#[test]
fn layouts_rtlgen_does_not_hold_are_user_errors() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let (input, layers) = random_cnn(&mut rng, 2, true);
    let first = cnn(&input, &layers);
    let last = channels_last(
        &first,
        &input,
        &image_read_by(&first, "flatten", input.len() - 1),
    );
    let edit = |f: &dyn Fn(&mut GraphProto)| import_error(&last, f);
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

/// An image whose channel axis unit axes moved may only be reshaped back; a window over a
/// swapped image must keep its unit axis. Both are user errors naming the node.
#[test]
fn views_rtlgen_does_not_hold_are_user_errors() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let (input, layers) = random_cnn(&mut rng, 1, true);
    let first = cnn(&input, &layers);
    let last = channels_last(&first, &input, &image_read_by(&first, "flatten", 1));
    let keras = keras_1d_as_2d(&last, Some(&image_read_by(&first, "pool1", 1)));
    let edit = |f: &dyn Fn(&mut GraphProto)| import_error(&keras, f);
    let channel_moved = edit(&|g| {
        g.node.retain(|n| n.name() != "/pool/Reshape");
        let pool = g
            .node
            .iter_mut()
            .find(|n| n.op_type() == "MaxPool")
            .unwrap();
        pool.input[0] = "pool_u".into();
    });
    assert!(
        channel_moved.contains("/pool1/MaxPool") && channel_moved.contains("an image seen as"),
        "{channel_moved}"
    );
    let unit_axis_grows = edit(&|g| {
        let pool = g
            .node
            .iter_mut()
            .find(|n| n.op_type() == "MaxPool")
            .unwrap();
        let k = ints(pool, "kernel_shape")[0];
        pool.attribute = vec![
            ints_attr("kernel_shape", &[k, 1]),
            ints_attr("pads", &[0, 1, 0, 0]),
            ints_attr("strides", &[k, 1]),
        ];
    });
    assert!(
        unit_axis_grows.contains("/pool1/MaxPool")
            && unit_axis_grows.contains("one output along the image's unit axis"),
        "{unit_axis_grows}"
    );
}
