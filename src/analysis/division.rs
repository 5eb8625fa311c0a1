//! Division by a constant as a multiplication (Granlund and Montgomery, "Division by invariant
//! integers using multiplication", 1994, theorem 4.2): for `0 ≤ n < 2^N` and a divisor `d ≥ 1`,
//! with `l = ceil(log2 d)`, `s = N + l` and `m = floor(2^s / d) + 1`,
//! `floor(n / d) = floor(n · m / 2^s)`, because `2^s ≤ m·d ≤ 2^s + 2^l`.

/// `floor(n / divisor) = (n · multiplier) >> shift` for every `n < 2^bits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reciprocal {
    pub multiplier: u128,
    pub shift: u32,
}

impl Reciprocal {
    /// The reciprocal of `divisor ≥ 1` for dividends of `bits` bits; `None` when
    /// `bits + ceil(log2 divisor)` reaches 128.
    pub fn new(divisor: u128, bits: u32) -> Option<Self> {
        assert!(divisor >= 1, "division by zero");
        let l = u128::BITS - (divisor - 1).leading_zeros();
        let shift = bits + l;
        let multiplier = 1u128.checked_shl(shift).filter(|_| shift < 128)? / divisor + 1;
        Some(Reciprocal { multiplier, shift })
    }

    /// `floor(n / divisor)` computed the hardware's way (for checks; the product must fit a
    /// `u128`).
    pub fn divide(&self, n: u128) -> u128 {
        n.checked_mul(self.multiplier)
            .expect("the check's product fits 128 bits")
            >> self.shift
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exhaustive_for_small_dividends() {
        for d in 1..=70u128 {
            for bits in 1..=11 {
                let r = Reciprocal::new(d, bits).unwrap();
                for n in 0..(1u128 << bits) {
                    assert_eq!(r.divide(n), n / d, "n {n}, d {d}, bits {bits}");
                }
            }
        }
    }

    #[test]
    fn extremes_for_wide_dividends() {
        for d in [3u128, 5, 7, 9, 25, 49, 100, 255, 1023, 1024, 65535] {
            for bits in [16, 24, 32, 40, 48, 60] {
                let r = Reciprocal::new(d, bits).unwrap();
                let top = (1u128 << bits) - 1;
                for n in [
                    top,
                    top - 1,
                    top - d,
                    top / d * d,
                    top / d * d - 1,
                    d,
                    d - 1,
                    0,
                ] {
                    assert_eq!(r.divide(n), n / d, "n {n}, d {d}, bits {bits}");
                }
            }
        }
    }
}
