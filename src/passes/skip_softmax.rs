//! Removes every softmax configured `Skip: true` (hls4ml's `skip_softmax`): its consumers read
//! its input instead, so the model ends in the scores without normalising them.

use super::{registry::Pass, PassContext};
use crate::diag::Result;
use crate::ir::{Graph, Op, Phase};

pub const PASS: Pass = Pass {
    name: "skip-softmax",
    summary: "removes softmax layers configured with Skip: true, as hls4ml does",
    required: true,
    produces: Phase::Imported,
    run,
};

fn run(graph: &mut Graph, ctx: &mut PassContext) -> Result<()> {
    for n in graph.order()? {
        let node = &graph.g[n];
        if !matches!(node.op, Op::Softmax(_)) {
            continue;
        }
        let skip = ctx
            .config
            .setting(&node.config_names, &["Softmax"], |s| s.skip)
            .unwrap_or(false);
        if skip {
            graph.removed.push((
                node.name.clone(),
                "Softmax".into(),
                node.config_names.clone(),
            ));
            graph.bypass(n)?;
        }
    }
    Ok(())
}
