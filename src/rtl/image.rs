//! Image layers in io_parallel, over a channels-last image held whole on the bus: a convolution
//! applies its kernel to every window at once (each window with arithmetic of its own, its nets
//! named `o<row>_<col>_…`), a pooling reduces every window, a Pad and a Transpose (the flatten
//! of an image) are wiring. Windows read the image through [`Window::input_index`], as the
//! golden model does.

use super::builder::{ModuleBuilder, Signal};
use super::dense::{self, Out};
use super::timing::Timing;
use super::{pool, xnor, Inputs};
use crate::diag::{Diagnostic, Error, Result};
use crate::golden::{DenseKernel, PoolKernel};
use crate::ir::{Padding, Window};

/// The outputs of a convolution (pixel by pixel in raster order, `n_out` channels each), the
/// multipliers and the shift or wire products it built. Only at reuse factor 1: a user error
/// otherwise.
pub fn lower_conv(
    b: &mut ModuleBuilder,
    window: &Window,
    kernel: &DenseKernel,
    inputs: &Inputs,
    timing: &Timing,
) -> Result<(Vec<Out>, usize, usize)> {
    let r = kernel.settings.reuse_factor;
    if r > 1 {
        return Err(Error::user(Diagnostic::new(
            &kernel.name,
            Some("Conv"),
            "ReuseFactor",
            "1 for a convolution in io_parallel (every window has arithmetic of its own; use io_stream to share it)",
            r.to_string(),
        )));
    }
    let input = inputs.encoding();
    let (mut multipliers, mut shifts) = (0, 0);
    let mut outs = Vec::with_capacity(window.out_h() * window.out_w() * kernel.n_out);
    for oh in 0..window.out_h() {
        for ow in 0..window.out_w() {
            let taps = 0..window.window_elements();
            let index = |k| window.input_index(oh, ow, k);
            let pixel = b.scoped(&format!("o{oh}_{ow}_"), |b| {
                if xnor::applies(kernel, input) {
                    let codes: Vec<_> = taps
                        .map(|k| inputs.codes[index(k)].expect("a bipolar operand"))
                        .collect();
                    let (outs, counted) = xnor::lower(b, kernel, &codes, timing)?;
                    multipliers += counted;
                    Ok(outs)
                } else {
                    let patch: Vec<Signal> = taps.map(|k| inputs.values[index(k)]).collect();
                    let (built, wired) = dense::product_counts(kernel);
                    multipliers += built;
                    shifts += wired;
                    dense::lower(b, kernel, &patch, timing)
                }
            })?;
            outs.extend(pixel);
        }
    }
    Ok((outs, multipliers, shifts))
}

/// The outputs of a pooling, pixel by pixel in raster order.
pub fn lower_pool(b: &mut ModuleBuilder, pk: &PoolKernel, xs: &[Signal]) -> Result<Vec<Out>> {
    let w = pk.window;
    let mut outs = Vec::with_capacity(w.out_h() * w.out_w() * w.channels);
    for oh in 0..w.out_h() {
        for ow in 0..w.out_w() {
            let patch: Vec<Signal> = (0..w.window_elements())
                .map(|k| xs[w.input_index(oh, ow, k)])
                .collect();
            let pixel = b.scoped(&format!("o{oh}_{ow}_"), |b| {
                pool::lower_window(b, &patch, w.channels, pk.kind, &pk.precision)
            })?;
            outs.extend(pixel);
        }
    }
    Ok(outs)
}

/// The `h × w` image `xs` of `channels` with `padding` rows and columns of `fill` around it.
pub fn pad(
    xs: &[Signal],
    (h, w, channels): (usize, usize, usize),
    padding: &Padding,
    fill: i128,
) -> Vec<Out> {
    let wo = w + padding.left + padding.right;
    let ho = h + padding.top + padding.bottom;
    let mut outs = Vec::with_capacity(ho * wo * channels);
    for r in 0..ho {
        for c in 0..wo {
            let inside = (padding.top..padding.top + h).contains(&r)
                && (padding.left..padding.left + w).contains(&c);
            for ch in 0..channels {
                outs.push(if inside {
                    let at = ((r - padding.top) * w + c - padding.left) * channels + ch;
                    Out::Sig(xs[at])
                } else {
                    Out::Const(fill)
                });
            }
        }
    }
    outs
}

/// `y[i] = x[perm[i]]`.
pub fn transpose(xs: &[Signal], perm: &[usize]) -> Vec<Out> {
    perm.iter().map(|&i| Out::Sig(xs[i])).collect()
}
