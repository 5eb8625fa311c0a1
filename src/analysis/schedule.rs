//! Time-multiplexed Dense schedules: which multiplier computes which product in which cycle, for
//! any reuse factor R (the layer accepts an input every R cycles).
//!
//! Zero weights are never multiplied. Products are ordered by output, then
//! input ascending, and laid out on *lanes*: a lane is a group of `width` multipliers that, in
//! each of up to R cycles, computes `width` products of one output and adds them to the lane's
//! running sum. A lane's cycles form *segments*, runs of cycles working on the same output.
//! * Exact and Wrap accumulation plans (order-free): lanes of width 1, each taking up to R
//!   consecutive products, so the layer uses exactly ⌈nnz / R⌉ multiplier slots. An output split
//!   over several lanes is the sum of its segments; R that does not divide nnz leaves idle slots
//!   in the last lane. With `prefer_shifts`, products by ±2^k are ordered after all others, so
//!   they fill lanes of their own.
//!   The *input-aligned* layout is the alternative: in cycle k every lane reads input
//!   `k mod n_in` (R ≥ n_in: a lane computes ⌊R/n_in⌋ whole outputs) or input `t·R + k`
//!   (R < n_in: lane t of ⌈n_in/R⌉ per output). Lanes at the same position then select their
//!   inputs identically and share one selection multiplexer. Zero weights keep their place as
//!   products by 0 (not multiplied: their cycle idles), so it may need more multipliers. Both
//!   layouts are priced in LUTs with the target's [`LayoutCosts`] and the cheaper is used
//!   (the compact one on a tie): an R-input multiplexer per bit costs about as many LUTs as a
//!   small multiplier, so at large R sharing them outweighs a few idle multiplier cycles.
//! * Sequential plan (a saturating accumulator that can overflow; the order of hls4ml's loop
//!   matters): one lane per output, of width ⌈nnz_j / R⌉, chaining its products in input order,
//!   so each output is one segment and the cast-after-every-add order is kept exactly.
//!
//! A *slot* (one multiplier position of a lane, over its cycles) whose products are all by ±2^k
//! is a *shifter* when `prefer_shifts` is set: it selects a shifted input and needs no
//! multiplier. Every other slot is a multiplier.

use super::accumulation::AccumPlan;
use ndarray::ArrayView2;
use std::collections::BTreeSet;

/// What the parts of a layout cost on the target, in LUTs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayoutCosts {
    /// One multiplier: its LUT array, or what a DSP block is worth.
    pub multiplier: u64,
    /// Bits of one input.
    pub input_bits: u64,
    /// Inputs one LUT selects among.
    pub inputs_per_lut: u64,
}

/// One product `x[i] · w` contributing to output `j` (`w = 0` only as a placeholder in an
/// input-aligned layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Product {
    pub i: usize,
    pub j: usize,
    pub w: i128,
}

/// A run of a lane's cycles that work on one output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub output: usize,
    pub first_cycle: usize,
    pub last_cycle: usize,
    /// Whether this segment starts the output's accumulation (so it starts from the bias).
    pub starts_output: bool,
}

/// A group of `width` multipliers and its running sum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lane {
    pub width: usize,
    /// Products per cycle (at most `width`, all of one output); at most R cycles.
    pub cycles: Vec<Vec<Product>>,
}

impl Lane {
    /// Runs of cycles working on one output (idle cycles inside a run belong to it).
    pub fn segments(&self) -> Vec<Segment> {
        let mut segs: Vec<Segment> = Vec::new();
        for (c, products) in self.cycles.iter().enumerate() {
            let Some(p) = products.first() else { continue };
            match segs.last_mut() {
                Some(s) if s.output == p.j => s.last_cycle = c,
                _ => segs.push(Segment {
                    output: p.j,
                    first_cycle: c,
                    last_cycle: c,
                    starts_output: false,
                }),
            }
        }
        segs
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub reuse_factor: usize,
    pub lanes: Vec<Lane>,
    pub prefer_shifts: bool,
}

impl Schedule {
    /// The products of slot `t` of `lane`, by cycle (`None` where the slot idles).
    pub fn slot(&self, lane: &Lane, t: usize) -> Vec<Option<Product>> {
        (0..self.reuse_factor)
            .map(|k| lane.cycles.get(k).and_then(|c| c.get(t).copied()))
            .collect()
    }

    /// Whether slot `t` of `lane` is a shifter (every non-zero product by ±2^k, and shifts
    /// preferred).
    pub fn is_shifter(&self, lane: &Lane, t: usize) -> bool {
        self.prefer_shifts
            && self
                .slot(lane, t)
                .iter()
                .flatten()
                .filter(|q| q.w != 0)
                .all(|q| q.w.unsigned_abs().is_power_of_two())
    }

    fn count_slots(&self, shifters: bool) -> usize {
        self.lanes
            .iter()
            .map(|l| {
                (0..l.width)
                    .filter(|&t| self.is_shifter(l, t) == shifters)
                    .count()
            })
            .sum()
    }

    /// Multipliers used (each used up to R times per input).
    pub fn multipliers(&self) -> usize {
        self.count_slots(false)
    }

    /// Shifters used in place of multipliers.
    pub fn shifters(&self) -> usize {
        self.count_slots(true)
    }

    /// What the schedule costs in LUTs: its multipliers, and one selection multiplexer per
    /// distinct input sequence of its slots (slots reading the same inputs in the same cycles
    /// share one), of ⌈inputs / inputs_per_lut⌉ LUTs per input bit.
    pub fn cost(&self, costs: &LayoutCosts) -> u64 {
        let sequences: BTreeSet<Vec<Option<usize>>> = self
            .lanes
            .iter()
            .flat_map(|lane| (0..lane.width).map(move |t| self.input_sequence(lane, t)))
            .collect();
        let selection: u64 = sequences
            .iter()
            .map(|seq| {
                let inputs = seq.iter().collect::<BTreeSet<_>>().len() as u64;
                costs.input_bits * inputs.div_ceil(costs.inputs_per_lut)
            })
            .sum();
        self.multipliers() as u64 * costs.multiplier + selection
    }

    /// The input slot `t` of `lane` reads in each cycle (`None` where it idles).
    pub fn input_sequence(&self, lane: &Lane, t: usize) -> Vec<Option<usize>> {
        self.slot(lane, t).iter().map(|q| q.map(|q| q.i)).collect()
    }

    /// Every lane's segments, with `starts_output` set on the segment holding each output's
    /// first product.
    pub fn segments(&self) -> Vec<Vec<Segment>> {
        let mut seen = std::collections::BTreeSet::new();
        self.lanes
            .iter()
            .map(|l| {
                let mut segs = l.segments();
                for s in &mut segs {
                    s.starts_output = seen.insert(s.output);
                }
                segs
            })
            .collect()
    }
}

/// The schedule of a `(n_in, n_out)` weight matrix at reuse factor `r ≥ 1`; `costs` choose the
/// order-free plans' layout.
pub fn schedule(
    weights: ArrayView2<i128>,
    r: usize,
    plan: AccumPlan,
    prefer_shifts: bool,
    costs: &LayoutCosts,
) -> Schedule {
    let (n_in, n_out) = weights.dim();
    let per_output: Vec<Vec<Product>> = (0..n_out)
        .map(|j| {
            (0..n_in)
                .filter(|&i| weights[[i, j]] != 0)
                .map(|i| Product {
                    i,
                    j,
                    w: weights[[i, j]],
                })
                .collect()
        })
        .collect();
    let lanes = match plan {
        AccumPlan::Sequential => per_output
            .into_iter()
            .filter(|ps| !ps.is_empty())
            .map(|ps| {
                let width = ps.len().div_ceil(r);
                Lane {
                    width,
                    cycles: ps.chunks(width).map(<[Product]>::to_vec).collect(),
                }
            })
            .collect(),
        AccumPlan::Exact | AccumPlan::Wrap => {
            let (shifts, general): (Vec<Product>, Vec<Product>) = per_output
                .into_iter()
                .flatten()
                .partition(|p| prefer_shifts && p.w.unsigned_abs().is_power_of_two());
            let all: Vec<Product> = general.into_iter().chain(shifts).collect();
            let compact = Schedule {
                reuse_factor: r,
                lanes: all
                    .chunks(r)
                    .map(|chunk| Lane {
                        width: 1,
                        cycles: chunk.iter().map(|&p| vec![p]).collect(),
                    })
                    .collect(),
                prefer_shifts,
            };
            let aligned = Schedule {
                reuse_factor: r,
                lanes: input_aligned(weights, r),
                prefer_shifts,
            };
            return if aligned.cost(costs) < compact.cost(costs) {
                aligned
            } else {
                compact
            };
        }
    };
    Schedule {
        reuse_factor: r,
        lanes,
        prefer_shifts,
    }
}

/// The input-aligned layout (see the module docs); lanes with only zero weights are dropped.
fn input_aligned(weights: ArrayView2<i128>, r: usize) -> Vec<Lane> {
    let (n_in, n_out) = weights.dim();
    let product = |i: usize, j: usize| Product {
        i,
        j,
        w: weights[[i, j]],
    };
    let lanes: Vec<Lane> = if r >= n_in {
        let outputs: Vec<usize> = (0..n_out).collect();
        outputs
            .chunks(r / n_in)
            .map(|js| Lane {
                width: 1,
                cycles: js
                    .iter()
                    .flat_map(|&j| (0..n_in).map(move |i| vec![product(i, j)]))
                    .collect(),
            })
            .collect()
    } else {
        (0..n_out)
            .flat_map(|j| {
                (0..n_in.div_ceil(r)).map(move |t| Lane {
                    width: 1,
                    cycles: (t * r..((t + 1) * r).min(n_in))
                        .map(|i| vec![product(i, j)])
                        .collect(),
                })
            })
            .collect()
    };
    lanes
        .into_iter()
        .filter(|l| l.cycles.iter().flatten().any(|p| p.w != 0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    /// 8-bit inputs on LUT6 (4 inputs selected per LUT), a multiplier worth 240 LUTs.
    const COSTS: LayoutCosts = LayoutCosts {
        multiplier: 240,
        input_bits: 8,
        inputs_per_lut: 4,
    };

    #[test]
    fn order_free_plans_use_ceil_nnz_over_r_multipliers() {
        // 4 inputs x 3 outputs, 2 zero weights: nnz = 10.
        let w = Array2::from_shape_vec((4, 3), vec![1, 0, 2, 3, 4, 5, 0, 6, 7, 8, 9, 1]).unwrap();
        for r in 1..=10 {
            let s = schedule(w.view(), r, AccumPlan::Wrap, false, &COSTS);
            assert_eq!(s.multipliers(), 10usize.div_ceil(r), "R = {r}");
            assert!(s.lanes.iter().all(|l| l.cycles.len() <= r));
            let nonzero: Vec<(usize, usize)> = s
                .lanes
                .iter()
                .flat_map(|l| l.cycles.iter().flatten())
                .filter(|p| p.w != 0)
                .map(|p| (p.i, p.j))
                .collect();
            let distinct: std::collections::BTreeSet<_> = nonzero.iter().collect();
            assert_eq!(
                (nonzero.len(), distinct.len()),
                (10, 10),
                "every non-zero product exactly once"
            );
        }
        // Products by output: 0 → inputs 0, 1, 3; 1 → 1, 2, 3; 2 → 0, 1, 2, 3. At R = 5 two
        // compact lanes take products 0-4 and 5-9 (input-aligned would need 3): output 1 spans
        // both lanes.
        let s = schedule(w.view(), 5, AccumPlan::Exact, false, &COSTS);
        let segs = s.segments();
        assert_eq!(segs.len(), 2);
        let starts: Vec<(usize, bool)> = segs
            .iter()
            .flatten()
            .map(|s| (s.output, s.starts_output))
            .collect();
        assert_eq!(starts, vec![(0, true), (1, true), (1, false), (2, true)]);
        // At R = 4 the input-aligned layout needs no more lanes (3), so every lane reads input k
        // in cycle k, the zero weights kept as placeholders.
        let s = schedule(w.view(), 4, AccumPlan::Exact, false, &COSTS);
        assert_eq!(s.multipliers(), 3);
        for lane in &s.lanes {
            let inputs: Vec<usize> = lane.cycles.iter().flatten().map(|p| p.i).collect();
            assert_eq!(inputs, vec![0, 1, 2, 3]);
        }
    }

    #[test]
    fn the_cheaper_layout_wins() {
        // 64 × 8 at R = 16 with 21 zero weights (none filling a lane). Compact: ⌈491 / 16⌉ = 31
        // multipliers; their input sequences are 29 distinct ones (two pairs of lanes read
        // inputs 1-16 and 51-63, 0-2 alike), 28 of 16 inputs (8 bits × 4 LUTs) and the last of
        // 11 inputs and idle cycles (8 × 3): 31·m + 920. Input-aligned: 32 multipliers sharing
        // 4 selections: 32·m + 128. Aligned wins while a multiplier costs less than 792 LUTs.
        let w = Array2::from_shape_fn((64, 8), |(i, j)| {
            if (i * 8 + j) % 25 == 0 {
                0
            } else {
                (i + j + 1) as i128
            }
        });
        assert_eq!(w.iter().filter(|&&v| v == 0).count(), 21);
        let s = schedule(w.view(), 16, AccumPlan::Wrap, false, &COSTS);
        assert_eq!(s.multipliers(), 32);
        assert_eq!(s.cost(&COSTS), 32 * 240 + 4 * 8 * 4);
        for lane in &s.lanes {
            let inputs: Vec<usize> = lane.cycles.iter().flatten().map(|p| p.i % 16).collect();
            assert_eq!(inputs, (0..16).collect::<Vec<_>>());
        }
        for (multiplier, expected) in [(791, 32), (792, 31), (2000, 31)] {
            let costs = LayoutCosts {
                multiplier,
                ..COSTS
            };
            let s = schedule(w.view(), 16, AccumPlan::Wrap, false, &costs);
            assert_eq!(
                s.multipliers(),
                expected,
                "a multiplier worth {multiplier} LUTs"
            );
        }
        // With a quarter of the weights zero, compact wins.
        let w = w.mapv(|v| if v % 4 == 0 { 0 } else { v });
        let nnz = w.iter().filter(|&&v| v != 0).count();
        assert_eq!(
            schedule(w.view(), 16, AccumPlan::Wrap, false, &COSTS).multipliers(),
            nnz.div_ceil(16)
        );
    }

    #[test]
    fn input_aligned_lanes_cover_whole_outputs_when_r_exceeds_n_in() {
        // 3 inputs × 5 outputs at R = 7: two outputs per lane (cycles 0-5), three lanes, the same
        // as ⌈15 / 7⌉.
        let w = Array2::from_shape_fn((3, 5), |(i, j)| (i + 3 * j + 1) as i128);
        let s = schedule(w.view(), 7, AccumPlan::Wrap, false, &COSTS);
        assert_eq!(s.multipliers(), 3);
        let first: Vec<(usize, usize)> = s.lanes[0]
            .cycles
            .iter()
            .flatten()
            .map(|p| (p.j, p.i))
            .collect();
        assert_eq!(first, vec![(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]);
        assert_eq!(
            s.lanes[2].cycles.len(),
            3,
            "the last lane holds output 4 alone"
        );
    }

    #[test]
    fn sequential_plan_keeps_each_output_in_one_lane_in_input_order() {
        let w = Array2::from_shape_vec((5, 2), vec![1, 2, 3, 0, 4, 5, 6, 7, 8, 9]).unwrap();
        let s = schedule(w.view(), 2, AccumPlan::Sequential, false, &COSTS);
        assert_eq!(s.lanes.len(), 2);
        assert_eq!(s.lanes[0].width, 3); // output 0 has 5 products: 3 per cycle over 2 cycles
        assert_eq!(s.lanes[1].width, 2); // output 1 has 4 products
        let order: Vec<usize> = s.lanes[0].cycles.iter().flatten().map(|p| p.i).collect();
        assert_eq!(order, vec![0, 1, 2, 3, 4]);
        assert!(s.lanes.iter().all(|l| l.segments().len() == 1));
    }

    #[test]
    fn powers_of_two_fill_shifter_lanes_of_their_own() {
        // 3 inputs × 2 outputs; weights 4, −2 and 1 are powers of two, 3, 5 and 6 are not.
        let w = Array2::from_shape_vec((3, 2), vec![4, 3, 5, -2, 6, 1]).unwrap();
        let s = schedule(w.view(), 3, AccumPlan::Wrap, true, &COSTS);
        assert_eq!((s.multipliers(), s.shifters()), (1, 1));
        let general: Vec<i128> = s.lanes[0].cycles.iter().flatten().map(|p| p.w).collect();
        assert_eq!(general, vec![5, 6, 3]);
        // Without the preference every slot multiplies.
        let s = schedule(w.view(), 3, AccumPlan::Wrap, false, &COSTS);
        assert_eq!((s.multipliers(), s.shifters()), (2, 0));
        // Sequential keeps input order; only an all-power-of-two slot becomes a shifter.
        let s = schedule(w.view(), 3, AccumPlan::Sequential, true, &COSTS);
        assert_eq!((s.multipliers(), s.shifters()), (2, 0));
        let s = schedule(w.view(), 1, AccumPlan::Sequential, true, &COSTS);
        assert_eq!((s.multipliers(), s.shifters()), (3, 3));
    }
}
