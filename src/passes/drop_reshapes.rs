use super::{registry::Pass, PassContext};
use crate::diag::Result;
use crate::ir::{Graph, Op, Phase};

pub const PASS: Pass = Pass {
    name: "drop-reshapes",
    summary: "removes Flatten/Reshape/Identity: with io_parallel the row-major element order is unchanged",
    required: true,
    produces: Phase::Canonical,
    run,
};

fn run(graph: &mut Graph, _: &mut PassContext) -> Result<()> {
    for n in graph.order()? {
        if matches!(graph.g[n].op, Op::Reshape) {
            let node = &graph.g[n];
            let op = node
                .origin
                .first()
                .map(|(_, op)| op.clone())
                .unwrap_or_default();
            graph
                .removed
                .push((node.name.clone(), op, node.config_names.clone()));
            graph.bypass(n)?;
        }
    }
    Ok(())
}
