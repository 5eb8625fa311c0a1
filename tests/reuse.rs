//! Reuse factors: layers time-multiplexed on ⌈nnz / R⌉ shared multipliers (Exact and Wrap
//! accumulation) or on one lane per output (Sequential), co-simulated bit-exact with the latency
//! and II the report promises, for the reuse factors hls4ml users pick and for ones that do not
//! divide the work. Needs Verilator (scripts/test.sh).

mod common;

use common::{assert_lint_clean, assert_testbench_passes, cli_build, require_tool};
use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rtlgen::modelgen::{encode, mlp, DenseLayer, Style};
use serde_json::json;

struct Layer {
    n_out: usize,
    reuse: usize,
    strategy: &'static str,
}

/// How the weights of a test model are drawn.
#[derive(Clone, Copy)]
struct Weights {
    /// Probability of a zero weight.
    zeros: f64,
    /// Probability that a non-zero weight is ±2^-k (k in 0..=5).
    powers_of_two: f64,
}

const DENSE: Weights = Weights {
    zeros: 0.0,
    powers_of_two: 0.0,
};

fn sparse(zeros: f64) -> Weights {
    Weights {
        zeros,
        powers_of_two: 0.0,
    }
}

/// Non-zero weights of one output: how many are ±2^k and how many are not.
#[derive(Clone, Copy)]
struct Counts {
    general: usize,
    powers_of_two: usize,
}

impl Counts {
    fn nnz(&self) -> usize {
        self.general + self.powers_of_two
    }
}

/// Builds a chain of Dense+ReLU layers from `n_in` inputs. Every weight is exact in
/// ap_fixed<16,6>: zero, ±2^-k, or ±m/1024 with 128 < m < 1024 not a power of two, so the
/// counts of each kind are known here. Returns the compiled model and, per layer, each output's
/// counts.
fn model(
    n_in: usize,
    layers: &[Layer],
    weights: Weights,
    accum: Option<&str>,
    seed: u64,
) -> (
    rtlgen::driver::Compiled,
    Vec<Vec<Counts>>,
    tempfile::TempDir,
) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut width = n_in;
    let mut specs = Vec::new();
    let mut counts = Vec::new();
    let mut names = serde_json::Map::new();
    for (k, l) in layers.iter().enumerate() {
        let w = Array2::from_shape_fn((l.n_out, width), |_| {
            if rng.random_bool(weights.zeros) {
                return 0.0;
            }
            let magnitude = if rng.random_bool(weights.powers_of_two) {
                0.5f32.powi(rng.random_range(0..=5))
            } else {
                let m = loop {
                    let m: u32 = rng.random_range(129..1024);
                    if !m.is_power_of_two() {
                        break m;
                    }
                };
                m as f32 / 1024.0
            };
            if rng.random_bool(0.5) {
                magnitude
            } else {
                -magnitude
            }
        });
        counts.push(
            (0..l.n_out)
                .map(|j| {
                    let nz: Vec<f32> = w.row(j).iter().copied().filter(|&v| v != 0.0).collect();
                    let powers_of_two = nz
                        .iter()
                        .filter(|v| ((v.abs() * 1024.0) as u32).is_power_of_two())
                        .count();
                    Counts {
                        general: nz.len() - powers_of_two,
                        powers_of_two,
                    }
                })
                .collect(),
        );
        let name = format!("fc{}", k + 1);
        let mut entry = json!({"ReuseFactor": l.reuse, "Strategy": l.strategy});
        if let Some(a) = accum {
            entry["Precision"] = json!({"accum": a});
        }
        names.insert(name.clone(), entry);
        specs.push(DenseLayer {
            name,
            weight: w,
            bias: Some(Array1::from_shape_fn(l.n_out, |_| {
                rng.random_range(-1.0..1.0)
            })),
            relu: k + 1 < layers.len(),
        });
        width = l.n_out;
    }
    let dir = tempfile::tempdir().unwrap();
    let (mpath, cpath) = (dir.path().join("reuse.onnx"), dir.path().join("reuse.json"));
    std::fs::write(&mpath, encode(&mlp(&[n_in], &specs, Style::Torch))).unwrap();
    std::fs::write(
        &cpath,
        json!({"Model": {"Precision": "ap_fixed<16,6>"}, "LayerName": names}).to_string(),
    )
    .unwrap();
    let c = rtlgen::driver::compile(&mpath, Some(&cpath), None).unwrap();
    (c, counts, dir)
}

/// Co-simulates, and checks the report: each layer's II is its R, the model's II the largest,
/// and the multipliers are ⌈nnz / R⌉ (or Σ ⌈nnz_j / R⌉ when `sequential`). In the Latency
/// strategy products by ±2^k fill shifter lanes after the others, so an order-free layer has
/// ⌈general / R⌉ multipliers and ⌈nnz / R⌉ − ⌈general / R⌉ shifters.
fn check(
    n_in: usize,
    layers: &[Layer],
    weights: Weights,
    accum: Option<&str>,
    sequential: bool,
    seed: u64,
) -> rtlgen::rtl::Design {
    require_tool("verilator");
    let (c, counts, _dir) = model(n_in, layers, weights, accum, seed);
    let design = c.design().unwrap();
    for ((info, l), counts) in design
        .layers
        .iter()
        .filter(|i| i.kind == "Dense")
        .zip(layers)
        .zip(&counts)
    {
        assert_eq!(info.ii as usize, l.reuse, "{}: II", info.name);
        let r = l.reuse;
        let nnz: usize = counts.iter().map(Counts::nnz).sum();
        let general: usize = counts.iter().map(|c| c.general).sum();
        if r > 1 {
            let (multipliers, shifters) = match (sequential, l.strategy) {
                (true, _) => (counts.iter().map(|c| c.nnz().div_ceil(r)).sum(), None),
                (false, "Latency") => (
                    general.div_ceil(r),
                    Some(nnz.div_ceil(r) - general.div_ceil(r)),
                ),
                (false, _) => (nnz.div_ceil(r), Some(0)),
            };
            if let Some(shifters) = shifters {
                assert_eq!(
                    info.multipliers, multipliers,
                    "{} at R = {r}: multipliers",
                    info.name
                );
                assert_eq!(info.shifts, shifters, "{} at R = {r}: shifters", info.name);
            } else {
                // Sequential lanes keep input order: a slot shifts only if all its weights do.
                assert_eq!(
                    info.multipliers + info.shifts,
                    multipliers,
                    "{} at R = {r}: multipliers and shifters",
                    info.name
                );
            }
        }
        assert_eq!(
            info.zero_weights,
            counts.len() * info.n_in - nnz,
            "{}: zero weights removed",
            info.name
        );
    }
    assert_eq!(
        design.ii as usize,
        layers.iter().map(|l| l.reuse).max().unwrap()
    );
    assert_lint_clean(&design.files, &design.top);
    let t = c.golden.input_type;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed + 1);
    let x = Array2::from_shape_fn((120, n_in), |_| {
        rng.random_range(t.min_mantissa()..=t.max_mantissa()) as f64 / 1024.0
    });
    let outcome = rtlgen::sim::cosim::run(&c, &design, x.view(), None).unwrap();
    let summary = outcome.summary();
    assert_eq!(outcome.mismatched_samples, 0, "{summary}");
    assert_eq!(outcome.received, 120, "{summary}");
    assert_eq!(outcome.latency_measured, Some(design.latency), "{summary}");
    assert!(
        outcome.ii_uniform && outcome.ii_measured == Some(design.ii),
        "{summary}"
    );
    design
}

fn layers(spec: &[(usize, usize, &'static str)]) -> Vec<Layer> {
    spec.iter()
        .map(|&(n_out, reuse, strategy)| Layer {
            n_out,
            reuse,
            strategy,
        })
        .collect()
}

// Layer shapes 6 → 5 → 4 → 3 (30, 20 and 12 weights).

#[test]
fn small_reuse_factors_both_strategies() {
    check(
        6,
        &layers(&[(5, 2, "Latency"), (4, 3, "Resource"), (3, 4, "Latency")]),
        DENSE,
        None,
        false,
        1,
    );
    check(
        6,
        &layers(&[(5, 3, "Resource"), (4, 2, "Latency"), (3, 2, "Resource")]),
        DENSE,
        None,
        false,
        2,
    );
}

#[test]
fn reuse_factor_n_in_n_out_and_all_products() {
    // R = n_in, R = n_out, R = n_in·n_out (one multiplier per layer).
    check(
        6,
        &layers(&[(5, 6, "Latency"), (4, 4, "Resource"), (3, 12, "Latency")]),
        DENSE,
        None,
        false,
        3,
    );
    check(
        6,
        &layers(&[(5, 5, "Resource"), (4, 20, "Latency"), (3, 3, "Resource")]),
        DENSE,
        None,
        false,
        4,
    );
    check(
        6,
        &layers(&[(5, 30, "Resource"), (4, 5, "Resource"), (3, 4, "Resource")]),
        DENSE,
        None,
        false,
        5,
    );
}

#[test]
fn reuse_factors_that_do_not_divide_the_work() {
    check(
        6,
        &layers(&[(5, 7, "Latency"), (4, 9, "Resource"), (3, 11, "Latency")]),
        DENSE,
        None,
        false,
        6,
    );
    check(
        6,
        &layers(&[(5, 13, "Resource"), (4, 17, "Latency"), (3, 5, "Resource")]),
        DENSE,
        None,
        false,
        7,
    );
}

/// Input selections (`xsel<n>`, not their pipeline copies) declared in a layer module.
fn selections(design: &rtlgen::rtl::Design, module: &str) -> usize {
    let (_, text) = design
        .files
        .iter()
        .find(|(name, _)| name == &format!("{module}.v"))
        .unwrap();
    text.lines()
        .filter(|l| l.trim_start().starts_with("reg ") || l.trim_start().starts_with("wire "))
        .filter_map(|l| l.trim().strip_suffix(';')?.split_whitespace().last())
        .filter(|name| {
            name.strip_prefix("xsel")
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
        .count()
}

#[test]
fn input_aligned_lanes_share_one_selection_and_idle_on_zero_weights() {
    // 64 → 4 at R = 64 with about 5 % zero weights: ⌈nnz / 64⌉ = 4 compact lanes each selecting
    // among its own inputs, or one lane per output, all reading input k in cycle k and idling
    // where the weight is zero. With as many multipliers, the one shared selection is cheaper.
    let design = check(
        64,
        &layers(&[(4, 64, "Resource")]),
        sparse(0.05),
        None,
        false,
        11,
    );
    let fc1 = &design.layers[0];
    assert!(fc1.zero_weights > 0, "the seed draws zero weights");
    assert_eq!((fc1.multipliers, selections(&design, &fc1.module)), (4, 1));
    // 6 → 5 at R = 2 with every weight non-zero: 15 compact lanes or 3 aligned per output, as
    // many; the aligned lanes at each of the 3 positions share a selection.
    let design = check(6, &layers(&[(5, 2, "Resource")]), DENSE, None, false, 12);
    let fc1 = &design.layers[0];
    assert_eq!((fc1.multipliers, selections(&design, &fc1.module)), (15, 3));
}

#[test]
fn pruned_layers_use_proportionally_fewer_multipliers() {
    check(
        8,
        &layers(&[(6, 3, "Latency"), (5, 4, "Resource"), (3, 1, "Latency")]),
        sparse(0.5),
        None,
        false,
        8,
    );
    check(
        8,
        &layers(&[(6, 2, "Resource"), (5, 3, "Latency"), (3, 2, "Resource")]),
        sparse(0.9),
        None,
        false,
        9,
    );
}

#[test]
fn saturating_accumulator_keeps_hls4ml_order_at_any_reuse_factor() {
    // A narrow saturating accumulator overflows, so the order of hls4ml's loop matters: each
    // output keeps its own lane, Σ ⌈nnz_j / R⌉ multipliers.
    let accum = Some("ap_fixed<10,3,AP_RND,AP_SAT>");
    check(
        6,
        &layers(&[(5, 2, "Latency"), (4, 3, "Resource"), (3, 4, "Latency")]),
        DENSE,
        accum,
        true,
        10,
    );
    check(
        6,
        &layers(&[(5, 7, "Resource"), (4, 20, "Latency"), (3, 5, "Resource")]),
        sparse(0.3),
        accum,
        true,
        11,
    );
}

#[test]
fn generated_testbench_feeds_inputs_at_the_models_ii() {
    require_tool("iverilog");
    let (c, _, dir) = model(
        6,
        &layers(&[(5, 3, "Resource"), (4, 2, "Latency"), (3, 1, "Latency")]),
        sparse(0.2),
        None,
        12,
    );
    let out = dir.path().join("build");
    let cpath = dir.path().join("reuse.json");
    cli_build(
        &c.model_path,
        &["--config", cpath.to_str().unwrap(), "--tb-vectors", "200"],
        &out,
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["ii_cycles"], 3);
    assert_testbench_passes(&out, "run_icarus.sh", 200);
}

#[test]
fn powers_of_two_become_shifters_in_the_latency_strategy() {
    let weights = Weights {
        zeros: 0.2,
        powers_of_two: 0.6,
    };
    check(
        8,
        &layers(&[(6, 3, "Latency"), (5, 4, "Latency"), (3, 2, "Resource")]),
        weights,
        None,
        false,
        13,
    );
    // Exact accumulation (a wide accumulator) and hls4ml's order (a saturating one).
    check(
        8,
        &layers(&[(6, 5, "Latency"), (5, 2, "Latency"), (3, 7, "Latency")]),
        weights,
        Some("ap_fixed<40,20>"),
        false,
        14,
    );
    check(
        8,
        &layers(&[(6, 2, "Latency"), (5, 3, "Latency"), (3, 4, "Latency")]),
        weights,
        Some("ap_fixed<10,3,AP_RND,AP_SAT>"),
        true,
        15,
    );
}
