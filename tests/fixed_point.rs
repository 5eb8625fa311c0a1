//! `rtlgen::fixed::{cast, from_f64}` against an independent big-integer reference written from
//! REFERENCE.md §1.3 (quantization), §1.4 (overflow) and §1.5 (conversions at the edges).
//!
//! The reference below deliberately works on arbitrary-precision integers and spells the rules
//! out the way the specification states them (floor division, the qb/r/s increment table,
//! overflow handling after rounding, ap_int targets truncating toward zero and wrapping), so it
//! shares no code or shortcuts with `src/fixed/cast.rs`.

use num_bigint::BigInt;
use num_traits::{FromPrimitive, One, Signed, ToPrimitive, Zero};
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use rtlgen::fixed::{cast, from_f64, FixedType, Overflow, Quant};

// ------------------------------------------------------------------------------------------------
// The reference
// ------------------------------------------------------------------------------------------------

fn pow2(k: u64) -> BigInt {
    BigInt::one() << k
}

/// Floor division for a positive divisor (BigInt `/` truncates toward zero).
fn floor_div(a: &BigInt, b: &BigInt) -> BigInt {
    assert!(b.is_positive());
    let q = a / b;
    if (a - &q * b).is_negative() {
        q - 1
    } else {
        q
    }
}

/// Non-negative remainder modulo a positive `b`.
fn modulo(a: &BigInt, b: &BigInt) -> BigInt {
    a - floor_div(a, b) * b
}

fn is_odd(v: &BigInt) -> bool {
    !modulo(v, &BigInt::from(2)).is_zero()
}

/// Number of fraction bits of a target (ap_int/ap_uint are ap_fixed<W,W>: F = 0).
fn frac_of(t: &FixedType) -> i64 {
    t.width as i64 - t.int_bits as i64
}

fn min_of(t: &FixedType) -> BigInt {
    if t.signed {
        -pow2(t.width as u64 - 1)
    } else {
        BigInt::zero()
    }
}

fn max_of(t: &FixedType) -> BigInt {
    if t.signed {
        pow2(t.width as u64 - 1) - 1
    } else {
        pow2(t.width as u64) - 1
    }
}

/// Two's-complement wrap: keep the low W bits, read them as signed or unsigned.
fn wrap_to(v: &BigInt, width: u32, signed: bool) -> BigInt {
    let low = modulo(v, &pow2(width as u64));
    if signed && low >= pow2(width as u64 - 1) {
        low - pow2(width as u64)
    } else {
        low
    }
}

/// §1.3: drop `d > 0` fraction bits of `m` with mode `q`.
fn ref_quantize(m: &BigInt, d: u64, q: Quant) -> BigInt {
    let unit = pow2(d);
    let base = floor_div(m, &unit); // arithmetic right shift
    let dropped = m - &base * &unit; // the d dropped bits, 0 <= dropped < 2^d
    let half = pow2(d - 1);
    let qb = dropped >= half; // most significant dropped bit
    let r = !modulo(&dropped, &half).is_zero(); // OR of the other dropped bits
    let s = m.is_negative(); // sign of the source
    let inc = match q {
        Quant::Trn => false,
        Quant::TrnZero => s && (qb || r),
        Quant::Rnd => qb,
        Quant::RndZero => qb && (s || r),
        Quant::RndMinInf => qb && r,
        Quant::RndInf => qb && (!s || r),
        Quant::RndConv => qb && (is_odd(&base) || r),
    };
    base + if inc { 1 } else { 0 }
}

/// §1.4: overflow handling of the rounded mantissa `q`; `source_negative` is the source's sign.
fn ref_overflow(q: BigInt, source_negative: bool, t: &FixedType) -> BigInt {
    let (min, max) = (min_of(t), max_of(t));
    let w = t.width as u64;
    match t.overflow {
        Overflow::Wrap => {
            if q >= min && q <= max {
                return q;
            }
            let n = t.sat_bits as u64;
            if n == 0 {
                return wrap_to(&q, t.width, t.signed);
            }
            // Bits below W−N are the wrapped value's; the top N bits are forced.
            let low = modulo(&q, &pow2(w - n));
            if t.signed {
                // MSB := sign of the source; bits W−N … W−2 := ones (positive) / zeros (negative).
                if source_negative {
                    low - pow2(w - 1)
                } else {
                    low + (pow2(w - 1) - pow2(w - n))
                }
            } else {
                // Unsigned: bits W−N … W−1 := ones.
                low + (pow2(w) - pow2(w - n))
            }
        }
        Overflow::Sat => q.clamp(min, max),
        Overflow::SatZero => {
            if q >= min && q <= max {
                q
            } else {
                BigInt::zero()
            }
        }
        Overflow::SatSym => {
            let lo = if t.signed { -max.clone() } else { min };
            q.clamp(lo, max)
        }
    }
}

/// The exact value `m · 2^-f_src` assigned to a variable of type `t`.
fn ref_cast(m: &BigInt, f_src: i64, t: &FixedType) -> BigInt {
    let d = f_src - frac_of(t);
    if t.integer {
        // §1.5: ap_int/ap_uint targets truncate toward zero (ignoring Q and O), then wrap.
        assert_eq!(frac_of(t), 0);
        let truncated = if d > 0 {
            m / pow2(d as u64)
        } else {
            m << (-d) as u64
        };
        return wrap_to(&truncated, t.width, t.signed);
    }
    let rounded = if d > 0 {
        ref_quantize(m, d as u64, t.quant)
    } else {
        m << (-d) as u64
    };
    ref_overflow(rounded, m.is_negative(), t)
}

/// The exact value of a finite double as `(m, f)` with value `m · 2^-f`, by exact doubling.
fn exact_double(x: f64) -> (BigInt, i64) {
    assert!(x.is_finite());
    let mut v = x;
    let mut f = 0i64;
    while v.fract() != 0.0 {
        v *= 2.0; // exact: |v| < 2^52 while it has a fraction
        f += 1;
    }
    (BigInt::from_f64(v).expect("integral finite double"), f)
}

/// §1.5: double → fixed (quantized with the double's sign, then overflow); ap_int targets
/// truncate toward zero and wrap, and inputs in (−0.5, 0) become +1.
fn ref_from_f64(x: f64, t: &FixedType) -> BigInt {
    if t.integer && x > -0.5 && x < 0.0 {
        return wrap_to(&BigInt::one(), t.width, t.signed);
    }
    let (m, f) = exact_double(x);
    ref_cast(&m, f, t)
}

// ------------------------------------------------------------------------------------------------
// Generators
// ------------------------------------------------------------------------------------------------

fn quant() -> impl Strategy<Value = Quant> {
    prop::sample::select(Quant::ALL.to_vec())
}

fn overflow() -> impl Strategy<Value = Overflow> {
    prop::sample::select(Overflow::ALL.to_vec())
}

/// Target types: widths 1..=126, integer bits from far negative to far beyond the width (so
/// both I < 0 and F < 0 occur), every Q × O, saturation bits 0..=W, and ap_int/ap_uint with
/// random (ignored) modes.
fn target_type() -> impl Strategy<Value = FixedType> {
    let width = prop_oneof![1u32..=8, 1u32..=64, 1u32..=126, 120u32..=126];
    (
        width,
        any::<bool>(),
        quant(),
        overflow(),
        -40i32..=170,
        -12i32..=12,
        0u8..4,
        any::<u32>(),
        0u8..10,
    )
        .prop_map(|(w, signed, q, o, raw_i, small, i_kind, raw_n, kind)| {
            let int_bits = match i_kind {
                0 => raw_i,
                1 => w as i32 + small,           // F near zero, often negative
                2 => small,                      // I near zero, often negative
                _ => w as i32 - small.abs() - 1, // a few fraction bits
            };
            let sat_bits = match raw_n % 3 {
                0 => 0,
                1 => 1 + (raw_n / 3) % w.min(3),
                _ => (raw_n / 3) % (w + 1),
            };
            let base = if kind == 0 {
                FixedType::int(w, signed)
            } else {
                FixedType::fixed(w, int_bits, signed)
            };
            FixedType {
                quant: q,
                overflow: o,
                sat_bits,
                ..base
            }
        })
}

/// A BigInt clipped to |m| <= 2^120 (by dropping low bits), as an i128.
fn clip120(m: BigInt) -> i128 {
    let limit = pow2(120);
    let mut m = m;
    while m.abs() > limit {
        m >>= 1u32; // floor shift keeps the sign; stays within the bound eventually
    }
    m.to_i128().unwrap()
}

/// Random mantissas of random length: `len` significant bits (0..=120), random sign.
fn random_mantissa(raw: u128, len: u32, negative: bool) -> i128 {
    let v = if len == 0 {
        0
    } else {
        (raw >> (128 - len)) as i128
    };
    if negative {
        -v
    } else {
        v
    }
}

/// A source `(m, f_src)` aimed at the target: near its range ends and near its rounding
/// thresholds (exact ties, one above/below a tie, just inside/outside the range).
fn aimed_source(
    t: &FixedType,
    f_src: i32,
    pick_q: u8,
    delta: i8,
    pick_frac: u8,
    raw: u128,
) -> i128 {
    let (min, max) = (min_of(t), max_of(t));
    let random_in_range = {
        let span = &max - &min + 1;
        &min + modulo(&BigInt::from(raw), &span)
    };
    let q = match pick_q % 9 {
        0 => min.clone(),
        1 => max.clone(),
        2 => -max.clone(),
        3 => BigInt::zero(),
        4 => &min - 1,
        5 => &max + 1,
        6 => random_in_range,
        7 => pow2((raw % 130) as u64),
        _ => -pow2((raw % 130) as u64),
    } + BigInt::from(delta);
    let d = f_src as i64 - frac_of(t);
    let m = if d > 0 {
        let d = d as u64;
        let unit = pow2(d);
        let half = pow2(d - 1);
        let frac = match pick_frac % 8 {
            0 => BigInt::zero(),
            1 => half.clone(),  // exact tie
            2 => &half - 1,     // just below a tie
            3 => &half + 1,     // just above a tie
            4 => &unit - 1,     // just below the next grid point
            5 => BigInt::one(), // just above a grid point
            _ => modulo(&BigInt::from(raw >> 7), &unit),
        };
        q * unit + frac
    } else {
        // The target grid is finer than the source's: any source value is on it.
        floor_div(&q, &pow2((-d) as u64))
    };
    clip120(m)
}

fn cast_case() -> impl Strategy<Value = (FixedType, i32, i128)> {
    (target_type(), -40i32..=200).prop_flat_map(|(t, f_src)| {
        let random = (any::<u128>(), 0u32..=120, any::<bool>())
            .prop_map(|(raw, len, neg)| random_mantissa(raw, len, neg));
        let aimed = (any::<u8>(), -2i8..=2, any::<u8>(), any::<u128>())
            .prop_map(move |(pq, delta, pf, raw)| aimed_source(&t, f_src, pq, delta, pf, raw));
        (Just(t), Just(f_src), prop_oneof![2 => random, 3 => aimed])
    })
}

/// Doubles: every finite bit pattern, subnormals, huge values, and values aimed at the target
/// grid (ties halfway between grid points, near-ties, points just inside/outside the range).
fn double_for(t: FixedType) -> BoxedStrategy<f64> {
    let any_finite = any::<u64>()
        .prop_map(f64::from_bits)
        .prop_filter("finite", |x| x.is_finite());
    let subnormal = (0u64..(1u64 << 52), any::<bool>())
        .prop_map(|(b, neg)| f64::from_bits(b | ((neg as u64) << 63)));
    let huge = (0x7e0u64..=0x7fe, 0u64..(1u64 << 52), any::<bool>())
        .prop_map(|(e, m, neg)| f64::from_bits((e << 52) | m | ((neg as u64) << 63)));
    let f = frac_of(&t);
    // k · 2^(−F−j): with j = 1 and odd k, an exact tie between two grid points.
    let grid =
        (1u32..=53, any::<u64>(), any::<bool>(), -3i64..=3).prop_map(move |(bits, raw, neg, j)| {
            let k = (raw >> (64 - bits)) as f64;
            let k = if neg { -k } else { k };
            k * pow2f(-f - j)
        });
    let edges = (any::<u8>(), -3i64..=3, 0u8..4).prop_map(move |(pick, j, ulps)| {
        // Range ends as doubles (exact whenever W <= 53, the nearest double otherwise).
        let step = pow2f(-f);
        let max_v = max_of(&t).to_f64().unwrap() * step;
        let min_v = min_of(&t).to_f64().unwrap() * step;
        let v = match pick % 6 {
            0 => max_v,
            1 => min_v,
            2 => max_v + step / 2.0,
            3 => min_v - step / 2.0,
            4 => -max_v,
            _ => step * 2f64.powi(j as i32),
        };
        nudge(v, ulps as i64 - 2 + (j.signum()))
    });
    prop_oneof![2 => any_finite, 1 => subnormal, 1 => huge, 3 => grid, 3 => edges].boxed()
}

/// 2^e as a double (saturating to 0 / +inf outside the double range; callers only use exact values).
fn pow2f(e: i64) -> f64 {
    2f64.powi(e.clamp(-1074, 1100) as i32)
}

/// Moves `x` by `n` ulps (toward +∞ for n > 0), staying finite.
fn nudge(x: f64, n: i64) -> f64 {
    let mut v = if x.is_finite() {
        x
    } else {
        f64::MAX.copysign(x)
    };
    for _ in 0..n.abs() {
        let next = if n > 0 { v.next_up() } else { v.next_down() };
        if next.is_finite() {
            v = next;
        }
    }
    v
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ------------------------------------------------------------------------------------------------
// Property tests
// ------------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(6000))]

    #[test]
    fn cast_matches_bigint_reference((t, f_src, m) in cast_case()) {
        let want = ref_cast(&BigInt::from(m), f_src as i64, &t);
        let got = cast(m, f_src, &t);
        prop_assert_eq!(BigInt::from(got), want, "cast(m = {}, f_src = {}) into {:?}", m, f_src, t);
        prop_assert!(BigInt::from(got) >= min_of(&t) && BigInt::from(got) <= max_of(&t));
    }
}

proptest! {
    #![proptest_config(config(6000))]

    #[test]
    fn from_f64_matches_bigint_reference((t, x) in target_type().prop_flat_map(|t| (Just(t), double_for(t)))) {
        prop_assume!(x.is_finite());
        let want = ref_from_f64(x, &t);
        let got = from_f64(x, &t);
        prop_assert_eq!(BigInt::from(got), want, "from_f64({:e} = {:?} bits {:#x}) into {:?}", x, x, x.to_bits(), t);
    }
}

// ------------------------------------------------------------------------------------------------
// Named regressions: the worked examples of REFERENCE.md §1.3–§1.5. Each checks both the crate
// and the test's own reference against the specification's numbers.
// ------------------------------------------------------------------------------------------------

fn both_cast(m: i128, f_src: i32, t: &FixedType) -> (i128, i128) {
    (
        cast(m, f_src, t),
        ref_cast(&BigInt::from(m), f_src as i64, t)
            .to_i128()
            .unwrap(),
    )
}

fn both_from_f64(x: f64, t: &FixedType) -> (i128, i128) {
    (from_f64(x, t), ref_from_f64(x, t).to_i128().unwrap())
}

fn ty(s: &str) -> FixedType {
    s.parse().unwrap()
}

/// §1.3's table: 2.5, −2.5, 2.75, −2.25, −2.75 quantized to integers (F = 0) under every mode,
/// from doubles and from exact fixed-point sources (mantissa · 2^-2).
#[test]
fn reference_quantization_table() {
    let xs = [2.5, -2.5, 2.75, -2.25, -2.75];
    let table: [(Quant, [i128; 5]); 7] = [
        (Quant::Trn, [2, -3, 2, -3, -3]),
        (Quant::TrnZero, [2, -2, 2, -2, -2]),
        (Quant::Rnd, [3, -2, 3, -2, -3]),
        (Quant::RndZero, [2, -2, 3, -2, -3]),
        (Quant::RndMinInf, [2, -3, 3, -2, -3]),
        (Quant::RndInf, [3, -3, 3, -2, -3]),
        (Quant::RndConv, [2, -2, 3, -2, -3]),
    ];
    for (q, want) in table {
        for o in Overflow::ALL {
            let t = FixedType::fixed(8, 8, true).with_modes(q, o);
            for (&x, &w) in xs.iter().zip(&want) {
                assert_eq!(both_from_f64(x, &t), (w, w), "from_f64({x}) into {t}");
                let m = (x * 4.0) as i128;
                assert_eq!(both_cast(m, 2, &t), (w, w), "cast({m}·2^-2) into {t}");
            }
        }
    }
}

/// §1.4: rounding first can carry out of range: 0.97 → 1.0 → saturates to 0.875; wraps to −1.0.
#[test]
fn reference_rounding_carries_out_of_range() {
    assert_eq!(
        both_from_f64(0.97, &ty("ap_fixed<4,1,AP_RND,AP_SAT>")),
        (7, 7)
    ); // 0.875
    assert_eq!(
        both_from_f64(0.97, &ty("ap_fixed<4,1,AP_RND,AP_WRAP>")),
        (-8, -8)
    ); // −1.0
    assert_eq!(both_from_f64(0.97, &ty("ap_fixed<4,1,AP_RND>")), (-8, -8));
}

/// §1.5: fixed → ap_int<8> truncates toward zero and wraps: −2.75 → −2, 300.5 → 44.
#[test]
fn reference_fixed_to_ap_int_truncates_and_wraps() {
    let t = ty("ap_int<8>");
    assert_eq!(both_cast(-11, 2, &t), (-2, -2)); // −2.75
    assert_eq!(both_cast(601, 1, &t), (44, 44)); // 300.5
                                                 // The modes written on an ap_int are ignored.
    let t = FixedType {
        quant: Quant::Rnd,
        overflow: Overflow::Sat,
        sat_bits: 3,
        ..FixedType::int(8, true)
    };
    assert_eq!(both_cast(-11, 2, &t), (-2, -2));
    assert_eq!(both_cast(601, 1, &t), (44, 44));
}

/// §1.5: double → ap_int: truncation toward zero then wrap, and (−0.5, 0) becomes +1.
#[test]
fn reference_double_to_ap_int_quirk() {
    let t = ty("ap_int<8>");
    assert_eq!(both_from_f64(-0.25, &t), (1, 1));
    assert_eq!(both_from_f64(-0.4999999, &t), (1, 1));
    assert_eq!(both_from_f64(-0.5, &t), (0, 0));
    assert_eq!(both_from_f64(-0.75, &t), (0, 0));
    assert_eq!(both_from_f64(-2.75, &t), (-2, -2));
    assert_eq!(both_from_f64(300.5, &t), (44, 44));
    assert_eq!(both_from_f64(-0.25, &ty("ap_uint<4>")), (1, 1));
}

/// §1.4: SAT_SYM never produces the most negative code; SAT_ZERO gives 0; SAT clamps.
#[test]
fn reference_saturation_modes() {
    assert_eq!(
        both_from_f64(-8.0, &ty("ap_fixed<4,4,AP_TRN,AP_SAT_SYM>")),
        (-7, -7)
    );
    assert_eq!(
        both_from_f64(-100.0, &ty("ap_fixed<4,4,AP_TRN,AP_SAT_SYM>")),
        (-7, -7)
    );
    assert_eq!(
        both_from_f64(100.0, &ty("ap_fixed<4,4,AP_TRN,AP_SAT_SYM>")),
        (7, 7)
    );
    assert_eq!(
        both_from_f64(-100.0, &ty("ap_fixed<4,4,AP_TRN,AP_SAT>")),
        (-8, -8)
    );
    assert_eq!(
        both_from_f64(-100.0, &ty("ap_fixed<4,4,AP_TRN,AP_SAT_ZERO>")),
        (0, 0)
    );
    assert_eq!(
        both_from_f64(-1.0, &ty("ap_ufixed<4,4,AP_TRN,AP_SAT_SYM>")),
        (0, 0)
    );
    assert_eq!(
        both_from_f64(16.0, &ty("ap_ufixed<4,4,AP_TRN,AP_SAT>")),
        (15, 15)
    );
}

/// §1.4: WRAP with N saturation bits, signed: on overflow the MSB takes the source's sign and
/// bits W−N…W−2 become ones (positive) or zeros (negative); the low bits are the wrapped ones.
#[test]
fn reference_wrap_with_saturation_bits_signed() {
    // 9 = 0b1001 overflows ap_fixed<4,4> (max 7); low W−N = 2 bits: 0b01.
    let t = ty("ap_fixed<4,4,AP_TRN,AP_WRAP,2>");
    assert_eq!(both_cast(9, 0, &t), (0b0101, 0b0101)); // 0 1 | 01 = 5
    assert_eq!(both_cast(-10, 0, &t), (-8 + 0b10, -8 + 0b10)); // 1 0 | 10 = −6
    assert_eq!(both_cast(5, 0, &t), (5, 5)); // in range: untouched
}

/// §1.4: WRAP with N saturation bits, unsigned: on overflow bits W−N…W−1 become ones,
/// whatever the source's sign (hls4ml's bundled `ap_fixed_base.h::overflow_adjust` sets the
/// unsigned mask to all ones unconditionally).
///
/// Frozen regression (was a bug in src/fixed/cast.rs `handle_overflow`: for unsigned targets it sets the
/// top N bits only for non-negative sources and clears them for negative ones).
#[test]
fn regression_wrap_sat_bits_unsigned_negative_source() {
    let t = ty("ap_ufixed<4,4,AP_TRN,AP_WRAP,2>");
    assert_eq!(both_cast(17, 0, &t), (0b1101, 0b1101)); // positive overflow: 11 | 01
                                                        // −1 is below the range: low 2 bits of −1 are 0b11, the top 2 bits are forced to ones.
    assert_eq!(both_cast(-1, 0, &t), (0b1111, 0b1111));
    assert_eq!(both_from_f64(-6.0, &t), (0b1110, 0b1110));
    // The proptests' minimal failing inputs: ap_ufixed<1,0,AP_TRN,AP_WRAP,1> (F = 1).
    let t = FixedType {
        sat_bits: 1,
        ..FixedType::fixed(1, 0, false)
    };
    assert_eq!(both_cast(-1, 93, &t), (1, 1)); // −2^-93 floors to −1 LSB: overflow, bit 0 := 1
    assert_eq!(both_from_f64(-5e-324, &t), (1, 1));
}

/// `cast` of a zero mantissa with a left shift of 128 bits or more (target F ≥ source F + 128).
/// The value is 0 in every type.
///
/// Frozen regression (was a bug in debug/test builds, in src/fixed/cast.rs `shift_left`: `m == 0` takes the
/// `Rounded::Exact(m << k)` branch, and `0i128 << k` with k >= 128 panics with "attempt to shift
/// left with overflow"; release builds mask the shift and happen to return 0).
/// Frozen from `cast_matches_bigint_reference`.
#[test]
fn regression_cast_zero_with_huge_left_shift() {
    let t = FixedType::fixed(120, 0, false); // F = 120
    assert_eq!(both_cast(0, -23, &t), (0, 0)); // shift by 143
    let t = ty("ap_fixed<126,-74,AP_RND,AP_SAT>"); // F = 200
    assert_eq!(both_cast(0, 0, &t), (0, 0));
}

/// Huge left shifts, huge and tiny doubles.
#[test]
fn reference_extremes() {
    let sat = ty("ap_fixed<8,4,AP_TRN,AP_SAT>");
    assert_eq!(both_from_f64(1e300, &sat), (127, 127));
    assert_eq!(both_from_f64(-1e300, &sat), (-128, -128));
    assert_eq!(both_from_f64(1e-300, &sat), (0, 0));
    assert_eq!(both_from_f64(-1e-300, &sat), (-1, -1));
    assert_eq!(
        both_from_f64(f64::from_bits(1), &ty("ap_fixed<8,4,AP_RND_INF,AP_SAT>")),
        (0, 0)
    );
    assert_eq!(
        both_from_f64(-f64::from_bits(1), &ty("ap_fixed<8,4,AP_TRN_ZERO,AP_SAT>")),
        (0, 0)
    );
    assert_eq!(both_from_f64(1e300, &ty("ap_fixed<8,4>")), (0, 0));
    // 2^120 shifted left by 200 bits into a 126-bit wrap: all low bits are zero.
    let wide = ty("ap_fixed<126,-74>");
    assert_eq!(both_cast(1i128 << 120, 0, &wide), (0, 0));
    let wide_sat = ty("ap_fixed<126,-74,AP_TRN,AP_SAT>");
    assert_eq!(
        both_cast(-(1i128 << 120), 0, &wide_sat),
        (-(1i128 << 125), -(1i128 << 125))
    );
}
