//! The dataflow IR: a petgraph graph of layers whose edges carry a per-sample shape and, once the
//! precision pass has run, a fixed-point type.
//!
//! Graphs only move forward through [`Phase`]s; [`verify`] checks the invariants of the current
//! phase and runs after every pass.

mod activation;
mod op;
pub mod quantizer;
pub mod thresholds;
mod verify;

pub use activation::{LutFunction, Softmax, SoftmaxTables, Table, MAX_TABLE_SIZE};
pub use op::{
    BatchNorm, BatchNormPrecision, Conv, Dense, DensePrecision, DenseSettings, GlobalPool, Op,
    Padding, ParamTypes, Pool, PoolKind, PoolPrecision, QuantizedDense, Window,
};
pub use verify::verify;

use crate::diag::{Error, Result};
use crate::fixed::FixedType;
use petgraph::stable_graph::{EdgeIndex, NodeIndex, StableDiGraph};
use petgraph::visit::EdgeRef;
use petgraph::Direction;

/// How the elements of an ONNX tensor are ordered relative to the layers' order. Layers hold
/// an image channels-last, `[H, W, C]` (1-D: `[1, L, C]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Layout {
    /// Not an image: held in ONNX's row-major order.
    Plain,
    /// An image ONNX holds channels-first, `[C, H, W]` (`[C, L]`), as PyTorch exports them;
    /// reordered to channels-last.
    ChannelsFirst,
    /// An image ONNX holds channels-last, `[H, W, C]` (`[L, C]`), as tf2onnx leaves a Keras
    /// input; held as it is.
    ChannelsLast,
}

impl Layout {
    pub fn is_image(self) -> bool {
        self != Layout::Plain
    }

    /// ONNX's per-sample shape, of `onnx_rank` axes, for a `held` shape in this layout.
    pub fn onnx_shape(self, held: &[usize], onnx_rank: usize) -> Vec<usize> {
        match (self, held, onnx_rank) {
            (Layout::ChannelsFirst, [_, l, c], 2) => vec![*c, *l],
            (Layout::ChannelsFirst, [h, w, c], _) => vec![*c, *h, *w],
            (Layout::ChannelsLast, [_, l, c], 2) => vec![*l, *c],
            _ => held.to_vec(),
        }
    }

    /// The shape the layers see for a per-sample ONNX shape in this layout.
    pub fn held_shape(self, onnx_shape: &[usize]) -> Vec<usize> {
        match (self, onnx_shape) {
            (Layout::ChannelsFirst, _) => channels_last(onnx_shape),
            (Layout::ChannelsLast, [l, c]) => vec![1, *l, *c],
            _ => onnx_shape.to_vec(),
        }
    }
}

/// The channels-last shape of an ONNX image shape `[C, H, W]` (`[C, L]` becomes `[1, L, C]`).
pub fn channels_last(shape: &[usize]) -> Vec<usize> {
    match shape {
        [c, l] => vec![1, *l, *c],
        [c, h, w] => vec![*h, *w, *c],
        other => other.to_vec(),
    }
}

/// For a channels-last image `[H, W, C]`: `order[j]` is the channels-first index of element
/// `j` of the channels-last order, the inverse of [`channels_first_order`].
pub fn channels_last_order(shape: &[usize]) -> Vec<usize> {
    let forward = channels_first_order(shape);
    let mut inverse = vec![0; forward.len()];
    for (first, &last) in forward.iter().enumerate() {
        inverse[last] = first;
    }
    inverse
}

/// For a channels-last image `[H, W, C]`: `perm[i]` is the channels-last index of element `i`
/// of the channels-first order `[C, H, W]`.
pub fn channels_first_order(shape: &[usize]) -> Vec<usize> {
    let [h, w, c] = shape else {
        return (0..shape.iter().product()).collect();
    };
    let mut perm = Vec::with_capacity(h * w * c);
    for ci in 0..*c {
        for hi in 0..*h {
            for wi in 0..*w {
                perm.push((hi * w + wi) * c + ci);
            }
        }
    }
    perm
}

/// How far lowering has progressed; each phase adds invariants to those of the previous one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum Phase {
    /// Straight from the importer: float parameters, shapes on every edge, no types.
    Imported,
    /// Only layers rtlgen lowers remain (no bias adds, no reshapes).
    Canonical,
    /// Every edge has a fixed-point type and every layer its precisions.
    Typed,
    /// Every parameter is quantized to its type.
    Quantized,
}

/// A layer of the network.
#[derive(Debug, Clone)]
pub struct Node {
    /// Identifier-safe, unique name used for Verilog modules and reports (`fc1`).
    pub name: String,
    pub op: Op,
    /// The ONNX nodes this layer came from: `(node name, op type)`.
    pub origin: Vec<(String, String)>,
    /// Names a configuration's `LayerName` section may use for this layer.
    pub config_names: Vec<String>,
}

/// A tensor flowing from a layer to one of its consumers. A layer with several consumers has
/// one edge to each, all carrying the same shape and type.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// Per-sample shape (no batch dimension), row-major.
    pub shape: Vec<usize>,
    /// Fixed-point type of every element; `None` before [`Phase::Typed`].
    pub ty: Option<FixedType>,
    /// Which operand of the consumer the tensor is: 0 for single-input layers, 0, 1, … for the
    /// operands of Add and Concat.
    pub port: usize,
}

impl Edge {
    pub fn elements(&self) -> usize {
        self.shape.iter().product()
    }
}

/// The network: one input node, one output node, and layers between them forming a directed
/// acyclic graph in which every layer lies on a path from the input to the output.
#[derive(Debug, Clone)]
pub struct Graph {
    pub g: StableDiGraph<Node, Edge>,
    pub input: NodeIndex,
    pub output: NodeIndex,
    pub phase: Phase,
    /// Layers passes removed without trace in the hardware (Flatten, Reshape, Identity):
    /// `(name, op type, config names)`. A configuration may still name them.
    pub removed: Vec<(String, String, Vec<String>)>,
}

impl Graph {
    /// The single edge entering `n`, if there is exactly one.
    pub fn in_edge(&self, n: NodeIndex) -> Option<EdgeIndex> {
        let mut it = self.g.edges_directed(n, Direction::Incoming);
        let e = it.next()?;
        it.next().is_none().then(|| e.id())
    }

    /// The single edge leaving `n`, if there is exactly one.
    pub fn out_edge(&self, n: NodeIndex) -> Option<EdgeIndex> {
        let mut it = self.g.edges_directed(n, Direction::Outgoing);
        let e = it.next()?;
        it.next().is_none().then(|| e.id())
    }

    /// Every layer in a topological order: the input first, each layer after all its producers,
    /// the output last (the only node without consumers, checked by the verifier). Among layers
    /// ready at once the one created first (in the ONNX file's node order) comes first.
    pub fn order(&self) -> Result<Vec<NodeIndex>> {
        let mut waiting: std::collections::BTreeMap<NodeIndex, usize> = self
            .g
            .node_indices()
            .map(|n| (n, self.g.edges_directed(n, Direction::Incoming).count()))
            .collect();
        let mut ready: std::collections::BTreeSet<NodeIndex> = waiting
            .iter()
            .filter(|(_, &count)| count == 0)
            .map(|(&n, _)| n)
            .collect();
        let mut order = Vec::with_capacity(waiting.len());
        while let Some(n) = ready.pop_first() {
            order.push(n);
            for consumer in self.g.neighbors_directed(n, Direction::Outgoing) {
                let count = waiting.get_mut(&consumer).expect("every node counted");
                *count -= 1;
                if *count == 0 {
                    ready.insert(consumer);
                }
            }
        }
        if order.len() != waiting.len() {
            let stuck = waiting
                .iter()
                .find(|(_, &count)| count > 0)
                .map_or("?", |(&n, _)| self.g[n].name.as_str());
            return Err(Error::Internal(format!(
                "the graph has a cycle through '{stuck}'"
            )));
        }
        Ok(order)
    }

    /// The edges entering `n`, by operand position.
    pub fn inputs(&self, n: NodeIndex) -> Vec<EdgeIndex> {
        let mut edges: Vec<EdgeIndex> = self
            .g
            .edges_directed(n, Direction::Incoming)
            .map(|e| e.id())
            .collect();
        edges.sort_by_key(|&e| self.g[e].port);
        edges
    }

    /// The edges leaving `n`, one per consumer, in the consumers' order of creation.
    pub fn consumers(&self, n: NodeIndex) -> Vec<EdgeIndex> {
        let mut edges: Vec<EdgeIndex> = self
            .g
            .edges_directed(n, Direction::Outgoing)
            .map(|e| e.id())
            .collect();
        edges.sort_by_key(|&e| {
            (
                self.g.edge_endpoints(e).expect("edge exists").1,
                self.g[e].port,
            )
        });
        edges
    }

    /// Sets the type of the tensor `n` produces, on the edge to every consumer.
    pub fn set_output_type(&mut self, n: NodeIndex, ty: FixedType) {
        for e in self.consumers(n) {
            self.g[e].ty = Some(ty);
        }
    }

    /// The edge entering `n`, as an internal error if there is not exactly one.
    pub fn input_edge(&self, n: NodeIndex) -> Result<&Edge> {
        self.in_edge(n).map(|e| &self.g[e]).ok_or_else(|| {
            Error::Internal(format!(
                "layer '{}' does not have exactly one input",
                self.g[n].name
            ))
        })
    }

    /// The tensor `n` produces (its edge to the first consumer; every consumer's edge carries
    /// the same), as an internal error if it has no consumer.
    pub fn output_edge(&self, n: NodeIndex) -> Result<&Edge> {
        self.consumers(n)
            .first()
            .map(|&e| &self.g[e])
            .ok_or_else(|| Error::Internal(format!("layer '{}' has no consumer", self.g[n].name)))
    }

    /// Removes a node with one input, connecting its producer to each of its consumers with the
    /// node's output edge (so the consumers keep the shape they see).
    pub fn bypass(&mut self, n: NodeIndex) -> Result<()> {
        let Some(ein) = self.in_edge(n) else {
            return Err(Error::Internal(format!(
                "cannot bypass '{}': not a single-input node",
                self.g[n].name
            )));
        };
        let src = self.g.edge_endpoints(ein).expect("edge exists").0;
        let outs: Vec<(NodeIndex, Edge)> = self
            .consumers(n)
            .into_iter()
            .map(|e| {
                (
                    self.g.edge_endpoints(e).expect("edge exists").1,
                    self.g[e].clone(),
                )
            })
            .collect();
        self.g.remove_node(n);
        for (dst, edge) in outs {
            self.g.add_edge(src, dst, edge);
        }
        Ok(())
    }

    /// A multi-line description of the graph, for `--dump-ir` and tests: each layer in
    /// topological order, the layers it reads when it is not the previous line's, and its output.
    pub fn dump(&self) -> String {
        let mut out = String::new();
        let Ok(order) = self.order() else {
            return out;
        };
        let mut previous = None;
        for n in order {
            let node = &self.g[n];
            out.push_str(&format!("{} = {}", node.name, node.op.summary()));
            let producers: Vec<NodeIndex> = self
                .inputs(n)
                .into_iter()
                .map(|e| self.g.edge_endpoints(e).expect("edge exists").0)
                .collect();
            if producers.len() > 1 || (producers.len() == 1 && Some(producers[0]) != previous) {
                let names: Vec<&str> = producers.iter().map(|&p| self.g[p].name.as_str()).collect();
                out.push_str(&format!(" ({})", names.join(", ")));
            }
            if let Ok(edge) = self.output_edge(n) {
                let ty = edge
                    .ty
                    .map(|t| t.to_string())
                    .unwrap_or_else(|| "untyped".into());
                out.push_str(&format!(" -> {:?} {}", edge.shape, ty));
            }
            out.push('\n');
            previous = Some(n);
        }
        out
    }
}
