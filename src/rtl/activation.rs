//! Element-wise activations (the arithmetic of [`crate::golden::activation`]) and the table
//! lookups they share with the softmax:
//! * sigmoid and tanh: the table index (one cast, stage 0), a synchronous ROM (its word in
//!   stage 1), the word cast to the result (stage 1);
//! * LeakyReLU: `x > 0 ? cast(x) : cast(α·x)`, a constant multiplier, stage 0;
//! * clip: two constant comparisons choosing a bound or `cast(x)`, stage 0;
//! * linear: `cast(x)`, stage 0.
//!
//! Tables are `reg` arrays filled by an `initial` block and read at a clock edge, which Yosys
//! and Vivado map to block RAM (or LUTs when small).

use super::builder::{ModuleBuilder, Signal};
use super::cast::lower_cast;
use super::dense::Out;
use super::netlist::*;
use super::timing::Timing;
use crate::analysis::interval::Interval;
use crate::config::MultiplierStyle;
use crate::diag::Result;
use crate::fixed::FixedType;
use crate::golden::activation::{ClipKernel, LeakyReluKernel, LutKernel, RangeIndex};

/// hls4ml's range index `clamp(trunc(x·N/R) (+ N/2 when centred), 0, N − 1)` of [`RangeIndex`]
/// as a `bits`-bit unsigned net in `stage`: the cast of `x·N/R` into the `bits`-bit integer type,
/// with the top bit inverted when centred (two's complement k to offset binary k + N/2).
pub(super) fn range_index(
    b: &mut ModuleBuilder,
    x: Signal,
    bits: u32,
    range_log2: i32,
    centred: bool,
    name: &str,
    stage: u32,
) -> Result<NetId> {
    let scaled = Signal {
        frac: RangeIndex::scaled_frac(x.frac, bits, range_log2),
        ..x
    };
    let t = RangeIndex::index_type(bits, centred);
    let k = lower_cast(b, scaled, &t, &format!("{name}_k"), stage)?;
    if !centred {
        return Ok(k.net);
    }
    let msb = b
        .bit(k, bits - 1, &format!("{name}_msb"), stage)?
        .expect("a bit of the index");
    let top = b.wire(&format!("{name}_top"), 1, false, Expr::Not(msb), stage)?;
    let mut parts = vec![Part::Bits {
        net: top,
        hi: 0,
        lo: 0,
    }];
    if bits > 1 {
        parts.push(Part::Bits {
            net: k.net,
            hi: bits - 2,
            lo: 0,
        });
    }
    b.wire(name, bits, false, Expr::Concat(parts), stage)
}

/// The top `bits` bits of a signal's raw word, as an unsigned net in `stage`.
pub(super) fn top_bits(
    b: &mut ModuleBuilder,
    x: Signal,
    bits: u32,
    name: &str,
    stage: u32,
) -> Result<NetId> {
    b.wire(
        name,
        bits,
        false,
        Expr::Concat(vec![Part::Bits {
            net: x.net,
            hi: x.width - 1,
            lo: x.width - bits,
        }]),
        stage,
    )
}

/// `entries[index]` of type `ty`, read by a synchronous ROM: the word is in `stage + 1` for an
/// index of `stage`. `what` describes the table beside the ROM's declaration.
pub(super) fn lookup(
    b: &mut ModuleBuilder,
    index: NetId,
    entries: &[i128],
    ty: &FixedType,
    what: &str,
    name: &str,
    stage: u32,
) -> Result<Signal> {
    let rom = b.rom(
        &format!("{name}_rom"),
        ty.width,
        index,
        entries.to_vec(),
        stage,
    );
    b.note(rom, format!("{what}: {} x {ty}", entries.len()));
    let net = if ty.signed {
        b.wire(
            name,
            ty.width,
            true,
            Expr::Copy(Operand::Net(rom)),
            stage + 1,
        )?
    } else {
        rom
    };
    Ok(Signal {
        net,
        width: ty.width,
        signed: ty.signed,
        frac: ty.frac_bits(),
    })
}

/// Sigmoid or tanh of every element of `xs`.
pub fn lower_lut(
    b: &mut ModuleBuilder,
    k: &LutKernel,
    xs: &[Signal],
    timing: &Timing,
) -> Result<Vec<Out>> {
    let widest = xs.iter().map(|x| x.width).max().unwrap_or(1);
    b.stage_delay(timing.stage_ns(1, timing.cast_ns(widest)));
    b.stage_delay(timing.stage_ns(1, timing.cast_ns(k.table.ty.width)));
    let bits = k.table.bits();
    xs.iter()
        .enumerate()
        .map(|(i, &x)| {
            let index = range_index(
                b,
                x,
                bits,
                k.function.range_log2(),
                true,
                &format!("i{i}"),
                0,
            )?;
            let what = format!("{} table of {}", k.function.name(), k.name);
            let word = lookup(
                b,
                index,
                &k.entries,
                &k.table.ty,
                &what,
                &format!("t{i}"),
                0,
            )?;
            let y = lower_cast(b, word, &k.result, &format!("y{i}"), 1)?;
            b.note(
                y.net,
                format!(
                    "{} output {i}: {} table entry cast to {}",
                    k.name,
                    k.function.name(),
                    k.result
                ),
            );
            Ok(Out::Sig(y))
        })
        .collect()
}

/// LeakyReLU of every element of `xs`.
pub fn lower_leaky_relu(
    b: &mut ModuleBuilder,
    k: &LeakyReluKernel,
    xs: &[Signal],
    timing: &Timing,
) -> Result<Vec<Out>> {
    let range = Interval::of_type(&k.x_ty)
        .scale(k.alpha)
        .expect("verified widths fit");
    let width = range.signed_width();
    b.stage_delay(timing.stage_ns(2, timing.cast_ns(width)));
    xs.iter()
        .enumerate()
        .map(|(i, &x)| {
            let pass = lower_cast(b, x, &k.result, &format!("p{i}"), 0)?;
            let scaled = if k.alpha == 0 {
                Operand::Const(0)
            } else {
                let xs = b.as_signed(x, &format!("x{i}_s"), 0)?;
                let xw = b.resize(xs, width, &format!("x{i}_w"), 0)?;
                let product = b.wire(
                    &format!("ax{i}"),
                    width,
                    true,
                    Expr::MulConst(xw.net, k.alpha),
                    0,
                )?;
                let alpha_bits = Interval::point(k.alpha).signed_width();
                let dsp = timing
                    .family
                    .uses_dsp(MultiplierStyle::Auto, x.width, alpha_bits);
                b.attr(product, "use_dsp", if dsp { "yes" } else { "no" });
                let product = Signal {
                    net: product,
                    width,
                    signed: true,
                    frac: x.frac + k.param.frac_bits(),
                };
                Operand::Net(lower_cast(b, product, &k.result, &format!("n{i}"), 0)?.net)
            };
            let positive = b.wire(
                &format!("pos{i}"),
                1,
                false,
                Expr::Cmp(CmpOp::Gt, x.net, 0),
                0,
            )?;
            let net = b.wire(
                &format!("y{i}"),
                k.result.width,
                k.result.signed,
                Expr::Mux(positive, Operand::Net(pass.net), scaled),
                0,
            )?;
            b.note(net, format!("{} output {i}: x > 0 ? x : alpha * x", k.name));
            Ok(Out::Sig(Signal { net, ..pass }))
        })
        .collect()
}

/// Clip of every element of `xs`: `x < low → low.value`, else `x > high → high.value`, else
/// `cast(x)`; a bound every input passes is a constant.
pub fn lower_clip(
    b: &mut ModuleBuilder,
    k: &ClipKernel,
    xs: &[Signal],
    timing: &Timing,
) -> Result<Vec<Out>> {
    let widest = xs.iter().map(|x| x.width).max().unwrap_or(1);
    b.stage_delay(timing.stage_ns(1, timing.cast_ns(widest)));
    let (x_min, x_max) = (k.x_ty.min_mantissa(), k.x_ty.max_mantissa());
    let r = &k.result;
    xs.iter()
        .enumerate()
        .map(|(i, &x)| {
            if let Some(low) = k.low.filter(|l| l.threshold > x_max) {
                return Ok(Out::Const(low.value));
            }
            let mut value = match k.high {
                Some(h) if h.threshold < x_min => Operand::Const(h.value),
                _ => Operand::Net(lower_cast(b, x, r, &format!("c{i}"), 0)?.net),
            };
            let bounds = [(k.high, CmpOp::Gt, "above"), (k.low, CmpOp::Lt, "below")];
            for (bound, op, what) in bounds {
                let Some(bound) = bound else { continue };
                if bound.threshold < x_min || bound.threshold > x_max {
                    continue;
                }
                let past = b.wire(
                    &format!("{what}{i}"),
                    1,
                    false,
                    Expr::Cmp(op, x.net, bound.threshold),
                    0,
                )?;
                value = Operand::Net(b.wire(
                    &format!("y{i}_{what}"),
                    r.width,
                    r.signed,
                    Expr::Mux(past, Operand::Const(bound.value), value),
                    0,
                )?);
            }
            Ok(match value {
                Operand::Const(c) => Out::Const(c),
                Operand::Net(net) => {
                    b.note(net, format!("{} output {i}: clipped, cast to {r}", k.name));
                    Out::Sig(Signal {
                        net,
                        width: r.width,
                        signed: r.signed,
                        frac: r.frac_bits(),
                    })
                }
            })
        })
        .collect()
}

/// `cast(x → result)` of every element of `xs`.
pub fn lower_linear(
    b: &mut ModuleBuilder,
    xs: &[Signal],
    result: &FixedType,
    layer: &str,
    timing: &Timing,
) -> Result<Vec<Out>> {
    let widest = xs.iter().map(|x| x.width).max().unwrap_or(1);
    b.stage_delay(timing.stage_ns(1, timing.cast_ns(widest)));
    xs.iter()
        .enumerate()
        .map(|(i, &x)| {
            let y = lower_cast(b, x, result, &format!("y{i}"), 0)?;
            b.note(y.net, format!("{layer} output {i}: cast to {result}"));
            Ok(Out::Sig(y))
        })
        .collect()
}
