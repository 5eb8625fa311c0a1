//! `Add` and `Mul` of a constant: a bias, fused into the Dense before it, and a scale, a
//! [`BatchNorm`] without bias. tf2onnx writes a Keras BatchNormalization as such a `Mul` and
//! `Add`. The constant broadcasts over the tensor as numpy broadcasts; it holds one value per
//! channel of an image (the last held axis of any rank-3 tensor), or per element of a vector.

use super::tensor::broadcast;
use super::{Built, NodeCtx};
use crate::diag::Diagnostic;
use crate::ir::{BatchNorm, Op};
use ndarray::{Array1, ArrayD};

type Outcome = Result<Built, Vec<Diagnostic>>;

/// `Y = X + C`: a bias, fused into the preceding Dense (or the scale of a `Mul`) by the
/// `fuse-bias-add` pass.
pub fn add(ctx: &NodeCtx) -> Outcome {
    let (shape, bias) = operands(ctx, "constant addend")?;
    Ok(Built::Layers {
        layers: vec![(Op::BiasAdd { bias }, shape)],
        layout: ctx.layout(ctx.activation_index().unwrap_or(0)),
    })
}

/// `Y = X · C`: a BatchNorm of scale `C` and bias 0.
pub fn mul(ctx: &NodeCtx) -> Outcome {
    let (shape, scale) = operands(ctx, "constant factor")?;
    let bias = Array1::zeros(scale.len());
    Ok(Built::Layers {
        layers: vec![(
            Op::BatchNorm(BatchNorm {
                scale,
                bias,
                precision: None,
                quantized: None,
            }),
            shape,
        )],
        layout: ctx.layout(ctx.activation_index().unwrap_or(0)),
    })
}

/// The held shape of the node's one computed input and the constant's values (see
/// [`per_channel`]).
fn operands(ctx: &NodeCtx, what: &str) -> Result<(Vec<usize>, Array1<f64>), Vec<Diagnostic>> {
    let mut diags = ctx.reject_unknown_attrs(&[]);
    let Some(act) = ctx.activation_index().filter(|_| ctx.node.input.len() == 2) else {
        diags.push(ctx.diag(
            "inputs",
            "one tensor computed from the model input and one constant",
            "another combination",
        ));
        return Err(diags);
    };
    let shape = ctx
        .activation(act)
        .map_err(|d| diags.push(d))
        .ok()
        .flatten();
    let c = ctx
        .constant(1 - act)
        .map_err(|d| diags.push(d))
        .ok()
        .flatten();
    let (Some(shape), Some(c)) = (shape, c) else {
        return Err(diags);
    };
    match per_channel(ctx, act, &shape, c) {
        Ok(values) if diags.is_empty() => Ok((shape, values)),
        Ok(_) => Err(diags),
        Err(found) => {
            let onnx = ctx.onnx_shape(act);
            let expected = match shape.len() {
                3 => format!(
                    "a constant broadcasting to {onnx:?} that varies only along its channels"
                ),
                _ => format!("a constant broadcasting to the tensor {onnx:?}"),
            };
            diags.push(ctx.diag(what, expected, found));
            Err(diags)
        }
    }
}

/// The value constant `c` gives each channel of activation input `act`, of held shape `shape`
/// (the last axis of a rank-3 tensor, which an image holds its channels in) or each element of
/// any other; the error says why there is none.
fn per_channel(
    ctx: &NodeCtx,
    act: usize,
    shape: &[usize],
    c: &ArrayD<f64>,
) -> Result<Array1<f64>, String> {
    let mut onnx = vec![1];
    onnx.extend(ctx.onnx_shape(act));
    let mut c = c.clone();
    while c.ndim() > onnx.len() && c.shape()[0] == 1 {
        c = c.index_axis_move(ndarray::Axis(0), 0);
    }
    let index = broadcast(&onnx, c.shape(), &ctx.onnx_order(act))
        .map_err(|why| format!("shape {:?}: {why}", c.shape()))?;
    let flat: Vec<f64> = c.iter().copied().collect();
    let per_element: Vec<f64> = index.iter().map(|&i| flat[i]).collect();
    if shape.len() != 3 {
        return Ok(per_element.into());
    }
    let channels = shape[shape.len() - 1];
    let per_channel: Vec<f64> = per_element[..channels].to_vec();
    match per_element
        .iter()
        .enumerate()
        .find(|&(e, &v)| v != per_channel[e % channels])
    {
        None => Ok(per_channel.into()),
        Some((e, _)) => Err(format!(
            "shape {:?}, whose values differ within channel {}",
            c.shape(),
            e % channels
        )),
    }
}
