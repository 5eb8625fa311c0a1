//! QONNX quantizers as IR ops: `IntQuant` (alias `Quant`), `BipolarQuant`, `Trunc` (v1 and v2) and
//! `MultiThreshold`, with the semantics of qonnx 1.0.0's reference execution
//! (`tests/data/qonnx/SEMANTICS.md`).
//!
//! Parameters are the model's float32 values. On the exact fixed-point value `x = m·2^-f` of the
//! input edge, every quantizer computes an integer *level* exactly (a float32 is a dyadic
//! rational, so `x/s` is a ratio of integers and its rounding is decided exactly) and outputs the
//! exact value that level stands for, e.g. `(q − z)·s`, in the output edge's type, which holds
//! every such value ([`Quantizer::output_type`]). A power-of-two scale with zero point 0 gives
//! the fixed-point type the quantizer defines, `fixed<b, b + log2 s>`; any other scale gives a
//! type with that scale's fraction bits. Nothing is approximated.
//!
//! On the float model input the golden model evaluates the same formulas in float32, exactly as
//! qonnx does (`golden::quantizer`).

use crate::fixed::{Dyadic, FixedType, MAX_WIDTH};

/// QONNX `rounding_mode` (case-insensitive), applied to a rational `y`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Rounding {
    /// `ROUND` or `HALF_EVEN`: nearest, ties to even (`np.round`).
    HalfEven,
    /// `FLOOR`: toward −∞.
    Floor,
    /// `CEIL`: toward +∞.
    Ceil,
    /// `UP`: away from zero.
    Up,
    /// `DOWN`: toward zero.
    Down,
    /// `HALF_UP`: nearest, ties away from zero.
    HalfUp,
    /// `HALF_DOWN`: nearest, ties toward zero.
    HalfDown,
}

impl Rounding {
    /// The QONNX spellings, for error messages.
    pub const NAMES: &'static str = "ROUND, HALF_EVEN, FLOOR, CEIL, UP, DOWN, HALF_UP, HALF_DOWN";

    /// The QONNX spelling.
    pub fn name(self) -> &'static str {
        match self {
            Rounding::HalfEven => "ROUND",
            Rounding::Floor => "FLOOR",
            Rounding::Ceil => "CEIL",
            Rounding::Up => "UP",
            Rounding::Down => "DOWN",
            Rounding::HalfUp => "HALF_UP",
            Rounding::HalfDown => "HALF_DOWN",
        }
    }

    /// Parses a QONNX `rounding_mode`, ignoring case as qonnx does.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_uppercase().as_str() {
            "ROUND" | "HALF_EVEN" => Rounding::HalfEven,
            "FLOOR" => Rounding::Floor,
            "CEIL" => Rounding::Ceil,
            "UP" => Rounding::Up,
            "DOWN" => Rounding::Down,
            "HALF_UP" => Rounding::HalfUp,
            "HALF_DOWN" => Rounding::HalfDown,
            _ => return None,
        })
    }

    /// numpy's float32 evaluation as qonnx writes it (`intquant.py::resolve_rounding_mode`):
    /// `UP` is `sign(y)·ceil(|y|)`, `HALF_UP` `sign(y)·floor(|y| + 0.5)` and `HALF_DOWN`
    /// `sign(y)·ceil(|y| − 0.5)`, each step rounded to float32 (so `HALF_UP(0.49999997)` is 1).
    pub fn apply_f32(self, y: f32) -> f32 {
        let sign = if y > 0.0 {
            1.0
        } else if y < 0.0 {
            -1.0
        } else {
            0.0
        };
        match self {
            Rounding::HalfEven => y.round_ties_even(),
            Rounding::Floor => y.floor(),
            Rounding::Ceil => y.ceil(),
            Rounding::Up => sign * y.abs().ceil(),
            Rounding::Down => y.trunc(),
            Rounding::HalfUp => sign * (y.abs() + 0.5).floor(),
            Rounding::HalfDown => sign * (y.abs() - 0.5).ceil(),
        }
    }

    /// `round(n / d)` for `d > 0`, exactly.
    pub fn ratio(self, n: i128, d: i128) -> i128 {
        let q = n.div_euclid(d);
        let r = n.rem_euclid(d);
        if r == 0 {
            return q;
        }
        let half = r.cmp(&(d - r));
        let up = match self {
            Rounding::Floor => false,
            Rounding::Ceil => true,
            Rounding::Down => q < 0,
            Rounding::Up => q >= 0,
            Rounding::HalfEven => half.is_gt() || (half.is_eq() && q & 1 == 1),
            Rounding::HalfUp => half.is_gt() || (half.is_eq() && q >= 0),
            Rounding::HalfDown => half.is_gt() || (half.is_eq() && q < 0),
        };
        q + up as i128
    }
}

/// qonnx's integer range for `bits`, `signed`, `narrow` (`min_int`, `max_int`): signed
/// `[−2^(b−1) (+1 if narrow), 2^(b−1) − 1]`, unsigned `[0, 2^b − 1 (−1 if narrow)]`.
pub fn int_bounds(bits: u32, signed: bool, narrow: bool) -> (i128, i128) {
    let b = bits;
    match (signed, narrow) {
        (true, false) => (-(1 << (b - 1)), (1 << (b - 1)) - 1),
        (true, true) => (-(1 << (b - 1)) + 1, (1 << (b - 1)) - 1),
        (false, false) => (0, (1 << b) - 1),
        (false, true) => (0, (1 << b) - 2),
    }
}

/// qonnx's clamp, `where(y > hi, hi, y)` then `where(y < lo, lo, y)`.
fn clamp_f32(y: f32, lo: i128, hi: i128) -> f32 {
    let (lo, hi) = (lo as f32, hi as f32);
    let y = if y > hi { hi } else { y };
    if y < lo {
        lo
    } else {
        y
    }
}

/// Parameters given per element of the per-sample tensor (in the layers' element order, so
/// channels-last for images): element `i` uses `sets[index[i]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PerElement<P> {
    pub sets: Vec<P>,
    pub index: Vec<u32>,
}

impl<P> PerElement<P> {
    pub fn get(&self, i: usize) -> &P {
        &self.sets[self.index[i] as usize]
    }
    pub fn len(&self) -> usize {
        self.index.len()
    }
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

/// A float32 scale (positive, finite) and an integer zero point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScaleZero {
    pub scale: f32,
    pub zero_point: f32,
}

impl ScaleZero {
    pub fn scale(&self) -> Dyadic {
        Dyadic::from_f32(self.scale).unwrap_or(Dyadic::ZERO)
    }

    pub fn zero(&self) -> i128 {
        self.zero_point as i128
    }

    /// `round(x/s + z)` for `x = m·2^-f`, exactly; `None` if it leaves `i128`. With
    /// `s = S·2^e` (S odd) this is `round((m·2^(−f−e) + z·S) / S)`. The intermediates grow with
    /// `|m|`, so if the extremes of a type succeed, every mantissa of it does.
    pub fn quotient(&self, m: i128, f: i32, rounding: Rounding) -> Option<i128> {
        let s = self.scale();
        let shift = -f - s.exponent();
        let pow = |k: i32| 1i128.checked_shl(k as u32).filter(|p| *p > 0);
        let (n, d) = if shift >= 0 {
            (m.checked_mul(pow(shift)?)?, s.mantissa())
        } else {
            (m, s.mantissa().checked_mul(pow(-shift)?)?)
        };
        if d <= 0 {
            return None;
        }
        Some(rounding.ratio(n.checked_add(self.zero().checked_mul(d)?)?, d))
    }

    /// `(q − z)·s`.
    pub fn value(&self, q: i128) -> Option<Dyadic> {
        Dyadic::int(q.checked_sub(self.zero())?).checked_mul(self.scale())
    }
}

/// `IntQuant` / `Quant`: with `y = x/s + z`,
/// ```text
/// q = (bits = 1 and signed) ? (y ≥ 0 ? +1 : −1) : clamp(round(y), lo, hi)   [int_bounds]
/// out = (q − z)·s
/// ```
/// (qonnx clamps before rounding; with integer bounds that is the same.)
#[derive(Debug, Clone, PartialEq)]
pub struct IntQuant {
    pub params: PerElement<ScaleZero>,
    pub bits: u32,
    pub signed: bool,
    pub narrow: bool,
    pub rounding: Rounding,
}

impl IntQuant {
    /// The 1-bit signed special case: the sign of `y`, whatever `narrow` and `rounding` say.
    pub fn is_sign(&self) -> bool {
        self.bits == 1 && self.signed
    }

    /// The levels `[lo, hi]` (`[−1, 1]` for the sign case, which never produces 0).
    pub fn bounds(&self) -> (i128, i128) {
        if self.is_sign() {
            (-1, 1)
        } else {
            int_bounds(self.bits, self.signed, self.narrow)
        }
    }

    /// The level of `x = m·2^-f` for element `i`.
    pub fn level(&self, i: usize, m: i128, f: i32) -> Option<i128> {
        let p = self.params.get(i);
        if self.is_sign() {
            let floor = p.quotient(m, f, Rounding::Floor)?;
            return Some(if floor >= 0 { 1 } else { -1 });
        }
        let (lo, hi) = self.bounds();
        Some(p.quotient(m, f, self.rounding)?.clamp(lo, hi))
    }

    /// The level of the float `x` for element `i`, computed as qonnx does (`int_quant`):
    /// `y = f32(f32(x / s) + z)`, then the sign case, or a float32 clamp and [`Rounding::apply_f32`].
    pub fn level_f32(&self, i: usize, x: f32) -> i128 {
        let p = self.params.get(i);
        let y = x / p.scale + p.zero_point;
        if self.is_sign() {
            return if y >= 0.0 { 1 } else { -1 };
        }
        let (lo, hi) = self.bounds();
        self.rounding.apply_f32(clamp_f32(y, lo, hi)) as i128
    }
}

/// `BipolarQuant`: `out = (x ≥ 0 ? +1 : −1)·s` (so 0 gives `+s`).
#[derive(Debug, Clone, PartialEq)]
pub struct BipolarQuant {
    /// Positive and finite.
    pub scale: PerElement<f32>,
}

/// Which `Trunc` class qonnx runs: the model's opset import of the node's domain (1 or absent:
/// v1; 2 or more: v2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TruncVersion {
    /// `y = round_half_even(x/s + z)`, `q = round(y / 2^(in_bits − out_bits))` (no clamp),
    /// `out = (q − z)·s`.
    V1 { in_bits: u32, out_bits: u32 },
    /// `y = round_half_even(x/s + z)`, `q = clamp(round(y / 2^p), lo, hi)` with
    /// `p = round_half_even(log2(s_out / s))` (float32, as qonnx computes it) and the
    /// [`int_bounds`] of `out_bits`, `signed`, `narrow`; `out = (q − z/2^p)·s_out`.
    V2 {
        out_bits: u32,
        signed: bool,
        narrow: bool,
    },
}

/// `Trunc`'s per-element parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TruncParams {
    pub input: ScaleZero,
    /// v2's `s_out` (v1: `s`).
    pub out_scale: f32,
    /// v2's `p`; v1's `in_bits − out_bits`.
    pub shift: i32,
}

impl TruncParams {
    /// `q / 2^shift` rounded (an exact multiple when `shift ≤ 0`).
    pub fn shifted(&self, q: i128, rounding: Rounding) -> Option<i128> {
        if self.shift >= 0 {
            Some(rounding.ratio(q, 1i128.checked_shl(self.shift as u32)?))
        } else {
            q.checked_mul(1i128.checked_shl((-self.shift) as u32)?)
        }
    }

    /// The output value of level `q`: `(q − z)·s` (v1) or `(q − z/2^p)·s_out` (v2).
    pub fn value(&self, q: i128, version: TruncVersion) -> Option<Dyadic> {
        match version {
            TruncVersion::V1 { .. } => self.input.value(q),
            TruncVersion::V2 { .. } => Dyadic::int(q)
                .checked_sub(Dyadic::int(self.input.zero()).scaled(-self.shift))?
                .checked_mul(Dyadic::from_f32(self.out_scale)?),
        }
    }
}

/// `Trunc`, see [`TruncVersion`].
#[derive(Debug, Clone, PartialEq)]
pub struct Trunc {
    pub params: PerElement<TruncParams>,
    pub version: TruncVersion,
    pub rounding: Rounding,
}

impl Trunc {
    /// The level of `x = m·2^-f` for element `i`.
    pub fn level(&self, i: usize, m: i128, f: i32) -> Option<i128> {
        let p = self.params.get(i);
        let y = p.input.quotient(m, f, Rounding::HalfEven)?;
        let q = p.shifted(y, self.rounding)?;
        Some(match self.version {
            TruncVersion::V1 { .. } => q,
            TruncVersion::V2 {
                out_bits,
                signed,
                narrow,
            } => {
                let (lo, hi) = int_bounds(out_bits, signed, narrow);
                q.clamp(lo, hi)
            }
        })
    }

    /// The level of the float `x` for element `i`, computed as qonnx does (`trunc.py`), in
    /// float32: `y = round_half_even(f32(f32(x / s) + z))`, divided by `2^shift`, clamped (v2)
    /// and rounded with [`Rounding::apply_f32`].
    pub fn level_f32(&self, i: usize, x: f32) -> i128 {
        let p = self.params.get(i);
        let y = (x / p.input.scale + p.input.zero_point).round_ties_even();
        let y = y / 2f32.powi(p.shift);
        let y = match self.version {
            TruncVersion::V1 { .. } => y,
            TruncVersion::V2 {
                out_bits,
                signed,
                narrow,
            } => {
                let (lo, hi) = int_bounds(out_bits, signed, narrow);
                clamp_f32(y, lo, hi)
            }
        };
        self.rounding.apply_f32(y) as i128
    }
}

/// `MultiThreshold`: `out = out_scale · #{t : x ≥ θ_t} + out_bias` over the element's row of
/// thresholds (unsorted, duplicates count twice).
#[derive(Debug, Clone, PartialEq)]
pub struct MultiThreshold {
    /// Finite thresholds; every row has the same length.
    pub rows: PerElement<Vec<f32>>,
    pub out_scale: f32,
    pub out_bias: f32,
}

impl MultiThreshold {
    /// `out_scale · n + out_bias`.
    pub fn value(&self, n: i128) -> Option<Dyadic> {
        Dyadic::int(n)
            .checked_mul(Dyadic::from_f32(self.out_scale)?)?
            .checked_add(Dyadic::from_f32(self.out_bias)?)
    }

    /// Thresholds per element.
    pub fn steps(&self) -> i128 {
        self.rows.sets.first().map_or(0, |r| r.len() as i128)
    }
}

/// A QONNX quantizer node.
#[derive(Debug, Clone, PartialEq)]
pub enum Quantizer {
    Int(IntQuant),
    Bipolar(BipolarQuant),
    Trunc(Trunc),
    MultiThreshold(MultiThreshold),
}

impl Quantizer {
    /// The QONNX op type.
    pub fn op_type(&self) -> &'static str {
        match self {
            Quantizer::Int(_) => "Quant",
            Quantizer::Bipolar(_) => "BipolarQuant",
            Quantizer::Trunc(_) => "Trunc",
            Quantizer::MultiThreshold(_) => "MultiThreshold",
        }
    }

    /// One line for IR dumps.
    pub fn summary(&self) -> String {
        match self {
            Quantizer::Int(q) => format!(
                "quant {} bits{}{} {}",
                q.bits,
                if q.signed { " signed" } else { " unsigned" },
                if q.narrow { " narrow" } else { "" },
                q.rounding.name()
            ),
            Quantizer::Bipolar(_) => "bipolar quant".into(),
            Quantizer::Trunc(t) => format!("trunc {:?} {}", t.version, t.rounding.name()),
            Quantizer::MultiThreshold(t) => format!("multithreshold {} steps", t.steps()),
        }
    }

    /// Elements of the tensor the parameters are given for.
    pub fn elements(&self) -> usize {
        match self {
            Quantizer::Int(q) => q.params.len(),
            Quantizer::Bipolar(q) => q.scale.len(),
            Quantizer::Trunc(q) => q.params.len(),
            Quantizer::MultiThreshold(q) => q.rows.len(),
        }
    }

    /// The smallest type holding, exactly, every value the quantizer outputs for an input of
    /// type `input` (TRN, WRAP: no conversion into it changes a value). The error says why no
    /// type of at most [`MAX_WIDTH`] bits does.
    pub fn output_type(&self, input: FixedType) -> Result<FixedType, String> {
        let too_big = || "values too large for exact 126-bit arithmetic".to_owned();
        // The extreme outputs of each parameter set, and values whose fraction bits bound those
        // of every output (a step and an offset).
        let mut extremes: Vec<Option<Dyadic>> = Vec::new();
        let mut grid: Vec<Option<Dyadic>> = Vec::new();
        match self {
            Quantizer::Int(q) => {
                let (lo, hi) = q.bounds();
                for p in &q.params.sets {
                    extremes.extend([p.value(lo), p.value(hi)]);
                    grid.push(Some(p.scale()));
                }
            }
            Quantizer::Bipolar(q) => {
                for &s in &q.scale.sets {
                    let s = Dyadic::from_f32(s);
                    extremes.extend([s, s.and_then(|s| Dyadic::int(-1).checked_mul(s))]);
                }
            }
            Quantizer::MultiThreshold(q) => {
                extremes.extend([q.value(0), q.value(q.steps())]);
                grid.push(Dyadic::from_f32(q.out_scale));
            }
            Quantizer::Trunc(t) => {
                for p in &t.params.sets {
                    let (lo, hi) = match t.version {
                        TruncVersion::V2 {
                            out_bits,
                            signed,
                            narrow,
                        } => int_bounds(out_bits, signed, narrow),
                        TruncVersion::V1 { .. } => {
                            let f = input.frac_bits();
                            let level = |m| {
                                let y = p.input.quotient(m, f, Rounding::HalfEven)?;
                                p.shifted(y, t.rounding)
                            };
                            (
                                level(input.min_mantissa()).ok_or_else(too_big)?,
                                level(input.max_mantissa()).ok_or_else(too_big)?,
                            )
                        }
                    };
                    extremes.extend([p.value(lo, t.version), p.value(hi, t.version)]);
                    grid.extend([p.value(0, t.version), Dyadic::from_f32(p.out_scale)]);
                }
            }
        }
        let extremes: Vec<Dyadic> = extremes
            .into_iter()
            .collect::<Option<_>>()
            .ok_or_else(too_big)?;
        let grid: Vec<Dyadic> = grid
            .into_iter()
            .collect::<Option<_>>()
            .ok_or_else(too_big)?;
        let frac = extremes
            .iter()
            .chain(&grid)
            .filter(|v| !v.is_zero())
            .map(Dyadic::frac_bits)
            .max()
            .unwrap_or(0);
        let mantissas: Vec<i128> = extremes
            .iter()
            .map(|v| v.mantissa_at(frac))
            .collect::<Option<_>>()
            .ok_or_else(too_big)?;
        let lo = mantissas.iter().copied().min().unwrap_or(0);
        let hi = mantissas.iter().copied().max().unwrap_or(0);
        FixedType::holding(lo, hi, frac).ok_or_else(|| {
            format!(
                "values from {} to {} need more than {MAX_WIDTH} bits with {frac} fraction bits",
                lo as f64 * 2f64.powi(-frac),
                hi as f64 * 2f64.powi(-frac),
            )
        })
    }
}
