//! The invariants of each [`Phase`]; a failure is an internal error naming the pass that broke it.
//!
//! All phases: the graph is acyclic; the input is its only node without operands and the output
//! (an `Output` layer, the only one) its only node without consumers, so every layer lies on a
//! path from one to the other; each layer has as many operands as its op reads, on ports
//! 0, 1, …; the edges to a layer's consumers carry the same tensor; every edge has a non-empty
//! shape; Dense weights match the sizes of their edges; Relu and Reshape keep the element count;
//! Add's operands and output have one shape; Concat's agree except along its axis, where the
//! output is their sum; a quantizer keeps its shape and has parameters for every element.
//! `Canonical` and later: no BiasAdd and no Reshape remain.
//! `Typed` and later: every edge has a type and every Dense its precisions and settings, each type's width is
//! between 1 and [`MAX_WIDTH`](crate::fixed::MAX_WIDTH); a Dense's output edge type is its result
//! type; every product and accumulator sum fits an `i128`, and so does an Add's exact sum; a
//! quantizer's output edge has the type it defines for its input edge's.
//! `Quantized`: every Dense has quantized parameters of the right shape, within their types.

use super::{Edge, Graph, Op, Phase};
use crate::diag::{Error, Result};
use crate::fixed::MAX_WIDTH;

pub fn verify(graph: &Graph) -> Result<()> {
    let bad = |what: String| Err(Error::Internal(what));
    let order = graph.order()?;
    for &n in &order {
        let node = &graph.g[n];
        let name = &node.name;
        let in_edges = graph.inputs(n);
        let out_edges = graph.consumers(n);
        let ports: Vec<usize> = in_edges.iter().map(|&e| graph.g[e].port).collect();
        if ports != (0..ports.len()).collect::<Vec<_>>()
            || !node.op.operands().contains(&ports.len())
        {
            return bad(format!(
                "layer '{name}' ({}) reads operands on ports {ports:?}",
                node.op.layer_type()
            ));
        }
        if (ports.is_empty()) != (n == graph.input) {
            return bad(format!(
                "layer '{name}' is a source but not the input, or the reverse"
            ));
        }
        if out_edges.is_empty() != (n == graph.output)
            || matches!(node.op, Op::Output { .. }) != (n == graph.output)
        {
            return bad(format!(
                "layer '{name}' is a sink but not the output, or the reverse"
            ));
        }
        if out_edges.iter().any(|&e| {
            graph.g[e].shape != graph.g[out_edges[0]].shape
                || graph.g[e].ty != graph.g[out_edges[0]].ty
        }) {
            return bad(format!(
                "layer '{name}' gives its consumers different tensors"
            ));
        }
        let inputs: Vec<&Edge> = in_edges.iter().map(|&e| &graph.g[e]).collect();
        let output = out_edges.first().map(|&e| &graph.g[e]);
        for e in inputs.iter().copied().chain(output) {
            if e.elements() == 0 {
                return bad(format!("layer '{name}' has an empty tensor {:?}", e.shape));
            }
            if graph.phase >= Phase::Typed {
                match e.ty {
                    None => return bad(format!("layer '{name}' has an untyped edge")),
                    Some(t) if t.width == 0 || t.width > MAX_WIDTH => {
                        return bad(format!("layer '{name}' has an edge of width {}", t.width))
                    }
                    Some(_) => {}
                }
            }
        }
        if let (Op::Add | Op::Concat { .. }, Some(o)) = (&node.op, output) {
            check_merge(graph.phase, name, &node.op, &inputs, o)?;
            continue;
        }
        let input = inputs.first().copied();
        match (&node.op, input, output) {
            (Op::Input { .. }, None, Some(_)) => {}
            (Op::Output { .. }, Some(_), None) => {}
            (Op::Dense(d), Some(i), Some(o)) => {
                check_dense(graph.phase, name, d, i, o, i.elements(), o.elements())?
            }
            (Op::Conv(c), Some(i), Some(o)) => {
                let w = &c.window;
                let f = c.dense.weights.ncols();
                if i.shape != [w.in_h, w.in_w, w.channels]
                    || o.shape != [w.out_h(), w.out_w(), f]
                    || w.in_h < w.kernel_h
                    || w.in_w < w.kernel_w
                    || w.stride_h == 0
                    || w.stride_w == 0
                {
                    return bad(format!(
                        "conv '{name}' {w:?} does not match its tensors {:?} and {:?}",
                        i.shape, o.shape
                    ));
                }
                if graph.phase >= Phase::Typed && c.implementation.is_none() {
                    return bad(format!("conv '{name}' has no implementation"));
                }
                check_dense(graph.phase, name, &c.dense, i, o, w.window_elements(), f)?
            }
            (Op::Pad(p), Some(i), Some(o)) => {
                let ok = match (&i.shape[..], &o.shape[..]) {
                    ([h, w, c], [ho, wo, co]) => {
                        *ho == h + p.top + p.bottom && *wo == w + p.left + p.right && c == co
                    }
                    _ => false,
                };
                if !ok || (graph.phase >= Phase::Typed && i.ty != o.ty) {
                    return bad(format!(
                        "pad '{name}' {p:?} does not match its tensors {:?} and {:?}",
                        i.shape, o.shape
                    ));
                }
            }
            (Op::Pool(p), Some(i), Some(o)) => {
                let w = &p.window;
                if i.shape != [w.in_h, w.in_w, w.channels]
                    || o.shape != [w.out_h(), w.out_w(), w.channels]
                    || w.in_h < w.kernel_h
                    || w.in_w < w.kernel_w
                    || w.stride_h == 0
                    || w.stride_w == 0
                {
                    return bad(format!(
                        "pool '{name}' {w:?} does not match its tensors {:?} and {:?}",
                        i.shape, o.shape
                    ));
                }
                if graph.phase >= Phase::Typed
                    && (p.implementation.is_none() || p.precision.map(|q| q.result) != o.ty)
                {
                    return bad(format!("pool '{name}' is not typed"));
                }
            }
            (Op::GlobalPool(p), Some(i), Some(o)) => {
                let ok = matches!((&i.shape[..], &o.shape[..]), ([_, _, c], [1, 1, co]) if c == co);
                if !ok || (graph.phase >= Phase::Typed && p.precision.map(|q| q.result) != o.ty) {
                    return bad(format!(
                        "global pool '{name}' does not match its tensors {:?} and {:?}",
                        i.shape, o.shape
                    ));
                }
            }
            (Op::BatchNorm(b), Some(i), Some(o)) => {
                let channels = match &i.shape[..] {
                    [_, _, c] => *c,
                    _ => i.elements(),
                };
                if i.shape != o.shape || b.scale.len() != channels || b.bias.len() != channels {
                    return bad(format!("batch norm '{name}' does not match its tensor"));
                }
                if graph.phase >= Phase::Typed && b.precision.map(|p| p.result) != o.ty {
                    return bad(format!("batch norm '{name}' is not typed"));
                }
                if graph.phase >= Phase::Quantized {
                    let (Some(p), Some((s, bq))) = (b.precision, &b.quantized) else {
                        return bad(format!("batch norm '{name}' is not quantized"));
                    };
                    let within = |m: &i128, t: crate::fixed::FixedType| {
                        *m >= t.min_mantissa() && *m <= t.max_mantissa()
                    };
                    if s.len() != channels
                        || !s.iter().all(|m| within(m, p.scale))
                        || !bq.iter().all(|m| within(m, p.bias))
                    {
                        return bad(format!(
                            "batch norm '{name}' has a parameter outside its type"
                        ));
                    }
                }
            }
            (Op::Transpose { perm }, Some(i), Some(o)) => {
                let mut seen = vec![false; perm.len()];
                let is_perm = perm.len() == i.elements()
                    && perm
                        .iter()
                        .all(|&p| p < seen.len() && !std::mem::replace(&mut seen[p], true));
                if !is_perm
                    || o.elements() != i.elements()
                    || (graph.phase >= Phase::Typed && i.ty != o.ty)
                {
                    return bad(format!(
                        "transpose '{name}' is not a permutation of its input"
                    ));
                }
            }
            (Op::Relu, Some(i), Some(o)) | (Op::Reshape, Some(i), Some(o)) => {
                if i.elements() != o.elements() {
                    return bad(format!("layer '{name}' changes the element count"));
                }
                if graph.phase >= Phase::Canonical && matches!(node.op, Op::Reshape) {
                    return bad(format!("reshape '{name}' remains after canonicalisation"));
                }
            }
            (
                Op::Lut { .. }
                | Op::Softmax(_)
                | Op::LeakyRelu { .. }
                | Op::Clip { .. }
                | Op::Linear,
                Some(i),
                Some(o),
            ) => super::activation::check(graph.phase, name, &node.op, i, o)?,
            (Op::Quantizer(q), Some(i), Some(o)) => {
                if i.shape != o.shape || q.elements() != i.elements() {
                    return bad(format!("quantizer '{name}' does not match its tensors"));
                }
                if graph.phase >= Phase::Typed && i.ty.and_then(|t| q.output_type(t).ok()) != o.ty {
                    return bad(format!("quantizer '{name}' output type is not its own"));
                }
            }
            (Op::Thresholds(t), Some(i), Some(o)) => {
                let (Some(x), Some(y)) = (i.ty, o.ty) else {
                    return bad(format!("thresholds '{name}' on untyped tensors"));
                };
                let steps = &t.steps;
                let fits = |m: &i128, lo: i128, hi: i128| (lo..=hi).contains(m);
                if i.shape != o.shape
                    || steps.len() != i.elements()
                    || steps.index.iter().any(|&k| k as usize >= steps.sets.len())
                    || !steps.sets.iter().all(|s| {
                        s.is_well_formed()
                            && s.outputs
                                .iter()
                                .all(|m| fits(m, y.min_mantissa(), y.max_mantissa()))
                            && s.thresholds
                                .iter()
                                .all(|m| fits(m, x.min_mantissa() + 1, x.max_mantissa()))
                    })
                {
                    return bad(format!("thresholds '{name}' do not match their tensors"));
                }
            }
            (Op::BiasAdd { bias }, Some(i), Some(o)) => {
                let per_channel = matches!(&i.shape[..], [_, _, c] if bias.len() == *c);
                if (bias.len() != i.elements() && !per_channel) || i.shape != o.shape {
                    return bad(format!("bias add '{name}' does not match its tensor"));
                }
                if graph.phase >= Phase::Canonical {
                    return bad(format!("bias add '{name}' remains after canonicalisation"));
                }
            }
            (op, i, o) => {
                return bad(format!(
                    "layer '{name}' ({}) has {} inputs and {} outputs",
                    op.layer_type(),
                    i.is_some() as u8,
                    o.is_some() as u8
                ))
            }
        }
    }
    Ok(())
}

/// An Add's or Concat's operands `inputs` and output `o`.
fn check_merge(phase: Phase, name: &str, op: &Op, inputs: &[&Edge], o: &Edge) -> Result<()> {
    let bad = |what: String| Err(Error::Internal(what));
    match op {
        Op::Add => {
            if inputs.iter().any(|i| i.shape != o.shape) {
                return bad(format!(
                    "add '{name}' has operands of other shapes than its output"
                ));
            }
            if phase >= Phase::Typed {
                let frac = inputs
                    .iter()
                    .map(|i| i.ty.expect("checked").frac_bits())
                    .max();
                let int = inputs.iter().map(|i| i.ty.expect("checked").int_bits).max();
                if let (Some(f), Some(i)) = (frac, int) {
                    if f + i + 2 > MAX_WIDTH as i32 {
                        return bad(format!("add '{name}': the exact sum does not fit 127 bits"));
                    }
                }
            }
        }
        Op::Concat { axis } => {
            let agrees = |i: &&Edge| {
                i.shape.len() == o.shape.len()
                    && *axis < o.shape.len()
                    && (0..o.shape.len()).all(|a| a == *axis || i.shape[a] == o.shape[a])
            };
            let along: usize = inputs
                .iter()
                .map(|i| i.shape.get(*axis).copied().unwrap_or(0))
                .sum();
            if !inputs.iter().all(agrees) || o.shape.get(*axis) != Some(&along) {
                return bad(format!(
                    "concat '{name}' along axis {axis} does not join its operands into its output"
                ));
            }
        }
        _ => unreachable!("only merges"),
    }
    Ok(())
}

/// The Dense arithmetic of a Dense or Conv layer, applied to vectors of `n_in` and `n_out`
/// elements between edges `i` and `o`.
fn check_dense(
    phase: Phase,
    name: &str,
    d: &super::Dense,
    i: &super::Edge,
    o: &super::Edge,
    n_in_expected: usize,
    n_out_expected: usize,
) -> Result<()> {
    let bad = |what: String| Err(Error::Internal(what));
    let (n_in, n_out) = d.weights.dim();
    if n_in != n_in_expected || n_out != n_out_expected || d.bias.len() != n_out {
        return bad(format!(
            "dense '{name}' has weights {n_in}x{n_out} and bias {} between tensors of {} and {} elements",
            d.bias.len(),
            n_in_expected,
            n_out_expected
        ));
    }
    if phase >= Phase::Typed {
        let Some(p) = d.precision else {
            return bad(format!("dense '{name}' has no precision"));
        };
        if d.settings.is_none() {
            return bad(format!("dense '{name}' has no schedule settings"));
        }
        if o.ty != Some(p.result) {
            return bad(format!(
                "dense '{name}' output edge type differs from its result type"
            ));
        }
        let x = i.ty.expect("checked above");
        if x.width + p.weight.width > MAX_WIDTH || p.accum.width + 1 > MAX_WIDTH + 1 {
            return bad(format!(
                "dense '{name}' products or sums do not fit 127 bits"
            ));
        }
    }
    if phase >= Phase::Quantized {
        let Some(q) = &d.quantized else {
            return bad(format!("dense '{name}' is not quantized"));
        };
        let p = d.precision.expect("checked above");
        if q.weights.dim() != d.weights.dim() || q.bias.len() != n_out {
            return bad(format!(
                "dense '{name}' quantized parameters have the wrong shape"
            ));
        }
        let within =
            |m: i128, t: crate::fixed::FixedType| m >= t.min_mantissa() && m <= t.max_mantissa();
        if !q.weights.iter().all(|&w| within(w, p.weight))
            || !q.bias.iter().all(|&b| within(b, p.bias))
        {
            return bad(format!("dense '{name}' has a parameter outside its type"));
        }
    }
    Ok(())
}
