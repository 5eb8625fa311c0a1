//! The golden model against independent oracles:
//! * `DenseKernel` (the fast accumulation plans Exact / Wrap / Sequential of
//!   `src/analysis/accumulation.rs`) against the literal hls4ml Dense loop of REFERENCE.md §3.1,
//!   both `rtlgen::golden::reference::dense` and a copy of the loop written here from the spec;
//! * a whole compiled MLP against a float64 forward pass, within an error bound derived from the
//!   quantisation steps of the resolved types;
//! * `run_batch` against per-sample `run`, and non-finite inputs as user errors.

use ndarray::{Array1, Array2};
use num_bigint::BigInt;
use num_traits::{One, Signed, Zero};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rtlgen::analysis::accumulation::AccumPlan;
use rtlgen::diag::Error;
use rtlgen::fixed::{cast, FixedType, Overflow, Quant};
use rtlgen::golden::{reference, DenseKernel, GoldenModel, Layer};
use rtlgen::ir::DensePrecision;
use rtlgen::modelgen::{self, DenseLayer, Style};
use std::path::Path;

// ------------------------------------------------------------------------------------------------
// a. DenseKernel vs the literal loop
// ------------------------------------------------------------------------------------------------

/// REFERENCE.md §3.1, literally: the bias cast to accum is the initial value; for i ascending,
/// every product is cast to accum, then the sum is cast to accum; finally the cast to result.
fn literal_dense(
    x: &[i128],
    x_ty: &FixedType,
    p: &DensePrecision,
    w: &Array2<i128>,
    b: &[i128],
) -> Vec<i128> {
    let f_acc = p.accum.frac_bits();
    let f_prod = x_ty.frac_bits() + p.weight.frac_bits();
    (0..b.len())
        .map(|j| {
            let mut acc = cast(b[j], p.bias.frac_bits(), &p.accum);
            for i in 0..x.len() {
                let prod = cast(x[i] * w[[i, j]], f_prod, &p.accum);
                acc = cast(acc + prod, f_acc, &p.accum);
            }
            cast(acc, f_acc, &p.result)
        })
        .collect()
}

#[derive(Debug, Clone)]
struct DenseCase {
    x_ty: FixedType,
    p: DensePrecision,
    /// `(n_in, n_out)` weight mantissas.
    weights: Array2<i128>,
    bias: Vec<i128>,
    inputs: Vec<Vec<i128>>,
}

fn quant() -> impl Strategy<Value = Quant> {
    prop::sample::select(Quant::ALL.to_vec())
}

fn overflow() -> impl Strategy<Value = Overflow> {
    prop::sample::select(Overflow::ALL.to_vec())
}

/// Any mode combination: widths 2..=40, integer bits −4..=20, Q × O, WRAP saturation bits, and
/// ap_int/ap_uint (whose written modes are ignored).
fn layer_type() -> impl Strategy<Value = FixedType> {
    (
        2u32..=40,
        -4i32..=20,
        any::<bool>(),
        quant(),
        overflow(),
        any::<u32>(),
        0u8..10,
    )
        .prop_map(|(w, i, signed, q, o, raw_n, kind)| {
            let sat_bits = if raw_n % 2 == 0 {
                0
            } else {
                (raw_n / 2) % (w + 1)
            };
            let base = if kind == 0 {
                FixedType::int(w, signed)
            } else {
                FixedType::fixed(w, i, signed)
            };
            FixedType {
                quant: q,
                overflow: o,
                sat_bits,
                ..base
            }
        })
}

/// A mantissa of type `t`: its min or max, zero, ±1, a power of two, or uniform in range.
fn value_in(t: &FixedType, raw: u128, pick: u8) -> i128 {
    let (lo, hi) = (t.min_mantissa(), t.max_mantissa());
    let v = match pick % 8 {
        0 => lo,
        1 => hi,
        2 => 0,
        3 => 1,
        4 => -1,
        5 | 6 => {
            let k = (raw % t.width as u128) as u32;
            let p = 1i128 << k.min(126);
            if raw & (1 << 100) != 0 {
                -p
            } else {
                p
            }
        }
        _ => lo + (raw % ((hi - lo) as u128 + 1)) as i128,
    };
    v.clamp(lo, hi)
}

fn values(t: FixedType, n: usize, zero_percent: u8) -> impl Strategy<Value = Vec<i128>> {
    prop::collection::vec((any::<u128>(), any::<u8>(), 0u8..100), n).prop_map(move |v| {
        v.into_iter()
            .map(|(raw, pick, z)| {
                if z < zero_percent {
                    0
                } else {
                    value_in(&t, raw, pick)
                }
            })
            .collect()
    })
}

fn bitlen(v: &BigInt) -> u64 {
    v.bits()
}

/// An accumulator derived from the actual weights (input, weight and bias types) so that no product or partial sum can leave
/// it (the Exact plan's condition): F = max(F_x + F_w, F_b) + extra_f, and the smallest width
/// holding every reachable value plus `extra_w` bits. With `extra_w = 0` the range is tight, so
/// the extreme codes (including the most negative one) are reachable. `None` if wider than 100.
fn derived_accum(
    (x_ty, w_ty, b_ty): (&FixedType, &FixedType, &FixedType),
    w: &Array2<i128>,
    b: &[i128],
    extra_f: i32,
    extra_w: u32,
    unsigned_ok: bool,
) -> Option<(u32, i32, bool)> {
    let f_prod = x_ty.frac_bits() + w_ty.frac_bits();
    let f_acc = f_prod.max(b_ty.frac_bits()) + extra_f;
    let (xlo, xhi) = (
        BigInt::from(x_ty.min_mantissa()),
        BigInt::from(x_ty.max_mantissa()),
    );
    let s_prod = BigInt::one() << (f_acc - f_prod) as u32;
    let s_bias = BigInt::one() << (f_acc - b_ty.frac_bits()) as u32;
    let (mut lo, mut hi) = (BigInt::zero(), BigInt::zero());
    for j in 0..b.len() {
        let start = BigInt::from(b[j]) * &s_bias;
        let (mut l, mut h) = (start.clone(), start);
        for i in 0..w.nrows() {
            let wv = BigInt::from(w[[i, j]]);
            let (a, c) = (&xlo * &wv * &s_prod, &xhi * &wv * &s_prod);
            l += a.clone().min(c.clone());
            h += a.max(c);
        }
        lo = lo.min(l);
        hi = hi.max(h);
    }
    let signed = !unsigned_ok || lo.is_negative();
    let width = if signed {
        // Smallest W with −2^(W−1) <= lo and hi <= 2^(W−1) − 1.
        let neg = if lo.is_negative() {
            bitlen(&(-&lo - 1)) + 1
        } else {
            1
        };
        let pos = bitlen(&hi) + 1;
        neg.max(pos)
    } else {
        bitlen(&hi).max(1)
    } as u32
        + extra_w;
    (width <= 100).then_some((width, width as i32 - f_acc, signed))
}

fn derived_overflow() -> impl Strategy<Value = Overflow> {
    prop::sample::select(vec![
        Overflow::Wrap,
        Overflow::Sat,
        Overflow::SatZero,
        Overflow::SatSym,
        Overflow::SatSym,
    ])
}

fn dense_case() -> impl Strategy<Value = DenseCase> {
    let types = (
        layer_type(),
        layer_type(),
        layer_type(),
        layer_type(),
        layer_type(),
    );
    // Small layers are over-represented: they make tight accumulators reach their extreme codes.
    (
        prop_oneof![1usize..=3, 1usize..=24],
        prop_oneof![1usize..=2, 1usize..=8],
        types,
        1usize..=4,
    )
        .prop_flat_map(
            |(n_in, n_out, (x_ty, w_ty, b_ty, acc_ty, res_ty), n_samples)| {
                (
                    Just((x_ty, w_ty, b_ty, acc_ty, res_ty)),
                    values(w_ty, n_in * n_out, 30)
                        .prop_map(move |v| Array2::from_shape_vec((n_in, n_out), v).unwrap()),
                    values(b_ty, n_out, 10),
                    prop::collection::vec(values(x_ty, n_in, 5), n_samples),
                    // Derived accumulators favour SAT_SYM, whose range excludes the most negative code.
                    (
                        0u8..5,
                        0i32..=2,
                        1u32..=3,
                        quant(),
                        derived_overflow(),
                        any::<u32>(),
                        any::<bool>(),
                        any::<u64>(),
                    ),
                )
            },
        )
        .prop_map(
            |(
                (x_ty, w_ty, b_ty, acc_ty, res_ty),
                mut weights,
                bias,
                mut inputs,
                (kind, extra_f, extra_w, q, o, raw_n, uns, raw_i),
            )| {
                // kind 0, 1: the random accumulator (mostly Sequential or Wrap);
                // kind 2: a roomy derived one (Exact); kind 3: a tight derived one (Exact at the
                // edges); kind 4: one-hot columns (each output reads one input) and a tight one.
                // Always include the input type's extremes.
                let n_in = weights.nrows();
                inputs.push(vec![x_ty.min_mantissa(); n_in]);
                inputs.push(vec![x_ty.max_mantissa(); n_in]);
                if kind == 4 {
                    for (j, mut col) in weights.columns_mut().into_iter().enumerate() {
                        let keep = (raw_i as usize).wrapping_add(j * 7) % n_in;
                        let kept = col
                            .iter()
                            .copied()
                            .find(|&w| w != 0)
                            .unwrap_or(1)
                            .clamp(w_ty.min_mantissa(), w_ty.max_mantissa());
                        col.fill(0);
                        col[keep] = kept;
                    }
                }
                let derived = match kind {
                    2 => derived_accum(
                        (&x_ty, &w_ty, &b_ty),
                        &weights,
                        &bias,
                        extra_f,
                        extra_w,
                        uns,
                    ),
                    3 | 4 => derived_accum((&x_ty, &w_ty, &b_ty), &weights, &bias, 0, 0, uns),
                    _ => None,
                };
                let accum = match derived {
                    Some((w, i, signed)) => {
                        let sat_bits = if raw_n % 2 == 0 {
                            0
                        } else {
                            (raw_n / 2) % (w + 1)
                        };
                        FixedType {
                            quant: q,
                            overflow: o,
                            sat_bits,
                            ..FixedType::fixed(w, i, signed)
                        }
                    }
                    None => acc_ty,
                };
                // kind 4 reads the accumulator through a result type that keeps every value.
                let result = if kind == 4 {
                    FixedType::fixed(accum.width + 2, accum.int_bits + 2, true)
                } else {
                    res_ty
                };
                DenseCase {
                    x_ty,
                    p: DensePrecision {
                        weight: w_ty,
                        bias: b_ty,
                        accum,
                        result,
                    },
                    weights,
                    bias,
                    inputs,
                }
            },
        )
}

/// Which code path of `DenseKernel::run` a case takes (mirrors the kernel's i64 conditions; used
/// only to report coverage).
fn path_of(c: &DenseCase, plan: AccumPlan) -> &'static str {
    let p = &c.p;
    match plan {
        AccumPlan::Exact if p.accum.width <= 62 => "Exact/i64",
        AccumPlan::Exact => "Exact/i128",
        AccumPlan::Wrap => {
            let shift = p.accum.frac_bits() - c.x_ty.frac_bits() - p.weight.frac_bits();
            if c.x_ty.width + p.weight.width <= 62 && p.accum.width <= 64 && shift.abs() < 62 {
                if shift >= 0 {
                    "Wrap/i64/shl"
                } else if p.accum.effective_quant() == Quant::Trn {
                    "Wrap/i64/floor"
                } else {
                    "Wrap/i64/quantize"
                }
            } else {
                "Wrap/i128"
            }
        }
        AccumPlan::Sequential => "Sequential",
    }
}

/// Runs one case through the kernel, the crate's reference and the literal loop; returns the plan.
fn check_dense(c: &DenseCase) -> std::result::Result<AccumPlan, TestCaseError> {
    let k = DenseKernel::new("fc", c.x_ty, c.p, c.weights.view(), &c.bias);
    for x in &c.inputs {
        let want = literal_dense(x, &c.x_ty, &c.p, &c.weights, &c.bias);
        let crate_ref = reference::dense(x, &c.x_ty, &c.p, c.weights.view(), &c.bias);
        prop_assert_eq!(
            &crate_ref,
            &want,
            "golden::reference::dense disagrees with the literal loop; x = {:?}",
            x
        );
        let got = k.run(x);
        prop_assert_eq!(
            &got,
            &want,
            "plan {:?} disagrees with the literal loop; x = {:?}",
            k.plan,
            x
        );
        for &y in &got {
            prop_assert!(y >= c.p.result.min_mantissa() && y <= c.p.result.max_mantissa());
        }
    }
    Ok(k.plan)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn dense_kernel_matches_literal_loop(c in dense_case()) {
        check_dense(&c)?;
    }
}

/// A deterministic sweep over the same generator: every plan (and every machine-integer path of
/// the kernel) is produced by it. (Checking the results is the proptest's job.)
#[test]
fn dense_generator_covers_every_plan() {
    let mut runner = TestRunner::deterministic();
    let strategy = dense_case();
    let mut seen = std::collections::BTreeMap::<&'static str, usize>::new();
    for _ in 0..2000 {
        let c = strategy.new_tree(&mut runner).unwrap().current();
        let plan = DenseKernel::new("fc", c.x_ty, c.p, c.weights.view(), &c.bias).plan;
        *seen.entry(path_of(&c, plan)).or_default() += 1;
    }
    eprintln!("plan coverage: {seen:?}");
    for path in [
        "Exact/i64",
        "Exact/i128",
        "Wrap/i64/shl",
        "Wrap/i64/floor",
        "Wrap/i64/quantize",
        "Wrap/i128",
        "Sequential",
    ] {
        assert!(
            seen.get(path).copied().unwrap_or(0) > 0,
            "path {path} never taken: {seen:?}"
        );
    }
}

fn ty(s: &str) -> FixedType {
    s.parse().unwrap()
}

// ------------------------------------------------------------------------------------------------
// b. Compiled model vs float64
// ------------------------------------------------------------------------------------------------

struct FloatLayer {
    /// `(n_out, n_in)` as in torch.
    w: Array2<f64>,
    b: Array1<f64>,
}

fn random_mlp(
    sizes: &[usize],
    w_scale: f32,
    b_scale: f32,
    seed: u64,
) -> (Vec<DenseLayer>, Vec<FloatLayer>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut layers = Vec::new();
    let mut floats = Vec::new();
    for (k, pair) in sizes.windows(2).enumerate() {
        let (n_in, n_out) = (pair[0], pair[1]);
        let w = Array2::from_shape_fn((n_out, n_in), |_| rng.random_range(-w_scale..=w_scale));
        let b = Array1::from_shape_fn(n_out, |_| rng.random_range(-b_scale..=b_scale));
        let relu = k + 2 < sizes.len();
        floats.push(FloatLayer {
            w: w.mapv(f64::from),
            b: b.mapv(f64::from),
        });
        layers.push(DenseLayer {
            name: format!("fc{}", k + 1),
            weight: w,
            bias: Some(b),
            relu,
        });
    }
    (layers, floats)
}

fn compile_mlp(
    dir: &Path,
    sizes: &[usize],
    layers: &[DenseLayer],
    config: Option<&str>,
) -> rtlgen::driver::Compiled {
    let model = modelgen::mlp(&[sizes[0]], layers, Style::Torch);
    let model_path = dir.join("mlp.onnx");
    std::fs::write(&model_path, modelgen::encode(&model)).unwrap();
    let config_path = config.map(|text| {
        let p = dir.join("config.json");
        std::fs::write(&p, text).unwrap();
        p
    });
    rtlgen::driver::compile(&model_path, config_path.as_deref(), None)
        .unwrap_or_else(|e| panic!("compile failed: {e}"))
}

fn step(t: &FixedType) -> f64 {
    2f64.powi(-t.frac_bits())
}

/// Largest error of one cast into `t` from a source with `f_src` fraction bits (None = a double,
/// i.e. effectively unbounded): 0 if no bits are dropped, one step for the truncating modes
/// (TRN, TRN_ZERO, and every ap_int target), half a step for the rounding modes. Overflow is
/// excluded separately by range checks.
fn cast_error(t: &FixedType, f_src: Option<i32>) -> f64 {
    if f_src.is_some_and(|f| f <= t.frac_bits()) {
        return 0.0;
    }
    let truncating = t.integer || matches!(t.quant, Quant::Trn | Quant::TrnZero);
    if truncating {
        step(t)
    } else {
        step(t) / 2.0
    }
}

/// hls4ml's parameter rule (REFERENCE §3.2): printed with max(0, F) decimals, parsed, cast.
fn parameter_error(t: &FixedType) -> f64 {
    0.5 * 10f64.powi(-t.frac_bits().max(0)) + cast_error(t, None) + 1e-15
}

fn max_value(t: &FixedType) -> f64 {
    t.max_mantissa() as f64 * step(t)
}

fn min_value(t: &FixedType) -> f64 {
    t.min_mantissa() as f64 * step(t)
}

/// Asserts that every value within `err` of `v` lies inside `t`'s range, so no cast into `t`
/// overflows: the precondition of the error bound.
fn assert_no_overflow(v: f64, err: f64, t: &FixedType, what: &str) {
    assert!(
        v + err <= max_value(t) && v - err >= min_value(t),
        "test precondition violated: {what} = {v} ± {err} may overflow {t}"
    );
}

/// Float64 forward pass with a rigorous per-output error bound for the golden model's result.
///
/// For a Dense output y = b + Σ a_i·w_i computed from quantized â_i (|â_i − a_i| ≤ E_i),
/// ŵ_i (|ŵ_i − w_i| ≤ E_w) and b̂ (|b̂ − b| ≤ E_b):
///   |Σ â_i ŵ_i − Σ a_i w_i| ≤ Σ (|a_i| + E_i)·E_w + |w_i|·E_i,
/// plus one accum-cast error for the bias and per product (if they drop bits), the exact sum
/// (checked not to overflow), and one result-cast error. ReLU is 1-Lipschitz and then adds its
/// result cast error. A small relative slack covers the float64 reference's own rounding.
fn float_forward_with_bound(
    golden: &GoldenModel,
    floats: &[FloatLayer],
    x: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    let mut a: Vec<f64> = x.to_vec();
    let mut e: Vec<f64> = vec![cast_error(&golden.input_type, None); x.len()];
    for (&v, &err) in a.iter().zip(&e) {
        assert_no_overflow(v, err, &golden.input_type, "input");
    }
    let mut dense_k = 0;
    for layer in &golden.layers {
        match layer {
            Layer::Dense(k) => {
                let fl = &floats[dense_k];
                dense_k += 1;
                let p = &k.precision;
                let (ew, eb) = (parameter_error(&p.weight), parameter_error(&p.bias));
                let f_prod = k.x_ty.frac_bits() + p.weight.frac_bits();
                let e_prod = cast_error(&p.accum, Some(f_prod));
                let e_bias = cast_error(&p.accum, Some(p.bias.frac_bits()));
                let e_res = cast_error(&p.result, Some(p.accum.frac_bits()));
                let (mut out, mut out_e) = (Vec::new(), Vec::new());
                for j in 0..k.n_out {
                    let mut y = fl.b[j];
                    let mut magnitude = fl.b[j].abs();
                    let mut err = eb + e_bias;
                    for i in 0..k.n_in {
                        let w = fl.w[[j, i]];
                        y += a[i] * w;
                        magnitude += (a[i] * w).abs();
                        err += (a[i].abs() + e[i]) * ew + w.abs() * e[i] + e_prod;
                    }
                    err += 1e-12 * (1.0 + magnitude);
                    // The final sum must fit the accumulator. Partial sums (bounded by
                    // `magnitude` + err) must too, unless it wraps without saturation bits:
                    // then the sum is modular and only the final value matters.
                    assert_no_overflow(y, err, &p.accum, &format!("{} accumulator", k.name));
                    if p.accum.effective_overflow() != (Overflow::Wrap, 0) {
                        assert_no_overflow(
                            0.0,
                            magnitude + err,
                            &p.accum,
                            &format!("{} partial sums", k.name),
                        );
                    }
                    assert_no_overflow(y, err, &p.result, &format!("{} output {j}", k.name));
                    out.push(y);
                    out_e.push(err + e_res);
                }
                a = out;
                e = out_e;
            }
            Layer::Relu {
                name, x_ty, result, ..
            } => {
                let e_res = cast_error(result, Some(x_ty.frac_bits()));
                for (v, err) in a.iter_mut().zip(e.iter_mut()) {
                    *v = v.max(0.0);
                    *err += e_res;
                    assert_no_overflow(*v, *err, result, name);
                }
            }
            other => panic!("an MLP has no layer like '{}'", other.name()),
        }
    }
    assert_eq!(
        dense_k,
        floats.len(),
        "every Dense layer of the model is in the golden model"
    );
    (a, e)
}

/// Runs the golden model on `x` and compares with the float64 pass; returns the largest bound.
fn compare_with_float(golden: &GoldenModel, floats: &[FloatLayer], x: &Array2<f64>) -> (f64, f64) {
    let out = golden.run_batch(x.view()).unwrap();
    let f_out = golden.output_type.frac_bits();
    let (mut worst_bound, mut largest_output) = (0f64, 0f64);
    for s in 0..x.nrows() {
        let (want, bound) = float_forward_with_bound(golden, floats, x.row(s).as_slice().unwrap());
        assert_eq!(out.ncols(), want.len());
        for j in 0..want.len() {
            let got = out[[s, j]] as f64 * 2f64.powi(-f_out);
            assert!(
                (got - want[j]).abs() <= bound[j],
                "sample {s} output {j}: golden {got}, float64 {}, |diff| {} > bound {}",
                want[j],
                (got - want[j]).abs(),
                bound[j]
            );
            worst_bound = worst_bound.max(bound[j]);
            largest_output = largest_output.max(want[j].abs());
        }
    }
    (worst_bound, largest_output)
}

fn random_inputs(n: usize, width: usize, scale: f64, seed: u64) -> Array2<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    Array2::from_shape_fn((n, width), |_| rng.random_range(-scale..=scale))
}

const SIZES: [usize; 5] = [16, 64, 32, 32, 5];

/// Wide types that cannot overflow (ap_fixed<40,16,AP_RND,AP_SAT> for every variable): the golden
/// model is within the quantisation bound of a float64 forward pass.
#[test]
fn golden_matches_float64_with_wide_types() {
    let dir = tempfile::tempdir().unwrap();
    let (layers, floats) = random_mlp(&SIZES, 1.0, 1.0, 0x5eed_0001);
    let wide = "ap_fixed<40,16,AP_RND,AP_SAT>";
    let config = format!(
        r#"{{"Model": {{"Precision": "{wide}", "ReuseFactor": 1, "Strategy": "Latency"}}}}"#
    );
    let compiled = compile_mlp(dir.path(), &SIZES, &layers, Some(&config));
    let golden = &compiled.golden;
    // The configuration reached every variable (the bound below is derived from these types).
    assert_eq!(golden.input_type, ty(wide));
    for layer in &golden.layers {
        match layer {
            Layer::Dense(k) => {
                let p = &k.precision;
                assert_eq!(
                    [p.weight, p.bias, p.accum, p.result],
                    [ty(wide); 4],
                    "{}",
                    k.name
                );
            }
            Layer::Relu { result, .. } => assert_eq!(*result, ty(wide)),
            other => panic!("an MLP has no layer like '{}'", other.name()),
        }
    }
    let x = random_inputs(64, SIZES[0], 1.0, 7);
    let (bound, largest) = compare_with_float(golden, &floats, &x);
    // The comparison is meaningful: the bound is tiny against the outputs.
    assert!(
        bound < 1e-3 * largest && largest > 1.0,
        "bound {bound}, largest output {largest}"
    );
    // Exact grid inputs including the input type's extremes (no input quantisation error).
    let edge = Array2::from_shape_fn((4, SIZES[0]), |(s, i)| {
        [0.0, 2f64.powi(-24), -2f64.powi(-24), 0.5][(s + i) % 4]
    });
    compare_with_float(golden, &floats, &edge);
}

/// The default configuration (ap_fixed<16,6>, TRN/WRAP for every variable, so every product is
/// floored to 2^-10) with inputs small enough not to overflow anywhere (checked per value by
/// `assert_no_overflow`). A shallower net keeps the worst-case bound meaningful.
#[test]
fn golden_matches_float64_with_default_config() {
    let dir = tempfile::tempdir().unwrap();
    let sizes = [16, 32, 16, 5];
    let (layers, floats) = random_mlp(&sizes, 0.5, 1.0, 0x5eed_0002);
    let compiled = compile_mlp(dir.path(), &sizes, &layers, None);
    let golden = &compiled.golden;
    let default = ty("ap_fixed<16,6>");
    assert_eq!(golden.input_type, default);
    for layer in &golden.layers {
        if let Layer::Dense(k) = layer {
            assert_eq!(
                [k.precision.weight, k.precision.bias],
                [default; 2],
                "{}",
                k.name
            );
        }
    }
    let x = random_inputs(64, sizes[0], 2.0, 11);
    let (bound, largest) = compare_with_float(golden, &floats, &x);
    assert!(
        bound < 0.5 * largest,
        "bound {bound}, largest output {largest}"
    );
}

/// The default configuration on values that are all on the grids: inputs multiples of 2^-9,
/// first-layer weights multiples of 1/2, deeper weights in {-1, 0, 1}, biases multiples of
/// 2^-10. Every product then lies on accum's 2^-10 grid, so nothing is rounded and, with no
/// overflow (checked), the golden model must equal the float64 forward pass exactly.
#[test]
fn golden_is_exact_on_grid_values_with_default_config() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = StdRng::seed_from_u64(0x5eed_0005);
    let mut layers = Vec::new();
    for (k, pair) in SIZES.windows(2).enumerate() {
        let (n_in, n_out) = (pair[0], pair[1]);
        let w = Array2::from_shape_fn((n_out, n_in), |_| {
            if k == 0 {
                rng.random_range(-2i32..=2) as f32 / 2.0
            } else if rng.random_bool(0.6) {
                0.0
            } else {
                rng.random_range(-1i32..=1) as f32
            }
        });
        let b = Array1::from_shape_fn(n_out, |_| rng.random_range(-256i32..=256) as f32 / 1024.0);
        layers.push(DenseLayer {
            name: format!("fc{}", k + 1),
            weight: w,
            bias: Some(b),
            relu: k + 2 < SIZES.len(),
        });
    }
    let compiled = compile_mlp(dir.path(), &SIZES, &layers, None);
    let golden = &compiled.golden;
    let x = Array2::from_shape_fn((64, SIZES[0]), |_| {
        rng.random_range(-16i32..=16) as f64 / 512.0
    });
    let out = golden.run_batch(x.view()).unwrap();
    let f_out = golden.output_type.frac_bits();
    let limit = 32.0 - 2f64.powi(-10); // ap_fixed<16,6> max
    let mut largest = 0f64;
    for s in 0..x.nrows() {
        let mut a: Vec<f64> = x.row(s).to_vec();
        for l in &layers {
            a = (0..l.weight.nrows())
                .map(|j| {
                    let b = l.bias.as_ref().unwrap()[j] as f64;
                    let y = b
                        + (0..a.len())
                            .map(|i| a[i] * l.weight[[j, i]] as f64)
                            .sum::<f64>();
                    assert!(
                        y.abs() <= limit,
                        "test precondition violated: {} output {j} = {y} overflows",
                        l.name
                    );
                    if l.relu {
                        y.max(0.0)
                    } else {
                        y
                    }
                })
                .collect();
        }
        for (j, &want) in a.iter().enumerate() {
            assert_eq!(
                out[[s, j]] as f64 * 2f64.powi(-f_out),
                want,
                "sample {s} output {j}"
            );
            largest = largest.max(want.abs());
        }
    }
    assert!(
        largest > 1.0,
        "outputs too small to be a meaningful check: {largest}"
    );
}

// ------------------------------------------------------------------------------------------------
// c. run_batch vs run; non-finite inputs
// ------------------------------------------------------------------------------------------------

#[test]
fn run_batch_equals_per_sample_run() {
    let dir = tempfile::tempdir().unwrap();
    let sizes = [16, 64, 32, 32, 5];
    let (layers, _) = random_mlp(&sizes, 1.0, 1.0, 0x5eed_0003);
    let compiled = compile_mlp(dir.path(), &sizes, &layers, None);
    let golden = &compiled.golden;
    // 37 rows (not a multiple of any thread count), values far outside the input range too, so
    // wrapping happens throughout; plus a non-contiguous (column-major) view.
    let mut x = random_inputs(37, sizes[0], 100.0, 3);
    x[[0, 0]] = -32.0;
    x[[1, 1]] = 31.999;
    x[[2, 2]] = 1e300;
    x[[3, 3]] = -5e-324;
    let batch = golden.run_batch(x.view()).unwrap();
    assert_eq!(batch.dim(), (37, 5));
    for s in 0..x.nrows() {
        let q = golden
            .quantize_input(s, x.row(s).as_slice().unwrap())
            .unwrap();
        assert_eq!(batch.row(s).to_vec(), golden.run(&q), "sample {s}");
    }
    let fortran = x.t().to_owned();
    let fortran = fortran.t();
    assert_eq!(golden.run_batch(fortran).unwrap(), batch);
    let empty = Array2::<f64>::zeros((0, sizes[0]));
    assert_eq!(golden.run_batch(empty.view()).unwrap().dim(), (0, 5));
}

#[test]
fn non_finite_inputs_are_user_errors() {
    let dir = tempfile::tempdir().unwrap();
    let sizes = [4, 3, 2];
    let (layers, _) = random_mlp(&sizes, 1.0, 1.0, 0x5eed_0004);
    let compiled = compile_mlp(dir.path(), &sizes, &layers, None);
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        for (s, i) in [(0, 0), (2, 3)] {
            let mut x = Array2::<f64>::zeros((3, 4));
            x[[s, i]] = bad;
            match compiled.golden.run_batch(x.view()) {
                Err(Error::User(diags)) => assert!(!diags.is_empty()),
                other => {
                    panic!("{bad} at sample {s}, element {i}: expected a user error, got {other:?}")
                }
            }
            match compiled
                .golden
                .quantize_input(s, x.row(s).as_slice().unwrap())
            {
                Err(Error::User(diags)) => assert!(!diags.is_empty()),
                other => panic!("quantize_input({bad}): expected a user error, got {other:?}"),
            }
        }
    }
}

/// REFERENCE §1.4: SAT_SYM never produces the most negative code, so a product that lands exactly
/// on −2^(W−1) is cast to −max before it is added (§3.1 casts every product to accum_t).
/// accum = ap_fixed<4,4,AP_TRN,AP_SAT_SYM> ([−8, 7]), x ∈ ap_fixed<2,2> = [−2, 1], w = 4, b = 1:
/// for x = −2 the loop computes acc = 1, prod = cast(−8) = −7, acc = −6, y = −6.
///
/// Frozen regression (was a bug in src/analysis/accumulation.rs `exact_holds`: it checks products and
/// partial sums against [min, max] of accum, but under SAT_SYM (signed) the identity range is
/// [−max, max]; the Exact plan then computes 1 + (−8) = −7 and returns −7).
#[test]
fn regression_exact_plan_sat_sym_product_at_most_negative_code() {
    let x_ty = ty("ap_fixed<2,2>");
    let p = DensePrecision {
        weight: ty("ap_fixed<4,4>"),
        bias: ty("ap_fixed<4,4>"),
        accum: ty("ap_fixed<4,4,AP_TRN,AP_SAT_SYM>"),
        result: ty("ap_fixed<8,8>"),
    };
    let w = Array2::from_shape_vec((1, 1), vec![4i128]).unwrap();
    let b = [1i128];
    assert_eq!(literal_dense(&[-2], &x_ty, &p, &w, &b), vec![-6]);
    assert_eq!(reference::dense(&[-2], &x_ty, &p, w.view(), &b), vec![-6]);
    let k = DenseKernel::new("fc", x_ty, p, w.view(), &b);
    assert_eq!(k.run(&[-2]), vec![-6], "plan {:?}", k.plan);
}

/// The minimal case `dense_kernel_matches_literal_loop` shrank to (frozen).
/// x: ap_int<2> = −2; w: ap_uint<2> = 1; b: ap_fixed<9,8,AP_RND_CONV,AP_SAT,7> mantissa 1 (0.5);
/// accum: ap_fixed<3,2,AP_TRN,AP_SAT_SYM> (F = 1, mantissas [−4, 3]);
/// result: ap_fixed<32,7,AP_RND_INF,AP_SAT> (F = 25).
/// Loop: acc = 1 (0.5); x·w = −2 → mantissa −4 = the most negative code → SAT_SYM gives −3;
/// acc = −2 (−1.0); y = −2·2^24 = −33554432. The Exact plan gives 1 − 4 = −3 (−1.5) → −50331648.
///
/// Frozen regression: same bug as above (src/analysis/accumulation.rs `exact_holds`, SAT_SYM range).
#[test]
fn regression_exact_plan_sat_sym_frozen_proptest_case() {
    let x_ty = FixedType::int(2, true);
    let p = DensePrecision {
        weight: FixedType::int(2, false),
        bias: ty("ap_fixed<9,8,AP_RND_CONV,AP_SAT,7>"),
        accum: ty("ap_fixed<3,2,AP_TRN,AP_SAT_SYM>"),
        result: ty("ap_fixed<32,7,AP_RND_INF,AP_SAT>"),
    };
    let w = Array2::from_shape_vec((1, 1), vec![1i128]).unwrap();
    let b = [1i128];
    let want = vec![-2i128 << 24];
    assert_eq!(literal_dense(&[-2], &x_ty, &p, &w, &b), want);
    let k = DenseKernel::new("fc", x_ty, p, w.view(), &b);
    for x in [[0i128], [1], [-1], [-2]] {
        assert_eq!(
            k.run(&x),
            literal_dense(&x, &x_ty, &p, &w, &b),
            "x = {x:?}, plan {:?}",
            k.plan
        );
    }
}
