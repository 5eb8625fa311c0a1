//! Pooling (`MaxPool`, `AveragePool`, `GlobalMaxPool`, `GlobalAveragePool`) and
//! `BatchNormalization`.

use super::{spatial, Built, NodeCtx};
use crate::diag::Diagnostic;
use crate::ir::{BatchNorm, GlobalPool, Layout, Op, Pool, PoolKind};
use ndarray::Array1;

type Outcome = Result<Built, Vec<Diagnostic>>;

/// The image input of a pooling node, or the diagnostics why there is none.
fn image(ctx: &NodeCtx, diags: &mut Vec<Diagnostic>) -> Option<Vec<usize>> {
    let shape = ctx
        .activation(0)
        .map_err(|d| diags.push(d))
        .ok()
        .flatten()?;
    if let Some(d) = ctx.not_channels_first(0) {
        diags.push(d);
        return None;
    }
    Some(shape)
}

pub fn max_pool(ctx: &NodeCtx) -> Outcome {
    pool(ctx, PoolKind::Max)
}

pub fn average_pool(ctx: &NodeCtx) -> Outcome {
    pool(ctx, PoolKind::Average)
}

/// `MaxPool` / `AveragePool` with `ceil_mode = 0`. Max pooling pads with the type's minimum;
/// average pooling pads with zeros and so needs `count_include_pad = 1` when it pads.
fn pool(ctx: &NodeCtx, kind: PoolKind) -> Outcome {
    let mut known = vec![
        "kernel_shape",
        "strides",
        "pads",
        "auto_pad",
        "ceil_mode",
        "dilations",
    ];
    known.push(match kind {
        PoolKind::Max => "storage_order",
        PoolKind::Average => "count_include_pad",
    });
    let mut diags = ctx.reject_unknown_attrs(&known);
    if let Err(d) = ctx.int_attr_in("ceil_mode", 0, &[0]) {
        diags.push(ctx.diag(
            "attribute 'ceil_mode'",
            "0 (output sizes rounded down)",
            d.found,
        ));
    }
    if kind == PoolKind::Max {
        if let Err(d) = ctx.int_attr_in("storage_order", 0, &[0]) {
            diags.push(d);
        }
    }
    let include_pad = ctx
        .int_attr_in("count_include_pad", 0, &[0, 1])
        .map_err(|d| diags.push(d))
        .unwrap_or(0)
        == 1;
    let Some(shape) = image(ctx, &mut diags) else {
        return Err(diags);
    };
    let Some((window, mut padding)) = spatial::geometry(ctx, &shape, None, &mut diags) else {
        return Err(diags);
    };
    let pads = padding.top + padding.bottom + padding.left + padding.right > 0;
    if kind == PoolKind::Average && pads && !include_pad {
        diags.push(ctx.diag(
            "attribute 'count_include_pad'",
            "1 when the pooling pads (the divisor is then always the window area)",
            "0",
        ));
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    padding.minimum = kind == PoolKind::Max;
    let mut layers = spatial::pad_layer(&window, padding);
    layers.push((
        Op::Pool(Pool {
            kind,
            window,
            precision: None,
            implementation: None,
        }),
        vec![window.out_h(), window.out_w(), window.channels],
    ));
    Ok(Built::Layers {
        layers,
        layout: Layout::ChannelsFirst,
    })
}

pub fn global_max_pool(ctx: &NodeCtx) -> Outcome {
    global_pool(ctx, PoolKind::Max)
}

pub fn global_average_pool(ctx: &NodeCtx) -> Outcome {
    global_pool(ctx, PoolKind::Average)
}

fn global_pool(ctx: &NodeCtx, kind: PoolKind) -> Outcome {
    let mut diags = ctx.reject_unknown_attrs(&[]);
    let shape = image(ctx, &mut diags);
    let Some(shape) = shape.filter(|_| diags.is_empty()) else {
        return Err(diags);
    };
    Ok(Built::Layers {
        layers: vec![(
            Op::GlobalPool(GlobalPool {
                kind,
                precision: None,
            }),
            vec![1, 1, shape[2]],
        )],
        layout: Layout::ChannelsFirst,
    })
}

/// `BatchNormalization` in inference mode over the channels (the last axis held here).
pub fn batch_norm(ctx: &NodeCtx) -> Outcome {
    let mut diags = ctx.reject_unknown_attrs(&["epsilon", "momentum", "training_mode", "spatial"]);
    if let Err(d) = ctx.int_attr_in("training_mode", 0, &[0]) {
        diags.push(ctx.diag("attribute 'training_mode'", "0 (inference)", d.found));
    }
    let epsilon = ctx
        .float_attr("epsilon", 1e-5)
        .map_err(|d| diags.push(d))
        .unwrap_or(1e-5);
    let shape = ctx.activation(0).map_err(|d| diags.push(d)).ok().flatten();
    let channels = shape.as_ref().map(|s| match ctx.is_image(0) {
        true => s[2],
        false => s.iter().product(),
    });
    let names = ["scale", "B", "input_mean", "input_var"];
    let params: Vec<Option<Vec<f32>>> = (1..=4)
        .map(|i| match ctx.constant(i) {
            Ok(Some(a)) if Some(a.len()) == channels => Some(a.iter().map(|&v| v as f32).collect()),
            Ok(Some(a)) => {
                diags.push(ctx.diag(
                    format!("input {i} ({})", names[i - 1]),
                    format!("{} values, one per channel", channels.unwrap_or(0)),
                    format!("{:?}", a.shape()),
                ));
                None
            }
            Ok(None) => {
                diags.push(ctx.diag(
                    format!("input {i} ({})", names[i - 1]),
                    "a constant",
                    "nothing",
                ));
                None
            }
            Err(d) => {
                diags.push(d);
                None
            }
        })
        .collect();
    let (Some(shape), [Some(gamma), Some(beta), Some(mean), Some(var)]) = (shape, &params[..])
    else {
        return Err(diags);
    };
    if !diags.is_empty() {
        return Err(diags);
    }
    let scale: Vec<f32> = gamma
        .iter()
        .zip(var)
        .map(|(&g, &v)| g / (v + epsilon).sqrt())
        .collect();
    let bias: Array1<f64> = beta
        .iter()
        .zip(&scale)
        .zip(mean)
        .map(|((&b, &s), &m)| (b - s * m) as f64)
        .collect();
    Ok(Built::Layers {
        layers: vec![(
            Op::BatchNorm(BatchNorm {
                scale: scale.iter().map(|&s| s as f64).collect(),
                bias,
                precision: None,
                quantized: None,
            }),
            shape,
        )],
        layout: ctx.layout(0),
    })
}
