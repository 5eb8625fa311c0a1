//! Resource estimates for a 7-series part, counted from a module's netlist.
//!
//! The rules, per netlist element:
//! * register bits: one flip-flop each, except a product of a DSP-mapped multiplier registered
//!   as it is (the DSP48E1's M register holds it); the valid pipeline's `DEPTH` flip-flops;
//! * W-bit adder or subtractor: W LUTs and ⌈W/4⌉ CARRY4;
//! * constant multiplier (shift-add): (CSD digits − 1) adders of the product width;
//! * general multiplier marked `use_dsp = "yes"`: ⌈A/25⌉·⌈B/18⌉ DSP48E1 for A ≥ B operand bits;
//!   otherwise a LUT array of about A·B/2 LUTs;
//! * `case` selection among n distinct values (the default counts when some selector value has
//!   no arm): W·⌈n/4⌉ LUTs; among constants only, a function of the S selector bits: W·⌈2^S/64⌉
//!   LUTs; 2:1 mux: ⌈W/2⌉ LUTs; comparison with a constant: ⌈W/3⌉ LUTs; single-bit logic: 1 LUT;
//! * ROM of D words × W bits: ⌈D·W / 18 Kib⌉ RAMB18 when D ≥ 512, otherwise LUTs, W·⌈D/64⌉
//!   (64 × 1 per LUT6), as Yosys maps them;
//! * combinational nets computing the same expression of the same nets are counted once, as
//!   synthesis merges them.

use super::dense::csd_digits;
use super::netlist::*;
use serde::Serialize;
use std::collections::HashSet;

/// What a layer is made of and what it should cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Estimate {
    pub multipliers: u64,
    pub adders: u64,
    pub register_bits: u64,
    pub weight_memory_bits: u64,
    pub luts: u64,
    pub ffs: u64,
    pub carry4: u64,
    pub dsps: u64,
    pub bram18: u64,
}

impl std::ops::AddAssign for Estimate {
    fn add_assign(&mut self, o: Self) {
        self.multipliers += o.multipliers;
        self.adders += o.adders;
        self.register_bits += o.register_bits;
        self.weight_memory_bits += o.weight_memory_bits;
        self.luts += o.luts;
        self.ffs += o.ffs;
        self.carry4 += o.carry4;
        self.dsps += o.dsps;
        self.bram18 += o.bram18;
    }
}

/// The width a net carried before sign or zero extension.
fn significant_width(m: &Module, id: NetId) -> u32 {
    let net = m.net(id);
    match &net.def {
        Def::Wire(Expr::Concat(parts)) => match parts.as_slice() {
            [Part::Repeat { .. } | Part::Fill { .. }, Part::Bits { net, .. }] => {
                significant_width(m, *net)
            }
            _ => net.width,
        },
        _ => net.width,
    }
}

fn adder(width: u32) -> Estimate {
    Estimate {
        adders: 1,
        luts: width as u64,
        carry4: width.div_ceil(4) as u64,
        ..Estimate::default()
    }
}

/// Whether `id` is a multiplication mapped to a DSP block.
fn is_dsp_product(m: &Module, id: NetId) -> bool {
    let net = m.net(id);
    matches!(net.def, Def::Wire(Expr::Mul(..)))
        && net.attrs.iter().any(|(k, v)| k == "use_dsp" && v == "yes")
}

/// LUTs of a `case` of `width` bits.
fn case_luts(m: &Module, width: u64, sel: NetId, arms: &[(u64, Operand)], default: Operand) -> u64 {
    let sel_bits = m.net(sel).width;
    let mut values: HashSet<Operand> = arms.iter().map(|(_, v)| *v).collect();
    if (arms.len() as u64) < 1u64 << sel_bits.min(63) {
        values.insert(default);
    }
    if values.iter().all(|v| matches!(v, Operand::Const(_))) {
        width * (1u64 << sel_bits.min(63)).div_ceil(64)
    } else {
        width * (values.len() as u64).div_ceil(4)
    }
}

pub fn estimate(m: &Module) -> Estimate {
    let mut e = Estimate::default();
    let mut seen: HashSet<(&Expr, u32, bool)> = HashSet::new();
    for net in &m.nets {
        let w = net.width as u64;
        match &net.def {
            Def::Input | Def::Instance => {}
            Def::Reg(d) if is_dsp_product(m, *d) => {
                e.register_bits += w;
            }
            Def::Reg(_) | Def::RegCtl { .. } => {
                e.register_bits += w;
                e.ffs += w;
            }
            Def::Rom { words, addr } => {
                let depth = 1u64 << m.net(*addr).width;
                let bits = words.len() as u64 * w;
                e.weight_memory_bits += bits;
                e.ffs += w;
                e.register_bits += w;
                if depth >= 512 {
                    e.bram18 += bits.div_ceil(18 * 1024).max(1);
                } else {
                    e.luts += w * depth.div_ceil(64);
                }
            }
            Def::Wire(expr) if !seen.insert((expr, net.width, net.signed)) => {}
            Def::Wire(expr) => match expr {
                Expr::Add(..) | Expr::Sub(..) => e += adder(net.width),
                Expr::MulConst(_, c) => {
                    e.multipliers += 1;
                    for _ in 1..csd_digits(*c) {
                        e += adder(net.width);
                    }
                }
                Expr::Mul(a, b) => {
                    e.multipliers += 1;
                    let (x, y) = (significant_width(m, *a), significant_width(m, *b));
                    let (big, small) = (x.max(y) as u64, x.min(y) as u64);
                    if net.attrs.iter().any(|(k, v)| k == "use_dsp" && v == "yes") {
                        e.dsps += big.div_ceil(25) * small.div_ceil(18);
                    } else {
                        e.luts += (big * small).div_ceil(2);
                        e.carry4 += (big * small).div_ceil(8);
                    }
                }
                Expr::Case { sel, arms, default } => {
                    e.luts += case_luts(m, w, *sel, arms, *default)
                }
                Expr::Mux(..) => e.luts += w.div_ceil(2),
                Expr::Cmp(_, n, _) => e.luts += (m.net(*n).width as u64).div_ceil(3),
                Expr::And(_) | Expr::Or(_) | Expr::Not(_) => e.luts += 1,
                Expr::ReduceOr { hi, lo, .. } => e.luts += ((hi - lo + 1) as u64).div_ceil(6),
                Expr::Copy(_) | Expr::Concat(_) => {}
            },
        }
    }
    for inst in &m.instances {
        if inst.module == "rtlgen_valid_pipe" {
            let depth = inst
                .params
                .iter()
                .find(|(k, _)| k == "DEPTH")
                .map_or(0, |(_, v)| *v);
            e.ffs += depth;
            e.register_bits += depth;
        }
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtl::builder::ModuleBuilder;

    #[test]
    fn counts_adders_registers_and_constant_multipliers() {
        let mut b = ModuleBuilder::new("t");
        let x = b.input("x", 8);
        let s = b
            .wire(
                "s",
                9,
                true,
                Expr::Add(Operand::Net(x), Operand::Const(3)),
                0,
            )
            .unwrap();
        // 7 = 8 − 1: two CSD digits, one adder.
        let p = b.wire("p", 12, true, Expr::MulConst(s, 7), 0).unwrap();
        let r = b.at(p, 1).unwrap();
        b.output(r);
        let e = estimate(&b.m);
        assert_eq!((e.adders, e.multipliers, e.register_bits), (2, 1, 12));
        assert_eq!(e.luts, 9 + 12);
        assert_eq!(e.carry4, 3 + 3);
    }
}
