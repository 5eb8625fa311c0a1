//! The integer arithmetic hardware uses for a QONNX quantizer, per element: from the input
//! mantissa `x` to an index `k ≥ 0` of the output level ([`Index`]), then the output mantissa
//! `base + step·k`. [`super::quantizer`] prints exactly these operations; [`Plan::eval`]
//! evaluates them the hardware's way, and the tests compare that with the golden model
//! ([`QuantizerKernel`]) on every input of small types.
//!
//! * `IntQuant` with `y = x/s + z`, `s = S·2^e` (S odd): with `x = m·2^-f` and `a = max(−f − e, 0)`,
//!   `d = max(f + e, 0)`, `y = t / D` for the integer `t = m·2^a + z·D` and `D = S·2^d`. The level
//!   `clamp(round(t/D), lo, hi)` is one [`Division`]; the 1-bit signed case is one threshold,
//!   `t ≥ 0 ⟺ m ≥ ⌈−z·D / 2^a⌉`.
//! * Where a division multiplies by constants (`S > 1`) and the level has few values, the
//!   comparisons of `m` with each level's least input cost fewer LUTs: the plan becomes those
//!   thresholds ([`Index::Count`]).
//! * `BipolarQuant`: one threshold, `m ≥ 0`.
//! * `Trunc`: two divisions, `round_half_even(t/D)` and then the value divided by `2^p` in the
//!   node's rounding mode (v2: clamped to the output range).
//! * `MultiThreshold`: the count of thresholds `≤ m`.

use super::dense::csd_digits;
use crate::analysis::division::Reciprocal;
use crate::analysis::interval::Interval;
use crate::diag::{Diagnostic, Error, Result};
use crate::golden::QuantizerKernel;
use crate::ir::quantizer::{int_bounds, Quantizer, Rounding, ScaleZero, TruncVersion};

/// One element's arithmetic: output mantissa `base + step·k`.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub index: Index,
    pub base: i128,
    pub step: i128,
}

/// How `k` is computed from the input mantissa `x`.
#[derive(Debug, Clone, PartialEq)]
pub enum Index {
    /// `k = #{t : x ≥ t}` over thresholds sorted ascending, each within `(x_min, x_max]` (those
    /// every input passes are in the plan's `base`). None: `k = 0`.
    Count(Vec<i128>),
    /// Rounding divisions in sequence, the first reading `x`, each next one the `k` before it.
    Divide(Vec<Division>),
}

/// `k = round(u / D)` with `u = clamp(v·2^shift + offset, 0, span·D)` and `D = odd·2^pow`, for
/// `v` in `input`; the level it stands for is `level + k`, which the rounding mode's sign and
/// parity refer to. Computed as `q = ⌊u/D⌋` (a shift, then for `odd > 1` a reciprocal
/// multiplication, [`Reciprocal`]), the remainder `r = u − q·D`, and `k = q + inc` with the
/// increment of [`increment`]. Clamping `t` to `[0, span·D]` before rounding equals clamping the
/// rounded level (rounding is monotone and exact on multiples of `D`), and keeps `u` small and
/// non-negative.
#[derive(Debug, Clone, PartialEq)]
pub struct Division {
    pub input: Interval,
    pub shift: u32,
    pub offset: i128,
    pub odd: i128,
    pub pow: u32,
    /// `k ∈ [0, span]`, `span ≥ 1`.
    pub span: i128,
    pub level: i128,
    pub rounding: Rounding,
}

impl Division {
    /// `D`.
    pub fn divisor(&self) -> i128 {
        self.odd << self.pow
    }

    /// The range of `t = v·2^shift + offset`.
    pub fn t_range(&self) -> Interval {
        let shifted = self
            .input
            .checked_shl(self.shift)
            .expect("checked when planned");
        shifted
            .checked_add(Interval::point(self.offset))
            .expect("checked when planned")
    }

    /// Bits of `u` (unsigned).
    pub fn u_width(&self) -> u32 {
        unsigned_width(self.span * self.divisor())
    }

    /// Bits of `k` and of `q` (unsigned).
    pub fn k_width(&self) -> u32 {
        unsigned_width(self.span)
    }

    /// The reciprocal giving `⌊(u >> pow) / odd⌋`, for `odd > 1`.
    pub fn reciprocal(&self) -> Option<Reciprocal> {
        (self.odd > 1)
            .then(|| Reciprocal::new(self.odd as u128, self.u_width() - self.pow))
            .flatten()
    }

    /// Whether the hardware can compute it: signals within 120 bits and, for `odd > 1`, a
    /// reciprocal.
    fn fits(&self) -> bool {
        let shifted = self.input.checked_shl(self.shift);
        self.u_width() < 120
            && shifted.is_some_and(|s| s.signed_width() < 120)
            && self.t_range().signed_width() < 120
            && (self.odd == 1 || self.reciprocal().is_some())
    }

    /// LUTs of its constant multiplications, the reciprocal and `q·D` (shift-add: CSD digits − 1
    /// adders of the product's width, as `rtl::estimate` counts them); none for `odd = 1`.
    fn multiplier_luts(&self) -> u128 {
        let Some(r) = self.reciprocal() else {
            return 0;
        };
        let pw = (self.u_width() - self.pow + 128 - r.multiplier.leading_zeros()) as u128;
        let adders = |c: i128| csd_digits(c).saturating_sub(1) as u128;
        adders(r.multiplier as i128) * pw + adders(self.divisor()) * self.u_width() as u128
    }

    /// `k` for `v`, as the hardware computes it.
    pub fn eval(&self, v: i128) -> i128 {
        let d = self.divisor();
        let t = (v << self.shift) + self.offset;
        let u = t.clamp(0, self.span * d);
        let q = match self.reciprocal() {
            Some(r) => r.divide((u >> self.pow) as u128) as i128,
            None => u >> self.pow,
        };
        let r = u - q * d;
        let flags = Flags {
            nonzero: r > 0,
            above: r > d / 2,
            tie: d % 2 == 0 && r == d / 2,
            negative: q < -self.level,
            odd: (q + self.level) & 1 == 1,
        };
        q + increment(self.rounding, flags) as i128
    }
}

/// What a rounding mode looks at, for `q = ⌊t/D⌋` and the remainder `r = t − q·D`.
#[derive(Debug, Clone, Copy)]
pub struct Flags {
    /// `r ≠ 0`.
    pub nonzero: bool,
    /// `2r > D`.
    pub above: bool,
    /// `2r = D`.
    pub tie: bool,
    /// `q < 0`.
    pub negative: bool,
    /// `q` odd.
    pub odd: bool,
}

/// Whether `round(t/D) = q + 1` rather than `q` ([`Rounding::ratio`]).
pub fn increment(rounding: Rounding, f: Flags) -> bool {
    match rounding {
        Rounding::Floor => false,
        Rounding::Ceil => f.nonzero,
        Rounding::Up => f.nonzero && !f.negative,
        Rounding::Down => f.nonzero && f.negative,
        Rounding::HalfEven => f.above || (f.tie && f.odd),
        Rounding::HalfUp => f.above || (f.tie && !f.negative),
        Rounding::HalfDown => f.above || (f.tie && f.negative),
    }
}

impl Index {
    /// The largest `k`.
    pub fn k_max(&self) -> i128 {
        match self {
            Index::Count(t) => t.len() as i128,
            Index::Divide(ds) => ds.last().map_or(0, |d| d.span),
        }
    }

    pub fn eval(&self, x: i128) -> i128 {
        match self {
            Index::Count(t) => t.partition_point(|&t| t <= x) as i128,
            Index::Divide(ds) => ds.iter().fold(x, |v, d| d.eval(v)),
        }
    }
}

impl Plan {
    /// The output mantissa for input mantissa `x`, computed the hardware's way.
    pub fn eval(&self, x: i128) -> i128 {
        self.base + self.step * self.index.eval(x)
    }

    /// The arithmetic in one line, for comments beside the generated nets.
    pub fn describe(&self) -> String {
        let k = match &self.index {
            Index::Count(t) if t.is_empty() => return format!("constant {}", self.base),
            Index::Count(t) if t.len() <= 16 => format!(
                "k = #{{t in [{}] : x >= t}}",
                t.iter().map(i128::to_string).collect::<Vec<_>>().join(", ")
            ),
            Index::Count(t) => format!(
                "k = #{{t : x >= t}} over {} thresholds from {} to {}",
                t.len(),
                t[0],
                t[t.len() - 1]
            ),
            Index::Divide(ds) => ds
                .iter()
                .enumerate()
                .map(|(j, d)| {
                    let v = if j == 0 { "x" } else { "k" };
                    format!(
                        "k = {}(clamp({v}*2^{} + {}, 0, {}) / {}) (level {} + k)",
                        d.rounding.name(),
                        d.shift,
                        d.offset,
                        d.span * d.divisor(),
                        d.divisor(),
                        d.level
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
        };
        format!("{k}; y = {} + {} * k", self.base, self.step)
    }
}

/// Bits holding `0..=v` unsigned (at least 1).
pub fn unsigned_width(v: i128) -> u32 {
    (128 - v.leading_zeros()).max(1)
}

/// The level so far: `level + k` with `k ∈ [0, span]` computed by `divisions` (none: `k = 0`).
struct Partial {
    divisions: Vec<Division>,
    level: i128,
    span: i128,
}

/// `⌈a / b⌉` for `b > 0`.
fn ceil_div(a: i128, b: i128) -> i128 {
    -(-a).div_euclid(b)
}

/// `y = x/s` as `t / D`: `(a, S, d)` with `t = m·2^a + …`, `D = S·2^d` for an input with `f`
/// fraction bits.
fn scaling(p: &ScaleZero, f: i32) -> Option<(u32, i128, u32)> {
    let s = p.scale();
    let shift = (-f).checked_sub(s.exponent())?;
    let (a, d) = if shift >= 0 {
        (shift, 0)
    } else {
        (0, shift.checked_neg()?)
    };
    (a < 127 && d < 127).then_some((a as u32, s.mantissa(), d as u32))
}

/// Appends `clamp(round(t / D), bounds)` for `t = (previous level + v)·2^a + c` (the input `x`
/// for `v` when there is no previous division); `bounds` `None`: no clamp.
#[allow(clippy::too_many_arguments)]
fn divide(
    mut p: Partial,
    input: Interval,
    a: u32,
    c: i128,
    odd: i128,
    pow: u32,
    rounding: Rounding,
    bounds: Option<(i128, i128)>,
) -> Option<Partial> {
    let d = odd.checked_mul(1i128.checked_shl(pow).filter(|&v| v > 0)?)?;
    let offset = p.level.checked_mul(1i128.checked_shl(a)?)?.checked_add(c)?;
    let t = input.checked_shl(a)?.checked_add(Interval::point(offset))?;
    let level_of = |t: i128| {
        let q = rounding.ratio(t, d);
        bounds.map_or(q, |(lo, hi)| q.clamp(lo, hi))
    };
    if t.lo == t.hi {
        return Some(Partial {
            divisions: vec![],
            level: level_of(t.lo),
            span: 0,
        });
    }
    let (floor, ceil) = (t.lo.div_euclid(d), ceil_div(t.hi, d));
    let (lo, hi) = bounds.unwrap_or((floor, ceil));
    let (l, h) = (floor.clamp(lo, hi), ceil.clamp(lo, hi));
    if l == h {
        return Some(Partial {
            divisions: vec![],
            level: l,
            span: 0,
        });
    }
    let span = h - l;
    span.checked_mul(d)?;
    p.divisions.push(Division {
        input,
        shift: a,
        offset: offset.checked_sub(l.checked_mul(d)?)?,
        odd,
        pow,
        span,
        level: l,
        rounding,
    });
    p.level = l;
    p.span = span;
    Some(p)
}

/// The first division, reading the input `x`.
fn divide_x(
    x: Interval,
    a: u32,
    c: i128,
    (odd, pow): (i128, u32),
    rounding: Rounding,
    bounds: Option<(i128, i128)>,
) -> Option<Partial> {
    let start = Partial {
        divisions: vec![],
        level: 0,
        span: 0,
    };
    divide(start, x, a, c, odd, pow, rounding, bounds)
}

/// A division reading the previous one's `k`.
fn divide_k(
    p: Partial,
    a: u32,
    pow: u32,
    rounding: Rounding,
    bounds: Option<(i128, i128)>,
) -> Option<Partial> {
    let input = Interval { lo: 0, hi: p.span };
    divide(p, input, a, 0, 1, pow, rounding, bounds)
}

/// The plan of one threshold `x ≥ t` choosing level `+1` over `−1`.
fn sign(x: Interval, t: i128, (offset, step): (i128, i128)) -> Option<Plan> {
    let (minus, plus) = (offset.checked_sub(step)?, offset.checked_add(step)?);
    Some(if t <= x.lo {
        constant(plus)
    } else if t > x.hi {
        constant(minus)
    } else {
        Plan {
            index: Index::Count(vec![t]),
            base: minus,
            step: step.checked_mul(2)?,
        }
    })
}

fn constant(base: i128) -> Plan {
    Plan {
        index: Index::Count(vec![]),
        base,
        step: 0,
    }
}

/// The plan of a level `level + k` output as `offset + step·level`.
fn of_partial(p: Partial, (offset, step): (i128, i128)) -> Option<Plan> {
    let base = offset.checked_add(step.checked_mul(p.level)?)?;
    Some(if p.span == 0 {
        constant(base)
    } else {
        Plan {
            index: Index::Divide(p.divisions),
            base,
            step,
        }
    })
}

/// Element `i`'s plan; `None` if an intermediate leaves `i128`.
fn plan(k: &QuantizerKernel, x_ty: crate::fixed::FixedType, i: usize) -> Option<Plan> {
    let x = Interval::of_type(&x_ty);
    let f = x_ty.frac_bits();
    let unit = k.offset_step(i);
    match &k.op {
        Quantizer::Int(q) => {
            let p = q.params.get(i);
            let (a, odd, pow) = scaling(p, f)?;
            let c = p
                .zero()
                .checked_mul(odd.checked_mul(1i128.checked_shl(pow)?)?)?;
            if q.is_sign() {
                let t = ceil_div(c.checked_neg()?, 1i128.checked_shl(a)?);
                return sign(x, t, unit);
            }
            let bounds = int_bounds(q.bits, q.signed, q.narrow);
            of_partial(
                divide_x(x, a, c, (odd, pow), q.rounding, Some(bounds))?,
                unit,
            )
        }
        Quantizer::Bipolar(_) => sign(x, 0, unit),
        Quantizer::Trunc(t) => {
            let p = t.params.get(i);
            let (a, odd, pow) = scaling(&p.input, f)?;
            let c = p
                .input
                .zero()
                .checked_mul(odd.checked_mul(1i128.checked_shl(pow)?)?)?;
            let regrid = divide_x(x, a, c, (odd, pow), Rounding::HalfEven, None)?;
            let bounds = match t.version {
                TruncVersion::V1 { .. } => None,
                TruncVersion::V2 {
                    out_bits,
                    signed,
                    narrow,
                } => Some(int_bounds(out_bits, signed, narrow)),
            };
            let (a, pow) = if p.shift >= 0 {
                (0, p.shift as u32)
            } else {
                (p.shift.unsigned_abs(), 0)
            };
            if a.max(pow) >= 127 {
                return None;
            }
            of_partial(divide_k(regrid, a, pow, t.rounding, bounds)?, unit)
        }
        Quantizer::MultiThreshold(_) => {
            let row = k.thresholds(i);
            let always = row.partition_point(|&t| t <= x.lo);
            let within = row[always..].partition_point(|&t| t <= x.hi);
            let variable = row[always..always + within].to_vec();
            let base = unit.0.checked_add(unit.1.checked_mul(always as i128)?)?;
            Some(if variable.is_empty() {
                constant(base)
            } else {
                Plan {
                    index: Index::Count(variable),
                    base,
                    step: unit.1,
                }
            })
        }
    }
}

/// The plan as thresholds on `x` when its divisions multiply by constants and comparisons cost
/// fewer LUTs (few levels): `k ≥ j` ⟺ `x ≥ T_j` for the least input `T_j` whose `k` reaches `j`
/// (`k` is monotone in `x`), found by binary search; a comparison with a constant costs
/// `⌈W/3⌉` LUTs for a `W`-bit input.
fn prefer_thresholds(plan: Plan, x: Interval) -> Plan {
    let Index::Divide(ds) = &plan.index else {
        return plan;
    };
    let multipliers: u128 = ds.iter().map(Division::multiplier_luts).sum();
    let span = ds.last().expect("a division plan divides").span;
    let compare = x.signed_width().div_ceil(3) as u128;
    if multipliers == 0 || (span as u128).saturating_mul(compare) >= multipliers {
        return plan;
    }
    let k = |x: i128| plan.index.eval(x);
    let mut always = 0;
    let mut thresholds = vec![];
    for j in (1..=span).take_while(|&j| k(x.hi) >= j) {
        let (mut lo, mut hi) = (x.lo, x.hi);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if k(mid) >= j {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        if lo == x.lo {
            always += 1;
        } else {
            thresholds.push(lo);
        }
    }
    Plan {
        index: Index::Count(thresholds),
        base: plan.base + plan.step * always,
        step: plan.step,
    }
}

/// The plan of every element of the quantizer's tensor (it must read a computed tensor). A user
/// error names the node if the hardware's integers would exceed 120 bits.
pub fn plans(k: &QuantizerKernel) -> Result<Vec<Plan>> {
    let x_ty = k.x_ty.ok_or_else(|| {
        Error::Internal(format!(
            "quantizer '{}' reads the float input: it is no layer",
            k.name
        ))
    })?;
    (0..k.op.elements())
        .map(|i| {
            plan(k, x_ty, i)
                .filter(|p| match &p.index {
                    Index::Divide(ds) => ds.iter().all(Division::fits),
                    Index::Count(_) => true,
                })
                .map(|p| prefer_thresholds(p, Interval::of_type(&x_ty)))
                .ok_or_else(|| {
                    Error::user(Diagnostic::new(
                        &k.name,
                        Some(k.op.op_type()),
                        "hardware",
                        "integer arithmetic within 120 bits for the input type",
                        x_ty.to_string(),
                    ))
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixed::FixedType;
    use crate::ir::quantizer::{
        BipolarQuant, IntQuant, MultiThreshold, PerElement, Trunc, TruncParams,
    };

    const MODES: [Rounding; 7] = [
        Rounding::HalfEven,
        Rounding::Floor,
        Rounding::Ceil,
        Rounding::Up,
        Rounding::Down,
        Rounding::HalfUp,
        Rounding::HalfDown,
    ];

    fn one<P>(p: P) -> PerElement<P> {
        PerElement {
            sets: vec![p],
            index: vec![0],
        }
    }

    /// Every mantissa of `x_ty` through the plan and through the golden kernel.
    #[track_caller]
    fn assert_exhaustive(op: Quantizer, x_ty: FixedType) {
        let result = op.output_type(x_ty).unwrap();
        let k = QuantizerKernel::new("q", &op, Some(x_ty), result).unwrap();
        let chosen = &plans(&k).unwrap()[0];
        let arithmetic = &plan(&k, x_ty, 0).unwrap();
        for m in x_ty.min_mantissa()..=x_ty.max_mantissa() {
            let want = k.run(&[m])[0];
            for p in [chosen, arithmetic] {
                assert_eq!(p.eval(m), want, "x = {m} of {x_ty}, {op:?}, {p:?}");
            }
        }
    }

    fn types() -> Vec<FixedType> {
        vec![
            FixedType::fixed(8, 3, true),
            FixedType::fixed(7, 7, true),
            FixedType::fixed(6, 2, false),
            FixedType::fixed(9, -1, true),
            FixedType::fixed(5, 8, true),
        ]
    }

    fn int_quant(
        scale: f32,
        zero_point: f32,
        bits: u32,
        sn: (bool, bool),
        r: Rounding,
    ) -> Quantizer {
        Quantizer::Int(IntQuant {
            params: one(ScaleZero { scale, zero_point }),
            bits,
            signed: sn.0,
            narrow: sn.1,
            rounding: r,
        })
    }

    #[test]
    fn int_quant_equals_the_golden_model_on_every_input() {
        let scales = [0.25f32, 1.0, 0.0625, 4.0, 0.3, 0.07, 3.0, 0.066_666_67, 1.5];
        for x_ty in types() {
            for &scale in &scales {
                for z in [0.0f32, 3.0, -2.0] {
                    for bits in [1, 2, 4, 8] {
                        for sn in [(true, false), (true, true), (false, false), (false, true)] {
                            for r in MODES {
                                assert_exhaustive(int_quant(scale, z, bits, sn, r), x_ty);
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn bipolar_and_multithreshold_equal_the_golden_model_on_every_input() {
        for x_ty in types() {
            for scale in [1.0f32, 0.5, 0.3] {
                let op = Quantizer::Bipolar(BipolarQuant { scale: one(scale) });
                assert_exhaustive(op, x_ty);
            }
            for (row, out_scale, out_bias) in [
                (
                    vec![-1.0f32, 0.25, 0.25, 2.0, -100.0, 100.0, 0.3],
                    1.0f32,
                    0.0f32,
                ),
                (vec![0.0], 2.0, -1.0),
                (vec![1.5, -0.5, 0.125, 7.0], -0.5, 0.25),
                (vec![], 1.0, 0.0),
            ] {
                let op = Quantizer::MultiThreshold(MultiThreshold {
                    rows: one(row),
                    out_scale,
                    out_bias,
                });
                assert_exhaustive(op, x_ty);
            }
        }
    }

    #[test]
    fn trunc_equals_the_golden_model_on_every_input() {
        for x_ty in types() {
            for (scale, out_scale) in [(0.0625f32, 0.5f32), (0.25, 0.25), (0.3, 1.2), (1.0, 0.125)]
            {
                for z in [0.0f32, 5.0, -3.0] {
                    for r in MODES {
                        let input = ScaleZero {
                            scale,
                            zero_point: z,
                        };
                        for shift in [-1, 0, 1, 3] {
                            let op = Quantizer::Trunc(Trunc {
                                params: one(TruncParams {
                                    input,
                                    out_scale: scale,
                                    shift,
                                }),
                                version: TruncVersion::V1 {
                                    in_bits: 8,
                                    out_bits: (8 - shift) as u32,
                                },
                                rounding: r,
                            });
                            assert_exhaustive(op, x_ty);
                        }
                        let shift = (out_scale / scale).log2().round_ties_even() as i32;
                        for (out_bits, signed, narrow) in [(4, true, false), (3, false, true)] {
                            let op = Quantizer::Trunc(Trunc {
                                params: one(TruncParams {
                                    input,
                                    out_scale,
                                    shift,
                                }),
                                version: TruncVersion::V2 {
                                    out_bits,
                                    signed,
                                    narrow,
                                },
                                rounding: r,
                            });
                            assert_exhaustive(op, x_ty);
                        }
                    }
                }
            }
        }
    }

    /// The non-power-of-two scale of the Brevitas MLP's activations on its 35-bit input: the
    /// quotient by reciprocal at the ends of the range and around every level's boundaries, and
    /// the 15 thresholds chosen instead (cheaper than the multiplications).
    #[test]
    fn brevitas_activation_scale_on_a_wide_input() {
        let x_ty = FixedType::fixed(35, 5, true);
        for r in MODES {
            let op = int_quant(0.066_666_67, 0.0, 4, (false, false), r);
            let result = op.output_type(x_ty).unwrap();
            let k = QuantizerKernel::new("q", &op, Some(x_ty), result).unwrap();
            let chosen = &plans(&k).unwrap()[0];
            assert!(
                matches!(&chosen.index, Index::Count(t) if t.len() == 15),
                "{chosen:?}"
            );
            let arithmetic = &plan(&k, x_ty, 0).unwrap();
            let Index::Divide(ds) = &arithmetic.index else {
                panic!("{arithmetic:?}")
            };
            assert_eq!((ds[0].shift, ds[0].offset, ds[0].pow), (0, 0, 3), "t = x");
            assert!(ds[0].reciprocal().is_some());
            let d = ds[0].divisor();
            let mut xs = vec![x_ty.min_mantissa(), x_ty.max_mantissa()];
            for level in -1..=17i128 {
                for half in [0, d / 2, d / 2 + 1, d - 1] {
                    let t = level * d + half;
                    xs.extend((-3..=3).map(|e| t + e));
                }
            }
            for m in xs {
                let want = k.run(&[m])[0];
                assert_eq!(arithmetic.eval(m), want, "x = {m}, {r:?}");
                assert_eq!(chosen.eval(m), want, "x = {m}, {r:?}");
            }
        }
    }
}
