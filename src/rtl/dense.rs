//! Dense at reuse factor 1: every non-zero product has its own constant-coefficient multiplier
//! (a wire for ±1, a shift for ±2^k), and the sum follows the layer's
//! [`AccumPlan`](crate::analysis::accumulation::AccumPlan):
//! * `Exact`: a balanced adder tree whose node widths come from exact intervals, the bias a
//!   constant leaf; products in stage 0, then as many tree levels per stage as the clock period
//!   allows ([`Timing`]).
//! * `Wrap`: each product cast into `accum` (stage 1), then an adder tree modulo 2^W.
//! * `Sequential`: each product cast into `accum` (stage 1), then hls4ml's chain
//!   `acc = cast(acc + p → accum)` in input order, as many links per stage as the period allows.
//!
//! The result cast gets a stage of its own and the outputs are registered once more.

use super::builder::{ModuleBuilder, Signal};
use super::cast::lower_cast;
use super::netlist::*;
use super::timing::Timing;
use crate::analysis::accumulation::{bias_in_accum, AccumPlan};
use crate::analysis::interval::Interval;
use crate::diag::Result;
use crate::fixed::{cast, FixedType};
use crate::golden::DenseKernel;
use std::collections::BTreeMap;

/// A value in a sum: a net with its exact interval, or a constant.
#[derive(Clone, Copy)]
pub(super) enum Term {
    Net { sig: Signal, range: Interval },
    Const(i128),
}

impl Term {
    fn range(&self) -> Interval {
        match self {
            Term::Net { range, .. } => *range,
            Term::Const(c) => Interval::point(*c),
        }
    }
}

/// The output of one layer element: a signal, or a constant known at generation time.
#[derive(Clone, Copy)]
pub enum Out {
    Sig(Signal),
    Const(i128),
}

/// An accumulated sum: a signal (its `frac` says the scale), or a constant `(mantissa, frac)`.
pub(super) enum Sum {
    Sig(Signal),
    Const(i128, i32),
}

/// What [`lower`] builds for `layer`'s non-zero weights: constant multipliers, and products
/// that are wires or shifts (weights ±2^k).
pub fn product_counts(layer: &DenseKernel) -> (usize, usize) {
    let nz = layer.weights.iter().filter(|&&w| w != 0);
    let shifts = nz
        .clone()
        .filter(|w| w.unsigned_abs().is_power_of_two())
        .count();
    (nz.count() - shifts, shifts)
}

/// Lowers a dense kernel whose input elements are `xs` (stage 0); returns one output per neuron.
pub fn lower(
    b: &mut ModuleBuilder,
    layer: &DenseKernel,
    xs: &[Signal],
    timing: &Timing,
) -> Result<Vec<Out>> {
    let p = layer.precision;
    let x_ty = layer.x_ty;
    let f_prod = x_ty.frac_bits() + p.weight.frac_bits();
    let mut ext_cache: BTreeMap<(usize, u32), Signal> = BTreeMap::new();
    let mut outs = Vec::with_capacity(layer.n_out);
    for j in 0..layer.n_out {
        let b_acc = bias_in_accum(layer.bias[j], &p);
        let mut products = Vec::new();
        for (i, &x) in xs.iter().enumerate().take(layer.n_in) {
            let w = layer.weights[[i, j]];
            if w != 0 {
                products.push(product(
                    b,
                    &mut ext_cache,
                    x,
                    i,
                    j,
                    w,
                    &x_ty,
                    f_prod,
                    timing,
                    layer.settings.multiplier,
                )?);
            }
        }
        let acc = match layer.plan {
            AccumPlan::Exact => exact_sum(
                b,
                j,
                &products,
                b_acc,
                p.accum.frac_bits(),
                f_prod,
                1,
                timing,
            )?,
            AccumPlan::Wrap => {
                let mut terms = vec![Term::Const(b_acc)];
                for (k, (sig, _)) in products.iter().enumerate() {
                    let c = lower_cast(b, *sig, &p.accum, &format!("pc{j}_{k}"), 1)?;
                    terms.push(Term::Net {
                        sig: c,
                        range: Interval::of_type(&p.accum),
                    });
                }
                wrap_sum(b, j, terms, &p.accum, timing)?
            }
            AccumPlan::Sequential => sequential_sum(b, j, &products, b_acc, &p.accum, timing)?,
        };
        outs.push(result(b, acc, j, layer)?);
    }
    Ok(outs)
}

/// The output `j` of a layer: the accumulated sum cast to the result type, one stage after the sum.
pub(super) fn result(
    b: &mut ModuleBuilder,
    acc: Sum,
    j: usize,
    layer: &DenseKernel,
) -> Result<Out> {
    let p = &layer.precision;
    Ok(match acc {
        Sum::Const(v, f) => Out::Const(cast(v, f, &p.result)),
        Sum::Sig(s) => {
            let stage = b.stage_of(s.net) + 1;
            let y = lower_cast(b, s, &p.result, &format!("y{j}"), stage)?;
            b.note(
                y.net,
                format!("{} output {j}: cast to {}", layer.name, p.result),
            );
            Out::Sig(y)
        }
    })
}

/// `x_i · w` exactly, in stage 0, at the product's fraction bits `f_prod`.
#[allow(clippy::too_many_arguments)]
fn product(
    b: &mut ModuleBuilder,
    cache: &mut BTreeMap<(usize, u32), Signal>,
    x: Signal,
    i: usize,
    j: usize,
    w: i128,
    x_ty: &FixedType,
    f_prod: i32,
    timing: &Timing,
    style: crate::config::MultiplierStyle,
) -> Result<(Signal, Interval)> {
    let range = Interval::of_type(x_ty)
        .scale(w)
        .expect("verified widths fit");
    let width = range.signed_width();
    let xs = b.as_signed(x, &format!("x{i}_s"), 0)?;
    let name = format!("p{i}_{j}");
    // A constant multiplier is an adder tree over the weight's non-zero CSD digits.
    let digits = csd_digits(w);
    let levels = usize::BITS - (digits.max(1) - 1).leading_zeros();
    b.stage_delay(timing.stage_ns(levels, timing.adder_ns(width)));
    let mag = w.unsigned_abs();
    let net = if mag.is_power_of_two() {
        let k = mag.trailing_zeros();
        let shifted = b.shift_left(xs, k, &format!("x{i}_sh{k}"), 0)?;
        // The shifted value fits `width` bits (−x can need one more bit than x).
        let wide = b.resize(shifted, width, &format!("x{i}_sh{k}_w{width}"), 0)?;
        if w < 0 {
            b.wire(
                &name,
                width,
                true,
                Expr::Sub(Operand::Const(0), Operand::Net(wide.net)),
                0,
            )?
        } else {
            wide.net
        }
    } else {
        let xe = match cache.get(&(i, width)) {
            Some(s) => *s,
            None => {
                let s = b.resize(xs, width, &format!("x{i}_w{width}"), 0)?;
                cache.insert((i, width), s);
                s
            }
        };
        let net = b.wire(&name, width, true, Expr::MulConst(xe.net, w), 0)?;
        let w_bits = Interval::point(w).signed_width();
        let dsp = timing.family.uses_dsp(style, x.width, w_bits);
        b.attr(net, "use_dsp", if dsp { "yes" } else { "no" });
        net
    };
    Ok((
        Signal {
            net,
            width,
            signed: true,
            frac: f_prod,
        },
        range,
    ))
}

/// Non-zero digits of `w` in canonical signed-digit form (the adders of a shift-add multiplier,
/// plus one).
pub fn csd_digits(w: i128) -> usize {
    let mut x = w;
    let mut n = 0;
    while x != 0 {
        if x & 1 == 1 {
            let d = 2 - (x & 3);
            x -= d;
            n += 1;
        }
        x >>= 1;
    }
    n
}

/// `bias + Σ products` exactly, at the products' fraction bits (finer if the bias needs it),
/// by an adder tree whose first level is in stage `first`.
#[allow(clippy::too_many_arguments)]
pub(super) fn exact_sum(
    b: &mut ModuleBuilder,
    j: usize,
    products: &[(Signal, Interval)],
    b_acc: i128,
    f_acc: i32,
    f_prod: i32,
    first: u32,
    timing: &Timing,
) -> Result<Sum> {
    if products.is_empty() {
        return Ok(Sum::Const(b_acc, f_acc));
    }
    let bias_frac = if b_acc == 0 {
        i32::MIN
    } else {
        f_acc - b_acc.trailing_zeros() as i32
    };
    let fc = f_prod.max(bias_frac);
    let mut terms = Vec::new();
    if b_acc != 0 {
        terms.push(Term::Const(if fc >= f_acc {
            b_acc << (fc - f_acc)
        } else {
            b_acc >> (f_acc - fc)
        }));
    }
    for (k, (sig, range)) in products.iter().enumerate() {
        let s = (fc - f_prod) as u32;
        let stage = b.stage_of(sig.net);
        let shifted = b.shift_left(*sig, s, &format!("pa{j}_{k}"), stage)?;
        terms.push(Term::Net {
            sig: Signal {
                frac: fc,
                ..shifted
            },
            range: range.checked_shl(s).expect("fits"),
        });
    }
    Ok(
        match tree(
            b,
            &format!("s{j}"),
            terms,
            first,
            &|range| (range.signed_width(), true),
            timing,
        )? {
            Term::Const(c) => Sum::Const(c, fc),
            Term::Net { sig, .. } => Sum::Sig(sig),
        },
    )
}

/// Σ terms modulo 2^W of `accum`; the first term is the bias constant.
fn wrap_sum(
    b: &mut ModuleBuilder,
    j: usize,
    terms: Vec<Term>,
    accum: &FixedType,
    timing: &Timing,
) -> Result<Sum> {
    let f = accum.frac_bits();
    let (w, signed) = (accum.width, accum.signed);
    Ok(
        match tree(b, &format!("s{j}"), terms, 2, &|_| (w, signed), timing)? {
            Term::Const(c) => Sum::Const(c, f),
            Term::Net { sig, .. } => Sum::Sig(sig),
        },
    )
}

/// A balanced adder tree whose nets are named after `prefix`; level l (1-based) is computed in
/// stage `first + (l−1)/per_stage`. `shape(range)` gives a node's width and signedness; each sum
/// wraps at that width.
pub(super) fn tree(
    b: &mut ModuleBuilder,
    prefix: &str,
    mut terms: Vec<Term>,
    first: u32,
    shape: &dyn Fn(Interval) -> (u32, bool),
    timing: &Timing,
) -> Result<Term> {
    // Levels per stage from the widest adder, the root's.
    let total = terms
        .iter()
        .try_fold(Interval::point(0), |acc, t| acc.checked_add(t.range()));
    let widest = total.map_or(127, |r| shape(r).0);
    let adder = timing.adder_ns(widest);
    let per_stage = timing.per_stage(adder);
    if terms.len() > 1 {
        let levels = usize::BITS - (terms.len() - 1).leading_zeros();
        b.stage_delay(timing.stage_ns(per_stage.min(levels), adder));
    }
    let mut level = 0;
    while terms.len() > 1 {
        level += 1;
        let stage = first + (level - 1) / per_stage;
        let mut next = Vec::with_capacity(terms.len().div_ceil(2));
        for (k, pair) in terms.chunks(2).enumerate() {
            let [t0, t1] = pair else {
                next.push(pair[0]);
                continue;
            };
            let range = t0
                .range()
                .checked_add(t1.range())
                .expect("verified widths fit");
            let (width, signed) = shape(range);
            let mut frac = 0;
            let mut ops = [Operand::Const(0); 2];
            for (side, t) in [t0, t1].into_iter().enumerate() {
                ops[side] = match t {
                    Term::Const(c) => Operand::Const(*c),
                    Term::Net { sig, .. } => {
                        frac = sig.frac;
                        let s =
                            b.resize(*sig, width, &format!("{prefix}_l{level}_{k}_{side}"), stage)?;
                        if s.signed == signed {
                            Operand::Net(s.net)
                        } else {
                            Operand::Net(b.wire(
                                &format!("{prefix}_l{level}_{k}_{side}c"),
                                width,
                                signed,
                                Expr::Copy(Operand::Net(s.net)),
                                stage,
                            )?)
                        }
                    }
                };
            }
            let net = b.wire(
                &format!("{prefix}_l{level}_{k}"),
                width,
                signed,
                Expr::Add(ops[0], ops[1]),
                stage,
            )?;
            next.push(Term::Net {
                sig: Signal {
                    net,
                    width,
                    signed,
                    frac,
                },
                range,
            });
        }
        terms = next;
    }
    Ok(terms.pop().expect("at least one term"))
}

/// hls4ml's sequential accumulation with a cast after every addition.
fn sequential_sum(
    b: &mut ModuleBuilder,
    j: usize,
    products: &[(Signal, Interval)],
    b_acc: i128,
    accum: &FixedType,
    timing: &Timing,
) -> Result<Sum> {
    let link = timing.cast_ns(accum.width + 1);
    let links_per_stage = timing.per_stage(link);
    if !products.is_empty() {
        b.stage_delay(timing.stage_ns(links_per_stage.min(products.len() as u32), link));
    }
    let f = accum.frac_bits();
    let mut acc = Sum::Const(b_acc, f);
    for (k, (sig, _)) in products.iter().enumerate() {
        let stage = 2 + k as u32 / links_per_stage;
        let pc = lower_cast(b, *sig, accum, &format!("pc{j}_{k}"), 1)?;
        let w = accum.width + 1;
        let pcx = b.resize(pc, w, &format!("a{j}_{k}_p"), stage)?;
        let other = match acc {
            Sum::Const(c, _) => Operand::Const(c),
            Sum::Sig(a) => Operand::Net(b.resize(a, w, &format!("a{j}_{k}_a"), stage)?.net),
        };
        let sum = b.wire(
            &format!("a{j}_{k}_sum"),
            w,
            accum.signed,
            Expr::Add(Operand::Net(pcx.net), other),
            stage,
        )?;
        acc = Sum::Sig(lower_cast(
            b,
            Signal {
                net: sum,
                width: w,
                signed: accum.signed,
                frac: f,
            },
            accum,
            &format!("acc{j}_{k}"),
            stage,
        )?);
    }
    Ok(acc)
}
