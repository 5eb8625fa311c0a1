//! Applies the configuration: every edge gets its type, every Dense its precisions, every
//! activation its tables, and settings rtlgen cannot honour yet are reported. `auto` follows
//! hls4ml 1.3 (REFERENCE §2.3); a layer key `accum_t` overrides `Precision: accum`, as in hls4ml.
//!
//! A model quantized by QONNX quantizers defines its own arithmetic, so it is typed exactly: a
//! quantizer's output gets [`Quantizer::output_type`](crate::ir::quantizer::Quantizer), a layer's
//! parameters the types of their quantizers or, without one, the narrowest types holding their
//! float32 values exactly, and every other precision the configuration does not set (one that
//! would fall to the model default) is `auto`, which is exact for every layer: lossless Dense
//! and BatchNorm results, a Relu keeping its input type, hls4ml's exact merge and pooling rules.

use super::activation_settings::Lookup;
use super::{registry::Pass, PassContext};
use crate::config::{Config, ConvImplementation, IoType, MultiplierStyle, Prec, Strategy};
use crate::diag::{Diagnostic, Diagnostics, Result};
use crate::fixed::{FixedType, Overflow, Quant, MAX_WIDTH};
use crate::ir::{
    BatchNormPrecision, DensePrecision, DenseSettings, Graph, Op, ParamTypes, Phase, PoolKind,
    PoolPrecision,
};
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
        Op::Conv(_) => match op.layer_type() {
            "Conv1D" => &["Conv1D"],
            _ => &["Conv2D"],
        },
        Op::Pad(_) => &["ZeroPadding2D", "ZeroPadding1D"],
        Op::Transpose { .. } => &["Transpose"],
        Op::Pool(_) => match op.layer_type() {
            "Pooling1D" => &["Pooling1D"],
            _ => &["Pooling2D"],
        },
        Op::GlobalPool(_) => &["GlobalPooling2D", "GlobalPooling1D"],
        Op::BatchNorm(_) => &["BatchNormalization"],
        Op::Add => &["Merge", "Add"],
        Op::Concat { .. } => &["Concatenate"],
        Op::Lut { .. } | Op::Clip { .. } | Op::Linear => &["Activation"],
        Op::Softmax(_) => &["Softmax"],
        Op::LeakyRelu { .. } => &["LeakyReLU"],
        _ => &[],
    }
}

fn run(graph: &mut Graph, ctx: &mut PassContext) -> Result<()> {
    let cfg = ctx.config;
    let mut diags = Diagnostics::default();
    check_layer_names(graph, cfg, &mut diags, &mut ctx.notes)?;
    if cfg.io_type == IoType::Parallel {
        for n in graph.order()? {
            let node = &graph.g[n];
            if matches!(node.op, Op::GlobalPool(_)) {
                diags.push(Diagnostic::new(
                    &node.name,
                    Some(node.op.layer_type()),
                    "IOType",
                    "io_stream (global pooling accumulates an image pixel by pixel)",
                    "io_parallel",
                ));
            }
        }
    }
    let exact = graph.g.node_weights().any(|n| {
        matches!(n.op, Op::Quantizer(_))
            || n.op
                .dense()
                .is_some_and(|d| d.param_types != ParamTypes::default())
    });
    if exact && cfg.model.precision.contains_key("default") {
        ctx.notes.push("Model.Precision.default does not apply to a model quantized by QONNX quantizers: precisions the configuration does not set are exact (auto)".into());
    }
    for n in graph.order()? {
        let operand_types: Vec<FixedType> = graph
            .inputs(n)
            .into_iter()
            .map(|e| graph.g[e].ty.expect("producers come first"))
            .collect();
        let current = operand_types.first().copied();
        let node = &graph.g[n];
        let names = node.config_names.clone();
        let types = type_keys(&node.op);
        let lookup = |var: &str| match cfg.precision(var, &names, types) {
            (_, at) if exact && at == "Model.Precision.default" => (Prec::Auto, at),
            found => found,
        };
        let concrete = |var: &str| match lookup(var) {
            (Prec::Type(t), _) => t,
            (Prec::Auto, _) => cfg.model_default(),
        };
        let accum_key = cfg.setting(&names, types, |s| s.types.get("accum_t").copied());
        let act = Lookup { cfg, node, types };
        // A parameter's type: configured, or in a QONNX-quantized model exact for its values.
        let param = |var: &str, values: &mut dyn Iterator<Item = f64>, diags: &mut Diagnostics| {
            match lookup(var).0 {
                Prec::Type(t) => t,
                Prec::Auto if exact => exact_param(node, var, values, diags),
                Prec::Auto => cfg.model_default(),
            }
        };
        let out_ty = match &node.op {
            Op::Input { .. } => concrete("result"),
            Op::Output { .. } => break,
            Op::Clip { .. } | Op::Linear => concrete("result"),
            Op::Lut { .. } => {
                let lut = act.lut_table(&mut diags);
                if let Op::Lut { table, .. } = &mut graph.g[n].op {
                    *table = Some(lut);
                }
                concrete("result")
            }
            Op::Softmax(_) => {
                let x = current.expect("the input comes first");
                let softmax = act.softmax(x, &mut diags);
                graph.g[n].op = Op::Softmax(Some(softmax));
                concrete("result")
            }
            Op::LeakyRelu { alpha, .. } => {
                let alpha = *alpha;
                let x = current.expect("the input comes first");
                let p = act.leaky_param(alpha, x, &mut diags);
                graph.g[n].op = Op::LeakyRelu {
                    alpha,
                    param: Some(p),
                };
                concrete("result")
            }
            Op::Relu => match lookup("result").0 {
                Prec::Type(t) => t,
                Prec::Auto if exact => current.expect("the input comes first"),
                Prec::Auto => cfg.model_default(),
            },
            Op::Quantizer(q) => {
                let x = current.expect("the input comes first");
                q.output_type(x).unwrap_or_else(|why| {
                    diags.push(Diagnostic::new(
                        &node.name,
                        Some(node.op.layer_type()),
                        "output type",
                        format!("a type of at most {MAX_WIDTH} bits holding every output exactly"),
                        why,
                    ));
                    x
                })
            }
            Op::Add | Op::Concat { .. } => match lookup("result").0 {
                Prec::Type(t) => t,
                Prec::Auto if matches!(node.op, Op::Add) => {
                    add_result(operand_types[0], operand_types[1], cfg.maximum)
                }
                Prec::Auto => operand_types[1..]
                    .iter()
                    .fold(operand_types[0], |a, &b| concat_result(a, b, cfg.maximum)),
            },
            Op::Pad(_) | Op::Transpose { .. } => current.expect("the input comes first"),
            Op::Pool(_) | Op::GlobalPool(_) => {
                let x = current.expect("the input comes first");
                let e = graph.in_edge(n).expect("a pooling has one operand");
                let area = match &node.op {
                    Op::Pool(p) => p.window.kernel_h * p.window.kernel_w,
                    _ => graph.g[e].shape[0] * graph.g[e].shape[1],
                };
                let kind = match &node.op {
                    Op::Pool(p) => p.kind,
                    Op::GlobalPool(p) => p.kind,
                    _ => unreachable!("matched above"),
                };
                let accum = accum_key.unwrap_or_else(|| match lookup("accum").0 {
                    Prec::Type(t) => t,
                    Prec::Auto => pool_accum(x, kind, area),
                });
                let result = match lookup("result").0 {
                    Prec::Type(t) => t,
                    Prec::Auto => x,
                };
                let precision = Some(PoolPrecision { accum, result });
                let implementation = cfg
                    .setting(&names, types, |s| s.conv_implementation)
                    .unwrap_or(ConvImplementation::LineBuffer);
                match &mut graph.g[n].op {
                    Op::Pool(p) => {
                        p.precision = precision;
                        p.implementation = Some(implementation);
                    }
                    Op::GlobalPool(p) => p.precision = precision,
                    _ => unreachable!("matched above"),
                }
                result
            }
            Op::BatchNorm(b) => {
                let x = current.expect("the input comes first");
                let scale = param("scale", &mut b.scale.iter().copied(), &mut diags);
                let bias = param("bias", &mut b.bias.iter().copied(), &mut diags);
                let result = match lookup("result").0 {
                    Prec::Type(t) => t,
                    Prec::Auto => batch_norm_result(x, scale, bias, cfg.maximum),
                };
                if let Op::BatchNorm(b) = &mut graph.g[n].op {
                    b.precision = Some(BatchNormPrecision {
                        scale,
                        bias,
                        result,
                    });
                }
                result
            }
            Op::Dense(_) | Op::Conv(_) => {
                let x = current.expect("the input comes first");
                let products = node.op.dense().map_or(0, |d| d.weights.len());
                let n_in = node.op.dense().map_or(0, |d| d.weights.nrows());
                let settings = schedule_settings(cfg, &names, types, node, products, &mut diags);
                let d = node.op.dense().expect("a Dense or Conv");
                let given = d.param_types;
                // hls4ml gives a layer without bias a 1-bit unsigned bias of zeros.
                let bias = match (d.has_bias, given.bias) {
                    (false, _) => FixedType::int(1, false),
                    (true, Some(t)) => t,
                    (true, None) => param("bias", &mut d.bias.iter().copied(), &mut diags),
                };
                for (var, fixed) in [("weight", given.weight), ("bias", given.bias)] {
                    let at = lookup(var).1;
                    if fixed.is_some() && at.ends_with(&format!(".{var}")) {
                        ctx.notes.push(format!(
                            "{at} does not apply to '{}': a QONNX quantizer fixes its {var} type",
                            node.name
                        ));
                    }
                }
                let weight = match given.weight {
                    Some(t) => t,
                    None => param("weight", &mut d.weights.iter().copied(), &mut diags),
                };
                let lossless = lossless_accum(x, weight, bias, n_in, cfg.maximum);
                let pick = |var: &str| match lookup(var).0 {
                    Prec::Type(t) => t,
                    Prec::Auto => lossless,
                };
                let p = DensePrecision {
                    weight,
                    bias,
                    accum: accum_key.unwrap_or_else(|| pick("accum")),
                    result: pick("result"),
                };
                if x.width + weight.width > MAX_WIDTH || p.accum.width + 1 > MAX_WIDTH {
                    diags.push(Diagnostic::new(
                        &node.name,
                        Some(node.op.layer_type()),
                        "precision",
                        format!("input width + weight width ≤ {MAX_WIDTH} and accum width < {MAX_WIDTH}"),
                        format!("input {x}, weight {weight}, accum {}", p.accum),
                    ));
                }
                let implementation = cfg
                    .setting(&names, types, |s| s.conv_implementation)
                    .unwrap_or(ConvImplementation::LineBuffer);
                let layer = &mut graph.g[n];
                if let Op::Conv(c) = &mut layer.op {
                    c.implementation = Some(implementation);
                }
                if let Some(d) = layer.op.dense_mut() {
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
        graph.set_output_type(n, out_ty);
    }
    diags.finish()
}

/// The narrowest type holding a layer's parameter `values` exactly (float32 values are dyadic,
/// so there is one unless they span more than [`MAX_WIDTH`] bits: then a diagnostic).
fn exact_param(
    node: &crate::ir::Node,
    what: &str,
    values: &mut dyn Iterator<Item = f64>,
    diags: &mut Diagnostics,
) -> FixedType {
    FixedType::exact(values).unwrap_or_else(|| {
        diags.push(Diagnostic::new(
            &node.name,
            Some(node.op.layer_type()),
            what,
            format!("values a type of at most {MAX_WIDTH} bits holds exactly"),
            "values spanning more bits",
        ));
        FixedType::fixed(MAX_WIDTH, 1, true)
    })
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

/// hls4ml's `auto` accumulator of a pooling layer over `area` pixels (`infer_precision.py`): the
/// input type for max pooling; for average pooling `ceil(log2 area)` more integer bits and twice
/// as many more bits in all.
pub fn pool_accum(x: FixedType, kind: PoolKind, area: usize) -> FixedType {
    match kind {
        PoolKind::Max => x,
        PoolKind::Average => {
            let extra = (area.max(1) as f64).log2().ceil() as i32;
            FixedType::fixed(
                (x.width as i32 + 2 * extra) as u32,
                x.int_bits + extra,
                x.signed,
            )
        }
    }
}

/// hls4ml's `auto` result of a batch normalization (`infer_precision.py`): the exact product
/// `x · scale`, plus one integer bit for the bias add, with the bias' fraction bits.
pub fn batch_norm_result(
    x: FixedType,
    scale: FixedType,
    bias: FixedType,
    maximum: Option<FixedType>,
) -> FixedType {
    let signed = x.signed || scale.signed;
    let width = (x.width + scale.width) as i32;
    let int = x.int_bits + scale.int_bits;
    let mut out_int = (int + (bias.signed && !signed) as i32)
        .max(bias.int_bits + (signed && !bias.signed) as i32)
        + 1;
    let mut out_width = out_int + (width - int).max(bias.width as i32 - bias.int_bits);
    if let Some(m) = maximum {
        out_width = out_width.min(m.width as i32);
        out_int = out_int.min(m.int_bits);
    }
    FixedType::fixed(out_width.max(1) as u32, out_int, signed || bias.signed)
}

/// hls4ml's `auto` result of an Add (`infer_precision.py::_infer_merge_precision`): one integer
/// bit more than the wider operand (counting the sign bit an unsigned operand gains beside a
/// signed one), the finer fraction, TRN and WRAP; `maximum` caps width and integer bits.
pub fn add_result(a: FixedType, b: FixedType, maximum: Option<FixedType>) -> FixedType {
    let signed = a.signed || b.signed;
    let mut int = (a.int_bits + (b.signed && !a.signed) as i32)
        .max(b.int_bits + (a.signed && !b.signed) as i32)
        + 1;
    let mut width = int + a.frac_bits().max(b.frac_bits());
    if let Some(m) = maximum {
        width = width.min(m.width as i32);
        int = int.min(m.int_bits);
    }
    FixedType::fixed(width.max(1) as u32, int, signed)
}

/// hls4ml's `auto` result of a Concatenate of two operands (`_infer_cat_precision`): their type
/// when they agree; otherwise enough integer bits for both (an unsigned one gains a sign bit
/// beside a signed one), the finer fraction, and each of the first operand's rounding mode,
/// overflow mode and saturation bits unless it is TRN, WRAP or 0, then the second's; `maximum`
/// caps width and integer bits.
pub fn concat_result(a: FixedType, b: FixedType, maximum: Option<FixedType>) -> FixedType {
    if a == b {
        return a;
    }
    let signed = a.signed || b.signed;
    let mut int =
        (a.int_bits + (signed && !a.signed) as i32).max(b.int_bits + (signed && !b.signed) as i32);
    let mut width = int + a.frac_bits().max(b.frac_bits());
    if let Some(m) = maximum {
        width = width.min(m.width as i32);
        int = int.min(m.int_bits);
    }
    let quant = if a.quant != Quant::Trn {
        a.quant
    } else {
        b.quant
    };
    let overflow = if a.overflow != Overflow::Wrap {
        a.overflow
    } else {
        b.overflow
    };
    let sat_bits = if a.sat_bits != 0 {
        a.sat_bits
    } else {
        b.sat_bits
    };
    FixedType {
        sat_bits,
        ..FixedType::fixed(width.max(1) as u32, int, signed).with_modes(quant, overflow)
    }
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
            Some(node.op.layer_type()),
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
            Some(node.op.layer_type()),
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
    for n in graph.order()? {
        valid.extend(graph.g[n].config_names.iter().cloned());
    }
    for name in cfg.layer_name.keys() {
        if let Some((layer, op, _)) = graph
            .removed
            .iter()
            .find(|(_, _, names)| names.contains(name))
        {
            let what = if op == "Softmax" {
                "a softmax its Skip: true removes"
            } else {
                "which changes no values and has no hardware"
            };
            notes.push(format!(
                "LayerName.{name} configures '{layer}' ({op}), {what}; its settings have no effect"
            ));
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

    /// hls4ml's merge rules worked by hand from `_infer_merge_precision` and
    /// `_infer_cat_precision`.
    #[test]
    fn add_and_concat_results_follow_hls4ml() {
        let t = |s: &str| s.parse::<FixedType>().unwrap();
        // Signed 4 integer bits beside unsigned 3 (+1 for its sign): 4 + 1 = 5; fraction 6.
        let add = add_result(t("ap_fixed<10,4>"), t("ap_ufixed<8,3>"), None);
        assert_eq!(add.to_string(), "ap_fixed<11,5>");
        let add = add_result(t("ap_ufixed<8,3>"), t("ap_ufixed<6,4>"), None);
        assert_eq!(add.to_string(), "ap_ufixed<10,5>");
        let capped = add_result(
            t("ap_fixed<16,6>"),
            t("ap_fixed<16,6>"),
            Some(t("ap_fixed<12,4>")),
        );
        assert_eq!(capped.to_string(), "ap_fixed<12,4>");
        // Equal types stay; otherwise the wider integer part (an unsigned one gains a sign bit),
        // the finer fraction, the first non-default modes.
        let same = t("ap_fixed<9,4,AP_RND,AP_SAT>");
        assert_eq!(concat_result(same, same, None), same);
        let cat = concat_result(t("ap_ufixed<8,3>"), t("ap_fixed<10,4,AP_RND,AP_SAT>"), None);
        assert_eq!(cat.to_string(), "ap_fixed<10,4,AP_RND,AP_SAT>");
        let cat = concat_result(t("ap_ufixed<8,5>"), t("ap_fixed<10,4,AP_RND,AP_SAT>"), None);
        assert_eq!(cat.to_string(), "ap_fixed<12,6,AP_RND,AP_SAT>");
    }

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
