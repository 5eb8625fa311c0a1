//! QONNX quantizer nodes (domain `qonnx.custom_op.general`, its legacy name
//! `finn.custom_op.general`, or `onnx.brevitas`): `Quant`/`IntQuant`, `BipolarQuant`, `Trunc` and
//! `MultiThreshold`, as Brevitas and qonnx's converters write them.
//!
//! A quantizer on a constant (a weight or bias initializer) is folded: its output is the constant
//! of quantized values, computed as qonnx computes it, and the quantizer's type goes with it to
//! the layer that uses it ([`Built::Param`]). A quantizer on a computed tensor becomes an
//! [`Op::Quantizer`] layer. Scales, zero points and thresholds may be given per element under
//! numpy broadcasting, as qonnx applies them.

use super::tensor::broadcast;
use super::{Built, NodeCtx, Value};
use crate::diag::Diagnostic;
use crate::fixed::{Dyadic, FixedType};
use crate::ir::quantizer::{
    BipolarQuant, IntQuant, MultiThreshold, PerElement, Quantizer, Rounding, ScaleZero, Trunc,
    TruncParams, TruncVersion,
};
use crate::ir::Op;
use ndarray::{ArrayD, IxDyn};
use std::collections::BTreeMap;

type Outcome = Result<Built, Vec<Diagnostic>>;

/// Domains whose nodes qonnx executes as its own ops.
pub const DOMAINS: &[&str] = &[
    "qonnx.custom_op.general",
    "finn.custom_op.general",
    "onnx.brevitas",
];

/// The QONNX op types the importer supports, for error messages.
pub const OPS: &str = "Quant, IntQuant, BipolarQuant, Trunc, MultiThreshold";

/// The builder of a QONNX op type.
pub fn builder(op_type: &str) -> Option<super::OpBuilder> {
    Some(match op_type {
        "Quant" | "IntQuant" => int_quant,
        "BipolarQuant" => bipolar_quant,
        "Trunc" => trunc,
        "MultiThreshold" => multi_threshold,
        _ => return None,
    })
}

/// Widest QONNX bit width accepted.
const MAX_BITS: u32 = 64;

/// The tensor a quantizer reads.
enum Operand {
    /// A computed tensor: its ONNX shape with the batch axis (of 1), and for each element in
    /// the layers' order, its index in ONNX's row-major order.
    Activation {
        shape: Vec<usize>,
        onnx_shape: Vec<usize>,
        order: Vec<usize>,
    },
    /// A constant: its values.
    Constant(ArrayD<f64>),
}

impl Operand {
    fn onnx_shape(&self) -> Vec<usize> {
        match self {
            Operand::Activation { onnx_shape, .. } => onnx_shape.clone(),
            Operand::Constant(a) => a.shape().to_vec(),
        }
    }
    fn order(&self) -> Vec<usize> {
        match self {
            Operand::Activation { order, .. } => order.clone(),
            Operand::Constant(a) => (0..a.len()).collect(),
        }
    }
}

/// Input 0; `Ok(None)` if it comes from a node that failed.
fn operand(ctx: &NodeCtx) -> Result<Option<Operand>, Diagnostic> {
    match ctx.inputs.first() {
        Some(Some(Value::Const(a))) => Ok(Some(Operand::Constant(a.clone()))),
        Some(Some(Value::Activation { .. })) => {
            let shape = ctx.activation(0)?.unwrap_or_default();
            let per_sample = ctx.onnx_shape(0);
            let order = ctx.onnx_order(0);
            let mut onnx_shape = vec![1];
            onnx_shape.extend(per_sample);
            Ok(Some(Operand::Activation {
                shape,
                onnx_shape,
                order,
            }))
        }
        Some(Some(Value::Unknown)) => Ok(None),
        _ => Err(ctx.diag("input 0", "a tensor", "nothing")),
    }
}

/// Groups per-element keys into distinct parameter sets.
fn per_element<K: Ord + Copy, P>(keys: &[K], make: impl Fn(K) -> P) -> PerElement<P> {
    let mut ids: BTreeMap<K, u32> = BTreeMap::new();
    let mut sets = Vec::new();
    let index = keys
        .iter()
        .map(|&k| {
            *ids.entry(k).or_insert_with(|| {
                sets.push(make(k));
                sets.len() as u32 - 1
            })
        })
        .collect();
    PerElement { sets, index }
}

/// Constant input `i` as float32 values with its shape; each value must satisfy `ok`.
fn param(
    ctx: &NodeCtx,
    i: usize,
    what: &str,
    expected: &str,
    ok: impl Fn(f32) -> bool,
) -> Result<(Vec<f32>, Vec<usize>), Diagnostic> {
    let subject = format!("input {i} ({what})");
    let a = match ctx.constant(i) {
        Ok(Some(a)) => a,
        Ok(None) => return Err(ctx.diag(subject, "a constant", "nothing")),
        Err(d) => return Err(ctx.diag(subject, "a constant (initializer)", d.found)),
    };
    let values: Vec<f32> = a.iter().map(|&v| v as f32).collect();
    let bad = a
        .iter()
        .zip(&values)
        .find(|(&v, &f)| f as f64 != v || !ok(f));
    if let Some((&v, _)) = bad {
        return Err(ctx.diag(subject, expected, v.to_string()));
    }
    Ok((values, a.shape().to_vec()))
}

fn scales(ctx: &NodeCtx, i: usize, what: &str) -> Result<(Vec<f32>, Vec<usize>), Diagnostic> {
    param(ctx, i, what, "positive float32 values", |s| s > 0.0)
}

fn zero_points(ctx: &NodeCtx, i: usize) -> Result<(Vec<f32>, Vec<usize>), Diagnostic> {
    param(ctx, i, "zero point", "integer values", |z| {
        z == z.trunc() && z.abs() < (1u64 << 62) as f32
    })
}

/// A bit width: one integer from 1 to [`MAX_BITS`].
fn bits(ctx: &NodeCtx, i: usize, what: &str) -> Result<u32, Diagnostic> {
    let expected = format!("one integer from 1 to {MAX_BITS}");
    let ok = |b: f32| b == b.trunc() && (1.0..=MAX_BITS as f32).contains(&b);
    let (values, shape) = param(ctx, i, what, &expected, ok)?;
    match values[..] {
        [b] => Ok(b as u32),
        _ => Err(ctx.diag(
            format!("input {i} ({what})"),
            expected,
            format!("shape {shape:?}"),
        )),
    }
}

/// A 0/1 attribute qonnx declares required (it raises when the attribute is absent).
fn required_flag(ctx: &NodeCtx, name: &str, why: &str) -> Result<bool, Diagnostic> {
    if !ctx.node.attribute.iter().any(|a| a.name() == name) {
        return Err(ctx.diag(
            format!("attribute '{name}'"),
            format!("0 or 1, given explicitly ({why})"),
            "absent",
        ));
    }
    Ok(ctx.int_attr_in(name, 0, &[0, 1])? == 1)
}

/// `rounding_mode`; `default` when absent, or an error when it has none.
fn rounding(ctx: &NodeCtx, default: Option<&str>) -> Result<Rounding, Diagnostic> {
    let subject = "attribute 'rounding_mode'";
    let text = match (ctx.string_attr("rounding_mode")?, default) {
        (Some(t), _) => t,
        (None, Some(d)) => d.to_owned(),
        (None, None) => {
            return Err(ctx.diag(
                subject,
                format!("one of {} (qonnx requires it)", Rounding::NAMES),
                "absent",
            ))
        }
    };
    Rounding::parse(&text).ok_or_else(|| {
        ctx.diag(
            subject,
            format!("one of {}", Rounding::NAMES),
            format!("'{text}'"),
        )
    })
}

/// Pushes the error of `r` to `diags`; its value otherwise.
fn take<T>(r: Result<T, Diagnostic>, diags: &mut Vec<Diagnostic>) -> Option<T> {
    r.map_err(|d| diags.push(d)).ok()
}

/// Per-element indices of a parameter, or a diagnostic naming it.
fn indices(
    ctx: &NodeCtx,
    x: &Operand,
    i: usize,
    what: &str,
    shape: &[usize],
) -> Result<Vec<usize>, Diagnostic> {
    let onnx_shape = x.onnx_shape();
    broadcast(&onnx_shape, shape, &x.order()).map_err(|why| {
        ctx.diag(
            format!("input {i} ({what})"),
            format!("a shape that broadcasts to the tensor's {onnx_shape:?}"),
            format!("{shape:?}: {why}"),
        )
    })
}

/// The layer for a computed operand, or the folded constant for a constant one.
fn finish(ctx: &NodeCtx, x: Operand, q: Quantizer) -> Outcome {
    match x {
        Operand::Activation { shape, .. } => Ok(Built::Layers {
            layers: vec![(Op::Quantizer(q), shape)],
            layout: ctx.layout(0),
        }),
        Operand::Constant(a) => {
            let fail = |found: String| vec![ctx.diag("output", "exact quantized values", found)];
            // The input type matters only to Trunc v1, which never reads a constant.
            let ty = q.output_type(FixedType::int(1, false)).map_err(fail)?;
            let mut values = Vec::with_capacity(a.len());
            for (i, &x) in a.iter().enumerate() {
                let v = match &q {
                    Quantizer::Int(q) => q.params.get(i).value(q.level_f32(i, x as f32)),
                    Quantizer::Bipolar(b) => {
                        Dyadic::from_f32(*b.scale.get(i) * if x >= 0.0 { 1.0 } else { -1.0 })
                    }
                    _ => None,
                };
                match v {
                    Some(v) if v.mantissa().unsigned_abs() < 1 << 53 => values.push(v.to_f64()),
                    _ => return Err(fail("values beyond float64".into())),
                }
            }
            let values = ArrayD::from_shape_vec(IxDyn(a.shape()), values)
                .map_err(|e| fail(e.to_string()))?;
            Ok(Built::Param { values, ty })
        }
    }
}

/// `Quant` / `IntQuant(X, scale, zeropt, bitwidth)` with `signed`, `narrow` (both required:
/// qonnx raises without them, and the spec's default for `narrow` contradicts the code's) and
/// `rounding_mode` (default `ROUND`).
pub fn int_quant(ctx: &NodeCtx) -> Outcome {
    let mut diags = ctx.reject_unknown_attrs(&["signed", "narrow", "rounding_mode"]);
    let signed = take(
        required_flag(ctx, "signed", "qonnx requires it"),
        &mut diags,
    );
    let narrow = take(
        required_flag(
            ctx,
            "narrow",
            "qonnx requires it; its spec and code disagree on the default",
        ),
        &mut diags,
    );
    let rounding = take(rounding(ctx, Some("ROUND")), &mut diags);
    if ctx.node.input.len() != 4 {
        diags.push(ctx.diag(
            "inputs",
            "4 (X, scale, zeropt, bitwidth)",
            ctx.node.input.len().to_string(),
        ));
        return Err(diags);
    }
    let x = take(operand(ctx), &mut diags).flatten();
    let scale = take(scales(ctx, 1, "scale"), &mut diags);
    let zero = take(zero_points(ctx, 2), &mut diags);
    let bits = take(bits(ctx, 3, "bit width"), &mut diags);
    let (Some(x), Some(signed), Some(narrow), Some(rounding), Some(scale), Some(zero), Some(bits)) =
        (x, signed, narrow, rounding, scale, zero, bits)
    else {
        return Err(diags);
    };
    let si = take(indices(ctx, &x, 1, "scale", &scale.1), &mut diags);
    let zi = take(indices(ctx, &x, 2, "zero point", &zero.1), &mut diags);
    let (Some(si), Some(zi)) = (si, zi) else {
        return Err(diags);
    };
    if !diags.is_empty() {
        return Err(diags);
    }
    let keys: Vec<(usize, usize)> = si.into_iter().zip(zi).collect();
    let params = per_element(&keys, |(s, z)| ScaleZero {
        scale: scale.0[s],
        zero_point: zero.0[z],
    });
    let q = Quantizer::Int(IntQuant {
        params,
        bits,
        signed,
        narrow,
        rounding,
    });
    finish(ctx, x, q)
}

/// `BipolarQuant(X, scale)`.
pub fn bipolar_quant(ctx: &NodeCtx) -> Outcome {
    let mut diags = ctx.reject_unknown_attrs(&[]);
    if ctx.node.input.len() != 2 {
        diags.push(ctx.diag("inputs", "2 (X, scale)", ctx.node.input.len().to_string()));
        return Err(diags);
    }
    let x = take(operand(ctx), &mut diags).flatten();
    let scale = take(scales(ctx, 1, "scale"), &mut diags);
    let (Some(x), Some(scale)) = (x, scale) else {
        return Err(diags);
    };
    let si = take(indices(ctx, &x, 1, "scale", &scale.1), &mut diags);
    let Some(si) = si.filter(|_| diags.is_empty()) else {
        return Err(diags);
    };
    let q = Quantizer::Bipolar(BipolarQuant {
        scale: per_element(&si, |s| scale.0[s]),
    });
    finish(ctx, x, q)
}

/// `Trunc`: v1 `(X, scale, zeropt, in_bitwidth, out_bitwidth)` when the model imports the node's
/// domain at version 1 or not at all, v2 `(X, scale, zeropt, in_bitwidth, out_scale,
/// out_bitwidth)` from version 2 (as qonnx picks the class). `rounding_mode` is required;
/// v2 also reads `signed` (default 1) and `narrow` (default 0).
pub fn trunc(ctx: &NodeCtx) -> Outcome {
    let version = ctx.domain_opset.unwrap_or(1);
    let v2 = version >= 2;
    let mut diags = if v2 {
        ctx.reject_unknown_attrs(&["rounding_mode", "signed", "narrow"])
    } else {
        ctx.reject_unknown_attrs(&["rounding_mode"])
    };
    let (count, names) = if v2 {
        (
            6,
            "6 for Trunc v2 (X, scale, zeropt, in_bitwidth, out_scale, out_bitwidth)",
        )
    } else {
        (
            5,
            "5 for Trunc v1 (X, scale, zeropt, in_bitwidth, out_bitwidth)",
        )
    };
    if ctx.node.input.len() != count {
        diags.push(ctx.diag(
            "inputs",
            format!(
                "{names}: the model imports '{}' at version {version}",
                ctx.node.domain()
            ),
            ctx.node.input.len().to_string(),
        ));
        return Err(diags);
    }
    let rounding = take(rounding(ctx, None), &mut diags);
    let signed = take(ctx.int_attr_in("signed", 1, &[0, 1]), &mut diags);
    let narrow = take(ctx.int_attr_in("narrow", 0, &[0, 1]), &mut diags);
    let x = match ctx.activation(0) {
        Ok(Some(_)) => take(operand(ctx), &mut diags).flatten(),
        Ok(None) => None,
        Err(d) => {
            diags.push(d);
            None
        }
    };
    let scale = take(scales(ctx, 1, "scale"), &mut diags);
    let zero = take(zero_points(ctx, 2), &mut diags);
    let in_bits = take(bits(ctx, 3, "in_bitwidth"), &mut diags);
    let out_scale = if v2 {
        take(scales(ctx, 4, "out_scale"), &mut diags)
    } else {
        scale.clone()
    };
    let out_bits = take(bits(ctx, count - 1, "out_bitwidth"), &mut diags);
    let (Some(x), Some(rounding), Some(signed), Some(narrow)) = (x, rounding, signed, narrow)
    else {
        return Err(diags);
    };
    let (Some(scale), Some(zero), Some(in_bits), Some(out_scale), Some(out_bits)) =
        (scale, zero, in_bits, out_scale, out_bits)
    else {
        return Err(diags);
    };
    let si = take(indices(ctx, &x, 1, "scale", &scale.1), &mut diags);
    let zi = take(indices(ctx, &x, 2, "zero point", &zero.1), &mut diags);
    let oi = if v2 {
        take(indices(ctx, &x, 4, "out_scale", &out_scale.1), &mut diags)
    } else {
        si.clone()
    };
    let (Some(si), Some(zi), Some(oi)) = (si, zi, oi) else {
        return Err(diags);
    };
    if !diags.is_empty() {
        return Err(diags);
    }
    let keys: Vec<(usize, usize, usize)> = (0..si.len()).map(|e| (si[e], zi[e], oi[e])).collect();
    let params = per_element(&keys, |(s, z, o)| {
        let (s, out) = (scale.0[s], out_scale.0[o]);
        TruncParams {
            input: ScaleZero {
                scale: s,
                zero_point: zero.0[z],
            },
            out_scale: out,
            shift: if v2 {
                (out / s).log2().round_ties_even() as i32
            } else {
                in_bits as i32 - out_bits as i32
            },
        }
    });
    let version = if v2 {
        TruncVersion::V2 {
            out_bits,
            signed: signed == 1,
            narrow: narrow == 1,
        }
    } else {
        TruncVersion::V1 { in_bits, out_bits }
    };
    finish(
        ctx,
        x,
        Quantizer::Trunc(Trunc {
            params,
            version,
            rounding,
        }),
    )
}

/// `MultiThreshold(v, thresholds)` with `out_scale` (1.0), `out_bias` (0.0), `data_layout` and
/// `out_dtype` (which execution ignores). The channel axis is the position of `C` in
/// `data_layout` (1 if it has none); without `data_layout` it follows qonnx 1.0.0's guess from
/// the rank: 2 → `NC`, 3 → `NWC`, 4 → `NCHW`, otherwise 1. `thresholds` is `[C, T]` or `[1, T]`.
pub fn multi_threshold(ctx: &NodeCtx) -> Outcome {
    let mut diags =
        ctx.reject_unknown_attrs(&["out_dtype", "out_scale", "out_bias", "data_layout"]);
    let finite = |name: &str, default: f32, diags: &mut Vec<Diagnostic>| {
        let v = take(ctx.float_attr(name, default), diags)?;
        if v.is_finite() {
            Some(v)
        } else {
            diags.push(ctx.diag(
                format!("attribute '{name}'"),
                "a finite float",
                v.to_string(),
            ));
            None
        }
    };
    let out_scale = finite("out_scale", 1.0, &mut diags);
    let out_bias = finite("out_bias", 0.0, &mut diags);
    let layout = take(ctx.string_attr("data_layout"), &mut diags).map(Option::unwrap_or_default);
    take(ctx.string_attr("out_dtype"), &mut diags);
    if ctx.node.input.len() != 2 {
        diags.push(ctx.diag(
            "inputs",
            "2 (v, thresholds)",
            ctx.node.input.len().to_string(),
        ));
        return Err(diags);
    }
    let x = match ctx.activation(0) {
        Ok(Some(_)) => take(operand(ctx), &mut diags).flatten(),
        Ok(None) => None,
        Err(d) => {
            diags.push(d);
            None
        }
    };
    let thresholds = match ctx.constant(1) {
        Ok(Some(t)) => Some(t),
        Ok(None) => None,
        Err(d) => {
            diags.push(d);
            None
        }
    };
    let (Some(x), Some(out_scale), Some(out_bias), Some(layout), Some(thresholds)) =
        (x, out_scale, out_bias, layout, thresholds)
    else {
        return Err(diags);
    };
    let onnx_shape = x.onnx_shape();
    let rank = onnx_shape.len();
    let axis = if layout.is_empty() {
        if rank == 3 {
            2
        } else {
            1
        }
    } else {
        layout.find('C').unwrap_or(1)
    };
    if axis >= rank {
        diags.push(ctx.diag(
            "attribute 'data_layout'",
            format!("a layout whose channel axis is one of the tensor's {rank} axes"),
            format!("'{layout}'"),
        ));
        return Err(diags);
    }
    let channels = onnx_shape[axis];
    let (rows, steps) = match thresholds.shape() {
        &[r, t] if r == 1 || r == channels => (r, t),
        other => {
            diags.push(ctx.diag(
                "input 1 (thresholds)",
                format!("shape [{channels}, T] or [1, T] (channel axis {axis} of {onnx_shape:?})"),
                format!("{other:?}"),
            ));
            return Err(diags);
        }
    };
    let values: Vec<f32> = thresholds.iter().map(|&v| v as f32).collect();
    if let Some(&v) = thresholds.iter().find(|&&v| v as f32 as f64 != v) {
        diags.push(ctx.diag("input 1 (thresholds)", "float32 values", v.to_string()));
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    let inner: usize = onnx_shape[axis + 1..].iter().product();
    let row_of: Vec<usize> = x
        .order()
        .iter()
        .map(|&flat| {
            if rows == 1 {
                0
            } else {
                flat / inner % channels
            }
        })
        .collect();
    let rows = per_element(&row_of, |r| values[r * steps..(r + 1) * steps].to_vec());
    finish(
        ctx,
        x,
        Quantizer::MultiThreshold(MultiThreshold {
            rows,
            out_scale,
            out_bias,
        }),
    )
}
