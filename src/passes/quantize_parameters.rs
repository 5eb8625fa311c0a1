//! Quantizes weights and biases exactly as hls4ml's emulation sees them (REFERENCE §3.2): each
//! value is printed with `max(0, F)` decimals (correctly rounded, as Python does), parsed back to a
//! double, and that double is cast into the parameter type with its modes.

use super::{registry::Pass, PassContext};
use crate::diag::{Error, Result};
use crate::fixed::{from_f64, FixedType};
use crate::ir::{Graph, Op, Phase, QuantizedDense};

pub const PASS: Pass = Pass {
    name: "quantize-parameters",
    summary: "quantizes weights and biases through hls4ml's decimal text rule",
    required: true,
    produces: Phase::Quantized,
    run,
};

/// `cast(parse(format(v, max(0, F) decimals)) → t)`.
pub fn quantize_parameter(v: f64, t: &FixedType) -> i128 {
    let decimals = t.frac_bits().max(0) as usize;
    let text = format!("{v:.decimals$}");
    let reparsed: f64 = text.parse().expect("Rust parses the floats it prints");
    from_f64(reparsed, t)
}

fn run(graph: &mut Graph, _: &mut PassContext) -> Result<()> {
    for n in graph.order()? {
        if let Op::BatchNorm(b) = &mut graph.g[n].op {
            let p = b
                .precision
                .ok_or_else(|| Error::Internal("quantize-parameters before apply-config".into()))?;
            b.quantized = Some((
                b.scale.mapv(|v| quantize_parameter(v, &p.scale)),
                b.bias.mapv(|v| quantize_parameter(v, &p.bias)),
            ));
        }
        if let Some(d) = graph.g[n].op.dense_mut() {
            let p = d
                .precision
                .ok_or_else(|| Error::Internal("quantize-parameters before apply-config".into()))?;
            d.quantized = Some(QuantizedDense {
                weights: d.weights.mapv(|w| quantize_parameter(w, &p.weight)),
                bias: d.bias.mapv(|b| quantize_parameter(b, &p.bias)),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_rule_rounds_in_decimal_then_casts() {
        let t = FixedType::fixed(16, 6, true); // F = 10, floor
                                               // Just below a grid point: a direct floor would give 1023, the decimal text rounds up first.
        let v = 1.0 - 1e-12;
        assert_eq!(from_f64(v, &t), 1023);
        assert_eq!(quantize_parameter(v, &t), 1024);
        // Integer types print with no decimals: round half to even.
        let i = FixedType::int(8, true);
        assert_eq!(quantize_parameter(2.5, &i), 2);
        assert_eq!(quantize_parameter(3.5, &i), 4);
        assert_eq!(quantize_parameter(-2.7, &i), -3);
    }
}
