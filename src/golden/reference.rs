//! The literal hls4ml datapath (REFERENCE §3.1, §4.1): slow, obviously right, and the oracle for
//! the fast kernels.

use crate::fixed::{cast, FixedType};
use crate::ir::DensePrecision;
use ndarray::ArrayView2;

/// `y_j = cast(acc → result)` with `acc = cast(b_j → accum)` then, for i ascending,
/// `acc = cast(acc + cast(x_i·w_ij → accum) → accum)`. Returns result mantissas.
pub fn dense(
    x: &[i128],
    x_ty: &FixedType,
    p: &DensePrecision,
    weights: ArrayView2<i128>,
    bias: &[i128],
) -> Vec<i128> {
    let f_prod = x_ty.frac_bits() + p.weight.frac_bits();
    let f_acc = p.accum.frac_bits();
    (0..bias.len())
        .map(|j| {
            let mut acc = cast(bias[j], p.bias.frac_bits(), &p.accum);
            for (i, &xi) in x.iter().enumerate() {
                let prod = cast(xi * weights[[i, j]], f_prod, &p.accum);
                acc = cast(acc + prod, f_acc, &p.accum);
            }
            cast(acc, f_acc, &p.result)
        })
        .collect()
}

/// `y = cast((x > 0 ? x : 0) → result)`.
pub fn relu(x: &[i128], x_ty: &FixedType, result: &FixedType) -> Vec<i128> {
    x.iter()
        .map(|&v| cast(v.max(0), x_ty.frac_bits(), result))
        .collect()
}
