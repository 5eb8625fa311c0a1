//! The single list of passes and the pipeline order.

use super::PassContext;
use crate::diag::Result;
use crate::ir::{Graph, Phase};

/// A pass: a named graph rewrite with a one-line summary.
pub struct Pass {
    /// Kebab-case name, used by `--dump-ir-after` and in verifier failures.
    pub name: &'static str,
    pub summary: &'static str,
    /// Whether correctness needs it (all current passes do) or it only optimises.
    pub required: bool,
    /// The phase the graph is in after the pass.
    pub produces: Phase,
    pub run: fn(&mut Graph, &mut PassContext) -> Result<()>,
}

/// The pipeline, in order. Ordering constraints:
/// * `fuse-bias-add` before `apply-config`: the bias must belong to its Dense before `auto` sizing
///   looks at it.
/// * `fuse-batch-norm` after `fuse-bias-add` (the bias it scales is complete) and before
///   `apply-config` (the fused layer's `auto` types see the fused bias).
/// * `drop-reshapes` before `apply-config`: types are assigned over the final graph of layers.
/// * `quantize-parameters` after `apply-config`: it needs the weight and bias types.
/// * `skip-softmax` before `apply-config`: a removed softmax takes no types.
/// * `fuse-thresholds` last: it evaluates the layers it fuses with the golden model, which needs
///   quantized parameters.
pub const PIPELINE: &[Pass] = &[
    super::fuse_bias_add::PASS,
    super::fuse_batch_norm::PASS,
    super::skip_softmax::PASS,
    super::drop_reshapes::PASS,
    super::apply_config::PASS,
    super::quantize_parameters::PASS,
    super::fuse_thresholds::PASS,
];

/// Looks a pass up by name; the error lists the valid names.
pub fn find(name: &str) -> std::result::Result<&'static Pass, String> {
    PIPELINE.iter().find(|p| p.name == name).ok_or_else(|| {
        let names: Vec<&str> = PIPELINE.iter().map(|p| p.name).collect();
        format!("unknown pass '{name}' (valid: {})", names.join(", "))
    })
}

/// `name: summary` lines for help text.
pub fn describe() -> String {
    PIPELINE
        .iter()
        .map(|p| format!("{}: {}", p.name, p.summary))
        .collect::<Vec<_>>()
        .join("\n")
}
