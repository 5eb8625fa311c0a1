//! Dense at reuse factor R > 1: the [`schedule`](crate::analysis::schedule) on shared
//! multipliers, accepting a new input every R cycles.
//!
//! Timing, in stages (register layers since the module input):
//! * stage 1: the input vector is held (registers loaded on `in_valid`); a cycle counter `cyc`
//!   runs 0 … R−1 after each input and `active` is high meanwhile.
//! * Products. Latency strategy: in stage 1 each multiplier selects its input and its constant
//!   weight by `cyc` (a `case`) and multiplies; a shifter slot (all its weights ±2^k) selects
//!   the input shifted, or negated and shifted, and needs no multiplier. Resource strategy: the
//!   weights of all multipliers for cycle `cyc` are one word of a ROM read synchronously, so
//!   selection and multiplication move to stage 2.
//! * Accumulation, from the registered products:
//!   - Exact and Wrap plans: the lanes that work on a single output (*owned* lanes) are summed
//!     each cycle by an adder tree into that output's one accumulator, which starts from the
//!     bias at cycle 0. A lane shared by several outputs keeps a running sum of its own and
//!     stores every segment but its last in a segment register at the segment's end.
//!   - Sequential plan: each output's lane chains its products through hls4ml's
//!     cast-after-every-add, starting from the bias.
//! * An accumulator holds its final value from R cycles after its first cycle until the next
//!   input's first cycle, and a segment register until the next input's same segment ends. In
//!   that window an adder tree adds each output's accumulator and segments (the tree captures
//!   them at the window's last edge at the latest), and the result is cast and registered as in
//!   the fully parallel layer. So inputs may arrive every R cycles.

use super::builder::{ModuleBuilder, Signal};
use super::cast::lower_cast;
use super::dense::{result, tree, Out, Sum, Term};
use super::estimate;
use super::netlist::*;
use super::timing::Timing;
use crate::analysis::accumulation::{bias_in_accum, AccumPlan};
use crate::analysis::interval::Interval;
use crate::analysis::schedule::{schedule, LayoutCosts, Product, Schedule, Segment};
use crate::config::Strategy;
use crate::diag::Result;
use crate::family::Family;
use crate::golden::DenseKernel;
use std::collections::{BTreeMap, BTreeSet};

fn bits_for(r: usize) -> u32 {
    (usize::BITS - (r - 1).leading_zeros()).max(1)
}

/// The schedule the layer is lowered with on `family` (shifters only in the Latency strategy).
pub fn layer_schedule(layer: &DenseKernel, family: Family) -> Schedule {
    let (x_bits, w_bits) = (layer.x_ty.width, layer.precision.weight.width);
    let multiplier = match family.dsp() {
        Some(dsp) if family.uses_dsp(layer.settings.multiplier, x_bits, w_bits) => {
            dsp.lut_equivalent
        }
        _ => estimate::lut_multiplier(x_bits as u64, w_bits as u64, family),
    };
    let costs = LayoutCosts {
        multiplier,
        input_bits: x_bits as u64,
        inputs_per_lut: estimate::case_inputs_per_lut(family),
    };
    schedule(
        layer.weights.view(),
        layer.settings.reuse_factor,
        layer.plan,
        layer.settings.strategy == Strategy::Latency,
        &costs,
    )
}

/// Facts about the layer every part of the lowering needs.
struct Layout<'a> {
    layer: &'a DenseKernel,
    r: usize,
    /// Fraction bits of a product.
    f_prod: i32,
    /// Fraction bits of the accumulator type.
    f_acc: i32,
    /// Fraction bits of exact sums: the products', or finer if a bias needs it.
    fc: i32,
    /// Biases cast into the accumulator type (at `f_acc`).
    b_acc: Vec<i128>,
    prod_stage: u32,
    acc_stage: u32,
}

impl<'a> Layout<'a> {
    fn new(layer: &'a DenseKernel) -> Self {
        let p = &layer.precision;
        let f_prod = layer.x_ty.frac_bits() + p.weight.frac_bits();
        let f_acc = p.accum.frac_bits();
        let b_acc: Vec<i128> = layer.bias.iter().map(|&v| bias_in_accum(v, p)).collect();
        let fc = b_acc
            .iter()
            .filter(|&&v| v != 0)
            .map(|&v| f_acc - v.trailing_zeros() as i32)
            .fold(f_prod, i32::max);
        let prod_stage = match layer.settings.strategy {
            Strategy::Resource => 2,
            _ => 1,
        };
        Layout {
            layer,
            r: layer.settings.reuse_factor,
            f_prod,
            f_acc,
            fc,
            b_acc,
            prod_stage,
            acc_stage: prod_stage + 1,
        }
    }

    /// The bias of output `j` at the accumulators' scale.
    fn bias(&self, j: usize) -> i128 {
        let v = self.b_acc[j];
        match self.layer.plan {
            AccumPlan::Exact if self.fc >= self.f_acc => v << (self.fc - self.f_acc),
            AccumPlan::Exact => v >> (self.f_acc - self.fc),
            _ => v,
        }
    }

    /// Fraction bits of accumulators and sums.
    fn sum_frac(&self) -> i32 {
        match self.layer.plan {
            AccumPlan::Exact => self.fc,
            _ => self.f_acc,
        }
    }

    /// Width and signedness of a sum whose exact values lie in `range`.
    fn sum_shape(&self, range: Interval) -> (u32, bool) {
        match self.layer.plan {
            AccumPlan::Exact => (range.signed_width(), true),
            _ => (
                self.layer.precision.accum.width,
                self.layer.precision.accum.signed,
            ),
        }
    }

    /// The interval a sum's bits are read in: exact, or the accumulator type's.
    fn sum_range(&self, exact: Interval) -> Interval {
        match self.layer.plan {
            AccumPlan::Exact => exact,
            _ => Interval::of_type(&self.layer.precision.accum),
        }
    }
}

/// The cycle counter and `active` flag of stage 1, and their delayed copies for later stages.
struct Control {
    width: u32,
    cyc: Vec<NetId>,
    active: Vec<NetId>,
    first: BTreeMap<u32, NetId>,
}

impl Control {
    fn new(b: &mut ModuleBuilder, in_valid: NetId, r: usize) -> Self {
        let cw = bits_for(r);
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
        Control {
            width: cw,
            cyc: vec![cyc],
            active: vec![active],
            first: BTreeMap::new(),
        }
    }

    /// `(cyc, active)` as seen in `stage` ≥ 1.
    fn at(&mut self, b: &mut ModuleBuilder, stage: u32) -> (NetId, NetId) {
        while self.cyc.len() < stage as usize {
            let s = self.cyc.len() as u32 + 1;
            let (c, a) = (self.cyc[s as usize - 2], self.active[s as usize - 2]);
            let nc = b.reg_ctl(&format!("cyc_d{s}"), self.width, false, s);
            b.set_reg(nc, c, None, None);
            let na = b.reg_ctl(&format!("active_d{s}"), 1, false, s);
            b.set_reg(na, a, None, Some(0));
            self.cyc.push(nc);
            self.active.push(na);
        }
        (
            self.cyc[stage as usize - 1],
            self.active[stage as usize - 1],
        )
    }

    /// `cyc == 0` as seen in `stage`.
    fn first_cycle(&mut self, b: &mut ModuleBuilder, stage: u32) -> NetId {
        if let Some(&n) = self.first.get(&stage) {
            return n;
        }
        let (cyc, _) = self.at(b, stage);
        let n = b.wire_raw(
            &format!("cyc_first_d{stage}"),
            1,
            false,
            Expr::Cmp(CmpOp::Eq, cyc, 0),
            stage,
        );
        self.first.insert(stage, n);
        n
    }
}

/// Lowers a layer with `settings.reuse_factor > 1`. `xs` are the input elements (stage 0).
pub fn lower(
    b: &mut ModuleBuilder,
    layer: &DenseKernel,
    xs: &[Signal],
    in_valid: NetId,
    timing: &Timing,
) -> Result<Vec<Out>> {
    let lay = Layout::new(layer);
    let sched = layer_schedule(layer, timing.family);
    let mut ctl = Control::new(b, in_valid, lay.r);
    let mut inputs = InputSelections {
        held: hold_inputs(b, &sched, xs, in_valid)?,
        shared: BTreeMap::new(),
    };
    let mut weights = WeightSource::new(b, &lay, &sched, ctl.cyc[0]);

    let mut contributions: Vec<Vec<Contribution>> = Vec::new();
    for (l, lane) in sched.lanes.iter().enumerate() {
        let mut slots = Vec::new();
        for t in 0..lane.width {
            let name = format!("m{l}_{t}");
            let (prod, range) = if sched.is_shifter(lane, t) {
                shifter(
                    b,
                    &lay,
                    &inputs.held,
                    &sched.slot(lane, t),
                    &name,
                    ctl.cyc[0],
                    timing,
                )?
            } else {
                multiplier(
                    b,
                    &lay,
                    &mut inputs,
                    &sched.slot(lane, t),
                    &name,
                    ctl.cyc[0],
                    &mut weights,
                    timing,
                )?
            };
            slots.push(contribution(b, &lay, prod, range, &name)?);
        }
        contributions.push(slots);
    }

    // What each output's final tree adds.
    let mut parts: Vec<Vec<Term>> = vec![Vec::new(); layer.n_out];
    let segments = sched.segments();
    let mut owned: BTreeMap<usize, Vec<(usize, Contribution)>> = BTreeMap::new();
    let mut shared = Vec::new();
    for (l, ((lane, segs), slots)) in sched
        .lanes
        .iter()
        .zip(&segments)
        .zip(contributions)
        .enumerate()
    {
        if layer.plan != AccumPlan::Sequential && segs.len() == 1 {
            let cycles = lane.cycles.len();
            owned
                .entry(segs[0].output)
                .or_default()
                .extend(slots.into_iter().map(|c| (cycles, c)));
        } else {
            shared.push((l, segs, slots));
        }
    }
    let with_accumulator: BTreeSet<usize> = owned.keys().copied().collect();
    for (l, segs, slots) in shared {
        let lane = LaneSums {
            segs,
            slots: &slots,
            with_accumulator: &with_accumulator,
        };
        lane_accumulator(b, &lay, &mut ctl, l, &lane, &mut parts, timing)?;
    }
    for (j, slots) in owned {
        let term = output_accumulator(b, &lay, &mut ctl, j, &slots, timing)?;
        parts[j].insert(0, term);
    }

    (0..layer.n_out)
        .map(|j| {
            let sum = final_sum(b, &lay, j, std::mem::take(&mut parts[j]), timing)?;
            result(b, sum, j, layer)
        })
        .collect()
}

/// A slot's product brought into the accumulation's scale, in `acc_stage`: shifted to the
/// exact sums' fraction bits (Exact), or cast into the accumulator type (Wrap, Sequential).
#[derive(Clone, Copy)]
struct Contribution {
    sig: Signal,
    range: Interval,
}

/// The held inputs (stage 1) that any product reads, as signed signals.
fn hold_inputs(
    b: &mut ModuleBuilder,
    sched: &Schedule,
    xs: &[Signal],
    in_valid: NetId,
) -> Result<BTreeMap<usize, Signal>> {
    let mut held = BTreeMap::new();
    for prod in sched.lanes.iter().flat_map(|l| l.cycles.iter().flatten()) {
        if held.contains_key(&prod.i) {
            continue;
        }
        let x = xs[prod.i];
        let h = b.reg_ctl(&format!("xh{}", prod.i), x.width, x.signed, 1);
        b.set_reg(h, x.net, Some(in_valid), None);
        let hs = b.as_signed(Signal { net: h, ..x }, &format!("xh{}_s", prod.i), 1)?;
        held.insert(prod.i, hs);
    }
    Ok(held)
}

/// The held inputs, and the selections among them made so far: slots that read the same inputs
/// in the same cycles share one.
struct InputSelections {
    held: BTreeMap<usize, Signal>,
    shared: BTreeMap<Vec<Option<usize>>, NetId>,
}

impl InputSelections {
    /// The held input a slot reads in cycle `cyc` (0 where it idles), in stage 1, with the
    /// held inputs' fraction bits.
    fn select(&mut self, b: &mut ModuleBuilder, items: &[Option<Product>], cyc: NetId) -> Signal {
        let x_w = self.held.values().next().map_or(1, |s| s.width);
        let sequence: Vec<Option<usize>> = items.iter().map(|q| q.map(|q| q.i)).collect();
        let net = match self.shared.get(&sequence) {
            Some(&net) => net,
            None => {
                let arms = items
                    .iter()
                    .enumerate()
                    .filter_map(|(k, q)| q.map(|q| (k as u64, Operand::Net(self.held[&q.i].net))))
                    .collect();
                let net = b.wire_raw(
                    &format!("xsel{}", self.shared.len()),
                    x_w,
                    true,
                    Expr::Case {
                        sel: cyc,
                        arms,
                        default: Operand::Const(0),
                    },
                    1,
                );
                self.shared.insert(sequence, net);
                net
            }
        };
        Signal {
            net,
            width: x_w,
            signed: true,
            frac: self.held.values().next().map_or(0, |s| s.frac),
        }
    }
}

/// The range of `x · w` over the slot's products (always containing 0, for idle cycles).
fn product_range(lay: &Layout, items: &[Option<Product>]) -> Interval {
    let x_range = Interval::of_type(&lay.layer.x_ty);
    items
        .iter()
        .flatten()
        .map(|q| x_range.scale(q.w).expect("verified widths fit"))
        .fold(Interval::point(0), |a, c| Interval {
            lo: a.lo.min(c.lo),
            hi: a.hi.max(c.hi),
        })
}

/// The signed width holding every weight of a slot (and 0).
fn weight_width(items: &[Option<Product>]) -> u32 {
    let ws = items.iter().flatten().map(|q| q.w);
    Interval {
        lo: ws.clone().min().unwrap_or(0).min(0),
        hi: ws.max().unwrap_or(0).max(0),
    }
    .signed_width()
}

/// Where a multiplier's weight operand comes from.
enum WeightSource {
    /// Latency: a constant selected by `cyc`.
    Constants,
    /// Resource: one ROM word per cycle for all multipliers, sliced per multiplier.
    SharedRom { rom: NetId, offset: u32 },
    /// Resource, when one word would be wider than 128 bits: a ROM per multiplier.
    RomPerMultiplier,
}

impl WeightSource {
    fn new(b: &mut ModuleBuilder, lay: &Layout, sched: &Schedule, cyc: NetId) -> Self {
        if lay.layer.settings.strategy != Strategy::Resource {
            return WeightSource::Constants;
        }
        let slots: Vec<Vec<Option<Product>>> = sched
            .lanes
            .iter()
            .flat_map(|lane| (0..lane.width).map(move |t| sched.slot(lane, t)))
            .collect();
        let total: u32 = slots.iter().map(|s| weight_width(s)).sum();
        if !(1..=128).contains(&total) {
            return WeightSource::RomPerMultiplier;
        }
        let mut words = vec![0u128; lay.r];
        let mut offset = 0u32;
        for items in &slots {
            let w = weight_width(items);
            for (k, item) in items.iter().enumerate() {
                if let Some(q) = item {
                    words[k] |= ((q.w as u128) & ((1u128 << w) - 1)) << offset;
                }
            }
            offset += w;
        }
        let words = words.into_iter().map(|w| w as i128).collect();
        WeightSource::SharedRom {
            rom: b.rom("wrom", offset, cyc, words, 1),
            offset: 0,
        }
    }

    /// The weight operand of the next multiplier, `width` bits, in `prod_stage`.
    fn operand(
        &mut self,
        b: &mut ModuleBuilder,
        name: &str,
        items: &[Option<Product>],
        width: u32,
        cyc: NetId,
    ) -> Result<NetId> {
        match self {
            WeightSource::Constants => {
                let arms = items
                    .iter()
                    .enumerate()
                    .filter_map(|(k, q)| q.map(|q| (k as u64, Operand::Const(q.w))))
                    .collect();
                Ok(b.wire_raw(
                    &format!("{name}_w"),
                    width,
                    true,
                    Expr::Case {
                        sel: cyc,
                        arms,
                        default: Operand::Const(0),
                    },
                    1,
                ))
            }
            WeightSource::SharedRom { rom, offset } => {
                let net = b.wire(
                    &format!("{name}_w"),
                    width,
                    true,
                    Expr::Concat(vec![Part::Bits {
                        net: *rom,
                        hi: *offset + width - 1,
                        lo: *offset,
                    }]),
                    2,
                )?;
                *offset += width;
                Ok(net)
            }
            WeightSource::RomPerMultiplier => {
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
        }
    }
}

/// A shared multiplier: the slot's input and weight selected by `cyc`, multiplied in
/// `prod_stage`. Returns the product (at the product's fraction bits) and its range.
#[allow(clippy::too_many_arguments)]
fn multiplier(
    b: &mut ModuleBuilder,
    lay: &Layout,
    inputs: &mut InputSelections,
    items: &[Option<Product>],
    name: &str,
    cyc: NetId,
    weights: &mut WeightSource,
    timing: &Timing,
) -> Result<(Signal, Interval)> {
    let layer = lay.layer;
    let ww = weight_width(items);
    let range = product_range(lay, items);
    let pw = range.signed_width();
    let x_sig = Signal {
        frac: layer.x_ty.frac_bits(),
        ..inputs.select(b, items, cyc)
    };
    let x_w = x_sig.width;
    let w_sel = weights.operand(b, name, items, ww, cyc)?;
    let w_sig = Signal {
        net: w_sel,
        width: ww,
        signed: true,
        frac: layer.precision.weight.frac_bits(),
    };
    let xe = b.resize(x_sig, pw, &format!("{name}_xe"), lay.prod_stage)?;
    let we = b.resize(w_sig, pw, &format!("{name}_we"), lay.prod_stage)?;
    let prod = b.wire(name, pw, true, Expr::Mul(xe.net, we.net), lay.prod_stage)?;
    let dsp = timing
        .family
        .dsp()
        .filter(|_| timing.family.uses_dsp(layer.settings.multiplier, x_w, ww));
    b.attr(prod, "use_dsp", if dsp.is_some() { "yes" } else { "no" });
    // Selection (a LUT level) and the multiplier: a DSP block, or a LUT array of ⌈log2 Ww⌉ + 1
    // adder levels.
    let mul_ns = match dsp {
        Some(dsp) => dsp.multiply_ns,
        None => (bits_for(ww as usize) + 1) as f64 * timing.adder_ns(pw),
    };
    b.stage_delay(timing.stage_ns(1, timing.model.lut_level_ns + mul_ns));
    Ok((
        Signal {
            net: prod,
            width: pw,
            signed: true,
            frac: lay.f_prod,
        },
        range,
    ))
}

/// A shifter slot (Latency strategy, every weight ±2^k): `cyc` selects the held input shifted
/// by k, negated for a negative weight, in stage 1. Returns it like a product.
fn shifter(
    b: &mut ModuleBuilder,
    lay: &Layout,
    held: &BTreeMap<usize, Signal>,
    items: &[Option<Product>],
    name: &str,
    cyc: NetId,
    timing: &Timing,
) -> Result<(Signal, Interval)> {
    let range = product_range(lay, items);
    let pw = range.signed_width();
    let mut arms = Vec::new();
    let mut negates = false;
    for (k, q) in items.iter().enumerate() {
        let Some(q) = q.filter(|q| q.w != 0) else {
            continue;
        };
        arms.push((
            k as u64,
            Operand::Net(shifted_input(b, held[&q.i], q.i, q.w, pw)?),
        ));
        negates |= q.w < 0;
    }
    let net = b.wire_raw(
        name,
        pw,
        true,
        Expr::Case {
            sel: cyc,
            arms,
            default: Operand::Const(0),
        },
        1,
    );
    let negate_ns = if negates { timing.adder_ns(pw) } else { 0.0 };
    b.stage_delay(timing.stage_ns(1, timing.model.lut_level_ns + negate_ns));
    Ok((
        Signal {
            net,
            width: pw,
            signed: true,
            frac: lay.f_prod,
        },
        range,
    ))
}

/// `x_i · w` for `w = ±2^k` as a `width`-bit net in stage 1 (shared between slots by name).
fn shifted_input(b: &mut ModuleBuilder, x: Signal, i: usize, w: i128, width: u32) -> Result<NetId> {
    let k = w.unsigned_abs().trailing_zeros();
    let shifted = b.shift_left(x, k, &format!("xh{i}_sh{k}"), 1)?;
    let wide = b.resize(shifted, width, &format!("xh{i}_sh{k}_w{width}"), 1)?;
    if w > 0 {
        return Ok(wide.net);
    }
    b.wire(
        &format!("xh{i}_nsh{k}_w{width}"),
        width,
        true,
        Expr::Sub(Operand::Const(0), Operand::Net(wide.net)),
        1,
    )
}

/// A product in `acc_stage`, in the accumulation's scale.
fn contribution(
    b: &mut ModuleBuilder,
    lay: &Layout,
    prod: Signal,
    range: Interval,
    name: &str,
) -> Result<Contribution> {
    let p = &lay.layer.precision;
    Ok(match lay.layer.plan {
        AccumPlan::Exact => {
            let s = (lay.fc - lay.f_prod) as u32;
            let shifted = b.shift_left(prod, s, &format!("{name}_a"), lay.acc_stage)?;
            Contribution {
                sig: Signal {
                    frac: lay.fc,
                    ..shifted
                },
                range: range.checked_shl(s).expect("fits"),
            }
        }
        _ => Contribution {
            sig: lower_cast(b, prod, &p.accum, &format!("{name}_c"), lay.acc_stage)?,
            range: Interval::of_type(&p.accum),
        },
    })
}

/// The accumulator of output `j` (Exact and Wrap plans), fed each cycle with the sum of the
/// slots of the lanes that work on `j` alone (`(cycles, contribution)` per slot). Returns the
/// final sum, valid R stages after the accumulator's.
fn output_accumulator(
    b: &mut ModuleBuilder,
    lay: &Layout,
    ctl: &mut Control,
    j: usize,
    slots: &[(usize, Contribution)],
    timing: &Timing,
) -> Result<Term> {
    let bias = lay.bias(j);
    let mut total = Interval::point(bias);
    for &(cycles, c) in slots {
        for _ in 0..cycles {
            total = total.checked_add(c.range).expect("verified widths fit");
        }
    }
    let terms = slots
        .iter()
        .map(|&(_, c)| Term::Net {
            sig: c.sig,
            range: c.range,
        })
        .collect();
    let per_cycle = match tree(
        b,
        &format!("c{j}"),
        terms,
        lay.acc_stage,
        &|range| lay.sum_shape(range),
        timing,
    )? {
        Term::Net { sig, .. } => sig,
        Term::Const(_) => unreachable!("products are nets"),
    };
    let stage = b.stage_of(per_cycle.net);
    let (aw, signed) = lay.sum_shape(total);
    let acc = b.reg_ctl(&format!("acc_y{j}"), aw, signed, stage);
    let first = ctl.first_cycle(b, stage);
    let (_, active) = ctl.at(b, stage);
    let acc_in = b.wire_raw(
        &format!("acc_y{j}_in"),
        aw,
        signed,
        Expr::Mux(first, Operand::Const(bias), Operand::Net(acc)),
        stage,
    );
    let addend = b.resize(per_cycle, aw, &format!("acc_y{j}_p"), stage)?;
    let next = b.wire_raw(
        &format!("acc_y{j}_sum"),
        aw,
        signed,
        Expr::Add(Operand::Net(acc_in), Operand::Net(addend.net)),
        stage,
    );
    b.set_reg(acc, next, Some(active), None);
    b.stage_delay(timing.stage_ns(1, timing.model.lut_level_ns + timing.adder_ns(aw)));
    Ok(final_value(
        b,
        lay,
        acc,
        &format!("acc_y{j}"),
        (aw, signed),
        stage,
        total,
    ))
}

/// What a lane's running sum adds up.
#[derive(Clone, Copy)]
struct LaneSums<'a> {
    segs: &'a [Segment],
    /// The lane's slots, in `acc_stage`.
    slots: &'a [Contribution],
    /// Outputs whose bias is in an output accumulator.
    with_accumulator: &'a BTreeSet<usize>,
}

/// A lane's running sum (a lane shared by several outputs, or a Sequential lane): it restarts
/// at each segment's first cycle, from the bias if the segment starts an output that has no
/// output accumulator. Every segment but the last is stored at its end; the last is read from
/// the running sum itself. Pushes each segment's final value onto `parts[output]`.
fn lane_accumulator(
    b: &mut ModuleBuilder,
    lay: &Layout,
    ctl: &mut Control,
    l: usize,
    lane: &LaneSums,
    parts: &mut [Vec<Term>],
    timing: &Timing,
) -> Result<()> {
    let LaneSums {
        segs,
        slots,
        with_accumulator,
    } = *lane;
    let p = &lay.layer.precision;
    let stage = lay.acc_stage;
    let init_of = |seg: &Segment| {
        if seg.starts_output && !with_accumulator.contains(&seg.output) {
            lay.bias(seg.output)
        } else {
            0
        }
    };
    let seg_range = |seg: &Segment| {
        let mut sum = Interval::point(init_of(seg));
        for _ in seg.first_cycle..=seg.last_cycle {
            for c in slots {
                sum = sum.checked_add(c.range).expect("verified widths fit");
            }
        }
        sum
    };
    let (aw, signed) = match lay.layer.plan {
        AccumPlan::Exact => {
            let width = segs
                .iter()
                .map(|s| seg_range(s).signed_width())
                .max()
                .unwrap_or(1);
            (width, true)
        }
        _ => (p.accum.width, p.accum.signed),
    };
    let frac = lay.sum_frac();
    let (cyc, active) = ctl.at(b, stage);
    let name = format!("acc{l}");
    let acc = b.reg_ctl(&name, aw, signed, stage);
    let start = b.wire_raw(
        &format!("{name}_start"),
        1,
        false,
        Expr::Case {
            sel: cyc,
            arms: segs
                .iter()
                .map(|s| (s.first_cycle as u64, Operand::Const(1)))
                .collect(),
            default: Operand::Const(0),
        },
        stage,
    );
    let init = b.wire_raw(
        &format!("{name}_init"),
        aw,
        signed,
        Expr::Case {
            sel: cyc,
            arms: segs
                .iter()
                .map(|s| (s.first_cycle as u64, Operand::Const(init_of(s))))
                .collect(),
            default: Operand::Const(0),
        },
        stage,
    );
    let acc_in = b.wire_raw(
        &format!("{name}_in"),
        aw,
        signed,
        Expr::Mux(start, Operand::Net(init), Operand::Net(acc)),
        stage,
    );
    let mut running = Signal {
        net: acc_in,
        width: aw,
        signed,
        frac,
    };
    for (t, c) in slots.iter().enumerate() {
        running = match lay.layer.plan {
            AccumPlan::Sequential => {
                let w = p.accum.width + 1;
                let a = b.resize(running, w, &format!("{name}_{t}_a"), stage)?;
                let cx = b.resize(c.sig, w, &format!("{name}_{t}_p"), stage)?;
                let sum = b.wire(
                    &format!("{name}_{t}_sum"),
                    w,
                    signed,
                    Expr::Add(Operand::Net(a.net), Operand::Net(cx.net)),
                    stage,
                )?;
                lower_cast(
                    b,
                    Signal {
                        net: sum,
                        width: w,
                        signed,
                        frac,
                    },
                    &p.accum,
                    &format!("{name}_{t}"),
                    stage,
                )?
            }
            _ => {
                let cx = b.resize(c.sig, aw, &format!("{name}_p"), stage)?;
                let net = b.wire(
                    &format!("{name}_sum"),
                    aw,
                    signed,
                    Expr::Add(Operand::Net(running.net), Operand::Net(cx.net)),
                    stage,
                )?;
                Signal { net, ..running }
            }
        };
    }
    b.set_reg(acc, running.net, Some(active), None);
    let link = match lay.layer.plan {
        AccumPlan::Sequential => slots.len() as f64 * timing.cast_ns(p.accum.width + 1),
        _ => timing.adder_ns(aw),
    };
    b.stage_delay(timing.stage_ns(1, timing.model.lut_level_ns + link));

    let done = stage + lay.r as u32;
    for (k, seg) in segs.iter().enumerate() {
        let seg_name = format!("seg{l}_{}", seg.output);
        let term = if k + 1 == segs.len() {
            final_value(b, lay, acc, &seg_name, (aw, signed), stage, seg_range(seg))
        } else {
            let at_end = b.wire_raw(
                &format!("{seg_name}_end"),
                1,
                false,
                Expr::Cmp(CmpOp::Eq, cyc, seg.last_cycle as i128),
                stage,
            );
            let en = b.wire_raw(
                &format!("{seg_name}_en"),
                1,
                false,
                Expr::And(vec![active, at_end]),
                stage,
            );
            let reg = b.reg_ctl(&seg_name, aw, signed, done);
            b.set_reg(reg, running.net, Some(en), None);
            Term::Net {
                sig: Signal {
                    net: reg,
                    width: aw,
                    signed,
                    frac,
                },
                range: lay.sum_range(seg_range(seg)),
            }
        };
        parts[seg.output].push(term);
    }
    Ok(())
}

/// An accumulator register of `stage` read as the final sum, R stages later.
fn final_value(
    b: &mut ModuleBuilder,
    lay: &Layout,
    acc: NetId,
    name: &str,
    (width, signed): (u32, bool),
    stage: u32,
    exact: Interval,
) -> Term {
    let net = b.wire_raw(
        &format!("{name}_final"),
        width,
        signed,
        Expr::Copy(Operand::Net(acc)),
        stage + lay.r as u32,
    );
    Term::Net {
        sig: Signal {
            net,
            width,
            signed,
            frac: lay.sum_frac(),
        },
        range: lay.sum_range(exact),
    }
}

/// Output `j`'s sum: its only part, or an adder tree over its parts (from the stage of the
/// latest one); the bias alone when the output has no non-zero weight.
fn final_sum(
    b: &mut ModuleBuilder,
    lay: &Layout,
    j: usize,
    parts: Vec<Term>,
    timing: &Timing,
) -> Result<Sum> {
    let stage_of = |t: &Term| match t {
        Term::Net { sig, .. } => b.stage_of(sig.net),
        Term::Const(_) => 0,
    };
    let first = parts.iter().map(stage_of).max();
    let root = match (parts.len(), first) {
        (0, _) | (_, None) => return Ok(Sum::Const(lay.b_acc[j], lay.f_acc)),
        (1, _) => parts[0],
        (_, Some(first)) => tree(
            b,
            &format!("s{j}"),
            parts,
            first,
            &|range| lay.sum_shape(range),
            timing,
        )?,
    };
    Ok(match root {
        Term::Net { sig, .. } => Sum::Sig(sig),
        Term::Const(c) => Sum::Const(c, lay.sum_frac()),
    })
}
