use super::activation::{LutFunction, Softmax, Table};
use super::quantizer::Quantizer;
use super::thresholds::Thresholds;
use crate::fixed::FixedType;
use ndarray::{Array1, Array2};

/// What a layer computes. Each variant documents its exact fixed-point arithmetic; the golden model
/// implements exactly that and the RTL is proven equal to it.
#[derive(Debug, Clone)]
pub enum Op {
    /// The graph input. A float sample `x` becomes `from_f64(x, T)` for the output edge's type T:
    /// quantized with T's rounding mode, then overflow-handled (REFERENCE §1.5). A QONNX
    /// quantizer reading it converts the float sample itself, as qonnx does
    /// (`golden::Entry::Quantizer`); T then only bounds the input for a `Trunc` v1.
    /// `shape` is ONNX's per-sample shape; `layout` says how the output edge holds it.
    Input {
        onnx_name: String,
        shape: Vec<usize>,
        layout: super::Layout,
    },
    /// The graph output: passes its input through unchanged. With `channels_last` the tensor is a
    /// channels-last image that ONNX holds channels-first.
    Output {
        onnx_name: String,
        channels_last: bool,
    },
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
    /// A 1-D or 2-D convolution over a channels-last image: every output pixel `(oh, ow)` is the
    /// [`Op::Dense`] arithmetic over the window `x[oh·S_h + fh][ow·S_w + fw][c]` flattened in
    /// `(fh, fw, c)` order, giving the `F` channels of output pixel `(oh, ow)`. No padding inside:
    /// padding is a [`Op::Pad`] before it.
    Conv(Conv),
    /// Zero padding of a channels-last image `[H, W, C]`: `top`/`bottom` rows and `left`/`right`
    /// columns of zero pixels around it. Values are unchanged, so the output type is the input's.
    Pad(Padding),
    /// Max or average pooling of every channel over windows of a channels-last image
    /// (REFERENCE §6.4): each window element is cast to `accum`, then reduced by the §4.3 tree
    /// with every node cast to `accum` (max: `a ≥ b ? a : b`; average: `a + b`); an average is
    /// then divided by the window area, truncating toward zero at `accum`'s LSB; the result is
    /// cast to `result`. Padding, if any, is a [`Op::Pad`] before it.
    Pool(Pool),
    /// Max or average of every channel over all pixels of a channels-last image (hls4ml's
    /// streaming global pooling): a running value per channel in `accum`, starting from the
    /// first pixel cast to `accum`; each further pixel is cast to `accum` and combined (max:
    /// `x > acc ? x : acc`; average: `acc + x` cast to `accum`); an average is divided by `H·W`,
    /// truncating toward zero at `accum`'s LSB; the result is cast to `result`.
    GlobalPool(GlobalPool),
    /// `y = cast(x·scale_c + bias_c → result)` for channel `c` (the last axis), exact before the
    /// cast (REFERENCE §5.1).
    BatchNorm(BatchNorm),
    /// Element-wise sum of two tensors of one shape, `y = cast(x0 + x1 → result)`, exact before
    /// the cast (hls4ml's `nnet::add`); `result` is the output edge's type.
    Add,
    /// Joins tensors along `axis` of their (channels-last) shapes, which agree on every other
    /// axis: for each index of the axes before `axis`, the block of each input in operand order.
    /// Every element is cast to the output edge's type (hls4ml's `nnet::concatenate`).
    Concat { axis: usize },
    /// Reorders elements: `y[i] = x[perm[i]]` over the row-major element order (the NHWC → NCHW
    /// reordering before a Flatten of an image). Values and type are unchanged.
    Transpose { perm: Vec<usize> },
    /// Sigmoid or tanh by table lookup (hls4ml's `nnet::sigmoid`, `nnet::tanh`). With
    /// N = `table.size` = 2^n entries of `table_t` = `table.ty` and R = 16 (sigmoid) or 8 (tanh):
    /// ```text
    /// x_i      = (f32)(R·(i − N/2)/N)
    /// table[i] = cast(f(x_i) → table_t)   f = (f32)(1.0 / (f64)(1.0f + expf(−x_i)))  or  tanhf(x_i)
    /// y        = cast(table[clamp(trunc(x·N/R) + N/2, 0, N − 1)] → result)
    /// ```
    /// `trunc` rounds toward zero (so the centre bin is twice as wide); `expf`/`tanhf` are the
    /// platform libm's, as in hls4ml's emulation.
    Lut {
        function: LutFunction,
        table: Option<Table>,
    },
    /// A softmax over the last axis; see [`Softmax`] for each variant's arithmetic.
    Softmax(Option<Softmax>),
    /// `y = x > 0 ? cast(x → result) : cast(α_q·x → result)`, the product exact, with
    /// `α_q = from_f64(alpha → param)` (floored into `param` with its modes).
    LeakyRelu {
        alpha: f64,
        param: Option<FixedType>,
    },
    /// `y = cast(min(max(x, min), max) → result)`, exact before the cast; an absent bound does
    /// not clamp. ReLU6 is `Clip(0, 6)`, HardTanh `Clip(−1, 1)`.
    Clip { min: Option<f64>, max: Option<f64> },
    /// `y = cast(x → result)`: hls4ml's linear activation.
    Linear,
    /// A QONNX quantizer (`Quant`, `BipolarQuant`, `Trunc`, `MultiThreshold`): the exact level
    /// of each element, output as the exact value it stands for (see [`Quantizer`]). The
    /// output edge's type is [`Quantizer::output_type`] of the input edge's.
    Quantizer(Quantizer),
    /// Comparisons with constant thresholds: element `i`'s output mantissa is
    /// `steps(i).apply(x_i)` on the input mantissa (see [`Thresholds`]). Exactly the chain of
    /// elementwise layers (BatchNorm, a bias, casts, quantizers) it replaced, checked on every
    /// input mantissa when it was built.
    Thresholds(Thresholds),
}

/// Sliding-window geometry over a channels-last image `[in_h, in_w, channels]` (1-D: `in_h = 1`,
/// `kernel_h = stride_h = 1`). The image is already padded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Window {
    pub in_h: usize,
    pub in_w: usize,
    pub channels: usize,
    pub kernel_h: usize,
    pub kernel_w: usize,
    pub stride_h: usize,
    pub stride_w: usize,
}

impl Window {
    /// `(in_h − kernel_h) div stride_h + 1`.
    pub fn out_h(&self) -> usize {
        (self.in_h - self.kernel_h) / self.stride_h + 1
    }
    /// `(in_w − kernel_w) div stride_w + 1`.
    pub fn out_w(&self) -> usize {
        (self.in_w - self.kernel_w) / self.stride_w + 1
    }
    /// Elements of one window: `kernel_h · kernel_w · channels`.
    pub fn window_elements(&self) -> usize {
        self.kernel_h * self.kernel_w * self.channels
    }
    /// Index into the flat input `[in_h, in_w, channels]` of window element `k` (in `(fh, fw, c)`
    /// order) of output pixel `(oh, ow)`.
    pub fn input_index(&self, oh: usize, ow: usize, k: usize) -> usize {
        let c = k % self.channels;
        let fw = (k / self.channels) % self.kernel_w;
        let fh = k / (self.channels * self.kernel_w);
        ((oh * self.stride_h + fh) * self.in_w + ow * self.stride_w + fw) * self.channels + c
    }
}

/// A convolution: its geometry and the Dense layer applied to every window.
#[derive(Debug, Clone)]
pub struct Conv {
    pub window: Window,
    /// Weights `(kernel_h·kernel_w·C, F)` in `(fh, fw, c)` row order (ONNX `OIHW` transposed).
    pub dense: Dense,
    /// How the window is built in io_stream; resolved with the precisions.
    pub implementation: Option<crate::config::ConvImplementation>,
}

/// Rows and columns of padding around a channels-last image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Padding {
    pub top: usize,
    pub bottom: usize,
    pub left: usize,
    pub right: usize,
    /// Pads with the type's most negative value instead of zero (before a max pooling).
    pub minimum: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum PoolKind {
    Max,
    Average,
}

/// Accumulator and result types of a pooling layer.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PoolPrecision {
    pub accum: FixedType,
    pub result: FixedType,
}

#[derive(Debug, Clone)]
pub struct Pool {
    pub kind: PoolKind,
    pub window: Window,
    pub precision: Option<PoolPrecision>,
    /// How io_stream hardware builds the windows of a pool whose size differs from its stride
    /// (a pool equal to its stride always uses the per-axis tap tables of REFERENCE §6.4).
    pub implementation: Option<crate::config::ConvImplementation>,
}

#[derive(Debug, Clone)]
pub struct GlobalPool {
    pub kind: PoolKind,
    pub precision: Option<PoolPrecision>,
}

/// A per-channel affine map `y = scale·x + bias` (per element of a plain tensor), from ONNX
/// `BatchNormalization` in inference mode: `scale = γ / sqrt(var + ε)` and
/// `bias = β − scale·mean`, computed in `f32` as hls4ml does; or from a `Mul` by a constant, with
/// the constant `Add` after it, if any, as the bias.
#[derive(Debug, Clone)]
pub struct BatchNorm {
    pub scale: Array1<f64>,
    pub bias: Array1<f64>,
    pub precision: Option<BatchNormPrecision>,
    /// `(scale, bias)` mantissas of their types.
    pub quantized: Option<(Array1<i128>, Array1<i128>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct BatchNormPrecision {
    pub scale: FixedType,
    pub bias: FixedType,
    pub result: FixedType,
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
    /// Types the model itself gives the parameters, used instead of the configuration's.
    pub param_types: ParamTypes,
}

/// Parameter types a model fixes itself: those of QONNX quantizers on the weights or the bias,
/// which hold every parameter value exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ParamTypes {
    pub weight: Option<FixedType>,
    pub bias: Option<FixedType>,
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
            Op::Conv(c) if c.window.in_h == 1 && c.window.kernel_h == 1 => "Conv1D",
            Op::Conv(_) => "Conv2D",
            Op::Pad(_) => "ZeroPadding2D",
            Op::Transpose { .. } => "Transpose",
            Op::Pool(p) if p.window.in_h == 1 && p.window.kernel_h == 1 => "Pooling1D",
            Op::Pool(_) => "Pooling2D",
            Op::GlobalPool(_) => "GlobalPooling2D",
            Op::BatchNorm(_) => "BatchNormalization",
            Op::Add => "Merge",
            Op::Concat { .. } => "Concatenate",
            Op::Lut { .. } | Op::Clip { .. } | Op::Linear => "Activation",
            Op::Softmax(_) => "Softmax",
            Op::LeakyRelu { .. } => "LeakyReLU",
            Op::Quantizer(q) => q.op_type(),
            Op::Thresholds(_) => "Thresholds",
        }
    }

    /// How many operands the layer reads: none for the input, two or more for Add and Concat.
    pub fn operands(&self) -> std::ops::RangeInclusive<usize> {
        match self {
            Op::Input { .. } => 0..=0,
            Op::Add => 2..=2,
            Op::Concat { .. } => 2..=usize::MAX,
            _ => 1..=1,
        }
    }

    /// The Dense arithmetic of a Dense or Conv layer.
    pub fn dense(&self) -> Option<&Dense> {
        match self {
            Op::Dense(d) => Some(d),
            Op::Conv(c) => Some(&c.dense),
            _ => None,
        }
    }

    pub fn dense_mut(&mut self) -> Option<&mut Dense> {
        match self {
            Op::Dense(d) => Some(d),
            Op::Conv(c) => Some(&mut c.dense),
            _ => None,
        }
    }

    /// One line for IR dumps.
    pub fn summary(&self) -> String {
        match self {
            Op::Input {
                onnx_name, shape, ..
            } => format!("input '{onnx_name}' {shape:?}"),
            Op::Output { onnx_name, .. } => format!("output '{onnx_name}'"),
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
            Op::Conv(c) => {
                let w = &c.window;
                format!(
                    "conv {}x{} stride {}x{} over {}x{}x{} -> {} filters",
                    w.kernel_h,
                    w.kernel_w,
                    w.stride_h,
                    w.stride_w,
                    w.in_h,
                    w.in_w,
                    w.channels,
                    c.dense.weights.ncols()
                )
            }
            Op::Pad(p) => format!(
                "pad top {} bottom {} left {} right {}{}",
                p.top,
                p.bottom,
                p.left,
                p.right,
                if p.minimum { " with the minimum" } else { "" }
            ),
            Op::Pool(p) => format!(
                "{:?} pool {}x{} stride {}x{}",
                p.kind, p.window.kernel_h, p.window.kernel_w, p.window.stride_h, p.window.stride_w
            ),
            Op::GlobalPool(p) => format!("global {:?} pool", p.kind),
            Op::BatchNorm(b) => format!("batch norm over {} channels", b.scale.len()),
            Op::Transpose { .. } => "transpose".into(),
            Op::Add => "add".into(),
            Op::Concat { axis } => format!("concat along axis {axis}"),
            Op::Lut { function, table } => match table {
                Some(t) => format!("{} table {} x {}", function.name(), t.size, t.ty),
                None => function.name().into(),
            },
            Op::Softmax(s) => match s {
                Some(s) => format!("softmax {}", s.name()),
                None => "softmax".into(),
            },
            Op::LeakyRelu { alpha, param } => match param {
                Some(p) => format!("leaky relu alpha {alpha} in {p}"),
                None => format!("leaky relu alpha {alpha}"),
            },
            Op::Clip { min, max } => format!("clip min {min:?} max {max:?}"),
            Op::Linear => "linear".into(),
            Op::Quantizer(q) => q.summary(),
            Op::Thresholds(t) => format!(
                "thresholds (at most {} per element) for {}",
                t.most_thresholds(),
                t.fused.join(" + ")
            ),
        }
    }
}
