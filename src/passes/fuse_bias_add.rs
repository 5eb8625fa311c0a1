use super::{registry::Pass, PassContext};
use crate::diag::{Diagnostic, Diagnostics, Result};
use crate::ir::{Graph, Op, Phase};

pub const PASS: Pass = Pass {
    name: "fuse-bias-add",
    summary: "merges a constant Add into the bias-free Dense (MatMul), Conv or constant Mul before it, through reshapes",
    required: true,
    produces: Phase::Imported,
    run,
};

fn run(graph: &mut Graph, _: &mut PassContext) -> Result<()> {
    let mut diags = Diagnostics::default();
    for n in graph.order()? {
        let Op::BiasAdd { bias } = &graph.g[n].op else {
            continue;
        };
        let bias = bias.clone();
        let source = |m| {
            graph
                .in_edge(m)
                .map(|e| graph.g.edge_endpoints(e).expect("edge").0)
        };
        let mut producer = source(n);
        while let Some(p) = producer
            .filter(|&p| matches!(graph.g[p].op, Op::Reshape) && graph.out_edge(p).is_some())
        {
            producer = source(p);
        }
        let fusable = producer.filter(|&p| {
            let takes_bias = match &graph.g[p].op {
                Op::Dense(d) => !d.has_bias,
                Op::Conv(c) => !c.dense.has_bias && c.dense.bias.len() == bias.len(),
                Op::BatchNorm(b) => b.bias.len() == bias.len() && b.bias.iter().all(|&v| v == 0.0),
                _ => false,
            };
            takes_bias && graph.out_edge(p).is_some()
        });
        let Some(p) = fusable else {
            let node = &graph.g[n];
            let (name, op) = node.origin.first().cloned().unwrap_or_default();
            diags.push(Diagnostic::new(
                name,
                Some(&op),
                "placement",
                "an Add of a constant after a MatMul, a bias-free Gemm or Conv, or a Mul by a constant (reshapes between), used by nothing else",
                "an Add elsewhere",
            ));
            continue;
        };
        let (origin, names) = (graph.g[n].origin.clone(), graph.g[n].config_names.clone());
        let layer = &mut graph.g[p];
        match layer.op.dense_mut() {
            Some(d) => {
                d.bias = bias;
                d.has_bias = true;
            }
            None => match &mut layer.op {
                Op::BatchNorm(b) => b.bias = bias,
                _ => unreachable!("only a Dense, Conv or BatchNorm takes a bias"),
            },
        }
        layer.origin.extend(origin);
        for name in names {
            if !layer.config_names.contains(&name) {
                layer.config_names.push(name);
            }
        }
        graph.bypass(n)?;
    }
    diags.finish()
}
