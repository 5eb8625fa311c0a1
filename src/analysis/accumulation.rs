//! How a Dense layer's accumulation can be computed without changing its result.
//!
//! The specification is hls4ml's sequential loop (see [`Op::Dense`](crate::ir::Op::Dense)). Two
//! cheaper schedules compute exactly the same numbers when their conditions hold:
//! * [`AccumPlan::Exact`]: every product is representable in `accum` without rounding and no
//!   product or partial sum (bias first, then inputs ascending) can leave `accum`'s range for any
//!   input of the input type. Then every cast in the loop is the identity, and
//!   `acc = bias + Σ x_i·w_ij` exactly, in any order and at any sufficient width.
//! * [`AccumPlan::Wrap`]: `accum` wraps with no saturation bits. Casting a sum into it is the sum
//!   modulo 2^W, so each product is cast on its own (rounded, then wrapped) and the casts are
//!   summed modulo 2^W in any order.
//!
//! Otherwise [`AccumPlan::Sequential`] keeps the loop's order and casts.

use super::interval::Interval;
use crate::fixed::{cast, FixedType, Overflow};
use crate::ir::DensePrecision;
use ndarray::ArrayView2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum AccumPlan {
    Exact,
    Wrap,
    Sequential,
}

/// The accumulation plan of a Dense layer with input type `x`, quantized `(n_in, n_out)` weights
/// and biases.
pub fn plan(
    x: &FixedType,
    p: &DensePrecision,
    weights: ArrayView2<i128>,
    bias: &[i128],
) -> AccumPlan {
    if exact_holds(x, p, weights, bias) {
        AccumPlan::Exact
    } else if p.accum.effective_overflow() == (Overflow::Wrap, 0) {
        AccumPlan::Wrap
    } else {
        AccumPlan::Sequential
    }
}

/// `cast(b → accum)` for a bias mantissa.
pub fn bias_in_accum(b: i128, p: &DensePrecision) -> i128 {
    cast(b, p.bias.frac_bits(), &p.accum)
}

fn exact_holds(
    x: &FixedType,
    p: &DensePrecision,
    weights: ArrayView2<i128>,
    bias: &[i128],
) -> bool {
    let f_prod = x.frac_bits() + p.weight.frac_bits();
    let shift = p.accum.frac_bits() - f_prod;
    if shift < 0 || p.accum.integer && f_prod > 0 {
        return false;
    }
    // Values the loop's casts leave unchanged: SAT_SYM moves the most negative code.
    let range = Interval {
        lo: p.accum.lowest_produced(),
        hi: p.accum.max_mantissa(),
    };
    let input = Interval::of_type(x);
    for (j, &b) in bias.iter().enumerate() {
        let b_acc = bias_in_accum(b, p);
        // The bias cast itself must be exact too.
        let exact_bias = Interval::point(b)
            .checked_shl((p.accum.frac_bits() - p.bias.frac_bits()).max(0) as u32);
        if p.accum.frac_bits() < p.bias.frac_bits() || exact_bias != Some(Interval::point(b_acc)) {
            return false;
        }
        let mut sum = Interval::point(b_acc);
        for &w in weights.column(j).iter().filter(|&&w| w != 0) {
            let Some(prod) = input.scale(w).and_then(|i| i.checked_shl(shift as u32)) else {
                return false;
            };
            let Some(next) = sum.checked_add(prod) else {
                return false;
            };
            if !prod.within(range) || !next.within(range) {
                return false;
            }
            sum = next;
        }
    }
    true
}
