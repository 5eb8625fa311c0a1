//! Relu and the shape-only ops (Flatten, Reshape, Identity), plus `Constant`.

use super::tensor::reshape_const;
use super::{layout, tensor_to_array, Built, NodeCtx};
use crate::diag::Diagnostic;
use crate::ir::{Layout, Op};

type Outcome = Result<Built, Vec<Diagnostic>>;

fn single_activation(ctx: &NodeCtx) -> Result<Vec<usize>, Vec<Diagnostic>> {
    match ctx.activation(0) {
        Ok(Some(shape)) => Ok(shape),
        Ok(None) => Err(vec![]),
        Err(d) => Err(vec![d]),
    }
}

pub fn relu(ctx: &NodeCtx) -> Outcome {
    let diags = ctx.reject_unknown_attrs(&[]);
    let shape = single_activation(ctx)?;
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(Built::Layers {
        layers: vec![(Op::Relu, shape)],
        layout: ctx.layout(0),
    })
}

pub fn identity(ctx: &NodeCtx) -> Outcome {
    pass_through(ctx, &[])
}

/// Dropout in an inference graph is the identity; its ratio and mode (inputs from opset 12,
/// attributes `ratio`/`is_test` before) do not matter.
pub fn dropout(ctx: &NodeCtx) -> Outcome {
    pass_through(ctx, &["seed", "ratio", "is_test"])
}

fn pass_through(ctx: &NodeCtx, known_attrs: &[&str]) -> Outcome {
    let diags = ctx.reject_unknown_attrs(known_attrs);
    let shape = single_activation(ctx)?;
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(Built::Layers {
        layers: vec![(Op::Reshape, shape)],
        layout: ctx.layout(0),
    })
}

/// `Flatten(axis = 1)`: the per-sample tensor becomes a vector.
pub fn flatten(ctx: &NodeCtx) -> Outcome {
    let mut diags = ctx.reject_unknown_attrs(&["axis"]);
    if let Err(d) = ctx.int_attr_in("axis", 1, &[1]) {
        diags.push(ctx.diag(
            "attribute 'axis'",
            "1 (flatten everything but the batch)",
            d.found,
        ));
    }
    let shape = single_activation(ctx)?;
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(flattened(ctx, &shape))
}

/// The node's input as a vector in ONNX's row-major order. An image becomes a vector through a
/// Transpose, which reorders a channels-first image (held channels-last) and keeps the order of
/// a channels-last one; any other tensor is only reshaped.
fn flattened(ctx: &NodeCtx, shape: &[usize]) -> Built {
    let n = shape.iter().product();
    let op = match ctx.layout(0) {
        Layout::ChannelsFirst => Op::Transpose {
            perm: crate::ir::channels_first_order(shape),
        },
        Layout::ChannelsLast => Op::Transpose {
            perm: (0..n).collect(),
        },
        Layout::Plain => Op::Reshape,
    };
    Built::layer(op, vec![n])
}

/// `Reshape` with a constant target shape whose first entry keeps the batch (`-1`, `0`, or any
/// size when the rest accounts for every element of a sample). An image may only be flattened,
/// or, with one channel, moved from channels-last to channels-first.
pub fn reshape(ctx: &NodeCtx) -> Outcome {
    let mut diags = ctx.reject_unknown_attrs(&["allowzero"]);
    if let Some(a) = ctx.constant_operand() {
        let target = ctx.constant(1).ok().flatten();
        let allow_zero = ctx.int_attr("allowzero", 0).unwrap_or(0) == 1;
        let folded = match target {
            Some(t) => {
                let t: Vec<i64> = t.iter().map(|&v| v as i64).collect();
                reshape_const(a, &t, allow_zero)
            }
            None => Err("no constant shape".to_owned()),
        };
        return match folded {
            Ok(folded) if diags.is_empty() => Ok(Built::Const(folded)),
            Ok(_) => Err(diags),
            Err(found) => {
                diags.push(ctx.diag(
                    "input 1 (shape)",
                    format!("a constant shape for the constant of shape {:?}", a.shape()),
                    found,
                ));
                Err(diags)
            }
        };
    }
    let shape = single_activation(ctx)?;
    let target = match ctx.constant(1) {
        Ok(Some(t)) => t.iter().map(|&v| v as i64).collect::<Vec<i64>>(),
        Ok(None) => {
            diags.push(ctx.diag("input 1 (shape)", "a constant shape", "nothing"));
            return Err(diags);
        }
        Err(d) => {
            diags.push(ctx.diag(
                "input 1 (shape)",
                "a constant shape (computed shapes are not supported)",
                d.found,
            ));
            return Err(diags);
        }
    };
    let allow_zero = ctx
        .int_attr_in("allowzero", 0, &[0, 1])
        .map_err(|d| diags.push(d))
        .unwrap_or(0)
        == 1;
    if allow_zero && target.contains(&0) {
        diags.push(ctx.diag(
            "target shape",
            "no 0 entries with allowzero = 1 (a zero-sized tensor)",
            format!("{target:?}"),
        ));
        return Err(diags);
    }
    let n: usize = shape.iter().product();
    let rest = &target[1.min(target.len())..];
    let known: i64 = rest.iter().filter(|&&d| d > 0).product();
    let wildcards = rest.iter().filter(|&&d| d == -1).count();
    let resolved: Option<Vec<usize>> = match (target.first(), wildcards) {
        (None, _) => None,
        (Some(_), 0) if rest.iter().all(|&d| d > 0) && known as usize == n => {
            Some(rest.iter().map(|&d| d as usize).collect())
        }
        (Some(&b), 1)
            if b >= 0
                && known > 0
                && n % known as usize == 0
                && rest.iter().all(|&d| d > 0 || d == -1) =>
        {
            Some(
                rest.iter()
                    .map(|&d| {
                        if d == -1 {
                            n / known as usize
                        } else {
                            d as usize
                        }
                    })
                    .collect(),
            )
        }
        _ => None,
    };
    let image = ctx.layout(0).is_image();
    match resolved {
        Some(s) if diags.is_empty() && s.len() == 1 && image => Ok(flattened(ctx, &shape)),
        Some(s) if diags.is_empty() && image => {
            if let Some(built) = layout::image_view(ctx, &s) {
                return Ok(built);
            }
            diags.push(ctx.diag(
                "target shape",
                format!("[batch, {n}] (an image may only be flattened or get or lose unit axes)"),
                format!("{target:?} giving {s:?}"),
            ));
            Err(diags)
        }
        Some(s) if diags.is_empty() && !s.is_empty() => Ok(Built::layer(Op::Reshape, s)),
        _ => {
            diags.push(ctx.diag(
                "target shape",
                format!("[batch, …] keeping the batch and the {n} elements of a sample of shape {shape:?}"),
                format!("{target:?}"),
            ));
            Err(diags)
        }
    }
}

pub fn constant(ctx: &NodeCtx) -> Outcome {
    let mut diags = ctx.reject_unknown_attrs(&["value"]);
    match ctx.tensor_attr("value") {
        Ok(Some(t)) => match tensor_to_array(t) {
            Ok(a) if diags.is_empty() => Ok(Built::Const(a)),
            Ok(_) => Err(diags),
            Err(found) => {
                diags.push(ctx.diag(
                    "attribute 'value'",
                    "a float, double or integer tensor",
                    found,
                ));
                Err(diags)
            }
        },
        _ => {
            diags.push(ctx.diag("attribute 'value'", "a tensor", "nothing"));
            Err(diags)
        }
    }
}
