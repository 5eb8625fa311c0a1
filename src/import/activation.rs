//! Activations besides Relu: `Sigmoid`, `Tanh`, `Softmax`, `LeakyRelu` and `Clip`.

use super::{Built, NodeCtx};
use crate::diag::Diagnostic;
use crate::ir::{LutFunction, Op};

type Outcome = Result<Built, Vec<Diagnostic>>;

/// One layer of `op` over the node's single activation input, keeping its shape.
fn elementwise(ctx: &NodeCtx, op: Op, diags: Vec<Diagnostic>) -> Outcome {
    let (shape, diags) = ctx.activation_or(0, diags)?;
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(Built::Layers {
        layers: vec![(op, shape)],
        layout: ctx.layout(0),
    })
}

pub fn sigmoid(ctx: &NodeCtx) -> Outcome {
    let lut = Op::Lut {
        function: LutFunction::Sigmoid,
        table: None,
    };
    elementwise(ctx, lut, ctx.reject_unknown_attrs(&[]))
}

pub fn tanh(ctx: &NodeCtx) -> Outcome {
    let lut = Op::Lut {
        function: LutFunction::Tanh,
        table: None,
    };
    elementwise(ctx, lut, ctx.reject_unknown_attrs(&[]))
}

/// `LeakyRelu(alpha)`, alpha as the file's float32 (default 0.01).
pub fn leaky_relu(ctx: &NodeCtx) -> Outcome {
    let mut diags = ctx.reject_unknown_attrs(&["alpha"]);
    let alpha = match ctx.float_attr("alpha", 0.01) {
        Ok(a) if a.is_finite() => a as f64,
        Ok(a) => {
            diags.push(ctx.diag("attribute 'alpha'", "a finite number", a.to_string()));
            0.0
        }
        Err(d) => {
            diags.push(d);
            0.0
        }
    };
    let op = Op::LeakyRelu { alpha, param: None };
    elementwise(ctx, op, diags)
}

/// `Softmax` along the last axis of the per-sample tensor (the channel axis, ONNX axis 1, of an
/// image, which is held channels-last), as hls4ml computes it. Before opset 13 the axis
/// (default 1) flattens every axis from it on, so it must be the last one.
pub fn softmax(ctx: &NodeCtx) -> Outcome {
    let mut diags = ctx.reject_unknown_attrs(&["axis"]);
    let rank = ctx.onnx_rank(0) as i64;
    let image = ctx.is_image(0);
    let default = if ctx.opset >= 13 { -1 } else { 1 };
    match ctx.int_attr("axis", default) {
        Ok(axis) => {
            let a = if axis < 0 { axis + rank + 1 } else { axis };
            let wanted = if image && ctx.opset >= 13 { 1 } else { rank };
            if a != wanted || (image && ctx.opset < 13) {
                let expected = if image && ctx.opset < 13 {
                    "opset 13 or later for a softmax of an image (the older softmax flattens the channels with the pixels)".to_owned()
                } else if image {
                    "1, the channel axis: a softmax runs along the channels of each pixel"
                        .to_owned()
                } else {
                    format!("{rank} or -1, the last axis: a softmax runs along the last axis")
                };
                diags.push(ctx.diag("attribute 'axis'", expected, axis.to_string()));
            }
        }
        Err(d) => diags.push(d),
    }
    elementwise(ctx, Op::Softmax(None), diags)
}

/// `Clip` with constant bounds: inputs 1 and 2 (opset 11 on, a `Constant` or initializer; either
/// may be absent) or the attributes `min` and `max` (before opset 11). Infinite bounds do not
/// clamp.
pub fn clip(ctx: &NodeCtx) -> Outcome {
    let mut diags = ctx.reject_unknown_attrs(&["min", "max"]);
    let mut bound = |k: usize, name: &str| -> Option<f64> {
        let has_attr = ctx.node.attribute.iter().any(|a| a.name() == name);
        let value = if has_attr {
            match ctx.float_attr(name, 0.0) {
                Ok(v) => v as f64,
                Err(d) => {
                    diags.push(d);
                    return None;
                }
            }
        } else {
            match ctx.constant(k) {
                Ok(None) => return None,
                Ok(Some(a)) if a.len() == 1 => a.iter().copied().next().expect("one value"),
                Ok(Some(a)) => {
                    diags.push(ctx.diag(
                        format!("input {k} ({name})"),
                        "a scalar",
                        format!("a tensor of shape {:?}", a.shape()),
                    ));
                    return None;
                }
                Err(d) => {
                    diags.push(ctx.diag(
                        format!("input {k} ({name})"),
                        "a constant bound (an initializer or a Constant node)",
                        d.found,
                    ));
                    return None;
                }
            }
        };
        if value.is_nan() {
            diags.push(ctx.diag(format!("{name} bound"), "a number", "NaN"));
        }
        value.is_finite().then_some(value)
    };
    let min = bound(1, "min");
    let max = bound(2, "max");
    if let (Some(lo), Some(hi)) = (min, max) {
        if lo > hi {
            diags.push(ctx.diag("bounds", "min ≤ max", format!("min {lo} > max {hi}")));
        }
    }
    elementwise(ctx, Op::Clip { min, max }, diags)
}
