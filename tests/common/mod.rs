//! Helpers shared by the integration tests that need external tools.
#![allow(dead_code)]

use rtlgen::artifacts::stimulus;
use rtlgen::driver::Compiled;
use rtlgen::rtl::Design;
use rtlgen::sim::stream::{self, Traffic};
use std::path::{Path, PathBuf};
use std::process::Command;

pub mod qonnx;

/// Panics with an actionable message when an external tool is missing: these tests never skip.
pub fn require_tool(tool: &str) {
    let found = Command::new(tool)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
        || Command::new(tool)
            .arg("-V")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
    assert!(found, "this test needs `{tool}` on the PATH; run scripts/test.sh (it installs Verilator, Yosys and Icarus when missing)");
}

pub fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

/// A peer case's `X.npy` and `Y.npy` in `dir` (float64 from hls4ml, float32 from qonnx), one
/// sample per row.
pub fn peer_rows(dir: &Path) -> (ndarray::Array2<f64>, ndarray::Array2<f64>) {
    let rows = |file: &str| {
        let path = dir.join(file);
        let a: ndarray::ArrayD<f64> = ndarray_npy::read_npy(&path).unwrap_or_else(|_| {
            let single: ndarray::ArrayD<f32> = ndarray_npy::read_npy(&path).unwrap();
            single.mapv(f64::from)
        });
        let (n, len) = (a.shape()[0], a.len());
        a.into_shape_with_order((n, len / n)).unwrap()
    };
    (rows("X.npy"), rows("Y.npy"))
}

/// Runs `verilator --lint-only -Wall` on a design's files and asserts it prints nothing.
pub fn assert_lint_clean(files: &[(String, String)], top: &str) {
    require_tool("verilator");
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        paths.push(p);
    }
    let out = Command::new("verilator")
        .args(["--lint-only", "-Wall", "--top-module", top])
        .args(&paths)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.trim().is_empty(),
        "verilator -Wall is not clean for {top}:\n{text}"
    );
}

/// Runs `rtlgen build` with `args` after the model, into `out`; asserts success.
pub fn cli_build(model: &std::path::Path, args: &[&str], out: &std::path::Path) {
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_rtlgen"))
        .arg("build")
        .arg(model)
        .args(args)
        .arg("-o")
        .arg(out)
        .status()
        .unwrap();
    assert!(status.success(), "rtlgen build failed");
}

/// Runs a generated testbench script and asserts it reports `PASS: <vectors> vectors`.
pub fn assert_testbench_passes(out: &std::path::Path, script: &str, vectors: usize) {
    let run = std::process::Command::new("sh")
        .arg(out.join("tb").join(script))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(
        text.contains(&format!("PASS: {vectors} vectors")) && !text.contains("FAIL"),
        "{script} did not pass:\n{text}{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

/// Lints the design, then co-simulates `images` stimulus images back to back (asserting the
/// promised latency and II) and with random bubbles and backpressure (asserting every beat).
pub fn cosim_both_ways(c: &Compiled, images: usize) -> Design {
    require_tool("verilator");
    let design = c.design().unwrap();
    assert_lint_clean(&design.files, &design.top);
    let inputs = stimulus(&c.golden, images, 5);
    let clean = stream::run(c, &design, &inputs, Traffic::CLEAN).unwrap();
    let summary = clean.summary();
    assert_eq!(clean.mismatched_samples, 0, "{summary}");
    assert_eq!(clean.received, images, "{summary}");
    assert_eq!(clean.latency_measured, Some(design.latency), "{summary}");
    assert!(
        clean.ii_uniform,
        "first beats off the modelled schedule: {summary}"
    );
    assert_eq!(clean.ii_measured, Some(clean.ii_expected), "{summary}");
    clean.into_result().unwrap();
    for (seed, bubbles, backpressure) in [(1, 0.3, 0.0), (2, 0.0, 0.5), (3, 0.4, 0.6)] {
        let traffic = Traffic {
            bubbles,
            backpressure,
            seed,
        };
        let o = stream::run(c, &design, &inputs, traffic).unwrap();
        let summary = o.summary();
        assert_eq!(o.mismatched_samples, 0, "{traffic:?}: {summary}");
        assert_eq!(o.received, images, "{traffic:?}: {summary}");
        o.into_result().unwrap();
    }
    design
}

/// Lints the io_parallel design and co-simulates `samples` stimulus samples at its latency.
pub fn cosim_parallel(c: &Compiled, samples: usize) {
    require_tool("verilator");
    let design = c.design().unwrap();
    assert!(design.stream.is_none());
    assert_lint_clean(&design.files, &design.top);
    let inputs = stimulus(&c.golden, samples, 5);
    let o = rtlgen::sim::cosim::run_mantissas(c, &design, &inputs, None).unwrap();
    let summary = o.summary();
    assert_eq!(o.mismatched_samples, 0, "{summary}");
    assert_eq!(o.received, samples, "{summary}");
    assert_eq!(o.latency_measured, Some(design.latency), "{summary}");
}
