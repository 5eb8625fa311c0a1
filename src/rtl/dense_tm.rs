//! Dense at reuse factor R > 1: the [`schedule`](crate::analysis::schedule) on shared
//! multipliers, accepting a new input every R cycles.
//!
//! Timing, in stages (register layers since the module input):
//! * stage 1: the input vector is held (registers loaded on `in_valid`); a cycle counter `cyc`
//!   runs 0 … R−1 after each input and `active` is high meanwhile.
//! * Latency strategy: in stage 1 each multiplier selects its input and its constant weight by
//!   `cyc` (a `case`), and multiplies. Resource strategy: the weights of all multipliers for
//!   cycle `cyc` are one word of a ROM read synchronously, so selection and multiplication move
//!   to stage 2.
//! * The products are registered; in the next stage each lane adds them to its running sum
//!   (starting from the bias or 0 at the first cycle of a segment) and, at a segment's last
//!   cycle, stores the sum in the segment's register.
//! * R cycles later all segment registers hold the input's sums; an adder tree adds the segments
//!   of each output, and the result is cast and registered as in the fully parallel layer.
//!
//! A segment register is overwritten by the next input no earlier than the edge at which the
//! adder tree has captured it, so inputs may arrive every R cycles.

use super::builder::{ModuleBuilder, Signal};
use super::cast::lower_cast;
use super::dense::{result, tree, Out, Sum, Term};
use super::netlist::*;
use super::timing::Timing;
use crate::analysis::accumulation::{bias_in_accum, AccumPlan};
use crate::analysis::interval::Interval;
use crate::analysis::schedule::{schedule, Product};
use crate::config::{MultiplierStyle, Strategy};
use crate::diag::Result;
use crate::golden::DenseKernel;
use std::collections::BTreeMap;

/// Operand width (bits) above which, on both operands, a multiplication is worth a DSP block
/// (7-series DSP48E1: 25 × 18).
pub const DSP_MIN_OPERAND_BITS: u32 = 10;

/// Combinational delay of a DSP48E1 multiply without its internal registers (ns, speed grade −1).
pub const DSP_MULTIPLY_NS: f64 = 3.4;

/// Whether a multiplier with operands of `a` and `b` bits goes to a DSP block.
pub fn uses_dsp(style: MultiplierStyle, a: u32, b: u32) -> bool {
    match style {
        MultiplierStyle::Dsp => true,
        MultiplierStyle::Lut => false,
        MultiplierStyle::Auto => a > DSP_MIN_OPERAND_BITS && b > DSP_MIN_OPERAND_BITS,
    }
}

fn bits_for(r: usize) -> u32 {
    (usize::BITS - (r - 1).leading_zeros()).max(1)
}

/// Lowers a layer with `settings.reuse_factor > 1`. `xs` are the input elements (stage 0).
pub fn lower(
    b: &mut ModuleBuilder,
    layer: &DenseKernel,
    xs: &[Signal],
    in_valid: NetId,
    timing: &Timing,
) -> Result<Vec<Out>> {
    let settings = layer.settings;
    let r = settings.reuse_factor;
    let p = layer.precision;
    let x_ty = layer.x_ty;
    let f_prod = x_ty.frac_bits() + p.weight.frac_bits();
    let f_acc = p.accum.frac_bits();
    let sched = schedule(layer.weights.view(), r, layer.plan);
    let segments = sched.segments();
    let b_acc: Vec<i128> = layer.bias.iter().map(|&v| bias_in_accum(v, &p)).collect();
    // Exact sums run at the products' fraction bits, or finer if a bias needs it.
    let fc = b_acc
        .iter()
        .filter(|&&v| v != 0)
        .map(|&v| f_acc - v.trailing_zeros() as i32)
        .fold(f_prod, i32::max);
    let cw = bits_for(r);

    // Stage 1: held inputs and the cycle counter.
    let mut held: BTreeMap<usize, Signal> = BTreeMap::new();
    for lane in &sched.lanes {
        for prod in lane.cycles.iter().flatten() {
            if let std::collections::btree_map::Entry::Vacant(e) = held.entry(prod.i) {
                let x = xs[prod.i];
                let h = b.reg_ctl(&format!("xh{}", prod.i), x.width, x.signed, 1);
                b.set_reg(h, x.net, Some(in_valid), None);
                let hs = b.as_signed(Signal { net: h, ..x }, &format!("xh{}_s", prod.i), 1)?;
                e.insert(hs);
            }
        }
    }
    let cyc = b.reg_ctl("cyc", cw, false, 1);
    let active = b.reg_ctl("active", 1, false, 1);
    let last = b.wire_raw(
        "cyc_last",
        1,
        false,
        Expr::Cmp(CmpOp::Eq, cyc, (r - 1) as i128),
        1,
    );
    let inc = b.wire_raw(
        "cyc_inc",
        cw,
        false,
        Expr::Add(Operand::Net(cyc), Operand::Const(1)),
        1,
    );
    let hold = b.wire_raw(
        "cyc_hold",
        cw,
        false,
        Expr::Mux(last, Operand::Net(cyc), Operand::Net(inc)),
        1,
    );
    let next = b.wire_raw(
        "cyc_next",
        cw,
        false,
        Expr::Mux(in_valid, Operand::Const(0), Operand::Net(hold)),
        1,
    );
    b.set_reg(cyc, next, None, Some((r - 1) as i128));
    let running = b.wire_raw("cyc_running", 1, false, Expr::Not(last), 1);
    let cont = b.wire_raw("active_cont", 1, false, Expr::And(vec![active, running]), 1);
    let active_next = b.wire_raw("active_next", 1, false, Expr::Or(vec![in_valid, cont]), 1);
    b.set_reg(active, active_next, None, Some(0));

    let prod_stage = match settings.strategy {
        Strategy::Resource => 2,
        _ => 1,
    };
    let acc_stage = prod_stage + 1;
    let (cyc_a, active_a) = delayed_control(b, cyc, active, cw, acc_stage);

    // Weights: per (lane, slot), the widest weight decides the multiplier's weight operand.
    let slot_items = |lane: &crate::analysis::schedule::Lane, t: usize| -> Vec<Option<Product>> {
        (0..r)
            .map(|k| lane.cycles.get(k).and_then(|c| c.get(t).copied()))
            .collect()
    };
    let weight_width = |items: &[Option<Product>]| {
        let lo = items
            .iter()
            .flatten()
            .map(|q| q.w)
            .min()
            .unwrap_or(0)
            .min(0);
        let hi = items
            .iter()
            .flatten()
            .map(|q| q.w)
            .max()
            .unwrap_or(0)
            .max(0);
        Interval { lo, hi }.signed_width()
    };
    let total_weight_bits: u32 = sched
        .lanes
        .iter()
        .flat_map(|lane| (0..lane.width).map(move |t| (lane, t)))
        .map(|(lane, t)| weight_width(&slot_items(lane, t)))
        .sum();
    // One word for all multipliers when it fits 128 bits; otherwise one ROM per multiplier.
    let rom = if settings.strategy == Strategy::Resource && (1..=128).contains(&total_weight_bits) {
        let mut words = vec![0u128; r];
        let mut offset = 0u32;
        for lane in &sched.lanes {
            for t in 0..lane.width {
                let items = slot_items(lane, t);
                let w = weight_width(&items);
                for (k, item) in items.iter().enumerate() {
                    if let Some(q) = item {
                        words[k] |= ((q.w as u128) & ((1u128 << w) - 1)) << offset;
                    }
                }
                offset += w;
            }
        }
        Some(b.rom(
            "wrom",
            offset,
            cyc,
            words.into_iter().map(|w| w as i128).collect(),
            1,
        ))
    } else {
        None
    };

    let mut sums: Vec<Vec<(Signal, Interval)>> = vec![Vec::new(); layer.n_out];
    let mut rom_offset = 0u32;
    for (l, (lane, segs)) in sched.lanes.iter().zip(&segments).enumerate() {
        // Products of this lane's slots, in `acc_stage`.
        let mut contributions = Vec::new();
        let mut ranges = Vec::new();
        for t in 0..lane.width {
            let items = slot_items(lane, t);
            let ww = weight_width(&items);
            let x_w = held.values().next().map_or(1, |s| s.width);
            let x_range = Interval::of_type(&x_ty);
            let p_range = items
                .iter()
                .flatten()
                .map(|q| x_range.scale(q.w).expect("verified widths fit"))
                .fold(Interval::point(0), |a, c| Interval {
                    lo: a.lo.min(c.lo),
                    hi: a.hi.max(c.hi),
                });
            let pw = p_range.signed_width();
            let name = format!("m{l}_{t}");
            let x_arms: Vec<(u64, Operand)> = items
                .iter()
                .enumerate()
                .filter_map(|(k, q)| q.map(|q| (k as u64, Operand::Net(held[&q.i].net))))
                .collect();
            let x_sel = b.wire_raw(
                &format!("{name}_x"),
                x_w,
                true,
                Expr::Case {
                    sel: cyc,
                    arms: x_arms,
                    default: Operand::Const(0),
                },
                1,
            );
            let w_sel = match rom {
                Some(rom) => {
                    let net = b.wire(
                        &format!("{name}_w"),
                        ww,
                        true,
                        Expr::Concat(vec![Part::Bits {
                            net: rom,
                            hi: rom_offset + ww - 1,
                            lo: rom_offset,
                        }]),
                        2,
                    )?;
                    rom_offset += ww;
                    net
                }
                None if settings.strategy == Strategy::Resource => {
                    lane_rom(b, &name, &items, ww, cyc)?
                }
                None => {
                    let arms = items
                        .iter()
                        .enumerate()
                        .filter_map(|(k, q)| q.map(|q| (k as u64, Operand::Const(q.w))))
                        .collect();
                    b.wire_raw(
                        &format!("{name}_w"),
                        ww,
                        true,
                        Expr::Case {
                            sel: cyc,
                            arms,
                            default: Operand::Const(0),
                        },
                        1,
                    )
                }
            };
            let xs_sig = Signal {
                net: x_sel,
                width: x_w,
                signed: true,
                frac: x_ty.frac_bits(),
            };
            let ws_sig = Signal {
                net: w_sel,
                width: ww,
                signed: true,
                frac: p.weight.frac_bits(),
            };
            let xe = b.resize(xs_sig, pw, &format!("{name}_xe"), prod_stage)?;
            let we = b.resize(ws_sig, pw, &format!("{name}_we"), prod_stage)?;
            let prod = b.wire(&name, pw, true, Expr::Mul(xe.net, we.net), prod_stage)?;
            let dsp = uses_dsp(settings.multiplier, x_w, ww);
            b.attr(prod, "use_dsp", if dsp { "yes" } else { "no" });
            // Selection (a LUT level) and the multiplier: a DSP48E1, or a LUT array of
            // ⌈log2 Ww⌉ + 1 adder levels.
            let mul_ns = if dsp {
                DSP_MULTIPLY_NS
            } else {
                (bits_for(ww as usize) + 1) as f64 * timing.adder_ns(pw)
            };
            b.stage_delay(timing.stage_ns(1, timing.model.lut_level_ns + mul_ns));
            let prod = Signal {
                net: prod,
                width: pw,
                signed: true,
                frac: f_prod,
            };
            let (c, range) = match layer.plan {
                AccumPlan::Exact => {
                    let s = (fc - f_prod) as u32;
                    let shifted = b.shift_left(prod, s, &format!("{name}_a"), acc_stage)?;
                    (
                        Signal {
                            frac: fc,
                            ..shifted
                        },
                        p_range.shl(s).expect("fits"),
                    )
                }
                _ => (
                    lower_cast(b, prod, &p.accum, &format!("{name}_c"), acc_stage)?,
                    Interval::of_type(&p.accum),
                ),
            };
            contributions.push(c);
            ranges.push(range);
        }

        // The lane's running sum.
        let init_of = |seg: &crate::analysis::schedule::Segment| -> i128 {
            if !seg.starts_output {
                return 0;
            }
            let v = b_acc[seg.output];
            match layer.plan {
                AccumPlan::Exact if fc >= f_acc => v << (fc - f_acc),
                AccumPlan::Exact => v >> (f_acc - fc),
                _ => v,
            }
        };
        let (aw, asigned, afrac) = match layer.plan {
            AccumPlan::Exact => {
                let mut width = 1;
                for seg in segs {
                    let mut sum = Interval::point(init_of(seg));
                    width = width.max(sum.signed_width());
                    for _ in seg.first_cycle..=seg.last_cycle {
                        sum = sum.add(ranges[0]).expect("fits");
                        width = width.max(sum.signed_width());
                    }
                }
                (width, true, fc)
            }
            _ => (p.accum.width, p.accum.signed, f_acc),
        };
        let acc = b.reg_ctl(&format!("acc{l}"), aw, asigned, acc_stage);
        let start_arms = segs
            .iter()
            .map(|s| (s.first_cycle as u64, Operand::Const(1)))
            .collect();
        let start = b.wire_raw(
            &format!("acc{l}_start"),
            1,
            false,
            Expr::Case {
                sel: cyc_a,
                arms: start_arms,
                default: Operand::Const(0),
            },
            acc_stage,
        );
        let init_arms = segs
            .iter()
            .map(|s| (s.first_cycle as u64, Operand::Const(init_of(s))))
            .collect();
        let init = b.wire_raw(
            &format!("acc{l}_init"),
            aw,
            asigned,
            Expr::Case {
                sel: cyc_a,
                arms: init_arms,
                default: Operand::Const(0),
            },
            acc_stage,
        );
        let acc_in = b.wire_raw(
            &format!("acc{l}_in"),
            aw,
            asigned,
            Expr::Mux(start, Operand::Net(init), Operand::Net(acc)),
            acc_stage,
        );
        let mut running = Signal {
            net: acc_in,
            width: aw,
            signed: asigned,
            frac: afrac,
        };
        for (t, c) in contributions.iter().enumerate() {
            running = match layer.plan {
                AccumPlan::Sequential => {
                    let w = p.accum.width + 1;
                    let a = b.resize(running, w, &format!("acc{l}_{t}_a"), acc_stage)?;
                    let cx = b.resize(*c, w, &format!("acc{l}_{t}_p"), acc_stage)?;
                    let sum = b.wire(
                        &format!("acc{l}_{t}_sum"),
                        w,
                        asigned,
                        Expr::Add(Operand::Net(a.net), Operand::Net(cx.net)),
                        acc_stage,
                    )?;
                    lower_cast(
                        b,
                        Signal {
                            net: sum,
                            width: w,
                            signed: asigned,
                            frac: afrac,
                        },
                        &p.accum,
                        &format!("acc{l}_{t}"),
                        acc_stage,
                    )?
                }
                _ => {
                    let cx = b.resize(*c, aw, &format!("acc{l}_p"), acc_stage)?;
                    let net = b.wire(
                        &format!("acc{l}_sum"),
                        aw,
                        asigned,
                        Expr::Add(Operand::Net(running.net), Operand::Net(cx.net)),
                        acc_stage,
                    )?;
                    Signal { net, ..running }
                }
            };
        }
        b.set_reg(acc, running.net, Some(active_a), None);
        let link = match layer.plan {
            AccumPlan::Sequential => lane.width as f64 * timing.cast_ns(p.accum.width + 1),
            _ => timing.adder_ns(aw),
        };
        b.stage_delay(timing.stage_ns(1, timing.model.lut_level_ns + link));

        // Segment results, final R cycles after the input.
        for seg in segs {
            let at_end = b.wire_raw(
                &format!("seg{l}_{}_end", seg.output),
                1,
                false,
                Expr::Cmp(CmpOp::Eq, cyc_a, seg.last_cycle as i128),
                acc_stage,
            );
            let en = b.wire_raw(
                &format!("seg{l}_{}_en", seg.output),
                1,
                false,
                Expr::And(vec![active_a, at_end]),
                acc_stage,
            );
            let reg = b.reg_ctl(
                &format!("seg{l}_{}", seg.output),
                aw,
                asigned,
                acc_stage + r as u32,
            );
            b.set_reg(reg, running.net, Some(en), None);
            let mut range = Interval::point(init_of(seg));
            for _ in seg.first_cycle..=seg.last_cycle {
                range = range.add(ranges[0]).expect("fits");
            }
            if layer.plan != AccumPlan::Exact {
                range = Interval::of_type(&p.accum);
            }
            sums[seg.output].push((
                Signal {
                    net: reg,
                    width: aw,
                    signed: asigned,
                    frac: afrac,
                },
                range,
            ));
        }
    }

    let done = acc_stage + r as u32;
    (0..layer.n_out)
        .map(|j| {
            let sum = match sums[j].as_slice() {
                [] => Sum::Const(b_acc[j], f_acc),
                [(s, _)] => Sum::Sig(*s),
                parts => {
                    let terms = parts
                        .iter()
                        .map(|&(sig, range)| Term::Net { sig, range })
                        .collect();
                    let root = match layer.plan {
                        AccumPlan::Exact => tree(
                            b,
                            j,
                            terms,
                            done,
                            &|range| (range.signed_width(), true),
                            timing,
                        )?,
                        _ => tree(
                            b,
                            j,
                            terms,
                            done,
                            &|_| (p.accum.width, p.accum.signed),
                            timing,
                        )?,
                    };
                    match root {
                        Term::Net { sig, .. } => Sum::Sig(sig),
                        Term::Const(c) => Sum::Const(c, afrac_of(layer.plan, fc, f_acc)),
                    }
                }
            };
            result(b, sum, j, layer)
        })
        .collect()
}

fn afrac_of(plan: AccumPlan, fc: i32, f_acc: i32) -> i32 {
    if plan == AccumPlan::Exact {
        fc
    } else {
        f_acc
    }
}

/// `cyc` and `active` as seen in `stage` (registers from stage 1; `active` resets to 0).
fn delayed_control(
    b: &mut ModuleBuilder,
    cyc: NetId,
    active: NetId,
    cw: u32,
    stage: u32,
) -> (NetId, NetId) {
    let (mut c, mut a) = (cyc, active);
    for s in 2..=stage {
        let nc = b.reg_ctl(&format!("cyc_d{s}"), cw, false, s);
        b.set_reg(nc, c, None, None);
        let na = b.reg_ctl(&format!("active_d{s}"), 1, false, s);
        b.set_reg(na, a, None, Some(0));
        (c, a) = (nc, na);
    }
    (c, a)
}

/// A per-multiplier weight ROM (Resource strategy when one word for all multipliers would be
/// wider than 128 bits).
fn lane_rom(
    b: &mut ModuleBuilder,
    name: &str,
    items: &[Option<Product>],
    width: u32,
    cyc: NetId,
) -> Result<NetId> {
    let words = items
        .iter()
        .map(|q| q.map_or(0, |q| q.w & ((1i128 << width) - 1)))
        .collect();
    let rom = b.rom(&format!("{name}_rom"), width, cyc, words, 1);
    b.wire(
        &format!("{name}_w"),
        width,
        true,
        Expr::Copy(Operand::Net(rom)),
        2,
    )
}
