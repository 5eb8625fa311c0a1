//! Window geometry shared by convolutions and pooling: kernel, strides, dilations and padding
//! (explicit `pads` or `auto_pad`), with padding as a separate layer.

use super::NodeCtx;
use crate::diag::Diagnostic;
use crate::ir::{Op, Padding, Window};

/// One spatial axis as ONNX describes it.
#[derive(Clone)]
struct AxisSpec {
    input: usize,
    kernel: usize,
    stride: usize,
    begin: usize,
    end: usize,
}

/// The padded window geometry over a channels-last image `shape` (`[H, W, C]`, 1-D `[1, L, C]`)
/// and its padding. `kernel` is the weights' kernel (checked against `kernel_shape`), or `None`
/// to read it from `kernel_shape` (pooling). When the image's ONNX axes are the held ones
/// swapped (ONNX `(n, 1)` held as `(1, n)`, see [`NodeCtx::spatial_swapped`]), the ONNX
/// attributes are swapped to match, and the window must keep the unit axis, so that the output
/// is again a swapped view of the same order. Problems are pushed to `diags`.
pub fn geometry(
    ctx: &NodeCtx,
    shape: &[usize],
    kernel: Option<&[usize]>,
    diags: &mut Vec<Diagnostic>,
) -> Option<(Window, Padding)> {
    let [in_h, in_w, channels] = shape[..] else {
        return None;
    };
    let one_d = match kernel {
        Some(k) => k.len() == 1,
        None => in_h == 1 && ctx.ints_attr("kernel_shape").ok()??.len() == 1,
    };
    let dims = if one_d { 1 } else { 2 };
    let mut ints = |name: &str, default: Option<Vec<i64>>| -> Option<Vec<i64>> {
        ctx.ints_attr(name)
            .map_err(|d| diags.push(d))
            .ok()
            .flatten()
            .or(default)
    };
    let declared = ints(
        "kernel_shape",
        kernel.map(|k| k.iter().map(|&v| v as i64).collect()),
    );
    let strides = ints("strides", Some(vec![1; dims])).unwrap_or_default();
    let dilations = ints("dilations", Some(vec![1; dims])).unwrap_or_default();
    let kernel: Vec<usize> = match (kernel, declared) {
        (Some(k), Some(d)) if d.iter().map(|&v| v as usize).eq(k.iter().copied()) => k.to_vec(),
        (Some(k), d) => {
            diags.push(ctx.diag(
                "attribute 'kernel_shape'",
                format!("{k:?} (the weights' kernel)"),
                format!("{d:?}"),
            ));
            return None;
        }
        (None, Some(d)) if d.len() == dims && d.iter().all(|&v| v >= 1) => {
            d.iter().map(|&v| v as usize).collect()
        }
        (None, d) => {
            diags.push(ctx.diag(
                "attribute 'kernel_shape'",
                format!("{dims} positive integers"),
                format!("{d:?}"),
            ));
            return None;
        }
    };
    if dilations.iter().any(|&d| d != 1) {
        diags.push(ctx.diag(
            "attribute 'dilations'",
            "all 1 (dilated windows are not supported)",
            format!("{dilations:?}"),
        ));
    }
    if strides.len() != dims || strides.iter().any(|&s| s < 1) {
        diags.push(ctx.diag(
            "attribute 'strides'",
            format!("{dims} positive integers"),
            format!("{strides:?}"),
        ));
        return None;
    }
    let swapped = !one_d && ctx.spatial_swapped(0);
    let inputs: Vec<usize> = match (one_d, swapped) {
        (true, _) => vec![in_w],
        (false, false) => vec![in_h, in_w],
        (false, true) => vec![in_w, in_h],
    };
    let pads = padding(ctx, &inputs, &kernel, &strides, diags)?;
    let mut axes: Vec<AxisSpec> = (0..dims)
        .map(|d| AxisSpec {
            input: inputs[d],
            kernel: kernel[d],
            stride: strides[d] as usize,
            begin: pads[d],
            end: pads[d + dims],
        })
        .collect();
    let mut ok = true;
    for (d, a) in axes.iter().enumerate() {
        if a.input + a.begin + a.end < a.kernel {
            ok = false;
            diags.push(ctx.diag(
                format!("spatial axis {d}"),
                format!("a padded size of at least the kernel ({})", a.kernel),
                format!("{} + {} + {}", a.begin, a.input, a.end),
            ));
        }
    }
    if swapped {
        axes.reverse();
        let unit = &axes[0];
        if (unit.input + unit.begin + unit.end).saturating_sub(unit.kernel) / unit.stride != 0 {
            diags.push(ctx.diag(
                "window",
                "one output along the image's unit axis (its elements are held in another order)",
                format!(
                    "kernel {}, stride {}, pads {} and {} on it",
                    unit.kernel, unit.stride, unit.begin, unit.end
                ),
            ));
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    let unit = AxisSpec {
        input: 1,
        kernel: 1,
        stride: 1,
        begin: 0,
        end: 0,
    };
    let (h, w) = match &axes[..] {
        [w] => (unit, w.clone()),
        [h, w] => (h.clone(), w.clone()),
        _ => return None,
    };
    Some((
        Window {
            in_h: h.input + h.begin + h.end,
            in_w: w.input + w.begin + w.end,
            channels,
            kernel_h: h.kernel,
            kernel_w: w.kernel,
            stride_h: h.stride,
            stride_w: w.stride,
        },
        Padding {
            top: h.begin,
            bottom: h.end,
            left: w.begin,
            right: w.end,
            minimum: false,
        },
    ))
}

/// The padding layer before a windowed layer, if the padding is not empty.
pub fn pad_layer(window: &Window, padding: Padding) -> Vec<(Op, Vec<usize>)> {
    if padding.top + padding.bottom + padding.left + padding.right == 0 {
        return vec![];
    }
    vec![(
        Op::Pad(padding),
        vec![window.in_h, window.in_w, window.channels],
    )]
}

/// Padding per axis as ONNX `pads` (`[begin…, end…]`), from `pads` or `auto_pad`.
fn padding(
    ctx: &NodeCtx,
    inputs: &[usize],
    kernel: &[usize],
    strides: &[i64],
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<usize>> {
    let dims = inputs.len();
    let auto = ctx
        .string_attr("auto_pad")
        .map_err(|d| diags.push(d))
        .ok()
        .flatten()
        .unwrap_or_else(|| "NOTSET".into());
    let explicit = ctx
        .ints_attr("pads")
        .map_err(|d| diags.push(d))
        .ok()
        .flatten();
    match auto.as_str() {
        "NOTSET" => {
            let pads = explicit.unwrap_or_else(|| vec![0; 2 * dims]);
            if pads.len() != 2 * dims || pads.iter().any(|&p| p < 0) {
                diags.push(ctx.diag(
                    "attribute 'pads'",
                    format!("{} non-negative integers", 2 * dims),
                    format!("{pads:?}"),
                ));
                return None;
            }
            Some(pads.into_iter().map(|p| p as usize).collect())
        }
        "VALID" => Some(vec![0; 2 * dims]),
        "SAME_UPPER" | "SAME_LOWER" => {
            let mut begin = Vec::new();
            let mut end = Vec::new();
            for d in 0..dims {
                let s = strides[d] as usize;
                let out = inputs[d].div_ceil(s);
                let total = ((out - 1) * s + kernel[d]).saturating_sub(inputs[d]);
                let small = total / 2;
                let (b, e) = if auto == "SAME_UPPER" {
                    (small, total - small)
                } else {
                    (total - small, small)
                };
                begin.push(b);
                end.push(e);
            }
            begin.extend(end);
            Some(begin)
        }
        other => {
            diags.push(ctx.diag(
                "attribute 'auto_pad'",
                "NOTSET, VALID, SAME_UPPER or SAME_LOWER",
                format!("'{other}'"),
            ));
            None
        }
    }
}
