//! Dense at reuse factor 1 over bipolar-encoded inputs: XNOR-popcount (REFERENCE §7.2).
//!
//! An input is `v_i = 2·b_i − 1` for its XNOR bit `b_i`. Neuron `j` groups its non-zero weights
//! by magnitude `c`; within a group `Σ sign(w_i)·c·v_i = c·(2·p_c − n_c)`, where `n_c` is the
//! group's size and the popcount `p_c = #{i : b_i = [w_i > 0]}` counts the inputs whose sign
//! matches their weight's (the XNOR with a constant weight is a wire or an inverter). So
//!
//! `acc = bias + Σ_c 2c·p_c − Σ_c c·n_c`,
//!
//! exactly. Binary weights (one magnitude) give the classic `2p − n` plus a constant; ternary
//! weights drop their zeros; a weight of a magnitude of its own is one conditional constant, as
//! the mantissa path would build it. Each `p_c` is an adder tree over its bits whose nodes have
//! exact unsigned widths (`⌈log2(n_c + 1)⌉` bits at the root), from stage 0; `2c·p_c` is a
//! shift, a multiplexer for a single bit, or a constant multiplier; the weighted counts and the
//! constant are summed in the stages after the counts, and the result cast takes the stage after
//! that ([`dense::result`](super::dense::result)).
//!
//! The sum is exact, which is the layer's arithmetic under [`AccumPlan::Exact`] only; other
//! plans, and reuse factors above 1, use the mantissa path on the decoded inputs ([`applies`]).

use super::builder::{ModuleBuilder, Signal};
use super::dense::{exact_sum, result, tree, Out, Term};
use super::encoding::Encoding;
use super::netlist::*;
use super::timing::Timing;
use crate::analysis::accumulation::{bias_in_accum, AccumPlan};
use crate::analysis::interval::Interval;
use crate::diag::Result;
use crate::golden::DenseKernel;
use std::collections::BTreeMap;

/// Whether `layer` reading inputs in `input` is lowered here: bipolar inputs, reuse factor 1,
/// and the exact sum this lowering computes is the layer's arithmetic.
pub fn applies(layer: &DenseKernel, input: Encoding) -> bool {
    input == Encoding::Bipolar && layer.settings.reuse_factor == 1 && layer.plan == AccumPlan::Exact
}

/// The report's name of a Dense (or a convolution's kernel) reading `input`.
pub fn kind(layer: &DenseKernel, input: Encoding) -> &'static str {
    if applies(layer, input) {
        "Dense (XNOR-popcount)"
    } else {
        "Dense"
    }
}

/// Lowers `layer` over the XNOR bits `codes` of its inputs (stage 0); returns one output per
/// neuron and the number of constant multipliers built (weighted counts of several bits whose
/// weight is not a power of two).
pub fn lower(
    b: &mut ModuleBuilder,
    layer: &DenseKernel,
    codes: &[NetId],
    timing: &Timing,
) -> Result<(Vec<Out>, usize)> {
    let p = layer.precision;
    let f_prod = layer.x_ty.frac_bits() + p.weight.frac_bits();
    let f_acc = p.accum.frac_bits();
    let mut inverted: BTreeMap<usize, NetId> = BTreeMap::new();
    let mut multipliers = 0;
    let mut outs = Vec::with_capacity(layer.n_out);
    for j in 0..layer.n_out {
        let mut groups: BTreeMap<i128, Vec<(usize, bool)>> = BTreeMap::new();
        for (i, &w) in layer.weights.column(j).iter().enumerate() {
            if w != 0 {
                groups.entry(w.abs()).or_default().push((i, w > 0));
            }
        }
        let mut terms = Vec::with_capacity(groups.len());
        let mut matched_offset = 0;
        for (g, (&c, members)) in groups.iter().enumerate() {
            matched_offset += c * members.len() as i128;
            let mut bits = Vec::with_capacity(members.len());
            for &(i, positive) in members {
                let net = if positive {
                    codes[i]
                } else {
                    match inverted.get(&i) {
                        Some(&net) => net,
                        None => {
                            let net =
                                b.wire(&format!("x{i}_inv"), 1, false, Expr::Not(codes[i]), 0)?;
                            inverted.insert(i, net);
                            net
                        }
                    }
                };
                bits.push(Term::Net {
                    sig: Signal {
                        net,
                        width: 1,
                        signed: false,
                        frac: 0,
                    },
                    range: Interval { lo: 0, hi: 1 },
                });
            }
            let Term::Net { sig: count, range } = tree(
                b,
                &format!("pc{j}_{g}"),
                bits,
                0,
                &|r| (r.unsigned_width(), false),
                timing,
            )?
            else {
                unreachable!("a popcount of at least one bit is a net")
            };
            if members.len() > 1 {
                let note = format!(
                    "{} output {j}: inputs whose sign matches their weight's, among the {} of magnitude {c}",
                    layer.name,
                    members.len()
                );
                b.note(count.net, note);
            }
            let (weighted, is_multiplier) = weigh(b, count, range, 2 * c, j, g, f_prod)?;
            multipliers += usize::from(is_multiplier);
            terms.push(weighted);
        }
        let shift = (f_acc - f_prod) as u32;
        let constant = bias_in_accum(layer.bias[j], &p) - (matched_offset << shift);
        let first = terms
            .iter()
            .map(|(s, _)| b.stage_of(s.net) + 1)
            .max()
            .unwrap_or(1);
        let acc = exact_sum(b, j, &terms, constant, f_acc, f_prod, first, timing)?;
        outs.push(result(b, acc, j, layer)?);
    }
    Ok((outs, multipliers))
}

/// `count · factor` at `f_prod` fraction bits in the count's stage, with its exact interval;
/// whether it took a constant multiplier.
fn weigh(
    b: &mut ModuleBuilder,
    count: Signal,
    range: Interval,
    factor: i128,
    j: usize,
    g: usize,
    f_prod: i32,
) -> Result<((Signal, Interval), bool)> {
    let stage = b.stage_of(count.net);
    let range = range.scale(factor).expect("verified widths fit");
    let width = range.unsigned_width();
    let name = format!("pw{j}_{g}");
    let (net, is_multiplier) = if factor.count_ones() == 1 {
        let k = factor.trailing_zeros();
        let shifted = b.shift_left(count, k, &name, stage)?;
        (shifted.net, false)
    } else if count.width == 1 {
        let mux = Expr::Mux(count.net, Operand::Const(factor), Operand::Const(0));
        (b.wire(&name, width, false, mux, stage)?, false)
    } else {
        let wide = b.resize(count, width, &format!("pc{j}_{g}_w{width}"), stage)?;
        let net = b.wire(&name, width, false, Expr::MulConst(wide.net, factor), stage)?;
        b.attr(net, "use_dsp", "no");
        (net, true)
    };
    let sig = Signal {
        net,
        width: b.net(net).width,
        signed: false,
        frac: f_prod,
    };
    Ok(((sig, range), is_multiplier))
}
