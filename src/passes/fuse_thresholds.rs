//! Replaces a chain of elementwise layers ending in a quantizer (a BatchNorm or bias then a
//! sign, binary, ternary or few-level quantizer: REFERENCE §5.3, §7.3) by comparisons of the
//! chain's input with constant thresholds, [`Op::Thresholds`].
//!
//! The thresholds come from the golden model's own arithmetic: every layer of the chain runs on
//! every input mantissa, and an element's thresholds are the mantissas where its output changes.
//! The step function therefore equals the chain on every input, whatever the chain's rounding,
//! saturation or sign of scale; a negative BatchNorm scale simply gives outputs that fall. (This
//! follows the model's arithmetic, not hls4ml's floored float threshold, which admits one input
//! code too many when the float threshold is off the input grid.) A chain is fused when its
//! input type has at most [`MAX_INPUT_CODES`] mantissas and each element at most
//! [`MAX_LEVELS`] distinct outputs.

use super::{registry::Pass, PassContext};
use crate::diag::Result;
use crate::golden::{GoldenModel, Layer};
use crate::ir::quantizer::PerElement;
use crate::ir::thresholds::{Steps, Thresholds};
use crate::ir::{Graph, Op, Phase};
use petgraph::stable_graph::NodeIndex;
use std::collections::BTreeMap;

pub const PASS: Pass = Pass {
    name: "fuse-thresholds",
    summary: "replaces elementwise layers ending in a quantizer by comparisons with thresholds",
    required: false,
    produces: Phase::Quantized,
    run,
};

/// The most input mantissas a chain is evaluated on.
pub const MAX_INPUT_CODES: i128 = 1 << 16;

/// The most distinct outputs of one element.
pub const MAX_LEVELS: usize = 16;

fn run(graph: &mut Graph, _: &mut PassContext) -> Result<()> {
    if !graph
        .g
        .node_weights()
        .any(|n| matches!(n.op, Op::Quantizer(_)))
    {
        return Ok(());
    }
    let model = GoldenModel::compile(graph)?;
    let layer = |name: &str| model.layers.iter().find(|l| l.name() == name);
    for end in graph.order()? {
        if !graph.g.contains_node(end) || !matches!(graph.g[end].op, Op::Quantizer(_)) {
            continue;
        }
        let chain = chain_into(graph, end, &|n| layer(&graph.g[n].name).is_some());
        if chain.is_empty() {
            continue;
        }
        let first_in = graph.input_edge(chain[0])?;
        let x_ty = first_in.ty.expect("typed");
        let n = first_in.elements();
        let (lo, hi) = (x_ty.min_mantissa(), x_ty.max_mantissa());
        if hi - lo + 1 > MAX_INPUT_CODES {
            continue;
        }
        let layers: Vec<&Layer> = chain
            .iter()
            .map(|&c| layer(&graph.g[c].name).expect("chain layers are in the model"))
            .collect();
        let Some(steps) = step_functions(&layers, n, lo, hi) else {
            continue;
        };
        let fused = chain.iter().map(|&c| graph.g[c].name.clone()).collect();
        replace(graph, &chain, Op::Thresholds(Thresholds { steps, fused }))?;
    }
    Ok(())
}

/// The longest chain of elementwise layers ending in `end` whose layers other than `end` feed
/// only the next one and which `in_model` accepts (a quantizer reading the float model input is
/// part of the input conversion, not a layer), in order.
fn chain_into(
    graph: &Graph,
    end: NodeIndex,
    in_model: &dyn Fn(NodeIndex) -> bool,
) -> Vec<NodeIndex> {
    let elementwise = |n: NodeIndex| {
        matches!(
            graph.g[n].op,
            Op::BatchNorm(_)
                | Op::Quantizer(_)
                | Op::Relu
                | Op::Clip { .. }
                | Op::Linear
                | Op::LeakyRelu { .. }
        ) && in_model(n)
    };
    let mut chain = vec![];
    let mut at = end;
    while elementwise(at) && (at == end || graph.consumers(at).len() == 1) {
        chain.push(at);
        let Some(e) = graph.in_edge(at) else { break };
        at = graph.g.edge_endpoints(e).expect("edge exists").0;
    }
    chain.reverse();
    chain
}

/// Each element's step function over input mantissas `lo..=hi`, from running `layers` on every
/// one; `None` if an element has more than [`MAX_LEVELS`] outputs.
fn step_functions(layers: &[&Layer], n: usize, lo: i128, hi: i128) -> Option<PerElement<Steps>> {
    let mut per_element: Vec<Steps> = vec![
        Steps {
            thresholds: vec![],
            outputs: vec![],
        };
        n
    ];
    for m in lo..=hi {
        let y = layers.iter().fold(vec![m; n], |v, layer| layer.run(&[&v]));
        for (steps, &out) in per_element.iter_mut().zip(&y) {
            if steps.outputs.last() != Some(&out) {
                if !steps.outputs.is_empty() {
                    steps.thresholds.push(m);
                }
                steps.outputs.push(out);
                if steps.outputs.len() > MAX_LEVELS {
                    return None;
                }
            }
        }
    }
    let mut sets: Vec<Steps> = vec![];
    let mut known: BTreeMap<(Vec<i128>, Vec<i128>), u32> = BTreeMap::new();
    let index = per_element
        .into_iter()
        .map(|s| {
            *known
                .entry((s.thresholds.clone(), s.outputs.clone()))
                .or_insert_with(|| {
                    sets.push(s);
                    sets.len() as u32 - 1
                })
        })
        .collect();
    Some(PerElement { sets, index })
}

/// Makes the chain's last layer the `op` reading the chain's input, removing the others.
fn replace(graph: &mut Graph, chain: &[NodeIndex], op: Op) -> Result<()> {
    let (&last, rest) = chain.split_last().expect("a chain has a layer");
    let input = graph.input_edge(chain[0])?.clone();
    for &n in rest.iter().rev() {
        let node = graph.g[n].clone();
        graph.bypass(n)?;
        let layer = &mut graph.g[last];
        let mut origin = node.origin;
        origin.append(&mut layer.origin);
        layer.origin = origin;
        for name in node.config_names {
            if !layer.config_names.contains(&name) {
                layer.config_names.push(name);
            }
        }
    }
    let e = graph
        .in_edge(last)
        .expect("the chain's last layer has one input");
    graph.g[e] = input;
    graph.g[last].op = op;
    Ok(())
}
