//! Pooling arithmetic in stage 0 (REFERENCE §6.4): window elements cast to `accum`, reduced by
//! hls4ml's tree ([`crate::golden::reduce_tree`]) with every node cast to `accum`, an average
//! divided by the area truncating toward zero, the result cast.

use super::builder::{ModuleBuilder, Signal};
use super::cast::lower_cast;
use super::dense::Out;
use super::netlist::*;
use crate::analysis::division::Reciprocal;
use crate::diag::Result;
use crate::fixed::FixedType;
use crate::ir::{PoolKind, PoolPrecision};

/// One output per channel: element `k·channels + c` of `xs` is tap `k` of channel `c`.
pub fn lower_window(
    b: &mut ModuleBuilder,
    xs: &[Signal],
    channels: usize,
    kind: PoolKind,
    p: &PoolPrecision,
) -> Result<Vec<Out>> {
    let taps = xs.len() / channels;
    (0..channels)
        .map(|c| {
            let elements = (0..taps)
                .map(|k| lower_cast(b, xs[k * channels + c], &p.accum, &format!("a{k}_c{c}"), 0))
                .collect::<Result<Vec<_>>>()?;
            let acc = reduce(b, &elements, kind, &p.accum, &format!("c{c}"))?;
            finish(b, acc, kind, taps, p, &format!("y{c}")).map(Out::Sig)
        })
        .collect()
}

/// hls4ml's reduction tree over signals of type `t`; `name` prefixes the nets.
fn reduce(
    b: &mut ModuleBuilder,
    v: &[Signal],
    kind: PoolKind,
    t: &FixedType,
    name: &str,
) -> Result<Signal> {
    match v.len() {
        1 => Ok(v[0]),
        2 => combine(b, v[0], v[1], kind, t, name),
        n => {
            let left = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            let l = reduce(b, &v[..left], kind, t, &format!("{name}l"))?;
            let r = reduce(b, &v[left..], kind, t, &format!("{name}r"))?;
            combine(b, l, r, kind, t, name)
        }
    }
}

/// `a ≥ b ? a : b` (max, by the top bit of `a − b` one bit wider) or `cast(a + b → t)`
/// (average) of two signals of type `t`.
pub fn combine(
    b: &mut ModuleBuilder,
    x: Signal,
    y: Signal,
    kind: PoolKind,
    t: &FixedType,
    name: &str,
) -> Result<Signal> {
    let w = x.width + 1;
    let xe = b.resize(x, w, &format!("{name}_xe"), 0)?;
    let ye = b.resize(y, w, &format!("{name}_ye"), 0)?;
    match kind {
        PoolKind::Average => {
            let sum = b.wire(
                &format!("{name}_sum"),
                w,
                x.signed,
                Expr::Add(Operand::Net(xe.net), Operand::Net(ye.net)),
                0,
            )?;
            let s = Signal { net: sum, ..xe };
            lower_cast(b, s, t, &format!("{name}_acc"), 0)
        }
        PoolKind::Max => {
            let diff = b.wire(
                &format!("{name}_diff"),
                w,
                x.signed,
                Expr::Sub(Operand::Net(xe.net), Operand::Net(ye.net)),
                0,
            )?;
            let below = b.wire(
                &format!("{name}_below"),
                1,
                false,
                Expr::Concat(vec![Part::Bits {
                    net: diff,
                    hi: w - 1,
                    lo: w - 1,
                }]),
                0,
            )?;
            let net = b.wire(
                &format!("{name}_max"),
                x.width,
                x.signed,
                Expr::Mux(below, Operand::Net(y.net), Operand::Net(x.net)),
                0,
            )?;
            Ok(Signal { net, ..x })
        }
    }
}

/// An accumulated value to the result: an average divided by `area` (truncating toward zero),
/// then cast to `result`.
pub fn finish(
    b: &mut ModuleBuilder,
    acc: Signal,
    kind: PoolKind,
    area: usize,
    p: &PoolPrecision,
    name: &str,
) -> Result<Signal> {
    let value = match kind {
        PoolKind::Max => acc,
        PoolKind::Average => divide(b, acc, area, &format!("{name}_q"))?,
    };
    lower_cast(b, value, &p.result, name, 0)
}

/// `x / d` truncating toward zero, same width, signedness and scale as `x`.
fn divide(b: &mut ModuleBuilder, x: Signal, d: usize, name: &str) -> Result<Signal> {
    if d == 1 {
        return Ok(x);
    }
    let w = x.width;
    let bits = b.wire(
        &format!("{name}_bits"),
        w,
        false,
        Expr::Concat(vec![Part::Bits {
            net: x.net,
            hi: w - 1,
            lo: 0,
        }]),
        0,
    )?;
    let (neg, magnitude) = if x.signed {
        let neg = b
            .bit(x, w - 1, &format!("{name}_neg"), 0)?
            .expect("signed signals have a sign bit");
        let negated = b.wire(
            &format!("{name}_negated"),
            w,
            false,
            Expr::Sub(Operand::Const(0), Operand::Net(bits)),
            0,
        )?;
        let mag = b.wire(
            &format!("{name}_mag"),
            w,
            false,
            Expr::Mux(neg, Operand::Net(negated), Operand::Net(bits)),
            0,
        )?;
        (Some(neg), mag)
    } else {
        (None, bits)
    };
    let magnitude = Signal {
        net: magnitude,
        width: w,
        signed: false,
        frac: x.frac,
    };
    let quotient = if d.is_power_of_two() {
        let k = d.trailing_zeros();
        b.wire(
            &format!("{name}_mag_q"),
            w,
            false,
            Expr::Concat(vec![
                Part::Fill {
                    ones: false,
                    count: k,
                },
                Part::Bits {
                    net: magnitude.net,
                    hi: w - 1,
                    lo: k,
                },
            ]),
            0,
        )?
    } else {
        let r = Reciprocal::new(d as u128, w).ok_or_else(|| {
            crate::diag::Error::Internal(format!("a {w}-bit average is too wide to divide"))
        })?;
        let pw = w + 128 - r.multiplier.leading_zeros();
        let wide = b.resize(magnitude, pw, &format!("{name}_wide"), 0)?;
        let product = b.wire(
            &format!("{name}_product"),
            pw,
            false,
            Expr::MulConst(wide.net, r.multiplier as i128),
            0,
        )?;
        // The product is below 2^pw, so quotient bits at and above pw − shift are zero.
        let top = (pw - 1).min(r.shift + w - 1);
        let mut parts = vec![];
        if top < r.shift + w - 1 {
            parts.push(Part::Fill {
                ones: false,
                count: r.shift + w - 1 - top,
            });
        }
        parts.push(Part::Bits {
            net: product,
            hi: top,
            lo: r.shift,
        });
        b.wire(&format!("{name}_mag_q"), w, false, Expr::Concat(parts), 0)?
    };
    let net = match neg {
        Some(neg) => {
            let negated = b.wire(
                &format!("{name}_neg_q"),
                w,
                false,
                Expr::Sub(Operand::Const(0), Operand::Net(quotient)),
                0,
            )?;
            let q = b.wire(
                &format!("{name}_signed_bits"),
                w,
                false,
                Expr::Mux(neg, Operand::Net(negated), Operand::Net(quotient)),
                0,
            )?;
            b.wire(
                name,
                w,
                true,
                Expr::Concat(vec![Part::Bits {
                    net: q,
                    hi: w - 1,
                    lo: 0,
                }]),
                0,
            )?
        }
        None => quotient,
    };
    Ok(Signal { net, ..x })
}
