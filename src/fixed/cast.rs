//! The one place where values change: conversion of an exact value into a fixed-point type.

use super::types::{FixedType, Overflow, Quant};

/// Bit `k` of the infinite two's-complement expansion of `m`.
fn bit(m: i128, k: u32) -> bool {
    if k >= 127 {
        m < 0
    } else {
        (m >> k) & 1 == 1
    }
}

/// Whether any of bits `0..k` of the infinite two's-complement expansion of `m` is set.
fn any_low(m: i128, k: u32) -> bool {
    if k == 0 {
        false
    } else if k >= 128 {
        m != 0
    } else {
        (m as u128) & ((1u128 << k) - 1) != 0
    }
}

/// The value after quantization, before overflow handling.
enum Rounded {
    /// Fits an `i128`.
    Exact(i128),
    /// Too large for an `i128` (a huge left shift): only its sign and its low 128 bits are known,
    /// which is all overflow handling needs because no type is wider than 126 bits.
    Huge { negative: bool, low: u128 },
}

/// Drops `d > 0` fraction bits of `m` with quantization mode `q` (REFERENCE §1.3).
pub fn quantize(m: i128, d: u32, q: Quant) -> i128 {
    let base = if d >= 127 {
        if m < 0 {
            -1
        } else {
            0
        }
    } else {
        m >> d
    };
    let qb = bit(m, d - 1);
    let r = any_low(m, d - 1);
    let s = m < 0;
    let inc = match q {
        Quant::Trn => false,
        Quant::TrnZero => s && (qb || r),
        Quant::Rnd => qb,
        Quant::RndZero => qb && (s || r),
        Quant::RndMinInf => qb && r,
        Quant::RndInf => qb && (!s || r),
        Quant::RndConv => qb && ((base & 1) == 1 || r),
    };
    base + inc as i128
}

fn shift_left(m: i128, k: u32) -> Rounded {
    if m == 0 {
        return Rounded::Exact(0);
    }
    let redundant_sign_bits = if m < 0 {
        (!m).leading_zeros()
    } else {
        m.leading_zeros()
    } - 1;
    if k <= redundant_sign_bits {
        Rounded::Exact(m << k)
    } else {
        let low = if k >= 128 { 0 } else { (m as u128) << k };
        Rounded::Huge {
            negative: m < 0,
            low,
        }
    }
}

/// Sign-extends (signed) or zero-extends (unsigned) the low `width` bits of `low`.
fn wrap_bits(low: u128, width: u32, signed: bool) -> i128 {
    let shift = 128 - width;
    if signed {
        ((low << shift) as i128) >> shift
    } else {
        ((low << shift) >> shift) as i128
    }
}

/// Converts the exact value `m · 2^-f_src` into type `t`: quantization first, overflow second.
/// Returns the mantissa in `t` (the value is `result · 2^-t.frac_bits()`).
///
/// This is the semantics of assigning to an `ap_fixed`/`ap_int` variable in C++ (REFERENCE §1.3,
/// §1.4, §1.5); `ap_int` targets truncate toward zero and wrap, whatever their modes say.
pub fn cast(m: i128, f_src: i32, t: &FixedType) -> i128 {
    CastPlan::new(f_src, t).apply(m)
}

/// [`cast`] from a fixed source scale into a fixed type, with everything that does not depend on
/// the value computed once.
#[derive(Debug, Clone, Copy)]
pub struct CastPlan {
    /// Fraction bits dropped (> 0) or appended (< 0).
    d: i32,
    quant: Quant,
    overflow: Overflow,
    sat_bits: u32,
    width: u32,
    signed: bool,
    max: i128,
    /// Lowest in-range value: `-max` under signed SAT_SYM, else the type's minimum.
    lo: i128,
}

impl CastPlan {
    pub fn new(f_src: i32, t: &FixedType) -> Self {
        let (overflow, sat_bits) = t.effective_overflow();
        CastPlan {
            d: f_src - t.frac_bits(),
            quant: t.effective_quant(),
            overflow,
            sat_bits,
            width: t.width,
            signed: t.signed,
            max: t.max_mantissa(),
            lo: t.lowest_produced(),
        }
    }

    #[inline]
    pub fn apply(&self, m: i128) -> i128 {
        let rounded = if self.d == 0 {
            Rounded::Exact(m)
        } else if self.d > 0 {
            Rounded::Exact(if self.quant == Quant::Trn && self.d < 127 {
                m >> self.d
            } else {
                quantize(m, self.d as u32, self.quant)
            })
        } else {
            shift_left(m, (-self.d) as u32)
        };
        if let Rounded::Exact(q) = rounded {
            if q >= self.lo && q <= self.max {
                return q;
            }
        }
        self.handle_overflow(rounded)
    }

    fn handle_overflow(&self, v: Rounded) -> i128 {
        let (negative, low) = match v {
            Rounded::Exact(q) => (q < 0, q as u128),
            Rounded::Huge { negative, low } => (negative, low),
        };
        let (w, n) = (self.width, self.sat_bits);
        match self.overflow {
            Overflow::Wrap if n == 0 => wrap_bits(low, w, self.signed),
            Overflow::Wrap => {
                let mut bits = wrap_bits(low, w, false) as u128;
                if self.signed {
                    // MSB := sign of the source; the N−1 bits below it := the opposite of the sign.
                    let msb = 1u128 << (w - 1);
                    let below = ((1u128 << (n - 1)) - 1) << (w - n);
                    bits &= !(msb | below);
                    bits |= if negative { msb } else { below };
                } else {
                    // Unsigned: the top N bits become ones on any overflow, whatever the source sign.
                    bits |= ((1u128 << n) - 1) << (w - n);
                }
                wrap_bits(bits, w, self.signed)
            }
            Overflow::Sat | Overflow::SatSym => {
                if negative {
                    self.lo
                } else {
                    self.max
                }
            }
            Overflow::SatZero => 0,
        }
    }
}

/// Converts a finite `f64` into type `t` exactly as the C++ `ap_fixed(double)` constructor does:
/// the double's exact value is quantized with `t`'s mode (using its sign) and then overflow-handled.
/// `ap_int` targets truncate toward zero and wrap; as in the C++ types, values in (−0.5, 0) become +1.
///
/// The caller must reject non-finite values.
pub fn from_f64(x: f64, t: &FixedType) -> i128 {
    debug_assert!(x.is_finite());
    if x == 0.0 {
        return 0;
    }
    if t.integer && x > -0.5 && x < 0.0 {
        return cast(1, 0, t);
    }
    let bits = x.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32;
    let fraction = (bits & ((1u64 << 52) - 1)) as i128;
    let (mantissa, exp) = if exponent == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1i128 << 52), exponent - 1075)
    };
    let signed_mantissa = if x < 0.0 { -mantissa } else { mantissa };
    cast(signed_mantissa, -exp, t)
}

/// The value `m · 2^-frac` as an `f64` (exact while |m| < 2^53).
pub fn to_f64(m: i128, frac: i32) -> f64 {
    (m as f64) * (2.0f64).powi(-frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_int(x: f64, q: Quant) -> i128 {
        from_f64(
            x,
            &FixedType::fixed(8, 8, true).with_modes(q, Overflow::Wrap),
        )
    }

    /// The table of REFERENCE §1.3 (values quantized to integers).
    #[test]
    fn quantization_table() {
        let xs = [2.5, -2.5, 2.75, -2.25, -2.75];
        let table: [(Quant, [i128; 5]); 7] = [
            (Quant::Trn, [2, -3, 2, -3, -3]),
            (Quant::TrnZero, [2, -2, 2, -2, -2]),
            (Quant::Rnd, [3, -2, 3, -2, -3]),
            (Quant::RndZero, [2, -2, 3, -2, -3]),
            (Quant::RndMinInf, [2, -3, 3, -2, -3]),
            (Quant::RndInf, [3, -3, 3, -2, -3]),
            (Quant::RndConv, [2, -2, 3, -2, -3]),
        ];
        for (q, want) in table {
            let got: Vec<i128> = xs.iter().map(|&x| to_int(x, q)).collect();
            assert_eq!(got, want, "{q:?}");
        }
    }

    #[test]
    fn rounding_can_carry_out_of_range() {
        let sat: FixedType = "ap_fixed<4,1,AP_RND,AP_SAT>".parse().unwrap();
        assert_eq!(from_f64(0.97, &sat), 7); // 0.875
        let wrap: FixedType = "ap_fixed<4,1,AP_RND,AP_WRAP>".parse().unwrap();
        assert_eq!(from_f64(0.97, &wrap), -8); // -1.0
    }

    #[test]
    fn integer_targets_truncate_toward_zero_and_wrap() {
        let t = FixedType::int(8, true);
        assert_eq!(cast(-11, 2, &t), -2); // -2.75
        assert_eq!(cast(601, 1, &t), 44); // 300.5
        assert_eq!(from_f64(-0.25, &t), 1);
        assert_eq!(from_f64(-0.5, &t), 0);
    }

    #[test]
    fn sat_sym_never_produces_the_most_negative_code() {
        let t: FixedType = "ap_fixed<4,4,AP_TRN,AP_SAT_SYM>".parse().unwrap();
        assert_eq!(from_f64(-8.0, &t), -7);
        assert_eq!(from_f64(-100.0, &t), -7);
        assert_eq!(from_f64(100.0, &t), 7);
    }

    #[test]
    fn huge_shifts() {
        let t: FixedType = "ap_fixed<8,4,AP_TRN,AP_SAT>".parse().unwrap();
        assert_eq!(from_f64(1e300, &t), 127);
        assert_eq!(from_f64(-1e300, &t), -128);
        assert_eq!(from_f64(1e-300, &t), 0);
        assert_eq!(from_f64(-1e-300, &t), -1);
        let w = FixedType::fixed(8, 4, true);
        assert_eq!(from_f64(1e300, &w), 0);
    }
}
