//! Add and Concat in stage 0 of a module whose inputs are its operands one after another.
//! Add: each pair made signed, shifted to the finer fraction, sign-extended to one bit more
//! than the wider and summed exactly; the sum cast to the result. Concat: every element cast to
//! the result, in output order.

use super::builder::{ModuleBuilder, Signal};
use super::cast::lower_cast;
use super::dense::Out;
use super::netlist::*;
use super::timing::Timing;
use crate::diag::Result;
use crate::fixed::FixedType;

/// `y_i = cast(a_i + b_i → result)` for `xs = a ++ b` (two operands of `xs.len() / 2`).
pub fn lower_add(
    b: &mut ModuleBuilder,
    xs: &[Signal],
    result: &FixedType,
    layer: &str,
    timing: &Timing,
) -> Result<Vec<Out>> {
    let n = xs.len() / 2;
    let mut widest = 1;
    let outs = (0..n)
        .map(|i| {
            let (a, c) = (xs[i], xs[n + i]);
            let frac = a.frac.max(c.frac);
            let mut aligned = Vec::new();
            for (k, x) in [a, c].into_iter().enumerate() {
                let s = b.as_signed(x, &format!("x{}_{i}_s", k), 0)?;
                aligned.push(b.shift_left(s, (frac - x.frac) as u32, &format!("x{k}_{i}_a"), 0)?);
            }
            let width = aligned.iter().map(|s| s.width).max().expect("two operands") + 1;
            widest = widest.max(width);
            let ea = b.resize(aligned[0], width, &format!("x0_{i}_e"), 0)?;
            let ec = b.resize(aligned[1], width, &format!("x1_{i}_e"), 0)?;
            let sum = b.wire(
                &format!("sum{i}"),
                width,
                true,
                Expr::Add(Operand::Net(ea.net), Operand::Net(ec.net)),
                0,
            )?;
            let sum = Signal {
                net: sum,
                width,
                signed: true,
                frac,
            };
            let y = lower_cast(b, sum, result, &format!("y{i}"), 0)?;
            b.note(y.net, format!("{layer} output {i}: sum cast to {result}"));
            Ok(Out::Sig(y))
        })
        .collect::<Result<Vec<Out>>>()?;
    b.stage_delay(timing.stage_ns(1, timing.adder_ns(widest) + timing.cast_ns(widest)));
    Ok(outs)
}

/// The operands' elements in output order (`order[j]` indexes `xs`), each cast to `result`.
pub fn lower_concat(
    b: &mut ModuleBuilder,
    xs: &[Signal],
    order: &[usize],
    result: &FixedType,
    layer: &str,
    timing: &Timing,
) -> Result<Vec<Out>> {
    let widest = xs.iter().map(|x| x.width).max().unwrap_or(1);
    let outs = order
        .iter()
        .enumerate()
        .map(|(j, &i)| {
            let y = lower_cast(b, xs[i], result, &format!("y{j}"), 0)?;
            b.note(
                y.net,
                format!("{layer} output {j}: operand element {i} cast to {result}"),
            );
            Ok(Out::Sig(y))
        })
        .collect::<Result<Vec<Out>>>()?;
    b.stage_delay(timing.stage_ns(1, timing.cast_ns(widest)));
    Ok(outs)
}
