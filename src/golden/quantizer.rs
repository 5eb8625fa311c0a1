//! QONNX quantizer kernels: on exact fixed-point mantissas inside the graph
//! ([`QuantizerKernel::run`]), and on the float model input exactly as qonnx evaluates them in
//! float32 ([`QuantizerKernel::run_float`]). Both produce a level per element and output the
//! value it stands for as a mantissa of the result type.
//!
//! The float input of a quantizer is as wide as float32, but its result type is sized for inputs
//! within the input edge's type (the configured input precision); only `Trunc` v1, which does
//! not clamp, can exceed it, and a float input that makes it do so is a user error.

use crate::diag::{Diagnostic, Error, Result};
use crate::fixed::{Dyadic, FixedType};
use crate::ir::quantizer::{MultiThreshold, Quantizer};

/// A quantizer ready to run.
#[derive(Debug, Clone)]
pub struct QuantizerKernel {
    pub name: String,
    pub op: Quantizer,
    /// The input type; `None` when the quantizer reads the float model input.
    pub x_ty: Option<FixedType>,
    pub result: FixedType,
    /// Per parameter set: the result mantissas of level 0 and of one level more.
    offset_step: Vec<(i128, i128)>,
    /// MultiThreshold on mantissas: per row, its thresholds as sorted input mantissas
    /// (`x ≥ θ` ⟺ `m ≥ ⌈θ·2^f⌉`).
    thresholds: Vec<Vec<i128>>,
}

impl QuantizerKernel {
    /// The kernel of `op` reading `x_ty` (or the float input) into `result`, which must be the
    /// op's output type. A user error if the exact computation would leave `i128` for some input.
    pub fn new(
        name: &str,
        op: &Quantizer,
        x_ty: Option<FixedType>,
        result: FixedType,
    ) -> Result<Self> {
        let f = result.frac_bits();
        let at = |v: Option<Dyadic>| {
            v.and_then(|v| v.mantissa_at(f)).ok_or_else(|| {
                Error::Internal(format!(
                    "quantizer '{name}': a value its output type does not hold exactly"
                ))
            })
        };
        let unit = |v: Option<Dyadic>, offset: Option<Dyadic>| -> Result<(i128, i128)> {
            let (offset, one) = (at(offset)?, at(v)?);
            Ok((offset, one - offset))
        };
        let offset_step = match op {
            Quantizer::Int(q) => q
                .params
                .sets
                .iter()
                .map(|p| unit(p.value(1), p.value(0)))
                .collect::<Result<_>>()?,
            Quantizer::Bipolar(q) => q
                .scale
                .sets
                .iter()
                .map(|&s| unit(Dyadic::from_f32(s), Some(Dyadic::ZERO)))
                .collect::<Result<_>>()?,
            Quantizer::Trunc(t) => t
                .params
                .sets
                .iter()
                .map(|p| unit(p.value(1, t.version), p.value(0, t.version)))
                .collect::<Result<_>>()?,
            Quantizer::MultiThreshold(q) => vec![unit(q.value(1), q.value(0))?],
        };
        let thresholds = match (op, x_ty) {
            (Quantizer::MultiThreshold(q), Some(x)) => mantissa_thresholds(q, x.frac_bits()),
            _ => vec![],
        };
        let kernel = QuantizerKernel {
            name: name.to_owned(),
            op: op.clone(),
            x_ty,
            result,
            offset_step,
            thresholds,
        };
        if let Some(x) = x_ty {
            let extremes = [x.min_mantissa(), x.max_mantissa()];
            for i in 0..op.elements() {
                if extremes.iter().any(|&m| kernel.level(i, m).is_none()) {
                    return Err(Error::user(Diagnostic::new(
                        name,
                        Some(op.op_type()),
                        "input type",
                        "a type whose values divided by the scale stay within 126-bit arithmetic",
                        x.to_string(),
                    )));
                }
            }
        }
        Ok(kernel)
    }

    /// The result mantissas of level 0 and of one level more (`offset`, `step`) for element
    /// `i`: level `q` outputs `offset + q·step`.
    pub fn offset_step(&self, i: usize) -> (i128, i128) {
        let set = match &self.op {
            Quantizer::Int(q) => q.params.index[i],
            Quantizer::Bipolar(q) => q.scale.index[i],
            Quantizer::Trunc(t) => t.params.index[i],
            Quantizer::MultiThreshold(_) => 0,
        };
        self.offset_step[set as usize]
    }

    /// MultiThreshold inside the graph: element `i`'s thresholds as sorted input mantissas
    /// (`x ≥ θ` ⟺ `m ≥ t`); empty otherwise.
    pub fn thresholds(&self, i: usize) -> &[i128] {
        match &self.op {
            Quantizer::MultiThreshold(q) if !self.thresholds.is_empty() => {
                &self.thresholds[q.rows.index[i] as usize]
            }
            _ => &[],
        }
    }

    /// The level of input mantissa `m` of element `i`.
    fn level(&self, i: usize, m: i128) -> Option<i128> {
        let f = self.x_ty.map_or(0, |t| t.frac_bits());
        match &self.op {
            Quantizer::Int(q) => q.level(i, m, f),
            Quantizer::Bipolar(_) => Some(if m >= 0 { 1 } else { -1 }),
            Quantizer::Trunc(t) => t.level(i, m, f),
            Quantizer::MultiThreshold(_) => {
                Some(self.thresholds(i).partition_point(|&t| t <= m) as i128)
            }
        }
    }

    /// The level of the float `x` of element `i`, computed as qonnx computes it in float32.
    fn level_float(&self, i: usize, x: f32) -> i128 {
        match &self.op {
            Quantizer::Int(q) => q.level_f32(i, x),
            Quantizer::Bipolar(_) => {
                if x >= 0.0 {
                    1
                } else {
                    -1
                }
            }
            Quantizer::Trunc(t) => t.level_f32(i, x),
            Quantizer::MultiThreshold(q) => {
                q.rows.get(i).iter().filter(|&&t| x >= t).count() as i128
            }
        }
    }

    /// The result mantissa of `level` for element `i`.
    fn output(&self, i: usize, level: i128) -> i128 {
        let (offset, step) = self.offset_step(i);
        offset + level * step
    }

    /// The outputs for input mantissas `x` (in the input type).
    pub fn run(&self, x: &[i128]) -> Vec<i128> {
        x.iter()
            .enumerate()
            .map(|(i, &m)| {
                let level = self.level(i, m).expect("bounded by the check in new");
                self.output(i, level)
            })
            .collect()
    }

    /// The outputs for the float model input `x` (each value taken as the float32 the ONNX
    /// input holds). Only `Trunc` v1, which does not clamp, can produce a value beyond the
    /// result type (sized for inputs within the input edge's type): the error is the element.
    pub fn run_float(&self, x: &[f64]) -> std::result::Result<Vec<i128>, usize> {
        let (lo, hi) = (self.result.min_mantissa(), self.result.max_mantissa());
        x.iter()
            .enumerate()
            .map(|(i, &v)| {
                let m = self.output(i, self.level_float(i, v as f32));
                (lo..=hi).contains(&m).then_some(m).ok_or(i)
            })
            .collect()
    }
}

/// Per row: `⌈θ·2^f⌉` of every threshold, sorted.
fn mantissa_thresholds(q: &MultiThreshold, f: i32) -> Vec<Vec<i128>> {
    q.rows
        .sets
        .iter()
        .map(|row| {
            let mut t: Vec<i128> = row
                .iter()
                .map(|&v| {
                    let theta = Dyadic::from_f32(v).expect("finite, checked at import");
                    theta.scaled(f).ceil_sat()
                })
                .collect();
            t.sort_unstable();
            t
        })
        .collect()
}
