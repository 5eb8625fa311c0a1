use crate::fixed::FixedType;
use ndarray::{Array1, Array2};

/// What a layer computes. Each variant documents its exact fixed-point arithmetic; the golden model
/// implements exactly that and the RTL is proven equal to it.
#[derive(Debug, Clone)]
pub enum Op {
    /// The graph input. A float sample `x` becomes `from_f64(x, T)` for the output edge's type T:
    /// quantized with T's rounding mode, then overflow-handled (REFERENCE §1.5).
    Input {
        onnx_name: String,
        shape: Vec<usize>,
    },
    /// The graph output: passes its input through unchanged.
    Output { onnx_name: String },
    /// Fully connected layer `y = x·W + b` with hls4ml's Latency datapath (REFERENCE §3.1):
    /// ```text
    /// acc = cast(b_j → accum)
    /// for i ascending: acc = cast(acc + cast(x_i·w_ij → accum) → accum)
    /// y_j = cast(acc → result)
    /// ```
    /// Products are exact. A zero weight contributes nothing under any mode and is skipped.
    Dense(Dense),
    /// Adds a constant vector (ONNX `Add` after `MatMul`); fused into the Dense before typing.
    BiasAdd { bias: Array1<f64> },
    /// `y = cast((x > 0 ? x : 0) → result)`.
    Relu,
    /// Changes the shape only (Flatten, Reshape, Identity): row-major element order is unchanged.
    Reshape,
}

/// Parameters and precisions of a fully connected layer.
#[derive(Debug, Clone)]
pub struct Dense {
    /// `(n_in, n_out)`, as hls4ml stores them (ONNX Gemm `(n_out, n_in)` weights are transposed).
    pub weights: Array2<f64>,
    /// `n_out` biases (zeros when the model has none).
    pub bias: Array1<f64>,
    /// Whether the model gave a bias (hls4ml's `auto` sizing treats a bias as present either way).
    pub has_bias: bool,
    pub precision: Option<DensePrecision>,
    /// Schedule settings, resolved with the precisions.
    pub settings: Option<DenseSettings>,
    pub quantized: Option<QuantizedDense>,
}

/// How a Dense layer is scheduled in hardware. None of it changes the numbers it computes.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct DenseSettings {
    /// Cycles between inputs; each multiplier serves up to this many products per input.
    pub reuse_factor: usize,
    pub strategy: crate::config::Strategy,
    pub multiplier: crate::config::MultiplierStyle,
}

/// Resolved types of a Dense layer.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct DensePrecision {
    pub weight: FixedType,
    pub bias: FixedType,
    pub accum: FixedType,
    pub result: FixedType,
}

/// Dense parameters as mantissas of their types.
#[derive(Debug, Clone)]
pub struct QuantizedDense {
    /// `(n_in, n_out)` mantissas of `weight`.
    pub weights: Array2<i128>,
    /// `n_out` mantissas of `bias`.
    pub bias: Array1<i128>,
}

impl Op {
    /// hls4ml's layer class for this op, used for `LayerType` configuration lookups.
    pub fn layer_type(&self) -> &'static str {
        match self {
            Op::Input { .. } => "Input",
            Op::Output { .. } => "Output",
            Op::Dense(_) => "Dense",
            Op::BiasAdd { .. } => "BiasAdd",
            Op::Relu => "Activation",
            Op::Reshape => "Reshape",
        }
    }

    /// One line for IR dumps.
    pub fn summary(&self) -> String {
        match self {
            Op::Input { onnx_name, shape } => format!("input '{onnx_name}' {shape:?}"),
            Op::Output { onnx_name } => format!("output '{onnx_name}'"),
            Op::Dense(d) => {
                let (n_in, n_out) = d.weights.dim();
                match &d.precision {
                    Some(p) => format!(
                        "dense {n_in}x{n_out} weight {} bias {} accum {} result {}",
                        p.weight, p.bias, p.accum, p.result
                    ),
                    None => format!("dense {n_in}x{n_out}"),
                }
            }
            Op::BiasAdd { bias } => format!("bias_add {}", bias.len()),
            Op::Relu => "relu".into(),
            Op::Reshape => "reshape".into(),
        }
    }
}
