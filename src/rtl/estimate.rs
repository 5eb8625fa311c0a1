//! Resource estimates for the target's family, counted from a module's netlist. With k-input
//! LUTs (6 on xc7, 4 on ecp5 and ice40), carry cells of c bits (4, 2, 1) and DSP blocks of
//! A₀ × B₀ (25 × 18 on xc7, 18 × 18 on ecp5, none on ice40), the rules per netlist element are:
//! * register bits: one flip-flop each, except a product of a DSP-mapped multiplier registered
//!   as it is, a ROM word read straight into one (the DSP block's registers hold them) and the
//!   word of a ROM in block RAM (its output register); the valid pipeline's `DEPTH` flip-flops;
//! * W-bit adder or subtractor: W LUTs and ⌈W/c⌉ carry cells, except the first addition of each
//!   registered DSP product taken whole, which the DSP block's post-adder performs;
//! * constant multiplier (shift-add): (CSD digits − 1) adders of the product width;
//! * general multiplier marked `use_dsp = "yes"`: ⌈A/A₀⌉·⌈B/B₀⌉ DSP blocks for A ≥ B operand
//!   bits; otherwise a LUT array of about A·B/2 LUTs (A·B with 4-input LUTs);
//! * `case` selection among n distinct values (the default counts when some selector value has
//!   no arm): W·⌈n/(k−2)⌉ LUTs; among constants only, a function of the S selector bits:
//!   W·⌈2^S/2^k⌉ LUTs; 2:1 mux: ⌈W/2⌉ LUTs (W with 4-input LUTs); comparison with a constant:
//!   ⌈W/(k/2)⌉ LUTs; single-bit logic: 1 LUT;
//! * ROM of D words × W bits (weights, activation tables): block RAMs for the bits when
//!   D ≥ 512, otherwise LUTs, W·⌈D/2^k⌉, as Yosys maps them;
//! * nets computing the same expression of equal nets, and registers of equal nets, are counted
//!   once, as synthesis merges them.

use super::dense::csd_digits;
use super::netlist::*;
use crate::family::Family;
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
    /// Carry cells: CARRY4 (xc7), CCU2C (ecp5), SB_CARRY (ice40).
    pub carry: u64,
    pub dsps: u64,
    /// Block RAMs: RAMB18 (xc7), DP16KD (ecp5), SB_RAM40_4K (ice40).
    pub bram: u64,
}

impl std::ops::AddAssign for Estimate {
    fn add_assign(&mut self, o: Self) {
        self.multipliers += o.multipliers;
        self.adders += o.adders;
        self.register_bits += o.register_bits;
        self.weight_memory_bits += o.weight_memory_bits;
        self.luts += o.luts;
        self.ffs += o.ffs;
        self.carry += o.carry;
        self.dsps += o.dsps;
        self.bram += o.bram;
    }
}

/// A FIFO (`fifo`) or delay line of `depth` words of `width` bits, as the primitives are
/// written and Yosys maps them, plus the pointers or occupancy count and their logic:
/// * one or two words: registers (a FIFO also muxes its head);
/// * a FIFO of up to 16 words is a shift register read at its head: SRL16Es on xc7 (one LUT
///   per bit), elsewhere registers and a head multiplexer;
/// * otherwise a memory: block RAM from 256 words, and on ice40 always (it has no LUT RAM);
///   below that distributed RAM, 64 × 3 bits per 4 LUTs on xc7 (RAM64M) and 16 × 2 bits per
///   2 LUTs on ecp5 (TRELLIS_DPR16X4). A delay line's read is registered.
fn primitive_memory(width: u64, depth: u64, fifo: bool, family: Family) -> Estimate {
    let k = family.lut_inputs() as u64;
    let pointer = 64 - depth.max(1).leading_zeros() as u64;
    let control_bits = (1 + fifo as u64) * pointer + 1;
    let mut e = Estimate {
        luts: 2 * pointer + 2,
        ffs: control_bits,
        register_bits: control_bits,
        ..Estimate::default()
    };
    let registers = |e: &mut Estimate, bits: u64| {
        e.ffs += bits;
        e.register_bits += bits;
    };
    if depth <= 2 || (fifo && depth <= 16 && family != Family::Xc7) {
        registers(&mut e, width * depth);
        if fifo {
            e.luts += width * (depth - 1).div_ceil(k - 2);
        }
        return e;
    }
    if fifo && depth <= 16 {
        e.luts += width;
        return e;
    }
    if depth >= 256 || family == Family::Ice40 {
        e.bram += (width * depth).div_ceil(family.bram_bits());
    } else {
        let (words, bits_per_cell, luts_per_cell) = match family {
            Family::Xc7 => (64, 3, 4),
            _ => (16, 2, 2),
        };
        e.luts += depth.div_ceil(words) * width.div_ceil(bits_per_cell) * luts_per_cell;
    }
    if !fifo {
        registers(&mut e, width);
    }
    e
}

/// The net `id` extends by sign or zeros (or `id`).
fn unextended(m: &Module, id: NetId) -> NetId {
    match &m.net(id).def {
        Def::Wire(Expr::Concat(parts)) => match parts.as_slice() {
            [Part::Repeat { .. } | Part::Fill { .. }, Part::Bits { net, .. }] => {
                unextended(m, *net)
            }
            _ => id,
        },
        _ => id,
    }
}

/// The width a net carried before sign or zero extension.
fn significant_width(m: &Module, id: NetId) -> u32 {
    m.net(unextended(m, id)).width
}

/// The net whose bits `id` carries, looking through extension, copies and bit slices.
fn source(m: &Module, id: NetId) -> NetId {
    let id = unextended(m, id);
    match &m.net(id).def {
        Def::Wire(Expr::Concat(parts)) => match parts.as_slice() {
            [Part::Bits { net, .. }] => source(m, *net),
            _ => id,
        },
        Def::Wire(Expr::Copy(Operand::Net(n))) => source(m, *n),
        _ => id,
    }
}

/// The register `id` carries (through sign or zero extension) if it holds a DSP product.
fn registered_dsp_product(m: &Module, id: NetId) -> Option<NetId> {
    let id = unextended(m, id);
    match m.net(id).def {
        Def::Reg(d) if is_dsp_product(m, d) => Some(id),
        _ => None,
    }
}

/// ROMs read straight into a DSP-mapped multiplier: the DSP block's input register holds the
/// word, so they cost no flip-flops.
fn roms_feeding_dsps(m: &Module) -> HashSet<NetId> {
    (0..m.nets.len())
        .map(NetId)
        .filter(|&id| is_dsp_product(m, id))
        .flat_map(|id| match m.net(id).def {
            Def::Wire(Expr::Mul(a, b)) => [source(m, a), source(m, b)],
            _ => unreachable!("a DSP product is a multiplication"),
        })
        .filter(|&id| matches!(m.net(id).def, Def::Rom { .. }))
        .collect()
}

fn adder(width: u32, family: Family) -> Estimate {
    Estimate {
        adders: 1,
        luts: width as u64,
        carry: width.div_ceil(family.carry_bits()) as u64,
        ..Estimate::default()
    }
}

/// Whether `id` is a multiplication mapped to a DSP block.
fn is_dsp_product(m: &Module, id: NetId) -> bool {
    let net = m.net(id);
    matches!(net.def, Def::Wire(Expr::Mul(..)))
        && net.attrs.iter().any(|(k, v)| k == "use_dsp" && v == "yes")
}

/// LUTs of an `a` × `b` multiplier built from LUTs.
pub fn lut_multiplier(a: u64, b: u64, family: Family) -> u64 {
    (a * b * 2).div_ceil(family.lut_inputs() as u64 - 2)
}

/// Inputs one LUT selects among in a `case`.
pub fn case_inputs_per_lut(family: Family) -> u64 {
    family.lut_inputs() as u64 - 2
}

/// LUTs of a `case` of `width` bits.
fn case_luts(
    m: &Module,
    family: Family,
    width: u64,
    sel: NetId,
    arms: &[(u64, Operand)],
    default: Operand,
) -> u64 {
    let k = family.lut_inputs();
    let sel_bits = m.net(sel).width;
    let mut values: HashSet<Operand> = arms.iter().map(|(_, v)| *v).collect();
    if (arms.len() as u64) < 1u64 << sel_bits.min(63) {
        values.insert(default);
    }
    if values.iter().all(|v| matches!(v, Operand::Const(_))) {
        width * (1u64 << sel_bits.min(63)).div_ceil(1 << k)
    } else {
        width * (values.len() as u64).div_ceil(case_inputs_per_lut(family))
    }
}

/// What a net computes, with operands replaced by their first equal net.
#[derive(PartialEq, Eq, Hash)]
enum Structure {
    Wire(Expr, u32, bool),
    Reg(NetId, u32),
}

/// Which nets repeat an earlier net: the same expression, or a register of the same net, over
/// operands that are themselves equal (synthesis merges them, as Yosys' `opt_merge`).
fn duplicates(m: &Module) -> Vec<bool> {
    let mut first: Vec<NetId> = (0..m.nets.len()).map(NetId).collect();
    let mut seen: std::collections::HashMap<Structure, NetId> = Default::default();
    let mut dup = vec![false; m.nets.len()];
    for (id, net) in m.nets.iter().enumerate() {
        let key = match &net.def {
            Def::Wire(expr) => {
                let canonical = expr
                    .clone()
                    .try_map_nets::<std::convert::Infallible>(&mut |n| Ok(first[n.0]))
                    .unwrap_or_else(|never| match never {});
                Structure::Wire(canonical, net.width, net.signed)
            }
            Def::Reg(d) => Structure::Reg(first[d.0], net.width),
            _ => continue,
        };
        match seen.get(&key) {
            Some(&earlier) => {
                first[id] = earlier;
                dup[id] = true;
            }
            None => {
                seen.insert(key, NetId(id));
            }
        }
    }
    dup
}

pub fn estimate(m: &Module, family: Family) -> Estimate {
    let k = family.lut_inputs() as u64;
    let mut e = Estimate::default();
    let dup = duplicates(m);
    let dsp_roms = roms_feeding_dsps(m);
    let mut post_added: HashSet<NetId> = HashSet::new();
    for (id, net) in m.nets.iter().enumerate() {
        let w = net.width as u64;
        match &net.def {
            Def::Input | Def::Instance => {}
            Def::Wire(_) if dup[id] => {}
            Def::Reg(_) if dup[id] => e.register_bits += w,
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
                e.register_bits += w;
                if depth < 512 && !dsp_roms.contains(&NetId(id)) {
                    e.ffs += w;
                }
                if depth >= 512 {
                    e.bram += bits.div_ceil(family.bram_bits()).max(1);
                } else {
                    e.luts += w * depth.div_ceil(1 << k);
                }
            }
            Def::Wire(expr) => match expr {
                Expr::Add(a, b) => {
                    let product = [a, b].into_iter().find_map(|o| match o {
                        Operand::Net(n) => registered_dsp_product(m, *n),
                        Operand::Const(_) => None,
                    });
                    match product {
                        Some(p) if post_added.insert(p) => e.adders += 1,
                        _ => e += adder(net.width, family),
                    }
                }
                Expr::Sub(..) => e += adder(net.width, family),
                Expr::MulConst(_, c) => {
                    e.multipliers += 1;
                    for _ in 1..csd_digits(*c) {
                        e += adder(net.width, family);
                    }
                }
                Expr::Mul(a, b) => {
                    e.multipliers += 1;
                    let (x, y) = (significant_width(m, *a), significant_width(m, *b));
                    let (big, small) = (x.max(y) as u64, x.min(y) as u64);
                    let dsp = family
                        .dsp()
                        .filter(|_| net.attrs.iter().any(|(k, v)| k == "use_dsp" && v == "yes"));
                    match dsp {
                        Some(d) => {
                            e.dsps +=
                                big.div_ceil(d.a_bits as u64) * small.div_ceil(d.b_bits as u64)
                        }
                        None => {
                            e.luts += lut_multiplier(big, small, family);
                            e.carry += (big * small).div_ceil(2 * family.carry_bits() as u64);
                        }
                    }
                }
                Expr::Case { sel, arms, default } => {
                    e.luts += case_luts(m, family, w, *sel, arms, *default)
                }
                Expr::Mux(..) => e.luts += w.div_ceil(k / 2 - 1),
                Expr::Cmp(_, n, _) => e.luts += (m.net(*n).width as u64).div_ceil(k / 2),
                Expr::And(_) | Expr::Or(_) => e.luts += 1,
                // An inverter folds into the LUT that reads it.
                Expr::Not(_) => {}
                Expr::ReduceOr { hi, lo, .. } => e.luts += ((hi - lo + 1) as u64).div_ceil(k),
                Expr::Copy(_) | Expr::Concat(_) => {}
            },
        }
    }
    for inst in &m.instances {
        let param = |name: &str| {
            inst.params
                .iter()
                .find(|(k, _)| k == name)
                .map_or(0, |(_, v)| *v)
        };
        let (width, depth) = (param("WIDTH"), param("DEPTH"));
        match inst.module.as_str() {
            "rtlgen_valid_pipe" => {
                e.ffs += depth;
                e.register_bits += depth;
            }
            "rtlgen_fifo" => e += primitive_memory(width, depth, true, family),
            "rtlgen_delay_line" => e += primitive_memory(width, depth, false, family),
            _ => {}
        }
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtl::builder::ModuleBuilder;

    #[test]
    fn fifos_and_delay_lines_are_counted_as_yosys_maps_them() {
        let small_fifo = primitive_memory(24, 16, true, Family::Xc7);
        assert_eq!(
            small_fifo.luts,
            24 + 2 * 5 + 2,
            "SRL16Es, one per bit, and the count"
        );
        assert_eq!(small_fifo.bram, 0);
        let line = primitive_memory(16, 100, false, Family::Xc7);
        assert_eq!(
            line.luts,
            2 * 6 * 4 + 2 * 7 + 2,
            "two RAM64M columns of six"
        );
        assert_eq!(line.ffs, 16 + 7 + 1, "the registered read and the pointer");
        let long = primitive_memory(16, 300, false, Family::Xc7);
        assert_eq!(long.bram, 1);
        assert_eq!(primitive_memory(8, 20, true, Family::Ice40).bram, 1);
        let ecp5_fifo = primitive_memory(8, 4, true, Family::Ecp5);
        assert_eq!(
            ecp5_fifo.ffs,
            8 * 4 + 2 * 3 + 1,
            "registers where there are no SRLs"
        );
    }

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
        let e = estimate(&b.m, Family::Xc7);
        assert_eq!((e.adders, e.multipliers, e.register_bits), (2, 1, 12));
        assert_eq!(e.luts, 9 + 12);
        assert_eq!(e.carry, 3 + 3);
        let e = estimate(&b.m, Family::Ice40);
        assert_eq!(e.carry, 9 + 12, "one SB_CARRY per bit");
    }

    #[test]
    fn equal_selections_and_their_registers_count_once() {
        let mut b = ModuleBuilder::new("t");
        let sel = b.input("sel", 2);
        let x: Vec<NetId> = (0..3).map(|i| b.input(&format!("x{i}"), 8)).collect();
        let case = |b: &mut ModuleBuilder, name: &str| {
            let arms = x
                .iter()
                .enumerate()
                .map(|(k, &n)| (k as u64, Operand::Net(n)))
                .collect();
            let default = Operand::Const(0);
            let net = b.wire_raw(name, 8, false, Expr::Case { sel, arms, default }, 0);
            b.at(net, 1).unwrap()
        };
        let (r0, r1) = (case(&mut b, "m0"), case(&mut b, "m1"));
        b.output(r0);
        b.output(r1);
        let e = estimate(&b.m, Family::Xc7);
        // One 8-bit selection among x0, x1, x2 and the default 0: 8 · ⌈4/4⌉ LUTs; one register.
        assert_eq!((e.luts, e.ffs), (8, 8));
        assert_eq!(e.register_bits, 16, "both registers exist in the RTL");
    }
}
