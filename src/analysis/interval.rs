//! Integer intervals of mantissas.

use crate::fixed::FixedType;

/// A closed interval `[lo, hi]` of mantissas at some fixed scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub lo: i128,
    pub hi: i128,
}

impl Interval {
    pub fn of_type(t: &FixedType) -> Self {
        Interval {
            lo: t.min_mantissa(),
            hi: t.max_mantissa(),
        }
    }
    pub fn point(v: i128) -> Self {
        Interval { lo: v, hi: v }
    }
    /// `self · c`, `None` on i128 overflow.
    pub fn scale(self, c: i128) -> Option<Self> {
        let (a, b) = (self.lo.checked_mul(c)?, self.hi.checked_mul(c)?);
        Some(Interval {
            lo: a.min(b),
            hi: a.max(b),
        })
    }
    pub fn checked_shl(self, s: u32) -> Option<Self> {
        let f = 1i128.checked_shl(s).filter(|&f| f > 0)?;
        self.scale(f)
    }
    pub fn checked_add(self, o: Self) -> Option<Self> {
        Some(Interval {
            lo: self.lo.checked_add(o.lo)?,
            hi: self.hi.checked_add(o.hi)?,
        })
    }
    pub fn within(self, o: Self) -> bool {
        self.lo >= o.lo && self.hi <= o.hi
    }
    /// Bits of a two's-complement signal holding every value of the interval.
    pub fn signed_width(self) -> u32 {
        let bits = |v: i128| {
            if v < 0 {
                129 - (!v).leading_zeros()
            } else {
                129 - v.leading_zeros()
            }
        };
        bits(self.lo).max(bits(self.hi)).max(1)
    }
    /// Bits of an unsigned signal holding every value of an interval of non-negative values.
    pub fn unsigned_width(self) -> u32 {
        debug_assert!(self.lo >= 0, "an unsigned interval");
        (128 - self.hi.leading_zeros()).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths() {
        assert_eq!(Interval { lo: -128, hi: 127 }.signed_width(), 8);
        assert_eq!(Interval { lo: -129, hi: 0 }.signed_width(), 9);
        assert_eq!(Interval { lo: 0, hi: 128 }.signed_width(), 9);
        assert_eq!(Interval { lo: 0, hi: 0 }.signed_width(), 1);
        assert_eq!(Interval { lo: -1, hi: 0 }.signed_width(), 1);
        assert_eq!(Interval { lo: 0, hi: 0 }.unsigned_width(), 1);
        assert_eq!(Interval { lo: 0, hi: 1 }.unsigned_width(), 1);
        assert_eq!(Interval { lo: 0, hi: 32 }.unsigned_width(), 6);
        assert_eq!(Interval { lo: 3, hi: 31 }.unsigned_width(), 5);
    }
}
