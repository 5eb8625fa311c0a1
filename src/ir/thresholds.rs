//! Per-element step functions: a chain of elementwise layers ending in a quantizer with few
//! output levels, replaced by comparisons of the chain's input with constant thresholds
//! (`passes::fuse_thresholds`).

use super::quantizer::PerElement;

/// One step function on mantissas: `outputs[#{t : x ≥ thresholds[t]}]`, with `thresholds`
/// strictly increasing and one output more than thresholds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Steps {
    pub thresholds: Vec<i128>,
    pub outputs: Vec<i128>,
}

impl Steps {
    /// The output mantissa for input mantissa `x`.
    pub fn apply(&self, x: i128) -> i128 {
        self.outputs[self.thresholds.partition_point(|&t| t <= x)]
    }

    /// Whether the thresholds increase strictly and the outputs number one more.
    pub fn is_well_formed(&self) -> bool {
        self.outputs.len() == self.thresholds.len() + 1
            && self.thresholds.windows(2).all(|w| w[0] < w[1])
    }
}

/// Element `i` of the tensor maps its input mantissa through `steps.sets[steps.index[i]]`.
/// `fused` names the layers the function replaces, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    pub steps: PerElement<Steps>,
    pub fused: Vec<String>,
}

impl Thresholds {
    /// The largest number of thresholds of any element.
    pub fn most_thresholds(&self) -> usize {
        self.steps
            .sets
            .iter()
            .map(|s| s.thresholds.len())
            .max()
            .unwrap_or(0)
    }
}
