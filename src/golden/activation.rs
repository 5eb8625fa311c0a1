//! The activation layers on mantissas ([`Op::Lut`](crate::ir::Op::Lut),
//! [`Softmax`], [`Op::LeakyRelu`](crate::ir::Op::LeakyRelu), [`Op::Clip`](crate::ir::Op::Clip),
//! [`Op::Linear`](crate::ir::Op::Linear)) and the lookup tables they read, built once when the
//! model is compiled exactly as hls4ml's C++ initialisers fill them.
//!
//! Table entries are computed in the C++ source's mix of `float` and `double`, with Rust's
//! `f32::exp`/`f32::tanh`, which call the platform libm (`expf`/`tanhf` of glibc on Linux), as
//! hls4ml's emulation does.

use super::kernel::reduce_tree;
use crate::fixed::{cast, from_f64, to_f64, CastPlan, FixedType, Overflow, Quant};
use crate::ir::{LutFunction, Softmax, Table};

/// `ap_fixed`'s conversion of a float (widened to double exactly): finite values as
/// [`from_f64`]; ±∞ as ±2^1024, which saturates under SAT and becomes 0 under WRAP.
pub fn from_float(v: f64, t: &FixedType) -> i128 {
    if v.is_infinite() {
        cast(if v > 0.0 { 1 } else { -1 }, -1024, t)
    } else {
        from_f64(v, t)
    }
}

/// hls4ml's table input `(float)(R·(i − N/2.0)/N)` of entry `i` of `n` entries over a range of
/// width `r` (computed in double, stored as float).
fn centred_input(i: usize, n: usize, r: f64) -> f32 {
    let nf = n as f32 as f64;
    (r * (i as f64 - nf / 2.0) / nf) as f32
}

/// The entries of a sigmoid or tanh table (`init_sigmoid_table`, `init_tanh_table`).
fn lut_entries(function: LutFunction, table: &Table) -> Vec<i128> {
    let r = f64::from(1u32 << function.range_log2());
    (0..table.size)
        .map(|i| {
            let x = centred_input(i, table.size, r);
            let v = match function {
                LutFunction::Sigmoid => (1.0f64 / f64::from(1.0f32 + (-x).exp())) as f32,
                LutFunction::Tanh => x.tanh(),
            };
            from_float(f64::from(v), &table.ty)
        })
        .collect()
}

/// The value of `t` whose top `bits` bits are `i` and whose other bits are zero
/// (`softmax_real_val_from_idx`), as a mantissa of `t`.
fn top_bits_value(i: usize, t: &FixedType, bits: u32) -> i128 {
    let raw = (i as u128) << (t.width - bits);
    if t.signed && (raw >> (t.width - 1)) & 1 == 1 {
        raw as i128 - (1i128 << t.width)
    } else {
        raw as i128
    }
}

/// The top `bits` bits of the raw `t.width`-bit word of mantissa `m`, read as unsigned
/// (`softmax_idx_from_real_val`).
pub fn top_bits(m: i128, t: &FixedType, bits: u32) -> usize {
    let raw = (m as u128) & (u128::MAX >> (128 - t.width));
    (raw >> (t.width - bits)) as usize
}

/// A softmax exp table addressed by `addr` (`init_exp_table`): entry i is
/// `cast(expf(±(float)top_bits_value(i)) → exp.ty)`, the argument negated for the stable
/// variant.
fn softmax_exp_entries(exp: &Table, addr: &FixedType, negate: bool) -> Vec<i128> {
    (0..exp.size)
        .map(|i| {
            let x = to_f64(top_bits_value(i, addr, exp.bits()), addr.frac_bits()) as f32;
            let x = if negate { -x } else { x };
            from_float(f64::from(x.exp()), &exp.ty)
        })
        .collect()
}

/// A softmax inverse table addressed by `addr` (`init_invert_table`): entry i is
/// `cast(1 / (float)top_bits_value(i) → inv.ty)` in float (1/0 = +∞).
fn softmax_inv_entries(inv: &Table, addr: &FixedType) -> Vec<i128> {
    (0..inv.size)
        .map(|i| {
            let x = to_f64(top_bits_value(i, addr, inv.bits()), addr.frac_bits()) as f32;
            from_float(f64::from(1.0f32 / x), &inv.ty)
        })
        .collect()
}

/// The legacy softmax exp table (`init_exp_table_legacy`): `cast(expf(x_i) → ty)` over [−8, 8).
fn legacy_exp_entries(exp: &Table) -> Vec<i128> {
    (0..exp.size)
        .map(|i| from_float(f64::from(centred_input(i, exp.size, 16.0).exp()), &exp.ty))
        .collect()
}

/// The legacy softmax inverse table (`init_invert_table_legacy`): `x_i = (float)(64·i/N)`,
/// entry `cast(1.0 / x_i → ty)` divided in double, 0 for `x_i = 0`.
fn legacy_inv_entries(inv: &Table) -> Vec<i128> {
    let n = inv.size as f32 as f64;
    (0..inv.size)
        .map(|i| {
            let x = (64.0 * i as f64 / n) as f32;
            let v = if x > 0.0 { 1.0 / f64::from(x) } else { 0.0 };
            from_float(v, &inv.ty)
        })
        .collect()
}

/// hls4ml's range index `clamp(trunc(x·N/R) + c, 0, N − 1)` for a table of N = 2^`bits`
/// entries spanning R = 2^`range_log2` (`c = N/2` when `centred`, else 0): since
/// `x·N/R = m·2^−(F + log2 R − bits)`, truncating toward zero and clamping is one cast of that
/// value into the `bits`-bit integer type `ap_[u]fixed<bits, bits, AP_TRN_ZERO, AP_SAT>`
/// (signed when centred), and `c` is added after.
#[derive(Debug, Clone, Copy)]
pub struct RangeIndex {
    plan: CastPlan,
    offset: i128,
}

impl RangeIndex {
    /// The integer type the scaled value is cast into.
    pub fn index_type(bits: u32, centred: bool) -> FixedType {
        FixedType::fixed(bits, bits as i32, centred).with_modes(Quant::TrnZero, Overflow::Sat)
    }

    /// The fraction bits at which an input mantissa with `x_frac` fraction bits reads as
    /// `x·N/R`.
    pub fn scaled_frac(x_frac: i32, bits: u32, range_log2: i32) -> i32 {
        x_frac + range_log2 - bits as i32
    }

    pub fn new(x_frac: i32, bits: u32, range_log2: i32, centred: bool) -> Self {
        RangeIndex {
            plan: CastPlan::new(
                Self::scaled_frac(x_frac, bits, range_log2),
                &Self::index_type(bits, centred),
            ),
            offset: if centred { 1 << (bits - 1) } else { 0 },
        }
    }

    pub fn apply(&self, m: i128) -> usize {
        (self.plan.apply(m) + self.offset) as usize
    }
}

/// A sigmoid or tanh layer ready to run: [`LutKernel::apply`].
#[derive(Debug, Clone)]
pub struct LutKernel {
    pub name: String,
    pub function: LutFunction,
    pub table: Table,
    /// Mantissas of `table.ty`.
    pub entries: Vec<i128>,
    pub x_ty: FixedType,
    pub result: FixedType,
    index: RangeIndex,
    to_result: CastPlan,
}

impl LutKernel {
    pub fn new(
        name: &str,
        function: LutFunction,
        table: Table,
        x_ty: FixedType,
        result: FixedType,
    ) -> Self {
        LutKernel {
            name: name.to_owned(),
            function,
            table,
            entries: lut_entries(function, &table),
            x_ty,
            result,
            index: RangeIndex::new(x_ty.frac_bits(), table.bits(), function.range_log2(), true),
            to_result: CastPlan::new(table.ty.frac_bits(), &result),
        }
    }

    /// `cast(table[index(x)] → result)`.
    pub fn apply(&self, m: i128) -> i128 {
        self.to_result.apply(self.entries[self.index.apply(m)])
    }
}

/// A softmax ready to run: [`SoftmaxKernel::apply`] on each group of `group` elements.
#[derive(Debug, Clone)]
pub struct SoftmaxKernel {
    pub name: String,
    pub softmax: Softmax,
    /// Elements of one softmax (the last axis).
    pub group: usize,
    pub x_ty: FixedType,
    pub result: FixedType,
    /// The exp and inverse tables (empty for argmax).
    pub exp: Vec<i128>,
    pub inv: Vec<i128>,
}

impl SoftmaxKernel {
    pub fn new(
        name: &str,
        softmax: Softmax,
        group: usize,
        x_ty: FixedType,
        result: FixedType,
    ) -> Self {
        let (exp, inv) = match &softmax {
            Softmax::Stable { tables, inp_norm } => (
                softmax_exp_entries(&tables.exp, inp_norm, true),
                softmax_inv_entries(&tables.inv, &tables.inv_inp),
            ),
            Softmax::Latency { tables } => (
                softmax_exp_entries(&tables.exp, &x_ty, false),
                softmax_inv_entries(&tables.inv, &tables.inv_inp),
            ),
            Softmax::Argmax => (vec![], vec![]),
            Softmax::Legacy { exp, inv } => (legacy_exp_entries(exp), legacy_inv_entries(inv)),
        };
        SoftmaxKernel {
            name: name.to_owned(),
            softmax,
            group,
            x_ty,
            result,
            exp,
            inv,
        }
    }

    /// One softmax over `x` (mantissas of `x_ty`), as [`Softmax`] documents.
    pub fn apply(&self, x: &[i128]) -> Vec<i128> {
        let f_in = self.x_ty.frac_bits();
        match &self.softmax {
            Softmax::Stable { tables, inp_norm } => {
                let m = reduce_tree(x, &|a, b| if a >= b { a } else { b });
                let to_norm = CastPlan::new(f_in, inp_norm);
                let exps: Vec<usize> = x
                    .iter()
                    .map(|&v| top_bits(to_norm.apply(m - v), inp_norm, tables.exp.bits()))
                    .collect();
                self.normalise(&exps, tables)
            }
            Softmax::Latency { tables } => {
                let exps: Vec<usize> = x
                    .iter()
                    .map(|&v| top_bits(v, &self.x_ty, tables.exp.bits()))
                    .collect();
                self.normalise(&exps, tables)
            }
            Softmax::Argmax => {
                let first_max =
                    (1..x.len()).fold(0, |best, i| if x[i] > x[best] { i } else { best });
                let one = cast(1, 0, &self.result);
                (0..x.len())
                    .map(|i| if i == first_max { one } else { 0 })
                    .collect()
            }
            Softmax::Legacy { exp, inv } => {
                let t = exp.ty;
                let exp_index = RangeIndex::new(f_in, exp.bits(), 4, true);
                let inv_index = RangeIndex::new(t.frac_bits(), inv.bits(), 6, false);
                let one = cast(1, 0, &t);
                let to_result = CastPlan::new(t.frac_bits(), &self.result);
                (0..x.len())
                    .map(|i| {
                        let acc = (0..x.len()).fold(0, |acc, j| {
                            let term = if i == j {
                                one
                            } else {
                                self.exp[exp_index.apply(x[j] - x[i])]
                            };
                            cast(acc + term, t.frac_bits(), &t)
                        });
                        to_result.apply(self.inv[inv_index.apply(acc)])
                    })
                    .collect()
            }
        }
    }

    /// The shared end of the stable and latency variants, from each element's exp-table index.
    fn normalise(&self, exp_index: &[usize], tables: &crate::ir::SoftmaxTables) -> Vec<i128> {
        let accum = tables.accum;
        let to_accum = CastPlan::new(tables.exp.ty.frac_bits(), &accum);
        let e: Vec<i128> = exp_index
            .iter()
            .map(|&k| to_accum.apply(self.exp[k]))
            .collect();
        let sum = reduce_tree(&e, &|a, b| cast(a + b, accum.frac_bits(), &accum));
        let s = cast(sum, accum.frac_bits(), &tables.inv_inp);
        let inv = self.inv[top_bits(s, &tables.inv_inp, tables.inv.bits())];
        let to_result = CastPlan::new(accum.frac_bits() + tables.inv.ty.frac_bits(), &self.result);
        e.iter().map(|&v| to_result.apply(v * inv)).collect()
    }
}

/// A LeakyReLU ready to run: `x > 0 ? cast(x → result) : cast(alpha·x → result)`.
#[derive(Debug, Clone)]
pub struct LeakyReluKernel {
    pub name: String,
    pub x_ty: FixedType,
    pub param: FixedType,
    /// α floored into `param`, a mantissa of it.
    pub alpha: i128,
    pub result: FixedType,
    pass: CastPlan,
    scaled: CastPlan,
}

impl LeakyReluKernel {
    pub fn new(
        name: &str,
        alpha: f64,
        param: FixedType,
        x_ty: FixedType,
        result: FixedType,
    ) -> Self {
        LeakyReluKernel {
            name: name.to_owned(),
            x_ty,
            param,
            alpha: from_f64(alpha, &param),
            result,
            pass: CastPlan::new(x_ty.frac_bits(), &result),
            scaled: CastPlan::new(x_ty.frac_bits() + param.frac_bits(), &result),
        }
    }

    pub fn apply(&self, m: i128) -> i128 {
        if m > 0 {
            self.pass.apply(m)
        } else {
            self.scaled.apply(self.alpha * m)
        }
    }
}

/// A bound of a clip in the input's mantissas: values beyond `threshold` become `value`, a
/// mantissa of the result type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClipBound {
    pub threshold: i128,
    pub value: i128,
}

/// A clip ready to run: `x < low ? low.value : x > high ? high.value : cast(x → result)`, the
/// thresholds `ceil(min·2^F)` and `floor(max·2^F)` in the input's mantissas (so the comparisons
/// are exact), `None` when no input is beyond them.
#[derive(Debug, Clone)]
pub struct ClipKernel {
    pub name: String,
    pub x_ty: FixedType,
    pub result: FixedType,
    pub low: Option<ClipBound>,
    pub high: Option<ClipBound>,
    to_result: CastPlan,
}

/// An integer-valued float as an `i128`, saturated at ±2^126 (beyond every type's range).
fn saturating_i128(v: f64) -> i128 {
    let limit = 2f64.powi(126);
    if v >= limit {
        1 << 126
    } else if v <= -limit {
        -(1 << 126)
    } else {
        v as i128
    }
}

impl ClipKernel {
    pub fn new(
        name: &str,
        min: Option<f64>,
        max: Option<f64>,
        x_ty: FixedType,
        result: FixedType,
    ) -> Self {
        let scale = 2f64.powi(x_ty.frac_bits());
        let (x_min, x_max) = (x_ty.min_mantissa(), x_ty.max_mantissa());
        let low = min.and_then(|lo| {
            let t = saturating_i128((lo * scale).ceil());
            (t > x_min).then(|| ClipBound {
                threshold: t.min(x_max + 1),
                value: from_f64(lo, &result),
            })
        });
        let high = max.and_then(|hi| {
            let t = saturating_i128((hi * scale).floor());
            (t < x_max).then(|| ClipBound {
                threshold: t.max(x_min - 1),
                value: from_f64(hi, &result),
            })
        });
        ClipKernel {
            name: name.to_owned(),
            x_ty,
            result,
            low,
            high,
            to_result: CastPlan::new(x_ty.frac_bits(), &result),
        }
    }

    pub fn apply(&self, m: i128) -> i128 {
        match (self.low, self.high) {
            (Some(l), _) if m < l.threshold => l.value,
            (_, Some(h)) if m > h.threshold => h.value,
            _ => self.to_result.apply(m),
        }
    }
}
