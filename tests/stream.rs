//! io_stream designs: convolution, padding, pooling, batch normalization and Flatten + Dense,
//! co-simulated bit for bit against the golden model with both window implementations, back to
//! back (checking the promised latency and II) and with random input bubbles and output
//! backpressure (checking every beat arrives, in order). The golden model itself is checked
//! against hls4ml 1.3.0's io_stream emulation (tests/data/hls4ml/cnn_*, made by
//! make_cnn_case.py). Needs Verilator and Icarus: run through scripts/test.sh.

mod common;

use common::{
    assert_lint_clean, cli_build, cosim_both_ways, cosim_parallel, data, peer_rows, require_tool,
};
use ndarray::{Array1, IxDyn};
use rtlgen::driver::{compile, Compiled};
use rtlgen::modelgen::{cnn, encode, uniform, AutoPad, CnnLayer};
use rtlgen::sim::stream::{self, Traffic};

fn conv(name: &str, c: usize, f: usize, k: &[usize], stride: &[usize], seed: u64) -> CnnLayer {
    let mut shape = vec![f, c];
    shape.extend(k);
    CnnLayer::Conv {
        name: name.into(),
        weight: uniform(IxDyn(&shape), -1.0, 1.0, seed),
        bias: Some(uniform(f, -0.5, 0.5, seed + 1)),
        stride: stride.to_vec(),
        pads: vec![0; 2 * k.len()],
        auto_pad: None,
    }
}

fn with_pads(layer: CnnLayer, p: &[usize]) -> CnnLayer {
    match layer {
        CnnLayer::Conv {
            name,
            weight,
            bias,
            stride,
            ..
        } => CnnLayer::Conv {
            name,
            weight,
            bias,
            stride,
            pads: p.to_vec(),
            auto_pad: None,
        },
        other => other,
    }
}

fn with_auto_pad(layer: CnnLayer, a: AutoPad) -> CnnLayer {
    match layer {
        CnnLayer::Conv {
            name,
            weight,
            bias,
            stride,
            ..
        } => CnnLayer::Conv {
            name,
            weight,
            bias,
            stride,
            pads: vec![],
            auto_pad: Some(a),
        },
        other => other,
    }
}

fn batch_norm(name: &str, c: usize, seed: u64) -> CnnLayer {
    CnnLayer::BatchNorm {
        name: name.into(),
        scale: uniform(c, -1.5, 1.5, seed),
        bias: uniform(c, -0.5, 0.5, seed + 1),
        mean: uniform(c, -0.5, 0.5, seed + 2),
        var: uniform(c, 0.5, 2.0, seed + 3),
        epsilon: 1e-5,
    }
}

fn relu(name: &str) -> CnnLayer {
    CnnLayer::Relu { name: name.into() }
}

fn gemm(name: &str, n_in: usize, n_out: usize, seed: u64) -> CnnLayer {
    CnnLayer::Gemm {
        name: name.into(),
        weight: uniform((n_out, n_in), -0.5, 0.5, seed),
        bias: Some(Array1::from_elem(n_out, 0.125)),
    }
}

/// Writes the model and configuration and compiles them.
fn build(input: &[usize], layers: &[CnnLayer], config: &str) -> Compiled {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("net.onnx");
    std::fs::write(&model, encode(&cnn(input, layers))).unwrap();
    let cfg = dir.path().join("config.yml");
    std::fs::write(&cfg, config).unwrap();
    compile(&model, Some(&cfg), None).unwrap()
}

const BASE: &str = "IOType: io_stream\nModel:\n  Precision: \"ap_fixed<12,4>\"\n";

fn config(implementation: &str, extra: &str) -> String {
    format!("{BASE}  ConvImplementation: {implementation}\n{extra}")
}

/// A non-square 2-D network: SAME padding, stride 2 with a 2x2 kernel, 1x1 and 5x5 kernels,
/// pooling equal to its stride, batch normalization, Flatten and Dense.
fn net_2d() -> (Vec<usize>, Vec<CnnLayer>) {
    let layers = vec![
        with_auto_pad(
            conv("conv1", 3, 8, &[3, 3], &[1, 1], 10),
            AutoPad::SameUpper,
        ),
        relu("relu1"),
        conv("conv2", 8, 3, &[2, 2], &[2, 2], 20),
        batch_norm("bn2", 3, 30),
        CnnLayer::MaxPool {
            name: "pool2".into(),
            kernel: vec![2, 2],
            stride: vec![2, 2],
            pads: vec![0, 0, 0, 0],
        },
        conv("conv3", 3, 1, &[1, 1], &[1, 1], 40),
        with_pads(conv("conv4", 1, 3, &[5, 5], &[3, 3], 50), &[2, 2, 2, 2]),
        CnnLayer::Flatten {
            name: "flatten".into(),
        },
        gemm("fc1", 3, 4, 60),
    ];
    // 13x10 → conv1 13x10x8 → conv2 6x5x3 → pool 3x2 → conv3 3x2x1 → pad 7x6 → conv4 1x1x3.
    (vec![3, 13, 10], layers)
}

#[test]
fn conv_network_2d_encoded_is_bit_exact_under_backpressure() {
    let (input, layers) = net_2d();
    let c = build(&input, &layers, &config("Encoded", ""));
    let design = cosim_both_ways(&c, 4);
    // The padded input streams 15x12 pixels at one pixel per clock.
    assert_eq!(design.ii, 15 * 12);
}

#[test]
fn conv_network_2d_line_buffer_is_bit_exact_under_backpressure() {
    let (input, layers) = net_2d();
    let c = build(&input, &layers, &config("LineBuffer", ""));
    cosim_both_ways(&c, 4);
}

/// Strides of 3 with 5x5 and 3x3 kernels, general average pooling (pool ≠ stride) through the
/// window machinery, SAME_LOWER padding, global average pooling, one input channel.
fn net_pool() -> (Vec<usize>, Vec<CnnLayer>) {
    let layers = vec![
        with_pads(conv("conv1", 1, 3, &[5, 5], &[3, 3], 11), &[1, 2, 0, 1]),
        CnnLayer::AveragePool {
            name: "pool1".into(),
            kernel: vec![3, 2],
            stride: vec![1, 2],
            pads: vec![0, 0, 0, 0],
            count_include_pad: true,
        },
        batch_norm("bn1", 3, 21),
        relu("relu1"),
        with_auto_pad(
            conv("conv2", 3, 8, &[3, 3], &[2, 2], 31),
            AutoPad::SameLower,
        ),
        CnnLayer::GlobalAveragePool { name: "gap".into() },
        CnnLayer::Flatten {
            name: "flatten".into(),
        },
        gemm("fc1", 8, 3, 41),
    ];
    // 17x14 → pad 18x17 → conv1 5x5x3 → pool 3x2 → conv2 2x1x8 → global 1x1x8.
    (vec![1, 17, 14], layers)
}

#[test]
fn pooling_network_is_bit_exact_with_both_implementations() {
    let (input, layers) = net_pool();
    for implementation in ["Encoded", "LineBuffer"] {
        let c = build(&input, &layers, &config(implementation, ""));
        cosim_both_ways(&c, 3);
    }
}

/// 1-D: eight channels, SAME padding, max pooling, stride 2, global max pooling; saturating
/// and rounding result types.
#[test]
fn conv1d_network_is_bit_exact_with_both_implementations() {
    let layers = vec![
        with_auto_pad(conv("conv1", 8, 4, &[3], &[1], 12), AutoPad::SameUpper),
        CnnLayer::MaxPool {
            name: "pool1".into(),
            kernel: vec![2],
            stride: vec![2],
            pads: vec![0, 0],
        },
        conv("conv2", 4, 5, &[5], &[2], 22),
        CnnLayer::GlobalMaxPool { name: "gmp".into() },
        CnnLayer::Flatten {
            name: "flatten".into(),
        },
        gemm("fc1", 5, 2, 32),
    ];
    let extra = "LayerName:\n  conv1:\n    Precision:\n      result: \"ap_fixed<8,3,AP_RND,AP_SAT>\"\n  conv2:\n    Precision:\n      accum: \"ap_fixed<14,5,AP_TRN,AP_SAT>\"\n";
    for implementation in ["Encoded", "LineBuffer"] {
        let c = build(&[8, 21], &layers, &config(implementation, extra));
        cosim_both_ways(&c, 3);
    }
}

/// A reuse factor R on a convolution shares its multipliers and accepts a pixel every R clocks.
#[test]
fn conv_reuse_factor_shares_multipliers_and_spaces_pixels() {
    let layers = vec![
        conv("conv1", 3, 4, &[3, 3], &[1, 1], 13),
        relu("relu1"),
        CnnLayer::Flatten {
            name: "flatten".into(),
        },
        gemm("fc1", 4 * 4 * 4, 3, 23),
    ];
    let extra = "LayerName:\n  conv1:\n    ReuseFactor: 3\n    Strategy: Resource\n";
    let c = build(&[3, 6, 6], &layers, &config("Encoded", extra));
    let nonzero = c
        .golden
        .layers
        .iter()
        .find_map(|l| match l {
            rtlgen::golden::Layer::Conv { kernel, .. } => {
                Some(kernel.weights.iter().filter(|&&w| w != 0).count())
            }
            _ => None,
        })
        .unwrap();
    let design = cosim_both_ways(&c, 3);
    let conv = design.layers.iter().find(|l| l.name == "conv1").unwrap();
    assert_eq!(conv.ii, 6 * 6 * 3, "a pixel every 3 cycles");
    assert_eq!(conv.multipliers, nonzero.div_ceil(3));
    assert_eq!(design.ii, 6 * 6 * 3);
}

/// The golden model equals hls4ml's io_stream emulation on every CNN case, and the RTL of two of
/// them equals the golden model, back to back and under bubbles and backpressure.
#[test]
fn cnn_cases_match_hls4ml_and_their_rtl_matches_the_golden_model() {
    for case in [
        "cnn_small",
        "cnn_pad_stride",
        "cnn_bn",
        "cnn1d",
        "cnn_avgpool_global",
        "cnn_bn_auto",
    ] {
        let dir = data(&format!("hls4ml/{case}"));
        let c = compile(&dir.join("model.onnx"), Some(&dir.join("config.yml")), None).unwrap();
        let (x, y) = peer_rows(&dir);
        let n = x.nrows();
        let got = c.golden.to_values(&c.golden.run_batch(x.view()).unwrap());
        assert_eq!(got, y, "{case}: golden model vs hls4ml");
        if case == "cnn_bn" || case == "cnn1d" {
            let inputs: Vec<Vec<i128>> = (0..n)
                .map(|s| c.golden.quantize_input(s, &x.row(s).to_vec()).unwrap())
                .collect();
            let design = c.design().unwrap();
            let busy = Traffic {
                bubbles: 0.3,
                backpressure: 0.4,
                seed: 4,
            };
            for traffic in [Traffic::CLEAN, busy] {
                let o = stream::run(&c, &design, &inputs, traffic).unwrap();
                let summary = o.summary();
                assert_eq!(o.mismatched_samples, 0, "{case}: {summary}");
                o.into_result().unwrap();
            }
        }
    }
}

/// `rtlgen build` writes a stream testbench that passes under Icarus: back to back with the
/// promised latency and II, then with bubbles and backpressure.
#[test]
fn generated_stream_testbench_passes_in_icarus() {
    require_tool("iverilog");
    let dir = tempfile::tempdir().unwrap();
    let (input, layers) = net_pool();
    let model = dir.path().join("pool_net.onnx");
    std::fs::write(&model, encode(&cnn(&input, &layers))).unwrap();
    let cfg = dir.path().join("config.yml");
    std::fs::write(&cfg, config("Encoded", "")).unwrap();
    let out = dir.path().join("out");
    cli_build(
        &model,
        &["--config", cfg.to_str().unwrap(), "--tb-vectors", "4"],
        &out,
    );
    let run = std::process::Command::new("sh")
        .arg(out.join("tb/run_icarus.sh"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(
        text.contains("PASS: 4 images") && !text.contains("FAIL"),
        "{text}{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

/// Problems with a CNN are user errors naming the node.
#[test]
fn unsupported_cnn_settings_are_user_errors() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, layers: &[CnnLayer]| {
        let p = dir.path().join(name);
        std::fs::write(&p, encode(&cnn(&[2, 8, 8], layers))).unwrap();
        p
    };
    let parallel = dir.path().join("parallel.yml");
    std::fs::write(&parallel, "IOType: io_parallel\n").unwrap();
    let m = write(
        "global.onnx",
        &[CnnLayer::GlobalAveragePool { name: "gap".into() }],
    );
    let err = compile(&m, Some(&parallel), None)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("gap") && err.contains("io_stream"), "{err}");
    let reused = dir.path().join("reused.yml");
    std::fs::write(
        &reused,
        "IOType: io_parallel\nLayerName:\n  conv1:\n    ReuseFactor: 2\n",
    )
    .unwrap();
    let m = write("conv.onnx", &[conv("conv1", 2, 2, &[3, 3], &[1, 1], 1)]);
    let err = compile(&m, Some(&reused), None)
        .unwrap()
        .design()
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("conv1") && err.contains("ReuseFactor"),
        "{err}"
    );
    let m = write(
        "avg.onnx",
        &[CnnLayer::AveragePool {
            name: "pool".into(),
            kernel: vec![3, 3],
            stride: vec![1, 1],
            pads: vec![1, 1, 1, 1],
            count_include_pad: false,
        }],
    );
    let err = compile(&m, None, None).err().unwrap().to_string();
    assert!(err.contains("count_include_pad"), "{err}");
}

/// One random convolution layer (then a max or average pooling and Flatten + Dense), described
/// by a seed: shapes, kernel, stride, padding, precisions, window implementation, reuse factor.
fn random_conv_case(seed: u64) {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let one_d = rng.random_bool(0.3);
    let dims = if one_d { 1 } else { 2 };
    let c = rng.random_range(1..=4);
    let f = rng.random_range(1..=4);
    let k: Vec<usize> = (0..dims).map(|_| rng.random_range(1..=5)).collect();
    let s: Vec<usize> = (0..dims).map(|_| rng.random_range(1..=3)).collect();
    let pads: Vec<usize> = (0..2 * dims)
        .map(|i| rng.random_range(0..k[i % dims]))
        .collect();
    let size: Vec<usize> = (0..dims)
        .map(|d| {
            (k[d] + rng.random_range(0..=6))
                .saturating_sub(pads[d] + pads[d + dims])
                .max(1)
        })
        .collect();
    let out: Vec<usize> = (0..dims)
        .map(|d| (size[d] + pads[d] + pads[d + dims] - k[d]) / s[d] + 1)
        .collect();
    let mut input = vec![c];
    input.extend(&size);
    let mut layers = vec![with_pads(conv("conv1", c, f, &k, &s, seed), &pads)];
    let pooled: Vec<usize> = if out.iter().all(|&o| o >= 2) && rng.random_bool(0.6) {
        let kind_max = rng.random_bool(0.5);
        let pool = vec![2; dims];
        layers.push(if kind_max {
            CnnLayer::MaxPool {
                name: "pool1".into(),
                kernel: pool.clone(),
                stride: pool.clone(),
                pads: vec![0; 2 * dims],
            }
        } else {
            CnnLayer::AveragePool {
                name: "pool1".into(),
                kernel: pool.clone(),
                stride: vec![1; dims],
                pads: vec![0; 2 * dims],
                count_include_pad: true,
            }
        });
        if kind_max {
            out.iter().map(|o| o / 2).collect()
        } else {
            out.iter().map(|o| o - 1).collect()
        }
    } else {
        out.clone()
    };
    layers.push(CnnLayer::Flatten {
        name: "flatten".into(),
    });
    let n: usize = f * pooled.iter().product::<usize>();
    layers.push(gemm("fc1", n, 2, seed + 7));
    let width = rng.random_range(4..=12);
    let int = rng.random_range(1..=4);
    let accum = if rng.random_bool(0.5) {
        "auto".to_owned()
    } else {
        format!("ap_fixed<{},{},AP_RND,AP_SAT>", width + 4, int + 2)
    };
    let implementation = if rng.random_bool(0.5) {
        "Encoded"
    } else {
        "LineBuffer"
    };
    // A reuse factor beyond the layer's weight count is a user error.
    let reuse = rng
        .random_range(1..=3)
        .min(c * f * k.iter().product::<usize>());
    let cfg = format!(
        "IOType: io_stream\nModel:\n  Precision: \"ap_fixed<{width},{int}>\"\n  ConvImplementation: {implementation}\nLayerName:\n  conv1:\n    ReuseFactor: {reuse}\n    Precision:\n      accum: \"{accum}\"\n"
    );
    let compiled = build(&input, &layers, &cfg);
    let design = cosim_both_ways(&compiled, 3);
    let conv = design.layers.iter().find(|l| l.name == "conv1").unwrap();
    let padded: usize = (0..dims)
        .map(|d| size[d] + pads[d] + pads[d + dims])
        .product();
    assert_eq!(
        conv.ii as usize,
        padded * reuse,
        "seed {seed}: a pixel every R cycles"
    );
    let parallel = cfg
        .replace("IOType: io_stream", "IOType: io_parallel")
        .replace(&format!("ReuseFactor: {reuse}"), "ReuseFactor: 1");
    cosim_parallel(&build(&input, &layers, &parallel), 4);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 6,
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]

    #[test]
    fn random_conv_layers_cosimulate_bit_exact(seed in proptest::prelude::any::<u64>()) {
        random_conv_case(seed);
    }
}

/// The SVHN example of the README, as configured for the Arty A7, on its 20 images.
#[test]
fn svhn_example_cosimulates_on_20_images() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let c = compile(
        &dir.join("svhn_cnn.onnx"),
        Some(&dir.join("svhn_cnn.yml")),
        None,
    )
    .unwrap();
    let x = rtlgen::npy::read_samples(&dir.join("svhn_images.npy"), &c.golden.input_shape).unwrap();
    assert_eq!(x.nrows(), 20);
    let inputs: Vec<Vec<i128>> = (0..x.nrows())
        .map(|s| c.golden.quantize_input(s, &x.row(s).to_vec()).unwrap())
        .collect();
    let design = c.design().unwrap();
    assert_lint_clean(&design.files, &design.top);
    let clean = stream::run(&c, &design, &inputs, Traffic::CLEAN).unwrap();
    let summary = clean.summary();
    assert_eq!(clean.mismatched_samples, 0, "{summary}");
    clean.into_result().unwrap();
    let traffic = Traffic {
        bubbles: 0.2,
        backpressure: 0.3,
        seed: 9,
    };
    let busy = stream::run(&c, &design, &inputs[..4], traffic).unwrap();
    let summary = busy.summary();
    assert_eq!(busy.mismatched_samples, 0, "{summary}");
    busy.into_result().unwrap();
}
