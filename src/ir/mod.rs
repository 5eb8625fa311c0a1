//! The dataflow IR: a petgraph graph of layers whose edges carry a per-sample shape and, once the
//! precision pass has run, a fixed-point type.
//!
//! Graphs only move forward through [`Phase`]s; [`verify`] checks the invariants of the current
//! phase and runs after every pass.

mod op;
mod verify;

pub use op::{
    BatchNorm, BatchNormPrecision, Conv, Dense, DensePrecision, DenseSettings, GlobalPool, Op,
    Padding, Pool, PoolKind, PoolPrecision, QuantizedDense, Window,
};
pub use verify::verify;

use crate::diag::{Error, Result};
use crate::fixed::FixedType;
use petgraph::stable_graph::{EdgeIndex, NodeIndex, StableDiGraph};
use petgraph::visit::EdgeRef;
use petgraph::Direction;

/// The channels-last shape of an ONNX image shape `[C, H, W]` (`[C, L]` becomes `[1, L, C]`).
pub fn channels_last(shape: &[usize]) -> Vec<usize> {
    match shape {
        [c, l] => vec![1, *l, *c],
        [c, h, w] => vec![*h, *w, *c],
        other => other.to_vec(),
    }
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

/// A tensor flowing between layers.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// Per-sample shape (no batch dimension), row-major.
    pub shape: Vec<usize>,
    /// Fixed-point type of every element; `None` before [`Phase::Typed`].
    pub ty: Option<FixedType>,
}

impl Edge {
    pub fn elements(&self) -> usize {
        self.shape.iter().product()
    }
}

/// The network: one input node, one output node, layers between them.
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

    /// The layers from the input to the output, in order (the graph is a chain; checked by the verifier).
    pub fn chain(&self) -> Result<Vec<NodeIndex>> {
        let mut order = vec![self.input];
        let mut at = self.input;
        while at != self.output {
            let e = self.out_edge(at).ok_or_else(|| {
                Error::Internal(format!(
                    "layer '{}' does not have exactly one consumer",
                    self.g[at].name
                ))
            })?;
            at = self.g.edge_endpoints(e).expect("edge exists").1;
            order.push(at);
            if order.len() > self.g.node_count() {
                return Err(Error::Internal("the graph has a cycle".into()));
            }
        }
        Ok(order)
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

    /// The edge leaving `n`, as an internal error if there is not exactly one.
    pub fn output_edge(&self, n: NodeIndex) -> Result<&Edge> {
        self.out_edge(n).map(|e| &self.g[e]).ok_or_else(|| {
            Error::Internal(format!(
                "layer '{}' does not have exactly one output",
                self.g[n].name
            ))
        })
    }

    /// Removes a node with one input and one output, connecting its producer to its consumer with
    /// the node's output edge (so the consumer keeps the shape it sees).
    pub fn bypass(&mut self, n: NodeIndex) -> Result<()> {
        let (ein, eout) = match (self.in_edge(n), self.out_edge(n)) {
            (Some(a), Some(b)) => (a, b),
            _ => {
                return Err(Error::Internal(format!(
                    "cannot bypass '{}': not a single-input, single-output node",
                    self.g[n].name
                )))
            }
        };
        let src = self.g.edge_endpoints(ein).expect("edge exists").0;
        let dst = self.g.edge_endpoints(eout).expect("edge exists").1;
        let edge = self.g[eout].clone();
        self.g.remove_node(n);
        self.g.add_edge(src, dst, edge);
        Ok(())
    }

    /// A multi-line description of the graph, for `--dump-ir` and tests.
    pub fn dump(&self) -> String {
        let mut out = String::new();
        if let Ok(chain) = self.chain() {
            for n in chain {
                let node = &self.g[n];
                out.push_str(&format!("{} = {}", node.name, node.op.summary()));
                if let Some(e) = self.out_edge(n) {
                    let edge = &self.g[e];
                    let ty = edge
                        .ty
                        .map(|t| t.to_string())
                        .unwrap_or_else(|| "untyped".into());
                    out.push_str(&format!(" -> {:?} {}", edge.shape, ty));
                }
                out.push('\n');
            }
        }
        out
    }
}
