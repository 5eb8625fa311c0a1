//! Softmax over each group of `group` consecutive inputs, pipelined ([`crate::ir::Softmax`]
//! gives the arithmetic):
//! * stable: hls4ml's max tree, `m − x_i` cast to `inp_norm` and its top bits (one stage), the
//!   exp ROM, each word cast to `accum` and hls4ml's sum tree with a cast at every node, the sum
//!   cast to `inv_inp` and its top bits (one stage), the inverse ROM, the products `e_i · inv`
//!   (one stage) cast to the result (one stage);
//! * latency: the same without the maximum, the exp ROM addressed by the input's top bits;
//! * argmax: a tree keeping the first maximum and its position, then one comparison per output;
//! * legacy: for every output, one exp ROM per other element, addressed by the difference, the
//!   sum chained in hls4ml's order with a cast at every step, the inverse ROM.
//!
//! Tree levels and chain links are packed into stages as the clock period allows ([`Timing`]).

use super::activation::{lookup, range_index, top_bits};
use super::builder::{ModuleBuilder, Signal};
use super::cast::lower_cast;
use super::dense::Out;
use super::logic::bits_for;
use super::netlist::*;
use super::timing::Timing;
use crate::config::MultiplierStyle;
use crate::diag::Result;
use crate::fixed::{cast, FixedType};
use crate::golden::activation::SoftmaxKernel;
use crate::ir::{Softmax, SoftmaxTables};

pub fn lower(
    b: &mut ModuleBuilder,
    k: &SoftmaxKernel,
    xs: &[Signal],
    timing: &Timing,
) -> Result<Vec<Out>> {
    let mut outs = Vec::with_capacity(xs.len());
    for (g, x) in xs.chunks(k.group).enumerate() {
        let name = format!("g{g}");
        let group = match &k.softmax {
            Softmax::Stable { tables, inp_norm } => {
                stable(b, k, tables, inp_norm, x, &name, timing)?
            }
            Softmax::Latency { tables } => {
                let bits = tables.exp.bits();
                let exps = x
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| {
                        let index = top_bits(b, v, bits, &format!("{name}_ei{i}"), 0)?;
                        exp_term(b, k, tables, index, &format!("{name}_e{i}"), 0)
                    })
                    .collect::<Result<Vec<_>>>()?;
                normalise(b, k, tables, exps, &name, timing)?
            }
            Softmax::Argmax if x.len() == 1 => {
                outs.push(Out::Const(cast(1, 0, &k.result)));
                continue;
            }
            Softmax::Argmax => argmax(b, k, x, &name, timing)?,
            Softmax::Legacy { .. } => legacy(b, k, x, &name, timing)?,
        };
        outs.extend(group.into_iter().map(Out::Sig));
    }
    Ok(outs)
}

/// A node of a tree with its depth (leaves 0).
struct Node<T> {
    value: T,
    depth: u32,
}

/// hls4ml's reduction tree over `leaves` (the first `2^floor(log2(n − 1))` and the rest,
/// recursively); `combine(left, right, depth, name)` builds a node at `depth`.
fn tree<T: Copy>(
    leaves: &[Node<T>],
    name: &str,
    combine: &mut dyn FnMut(T, T, u32, &str) -> Result<T>,
) -> Result<Node<T>> {
    match leaves.len() {
        1 => Ok(Node {
            value: leaves[0].value,
            depth: leaves[0].depth,
        }),
        n => {
            let left = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            let l = tree(&leaves[..left], &format!("{name}l"), combine)?;
            let r = tree(&leaves[left..], &format!("{name}r"), combine)?;
            let depth = l.depth.max(r.depth) + 1;
            Ok(Node {
                value: combine(l.value, r.value, depth, name)?,
                depth,
            })
        }
    }
}

/// `a − b` exactly, both sign-extended to one bit more than the wider (same fraction bits).
fn difference(
    b: &mut ModuleBuilder,
    a: Signal,
    c: Signal,
    name: &str,
    stage: u32,
) -> Result<Signal> {
    let sa = b.as_signed(a, &format!("{name}_as"), stage)?;
    let sc = b.as_signed(c, &format!("{name}_bs"), stage)?;
    let w = sa.width.max(sc.width) + 1;
    let ea = b.resize(sa, w, &format!("{name}_a"), stage)?;
    let ec = b.resize(sc, w, &format!("{name}_b"), stage)?;
    let net = b.wire(
        name,
        w,
        true,
        Expr::Sub(Operand::Net(ea.net), Operand::Net(ec.net)),
        stage,
    )?;
    Ok(Signal {
        net,
        width: w,
        signed: true,
        frac: a.frac,
    })
}

/// The sign bit of `d` (1 when negative).
fn negative(b: &mut ModuleBuilder, d: Signal, name: &str, stage: u32) -> Result<NetId> {
    Ok(b.bit(d, d.width - 1, name, stage)?
        .expect("a signed difference"))
}

/// The stage of a tree node at `depth` whose leaves are in `base`, `per_stage` levels a stage.
fn tree_stage(base: u32, depth: u32, per_stage: u32) -> u32 {
    base + (depth.max(1) - 1) / per_stage
}

fn stable(
    b: &mut ModuleBuilder,
    k: &SoftmaxKernel,
    tables: &SoftmaxTables,
    inp_norm: &FixedType,
    x: &[Signal],
    name: &str,
    timing: &Timing,
) -> Result<Vec<Signal>> {
    let w = x[0].width + 1;
    let level = timing.adder_ns(w) + timing.model.lut_level_ns;
    let per_stage = timing.per_stage(level);
    b.stage_delay(timing.stage_ns(per_stage.min(tree_depth(x.len())), level));
    let leaves: Vec<Node<Signal>> = x.iter().map(|&v| Node { value: v, depth: 0 }).collect();
    let max = tree(&leaves, &format!("{name}_max"), &mut |l, r, depth, node| {
        let stage = tree_stage(0, depth, per_stage);
        let d = difference(b, l, r, &format!("{node}_d"), stage)?;
        let below = negative(b, d, &format!("{node}_lt"), stage)?;
        let net = b.wire(
            node,
            l.width,
            l.signed,
            Expr::Mux(below, Operand::Net(r.net), Operand::Net(l.net)),
            stage,
        )?;
        Ok(Signal { net, ..l })
    })?;
    let stage = b.stage_of(max.value.net) + 1;
    b.stage_delay(timing.stage_ns(1, timing.cast_ns(w)));
    let exps = x
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let d = difference(b, max.value, v, &format!("{name}_d{i}"), stage)?;
            let norm = lower_cast(b, d, inp_norm, &format!("{name}_n{i}"), stage)?;
            let index = top_bits(b, norm, tables.exp.bits(), &format!("{name}_ei{i}"), stage)?;
            exp_term(b, k, tables, index, &format!("{name}_e{i}"), stage)
        })
        .collect::<Result<Vec<_>>>()?;
    normalise(b, k, tables, exps, name, timing)
}

/// `cast(exp[index] → accum)`, the ROM read one stage after `stage`.
fn exp_term(
    b: &mut ModuleBuilder,
    k: &SoftmaxKernel,
    tables: &SoftmaxTables,
    index: NetId,
    name: &str,
    stage: u32,
) -> Result<Signal> {
    let word = lookup(
        b,
        index,
        &k.exp,
        &tables.exp.ty,
        &format!("exp table of {}", k.name),
        &format!("{name}_x"),
        stage,
    )?;
    lower_cast(b, word, &tables.accum, name, stage + 1)
}

/// Depth of hls4ml's tree over `n` leaves: `ceil(log2 n)`.
fn tree_depth(n: usize) -> u32 {
    usize::BITS - (n.max(1) - 1).leading_zeros()
}

/// From the exponentials `e` (in `accum`, all in one stage): the sum tree, the inverse lookup
/// and the outputs `cast(e_i · inv → result)`.
fn normalise(
    b: &mut ModuleBuilder,
    k: &SoftmaxKernel,
    tables: &SoftmaxTables,
    e: Vec<Signal>,
    name: &str,
    timing: &Timing,
) -> Result<Vec<Signal>> {
    let accum = tables.accum;
    let base = b.stage_of(e[0].net);
    let link = timing.cast_ns(accum.width + 1);
    let per_stage = timing.per_stage(link);
    b.stage_delay(timing.stage_ns(per_stage.min(tree_depth(e.len())), link));
    let leaves: Vec<Node<Signal>> = e.iter().map(|&v| Node { value: v, depth: 0 }).collect();
    let sum = tree(&leaves, &format!("{name}_sum"), &mut |l, r, depth, node| {
        let stage = tree_stage(base, depth, per_stage);
        let w = accum.width + 1;
        let le = b.resize(l, w, &format!("{node}_l"), stage)?;
        let re = b.resize(r, w, &format!("{node}_r"), stage)?;
        let net = b.wire(
            &format!("{node}_add"),
            w,
            accum.signed,
            Expr::Add(Operand::Net(le.net), Operand::Net(re.net)),
            stage,
        )?;
        lower_cast(b, Signal { net, ..le }, &accum, node, stage)
    })?;
    let stage = b.stage_of(sum.value.net) + 1;
    let s = lower_cast(b, sum.value, &tables.inv_inp, &format!("{name}_s"), stage)?;
    let index = top_bits(b, s, tables.inv.bits(), &format!("{name}_ii"), stage)?;
    let inv = lookup(
        b,
        index,
        &k.inv,
        &tables.inv.ty,
        &format!("inverse table of {}", k.name),
        &format!("{name}_inv"),
        stage,
    )?;
    let inv = b.as_signed(inv, &format!("{name}_inv_s"), stage + 1)?;
    let dsp = timing
        .family
        .uses_dsp(MultiplierStyle::Auto, accum.width, tables.inv.ty.width);
    if let Some(d) = timing.family.dsp().filter(|_| dsp) {
        b.stage_delay(timing.model.register_ns + d.multiply_ns);
    }
    e.iter()
        .enumerate()
        .map(|(i, &v)| {
            let stage = stage + 1;
            let vs = b.as_signed(v, &format!("{name}_p{i}_s"), stage)?;
            let w = vs.width + inv.width;
            let a = b.resize(vs, w, &format!("{name}_p{i}_a"), stage)?;
            let c = b.resize(inv, w, &format!("{name}_p{i}_b"), stage)?;
            let net = b.wire(
                &format!("{name}_p{i}"),
                w,
                true,
                Expr::Mul(a.net, c.net),
                stage,
            )?;
            b.attr(net, "use_dsp", if dsp { "yes" } else { "no" });
            let product = Signal {
                net,
                width: w,
                signed: true,
                frac: v.frac + inv.frac,
            };
            let y = lower_cast(b, product, &k.result, &format!("{name}_y{i}"), stage + 1)?;
            b.note(
                y.net,
                format!("{} output {i}: e_i * inv, cast to {}", k.name, k.result),
            );
            Ok(y)
        })
        .collect()
}

/// A position in the argmax tree: a constant at the leaves, a net after.
#[derive(Clone, Copy)]
struct Candidate {
    value: Signal,
    index: Operand,
}

fn argmax(
    b: &mut ModuleBuilder,
    k: &SoftmaxKernel,
    x: &[Signal],
    name: &str,
    timing: &Timing,
) -> Result<Vec<Signal>> {
    let w = x[0].width + 1;
    let level = timing.adder_ns(w) + timing.model.lut_level_ns;
    let per_stage = timing.per_stage(level);
    b.stage_delay(timing.stage_ns(per_stage.min(tree_depth(x.len())), level));
    let index_bits = bits_for(x.len() - 1);
    let leaves: Vec<Node<Candidate>> = x
        .iter()
        .enumerate()
        .map(|(i, &v)| Node {
            value: Candidate {
                value: v,
                index: Operand::Const(i as i128),
            },
            depth: 0,
        })
        .collect();
    let best = tree(&leaves, &format!("{name}_max"), &mut |l, r, depth, node| {
        let stage = tree_stage(0, depth, per_stage);
        let d = difference(b, r.value, l.value, &format!("{node}_d"), stage)?;
        let greater = b.wire(
            &format!("{node}_gt"),
            1,
            false,
            Expr::Cmp(CmpOp::Gt, d.net, 0),
            stage,
        )?;
        let value = b.wire(
            node,
            l.value.width,
            l.value.signed,
            Expr::Mux(
                greater,
                Operand::Net(r.value.net),
                Operand::Net(l.value.net),
            ),
            stage,
        )?;
        let index = b.wire(
            &format!("{node}_at"),
            index_bits,
            false,
            Expr::Mux(greater, r.index, l.index),
            stage,
        )?;
        Ok(Candidate {
            value: Signal {
                net: value,
                ..l.value
            },
            index: Operand::Net(index),
        })
    })?;
    let one = cast(1, 0, &k.result);
    let r = &k.result;
    let Operand::Net(at) = best.value.index else {
        unreachable!("a tree over two or more elements selects by a net")
    };
    let stage = b.stage_of(at) + 1;
    (0..x.len())
        .map(|i| {
            let hit = b.wire(
                &format!("{name}_is{i}"),
                1,
                false,
                Expr::Cmp(CmpOp::Eq, at, i as i128),
                stage,
            )?;
            let net = b.wire(
                &format!("{name}_y{i}"),
                r.width,
                r.signed,
                Expr::Mux(hit, Operand::Const(one), Operand::Const(0)),
                stage,
            )?;
            b.note(
                net,
                format!("{} output {i}: 1 at the first maximum", k.name),
            );
            Ok(Signal {
                net,
                width: r.width,
                signed: r.signed,
                frac: r.frac_bits(),
            })
        })
        .collect()
}

fn legacy(
    b: &mut ModuleBuilder,
    k: &SoftmaxKernel,
    x: &[Signal],
    name: &str,
    timing: &Timing,
) -> Result<Vec<Signal>> {
    let Softmax::Legacy { exp, inv } = &k.softmax else {
        unreachable!("called for the legacy softmax")
    };
    let t = exp.ty;
    let one = cast(1, 0, &t);
    let link = timing.cast_ns(t.width + 1);
    let per_stage = timing.per_stage(link);
    b.stage_delay(timing.stage_ns(per_stage.min(x.len() as u32), link));
    b.stage_delay(timing.stage_ns(1, timing.cast_ns(x[0].width + 1)));
    (0..x.len())
        .map(|i| {
            let mut acc: Option<Signal> = None;
            for j in 0..x.len() {
                let term = if i == j {
                    None
                } else {
                    let d = difference(b, x[j], x[i], &format!("{name}_d{i}_{j}"), 0)?;
                    let index =
                        range_index(b, d, exp.bits(), 4, true, &format!("{name}_ei{i}_{j}"), 0)?;
                    Some(lookup(
                        b,
                        index,
                        &k.exp,
                        &t,
                        &format!("legacy exp table of {}", k.name),
                        &format!("{name}_e{i}_{j}"),
                        0,
                    )?)
                };
                let stage = 1 + j as u32 / per_stage;
                acc = Some(match (acc, term) {
                    (None, Some(term)) => term,
                    (None, None) => {
                        let net = b.wire(
                            &format!("{name}_a{i}_{j}"),
                            t.width,
                            t.signed,
                            Expr::Copy(Operand::Const(one)),
                            stage,
                        )?;
                        Signal {
                            net,
                            width: t.width,
                            signed: t.signed,
                            frac: t.frac_bits(),
                        }
                    }
                    (Some(a), term) => {
                        let w = t.width + 1;
                        let ae = b.resize(a, w, &format!("{name}_a{i}_{j}_a"), stage)?;
                        let other = match term {
                            Some(term) => Operand::Net(
                                b.resize(term, w, &format!("{name}_a{i}_{j}_t"), stage)?.net,
                            ),
                            None => Operand::Const(one),
                        };
                        let net = b.wire(
                            &format!("{name}_a{i}_{j}_sum"),
                            w,
                            t.signed,
                            Expr::Add(Operand::Net(ae.net), other),
                            stage,
                        )?;
                        lower_cast(
                            b,
                            Signal { net, ..ae },
                            &t,
                            &format!("{name}_a{i}_{j}"),
                            stage,
                        )?
                    }
                });
            }
            let acc = acc.expect("at least one element");
            let stage = b.stage_of(acc.net) + 1;
            let index = range_index(
                b,
                acc,
                inv.bits(),
                6,
                false,
                &format!("{name}_ii{i}"),
                stage,
            )?;
            let what = format!("legacy inverse table of {}", k.name);
            let word = lookup(
                b,
                index,
                &k.inv,
                &t,
                &what,
                &format!("{name}_inv{i}"),
                stage,
            )?;
            let y = lower_cast(b, word, &k.result, &format!("{name}_y{i}"), stage + 1)?;
            b.note(
                y.net,
                format!("{} output {i}: inverse of the exp sum", k.name),
            );
            Ok(y)
        })
        .collect()
}
