use super::{registry::Pass, PassContext};
use crate::config::Config;
use crate::diag::Result;
use crate::ir::{Graph, Node, Op, Phase};

pub const PASS: Pass = Pass {
    name: "drop-reshapes",
    summary: "removes Flatten/Reshape/Identity (with io_parallel the row-major element order is unchanged); an Identity given a result precision by name becomes a linear activation",
    required: true,
    produces: Phase::Canonical,
    run,
};

fn run(graph: &mut Graph, ctx: &mut PassContext) -> Result<()> {
    for n in graph.order()? {
        if matches!(graph.g[n].op, Op::Reshape) {
            let node = &graph.g[n];
            let op = node
                .origin
                .first()
                .map(|(_, op)| op.clone())
                .unwrap_or_default();
            if op == "Identity" && casts(node, ctx.config) {
                graph.g[n].op = Op::Linear;
                continue;
            }
            graph
                .removed
                .push((node.name.clone(), op, node.config_names.clone()));
            graph.bypass(n)?;
        }
    }
    Ok(())
}

/// Whether a `LayerName` entry of the node sets its `result` (or `default`) precision: the
/// Identity is then kept as a cast to that type (hls4ml's linear activation with a precision).
fn casts(node: &Node, cfg: &Config) -> bool {
    node.config_names.iter().any(|name| {
        cfg.layer_name.get(name).is_some_and(|s| {
            s.precision.contains_key("result") || s.precision.contains_key("default")
        })
    })
}
