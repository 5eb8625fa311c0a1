//! Layers that join tensors: `Add` of two computed tensors (an `Add` of a constant is a bias,
//! see [`super::affine::add`]) and `Concat`.

use super::{layout, Built, NodeCtx};
use crate::diag::Diagnostic;
use crate::ir::{Layout, Op};

type Outcome = Result<Built, Vec<Diagnostic>>;

/// The shapes of inputs `0..n`, all computed tensors, and their common layout.
fn operands(ctx: &NodeCtx, n: usize) -> Result<(Vec<Vec<usize>>, Layout), Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut shapes = Vec::new();
    for i in 0..n {
        match ctx.activation(i) {
            Ok(Some(shape)) => shapes.push(shape),
            Ok(None) => {}
            Err(d) => diags.push(d),
        }
    }
    let layout = ctx.layout(0);
    if let Some(other) = (1..n).map(|i| ctx.layout(i)).find(|&l| l != layout) {
        diags.push(ctx.diag(
            "inputs",
            "tensors of one layout",
            format!(
                "{} and {}",
                layout::describe(layout),
                layout::describe(other)
            ),
        ));
    }
    if diags.is_empty() && shapes.len() == n {
        Ok((shapes, layout))
    } else {
        Err(diags)
    }
}

/// `Add`: of two computed tensors of one shape, an element-wise sum (no broadcasting); of a
/// tensor and a constant, a bias.
pub fn add(ctx: &NodeCtx) -> Outcome {
    if ctx.activation_index().is_some() || ctx.node.input.len() != 2 {
        return super::affine::add(ctx);
    }
    let attrs = ctx.reject_unknown_attrs(&[]);
    let (shapes, layout) = operands(ctx, 2)?;
    if !attrs.is_empty() {
        return Err(attrs);
    }
    if shapes[0] != shapes[1] {
        return Err(vec![ctx.diag(
            "input shapes",
            "two tensors of the same shape (broadcasting is not supported)",
            format!("{:?} and {:?}", shapes[0], shapes[1]),
        )]);
    }
    Ok(Built::Layers {
        layers: vec![(Op::Add, shapes[0].clone())],
        layout,
    })
}

/// `Concat` of computed tensors along `axis` (not the batch axis). Images are held
/// channels-last, so their axes are renumbered: ONNX `[C, H, W]` is `[H, W, C]` inside
/// (`[C, L]` is `[1, L, C]`). A `Concat` of one tensor is that tensor.
pub fn concat(ctx: &NodeCtx) -> Outcome {
    let mut diags = ctx.reject_unknown_attrs(&["axis"]);
    let n = ctx.node.input.len();
    if n == 0 {
        diags.push(ctx.diag("inputs", "one or more tensors", "none"));
        return Err(diags);
    }
    let (shapes, layout) = match operands(ctx, n) {
        Ok(found) => found,
        Err(more) => {
            diags.extend(more);
            return Err(diags);
        }
    };
    let onnx_rank = ctx.onnx_rank(0);
    let axis = match ctx.node.attribute.iter().find(|a| a.name() == "axis") {
        None => {
            diags.push(ctx.diag("attribute 'axis'", "present", "absent"));
            return Err(diags);
        }
        Some(_) => match ctx.int_attr("axis", 1) {
            Ok(a) => a,
            Err(d) => {
                diags.push(d);
                return Err(diags);
            }
        },
    };
    let full = onnx_rank as i64 + 1;
    let a = if axis < 0 { axis + full } else { axis };
    if a <= 0 || a >= full {
        diags.push(ctx.diag(
            "attribute 'axis'",
            format!(
                "an axis of the per-sample tensor, 1 to {} (or negative)",
                full - 1
            ),
            axis.to_string(),
        ));
        return Err(diags);
    }
    let inside = internal_axis(a as usize - 1, onnx_rank, layout);
    let agrees = shapes.iter().all(|s| {
        s.len() == shapes[0].len() && (0..s.len()).all(|d| d == inside || s[d] == shapes[0][d])
    });
    if !agrees {
        diags.push(ctx.diag(
            "input shapes",
            format!("equal except along axis {axis}"),
            format!("{shapes:?}"),
        ));
        return Err(diags);
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    let mut shape = shapes[0].clone();
    shape[inside] = shapes.iter().map(|s| s[inside]).sum();
    let op = if n == 1 {
        Op::Reshape
    } else {
        Op::Concat { axis: inside }
    };
    Ok(Built::Layers {
        layers: vec![(op, shape)],
        layout,
    })
}

/// The held axis of ONNX per-sample axis `axis` of a tensor of `onnx_rank` axes in `layout`.
fn internal_axis(axis: usize, onnx_rank: usize, layout: Layout) -> usize {
    match (layout, onnx_rank, axis) {
        (Layout::ChannelsFirst, _, 0) => 2,
        (Layout::ChannelsFirst, 3, a) => a - 1,
        (Layout::ChannelsLast, 2, a) => a + 1,
        (_, _, a) => a,
    }
}
