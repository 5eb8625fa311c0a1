//! Lowering of [`fixed::cast`](crate::fixed::cast) to logic: the same quantization increment and
//! overflow rules, specialised at generation time to the source and target formats, so TRN/WRAP
//! casts are pure wiring and only the modes in use cost gates.

use super::builder::{ModuleBuilder, Signal};
use super::netlist::*;
use crate::analysis::interval::Interval;
use crate::diag::Result;
use crate::fixed::{FixedType, Overflow, Quant};

/// A 1-bit value known at generation time or carried by a net.
#[derive(Clone, Copy)]
pub(super) enum Bit {
    Zero,
    One,
    Net(NetId),
}

pub(super) struct Logic<'a> {
    pub(super) b: &'a mut ModuleBuilder,
    pub(super) name: String,
    pub(super) stage: u32,
}

impl Logic<'_> {
    pub(super) fn and(&mut self, x: Bit, y: Bit) -> Result<Bit> {
        Ok(match (x, y) {
            (Bit::Zero, _) | (_, Bit::Zero) => Bit::Zero,
            (Bit::One, v) | (v, Bit::One) => v,
            (Bit::Net(a), Bit::Net(c)) => Bit::Net(self.b.wire(
                &format!("{}_and", self.name),
                1,
                false,
                Expr::And(vec![a, c]),
                self.stage,
            )?),
        })
    }
    pub(super) fn or(&mut self, x: Bit, y: Bit) -> Result<Bit> {
        Ok(match (x, y) {
            (Bit::One, _) | (_, Bit::One) => Bit::One,
            (Bit::Zero, v) | (v, Bit::Zero) => v,
            (Bit::Net(a), Bit::Net(c)) => Bit::Net(self.b.wire(
                &format!("{}_or", self.name),
                1,
                false,
                Expr::Or(vec![a, c]),
                self.stage,
            )?),
        })
    }
    pub(super) fn not(&mut self, x: Bit) -> Result<Bit> {
        Ok(match x {
            Bit::Zero => Bit::One,
            Bit::One => Bit::Zero,
            Bit::Net(a) => Bit::Net(self.b.wire(
                &format!("{}_not", self.name),
                1,
                false,
                Expr::Not(a),
                self.stage,
            )?),
        })
    }
    fn bit(&mut self, s: Signal, k: u32, what: &str) -> Result<Bit> {
        let name = format!("{}_{what}", self.name);
        Ok(match self.b.bit(s, k, &name, self.stage)? {
            Some(n) => Bit::Net(n),
            None => Bit::Zero,
        })
    }
}

/// Casts `src` into `t` in `stage`; the result has `t`'s width, signedness and fraction bits.
pub fn lower_cast(
    b: &mut ModuleBuilder,
    src: Signal,
    t: &FixedType,
    name: &str,
    stage: u32,
) -> Result<Signal> {
    let s = b.as_signed(src, &format!("{name}_se"), stage)?;
    let d = s.frac - t.frac_bits();
    let q = if d > 0 {
        quantize(b, s, d as u32, t.effective_quant(), name, stage)?
    } else {
        b.shift_left(s, (-d) as u32, &format!("{name}_sh"), stage)?
    };
    overflow(b, q, t, name, stage)
}

/// Drops `d` fraction bits of the signed `s` with mode `q` (REFERENCE §1.3); result signed.
fn quantize(
    b: &mut ModuleBuilder,
    s: Signal,
    d: u32,
    q: Quant,
    name: &str,
    stage: u32,
) -> Result<Signal> {
    let frac = s.frac - d as i32;
    let base = if d < s.width {
        let w = s.width - d;
        let net = b.wire(
            &format!("{name}_base"),
            w,
            true,
            Expr::Concat(vec![Part::Bits {
                net: s.net,
                hi: s.width - 1,
                lo: d,
            }]),
            stage,
        )?;
        Signal {
            net,
            width: w,
            signed: true,
            frac,
        }
    } else {
        let net = b.wire(
            &format!("{name}_base"),
            1,
            true,
            Expr::Concat(vec![Part::Bits {
                net: s.net,
                hi: s.width - 1,
                lo: s.width - 1,
            }]),
            stage,
        )?;
        Signal {
            net,
            width: 1,
            signed: true,
            frac,
        }
    };
    if q == Quant::Trn {
        return Ok(base);
    }
    let mut l = Logic {
        b,
        name: name.to_owned(),
        stage,
    };
    let qb = l.bit(s, d - 1, "qb")?;
    let r = if d >= 2 {
        let hi = (d - 2).min(s.width - 1);
        Bit::Net(l.b.wire(
            &format!("{name}_r"),
            1,
            false,
            Expr::ReduceOr {
                net: s.net,
                hi,
                lo: 0,
            },
            stage,
        )?)
    } else {
        Bit::Zero
    };
    let sign = l.bit(s, s.width - 1, "sign")?;
    let inc = match q {
        Quant::Trn => Bit::Zero,
        Quant::TrnZero => {
            let any = l.or(qb, r)?;
            l.and(sign, any)?
        }
        Quant::Rnd => qb,
        Quant::RndZero => {
            let t = l.or(sign, r)?;
            l.and(qb, t)?
        }
        Quant::RndMinInf => l.and(qb, r)?,
        Quant::RndInf => {
            let pos = l.not(sign)?;
            let t = l.or(pos, r)?;
            l.and(qb, t)?
        }
        Quant::RndConv => {
            let lsb = l.bit(s, d, "lsb")?;
            let t = l.or(lsb, r)?;
            l.and(qb, t)?
        }
    };
    let w = base.width + 1;
    let wide = b.resize(base, w, &format!("{name}_bx"), stage)?;
    let inc_operand = match inc {
        Bit::Zero => return Ok(base),
        Bit::One => Operand::Const(1),
        Bit::Net(n) => {
            let ext = b.wire(
                &format!("{name}_inc"),
                w,
                true,
                Expr::Concat(vec![
                    Part::Fill {
                        ones: false,
                        count: w - 1,
                    },
                    Part::Bits {
                        net: n,
                        hi: 0,
                        lo: 0,
                    },
                ]),
                stage,
            )?;
            Operand::Net(ext)
        }
    };
    let net = b.wire(
        &format!("{name}_q"),
        w,
        true,
        Expr::Add(Operand::Net(wide.net), inc_operand),
        stage,
    )?;
    Ok(Signal {
        net,
        width: w,
        signed: true,
        frac,
    })
}

/// Overflow handling of the signed, rounded `q` into `t` (REFERENCE §1.4).
fn overflow(
    b: &mut ModuleBuilder,
    q: Signal,
    t: &FixedType,
    name: &str,
    stage: u32,
) -> Result<Signal> {
    let (mode, n) = t.effective_overflow();
    let max = t.max_mantissa();
    let lo = t.lowest_produced();
    let q_range = Interval {
        lo: -(1i128 << (q.width - 1)),
        hi: (1i128 << (q.width - 1)) - 1,
    };
    let w = t.width;
    let low = |b: &mut ModuleBuilder| -> Result<Signal> {
        let r = b.resize(q, w, &format!("{name}_low"), stage)?;
        if r.signed == t.signed {
            return Ok(Signal {
                frac: t.frac_bits(),
                ..r
            });
        }
        let net = b.wire(
            &format!("{name}_bits"),
            w,
            t.signed,
            Expr::Copy(Operand::Net(r.net)),
            stage,
        )?;
        Ok(Signal {
            net,
            width: w,
            signed: t.signed,
            frac: t.frac_bits(),
        })
    };
    if (mode == Overflow::Wrap && n == 0) || q_range.within(Interval { lo, hi: max }) {
        return low(b);
    }
    let over = if max < q_range.hi {
        Some(b.wire(
            &format!("{name}_ovf"),
            1,
            false,
            Expr::Cmp(CmpOp::Gt, q.net, max),
            stage,
        )?)
    } else {
        None
    };
    let under = if lo > q_range.lo {
        Some(b.wire(
            &format!("{name}_unf"),
            1,
            false,
            Expr::Cmp(CmpOp::Lt, q.net, lo),
            stage,
        )?)
    } else {
        None
    };
    let low = low(b)?;
    let (pos, neg): (Operand, Operand) = match mode {
        Overflow::Sat | Overflow::SatSym => (Operand::Const(max), Operand::Const(lo)),
        Overflow::SatZero => (Operand::Const(0), Operand::Const(0)),
        Overflow::Wrap => {
            let keep = w - n;
            let with_top = |b: &mut ModuleBuilder, top: Vec<Part>, what: &str| -> Result<Operand> {
                let mut parts = top;
                if keep > 0 {
                    parts.push(Part::Bits {
                        net: low.net,
                        hi: keep - 1,
                        lo: 0,
                    });
                }
                Ok(Operand::Net(b.wire(
                    &format!("{name}_{what}"),
                    w,
                    t.signed,
                    Expr::Concat(parts),
                    stage,
                )?))
            };
            if t.signed {
                let mut p = vec![Part::Fill {
                    ones: false,
                    count: 1,
                }];
                let mut m = vec![Part::Fill {
                    ones: true,
                    count: 1,
                }];
                if n > 1 {
                    p.push(Part::Fill {
                        ones: true,
                        count: n - 1,
                    });
                    m.push(Part::Fill {
                        ones: false,
                        count: n - 1,
                    });
                }
                (with_top(b, p, "wpos")?, with_top(b, m, "wneg")?)
            } else {
                let ones = with_top(
                    b,
                    vec![Part::Fill {
                        ones: true,
                        count: n,
                    }],
                    "wtop",
                )?;
                (ones, ones)
            }
        }
    };
    let mut value = Operand::Net(low.net);
    if let Some(u) = under {
        value = Operand::Net(b.wire(
            &format!("{name}_clu"),
            w,
            t.signed,
            Expr::Mux(u, neg, value),
            stage,
        )?);
    }
    if let Some(o) = over {
        value = Operand::Net(b.wire(
            &format!("{name}_clo"),
            w,
            t.signed,
            Expr::Mux(o, pos, value),
            stage,
        )?);
    }
    let Operand::Net(net) = value else {
        unreachable!("value starts as a net")
    };
    Ok(Signal {
        net,
        width: w,
        signed: t.signed,
        frac: t.frac_bits(),
    })
}
