//! Exact dyadic rationals `m · 2^e`. Every finite float32 or float64 is one, and so is every
//! product and sum of them; QONNX scales, zero points and thresholds are float32, so arithmetic on
//! them and on fixed-point values is exact in this form. Operations that would leave `i128`
//! return `None`.

/// `m · 2^e`, normalized: `m` odd, or `m = 0` with `e = 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Dyadic {
    m: i128,
    e: i32,
}

impl Dyadic {
    pub const ZERO: Dyadic = Dyadic { m: 0, e: 0 };

    /// `m · 2^e`.
    pub fn new(m: i128, e: i32) -> Self {
        if m == 0 {
            return Dyadic::ZERO;
        }
        let tz = m.trailing_zeros();
        Dyadic {
            m: m >> tz,
            e: e + tz as i32,
        }
    }

    pub fn int(i: i128) -> Self {
        Dyadic::new(i, 0)
    }

    /// The exact value of a finite `f64`; `None` for infinities and NaN.
    pub fn from_f64(x: f64) -> Option<Self> {
        if !x.is_finite() {
            return None;
        }
        let bits = x.to_bits();
        let exponent = ((bits >> 52) & 0x7ff) as i32;
        let fraction = (bits & ((1u64 << 52) - 1)) as i128;
        let (m, e) = if exponent == 0 {
            (fraction, -1074)
        } else {
            (fraction | (1i128 << 52), exponent - 1075)
        };
        Some(Dyadic::new(if x < 0.0 { -m } else { m }, e))
    }

    /// The exact value of a finite `f32`.
    pub fn from_f32(x: f32) -> Option<Self> {
        Dyadic::from_f64(x as f64)
    }

    /// `m` of the normalized `m · 2^e`.
    pub fn mantissa(&self) -> i128 {
        self.m
    }

    /// `e` of the normalized `m · 2^e`.
    pub fn exponent(&self) -> i32 {
        self.e
    }

    pub fn is_zero(&self) -> bool {
        self.m == 0
    }

    /// Fraction bits the value needs: `−e` (negative for a multiple of `2^k`, `k > 0`).
    pub fn frac_bits(&self) -> i32 {
        if self.m == 0 {
            i32::MIN
        } else {
            -self.e
        }
    }

    pub fn checked_mul(self, o: Dyadic) -> Option<Dyadic> {
        Some(Dyadic::new(
            self.m.checked_mul(o.m)?,
            self.e.checked_add(o.e)?,
        ))
    }

    pub fn checked_add(self, o: Dyadic) -> Option<Dyadic> {
        if self.m == 0 {
            return Some(o);
        }
        if o.m == 0 {
            return Some(self);
        }
        let e = self.e.min(o.e);
        let a = shl(self.m, self.e - e)?;
        let b = shl(o.m, o.e - e)?;
        Some(Dyadic::new(a.checked_add(b)?, e))
    }

    pub fn checked_sub(self, o: Dyadic) -> Option<Dyadic> {
        self.checked_add(Dyadic::new(o.m.checked_neg()?, o.e))
    }

    /// The value times `2^k`.
    pub fn scaled(self, k: i32) -> Dyadic {
        Dyadic::new(self.m, self.e + k)
    }

    /// The mantissa at `frac` fraction bits (`value · 2^frac`), if that is an integer in `i128`.
    pub fn mantissa_at(self, frac: i32) -> Option<i128> {
        if self.m == 0 {
            return Some(0);
        }
        let shift = self.e.checked_add(frac)?;
        if shift < 0 {
            None
        } else {
            shl(self.m, shift)
        }
    }

    /// `⌊value⌋`, saturated to `±2^126` (beyond every mantissa of a fixed-point type).
    pub fn floor_sat(self) -> i128 {
        const SAT: i128 = 1 << 126;
        if self.e >= 0 {
            shl(self.m, self.e).map_or(SAT * self.m.signum(), |v| v.clamp(-SAT, SAT))
        } else if self.e <= -127 {
            if self.m < 0 {
                -1
            } else {
                0
            }
        } else {
            self.m >> (-self.e)
        }
    }

    /// `⌈value⌉`, saturated like [`floor_sat`](Self::floor_sat).
    pub fn ceil_sat(self) -> i128 {
        -Dyadic::new(-self.m, self.e).floor_sat()
    }

    /// The nearest `f64` (exact when `|m| < 2^53` and the exponent is in range).
    pub fn to_f64(self) -> f64 {
        (self.m as f64) * 2f64.powi(self.e)
    }
}

/// `m · 2^k` for `k ≥ 0`, if it fits an `i128`.
fn shl(m: i128, k: i32) -> Option<i128> {
    if m == 0 {
        return Some(0);
    }
    let spare = if m < 0 {
        (!m).leading_zeros()
    } else {
        m.leading_zeros()
    } as i32
        - 1;
    (k <= spare).then(|| m << k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_exact() {
        let d = Dyadic::from_f32(0.3).unwrap();
        assert_eq!((d.m, d.e), (10066330 >> 1, -24));
        assert_eq!(d.to_f64(), 0.3f32 as f64);
        let tiny = Dyadic::from_f32(f32::from_bits(1)).unwrap();
        assert_eq!((tiny.m, tiny.e), (1, -149));
        assert_eq!(Dyadic::from_f64(-0.0), Some(Dyadic::ZERO));
        assert_eq!(Dyadic::from_f64(f64::NAN), None);
    }

    #[test]
    fn arithmetic_and_rounding() {
        let h = Dyadic::new(1, -1);
        let x = Dyadic::int(-3).checked_add(h).unwrap(); // -2.5
        assert_eq!((x.floor_sat(), x.ceil_sat()), (-3, -2));
        assert_eq!(x.mantissa_at(1), Some(-5));
        assert_eq!(x.mantissa_at(0), None);
        assert_eq!(x.checked_mul(x).unwrap(), Dyadic::new(25, -2));
        assert_eq!(Dyadic::new(1, 200).floor_sat(), 1 << 126);
        assert_eq!(Dyadic::new(-1, -300).floor_sat(), -1);
        assert_eq!(Dyadic::new(-1, -300).ceil_sat(), 0);
    }
}
