//! How a value's elements travel between modules.
//!
//! A value whose every element is the mantissa −1 or +1 (the activations of a binary network)
//! travels as one bit per element, the XNOR code of REFERENCE §7.1: 1 ≙ +1, 0 ≙ −1. Every other
//! value travels as the mantissas of its fixed-point type.
//!
//! A value is *bipolar-valued* when its producer guarantees ±1: a `Thresholds` layer whose
//! outputs are all ±1, a `BipolarQuant` of unit step, a one-threshold `MultiThreshold` giving −1
//! and +1 (also as the model input's quantizer), a max pool or a Transpose of a bipolar-valued
//! value. It travels *bipolar-encoded* when it is also not the model output (the ports keep the
//! user's mantissas: the top module reads a bipolar input's sign bits, [`input_codes`]) and every
//! reader takes the code: a module input decodes it to its mantissa (`{~b, …, ~b, 1}`,
//! which costs nothing), a Dense at reuse factor 1 counts matches instead ([`super::xnor`]), a
//! window or a Transpose moves the bits. Pad and global pooling stages compute on mantissas in
//! their fronts and take mantissas.

use super::builder::ModuleBuilder;
use super::netlist::*;
use crate::diag::Result;
use crate::fixed::FixedType;
use crate::golden::{Entry, GoldenModel, Layer, QuantizerKernel};
use crate::ir::quantizer::Quantizer;
use crate::ir::PoolKind;

/// The code of a value's elements on a bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// The raw bits of each element's mantissa in its fixed-point type.
    Mantissa,
    /// One bit per element whose mantissa is ±1: 1 for +1, 0 for −1.
    Bipolar,
}

impl Encoding {
    /// Bits per element of type `ty`.
    pub fn element_bits(self, ty: &FixedType) -> u32 {
        match self {
            Encoding::Mantissa => ty.width,
            Encoding::Bipolar => 1,
        }
    }
}

/// The encoding of every value of `model` (value 0 the input, value `k + 1` layer `k`'s output;
/// the model has a single entry).
pub fn plan(model: &GoldenModel) -> Vec<Encoding> {
    let values = model.layers.len() + 1;
    let mut bipolar_valued = vec![false; values];
    bipolar_valued[0] =
        matches!(&model.entries[..], [Entry::Quantizer(q)] if quantizer_gives_unit_signs(q));
    for (k, layer) in model.layers.iter().enumerate() {
        let input = model.operands[k]
            .first()
            .is_some_and(|&v| bipolar_valued[v]);
        bipolar_valued[k + 1] = match layer {
            Layer::Thresholds { steps, result, .. } => {
                holds_unit_signs(result)
                    && steps
                        .sets
                        .iter()
                        .all(|s| s.outputs.iter().all(|&m| m == 1 || m == -1))
            }
            Layer::Quantizer(q) => quantizer_gives_unit_signs(q),
            Layer::Pool(p) => {
                let window = p.window.window_elements() / p.window.channels;
                input
                    && p.kind == PoolKind::Max
                    && p.reduce(&vec![-1; window]) == -1
                    && p.reduce(&vec![1; window]) == 1
            }
            Layer::Transpose { .. } => input,
            _ => false,
        };
    }
    let mut readers: Vec<Vec<usize>> = vec![vec![]; values];
    for (k, operands) in model.operands.iter().enumerate() {
        for &v in operands {
            readers[v].push(k);
        }
    }
    let mut encoding = vec![Encoding::Mantissa; values];
    for v in (0..values).rev() {
        let accepted = readers[v].iter().all(|&k| match &model.layers[k] {
            Layer::Pad { .. } | Layer::GlobalPool { .. } => false,
            Layer::Transpose { .. } => encoding[k + 1] == Encoding::Bipolar,
            _ => true,
        });
        if bipolar_valued[v] && accepted && v != model.output {
            encoding[v] = Encoding::Bipolar;
        }
    }
    // A Transpose moves bits: its output keeps its input's code.
    for (k, layer) in model.layers.iter().enumerate() {
        if let Layer::Transpose { .. } = layer {
            encoding[k + 1] = encoding[model.operands[k][0]];
        }
    }
    encoding
}

/// Whether `ty` holds the mantissas −1 and +1.
fn holds_unit_signs(ty: &FixedType) -> bool {
    ty.signed && ty.width >= 2
}

/// Whether every output of `q` is the mantissa −1 or +1.
fn quantizer_gives_unit_signs(q: &QuantizerKernel) -> bool {
    let elements = q.op.elements();
    holds_unit_signs(&q.result)
        && match &q.op {
            Quantizer::Bipolar(_) => (0..elements).all(|i| q.offset_step(i) == (0, 1)),
            Quantizer::MultiThreshold(t) => {
                (0..elements).all(|i| t.rows.get(i).len() == 1 && q.offset_step(i) == (-1, 2))
            }
            Quantizer::Int(_) | Quantizer::Trunc(_) => false,
        }
}

/// The XNOR codes of the `elements` mantissas of `ty` on `in_data` (stage 0): element `i` is +1
/// exactly when its sign bit is clear.
pub(super) fn input_codes(
    b: &mut ModuleBuilder,
    in_data: NetId,
    elements: usize,
    ty: &FixedType,
) -> Result<NetId> {
    let mut codes = Vec::with_capacity(elements);
    for i in 0..elements as u32 {
        let top = i * ty.width + ty.width - 1;
        let sign = Expr::Concat(vec![Part::Bits {
            net: in_data,
            hi: top,
            lo: top,
        }]);
        let negative = b.wire(&format!("in{i}_neg"), 1, false, sign, 0)?;
        codes.push(b.wire(&format!("in{i}_code"), 1, false, Expr::Not(negative), 0)?);
    }
    let parts = codes
        .iter()
        .rev()
        .map(|&net| Part::Bits { net, hi: 0, lo: 0 })
        .collect();
    b.wire("in_codes", elements as u32, false, Expr::Concat(parts), 0)
}
