//! Gemm and MatMul: fully connected layers.

use super::{Built, NodeCtx};
use crate::diag::Diagnostic;
use crate::ir::{Dense, Op, ParamTypes};
use ndarray::{Array1, Array2, ArrayD, Axis, Ix2};

type Outcome = Result<Built, Vec<Diagnostic>>;

/// `Y = alpha·A'·B' + beta·C` with A the activation `[n_in]`, B constant; alpha and beta are folded
/// into the weights and bias (in f64, exact for the 1.0 every exporter writes).
pub fn gemm(ctx: &NodeCtx) -> Outcome {
    let mut diags = ctx.reject_unknown_attrs(&["alpha", "beta", "transA", "transB"]);
    let alpha = ctx
        .float_attr("alpha", 1.0)
        .map_err(|d| diags.push(d))
        .unwrap_or(1.0) as f64;
    let beta = ctx
        .float_attr("beta", 1.0)
        .map_err(|d| diags.push(d))
        .unwrap_or(1.0) as f64;
    if let Err(d) = ctx.int_attr_in("transA", 0, &[0]) {
        diags.push(ctx.diag(
            "attribute 'transA'",
            "0 (the activation A cannot be transposed across the batch)",
            d.found,
        ));
    }
    let trans_b = ctx
        .int_attr_in("transB", 0, &[0, 1])
        .map_err(|d| diags.push(d))
        .unwrap_or(0);
    let x = ctx.activation(0).map_err(|d| diags.push(d)).ok().flatten();
    let b = ctx.constant(1).map_err(|d| diags.push(d)).ok().flatten();
    let c = ctx.constant(2).map_err(|d| diags.push(d)).ok().flatten();
    let weights = b.and_then(|b| matrix(ctx, b, "input B").map_err(|d| diags.push(d)).ok());
    let weights = weights.map(|w| if trans_b == 1 { w.reversed_axes() } else { w } * alpha);
    let param_types = ParamTypes {
        weight: ctx.param_type(1).filter(|_| alpha == 1.0),
        bias: ctx.param_type(2).filter(|_| beta == 1.0),
    };
    finish(ctx, diags, x, weights, c.map(|c| (c, beta)), param_types)
}

/// `Y = A·B` with B a constant `[n_in, n_out]`: a Dense without bias (an `Add` may follow).
pub fn matmul(ctx: &NodeCtx) -> Outcome {
    let mut diags = ctx.reject_unknown_attrs(&[]);
    let x = ctx.activation(0).map_err(|d| diags.push(d)).ok().flatten();
    let b = ctx.constant(1).map_err(|d| diags.push(d)).ok().flatten();
    let weights = b.and_then(|b| matrix(ctx, b, "input B").map_err(|d| diags.push(d)).ok());
    let param_types = ParamTypes {
        weight: ctx.param_type(1),
        bias: None,
    };
    finish(ctx, diags, x, weights, None, param_types)
}

fn finish(
    ctx: &NodeCtx,
    mut diags: Vec<Diagnostic>,
    x: Option<Vec<usize>>,
    weights: Option<Array2<f64>>,
    bias: Option<(&ArrayD<f64>, f64)>,
    param_types: ParamTypes,
) -> Outcome {
    let Some(weights) = weights else {
        return Err(diags);
    };
    let (n_in, n_out) = weights.dim();
    if let Some(shape) = &x {
        if shape.len() != 1 || shape[0] != n_in {
            diags.push(ctx.diag(
                "input A shape",
                format!("[{n_in}] per sample (after a Flatten)"),
                format!("{shape:?}"),
            ));
        }
    }
    let (bias, has_bias) = match bias {
        Some((c, beta)) => match broadcast_vector(ctx, c, n_out, "input C") {
            Ok(b) => (b * beta, true),
            Err(d) => {
                diags.push(d);
                (Array1::zeros(n_out), false)
            }
        },
        None => (Array1::zeros(n_out), false),
    };
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(Built::layer(
        Op::Dense(Dense {
            weights,
            bias,
            has_bias,
            precision: None,
            settings: None,
            quantized: None,
            param_types,
        }),
        vec![n_out],
    ))
}

fn matrix(ctx: &NodeCtx, a: &ArrayD<f64>, what: &str) -> Result<Array2<f64>, Diagnostic> {
    a.clone()
        .into_dimensionality::<Ix2>()
        .map_err(|_| ctx.diag(what, "a 2-D constant", format!("shape {:?}", a.shape())))
}

/// A constant broadcastable to `[n]`: shape `[]`, `[1]`, `[n]`, `[1, n]` or `[1, 1]`.
fn broadcast_vector(
    ctx: &NodeCtx,
    a: &ArrayD<f64>,
    n: usize,
    what: &str,
) -> Result<Array1<f64>, Diagnostic> {
    let mut v = a.clone();
    while v.ndim() > 1 && v.shape()[0] == 1 {
        v = v.index_axis_move(Axis(0), 0);
    }
    match v.shape() {
        [] | [1] => Ok(Array1::from_elem(
            n,
            v.iter().next().copied().unwrap_or(0.0),
        )),
        [m] if *m == n => Ok(v.iter().copied().collect()),
        _ => Err(ctx.diag(
            what,
            format!("a constant broadcastable to [{n}]"),
            format!("shape {:?}", a.shape()),
        )),
    }
}
