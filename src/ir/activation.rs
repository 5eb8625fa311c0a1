//! The resolved settings of the activation layers ([`Op::Lut`], [`Op::Softmax`],
//! [`Op::LeakyRelu`], [`Op::Clip`], [`Op::Linear`]) and their verifier rules.
//!
//! The arithmetic follows hls4ml 1.3.0 (`nnet_activation.h`), as documented in
//! `tests/data/hls4ml/ACTIVATIONS.md` and checked bit for bit against its emulation.

use super::{Edge, Op, Phase};
use crate::diag::{Error, Result};
use crate::fixed::FixedType;

/// The function a [`Op::Lut`] layer tabulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum LutFunction {
    /// `1 / (1 + e^−x)` over [−8, 8).
    Sigmoid,
    /// `tanh(x)` over [−4, 4).
    Tanh,
}

impl LutFunction {
    /// `log2 R`, where the table spans R = 16 (sigmoid) or 8 (tanh) around zero.
    pub fn range_log2(self) -> i32 {
        match self {
            LutFunction::Sigmoid => 4,
            LutFunction::Tanh => 3,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            LutFunction::Sigmoid => "sigmoid",
            LutFunction::Tanh => "tanh",
        }
    }
}

/// A lookup table of `size` entries of `ty`; `size` is a power of two from 2 to
/// [`MAX_TABLE_SIZE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Table {
    pub size: usize,
    pub ty: FixedType,
}

/// The largest table rtlgen builds (64 Ki entries).
pub const MAX_TABLE_SIZE: usize = 1 << 16;

impl Table {
    /// `log2 size`: the address bits.
    pub fn bits(&self) -> u32 {
        self.size.trailing_zeros()
    }
}

/// The tables and types of the stable and latency softmax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SoftmaxTables {
    /// `exp_table_t`, `exp_table_size`.
    pub exp: Table,
    /// `inv_table_t`, `inv_table_size`.
    pub inv: Table,
    /// `accum_t`: the exponentials and every node of their sum.
    pub accum: FixedType,
    /// `inv_inp_t`: the sum as it addresses the inverse table.
    pub inv_inp: FixedType,
}

/// A softmax over the last axis of its (channels-last) tensor, as one of hls4ml's variants.
/// Every group of `n` consecutive elements (`n` = the last axis) is one softmax. `idx(v, N)` is
/// the top `log2 N` bits of `v`'s raw W-bit word read as unsigned, and `edge(i, T, N)` the value
/// of `T` whose top `log2 N` bits are `i` and whose other bits are zero. `expf`, `1/x` are f32
/// (the platform libm, as hls4ml's emulation); a non-finite float is cast as ±2^1024.
/// `tree(op)` is hls4ml's reduction: the first `2^floor(log2(n − 1))` elements and the rest,
/// recursively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Softmax {
    /// ```text
    /// m   = tree(max)(x)
    /// d_i = cast(m − x_i → inp_norm)                       (exact difference; TRN/WRAP wraps)
    /// e_i = cast(exp[idx(d_i, N_exp)] → accum)             exp[i] = cast(expf(−edge(i, inp_norm)) → exp_t)
    /// S   = cast(tree(a, b ↦ cast(a + b → accum))(e) → inv_inp)
    /// y_i = cast(e_i · inv[idx(S, N_inv)] → result)        inv[i] = cast(1/edge(i, inv_inp) → inv_t)
    /// ```
    Stable {
        tables: SoftmaxTables,
        /// `inp_norm_t`: `ap_ufixed<W − s, I − s>` for an input `fixed<W, I, s>` unless set.
        inp_norm: FixedType,
    },
    /// As `Stable` without the maximum: `e_i = cast(exp[idx(x_i, N_exp)] → accum)` with
    /// `exp[i] = cast(expf(edge(i, x_t)) → exp_t)` addressed by the (signed) input type.
    Latency { tables: SoftmaxTables },
    /// `y_i = cast(1 → result)` at the first maximum (a later element wins only if strictly
    /// greater), 0 elsewhere.
    Argmax,
    /// Both tables of `table_t` (`exp.ty == inv.ty`), with R-range indexing as [`Op::Lut`]:
    /// ```text
    /// exp[i] = cast(expf((f32)(16·(i − N/2)/N)) → table_t)
    /// inv[i] = i > 0 ? cast(1.0 / (f64)(f32)(64·i/N) → table_t) : 0       (double division)
    /// acc_i  = 0;  for j ascending: acc_i = cast(acc_i + (j == i ? 1 : exp[clamp(trunc((x_j − x_i)·N/16) + N/2, 0, N − 1)]) → table_t)
    /// y_i    = cast(inv[clamp(trunc(acc_i·N/64), 0, N − 1)] → result)
    /// ```
    Legacy { exp: Table, inv: Table },
}

impl Softmax {
    pub fn name(&self) -> &'static str {
        match self {
            Softmax::Stable { .. } => "stable",
            Softmax::Latency { .. } => "latency",
            Softmax::Argmax => "argmax",
            Softmax::Legacy { .. } => "legacy",
        }
    }
}

/// Checks an activation layer between input edge `i` and output edge `o`: the shape is kept,
/// and from [`Phase::Typed`] on its settings are resolved with tables addressable by their
/// types (a table of `2^n` entries indexed by the top bits of a type needs `n` ≤ its width).
pub fn check(phase: Phase, name: &str, op: &Op, i: &Edge, o: &Edge) -> Result<()> {
    let bad = |what: String| Err(Error::Internal(what));
    if i.shape != o.shape {
        return bad(format!("activation '{name}' changes the shape"));
    }
    if phase < Phase::Typed {
        return Ok(());
    }
    let table_ok = |t: &Table| t.size.is_power_of_two() && (2..=MAX_TABLE_SIZE).contains(&t.size);
    let addressable = |t: &Table, by: &FixedType| table_ok(t) && t.bits() <= by.width;
    let ok = match op {
        Op::Lut { table, .. } => table.as_ref().is_some_and(table_ok),
        Op::Softmax(s) => match s {
            None => false,
            Some(Softmax::Stable { tables, inp_norm }) => {
                addressable(&tables.exp, inp_norm) && addressable(&tables.inv, &tables.inv_inp)
            }
            Some(Softmax::Latency { tables }) => {
                let x = i.ty.expect("typed");
                addressable(&tables.exp, &x) && addressable(&tables.inv, &tables.inv_inp)
            }
            Some(Softmax::Argmax) => true,
            Some(Softmax::Legacy { exp, inv }) => {
                table_ok(exp) && table_ok(inv) && exp.ty == inv.ty
            }
        },
        Op::LeakyRelu { param, .. } => param.is_some(),
        Op::Clip { min, max } => match (min, max) {
            (Some(lo), Some(hi)) => lo <= hi,
            _ => true,
        },
        Op::Linear => true,
        other => {
            return bad(format!(
                "'{name}' ({}) checked as an activation",
                other.layer_type()
            ))
        }
    };
    if ok {
        Ok(())
    } else {
        bad(format!(
            "activation '{name}' ({}) has unresolved or unaddressable settings",
            op.layer_type()
        ))
    }
}
