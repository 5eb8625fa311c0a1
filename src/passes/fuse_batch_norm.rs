//! Fuses a batch normalization into the Dense or Conv before it when hls4ml would
//! (`bn_fuse.py`, REFERENCE §5.2): the layer's `result` precision is `auto` in the
//! configuration, the normalization is its only consumer and no quantizer fixes its weights.
//! The fused weights are `scale_j · w_ij` and the bias `scale_j · b_j + bias_j`, computed in
//! `f32` as hls4ml computes them; the normalization disappears.

use super::{registry::Pass, PassContext};
use crate::config::Prec;
use crate::diag::Result;
use crate::ir::{Graph, Op, Phase};

pub const PASS: Pass = Pass {
    name: "fuse-batch-norm",
    summary: "folds a BatchNormalization into the Dense or Conv before it when that layer's result type is auto",
    required: true,
    produces: Phase::Imported,
    run,
};

fn run(graph: &mut Graph, ctx: &mut PassContext) -> Result<()> {
    for n in graph.order()? {
        let Op::BatchNorm(bn) = &graph.g[n].op else {
            continue;
        };
        let Some(p) = graph
            .in_edge(n)
            .map(|e| graph.g.edge_endpoints(e).expect("edge").0)
        else {
            continue;
        };
        if graph.out_edge(p).is_none() {
            continue;
        }
        let layer = &graph.g[p];
        if layer
            .op
            .dense()
            .is_some_and(|d| d.param_types.weight.is_some())
        {
            continue;
        }
        let types: &[&str] = match layer.op.layer_type() {
            "Dense" => &["Dense"],
            "Conv1D" => &["Conv1D"],
            "Conv2D" => &["Conv2D"],
            _ => continue,
        };
        let auto = matches!(
            ctx.config.precision("result", &layer.config_names, types).0,
            Prec::Auto
        );
        if !auto {
            continue;
        }
        let (scale, shift) = (bn.scale.clone(), bn.bias.clone());
        let (origin, names) = (graph.g[n].origin.clone(), graph.g[n].config_names.clone());
        let layer = &mut graph.g[p];
        let d = layer.op.dense_mut().expect("a Dense or Conv");
        let f32_mul = |a: f64, b: f64| (a as f32 * b as f32) as f64;
        for ((_, j), w) in d.weights.indexed_iter_mut() {
            *w = f32_mul(scale[j], *w);
        }
        for (j, b) in d.bias.iter_mut().enumerate() {
            *b = (scale[j] as f32 * *b as f32 + shift[j] as f32) as f64;
        }
        d.has_bias = true;
        layer.origin.extend(origin);
        for name in names {
            if !layer.config_names.contains(&name) {
                layer.config_names.push(name);
            }
        }
        graph.bypass(n)?;
    }
    Ok(())
}
