//! Writes ONNX models in the shapes exporters produce, for tests and bundled examples:
//! `torch.onnx.export` (Gemm with `transB = 1`, node names `/fc1/Gemm`, `/relu1/Relu`) and
//! tf2onnx (`MatMul` + `Add`, node names `sequential/dense/MatMul`). [`mlp`] writes multilayer
//! perceptrons, [`cnn`] sequential convolutional networks, [`uniform`] deterministic random
//! parameters for them.

use std::collections::HashSet;

use crate::onnx_proto::{
    attribute_proto::AttributeType, tensor_proto::DataType,
    tensor_shape_proto::dimension::Value as Dim, tensor_shape_proto::Dimension, type_proto,
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};
use ndarray::{Array, Array1, Array2, ArrayD, Dimension as _, IntoDimension};
use rand::{Rng, SeedableRng};

/// Which exporter's graph shape to imitate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `torch.onnx.export(..., dynamo=False)`: Gemm(transB=1) with `(n_out, n_in)` weights.
    Torch,
    /// tf2onnx: MatMul with `(n_in, n_out)` weights followed by Add.
    TfMatMulAdd,
}

/// One fully connected layer, optionally followed by a ReLU.
#[derive(Debug, Clone)]
pub struct DenseLayer {
    /// Module name (`fc1`); the ReLU is named `relu` + the layer's 1-based position.
    pub name: String,
    /// `(n_out, n_in)`, as `torch.nn.Linear.weight`.
    pub weight: Array2<f32>,
    pub bias: Option<Array1<f32>>,
    pub relu: bool,
}

fn tensor(name: &str, dims: &[usize], values: impl Iterator<Item = f32>) -> TensorProto {
    let raw: Vec<u8> = values.flat_map(f32::to_le_bytes).collect();
    TensorProto {
        name: Some(name.into()),
        dims: dims.iter().map(|&d| d as i64).collect(),
        data_type: Some(DataType::Float as i32),
        raw_data: Some(raw),
        ..Default::default()
    }
}

/// A float tensor's name and shape; `None` is a symbolic (batch) dimension.
pub fn value_info(name: &str, dims: &[Option<i64>]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Some(v) => Dim::DimValue(*v),
                None => Dim::DimParam("batch".into()),
            }),
            ..Default::default()
        })
        .collect();
    ValueInfoProto {
        name: Some(name.into()),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: Some(DataType::Float as i32),
                shape: Some(TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A node of the default domain.
pub fn node(
    name: &str,
    op: &str,
    inputs: &[&str],
    outputs: &[&str],
    attrs: Vec<AttributeProto>,
) -> NodeProto {
    NodeProto {
        name: Some(name.into()),
        op_type: Some(op.into()),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: outputs.iter().map(|s| s.to_string()).collect(),
        attribute: attrs,
        ..Default::default()
    }
}

/// An integer attribute.
pub fn int_attr(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        i: Some(v),
        r#type: Some(AttributeType::Int as i32),
        ..Default::default()
    }
}

/// A float attribute.
pub fn float_attr(name: &str, v: f32) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        f: Some(v),
        r#type: Some(AttributeType::Float as i32),
        ..Default::default()
    }
}

/// An integer-list attribute.
pub fn ints_attr(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        ints: v.to_vec(),
        r#type: Some(AttributeType::Ints as i32),
        ..Default::default()
    }
}

/// A string attribute.
pub fn string_attr(name: &str, v: &str) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        s: Some(v.as_bytes().to_vec()),
        r#type: Some(AttributeType::String as i32),
        ..Default::default()
    }
}

/// An integer-list attribute of sizes.
fn sizes_attr(name: &str, v: &[usize]) -> AttributeProto {
    ints_attr(name, &v.iter().map(|&x| x as i64).collect::<Vec<_>>())
}

/// `[batch, dims...]` for [`value_info`].
fn batched(dims: &[usize]) -> Vec<Option<i64>> {
    std::iter::once(None)
        .chain(dims.iter().map(|&d| Some(d as i64)))
        .collect()
}

/// Appends node `name` (`op`, `attrs`) reading `input` then the initializers `params`, which it
/// appends too, and writing `output`.
fn push_node(
    g: &mut GraphProto,
    name: &str,
    op: &str,
    input: &str,
    params: Vec<TensorProto>,
    output: &str,
    attrs: Vec<AttributeProto>,
) {
    let inputs: Vec<&str> = std::iter::once(input)
        .chain(params.iter().map(TensorProto::name))
        .collect();
    g.node.push(node(name, op, &inputs, &[output], attrs));
    g.initializer.extend(params);
}

/// The initializers `{module}.weight` (shape and row-major values of `weight`) and, if given,
/// `{module}.bias`, as torch names a module's parameters.
fn weight_bias<D: ndarray::Dimension>(
    module: &str,
    weight: &Array<f32, D>,
    bias: Option<&Array1<f32>>,
) -> Vec<TensorProto> {
    let mut params = vec![tensor(
        &format!("{module}.weight"),
        weight.shape(),
        weight.iter().copied(),
    )];
    if let Some(b) = bias {
        params.push(tensor(
            &format!("{module}.bias"),
            &[b.len()],
            b.iter().copied(),
        ));
    }
    params
}

/// The attributes of an `nn.Linear` Gemm: `transB = 1` (weights `(n_out, n_in)`) and `alpha = 1`
/// (torch also writes `beta = 1`, the default).
fn torch_gemm_attrs() -> Vec<AttributeProto> {
    vec![int_attr("transB", 1), float_attr("alpha", 1.0)]
}

/// A model of `graph` with IR version 8 and the default domain at opset 13.
fn model(graph: GraphProto) -> ModelProto {
    ModelProto {
        ir_version: Some(8),
        producer_name: Some("rtlgen-modelgen".into()),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(13),
        }],
        graph: Some(graph),
        ..Default::default()
    }
}

/// A multilayer perceptron taking input `x` of per-sample shape `input_shape` (a Flatten is
/// inserted when it has more than one dimension) and producing `y`.
pub fn mlp(input_shape: &[usize], layers: &[DenseLayer], style: Style) -> ModelProto {
    let mut g = GraphProto {
        name: Some("rtlgen_mlp".into()),
        ..Default::default()
    };
    g.input.push(value_info("x", &batched(input_shape)));
    let mut cur = "x".to_string();
    if input_shape.len() > 1 {
        g.node.push(node(
            "/flatten/Flatten",
            "Flatten",
            &[&cur],
            &["/flatten/Flatten_output_0"],
            vec![int_attr("axis", 1)],
        ));
        cur = "/flatten/Flatten_output_0".into();
    }
    for (k, l) in layers.iter().enumerate() {
        let (n_out, n_in) = l.weight.dim();
        let last = k + 1 == layers.len() && !l.relu;
        let out_name = |op: &str| {
            if last {
                "y".to_string()
            } else {
                format!("/{}/{op}_output_0", l.name)
            }
        };
        match style {
            Style::Torch => {
                let out = out_name("Gemm");
                push_node(
                    &mut g,
                    &format!("/{}/Gemm", l.name),
                    "Gemm",
                    &cur,
                    weight_bias(&l.name, &l.weight, l.bias.as_ref()),
                    &out,
                    torch_gemm_attrs(),
                );
                cur = out;
            }
            Style::TfMatMulAdd => {
                let wname = format!("sequential/{}/MatMul/ReadVariableOp:0", l.name);
                g.initializer
                    .push(tensor(&wname, &[n_in, n_out], l.weight.t().iter().copied()));
                let has_bias = l.bias.is_some();
                let mm_out = if has_bias || !last {
                    format!("sequential/{}/MatMul:0", l.name)
                } else {
                    "y".into()
                };
                g.node.push(node(
                    &format!("sequential/{}/MatMul", l.name),
                    "MatMul",
                    &[&cur, &wname],
                    &[&mm_out],
                    vec![],
                ));
                cur = mm_out;
                if let Some(b) = &l.bias {
                    let bname = format!("sequential/{}/BiasAdd/ReadVariableOp:0", l.name);
                    g.initializer
                        .push(tensor(&bname, &[n_out], b.iter().copied()));
                    let out = if last {
                        "y".to_string()
                    } else {
                        format!("sequential/{}/BiasAdd:0", l.name)
                    };
                    g.node.push(node(
                        &format!("sequential/{}/BiasAdd", l.name),
                        "Add",
                        &[&cur, &bname],
                        &[&out],
                        vec![],
                    ));
                    cur = out;
                }
            }
        }
        if l.relu {
            let relu = format!("relu{}", k + 1);
            let out = if k + 1 == layers.len() {
                "y".to_string()
            } else {
                format!("/{relu}/Relu_output_0")
            };
            g.node.push(node(
                &format!("/{relu}/Relu"),
                "Relu",
                &[&cur],
                &[&out],
                vec![],
            ));
            cur = out;
        }
    }
    let n_out = layers
        .last()
        .map_or(input_shape.iter().product(), |l| l.weight.nrows());
    g.output.push(value_info(&cur, &[None, Some(n_out as i64)]));
    model(g)
}

/// Writes a model node by node in torch's naming: each call appends a node reading named
/// tensors and returns its output's name, so any directed acyclic graph can be written
/// (skip connections, branches). The model input is `x`.
#[derive(Debug, Clone)]
pub struct GraphBuilder {
    graph: GraphProto,
}

impl GraphBuilder {
    /// A graph whose input `x` has per-sample shape `input_shape`.
    pub fn new(input_shape: &[usize]) -> Self {
        let mut graph = GraphProto {
            name: Some("rtlgen_graph".into()),
            ..Default::default()
        };
        graph.input.push(value_info("x", &batched(input_shape)));
        GraphBuilder { graph }
    }

    fn push(
        &mut self,
        name: &str,
        op: &str,
        inputs: &[&str],
        attrs: Vec<AttributeProto>,
    ) -> String {
        let out = format!("/{name}/{op}_output_0");
        self.graph
            .node
            .push(node(&format!("/{name}/{op}"), op, inputs, &[&out], attrs));
        out
    }

    /// `nn.Linear` module `name` with `(n_out, n_in)` weights.
    pub fn gemm(
        &mut self,
        name: &str,
        input: &str,
        weight: &Array2<f32>,
        bias: Option<&Array1<f32>>,
    ) -> String {
        let params = weight_bias(name, weight, bias);
        let names: Vec<String> = params.iter().map(|t| t.name().to_owned()).collect();
        self.graph.initializer.extend(params);
        let mut inputs = vec![input];
        inputs.extend(names.iter().map(String::as_str));
        self.push(name, "Gemm", &inputs, torch_gemm_attrs())
    }

    pub fn relu(&mut self, name: &str, input: &str) -> String {
        self.push(name, "Relu", &[input], vec![])
    }

    /// `nn.Conv1d`/`nn.Conv2d` module `name` with `dilation = 1`, `groups = 1`: `weight` is
    /// `(F, C, kernel...)`; `stride` has one entry per spatial axis, `pads` two (ONNX order).
    pub fn conv(
        &mut self,
        name: &str,
        input: &str,
        weight: &ArrayD<f32>,
        bias: Option<&Array1<f32>>,
        stride: &[usize],
        pads: &[usize],
    ) -> String {
        let params = weight_bias(name, weight, bias);
        let names: Vec<String> = params.iter().map(|t| t.name().to_owned()).collect();
        self.graph.initializer.extend(params);
        let mut inputs = vec![input];
        inputs.extend(names.iter().map(String::as_str));
        let kernel = &weight.shape()[2..];
        let attrs = vec![
            sizes_attr("dilations", &vec![1; kernel.len()]),
            int_attr("group", 1),
            sizes_attr("kernel_shape", kernel),
            sizes_attr("pads", pads),
            sizes_attr("strides", stride),
        ];
        self.push(name, "Conv", &inputs, attrs)
    }

    /// `nn.Flatten()`: Flatten with `axis = 1`.
    pub fn flatten(&mut self, name: &str, input: &str) -> String {
        self.push(name, "Flatten", &[input], vec![int_attr("axis", 1)])
    }

    /// A node of type `op` (an activation such as `Sigmoid` or `Softmax`) named `/{name}/{op}`.
    pub fn op(
        &mut self,
        name: &str,
        op: &str,
        inputs: &[&str],
        attrs: Vec<AttributeProto>,
    ) -> String {
        self.push(name, op, inputs, attrs)
    }

    /// A `Constant` node holding the float32 scalar `value` (as torch writes Clip bounds).
    pub fn constant(&mut self, name: &str, value: f32) -> String {
        let attr = AttributeProto {
            name: Some("value".into()),
            t: Some(tensor(name, &[], std::iter::once(value))),
            r#type: Some(AttributeType::Tensor as i32),
            ..Default::default()
        };
        self.push(name, "Constant", &[], vec![attr])
    }

    /// `a + b`, element-wise.
    pub fn add(&mut self, name: &str, a: &str, b: &str) -> String {
        self.push(name, "Add", &[a, b], vec![])
    }

    /// `torch.cat(inputs, dim = axis)`.
    pub fn concat(&mut self, name: &str, inputs: &[&str], axis: i64) -> String {
        self.push(name, "Concat", inputs, vec![int_attr("axis", axis)])
    }

    /// The model whose output is `output`, of per-sample shape `output_shape`.
    pub fn finish(mut self, output: &str, output_shape: &[usize]) -> ModelProto {
        self.graph
            .output
            .push(value_info(output, &batched(output_shape)));
        model(self.graph)
    }
}

/// Padding derived from the input size, written as a convolution's `auto_pad` attribute instead
/// of `pads` (as tf2onnx may write it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoPad {
    /// `SAME_UPPER`: output size `ceil(in / stride)`; an odd total padding puts the extra element
    /// at the end.
    SameUpper,
    /// `SAME_LOWER`: as `SameUpper` with the extra element at the beginning.
    SameLower,
    /// `VALID`: no padding, output size `floor((in - k) / stride) + 1`.
    Valid,
}

impl AutoPad {
    /// The attribute value.
    fn as_str(self) -> &'static str {
        match self {
            AutoPad::SameUpper => "SAME_UPPER",
            AutoPad::SameLower => "SAME_LOWER",
            AutoPad::Valid => "VALID",
        }
    }
}

/// One layer of a sequential CNN, written as `torch.onnx.export(..., dynamo=False,
/// opset_version=13)` writes the `torch.nn` module `name` (an identifier, unique in the network):
/// the node `/{name}/{Op}` (`/conv1/Conv`, `/bn1/BatchNormalization`) writes
/// `/{name}/{Op}_output_0`, or `y` for the network's last layer, and the module's parameters are
/// the initializers `{name}.weight`, `{name}.bias`, ...
///
/// A layer's input is `(N, C, spatial...)` with one spatial axis (`(N, C, L)`, the `nn.*1d`
/// modules) or two (`(N, C, H, W)`, `nn.*2d`), or `(N, features)` after a Flatten. Per spatial
/// axis, `kernel` and `stride` hold one entry and `pads` two, in ONNX order: every axis's
/// beginning, then every axis's end (`[h_begin, w_begin, h_end, w_end]`, `[begin, end]`).
#[derive(Debug, Clone)]
pub enum CnnLayer {
    /// `nn.Conv1d` / `nn.Conv2d` with `dilation = 1`, `groups = 1`: Conv with the attributes
    /// `dilations` (ones), `group = 1`, `kernel_shape`, `pads` or `auto_pad`, and `strides`.
    Conv {
        name: String,
        /// `(F, C, k)` or `(F, C, kh, kw)` as `torch.nn.ConvNd.weight`: `F` output channels, `C`
        /// the input's channels, the kernel; its rank is the input's.
        weight: ArrayD<f32>,
        /// `F` values.
        bias: Option<Array1<f32>>,
        /// At least 1 per spatial axis.
        stride: Vec<usize>,
        /// Explicit padding; empty when `auto_pad` is set.
        pads: Vec<usize>,
        /// Written as the `auto_pad` attribute in place of `pads` when set.
        auto_pad: Option<AutoPad>,
    },
    /// `nn.MaxPool1d` / `nn.MaxPool2d` (floor mode, `dilation = 1`): MaxPool with `ceil_mode = 0`,
    /// `dilations` (ones), `kernel_shape`, `pads`, `strides`.
    MaxPool {
        name: String,
        kernel: Vec<usize>,
        stride: Vec<usize>,
        pads: Vec<usize>,
    },
    /// `nn.AvgPool1d` / `nn.AvgPool2d` (floor mode): AveragePool with `ceil_mode = 0`,
    /// `count_include_pad` (0 or 1: whether padding counts in the divisor, torch's default),
    /// `kernel_shape`, `pads`, `strides`.
    AveragePool {
        name: String,
        kernel: Vec<usize>,
        stride: Vec<usize>,
        pads: Vec<usize>,
        count_include_pad: bool,
    },
    /// GlobalMaxPool: the maximum over all spatial positions, each spatial axis becoming 1.
    GlobalMaxPool { name: String },
    /// GlobalAveragePool (`nn.AdaptiveAvgPool2d(1)`): the mean over all spatial positions, each
    /// spatial axis becoming 1.
    GlobalAveragePool { name: String },
    /// `nn.BatchNorm1d` / `nn.BatchNorm2d` in eval mode: BatchNormalization with `epsilon` and
    /// torch's `momentum = 0.9` (one minus the module's 0.1), computing per channel
    /// `scale · (x − mean) / sqrt(var + epsilon) + bias` from the initializers `{name}.weight`
    /// (scale, γ), `{name}.bias` (β), `{name}.running_mean` and `{name}.running_var`, one value
    /// per input channel (or feature) each. (torch folds a BatchNorm that follows a Conv into
    /// the Conv unless exported with `training=TrainingMode.PRESERVE`; one after a Linear stays.)
    BatchNorm {
        name: String,
        scale: Array1<f32>,
        bias: Array1<f32>,
        mean: Array1<f32>,
        var: Array1<f32>,
        epsilon: f32,
    },
    /// `nn.ReLU`: Relu.
    Relu { name: String },
    /// `nn.Flatten()`: Flatten with `axis = 1`, giving `(N, product of the other axes)`.
    Flatten { name: String },
    /// `nn.Linear` on a flattened input: Gemm with `transB = 1` and `alpha = 1`, as [`mlp`]
    /// writes it with [`Style::Torch`] (torch also writes `beta = 1`, the default).
    Gemm {
        name: String,
        /// `(n_out, n_in)`, as `torch.nn.Linear.weight`; `n_in` is the input's feature count.
        weight: Array2<f32>,
        /// `n_out` values.
        bias: Option<Array1<f32>>,
    },
}

impl CnnLayer {
    /// The module name.
    fn name(&self) -> &str {
        match self {
            CnnLayer::Conv { name, .. }
            | CnnLayer::MaxPool { name, .. }
            | CnnLayer::AveragePool { name, .. }
            | CnnLayer::GlobalMaxPool { name }
            | CnnLayer::GlobalAveragePool { name }
            | CnnLayer::BatchNorm { name, .. }
            | CnnLayer::Relu { name }
            | CnnLayer::Flatten { name }
            | CnnLayer::Gemm { name, .. } => name,
        }
    }

    /// The ONNX operator.
    fn op_type(&self) -> &'static str {
        match self {
            CnnLayer::Conv { .. } => "Conv",
            CnnLayer::MaxPool { .. } => "MaxPool",
            CnnLayer::AveragePool { .. } => "AveragePool",
            CnnLayer::GlobalMaxPool { .. } => "GlobalMaxPool",
            CnnLayer::GlobalAveragePool { .. } => "GlobalAveragePool",
            CnnLayer::BatchNorm { .. } => "BatchNormalization",
            CnnLayer::Relu { .. } => "Relu",
            CnnLayer::Flatten { .. } => "Flatten",
            CnnLayer::Gemm { .. } => "Gemm",
        }
    }
}

/// A per-sample shape `(C, spatial...)` split into `C` and the spatial axes, of which `node`
/// needs at least one.
fn channels_spatial<'a>(node: &str, shape: &'a [usize]) -> (usize, &'a [usize]) {
    assert!(
        shape.len() >= 2,
        "{node}: needs a (C, spatial...) input, found {shape:?}"
    );
    (shape[0], &shape[1..])
}

/// The spatial output shape of `node`, a `kernel` window moved by `stride` over `input` padded
/// by `pads` (ONNX order), by the ONNX floor-mode rule `(in + begin + end − k) / stride + 1`.
fn window_out(
    node: &str,
    input: &[usize],
    kernel: &[usize],
    stride: &[usize],
    pads: &[usize],
) -> Vec<usize> {
    let n = input.len();
    assert!(
        kernel.len() == n && stride.len() == n && pads.len() == 2 * n,
        "{node}: kernel {kernel:?}, stride {stride:?}, pads {pads:?} for spatial input {input:?}"
    );
    (0..n)
        .map(|i| {
            let padded = input[i] + pads[i] + pads[n + i];
            assert!(
                stride[i] >= 1 && kernel[i] >= 1 && kernel[i] <= padded,
                "{node}: kernel {kernel:?}, stride {stride:?} over padded input axis {i} of {padded}"
            );
            (padded - kernel[i]) / stride[i] + 1
        })
        .collect()
}

/// The spatial output shape of convolution `node` with `auto_pad`, by the ONNX rules.
fn auto_pad_out(
    node: &str,
    auto_pad: AutoPad,
    input: &[usize],
    kernel: &[usize],
    stride: &[usize],
) -> Vec<usize> {
    assert!(
        stride.len() == input.len() && stride.iter().all(|&s| s >= 1),
        "{node}: stride {stride:?} for spatial input {input:?}"
    );
    match auto_pad {
        AutoPad::SameUpper | AutoPad::SameLower => input
            .iter()
            .zip(stride)
            .map(|(i, s)| i.div_ceil(*s))
            .collect(),
        AutoPad::Valid => window_out(node, input, kernel, stride, &vec![0; 2 * input.len()]),
    }
}

/// A sequential CNN in torch's channels-first layout, written as `torch.onnx.export(...,
/// dynamo=False, opset_version=13)` writes it (see [`CnnLayer`]): input `x` of shape
/// `(batch, input_shape...)`, with `input_shape` `[C, H, W]` or `[C, L]` (or `[features]`, then
/// starting with a BatchNorm, Relu, Flatten or Gemm), then `layers` in order, the last writing
/// `y`. Both are declared with the symbolic dimension `batch`; `y`'s other dimensions follow
/// from the layers by the ONNX output-size rules (floor mode). IR version 8, opset 13.
///
/// # Panics
/// If `input_shape` or `layers` is empty, two layers share a name, or a layer does not fit its input: a Conv
/// weight's rank or `C`, a Gemm's `n_in`, or a BatchNorm's parameter count differing from the
/// input's, a bias of the wrong length, a spatial layer without a spatial input axis, a Gemm on
/// a `(N, C, spatial...)` input, `kernel`, `stride` or `pads` of the wrong length, a zero
/// stride, `pads` with `auto_pad`, or a window larger than its padded input.
pub fn cnn(input_shape: &[usize], layers: &[CnnLayer]) -> ModelProto {
    assert!(
        !input_shape.is_empty() && !layers.is_empty(),
        "cnn: input shape {input_shape:?} with {} layers",
        layers.len()
    );
    let mut g = GraphProto {
        name: Some("rtlgen_cnn".into()),
        ..Default::default()
    };
    g.input.push(value_info("x", &batched(input_shape)));
    let mut shape = input_shape.to_vec();
    let mut cur = "x".to_string();
    let mut names = HashSet::new();
    for (k, layer) in layers.iter().enumerate() {
        let name = layer.name();
        assert!(names.insert(name), "cnn: two layers are named {name}");
        let op = layer.op_type();
        let node_name = format!("/{name}/{op}");
        let len_is = |what: &str, v: &Array1<f32>, n: usize| {
            assert!(
                v.len() == n,
                "{node_name}: {what} has {} values for {n} channels",
                v.len()
            )
        };
        let (params, attrs, out_shape) = match layer {
            CnnLayer::Conv {
                weight,
                bias,
                stride,
                pads,
                auto_pad,
                ..
            } => {
                let (c, spatial) = channels_spatial(&node_name, &shape);
                let w = weight.shape();
                assert!(
                    w.len() == shape.len() + 1 && w[1] == c,
                    "{node_name}: weight {w:?} for input {shape:?}"
                );
                if let Some(b) = bias {
                    len_is("bias", b, w[0]);
                }
                let kernel = &w[2..];
                let (pad_attr, out) = match auto_pad {
                    None => (
                        sizes_attr("pads", pads),
                        window_out(&node_name, spatial, kernel, stride, pads),
                    ),
                    Some(mode) => {
                        assert!(pads.is_empty(), "{node_name}: pads {pads:?} with auto_pad");
                        (
                            string_attr("auto_pad", mode.as_str()),
                            auto_pad_out(&node_name, *mode, spatial, kernel, stride),
                        )
                    }
                };
                let attrs = vec![
                    sizes_attr("dilations", &vec![1; spatial.len()]),
                    int_attr("group", 1),
                    sizes_attr("kernel_shape", kernel),
                    pad_attr,
                    sizes_attr("strides", stride),
                ];
                let out_shape = std::iter::once(w[0]).chain(out).collect();
                (weight_bias(name, weight, bias.as_ref()), attrs, out_shape)
            }
            CnnLayer::MaxPool {
                kernel,
                stride,
                pads,
                ..
            } => {
                let (c, spatial) = channels_spatial(&node_name, &shape);
                let out = window_out(&node_name, spatial, kernel, stride, pads);
                let attrs = vec![
                    int_attr("ceil_mode", 0),
                    sizes_attr("dilations", &vec![1; spatial.len()]),
                    sizes_attr("kernel_shape", kernel),
                    sizes_attr("pads", pads),
                    sizes_attr("strides", stride),
                ];
                (vec![], attrs, std::iter::once(c).chain(out).collect())
            }
            CnnLayer::AveragePool {
                kernel,
                stride,
                pads,
                count_include_pad,
                ..
            } => {
                let (c, spatial) = channels_spatial(&node_name, &shape);
                let out = window_out(&node_name, spatial, kernel, stride, pads);
                let attrs = vec![
                    int_attr("ceil_mode", 0),
                    int_attr("count_include_pad", i64::from(*count_include_pad)),
                    sizes_attr("kernel_shape", kernel),
                    sizes_attr("pads", pads),
                    sizes_attr("strides", stride),
                ];
                (vec![], attrs, std::iter::once(c).chain(out).collect())
            }
            CnnLayer::GlobalMaxPool { .. } | CnnLayer::GlobalAveragePool { .. } => {
                let (c, spatial) = channels_spatial(&node_name, &shape);
                let out_shape = std::iter::once(c)
                    .chain(spatial.iter().map(|_| 1))
                    .collect();
                (vec![], vec![], out_shape)
            }
            CnnLayer::BatchNorm {
                scale,
                bias,
                mean,
                var,
                epsilon,
                ..
            } => {
                let c = shape[0];
                let params = [
                    ("weight", scale),
                    ("bias", bias),
                    ("running_mean", mean),
                    ("running_var", var),
                ]
                .map(|(what, v)| {
                    len_is(what, v, c);
                    tensor(&format!("{name}.{what}"), &[c], v.iter().copied())
                });
                let attrs = vec![float_attr("epsilon", *epsilon), float_attr("momentum", 0.9)];
                (params.into(), attrs, shape.clone())
            }
            CnnLayer::Relu { .. } => (vec![], vec![], shape.clone()),
            CnnLayer::Flatten { .. } => (
                vec![],
                vec![int_attr("axis", 1)],
                vec![shape.iter().product()],
            ),
            CnnLayer::Gemm { weight, bias, .. } => {
                let (n_out, n_in) = weight.dim();
                assert!(
                    shape == [n_in],
                    "{node_name}: weight ({n_out}, {n_in}) for input {shape:?}"
                );
                if let Some(b) = bias {
                    len_is("bias", b, n_out);
                }
                let params = weight_bias(name, weight, bias.as_ref());
                (params, torch_gemm_attrs(), vec![n_out])
            }
        };
        let out = if k + 1 == layers.len() {
            "y".to_string()
        } else {
            format!("{node_name}_output_0")
        };
        push_node(&mut g, &node_name, op, &cur, params, &out, attrs);
        cur = out;
        shape = out_shape;
    }
    g.output.push(value_info("y", &batched(&shape)));
    model(g)
}

/// An array of `shape` with elements drawn uniformly from `[lo, hi)`, in row-major order, by
/// `rand::rngs::StdRng::seed_from_u64(seed)`: equal arguments give equal arrays (on one version
/// of `rand`). `shape` is a `usize` for an [`Array1`], a tuple for a fixed rank or a `&[usize]`
/// for an [`ArrayD`]. Panics unless `lo < hi` (both finite).
pub fn uniform<Sh: IntoDimension>(shape: Sh, lo: f32, hi: f32, seed: u64) -> Array<f32, Sh::Dim> {
    let dim = shape.into_dimension();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let values = (0..dim.size()).map(|_| rng.random_range(lo..hi)).collect();
    Array::from_shape_vec(dim, values).expect("as many values as the shape holds")
}

/// Serialises a model to bytes.
pub fn encode(model: &ModelProto) -> Vec<u8> {
    prost::Message::encode_to_vec(model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::IxDyn;
    use prost::Message;

    /// The attribute `name` of `n`.
    fn attr<'a>(n: &'a NodeProto, name: &str) -> &'a AttributeProto {
        n.attribute
            .iter()
            .find(|a| a.name() == name)
            .unwrap_or_else(|| panic!("{} has no attribute {name}", n.name()))
    }

    /// The attribute names of `n`, in order.
    fn attr_names(n: &NodeProto) -> Vec<&str> {
        n.attribute.iter().map(AttributeProto::name).collect()
    }

    /// The dimensions of a graph input or output; `-1` for the symbolic batch.
    fn dims(v: &ValueInfoProto) -> Vec<i64> {
        let Some(type_proto::Value::TensorType(t)) = &v.r#type.as_ref().unwrap().value else {
            panic!("{} is not a tensor", v.name());
        };
        t.shape
            .as_ref()
            .unwrap()
            .dim
            .iter()
            .map(|d| match &d.value {
                Some(Dim::DimValue(v)) => *v,
                Some(Dim::DimParam(p)) if p == "batch" => -1,
                other => panic!("unexpected dimension {other:?}"),
            })
            .collect()
    }

    /// `(name, dims, values)` of every initializer.
    fn initializers(g: &GraphProto) -> Vec<(&str, Vec<i64>, Vec<f32>)> {
        g.initializer
            .iter()
            .map(|t| {
                let raw = t.raw_data();
                let values = raw
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
                    .collect();
                (t.name(), t.dims.clone(), values)
            })
            .collect()
    }

    /// Writes `m` to a file in `dir` and reads it back.
    fn round_trip(dir: &tempfile::TempDir, file: &str, m: &ModelProto) -> ModelProto {
        let path = dir.path().join(file);
        std::fs::write(&path, encode(m)).unwrap();
        ModelProto::decode(std::fs::read(&path).unwrap().as_slice()).unwrap()
    }

    /// A Conv with `weight` of `shape` and a bias.
    fn conv(
        name: &str,
        shape: &[usize],
        stride: &[usize],
        pads: &[usize],
        auto_pad: Option<AutoPad>,
    ) -> CnnLayer {
        CnnLayer::Conv {
            name: name.into(),
            weight: uniform(shape, -1.0, 1.0, 1),
            bias: Some(uniform(shape[0], -1.0, 1.0, 2)),
            stride: stride.to_vec(),
            pads: pads.to_vec(),
            auto_pad,
        }
    }

    fn relu(name: &str) -> CnnLayer {
        CnnLayer::Relu { name: name.into() }
    }

    fn flatten() -> CnnLayer {
        CnnLayer::Flatten {
            name: "flatten".into(),
        }
    }

    /// Conv2d (3×2 kernel, stride (2, 1), pads (1, 0)) → BatchNorm2d → ReLU → MaxPool2d(2) →
    /// AvgPool2d(2, stride 1, padding 1, count_include_pad=False) → Flatten → Linear(36, 5) → ReLU
    /// → Linear(5, 3, bias=False) on a (2, 9, 6) input.
    fn net_2d() -> Vec<CnnLayer> {
        vec![
            conv("conv1", &[4, 2, 3, 2], &[2, 1], &[1, 0, 1, 0], None),
            CnnLayer::BatchNorm {
                name: "bn1".into(),
                scale: uniform(4, 0.5, 1.5, 3),
                bias: uniform(4, -1.0, 1.0, 4),
                mean: uniform(4, -1.0, 1.0, 5),
                var: uniform(4, 0.5, 2.0, 6),
                epsilon: 1e-3,
            },
            relu("relu1"),
            CnnLayer::MaxPool {
                name: "pool1".into(),
                kernel: vec![2, 2],
                stride: vec![2, 2],
                pads: vec![0, 0, 0, 0],
            },
            CnnLayer::AveragePool {
                name: "pool2".into(),
                kernel: vec![2, 2],
                stride: vec![1, 1],
                pads: vec![1, 1, 1, 1],
                count_include_pad: false,
            },
            flatten(),
            CnnLayer::Gemm {
                name: "fc1".into(),
                weight: uniform((5, 36), -0.2, 0.2, 7),
                bias: Some(uniform(5, -1.0, 1.0, 8)),
            },
            relu("relu2"),
            CnnLayer::Gemm {
                name: "fc2".into(),
                weight: uniform((3, 5), -1.0, 1.0, 9),
                bias: None,
            },
        ]
    }

    #[test]
    fn cnn_2d_follows_the_torch_export() {
        let dir = tempfile::tempdir().unwrap();
        let layers = net_2d();
        let m = round_trip(&dir, "cnn2d.onnx", &cnn(&[2, 9, 6], &layers));
        assert_eq!(m, cnn(&[2, 9, 6], &layers));
        assert_eq!((m.ir_version(), m.opset_import[0].version()), (8, 13));
        let g = m.graph.as_ref().unwrap();
        let names: Vec<&str> = g.node.iter().map(NodeProto::name).collect();
        assert_eq!(
            names,
            [
                "/conv1/Conv",
                "/bn1/BatchNormalization",
                "/relu1/Relu",
                "/pool1/MaxPool",
                "/pool2/AveragePool",
                "/flatten/Flatten",
                "/fc1/Gemm",
                "/relu2/Relu",
                "/fc2/Gemm"
            ]
        );
        // Each node reads the previous one's output, then its parameters; the last writes y.
        for (k, n) in g.node.iter().enumerate() {
            assert_eq!(n.op_type(), n.name().rsplit('/').next().unwrap());
            let input = if k == 0 {
                "x".to_string()
            } else {
                format!("{}_output_0", g.node[k - 1].name())
            };
            assert_eq!(n.input[0], input);
            let output = if k + 1 == g.node.len() {
                "y".to_string()
            } else {
                format!("{}_output_0", n.name())
            };
            assert_eq!(n.output, [output]);
        }
        let inputs = |k: usize| g.node[k].input[1..].to_vec();
        assert_eq!(inputs(0), ["conv1.weight", "conv1.bias"]);
        assert_eq!(
            inputs(1),
            [
                "bn1.weight",
                "bn1.bias",
                "bn1.running_mean",
                "bn1.running_var"
            ]
        );
        assert_eq!(inputs(6), ["fc1.weight", "fc1.bias"]);
        assert_eq!(inputs(8), ["fc2.weight"]);
        for k in [2, 3, 4, 5, 7] {
            assert!(inputs(k).is_empty());
        }

        let conv = &g.node[0];
        assert_eq!(
            attr_names(conv),
            ["dilations", "group", "kernel_shape", "pads", "strides"]
        );
        assert_eq!(attr(conv, "dilations").ints, [1, 1]);
        assert_eq!(attr(conv, "group").i(), 1);
        assert_eq!(attr(conv, "kernel_shape").ints, [3, 2]);
        assert_eq!(attr(conv, "pads").ints, [1, 0, 1, 0]);
        assert_eq!(attr(conv, "strides").ints, [2, 1]);
        let bn = &g.node[1];
        assert_eq!(attr_names(bn), ["epsilon", "momentum"]);
        assert_eq!(attr(bn, "epsilon").f(), 1e-3);
        assert_eq!(attr(bn, "momentum").f(), 0.9);
        let max = &g.node[3];
        assert_eq!(
            attr_names(max),
            ["ceil_mode", "dilations", "kernel_shape", "pads", "strides"]
        );
        assert_eq!(attr(max, "ceil_mode").i(), 0);
        assert_eq!(attr(max, "kernel_shape").ints, [2, 2]);
        assert_eq!(attr(max, "strides").ints, [2, 2]);
        let avg = &g.node[4];
        assert_eq!(
            attr_names(avg),
            [
                "ceil_mode",
                "count_include_pad",
                "kernel_shape",
                "pads",
                "strides"
            ]
        );
        assert_eq!(attr(avg, "count_include_pad").i(), 0);
        assert_eq!(attr(avg, "pads").ints, [1, 1, 1, 1]);
        assert_eq!(attr(avg, "strides").ints, [1, 1]);
        assert_eq!(attr(&g.node[5], "axis").i(), 1);
        for k in [6, 8] {
            assert_eq!(attr(&g.node[k], "transB").i(), 1);
            assert_eq!(attr(&g.node[k], "alpha").f(), 1.0);
        }
        assert!(g.node[2].attribute.is_empty());

        // (2, 9, 6) -conv-> (4, 5, 5) -maxpool-> (4, 2, 2) -avgpool-> (4, 3, 3) -flatten-> 36
        // (which the Gemm's n_in must match) -> 5 -> 3.
        assert_eq!(dims(&g.input[0]), [-1, 2, 9, 6]);
        assert_eq!(dims(&g.output[0]), [-1, 3]);
        assert_eq!(g.output[0].name(), "y");

        let inits = initializers(g);
        let expect: Vec<(&str, Vec<i64>)> = vec![
            ("conv1.weight", vec![4, 2, 3, 2]),
            ("conv1.bias", vec![4]),
            ("bn1.weight", vec![4]),
            ("bn1.bias", vec![4]),
            ("bn1.running_mean", vec![4]),
            ("bn1.running_var", vec![4]),
            ("fc1.weight", vec![5, 36]),
            ("fc1.bias", vec![5]),
            ("fc2.weight", vec![3, 5]),
        ];
        let found: Vec<(&str, Vec<i64>)> = inits.iter().map(|(n, d, _)| (*n, d.clone())).collect();
        assert_eq!(found, expect);
        // Values in row-major order, bit for bit.
        let CnnLayer::Conv { weight, .. } = &layers[0] else {
            unreachable!()
        };
        assert_eq!(inits[0].2, weight.iter().copied().collect::<Vec<_>>());
        assert_eq!(inits[0].2[1], weight[IxDyn(&[0, 0, 0, 1])]);
        let CnnLayer::BatchNorm { var, .. } = &layers[1] else {
            unreachable!()
        };
        assert_eq!(inits[5].2, var.to_vec());
    }

    #[test]
    fn cnn_1d_with_auto_pad_and_global_pools() {
        let dir = tempfile::tempdir().unwrap();
        let layers = |auto_pad, global: CnnLayer| {
            vec![
                conv("conv1", &[3, 2, 4], &[2], &[], Some(auto_pad)),
                relu("relu1"),
                global,
                flatten(),
            ]
        };
        let gmp = || CnnLayer::GlobalMaxPool { name: "gmp".into() };
        let gap = || CnnLayer::GlobalAveragePool { name: "gap".into() };
        for (auto_pad, global, value, op) in [
            (AutoPad::SameUpper, gmp(), "SAME_UPPER", "GlobalMaxPool"),
            (AutoPad::SameLower, gap(), "SAME_LOWER", "GlobalAveragePool"),
            (AutoPad::Valid, gmp(), "VALID", "GlobalMaxPool"),
        ] {
            let m = round_trip(
                &dir,
                "cnn1d.onnx",
                &cnn(&[2, 11], &layers(auto_pad, global)),
            );
            let g = m.graph.as_ref().unwrap();
            let conv = &g.node[0];
            assert_eq!(
                attr_names(conv),
                ["dilations", "group", "kernel_shape", "auto_pad", "strides"]
            );
            assert_eq!(attr(conv, "auto_pad").s(), value.as_bytes());
            assert_eq!(attr(conv, "auto_pad").r#type(), AttributeType::String);
            assert_eq!(attr(conv, "kernel_shape").ints, [4]);
            assert_eq!(attr(conv, "strides").ints, [2]);
            assert_eq!(attr(conv, "dilations").ints, [1]);
            assert_eq!(g.node[2].op_type(), op);
            assert!(g.node[2].attribute.is_empty());
            assert_eq!(g.node[3].output, ["y"]);
            assert_eq!(dims(&g.input[0]), [-1, 2, 11]);
            assert_eq!(dims(&g.output[0]), [-1, 3]);
        }
        // Without the global pool: SAME gives ceil(11 / 2) = 6 positions, VALID (11 - 4) / 2 + 1
        // = 4.
        for (auto_pad, len) in [
            (AutoPad::SameUpper, 6),
            (AutoPad::SameLower, 6),
            (AutoPad::Valid, 4),
        ] {
            let m = cnn(
                &[2, 11],
                &[conv("c", &[3, 2, 4], &[2], &[], Some(auto_pad))],
            );
            assert_eq!(dims(&m.graph.unwrap().output[0]), [-1, 3, len]);
        }
    }

    #[test]
    fn output_sizes_follow_the_onnx_floor_rule() {
        let pool = |input: &[usize], kernel: &[usize], stride: &[usize], pads: &[usize]| {
            let layer = CnnLayer::MaxPool {
                name: "p".into(),
                kernel: kernel.to_vec(),
                stride: stride.to_vec(),
                pads: pads.to_vec(),
            };
            dims(&cnn(input, &[layer]).graph.unwrap().output[0])
        };
        // (7 - 3) / 2 + 1 = 3; (7 + 2 - 3) / 2 + 1 = 4; (8 + 0 + 1 - 2) / 3 + 1 = 3 (floor).
        assert_eq!(pool(&[1, 7], &[3], &[2], &[0, 0]), [-1, 1, 3]);
        assert_eq!(pool(&[1, 7], &[3], &[2], &[1, 1]), [-1, 1, 4]);
        assert_eq!(pool(&[1, 8], &[2], &[3], &[0, 1]), [-1, 1, 3]);
        // Per axis, with begin and end pads in ONNX order: H (6 + 1 + 0 - 3) / 1 + 1 = 5,
        // W (5 + 0 + 2 - 2) / 2 + 1 = 3.
        assert_eq!(
            pool(&[2, 6, 5], &[3, 2], &[1, 2], &[1, 0, 0, 2]),
            [-1, 2, 5, 3]
        );
        // A kernel as large as the padded input leaves one position.
        assert_eq!(
            pool(&[1, 4, 4], &[4, 6], &[1, 1], &[0, 1, 0, 1]),
            [-1, 1, 1, 1]
        );
        let m = cnn(&[2, 9, 6], &net_2d()[..5]);
        // conv: (9 + 2 - 3) / 2 + 1 = 5, (6 - 2) / 1 + 1 = 5; maxpool: 2, 2; avgpool: 3, 3.
        assert_eq!(dims(&m.graph.unwrap().output[0]), [-1, 4, 3, 3]);
    }

    #[test]
    #[should_panic(expected = "/conv2/Conv: weight [4, 3, 3, 3] for input [4, 5, 5]")]
    fn a_conv_must_match_its_input_channels() {
        let mut layers = net_2d();
        layers.insert(1, conv("conv2", &[4, 3, 3, 3], &[1, 1], &[0; 4], None));
        cnn(&[2, 9, 6], &layers);
    }

    #[test]
    #[should_panic(expected = "/fc1/Gemm: weight (5, 36) for input [4, 3, 3]")]
    fn a_gemm_needs_a_flattened_input() {
        let mut layers = net_2d();
        layers.remove(5);
        cnn(&[2, 9, 6], &layers);
    }

    #[test]
    #[should_panic(expected = "/bn1/BatchNormalization: running_var has 4 values for 3 channels")]
    fn batch_norm_parameters_must_match_the_channels() {
        let mut layers = net_2d();
        layers[0] = conv("conv1", &[3, 2, 3, 2], &[2, 1], &[1, 0, 1, 0], None);
        let CnnLayer::BatchNorm {
            scale, bias, mean, ..
        } = &mut layers[1]
        else {
            unreachable!()
        };
        for v in [scale, bias, mean] {
            *v = uniform(3, 0.5, 1.0, 0);
        }
        cnn(&[2, 9, 6], &layers);
    }

    #[test]
    #[should_panic(expected = "/c/Conv: pads [0, 0] with auto_pad")]
    fn pads_and_auto_pad_exclude_each_other() {
        cnn(
            &[2, 8],
            &[conv("c", &[3, 2, 3], &[1], &[0, 0], Some(AutoPad::Valid))],
        );
    }

    #[test]
    #[should_panic(expected = "/p/MaxPool: kernel [3], stride [1] over padded input axis 0 of 2")]
    fn a_window_must_fit_its_padded_input() {
        let layer = CnnLayer::MaxPool {
            name: "p".into(),
            kernel: vec![3],
            stride: vec![1],
            pads: vec![0, 0],
        };
        cnn(&[1, 2], &[layer]);
    }

    #[test]
    #[should_panic(expected = "cnn: two layers are named relu1")]
    fn layer_names_are_unique() {
        let mut layers = net_2d();
        layers[7] = relu("relu1");
        cnn(&[2, 9, 6], &layers);
    }

    #[test]
    fn uniform_is_deterministic_and_in_range() {
        let a = uniform((3, 4), -0.5, 0.25, 11);
        assert_eq!(a, uniform((3, 4), -0.5, 0.25, 11));
        assert_ne!(a, uniform((3, 4), -0.5, 0.25, 12));
        assert!(a.iter().all(|&v| (-0.5..0.25).contains(&v)));
        let d = uniform(&[3, 4][..], -0.5, 0.25, 11);
        assert_eq!(d.shape(), [3, 4]);
        assert_eq!(d.iter().collect::<Vec<_>>(), a.iter().collect::<Vec<_>>());
        assert_eq!(uniform(5, 0.0, 1.0, 1).len(), 5);
    }
}
