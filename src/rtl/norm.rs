//! Batch normalization in stage 0: `y = cast(x·scale_c + bias_c → result)`, exact before the
//! cast (REFERENCE §5.1); `scale_c` and `bias_c` are constants.

use super::builder::{ModuleBuilder, Signal};
use super::cast::lower_cast;
use super::dense::Out;
use super::netlist::*;
use super::timing::Timing;
use crate::analysis::interval::Interval;
use crate::config::MultiplierStyle;
use crate::diag::{Error, Result};
use crate::golden::BatchNormKernel;

/// Element `i` of `xs` belongs to channel `i mod channels`. A product goes to a DSP block when
/// the family's `auto` multiplier rule picks one for its operand widths.
pub fn lower(
    b: &mut ModuleBuilder,
    bn: &BatchNormKernel,
    xs: &[Signal],
    timing: &Timing,
) -> Result<Vec<Out>> {
    let p = &bn.precision;
    let channels = bn.scale.len();
    let f_prod = bn.x_ty.frac_bits() + p.scale.frac_bits();
    let f_bias = p.bias.frac_bits();
    let f = f_prod.max(f_bias);
    let overflow = || Error::Internal(format!("batch norm '{}' exceeds 127 bits", bn.name));
    xs.iter()
        .enumerate()
        .map(|(i, &x)| {
            let c = i % channels;
            let (s, bias) = (bn.scale[c], bn.bias[c] << (f - f_bias));
            let product = Interval::of_type(&bn.x_ty)
                .scale(s)
                .and_then(|r| r.checked_shl((f - f_prod) as u32))
                .ok_or_else(overflow)?;
            let range = product
                .checked_add(Interval::point(bias))
                .ok_or_else(overflow)?;
            let w = range.signed_width().max(product.signed_width());
            let xs = b.as_signed(x, &format!("x{i}_s"), 0)?;
            let xw = b.resize(xs, w, &format!("x{i}_w"), 0)?;
            let scaled = b.wire(
                &format!("scaled{i}"),
                w,
                true,
                Expr::MulConst(xw.net, s << (f - f_prod)),
                0,
            )?;
            let dsp = timing.family.uses_dsp(
                MultiplierStyle::Auto,
                x.width,
                Interval::point(s).signed_width(),
            );
            b.attr(scaled, "use_dsp", if dsp { "yes" } else { "no" });
            let sum = b.wire(
                &format!("sum{i}"),
                w,
                true,
                Expr::Add(Operand::Net(scaled), Operand::Const(bias)),
                0,
            )?;
            let y = lower_cast(
                b,
                Signal {
                    net: sum,
                    width: w,
                    signed: true,
                    frac: f,
                },
                &p.result,
                &format!("y{i}"),
                0,
            )?;
            b.note(
                y.net,
                format!("channel {c}: x * {s} + {bias}, cast to {}", p.result),
            );
            Ok(Out::Sig(y))
        })
        .collect()
}
