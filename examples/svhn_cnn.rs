//! Writes the SVHN network of "Fast convolutional neural networks on FPGAs with hls4ml" with
//! random weights, as `torch.onnx.export` would: `examples/svhn_cnn.onnx`, and 20 random images
//! `examples/svhn_images.npy` (`(20, 3, 32, 32)` float32, multiples of 1/256 in [0, 1) like scaled
//! 8-bit pixels).
//!
//! 32x32x3 → [Conv 16 3x3, MaxPool 2x2, BN, ReLU] → [Conv 16 3x3, MaxPool 2x2, BN, ReLU] →
//! [Conv 24 3x3, MaxPool 2x2, BN, ReLU] → Flatten → [Dense 42, BN, ReLU] → [Dense 64, BN, ReLU]
//! → Dense 10. Only the last layer has a bias. (torch would fold a BatchNorm that directly follows
//! a Conv; here a MaxPool sits between them, so every BatchNorm stays a node.)
//!
//!     cargo run --release --example svhn_cnn

use ndarray::{Array1, IxDyn};
use rtlgen::modelgen::{cnn, encode, uniform, CnnLayer};
use std::path::Path;

fn conv(name: &str, c: usize, f: usize, seed: u64) -> CnnLayer {
    // Kaiming-uniform bound, as torch initialises Conv2d.
    let bound = 1.0 / ((c * 9) as f32).sqrt();
    CnnLayer::Conv {
        name: name.into(),
        weight: uniform(IxDyn(&[f, c, 3, 3]), -bound, bound, seed),
        bias: None,
        stride: vec![1, 1],
        pads: vec![0, 0, 0, 0],
        auto_pad: None,
    }
}

fn pool(name: &str) -> CnnLayer {
    CnnLayer::MaxPool {
        name: name.into(),
        kernel: vec![2, 2],
        stride: vec![2, 2],
        pads: vec![0, 0, 0, 0],
    }
}

fn bn(name: &str, c: usize, seed: u64) -> CnnLayer {
    CnnLayer::BatchNorm {
        name: name.into(),
        scale: uniform(c, 0.5, 1.5, seed),
        bias: uniform(c, -0.2, 0.2, seed + 1),
        mean: uniform(c, -0.1, 0.1, seed + 2),
        var: uniform(c, 0.5, 1.5, seed + 3),
        epsilon: 1e-3,
    }
}

fn relu(name: &str) -> CnnLayer {
    CnnLayer::Relu { name: name.into() }
}

fn dense(name: &str, n_in: usize, n_out: usize, bias: bool, seed: u64) -> CnnLayer {
    let bound = 1.0 / (n_in as f32).sqrt();
    CnnLayer::Gemm {
        name: name.into(),
        weight: uniform((n_out, n_in), -bound, bound, seed),
        bias: bias.then(|| Array1::from(uniform(n_out, -bound, bound, seed + 1).to_vec())),
    }
}

fn main() -> std::io::Result<()> {
    let layers = vec![
        conv("conv1", 3, 16, 1),
        pool("pool1"),
        bn("bn1", 16, 2),
        relu("relu1"),
        conv("conv2", 16, 16, 3),
        pool("pool2"),
        bn("bn2", 16, 4),
        relu("relu2"),
        conv("conv3", 16, 24, 5),
        pool("pool3"),
        bn("bn3", 24, 6),
        relu("relu3"),
        CnnLayer::Flatten {
            name: "flatten".into(),
        },
        dense("fc1", 2 * 2 * 24, 42, false, 7),
        bn("bn4", 42, 8),
        relu("relu4"),
        dense("fc2", 42, 64, false, 9),
        bn("bn5", 64, 10),
        relu("relu5"),
        dense("fc3", 64, 10, true, 11),
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    std::fs::write(
        dir.join("svhn_cnn.onnx"),
        encode(&cnn(&[3, 32, 32], &layers)),
    )?;
    // Pixels of 8-bit images scaled to [0, 1).
    let images = uniform((20, 3, 32, 32), 0.0, 1.0, 12).mapv(|v| (v * 256.0).floor() / 256.0);
    ndarray_npy::write_npy(dir.join("svhn_images.npy"), &images)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    println!("wrote examples/svhn_cnn.onnx and examples/svhn_images.npy");
    Ok(())
}
