//! Thresholds (`Op::Thresholds`) in stage 0: each element compares its input with its constant
//! thresholds and selects the output constant of the interval the input is in, by a chain of
//! multiplexers from the lowest interval up.

use super::builder::{ModuleBuilder, Signal};
use super::dense::Out;
use super::netlist::*;
use super::timing::Timing;
use crate::diag::Result;
use crate::fixed::FixedType;
use crate::ir::quantizer::PerElement;
use crate::ir::thresholds::Steps;

/// `y_i = steps(i).outputs[#{t : x_i ≥ θ_t}]`; `x ≥ θ` is built as `x > θ − 1`, which fits the
/// input's width because a threshold is above the input type's minimum.
pub fn lower(
    b: &mut ModuleBuilder,
    xs: &[Signal],
    steps: &PerElement<Steps>,
    result: &FixedType,
    layer: &str,
    timing: &Timing,
) -> Result<Vec<Out>> {
    let widest = xs.iter().map(|x| x.width).max().unwrap_or(1);
    let most = steps
        .sets
        .iter()
        .map(|s| s.thresholds.len())
        .max()
        .unwrap_or(0) as u32;
    b.stage_delay(timing.stage_ns(
        1,
        timing.adder_ns(widest) + f64::from(most) * timing.cast_ns(1),
    ));
    xs.iter()
        .enumerate()
        .map(|(i, &x)| {
            let s = steps.get(i);
            let mut y = Operand::Const(s.outputs[0]);
            for (t, (&theta, &out)) in s.thresholds.iter().zip(&s.outputs[1..]).enumerate() {
                let reached = b.wire(
                    &format!("x{i}_ge{t}"),
                    1,
                    false,
                    Expr::Cmp(CmpOp::Gt, x.net, theta - 1),
                    0,
                )?;
                let name = if t + 1 == s.thresholds.len() {
                    format!("y{i}")
                } else {
                    format!("y{i}_{t}")
                };
                let net = b.wire(
                    &name,
                    result.width,
                    result.signed,
                    Expr::Mux(reached, Operand::Const(out), y),
                    0,
                )?;
                y = Operand::Net(net);
            }
            Ok(match y {
                Operand::Net(net) => {
                    b.note(
                        net,
                        format!(
                            "{layer} output {i}: {} thresholds {:?}",
                            s.thresholds.len(),
                            s.thresholds
                        ),
                    );
                    Out::Sig(Signal {
                        net,
                        width: result.width,
                        signed: result.signed,
                        frac: result.frac_bits(),
                    })
                }
                Operand::Const(c) => Out::Const(c),
            })
        })
        .collect()
}
