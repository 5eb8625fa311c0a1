//! Applies the configuration: every edge gets its type, every Dense its precisions, and settings
//! rtlgen cannot honour yet are reported. `auto` follows hls4ml 1.3 (REFERENCE §2.3).

use super::{registry::Pass, PassContext};
use crate::config::{Config, IoType, MultiplierStyle, Prec, Strategy};
use crate::diag::{Diagnostic, Diagnostics, Result};
use crate::fixed::{FixedType, MAX_WIDTH};
use crate::ir::{DensePrecision, DenseSettings, Graph, Op, Phase};
use std::collections::BTreeSet;

pub const PASS: Pass = Pass {
    name: "apply-config",
    summary: "resolves precisions (including auto) and per-layer settings from the configuration",
    required: true,
    produces: Phase::Typed,
    run,
};

/// hls4ml layer classes a `LayerType` entry may name for each op.
fn type_keys(op: &Op) -> &'static [&'static str] {
    match op {
        Op::Input { .. } => &["Input", "InputLayer"],
        Op::Dense(_) => &["Dense"],
        Op::Relu => &["Activation", "ReLU"],
        _ => &[],
    }
}

fn run(graph: &mut Graph, ctx: &mut PassContext) -> Result<()> {
    let cfg = ctx.config;
    let mut diags = Diagnostics::default();
    check_layer_names(graph, cfg, &mut diags, &mut ctx.notes)?;
    if cfg.io_type == IoType::Stream {
        diags.push(Diagnostic::new(
            "IOType",
            Some("config"),
            "value",
            "io_parallel (io_stream arrives with streaming layers)",
            "io_stream",
        ));
    }
    let chain = graph.chain()?;
    let mut current: Option<FixedType> = None;
    for &n in &chain {
        let node = &graph.g[n];
        let names = node.config_names.clone();
        let types = type_keys(&node.op);
        let lookup = |var: &str| cfg.precision(var, &names, types);
        let concrete = |var: &str| match lookup(var) {
            (Prec::Type(t), _) => t,
            (Prec::Auto, _) => cfg.model_default(),
        };
        let out_ty = match &node.op {
            Op::Input { .. } => concrete("result"),
            Op::Output { .. } => break,
            Op::Relu => concrete("result"),
            Op::Dense(d) => {
                let settings =
                    schedule_settings(cfg, &names, types, node, d.weights.len(), &mut diags);
                let x = current.expect("the input comes first");
                let (weight, bias) = (concrete("weight"), concrete("bias"));
                let lossless = lossless_accum(x, weight, bias, d.weights.nrows(), cfg.maximum);
                let pick = |var: &str| match lookup(var).0 {
                    Prec::Type(t) => t,
                    Prec::Auto => lossless,
                };
                let p = DensePrecision {
                    weight,
                    bias,
                    accum: pick("accum"),
                    result: pick("result"),
                };
                if x.width + weight.width > MAX_WIDTH || p.accum.width + 1 > MAX_WIDTH {
                    diags.push(Diagnostic::new(
                        &node.name,
                        Some("Dense"),
                        "precision",
                        format!("input width + weight width ≤ {MAX_WIDTH} and accum width < {MAX_WIDTH}"),
                        format!("input {x}, weight {weight}, accum {}", p.accum),
                    ));
                }
                let layer = &mut graph.g[n];
                if let Op::Dense(d) = &mut layer.op {
                    d.precision = Some(p);
                    d.settings = Some(settings);
                }
                p.result
            }
            other => {
                return Err(crate::diag::Error::Internal(format!(
                    "apply-config met a {} layer",
                    other.layer_type()
                )));
            }
        };
        let e = graph.out_edge(n).expect("verified chain");
        graph.g[e].ty = Some(out_ty);
        current = Some(out_ty);
    }
    diags.finish()
}

/// hls4ml's lossless accumulator for a Dense with `n` inputs (`infer_precision.py`): wide enough
/// for every product and their sum, plus the bias (always counted as present).
pub fn lossless_accum(
    x: FixedType,
    w: FixedType,
    b: FixedType,
    n: usize,
    maximum: Option<FixedType>,
) -> FixedType {
    let l = (n.max(1) as f64).log2().ceil() as i32;
    let mut width = x.width as i32 + w.width as i32 + l;
    let mut int = x.int_bits + w.int_bits + l;
    let mut signed = x.signed || w.signed;
    let frac = width - int;
    int = (int + (b.signed && !signed) as i32).max(b.int_bits + (signed && !b.signed) as i32) + 1;
    width = int + frac.max(b.width as i32 - b.int_bits);
    signed = signed || b.signed;
    if let Some(m) = maximum {
        width = width.min(m.width as i32);
        int = int.min(m.int_bits);
    }
    FixedType::fixed(width.max(1) as u32, int, signed)
}

/// Reuse factor, strategy and multiplier style of a Dense with `products` weights. Any reuse
/// factor from 1 to `products` is honoured exactly (never snapped to another).
fn schedule_settings(
    cfg: &Config,
    names: &[String],
    types: &[&str],
    node: &crate::ir::Node,
    products: usize,
    diags: &mut Diagnostics,
) -> DenseSettings {
    let rf = cfg.setting(names, types, |s| s.reuse_factor).unwrap_or(1);
    if rf as usize > products {
        diags.push(Diagnostic::new(
            &node.name,
            Some("Dense"),
            "ReuseFactor",
            format!("1 to {products} (the number of weights)"),
            rf.to_string(),
        ));
    }
    let strategy = cfg
        .setting(names, types, |s| s.strategy)
        .unwrap_or(Strategy::Latency);
    if !matches!(strategy, Strategy::Latency | Strategy::Resource) {
        diags.push(Diagnostic::new(
            &node.name,
            Some("Dense"),
            "Strategy",
            "Latency or Resource",
            format!("{strategy:?}"),
        ));
    }
    DenseSettings {
        reuse_factor: (rf as usize).clamp(1, products.max(1)),
        strategy,
        multiplier: cfg
            .setting(names, types, |s| s.multiplier)
            .unwrap_or(MultiplierStyle::Auto),
    }
}

/// Every `LayerName` entry must name a layer or the graph input.
fn check_layer_names(
    graph: &Graph,
    cfg: &Config,
    diags: &mut Diagnostics,
    notes: &mut Vec<String>,
) -> Result<()> {
    let mut valid = BTreeSet::new();
    for n in graph.chain()? {
        valid.extend(graph.g[n].config_names.iter().cloned());
    }
    for name in cfg.layer_name.keys() {
        if let Some((layer, op, _)) = graph
            .removed
            .iter()
            .find(|(_, _, names)| names.contains(name))
        {
            notes.push(format!("LayerName.{name} configures '{layer}' ({op}), which changes no values and has no hardware; its settings have no effect"));
            continue;
        }
        if !valid.contains(name) {
            diags.push(Diagnostic::new(
                format!("LayerName.{name}"),
                Some("config"),
                "layer name",
                format!(
                    "one of {}",
                    valid
                        .iter()
                        .chain(graph.removed.iter().flat_map(|r| r.2.iter()))
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                format!("'{name}', which matches no layer"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked examples of REFERENCE §2.3.
    #[test]
    fn lossless_accum_matches_hls4ml_examples() {
        let t = |s: &str| s.parse::<FixedType>().unwrap();
        let acc = lossless_accum(
            t("ap_fixed<8,3>"),
            t("ap_fixed<6,1>"),
            t("ap_fixed<8,2>"),
            10,
            None,
        );
        assert_eq!(acc.to_string(), "ap_fixed<19,9>");
        let d = t("ap_fixed<16,6>");
        assert_eq!(
            lossless_accum(d, d, d, 16, None).to_string(),
            "ap_fixed<37,17>"
        );
    }
}
