//! The invariants of each [`Phase`]; a failure is an internal error naming the pass that broke it.
//!
//! All phases: the graph is a chain from `input` to `output`; every edge has a non-empty shape;
//! Dense weights match the sizes of their edges; Relu and Reshape keep the element count.
//! `Canonical` and later: no BiasAdd and no Reshape remain.
//! `Typed` and later: every edge has a type and every Dense its precisions and settings, each type's width is
//! between 1 and [`MAX_WIDTH`](crate::fixed::MAX_WIDTH); a Dense's output edge type is its result
//! type; every product and accumulator sum fits an `i128`.
//! `Quantized`: every Dense has quantized parameters of the right shape, within their types.

use super::{Graph, Op, Phase};
use crate::diag::{Error, Result};
use crate::fixed::MAX_WIDTH;

pub fn verify(graph: &Graph) -> Result<()> {
    let bad = |what: String| Err(Error::Internal(what));
    let chain = graph.chain()?;
    if chain.len() != graph.g.node_count() {
        return bad(format!(
            "{} nodes are not on the input-output chain",
            graph.g.node_count() - chain.len()
        ));
    }
    for (pos, &n) in chain.iter().enumerate() {
        let node = &graph.g[n];
        let name = &node.name;
        let input = if pos == 0 {
            None
        } else {
            Some(graph.input_edge(n)?)
        };
        let output = if n == graph.output {
            None
        } else {
            Some(graph.output_edge(n)?)
        };
        for e in input.iter().chain(output.iter()) {
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
            (Op::BiasAdd { bias }, Some(i), Some(o)) => {
                if bias.len() != i.elements() || i.elements() != o.elements() {
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
