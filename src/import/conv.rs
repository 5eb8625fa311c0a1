//! `Conv`: 1-D and 2-D convolutions over an image, with explicit or automatic (`SAME_*`) padding
//! as a separate zero-padding layer.

use super::{spatial, Built, NodeCtx};
use crate::diag::Diagnostic;
use crate::ir::{Conv, Dense, Layout, Op, ParamTypes, Window};
use ndarray::{Array1, Array2, ArrayD};

type Outcome = Result<Built, Vec<Diagnostic>>;

/// `Y = conv(X, W) + B` with `X` an image `[C, H, W]` (`[C, L]`), `W` constant `(F, C, kh, kw)`
/// (`(F, C, k)`), group 1 and dilation 1.
pub fn conv(ctx: &NodeCtx) -> Outcome {
    let mut diags = ctx.reject_unknown_attrs(&[
        "kernel_shape",
        "strides",
        "pads",
        "dilations",
        "group",
        "auto_pad",
    ]);
    if let Err(d) = ctx.int_attr_in("group", 1, &[1]) {
        diags.push(ctx.diag(
            "attribute 'group'",
            "1 (grouped and depthwise convolutions are not supported)",
            d.found,
        ));
    }
    let shape = ctx.activation(0).map_err(|d| diags.push(d)).ok().flatten();
    if let Some(d) = shape.as_ref().and_then(|_| ctx.not_channels_first(0)) {
        diags.push(d);
        return Err(diags);
    }
    let weight = ctx.constant(1).map_err(|d| diags.push(d)).ok().flatten();
    let bias = ctx.constant(2).map_err(|d| diags.push(d)).ok().flatten();
    let (Some(shape), Some(weight)) = (shape, weight) else {
        return Err(diags);
    };
    let [in_h, _, channels] = shape[..] else {
        return Err(diags);
    };
    let one_d = in_h == 1 && weight.ndim() == 3;
    let spatial_dims = if one_d { 1 } else { 2 };
    let wshape = weight.shape().to_vec();
    if wshape.len() != spatial_dims + 2 || wshape[1] != channels {
        diags.push(ctx.diag(
            "input 1 (weights)",
            format!(
                "shape (F, {channels}, {}) for an input of {channels} channels",
                if one_d { "k" } else { "kh, kw" }
            ),
            format!("{wshape:?}"),
        ));
        return Err(diags);
    }
    let filters = wshape[0];
    let kernel: Vec<usize> = wshape[2..].to_vec();
    let geometry = spatial::geometry(ctx, &shape, Some(&kernel), &mut diags);
    let weight = match spatial_dims == 2 && ctx.spatial_swapped(0) {
        true => weight
            .view()
            .permuted_axes(vec![0, 1, 3, 2])
            .as_standard_layout()
            .into_owned(),
        false => weight.clone(),
    };
    let bias = match bias {
        Some(b) if b.len() == filters => Some(b.iter().copied().collect::<Array1<f64>>()),
        Some(b) => {
            diags.push(ctx.diag(
                "input 2 (bias)",
                format!("{filters} values"),
                format!("{:?}", b.shape()),
            ));
            None
        }
        None => None,
    };
    if !diags.is_empty() {
        return Err(diags);
    }
    let Some((window, padding)) = geometry else {
        return Err(diags);
    };
    let mut layers = spatial::pad_layer(&window, padding);
    let out_shape = vec![window.out_h(), window.out_w(), filters];
    layers.push((
        Op::Conv(Conv {
            window,
            dense: Dense {
                weights: window_weights(&weight, &window, filters),
                has_bias: bias.is_some(),
                bias: bias.unwrap_or_else(|| Array1::zeros(filters)),
                precision: None,
                settings: None,
                quantized: None,
                param_types: ParamTypes {
                    weight: ctx.param_type(1),
                    bias: ctx.param_type(2),
                },
            },
            implementation: None,
        }),
        out_shape,
    ));
    Ok(Built::Layers {
        layers,
        layout: Layout::ChannelsFirst,
    })
}

/// ONNX weights `(F, C, kh, kw)` (or `(F, C, k)`) as Dense rows in window order `(fh, fw, c)`.
fn window_weights(weight: &ArrayD<f64>, window: &Window, filters: usize) -> Array2<f64> {
    let (kh, kw, c) = (window.kernel_h, window.kernel_w, window.channels);
    let flat: Vec<f64> = weight.iter().copied().collect();
    Array2::from_shape_fn((kh * kw * c, filters), |(row, f)| {
        let ci = row % c;
        let fw = (row / c) % kw;
        let fh = row / (c * kw);
        flat[((f * c + ci) * kh + fh) * kw + fw]
    })
}
