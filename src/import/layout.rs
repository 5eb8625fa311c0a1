//! Image layouts: ONNX convolutions read images channels-first, while a Keras model converted by
//! tf2onnx keeps its input channels-last and wraps its convolutions in `Transpose` nodes.
//! Layers hold every image channels-last, so those transposes move no data: they only change
//! the [`Layout`] of the value.

use super::{tensor_to_array, Built, NodeCtx};
use crate::diag::Diagnostic;
use crate::ir::{Layout, Op};
use crate::onnx_proto::GraphProto;

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
/// `Transpose` makes it channels-first, or, with one channel, a `Reshape` to `[N, 1, …]` does
/// (tf2onnx writes that instead of the transpose).
pub fn made_channels_first(graph: &GraphProto, name: &str, shape: &[usize]) -> bool {
    let perm = to_channels_first(shape.len());
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
    graph
        .node
        .iter()
        .filter(|n| n.input.first().map(String::as_str) == Some(name))
        .any(|n| match n.op_type() {
            "Transpose" => n
                .attribute
                .iter()
                .any(|a| a.name() == "perm" && a.ints == perm),
            "Reshape" => n.input.get(1).is_some_and(|t| reshapes_to_it(t)),
            _ => false,
        })
}

/// `Transpose` of an image between channels-last and channels-first. Other perms would move
/// data and are not supported.
pub fn transpose(ctx: &NodeCtx) -> Outcome {
    let mut diags = ctx.reject_unknown_attrs(&["perm"]);
    let shape = match ctx.activation(0) {
        Ok(Some(shape)) => shape,
        Ok(None) => return Err(diags),
        Err(d) => {
            diags.push(d);
            return Err(diags);
        }
    };
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
    Ok(Built::Layers {
        layers: vec![(Op::Reshape, shape)],
        layout,
    })
}

/// A `Reshape` of a one-channel channels-last image `[H, W, 1]` (`[L, 1]`) to the channels-first
/// `[1, H, W]` (`[1, L]`) per sample, which keeps the order of the elements; `None` for any
/// other reshape.
pub fn single_channel_first(ctx: &NodeCtx, target: &[usize]) -> Option<Built> {
    if ctx.layout(0) != Layout::ChannelsLast || target != channels_first_of(&ctx.onnx_shape(0))? {
        return None;
    }
    let held = ctx.activation(0).ok()??;
    Some(Built::Layers {
        layers: vec![(Op::Reshape, held)],
        layout: Layout::ChannelsFirst,
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
