use serde::Serialize;
use std::fmt;

/// Widest mantissa any type may have. Every intermediate the golden model forms (a product of two
/// values, a sum of two accumulator values) must fit an `i128`; the precision pass checks this.
pub const MAX_WIDTH: u32 = 126;

/// Quantization (rounding) mode, applied first when a cast drops fraction bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Quant {
    /// Floor (toward −∞). The default.
    Trn,
    /// Toward zero.
    TrnZero,
    /// Nearest, ties toward +∞.
    Rnd,
    /// Nearest, ties toward zero.
    RndZero,
    /// Nearest, ties away from zero.
    RndInf,
    /// Nearest, ties toward −∞.
    RndMinInf,
    /// Nearest, ties to even.
    RndConv,
}

/// Overflow mode, applied second, to the rounded value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Overflow {
    /// Keep the low W bits (with `sat_bits` > 0: force the top bits on overflow). The default.
    Wrap,
    /// Clamp to the type's range.
    Sat,
    /// Out-of-range values become 0.
    SatZero,
    /// Clamp to `[-max, max]`: the most negative code is never produced.
    SatSym,
}

impl Quant {
    pub const ALL: [Quant; 7] = [
        Quant::Trn,
        Quant::TrnZero,
        Quant::Rnd,
        Quant::RndZero,
        Quant::RndInf,
        Quant::RndMinInf,
        Quant::RndConv,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Quant::Trn => "TRN",
            Quant::TrnZero => "TRN_ZERO",
            Quant::Rnd => "RND",
            Quant::RndZero => "RND_ZERO",
            Quant::RndInf => "RND_INF",
            Quant::RndMinInf => "RND_MIN_INF",
            Quant::RndConv => "RND_CONV",
        }
    }
}

impl Overflow {
    pub const ALL: [Overflow; 4] = [
        Overflow::Wrap,
        Overflow::Sat,
        Overflow::SatZero,
        Overflow::SatSym,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Overflow::Wrap => "WRAP",
            Overflow::Sat => "SAT",
            Overflow::SatZero => "SAT_ZERO",
            Overflow::SatSym => "SAT_SYM",
        }
    }
}

/// A fixed-point type: `ap_fixed<W,I,Q,O,N>`, `ap_ufixed<…>`, `ap_int<W>` or `ap_uint<W>`.
///
/// The mantissa is a `width`-bit two's-complement (or unsigned) integer scaled by `2^-F` with
/// `F = width − int_bits`. Either of `int_bits` and `F` may be negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FixedType {
    pub width: u32,
    pub int_bits: i32,
    pub signed: bool,
    pub quant: Quant,
    pub overflow: Overflow,
    /// N, the saturation bits of `AP_WRAP` (0 for plain wrap-around).
    pub sat_bits: u32,
    /// `ap_int`/`ap_uint`: every conversion into it truncates toward zero and wraps, whatever Q/O say.
    pub integer: bool,
}

impl FixedType {
    /// `ap_fixed<W,I>` / `ap_ufixed<W,I>` with the default modes (TRN, WRAP).
    pub const fn fixed(width: u32, int_bits: i32, signed: bool) -> Self {
        FixedType {
            width,
            int_bits,
            signed,
            quant: Quant::Trn,
            overflow: Overflow::Wrap,
            sat_bits: 0,
            integer: false,
        }
    }

    /// `ap_int<W>` / `ap_uint<W>`.
    pub const fn int(width: u32, signed: bool) -> Self {
        FixedType {
            integer: true,
            ..FixedType::fixed(width, width as i32, signed)
        }
    }

    pub const fn with_modes(self, quant: Quant, overflow: Overflow) -> Self {
        FixedType {
            quant,
            overflow,
            ..self
        }
    }

    /// The narrowest type with `frac` fraction bits whose mantissas include `lo..=hi` (signed
    /// iff `lo < 0`; TRN, WRAP); `None` if it would be wider than [`MAX_WIDTH`].
    pub fn holding(lo: i128, hi: i128, frac: i32) -> Option<Self> {
        let signed = lo < 0;
        let bits = |v: i128| {
            let magnitude = if v < 0 { !v } else { v };
            128 - magnitude.leading_zeros() + signed as u32
        };
        let width = bits(lo).max(bits(hi)).max(1);
        (width <= MAX_WIDTH).then(|| FixedType::fixed(width, width as i32 - frac, signed))
    }

    /// The narrowest type holding every one of `values` exactly (TRN, WRAP); `None` for a
    /// non-finite value or beyond [`MAX_WIDTH`] bits.
    pub fn exact(values: impl IntoIterator<Item = f64>) -> Option<Self> {
        let values: Vec<super::Dyadic> = values
            .into_iter()
            .map(super::Dyadic::from_f64)
            .collect::<Option<_>>()?;
        let frac = values
            .iter()
            .filter(|v| !v.is_zero())
            .map(|v| v.frac_bits())
            .max()
            .unwrap_or(0);
        let mut range = (0, 0);
        for v in &values {
            let m = v.mantissa_at(frac)?;
            range = (range.0.min(m), range.1.max(m));
        }
        FixedType::holding(range.0, range.1, frac)
    }

    /// Number of fraction bits F = W − I (may be negative).
    pub const fn frac_bits(&self) -> i32 {
        self.width as i32 - self.int_bits
    }

    /// Smallest representable mantissa.
    pub fn min_mantissa(&self) -> i128 {
        if self.signed {
            -(1i128 << (self.width - 1))
        } else {
            0
        }
    }

    /// Largest representable mantissa.
    pub fn max_mantissa(&self) -> i128 {
        if self.signed {
            (1i128 << (self.width - 1)) - 1
        } else {
            (1i128 << self.width) - 1
        }
    }

    /// Smallest mantissa a conversion into this type can produce: `-max` under signed SAT_SYM,
    /// otherwise [`min_mantissa`](Self::min_mantissa).
    pub fn lowest_produced(&self) -> i128 {
        if self.effective_overflow().0 == Overflow::SatSym && self.signed {
            -self.max_mantissa()
        } else {
            self.min_mantissa()
        }
    }

    /// The quantization mode conversions into this type really use.
    pub fn effective_quant(&self) -> Quant {
        if self.integer {
            Quant::TrnZero
        } else {
            self.quant
        }
    }

    /// The overflow mode conversions into this type really use.
    pub fn effective_overflow(&self) -> (Overflow, u32) {
        if self.integer {
            (Overflow::Wrap, 0)
        } else {
            (self.overflow, self.sat_bits)
        }
    }
}

impl fmt::Display for FixedType {
    /// hls4ml's spelling: `ap_fixed<16,6>`, `ap_ufixed<8,3,AP_RND,AP_SAT>`, `ap_int<8>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let u = if self.signed { "" } else { "u" };
        if self.integer {
            return write!(f, "ap_{u}int<{}>", self.width);
        }
        write!(f, "ap_{u}fixed<{},{}", self.width, self.int_bits)?;
        let default_modes =
            self.quant == Quant::Trn && self.overflow == Overflow::Wrap && self.sat_bits == 0;
        if !default_modes {
            write!(f, ",AP_{},AP_{}", self.quant.name(), self.overflow.name())?;
            if self.sat_bits != 0 {
                write!(f, ",{}", self.sat_bits)?;
            }
        }
        write!(f, ">")
    }
}

impl Serialize for FixedType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}
