//! QONNX quantizers as logic, one chain per element doing exactly the integer steps of its
//! [`Plan`] ([`super::requant`]):
//! * a rounding division `k = round(clamp(t, 0, span·D) / D)` of `t = v·2^a + offset`, with
//!   `D = odd·2^pow`: written `t = w + j·D` (`w = v·2^a`, plus the part of the offset below
//!   `D`, the only wide adder and rarely needed), the clamp is decided by the sign bit or a
//!   constant comparison of `w` and applied to `k` at the end (a multiplexer of its few bits);
//!   `q = ⌊w/D⌋ + j` is the bits of `w` above `pow` plus a constant (for `odd > 1`:
//!   `u = w + j·D` and a constant reciprocal multiplication whose exactness
//!   [`Reciprocal`](crate::analysis::division) proves), the remainder the bits below (or
//!   `u − q·D`), and the rounding increment comes from the remainder's top bit and the OR of
//!   the others (or comparisons with `D/2` and 0), the level's sign and the parity of `q`;
//! * thresholds `k = #{t : x ≥ t}`: one constant comparison per distinct threshold, a
//!   thermometer code since the thresholds are sorted, whose count is read by binary search:
//!   bit `j` of `k` is the comparison at the count the bits above `j` select plus `2^j` (a
//!   multiplexer per bit, `n − 1` inputs in all for `n` thresholds, instead of an adder tree);
//! * the output `base + step·k`: wiring, a table of the values for up to [`TABLE_BITS`] bits
//!   of `k`, or a shift or constant multiplication and an adder.
//!
//! Constant multiplications are shift-add logic in LUTs (`use_dsp = "no"`), as the estimates
//! count them.
//!
//! The steps of an element are placed in pipeline stages by the delay model: each joins the
//! current stage while the stage fits the clock period.

use super::builder::{ModuleBuilder, Signal};
use super::cast::{Bit, Logic};
use super::dense::{csd_digits, Out};
use super::logic::bits_for;
use super::netlist::*;
use super::requant::{unsigned_width, Division, Index, Plan};
use super::timing::Timing;
use crate::analysis::interval::Interval;
use crate::diag::{Diagnostic, Error, Result};
use crate::fixed::FixedType;
use crate::golden::QuantizerKernel;
use crate::ir::quantizer::Rounding;

/// Bits of a level index whose output values are a table (one LUT per output bit on xc7).
const TABLE_BITS: u32 = 6;

/// The quantizer `k` of every element of `xs`. With fewer elements than the quantizer's tensor
/// (an io_stream beat of one pixel's channels), element `i` of `xs` stands for the tensor's
/// elements `i mod n`, whose parameters must then be the same for every pixel.
pub fn lower(
    b: &mut ModuleBuilder,
    k: &QuantizerKernel,
    xs: &[Signal],
    timing: &Timing,
) -> Result<Vec<Out>> {
    let plans = super::requant::plans(k)?;
    let n = xs.len();
    if plans.len() % n != 0 || plans.iter().enumerate().any(|(i, p)| *p != plans[i % n]) {
        return Err(Error::user(Diagnostic::new(
            &k.name,
            Some(k.op.op_type()),
            "hardware",
            "parameters that are the same for every pixel in io_stream (per channel or per tensor)",
            "parameters that differ between pixels",
        )));
    }
    xs.iter()
        .zip(&plans)
        .enumerate()
        .map(|(i, (&x, plan))| {
            let mut e = Element {
                b: &mut *b,
                timing,
                stage: 0,
                stage_ns: 0.0,
            };
            let k_sig = match &plan.index {
                Index::Count(t) if t.is_empty() => return Ok(Out::Const(plan.base)),
                Index::Count(t) => e.count(x, t, &i.to_string())?,
                Index::Divide(ds) => {
                    let mut v = x;
                    for (j, d) in ds.iter().enumerate() {
                        let name = if ds.len() == 1 {
                            i.to_string()
                        } else {
                            format!("{i}_{}", j + 1)
                        };
                        v = e.divide(v, d, &name)?;
                    }
                    v
                }
            };
            let y = e.output(k_sig, plan, &k.result, i)?;
            b.note(
                y.net,
                format!("{} element {i}: {}", k.name, plan.describe()),
            );
            Ok(Out::Sig(y))
        })
        .collect()
}

/// Builds one element's chain, tracking the stage it has reached and that stage's delay.
struct Element<'a> {
    b: &'a mut ModuleBuilder,
    timing: &'a Timing,
    stage: u32,
    stage_ns: f64,
}

impl Element<'_> {
    /// The stage for the next step of `ns`: the current one while it fits the clock period.
    fn place(&mut self, ns: f64) -> u32 {
        let budget = self.timing.clock_period_ns - self.timing.model.register_ns;
        if self.stage_ns > 0.0 && self.stage_ns + ns > budget {
            self.stage += 1;
            self.stage_ns = 0.0;
        }
        self.stage_ns += ns;
        self.b.stage_delay(self.timing.stage_ns(1, self.stage_ns));
        self.stage
    }

    /// A constant multiplier's delay: an adder tree over its CSD digits.
    fn multiply_ns(&self, c: i128, width: u32) -> f64 {
        let digits = csd_digits(c);
        let levels = usize::BITS - (digits.max(1) - 1).leading_zeros();
        levels as f64 * self.timing.adder_ns(width)
    }

    /// An unsigned net of bits `hi..=lo` of `net`.
    fn slice(&mut self, name: &str, net: NetId, hi: u32, lo: u32) -> Result<Signal> {
        let width = hi - lo + 1;
        let net = self.b.wire(
            name,
            width,
            false,
            Expr::Concat(vec![Part::Bits { net, hi, lo }]),
            self.stage,
        )?;
        Ok(Signal {
            net,
            width,
            signed: false,
            frac: 0,
        })
    }

    /// `v · c` at `width` bits (`v` zero-extended), a shift-add constant multiplier in LUTs.
    fn multiply(&mut self, name: &str, v: Signal, c: i128, width: u32) -> Result<NetId> {
        let stage = self.place(self.multiply_ns(c, width));
        let wide = self.b.resize(v, width, &format!("{name}_w"), stage)?;
        let net = self
            .b
            .wire(name, width, false, Expr::MulConst(wide.net, c), stage)?;
        self.b.attr(net, "use_dsp", "no");
        Ok(net)
    }

    /// `k` of a [`Division`] reading `v`. With `t = w + j·D` (`w = v·2^shift`, plus the part of
    /// the offset that is not a multiple of `D`), the clamp is decided by comparing `w` with
    /// constants, and `u`, `q` and `r` are only needed for `t ∈ [0, span·D]`, so they are
    /// computed modulo `2^bits` of their own widths: `q = ⌊w/D⌋ + j` from the bits of `w` above
    /// `pow` and `r` from those below (`D = 2^pow`), or `u = w + j·D`, `q` by reciprocal
    /// multiplication and `r = u − q·D`.
    fn divide(&mut self, v: Signal, d: &Division, name: &str) -> Result<Signal> {
        let divisor = d.divisor();
        let top = d.span * divisor;
        let (wu, wq) = (d.u_width(), d.k_width());
        let j = d.offset.div_euclid(divisor);
        let rest = d.offset.rem_euclid(divisor);
        let shifted = d.input.checked_shl(d.shift).expect("checked when planned");
        let w_range = Interval {
            lo: shifted.lo + rest,
            hi: shifted.hi + rest,
        };
        let ww = w_range
            .signed_width()
            .max(shifted.signed_width())
            .max(wu + 1);
        let stage = self.place(if rest == 0 {
            0.0
        } else {
            self.timing.adder_ns(ww)
        });
        let vs = self.b.as_signed(v, &format!("v{name}_s"), stage)?;
        let vw = self
            .b
            .resize(vs, ww - d.shift, &format!("v{name}_w"), stage)?;
        let vsh = self
            .b
            .shift_left(vw, d.shift, &format!("v{name}_sh"), stage)?;
        let w = if rest == 0 {
            vsh.net
        } else {
            self.b.wire(
                &format!("w{name}"),
                ww,
                true,
                Expr::Add(Operand::Net(vsh.net), Operand::Const(rest)),
                stage,
            )?
        };
        let (low, high) = (-j * divisor, top - j * divisor);
        let stage = self.place(self.timing.adder_ns(ww));
        let below = if w_range.lo < low {
            let net = if low == 0 {
                self.slice(&format!("w{name}_neg"), w, ww - 1, ww - 1)?.net
            } else {
                self.b.wire(
                    &format!("w{name}_below"),
                    1,
                    false,
                    Expr::Cmp(CmpOp::Lt, w, low),
                    stage,
                )?
            };
            Some(net)
        } else {
            None
        };
        let above = if w_range.hi > high {
            Some(self.b.wire(
                &format!("w{name}_above"),
                1,
                false,
                Expr::Cmp(CmpOp::Gt, w, high),
                stage,
            )?)
        } else {
            None
        };
        let modular = |e: &mut Self, what: &str, net: NetId, width: u32, c: i128| {
            let c = c & ((1i128 << width) - 1);
            if c == 0 {
                return Ok(net);
            }
            let stage = e.place(e.timing.adder_ns(width));
            e.b.wire(
                what,
                width,
                false,
                Expr::Add(Operand::Net(net), Operand::Const(c)),
                stage,
            )
        };
        let (q, r) = match d.reciprocal() {
            None => {
                let qw = self.slice(&format!("q{name}_w"), w, d.pow + wq - 1, d.pow)?;
                let q = modular(self, &format!("q{name}"), qw.net, wq, j)?;
                let r = (d.pow > 0)
                    .then(|| self.slice(&format!("r{name}"), w, d.pow - 1, 0))
                    .transpose()?;
                (Signal { net: q, ..qw }, r)
            }
            Some(rc) => {
                let uw = self.slice(&format!("u{name}_w"), w, wu - 1, 0)?;
                let u = modular(self, &format!("u{name}"), uw.net, wu, j * divisor)?;
                let u1 = self.slice(&format!("u{name}_hi"), u, wu - 1, d.pow)?;
                let pw = u1.width + 128 - rc.multiplier.leading_zeros();
                let product = self.multiply(&format!("p{name}"), u1, rc.multiplier as i128, pw)?;
                let hi = (pw - 1).min(rc.shift + wq - 1);
                let mut parts = vec![];
                if hi < rc.shift + wq - 1 {
                    parts.push(Part::Fill {
                        ones: false,
                        count: rc.shift + wq - 1 - hi,
                    });
                }
                parts.push(Part::Bits {
                    net: product,
                    hi,
                    lo: rc.shift,
                });
                let q = Signal {
                    net: self.b.wire(
                        &format!("q{name}"),
                        wq,
                        false,
                        Expr::Concat(parts),
                        self.stage,
                    )?,
                    width: wq,
                    signed: false,
                    frac: 0,
                };
                let qd = self.multiply(&format!("q{name}_d"), q, divisor, wu)?;
                let stage = self.place(self.timing.adder_ns(wu));
                let diff = self.b.wire(
                    &format!("r{name}_full"),
                    wu,
                    false,
                    Expr::Sub(Operand::Net(u), Operand::Net(qd)),
                    stage,
                )?;
                let r = self.slice(
                    &format!("r{name}"),
                    diff,
                    unsigned_width(divisor - 1) - 1,
                    0,
                )?;
                (q, Some(r))
            }
        };
        let k = match r {
            None => q,
            Some(r) => {
                let stage = self.place(
                    self.timing.adder_ns(r.width.max(wq)) + 2.0 * self.timing.model.lut_level_ns,
                );
                let inc = match self.increment(q, r, d, name, stage)? {
                    Bit::Zero => None,
                    Bit::One => Some(Operand::Const(1)),
                    Bit::Net(n) if wq == 1 => Some(Operand::Net(n)),
                    Bit::Net(n) => Some(Operand::Net(self.b.wire(
                        &format!("inc{name}_w"),
                        wq,
                        false,
                        Expr::Concat(vec![
                            Part::Fill {
                                ones: false,
                                count: wq - 1,
                            },
                            Part::Bits {
                                net: n,
                                hi: 0,
                                lo: 0,
                            },
                        ]),
                        stage,
                    )?)),
                };
                match inc {
                    None => q,
                    Some(inc) => {
                        let stage = self.place(self.timing.adder_ns(wq));
                        let net = self.b.wire(
                            &format!("k{name}_r"),
                            wq,
                            false,
                            Expr::Add(Operand::Net(q.net), inc),
                            stage,
                        )?;
                        Signal { net, ..q }
                    }
                }
            }
        };
        if above.is_none() && below.is_none() {
            return Ok(k);
        }
        let stage = self.place(self.timing.model.lut_level_ns);
        let mut net = k.net;
        for (flag, value, what) in [(above, d.span, "hi"), (below, 0, "lo")] {
            if let Some(flag) = flag {
                net = self.b.wire(
                    &format!("k{name}_{what}"),
                    wq,
                    false,
                    Expr::Mux(flag, Operand::Const(value), Operand::Net(net)),
                    stage,
                )?;
            }
        }
        Ok(Signal { net, ..k })
    }

    /// The rounding increment of [`super::requant::increment`] as logic on `q` and `r`.
    fn increment(
        &mut self,
        q: Signal,
        r: Signal,
        d: &Division,
        name: &str,
        stage: u32,
    ) -> Result<Bit> {
        let divisor = d.divisor();
        let half = divisor / 2;
        let r_max = divisor - 1;
        let cmp = |e: &mut Self, what: &str, op: CmpOp, net: NetId, c: i128| -> Result<Bit> {
            Ok(Bit::Net(e.b.wire(
                &format!("{what}{name}"),
                1,
                false,
                Expr::Cmp(op, net, c),
                stage,
            )?))
        };
        let (nonzero, above, tie) = if d.odd == 1 {
            let half_bit = Bit::Net(
                self.slice(&format!("r{name}_half"), r.net, d.pow - 1, d.pow - 1)?
                    .net,
            );
            let rest = if d.pow >= 2 {
                Bit::Net(self.b.wire(
                    &format!("r{name}_rest"),
                    1,
                    false,
                    Expr::ReduceOr {
                        net: r.net,
                        hi: d.pow - 2,
                        lo: 0,
                    },
                    stage,
                )?)
            } else {
                Bit::Zero
            };
            let mut l = self.logic(name, stage);
            let nonzero = l.or(half_bit, rest)?;
            let above = l.and(half_bit, rest)?;
            let exact = l.not(rest)?;
            let tie = l.and(half_bit, exact)?;
            (nonzero, above, tie)
        } else {
            let nonzero = cmp(self, "nonzero", CmpOp::Gt, r.net, 0)?;
            let above = if half < r_max {
                cmp(self, "above", CmpOp::Gt, r.net, half)?
            } else {
                Bit::Zero
            };
            let tie = if divisor % 2 == 0 {
                cmp(self, "tie", CmpOp::Eq, r.net, half)?
            } else {
                Bit::Zero
            };
            (nonzero, above, tie)
        };
        let negative = if d.level >= 0 {
            Bit::Zero
        } else if -d.level > d.span {
            Bit::One
        } else {
            cmp(self, "neg", CmpOp::Lt, q.net, -d.level)?
        };
        let odd = if matches!(d.rounding, Rounding::HalfEven) {
            let lsb = self.slice(&format!("q{name}_lsb"), q.net, 0, 0)?;
            let lsb = Bit::Net(lsb.net);
            if d.level & 1 == 1 {
                self.logic(name, stage).not(lsb)?
            } else {
                lsb
            }
        } else {
            Bit::Zero
        };
        let mut l = self.logic(name, stage);
        Ok(match d.rounding {
            Rounding::Floor => Bit::Zero,
            Rounding::Ceil => nonzero,
            Rounding::Up => {
                let positive = l.not(negative)?;
                l.and(nonzero, positive)?
            }
            Rounding::Down => l.and(nonzero, negative)?,
            Rounding::HalfEven => {
                let tie_up = l.and(tie, odd)?;
                l.or(above, tie_up)?
            }
            Rounding::HalfUp => {
                let positive = l.not(negative)?;
                let tie_up = l.and(tie, positive)?;
                l.or(above, tie_up)?
            }
            Rounding::HalfDown => {
                let tie_up = l.and(tie, negative)?;
                l.or(above, tie_up)?
            }
        })
    }

    fn logic(&mut self, name: &str, stage: u32) -> Logic<'_> {
        Logic {
            b: &mut *self.b,
            name: format!("round{name}"),
            stage,
        }
    }

    /// `k = #{t : x ≥ t}` for thresholds sorted ascending within the range of `x`.
    fn count(&mut self, x: Signal, thresholds: &[i128], name: &str) -> Result<Signal> {
        let stage = self.place(self.timing.adder_ns(x.width));
        let mut compares: Vec<NetId> = Vec::with_capacity(thresholds.len());
        for (j, &t) in thresholds.iter().enumerate() {
            let net = match j.checked_sub(1).filter(|&p| thresholds[p] == t) {
                Some(p) => compares[p],
                None if t == 0 && x.signed => {
                    let sign =
                        self.slice(&format!("x{name}_neg"), x.net, x.width - 1, x.width - 1)?;
                    self.b.wire(
                        &format!("ge{name}_{j}"),
                        1,
                        false,
                        Expr::Not(sign.net),
                        stage,
                    )?
                }
                None => self.b.wire(
                    &format!("ge{name}_{j}"),
                    1,
                    false,
                    Expr::Cmp(CmpOp::Gt, x.net, t - 1),
                    stage,
                )?,
            };
            compares.push(net);
        }
        let n = thresholds.len();
        let bits = bits_for(n);
        let stage = self.place(bits as f64 * self.timing.model.lut_level_ns);
        let mut found: Vec<NetId> = Vec::with_capacity(bits as usize);
        for j in (0..bits).rev() {
            let at = |prefix: usize| prefix + (1 << j);
            let bit = if found.is_empty() {
                compares[at(0) - 1]
            } else {
                let sel = self.b.wire(
                    &format!("k{name}_above{j}"),
                    found.len() as u32,
                    false,
                    Expr::Concat(
                        found
                            .iter()
                            .map(|&net| Part::Bits { net, hi: 0, lo: 0 })
                            .collect(),
                    ),
                    stage,
                )?;
                let arms = (0..1usize << found.len())
                    .filter(|&p| at(p << (j + 1)) <= n)
                    .map(|p| (p as u64, Operand::Net(compares[at(p << (j + 1)) - 1])))
                    .collect();
                self.b.wire(
                    &format!("k{name}_bit{j}"),
                    1,
                    false,
                    Expr::Case {
                        sel,
                        arms,
                        default: Operand::Const(0),
                    },
                    stage,
                )?
            };
            found.push(bit);
        }
        let net = self.b.wire(
            &format!("k{name}"),
            bits,
            false,
            Expr::Concat(
                found
                    .iter()
                    .map(|&net| Part::Bits { net, hi: 0, lo: 0 })
                    .collect(),
            ),
            stage,
        )?;
        Ok(Signal {
            net,
            width: bits,
            signed: false,
            frac: 0,
        })
    }

    /// `base + step·k` in `result`: wiring for `base = 0` and a positive power-of-two `step`,
    /// otherwise a table of the values for a `k` of at most [`TABLE_BITS`] bits, otherwise a
    /// shift or constant multiplication and an adder.
    fn output(&mut self, k: Signal, plan: &Plan, result: &FixedType, i: usize) -> Result<Signal> {
        let w = result.width;
        let wiring = plan.base == 0 && plan.step > 0 && plan.step.count_ones() == 1;
        if !wiring && k.width <= TABLE_BITS {
            let stage = self.place(self.timing.model.lut_level_ns);
            let value = |v: i128| plan.base + plan.step * v;
            let top = plan.index.k_max();
            let arms = (0..=top)
                .map(|v| (v as u64, Operand::Const(value(v))))
                .collect();
            let net = self.b.wire(
                &format!("y{i}"),
                w,
                result.signed,
                Expr::Case {
                    sel: k.net,
                    arms,
                    default: Operand::Const(value(top)),
                },
                stage,
            )?;
            return Ok(Signal {
                net,
                width: w,
                signed: result.signed,
                frac: result.frac_bits(),
            });
        }
        let as_result = |e: &mut Self, name: &str, net: NetId, from: u32, stage: u32| {
            let mut parts = vec![];
            if from < w {
                parts.push(Part::Fill {
                    ones: false,
                    count: w - from,
                });
            }
            parts.push(Part::Bits {
                net,
                hi: from.min(w) - 1,
                lo: 0,
            });
            e.b.wire(name, w, result.signed, Expr::Concat(parts), stage)
        };
        let step = plan.step;
        let scaled = if step.unsigned_abs().is_power_of_two() && step > 0 {
            let j = step.trailing_zeros();
            let stage = self.stage;
            let kw = as_result(self, &format!("k{i}_y"), k.net, k.width, stage)?;
            if j == 0 {
                kw
            } else {
                let mut parts = vec![Part::Bits {
                    net: kw,
                    hi: w - 1 - j,
                    lo: 0,
                }];
                parts.push(Part::Fill {
                    ones: false,
                    count: j,
                });
                self.b.wire(
                    &format!("k{i}_step"),
                    w,
                    result.signed,
                    Expr::Concat(parts),
                    stage,
                )?
            }
        } else {
            let stage = self.place(self.multiply_ns(step, w));
            let kw = as_result(self, &format!("k{i}_y"), k.net, k.width, stage)?;
            let net = self.b.wire(
                &format!("k{i}_step"),
                w,
                result.signed,
                Expr::MulConst(kw, step),
                stage,
            )?;
            self.b.attr(net, "use_dsp", "no");
            net
        };
        let net = if plan.base == 0 {
            scaled
        } else {
            let stage = self.place(self.timing.adder_ns(w));
            self.b.wire(
                &format!("y{i}"),
                w,
                result.signed,
                Expr::Add(Operand::Net(scaled), Operand::Const(plan.base)),
                stage,
            )?
        };
        Ok(Signal {
            net,
            width: w,
            signed: result.signed,
            frac: result.frac_bits(),
        })
    }
}
