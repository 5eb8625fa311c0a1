//! ONNX import: a `ModelProto` (as written by `torch.onnx.export`, opset 9-23, or tf2onnx) becomes an
//! [`ir::Graph`](crate::ir::Graph) in [`Phase::Imported`](crate::ir::Phase::Imported).
//!
//! Every problem found is collected; an unsupported op does not stop the walk, so one run lists them
//! all. One file per op family registers what it handles in [`op_builder`].

mod activation;
mod affine;
mod attrs;
mod conv;
mod dense;
mod layout;
mod merge;
mod names;
mod pool;
mod qonnx;
mod shape;
mod spatial;
mod tensor;

use crate::diag::{Diagnostic, Diagnostics, Error, Result};
use crate::fixed::FixedType;
use crate::ir::{Edge, Graph, Layout, Node, Op, Phase};
use crate::onnx_proto::{type_proto, ModelProto, NodeProto};
use ndarray::ArrayD;
use petgraph::stable_graph::{NodeIndex, StableDiGraph};
use std::collections::BTreeMap;
use std::path::Path;

pub use tensor::tensor_to_array;

/// Opsets of the default domain whose semantics the importer implements.
pub const OPSETS: std::ops::RangeInclusive<i64> = 9..=23;

/// A value flowing between ONNX nodes during import.
#[derive(Debug, Clone)]
enum Value {
    /// Produced by a layer; `shape` is per sample, as the layers hold it: an image
    /// channels-last (`[H, W, C]`, 1-D `[1, L, C]`) whatever its ONNX `layout`.
    Activation {
        node: NodeIndex,
        shape: Vec<usize>,
        layout: Layout,
        /// Axes of the per-sample tensor as ONNX holds it.
        onnx_rank: usize,
        /// ONNX's per-sample shape when `layout` does not describe the held one: an image with
        /// unit axes added or removed so that its spatial axes are swapped (elementwise ops and
        /// windows may read it, see [`NodeCtx::spatial_swapped`]) or its channel axis moved
        /// (only shape changes may read it). tf2onnx writes both between a 1-D `Conv` and
        /// `MaxPool`.
        view: Option<Vec<usize>>,
    },
    /// An initializer or `Constant`.
    Const(ArrayD<f64>),
    /// Produced by a node that could not be imported; consumers skip their checks.
    Unknown,
}

/// Reads and imports an ONNX file.
pub fn load(path: &Path) -> Result<Graph> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::file(path, "a readable ONNX file", e.to_string()))?;
    let model: ModelProto = prost::Message::decode(bytes.as_slice()).map_err(|e| {
        Error::file(
            path,
            "an ONNX model (protobuf ModelProto)",
            format!("undecodable data ({e})"),
        )
    })?;
    import(&model)
}

/// Imports a decoded model.
pub fn import(model: &ModelProto) -> Result<Graph> {
    let mut diags = Diagnostics::default();
    check_opset(model, &mut diags);
    let Some(graph) = &model.graph else {
        return Err(Error::user(Diagnostic::new(
            "model", None, "graph", "a graph", "none",
        )));
    };
    let mut b = Builder {
        g: StableDiGraph::new(),
        values: BTreeMap::new(),
        names: names::NameTable::default(),
        diags,
        param_types: BTreeMap::new(),
        opsets: model
            .opset_import
            .iter()
            .map(|o| (o.domain().to_owned(), o.version()))
            .collect(),
        spatial: graph
            .node
            .iter()
            .any(|n| SPATIAL_OPS.contains(&n.op_type())),
        opset: model
            .opset_import
            .iter()
            .find(|op| op.domain().is_empty() || op.domain() == "ai.onnx")
            .map_or(*OPSETS.end(), |op| op.version()),
    };
    for init in &graph.initializer {
        match tensor_to_array(init) {
            Ok(a) => {
                b.values.insert(init.name().to_owned(), Value::Const(a));
            }
            Err(found) => b.diags.push(Diagnostic::new(
                format!("initializer '{}'", init.name()),
                None,
                "data",
                "a float, double or integer tensor stored in the file",
                found,
            )),
        }
    }
    let input = b.add_input(graph);
    for (index, node) in graph.node.iter().enumerate() {
        b.import_node(index, node);
    }
    let output = b.add_output(graph);
    if let Some(output) = output {
        b.check_all_used(output);
    }
    b.diags.finish()?;
    let (Some(input), Some(output)) = (input, output) else {
        return Err(Error::Internal(
            "import finished without an input or output".into(),
        ));
    };
    Ok(Graph {
        g: b.g,
        input,
        output,
        phase: Phase::Imported,
        removed: vec![],
    })
}

fn check_opset(model: &ModelProto, diags: &mut Diagnostics) {
    for op in &model.opset_import {
        let domain = op.domain();
        if (domain.is_empty() || domain == "ai.onnx") && !OPSETS.contains(&op.version()) {
            diags.push(Diagnostic::new(
                "model",
                None,
                "opset of the default domain",
                format!("{} to {}", OPSETS.start(), OPSETS.end()),
                op.version().to_string(),
            ));
        }
    }
}

/// Context handed to op builders.
pub(crate) struct Builder {
    g: StableDiGraph<Node, Edge>,
    values: BTreeMap<String, Value>,
    names: names::NameTable,
    diags: Diagnostics,
    /// Types of constants that quantizers produced (QONNX weight and bias quantizers).
    param_types: BTreeMap<String, FixedType>,
    /// The model's opset imports: domain → version.
    opsets: BTreeMap<String, i64>,
    /// The model has convolutions or pooling: its rank-2 and rank-3 input is an image.
    spatial: bool,
    /// The opset of the default domain (the newest supported when the model names none).
    opset: i64,
}

/// Ops that may read an image whose ONNX shape its layout does not describe (a view).
const READS_VIEWS: &[&str] = &["Reshape", "Flatten", "Unsqueeze", "Squeeze"];

/// Ops that may also read an image whose two spatial axes ONNX holds swapped (see
/// [`NodeCtx::spatial_swapped`]): elementwise ones and windows that follow the swap.
const READS_SWAPPED: &[&str] = &[
    "Conv",
    "MaxPool",
    "AveragePool",
    "Relu",
    "Identity",
    "Dropout",
    "Sigmoid",
    "Tanh",
    "LeakyRelu",
    "Clip",
    "Add",
    "Mul",
    "Quant",
    "IntQuant",
    "BipolarQuant",
    "Trunc",
    "MultiThreshold",
];

/// Ops that make a model's input an image (held channels-last).
const SPATIAL_OPS: &[&str] = &[
    "Conv",
    "MaxPool",
    "AveragePool",
    "GlobalMaxPool",
    "GlobalAveragePool",
];

/// What an op builder produced for the node's first output.
pub(crate) enum Built {
    /// Layers in order, each consuming the previous one's output (per-sample `shape`); the last
    /// one's output is the node's, an ONNX tensor in `layout`.
    Layers {
        layers: Vec<(Op, Vec<usize>)>,
        layout: Layout,
    },
    /// The node's input seen as another ONNX tensor without moving data (a transpose between
    /// image layouts, an added or removed unit axis): per-sample held `shape` in `layout`, and
    /// ONNX's per-sample `onnx_shape`. It becomes an identity `Reshape` layer.
    View {
        shape: Vec<usize>,
        layout: Layout,
        onnx_shape: Vec<usize>,
    },
    /// The node is a constant (ONNX `Constant`).
    Const(ArrayD<f64>),
    /// The node quantizes a constant (a QONNX quantizer on a weight or bias): its values, and
    /// the quantizer's type, which holds each of them exactly.
    Param { values: ArrayD<f64>, ty: FixedType },
}

/// Builds one ONNX node, given its activation input (producer, per-sample shape) and access to
/// constants. Errors are the node's diagnostics.
type OpBuilder = fn(&NodeCtx) -> std::result::Result<Built, Vec<Diagnostic>>;

/// The single table of supported ONNX ops.
fn op_builder(op_type: &str) -> Option<OpBuilder> {
    Some(match op_type {
        "Gemm" => dense::gemm,
        "MatMul" => dense::matmul,
        "Add" => merge::add,
        "Mul" => affine::mul,
        "Concat" => merge::concat,
        "Relu" => shape::relu,
        "Flatten" => shape::flatten,
        "Reshape" => shape::reshape,
        "Transpose" => layout::transpose,
        "Unsqueeze" => layout::unsqueeze,
        "Squeeze" => layout::squeeze,
        "Identity" => shape::identity,
        "Dropout" => shape::dropout,
        "Constant" => shape::constant,
        "Conv" => conv::conv,
        "MaxPool" => pool::max_pool,
        "AveragePool" => pool::average_pool,
        "GlobalMaxPool" => pool::global_max_pool,
        "GlobalAveragePool" => pool::global_average_pool,
        "BatchNormalization" => pool::batch_norm,
        "Sigmoid" => activation::sigmoid,
        "Tanh" => activation::tanh,
        "Softmax" => activation::softmax,
        "LeakyRelu" => activation::leaky_relu,
        "Clip" => activation::clip,
        _ => return None,
    })
}

/// Every ONNX op type the importer supports, for error messages.
pub const SUPPORTED_OPS: &str =
    "Gemm, MatMul, Add, Mul, Concat, Relu, Sigmoid, Tanh, Softmax, LeakyRelu, Clip, Flatten, \
     Reshape, Transpose, Unsqueeze, Squeeze, Identity, Dropout, Constant, Conv, MaxPool, \
     AveragePool, GlobalMaxPool, GlobalAveragePool, BatchNormalization";

/// One node being imported: its proto, its inputs resolved to values.
pub(crate) struct NodeCtx<'a> {
    pub node: &'a NodeProto,
    /// Position of the node in the graph, to locate unnamed nodes.
    pub index: usize,
    /// The model's opset of the default domain.
    pub opset: i64,
    inputs: Vec<Option<Value>>,
    /// The type a quantizer gave each constant input, if any.
    param_types: Vec<Option<FixedType>>,
    /// The version at which the model imports the node's domain, if it does.
    pub domain_opset: Option<i64>,
}

impl Built {
    /// A single layer whose output is a plain (not image) tensor.
    pub fn layer(op: Op, shape: Vec<usize>) -> Self {
        Built::Layers {
            layers: vec![(op, shape)],
            layout: Layout::Plain,
        }
    }
}

impl NodeCtx<'_> {
    pub fn name(&self) -> &str {
        self.node.name()
    }
    pub fn op(&self) -> &str {
        self.node.op_type()
    }
    pub fn diag(
        &self,
        subject: impl Into<String>,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Diagnostic {
        let location = if self.name().is_empty() {
            format!("unnamed node #{}", self.index)
        } else {
            self.name().to_owned()
        };
        Diagnostic::new(location, Some(self.op()), subject, expected, found)
    }

    /// The per-sample shape of activation input `i`; `Ok(None)` when it comes from a failed node.
    pub fn activation(&self, i: usize) -> std::result::Result<Option<Vec<usize>>, Diagnostic> {
        match self.inputs.get(i) {
            Some(Some(Value::Activation { shape, .. })) => Ok(Some(shape.clone())),
            Some(Some(Value::Unknown)) => Ok(None),
            Some(Some(Value::Const(_))) => Err(self.diag(
                format!("input {i}"),
                "a tensor computed from the model input",
                "a constant",
            )),
            _ => Err(self.diag(format!("input {i}"), "a tensor", "nothing")),
        }
    }

    /// The per-sample shape of activation input `i`, or `diags` with the reason there is none
    /// (nothing added when it comes from a failed node).
    pub fn activation_or(
        &self,
        i: usize,
        mut diags: Vec<Diagnostic>,
    ) -> std::result::Result<(Vec<usize>, Vec<Diagnostic>), Vec<Diagnostic>> {
        match self.activation(i) {
            Ok(Some(shape)) => Ok((shape, diags)),
            Ok(None) => Err(diags),
            Err(d) => {
                diags.push(d);
                Err(diags)
            }
        }
    }

    /// Constant input `i`; `Ok(None)` if it is absent or optional and empty.
    pub fn constant(&self, i: usize) -> std::result::Result<Option<&ArrayD<f64>>, Diagnostic> {
        match self.inputs.get(i) {
            None | Some(None) => Ok(None),
            Some(Some(Value::Const(a))) => Ok(Some(a)),
            Some(Some(Value::Unknown)) => Err(self.diag(
                format!("input {i}"),
                "a constant (initializer)",
                "the output of an unsupported node",
            )),
            Some(Some(Value::Activation { .. })) => Err(self.diag(
                format!("input {i} ('{}')", self.node.input[i]),
                "a constant (initializer)",
                "a tensor computed from the model input",
            )),
        }
    }

    /// Input 0 when it is a constant, which shape ops then fold.
    pub fn constant_operand(&self) -> Option<&ArrayD<f64>> {
        match self.inputs.first() {
            Some(Some(Value::Const(a))) => Some(a),
            _ => None,
        }
    }

    /// The type a QONNX quantizer gave constant input `i`, if one did.
    pub fn param_type(&self, i: usize) -> Option<FixedType> {
        self.param_types.get(i).copied().flatten()
    }

    /// The number of axes ONNX gives activation input `i` per sample (0 if it is not one).
    pub fn onnx_rank(&self, i: usize) -> usize {
        match self.inputs.get(i) {
            Some(Some(Value::Activation { onnx_rank, .. })) => *onnx_rank,
            _ => 0,
        }
    }

    /// ONNX's per-sample shape of activation input `i` (empty if it is not one).
    pub fn onnx_shape(&self, i: usize) -> Vec<usize> {
        match self.inputs.get(i) {
            Some(Some(Value::Activation {
                shape,
                layout,
                onnx_rank,
                view,
                ..
            })) => view
                .clone()
                .unwrap_or_else(|| layout.onnx_shape(shape, *onnx_rank)),
            _ => vec![],
        }
    }

    /// For each element of activation input `i` as held, its index in ONNX's row-major order.
    pub fn onnx_order(&self, i: usize) -> Vec<usize> {
        let Some(Some(Value::Activation { shape, layout, .. })) = self.inputs.get(i) else {
            return vec![];
        };
        match layout {
            Layout::ChannelsFirst => crate::ir::channels_last_order(shape),
            Layout::Plain | Layout::ChannelsLast => (0..shape.iter().product()).collect(),
        }
    }

    /// Whether activation input `i` is a 2-D image whose ONNX spatial axes `(n, 1)` are held
    /// as `(1, n)` (the same order of elements): tf2onnx runs a Keras 1-D pooling along H of
    /// a tensor a 1-D convolution produced along W.
    pub fn spatial_swapped(&self, i: usize) -> bool {
        let Some(Some(Value::Activation {
            shape,
            layout,
            onnx_rank: 3,
            view: Some(view),
            ..
        })) = self.inputs.get(i)
        else {
            return false;
        };
        let spatial = match layout {
            Layout::ChannelsFirst => &view[1..],
            Layout::ChannelsLast => &view[..2],
            Layout::Plain => return false,
        };
        shape[0] != shape[1] && spatial == [shape[1], shape[0]]
    }

    /// The ONNX layout of activation input `i` (plain if it is not one).
    pub fn layout(&self, i: usize) -> Layout {
        match self.inputs.get(i) {
            Some(Some(Value::Activation { layout, .. })) => *layout,
            _ => Layout::Plain,
        }
    }

    /// Whether activation input `i` is an image ONNX holds channels-first, the layout of
    /// ONNX's convolutions, pooling and BatchNormalization.
    pub fn is_image(&self, i: usize) -> bool {
        self.layout(i) == Layout::ChannelsFirst
    }

    /// The producers and shapes of the activation inputs in input order; `None` if one of them
    /// comes from a node that could not be imported, or there are none.
    fn activation_inputs(&self) -> Option<Vec<(NodeIndex, Vec<usize>)>> {
        let mut found = Vec::new();
        for input in self.inputs.iter().flatten() {
            match input {
                Value::Activation { node, shape, .. } => found.push((*node, shape.clone())),
                Value::Unknown => return None,
                Value::Const(_) => {}
            }
        }
        (!found.is_empty()).then_some(found)
    }

    /// Index of the single activation input, if exactly one input is an activation.
    pub fn activation_index(&self) -> Option<usize> {
        let idx: Vec<usize> = (0..self.inputs.len())
            .filter(|&i| {
                matches!(
                    self.inputs[i],
                    Some(Value::Activation { .. }) | Some(Value::Unknown)
                )
            })
            .collect();
        (idx.len() == 1).then(|| idx[0])
    }
}

impl Builder {
    fn add_input(&mut self, graph: &crate::onnx_proto::GraphProto) -> Option<NodeIndex> {
        let inputs: Vec<_> = graph
            .input
            .iter()
            .filter(|i| !self.values.contains_key(i.name()))
            .collect();
        if inputs.len() != 1 {
            let names: Vec<&str> = inputs.iter().map(|i| i.name()).collect();
            self.diags.push(Diagnostic::new(
                "graph",
                None,
                "inputs",
                "exactly one non-constant input",
                format!("{} ({})", inputs.len(), names.join(", ")),
            ));
            return None;
        }
        let vi = inputs[0];
        let name = vi.name().to_owned();
        let dims = match vi.r#type.as_ref().and_then(|t| t.value.as_ref()) {
            Some(type_proto::Value::TensorType(t)) => t.shape.as_ref().map(|s| s.dim.clone()),
            _ => None,
        };
        let Some(dims) = dims else {
            self.diags.push(Diagnostic::new(
                format!("input '{name}'"),
                None,
                "type",
                "a tensor with a known shape",
                "no shape",
            ));
            return None;
        };
        use crate::onnx_proto::tensor_shape_proto::dimension::Value as Dim;
        let mut shape = Vec::new();
        let mut bad = false;
        for d in dims.iter().skip(1) {
            match d.value {
                Some(Dim::DimValue(v)) if v > 0 => shape.push(v as usize),
                _ => bad = true,
            }
        }
        if dims.len() < 2 || bad {
            let found: Vec<String> = dims
                .iter()
                .map(|d| match &d.value {
                    Some(Dim::DimValue(v)) => v.to_string(),
                    Some(Dim::DimParam(p)) => p.clone(),
                    None => "?".into(),
                })
                .collect();
            self.diags.push(Diagnostic::new(
                format!("input '{name}'"),
                None,
                "shape",
                "a batch dimension followed by fixed positive sizes, e.g. [batch, 16]",
                format!("[{}]", found.join(", ")),
            ));
            return None;
        }
        let layout = match self.spatial && (shape.len() == 2 || shape.len() == 3) {
            false => Layout::Plain,
            true if layout::made_channels_first(graph, &name, &shape) => Layout::ChannelsLast,
            true => Layout::ChannelsFirst,
        };
        let node = self.g.add_node(Node {
            name: self.names.unique(&names::identifier(&name, "input")),
            op: Op::Input {
                onnx_name: name.clone(),
                shape: shape.clone(),
                layout,
            },
            origin: vec![],
            config_names: vec![name.clone()],
        });
        self.values.insert(
            name,
            Value::Activation {
                node,
                shape: layout.held_shape(&shape),
                layout,
                onnx_rank: shape.len(),
                view: None,
            },
        );
        Some(node)
    }

    fn add_output(&mut self, graph: &crate::onnx_proto::GraphProto) -> Option<NodeIndex> {
        if graph.output.len() != 1 {
            self.diags.push(Diagnostic::new(
                "graph",
                None,
                "outputs",
                "exactly one output",
                graph.output.len().to_string(),
            ));
            return None;
        }
        let name = graph.output[0].name().to_owned();
        let value = self.take(&name);
        match value {
            Some(Value::Activation {
                node,
                shape,
                layout,
                ..
            }) => {
                let out = self.g.add_node(Node {
                    name: self.names.unique(&names::identifier(&name, "output")),
                    op: Op::Output {
                        onnx_name: name.clone(),
                        channels_last: layout == Layout::ChannelsFirst,
                    },
                    origin: vec![],
                    config_names: vec![],
                });
                self.g.add_edge(
                    node,
                    out,
                    Edge {
                        shape,
                        ty: None,
                        port: 0,
                    },
                );
                Some(out)
            }
            Some(Value::Unknown) => None,
            _ => {
                self.diags.push(Diagnostic::new(
                    format!("output '{name}'"),
                    None,
                    "value",
                    "a tensor computed from the model input",
                    "a constant or nothing",
                ));
                None
            }
        }
    }

    /// Reports every layer whose result does not reach the model output (a dead branch).
    fn check_all_used(&mut self, output: NodeIndex) {
        let reversed = petgraph::visit::Reversed(&self.g);
        let mut dfs = petgraph::visit::Dfs::new(reversed, output);
        let mut used = std::collections::BTreeSet::new();
        while let Some(n) = dfs.next(reversed) {
            used.insert(n);
        }
        let unused: Vec<NodeIndex> = self
            .g
            .node_indices()
            .filter(|n| !used.contains(n))
            .collect();
        for n in unused {
            let node = &self.g[n];
            let (location, op) = node
                .origin
                .first()
                .cloned()
                .unwrap_or_else(|| (node.name.clone(), node.op.layer_type().to_owned()));
            self.diags.push(Diagnostic::new(
                location,
                Some(&op),
                "output",
                "a tensor the model output depends on",
                "a result nothing uses",
            ));
        }
    }

    /// Looks up a value by tensor name.
    fn take(&self, name: &str) -> Option<Value> {
        self.values.get(name).cloned()
    }

    fn import_node(&mut self, index: usize, node: &NodeProto) {
        let op_type = node.op_type();
        let inputs: Vec<Option<Value>> = node
            .input
            .iter()
            .map(|name| {
                if name.is_empty() {
                    None
                } else {
                    self.take(name)
                }
            })
            .collect();
        let ctx = NodeCtx {
            node,
            index,
            opset: self.opset,
            inputs,
            param_types: node
                .input
                .iter()
                .map(|name| self.param_types.get(name).copied())
                .collect(),
            domain_opset: self.opsets.get(node.domain()).copied(),
        };
        let mark_unknown = |b: &mut Builder| {
            for out in &node.output {
                b.values.insert(out.clone(), Value::Unknown);
            }
        };
        for (i, name) in node.input.iter().enumerate() {
            if !name.is_empty() && ctx.inputs[i].is_none() {
                self.diags.push(ctx.diag(
                    format!("input {i}"),
                    "a tensor defined earlier in the graph",
                    format!("undefined tensor '{name}'"),
                ));
            }
        }
        let viewed = ctx.inputs.iter().enumerate().find_map(|(i, v)| match v {
            Some(Value::Activation {
                view: Some(view), ..
            }) => Some((i, view)),
            _ => None,
        });
        let reads = |i: usize| {
            READS_VIEWS.contains(&op_type)
                || (ctx.spatial_swapped(i) && READS_SWAPPED.contains(&op_type))
        };
        if let Some((i, view)) = viewed.filter(|&(i, _)| !reads(i)) {
            self.diags.push(ctx.diag(
                format!("input {i}"),
                "a plain tensor or an image [C, H, W], [C, L], [H, W, C] or [L, C]",
                format!("an image seen as {view:?} through unit axes, which {op_type} cannot follow (reshape it back first)"),
            ));
            return mark_unknown(self);
        }
        let (builder, supported) = match node.domain() {
            "" | "ai.onnx" => (op_builder(op_type), SUPPORTED_OPS),
            d if qonnx::DOMAINS.contains(&d) => (qonnx::builder(op_type), qonnx::OPS),
            d => {
                self.diags.push(ctx.diag(
                    "domain",
                    format!(
                        "the default ONNX domain or QONNX's ({})",
                        qonnx::DOMAINS.join(", ")
                    ),
                    format!("'{d}'"),
                ));
                return mark_unknown(self);
            }
        };
        let Some(builder) = builder else {
            self.diags.push(ctx.diag(
                "op type",
                format!("one of {supported}"),
                format!("'{op_type}'"),
            ));
            return mark_unknown(self);
        };
        let result = builder(&ctx);
        let producers = ctx.activation_inputs();
        match result {
            Err(ds) => {
                for d in ds {
                    self.diags.push(d);
                }
                mark_unknown(self)
            }
            Ok(Built::Const(a)) => {
                if let Some(out) = node.output.first() {
                    self.values.insert(out.clone(), Value::Const(a));
                }
            }
            Ok(Built::Param { values, ty }) => {
                if let Some(out) = node.output.first() {
                    self.values.insert(out.clone(), Value::Const(values));
                    self.param_types.insert(out.clone(), ty);
                }
            }
            Ok(Built::View {
                shape,
                layout,
                onnx_shape,
            }) => {
                let view = (layout.onnx_shape(&shape, onnx_shape.len()) != onnx_shape)
                    .then(|| onnx_shape.clone());
                let layers = vec![(Op::Reshape, shape)];
                let onnx = Some((onnx_shape.len(), view));
                self.add_layers(&ctx, producers, layers, layout, onnx);
            }
            Ok(Built::Layers { layers, layout }) => {
                self.add_layers(&ctx, producers, layers, layout, None);
            }
        }
    }

    /// Adds the layers a node built, reading `producers`, and makes the last one's output the
    /// value of the node's output: in `layout`, with `onnx` = (rank, view) (by default the
    /// input's rank for an image, the held rank otherwise, and no view).
    fn add_layers(
        &mut self,
        ctx: &NodeCtx,
        producers: Option<Vec<(NodeIndex, Vec<usize>)>>,
        layers: Vec<(Op, Vec<usize>)>,
        layout: Layout,
        onnx: Option<(usize, Option<Vec<usize>>)>,
    ) {
        let node = ctx.node;
        let (index, op_type) = (ctx.index, node.op_type());
        let Some(producers) = producers else {
            for out in &node.output {
                self.values.insert(out.clone(), Value::Unknown);
            }
            return;
        };
        let mut sources = producers;
        let mut in_shape = Vec::new();
        let base = names::layer_base_name(node.name(), op_type, index);
        let count = layers.len();
        for (k, (op, shape)) in layers.into_iter().enumerate() {
            let name = if k + 1 == count {
                base.clone()
            } else {
                format!("{base}_{}", op.layer_type().to_ascii_lowercase())
            };
            let layer = self.g.add_node(Node {
                name: self.names.unique(&name),
                op,
                origin: vec![(node.name().to_owned(), op_type.to_owned())],
                config_names: if k + 1 == count {
                    names::config_names(node.name())
                } else {
                    vec![]
                },
            });
            for (port, (src, src_shape)) in sources.into_iter().enumerate() {
                self.g.add_edge(
                    src,
                    layer,
                    Edge {
                        shape: src_shape,
                        ty: None,
                        port,
                    },
                );
            }
            sources = vec![(layer, shape.clone())];
            in_shape = shape;
        }
        let (onnx_rank, view) = onnx.unwrap_or_else(|| {
            let act = ctx.activation_index().unwrap_or(0);
            let rank = match layout {
                Layout::Plain => in_shape.len(),
                _ => ctx.onnx_rank(act),
            };
            (rank, swapped_view(ctx, act, layout, &in_shape))
        });
        if let (Some(out), Some(&(node, _))) = (node.output.first(), sources.first()) {
            self.values.insert(
                out.clone(),
                Value::Activation {
                    node,
                    shape: in_shape,
                    layout,
                    onnx_rank,
                    view,
                },
            );
        }
    }
}

/// The ONNX shape of a layer's output `held` in `layout` when its input `act` is a swapped
/// image (see [`NodeCtx::spatial_swapped`]) and so is the output: its spatial axes swapped.
fn swapped_view(ctx: &NodeCtx, act: usize, layout: Layout, held: &[usize]) -> Option<Vec<usize>> {
    if !ctx.spatial_swapped(act) || layout != ctx.layout(act) || held.len() != 3 {
        return None;
    }
    let mut onnx = layout.onnx_shape(held, 3);
    match layout {
        Layout::ChannelsFirst => onnx.swap(1, 2),
        _ => onnx.swap(0, 1),
    }
    (onnx != layout.onnx_shape(held, 3)).then_some(onnx)
}
