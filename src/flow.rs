//! FPGA boards and the strict renderer for flow scripts and testbench templates.

use crate::diag::{Diagnostic, Error, Result};
use crate::family::Family;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A target board, from `fpga/boards.json`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Board {
    pub description: String,
    pub part: String,
    pub family: Family,
    pub clock_period_ns: f64,
    pub luts: u64,
    pub ffs: u64,
    pub dsps: u64,
    /// Block RAMs of the family (see [`Estimate::bram`](crate::rtl::estimate::Estimate::bram)).
    pub bram: u64,
}

/// Every known board, by name.
pub fn boards() -> BTreeMap<String, Board> {
    serde_json::from_str(include_str!("../fpga/boards.json")).expect("fpga/boards.json is valid")
}

/// Looks a board up; an unknown name is a user error listing the known boards.
pub fn board(name: &str) -> Result<Board> {
    let all = boards();
    all.get(name).cloned().ok_or_else(|| {
        let names: Vec<&str> = all.keys().map(String::as_str).collect();
        Error::user(Diagnostic::new(
            "--target",
            None,
            "board",
            format!("one of {}", names.join(", ")),
            format!("'{name}'"),
        ))
    })
}

/// Templates bundled into the binary: (name, text).
const TEMPLATES: &[(&str, &str)] = &[
    (
        "vivado_build.tcl",
        include_str!("../fpga/templates/vivado_build.tcl.j2"),
    ),
    (
        "constraints.xdc",
        include_str!("../fpga/templates/constraints.xdc.j2"),
    ),
    ("yosys.ys", include_str!("../fpga/templates/yosys.ys.j2")),
    ("testbench.v", include_str!("../sim/testbench.v.j2")),
    (
        "testbench_stream.v",
        include_str!("../sim/testbench_stream.v.j2"),
    ),
    ("run_icarus.sh", include_str!("../sim/run_icarus.sh.j2")),
    (
        "run_verilator.sh",
        include_str!("../sim/run_verilator.sh.j2"),
    ),
];

/// Renders a bundled template; a variable the template uses but `vars` lacks is an internal error.
pub fn render(template: &str, vars: &serde_json::Value) -> Result<String> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(true);
    for (name, text) in TEMPLATES {
        env.add_template(name, text)
            .map_err(|e| Error::Internal(format!("template {name}: {e}")))?;
    }
    let t = env
        .get_template(template)
        .map_err(|e| Error::Internal(format!("template {template}: {e}")))?;
    t.render(vars)
        .map_err(|e| Error::Internal(format!("rendering {template}: {e}")))
}
