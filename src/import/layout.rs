//! Image layouts: ONNX convolutions read images channels-first, while a Keras model converted by
//! tf2onnx keeps its input channels-last and wraps its convolutions in `Transpose` nodes.
//! Layers hold every image channels-last, so those transposes move no data: they only change
//! the [`Layout`] of the value.

use super::{tensor_to_array, Built, NodeCtx};
use crate::diag::Diagnostic;
use crate::ir::{Layout, Op};
use crate::onnx_proto::GraphProto;
use std::collections::BTreeSet;

type Outcome = Result<Built, Vec<Diagnostic>>;

/// The `Transpose` perm (with the batch axis) that makes an image of `rank` per-sample axes
/// channels-first: `[0, 3, 1, 2]` for `[H, W, C]`, `[0, 2, 1]` for `[L, C]`.
fn to_channels_first(rank: usize) -> Vec<i64> {
    let rank = rank as i64;
    [0, rank].into_iter().chain(1..rank).collect()
}

/// The `Transpose` perm that makes an image of `rank` per-sample axes channels-last:
/// `[0, 2, 3, 1]` for `[C, H, W]`, `[0, 2, 1]` for `[C, L]`.
fn to_channels_last(rank: usize) -> Vec<i64> {
    let rank = rank as i64;
    [0].into_iter().chain(2..=rank).chain([1]).collect()
}

/// Whether the graph input `name`, of per-sample shape `shape`, is a channels-last image: a
/// `Transpose` makes it channels-first, directly or after layers that keep the order of the
/// elements (unit axes added or removed, an identity, a ReLU or quantizer), or, with one
/// channel, a `Reshape` to `[N, 1, …]` does (tf2onnx writes that instead of the transpose).
pub fn made_channels_first(graph: &GraphProto, name: &str, shape: &[usize]) -> bool {
    let single_channel_first = channels_first_of(shape);
    let reshapes_to_it = |target: &str| {
        let Some(first) = &single_channel_first else {
            return false;
        };
        let Some(t) = graph.initializer.iter().find(|t| t.name() == target) else {
            return false;
        };
        tensor_to_array(t).is_ok_and(|t| {
            let (batch, rest) = t.as_slice().and_then(|t| t.split_first()).unzip();
            matches!(batch, Some(&b) if b == -1.0 || b == 0.0 || b == 1.0)
                && rest.is_some_and(|r| r.iter().map(|&d| d as usize).eq(first.iter().copied()))
        })
    };
    let mut tensors = vec![name];
    while let Some(tensor) = tensors.pop() {
        for n in graph
            .node
            .iter()
            .filter(|n| n.input.first().map(String::as_str) == Some(tensor))
        {
            match n.op_type() {
                "Transpose" => {
                    let makes_first = n.attribute.iter().any(|a| {
                        a.name() == "perm"
                            && a.ints.len() >= 3
                            && a.ints == to_channels_first(a.ints.len() - 1)
                    });
                    if makes_first {
                        return true;
                    }
                }
                "Reshape"
                    if tensor == name && n.input.get(1).is_some_and(|t| reshapes_to_it(t)) =>
                {
                    return true;
                }
                "Unsqueeze" | "Squeeze" | "Identity" | "Relu" | "Quant" | "BipolarQuant" => {
                    tensors.extend(n.output.first().map(String::as_str));
                }
                _ => {}
            }
        }
    }
    false
}

/// `Transpose` of an image between channels-last and channels-first. Other perms would move
/// data and are not supported.
pub fn transpose(ctx: &NodeCtx) -> Outcome {
    let mut diags = ctx.reject_unknown_attrs(&["perm"]);
    if let Some(a) = ctx.constant_operand() {
        let perm = match ctx.ints_attr("perm") {
            Ok(p) => p.unwrap_or_else(|| (0..a.ndim() as i64).rev().collect()),
            Err(d) => {
                diags.push(d);
                return Err(diags);
            }
        };
        let axes: Vec<usize> = perm.iter().map(|&p| p as usize).collect();
        let mut sorted = axes.clone();
        sorted.sort_unstable();
        if !sorted.iter().copied().eq(0..a.ndim()) {
            diags.push(ctx.diag(
                "attribute 'perm'",
                format!("a permutation of the constant's {} axes", a.ndim()),
                format!("{perm:?}"),
            ));
            return Err(diags);
        }
        let folded = a
            .view()
            .permuted_axes(axes)
            .as_standard_layout()
            .into_owned();
        return match diags.is_empty() {
            true => Ok(Built::Const(folded)),
            false => Err(diags),
        };
    }
    let (shape, mut diags) = ctx.activation_or(0, diags)?;
    let rank = ctx.onnx_rank(0);
    let perm = ctx.ints_attr("perm").map_err(|d| diags.push(d)).ok();
    let layout = match (ctx.layout(0), perm) {
        (Layout::ChannelsLast, Some(Some(p))) if p == to_channels_first(rank) => {
            Layout::ChannelsFirst
        }
        (Layout::ChannelsFirst, Some(Some(p))) if p == to_channels_last(rank) => {
            Layout::ChannelsLast
        }
        (_, None) => return Err(diags),
        (layout, Some(p)) => {
            let expected = match layout {
                Layout::ChannelsLast => format!("{:?}", to_channels_first(rank)),
                Layout::ChannelsFirst => format!("{:?}", to_channels_last(rank)),
                Layout::Plain => "an image to transpose".to_owned(),
            };
            diags.push(ctx.diag(
                "attribute 'perm'",
                format!("{expected}: a transpose between channels-first and channels-last images"),
                match p {
                    Some(p) => format!("{p:?} on {}", describe(layout)),
                    None => format!("no perm (reversed axes) on {}", describe(layout)),
                },
            ));
            return Err(diags);
        }
    };
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(Built::View {
        onnx_shape: layout.onnx_shape(&shape, rank),
        shape,
        layout,
    })
}

/// `Unsqueeze`: inserts unit axes at `axes` of the output (an input from opset 13, an attribute
/// before).
pub fn unsqueeze(ctx: &NodeCtx) -> Outcome {
    unit_axes(ctx, true)
}

/// `Squeeze`: removes the unit axes `axes` (an input from opset 13, an attribute before), or
/// every unit axis but the batch when there are none.
pub fn squeeze(ctx: &NodeCtx) -> Outcome {
    unit_axes(ctx, false)
}

/// Inserts (`insert`) or removes unit axes. Rows keep their order, so a plain tensor is only
/// reshaped, and an image stays an image of its layout while its channel axis stays in place
/// and it keeps one or two spatial axes (tf2onnx runs a Keras `Conv1D` as a 2-D convolution
/// between an `Unsqueeze` and a `Squeeze`).
fn unit_axes(ctx: &NodeCtx, insert: bool) -> Outcome {
    let v13 = ctx.opset >= 13;
    let mut diags = ctx.reject_unknown_attrs(if v13 { &[] } else { &["axes"] });
    let axes = if v13 {
        match ctx.constant(1) {
            Ok(a) => a.map(|a| a.iter().map(|&v| v as i64).collect::<Vec<i64>>()),
            Err(d) => {
                diags.push(d);
                return Err(diags);
            }
        }
    } else {
        match ctx.ints_attr("axes") {
            Ok(a) => a,
            Err(d) => {
                diags.push(d);
                return Err(diags);
            }
        }
    };
    if let Some(a) = ctx.constant_operand() {
        return match resize(a.shape(), axes.as_deref(), insert, 0) {
            Ok(shape) if diags.is_empty() => Ok(Built::Const(
                a.as_standard_layout()
                    .into_owned()
                    .into_shape_with_order(ndarray::IxDyn(&shape))
                    .expect("unit axes keep the element count"),
            )),
            Ok(_) => Err(diags),
            Err(found) => {
                diags.push(ctx.diag("axes", "axes of the constant", found));
                Err(diags)
            }
        };
    }
    let (_, mut diags) = ctx.activation_or(0, diags)?;
    let onnx = ctx.onnx_shape(0);
    let full: Vec<usize> = [&[1][..], &onnx].concat();
    let changed = match resize(&full, axes.as_deref(), insert, 1) {
        Ok(changed) => changed,
        Err(found) => {
            let expected = match insert {
                true => "distinct axes of the output other than the batch axis",
                false => "distinct unit axes of the input other than the batch axis",
            };
            diags.push(ctx.diag("axes", expected, found));
            return Err(diags);
        }
    };
    let out = changed[1..].to_vec();
    if !diags.is_empty() {
        return Err(diags);
    }
    let layout = ctx.layout(0);
    if layout.is_image() {
        return image_view(ctx, &out).ok_or_else(|| {
            vec![ctx.diag(
                "output shape",
                "the image's elements in their order",
                format!("{out:?} from {onnx:?}"),
            )]
        });
    }
    match out.is_empty() {
        false => Ok(Built::layer(Op::Reshape, out)),
        true => {
            diags.push(ctx.diag(
                "output shape",
                "at least one axis besides the batch",
                format!("{out:?} from {onnx:?}"),
            ));
            Err(diags)
        }
    }
}

/// `full` with unit axes inserted at output `axes` or removed at input `axes` (every unit
/// axis from `lowest` on if `None` when removing), touching no axis below `lowest` (1 keeps
/// the batch axis); the error says what is wrong.
fn resize(
    full: &[usize],
    axes: Option<&[i64]>,
    insert: bool,
    lowest: i64,
) -> Result<Vec<usize>, String> {
    let axes = match (axes, insert) {
        (Some(a), _) => a.to_vec(),
        (None, true) => return Err("no axes".into()),
        (None, false) => (lowest..full.len() as i64)
            .filter(|&a| full[a as usize] == 1)
            .collect(),
    };
    let rank = if insert {
        full.len() + axes.len()
    } else {
        full.len()
    } as i64;
    let normal: BTreeSet<i64> = axes
        .iter()
        .map(|&a| if a < 0 { a + rank } else { a })
        .collect();
    let bad = normal.len() != axes.len()
        || normal.iter().any(|&a| a < lowest || a >= rank)
        || (!insert && normal.iter().any(|&a| full[a as usize] != 1));
    if bad {
        return Err(format!("{axes:?} on a tensor of shape {full:?}"));
    }
    if insert {
        let mut rest = full.iter();
        Ok((0..rank)
            .map(|a| match normal.contains(&a) {
                true => 1,
                false => *rest.next().expect("the rank counts every input axis"),
            })
            .collect())
    } else {
        Ok(full
            .iter()
            .enumerate()
            .filter(|&(a, _)| !normal.contains(&(a as i64)))
            .map(|(_, &d)| d)
            .collect())
    }
}

/// Image input 0 seen as ONNX's per-sample shape `out`, if that only adds or removes unit
/// axes, so that no element moves; `None` otherwise. The held shape stays. When a layout
/// describes `out` (its channels in place, one or two spatial axes) the image takes that
/// layout: the input's, or with one channel either (tf2onnx reshapes a one-channel `[H, W, 1]`
/// to `[1, H, W]`). `out` may still differ from the shape the layout gives the held one (a
/// view): spatial axes swapped, which elementwise ops and windows follow, or a channel axis out
/// of place, which only shape changes may read.
pub fn image_view(ctx: &NodeCtx, out: &[usize]) -> Option<Built> {
    let held = ctx.activation(0).ok()??;
    let layout = ctx.layout(0);
    let non_unit = |s: &[usize]| s.iter().copied().filter(|&d| d != 1).collect::<Vec<_>>();
    if !layout.is_image() || non_unit(out) != non_unit(&ctx.onnx_shape(0)) {
        return None;
    }
    let channels = *held.last()?;
    let describes = |l: Layout| {
        let channel = match l {
            Layout::ChannelsFirst => out.first(),
            _ => out.last(),
        };
        (2..=3).contains(&out.len()) && channel == Some(&channels)
    };
    let other = match layout {
        Layout::ChannelsFirst => Layout::ChannelsLast,
        _ => Layout::ChannelsFirst,
    };
    let candidates = [Some(layout), (channels == 1).then_some(other)];
    let layout = candidates
        .into_iter()
        .flatten()
        .find(|&l| describes(l))
        .unwrap_or(layout);
    Some(Built::View {
        shape: held,
        layout,
        onnx_shape: out.to_vec(),
    })
}

/// The channels-first shape of a one-channel channels-last shape; `None` if it has more
/// channels.
fn channels_first_of(channels_last: &[usize]) -> Option<Vec<usize>> {
    match channels_last.split_last()? {
        (1, spatial) => Some([&[1][..], spatial].concat()),
        _ => None,
    }
}

/// What a tensor of `layout` is, for diagnostics.
pub fn describe(layout: Layout) -> &'static str {
    match layout {
        Layout::Plain => "a tensor that is not an image",
        Layout::ChannelsFirst => "a channels-first image [C, H, W]",
        Layout::ChannelsLast => {
            "a channels-last image [H, W, C] (transpose it to channels-first with perm [0, 3, 1, 2])"
        }
    }
}

impl NodeCtx<'_> {
    /// The diagnostic for activation input `i` when it is not a channels-first image, the
    /// layout ONNX convolutions and pooling read.
    pub fn not_channels_first(&self, i: usize) -> Option<Diagnostic> {
        let layout = self.layout(i);
        (layout != Layout::ChannelsFirst).then(|| {
            self.diag(
                format!("input {i}"),
                "an image [C, H, W] or [C, L] per sample",
                describe(layout),
            )
        })
    }
}
