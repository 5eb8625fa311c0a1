//! ReLU: `y = cast((x > 0 ? x : 0) → result)` in stage 0; a sign-bit mux, then the cast.

use super::builder::{ModuleBuilder, Signal};
use super::cast::lower_cast;
use super::dense::Out;
use super::netlist::*;
use crate::diag::Result;
use crate::fixed::FixedType;

pub fn lower(
    b: &mut ModuleBuilder,
    xs: &[Signal],
    result: &FixedType,
    layer: &str,
) -> Result<Vec<Out>> {
    xs.iter()
        .enumerate()
        .map(|(i, &x)| {
            let positive = if x.signed {
                let neg = b
                    .bit(x, x.width - 1, &format!("neg{i}"), 0)?
                    .expect("signed inputs have a sign bit");
                let net = b.wire(
                    &format!("pos{i}"),
                    x.width,
                    true,
                    Expr::Mux(neg, Operand::Const(0), Operand::Net(x.net)),
                    0,
                )?;
                Signal { net, ..x }
            } else {
                x
            };
            let y = lower_cast(b, positive, result, &format!("y{i}"), 0)?;
            b.note(y.net, format!("{layer} output {i}: cast to {result}"));
            Ok(Out::Sig(y))
        })
        .collect()
}
