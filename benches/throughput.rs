//! Benchmarks (not timed tests): time to Verilog and golden-model throughput on the bundled
//! 16-64-32-32-5 network. Prints a Markdown table. Run: `cargo bench --bench throughput`.

use rand::{Rng, SeedableRng};
use std::path::Path;
use std::time::Instant;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = root.join("examples/jet_dnn.onnx");
    let config = root.join("examples/jet_dnn.yml");

    // Time to Verilog: import, passes, golden model, RTL generation and writing every file.
    let mut times = Vec::new();
    for _ in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let start = Instant::now();
        let c = rtlgen::driver::compile(&model, Some(&config), None).unwrap();
        let d = c.design().unwrap();
        let board = rtlgen::flow::board("arty-a7").unwrap();
        rtlgen::artifacts::write_build(&c, &d, "arty-a7", &board, dir.path(), 256).unwrap();
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let to_verilog = times[times.len() / 2];

    // Golden model: inferences per second over a batch on every core, inputs already converted.
    let c = rtlgen::driver::compile(&model, Some(&config), None).unwrap();
    let n = 200_000;
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let x = ndarray::Array2::from_shape_fn((n, 16), |_| rng.random_range(-8.0..8.0));
    let start = Instant::now();
    let y = c.golden.run_batch(x.view()).unwrap();
    let batch = start.elapsed().as_secs_f64();
    assert_eq!(y.nrows(), n);
    let xs: Vec<Vec<i128>> = (0..2000)
        .map(|s| c.golden.quantize_input(s, &x.row(s).to_vec()).unwrap())
        .collect();
    let start = Instant::now();
    let mut sink = 0i128;
    for _ in 0..25 {
        for v in &xs {
            sink = sink.wrapping_add(c.golden.run(v)[0]);
        }
    }
    let single = start.elapsed().as_secs_f64();
    std::hint::black_box(sink);

    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| time to Verilog, 16-64-32-32-5 (median of 20, files written) | {:.1} ms |",
        to_verilog * 1e3
    );
    println!("| golden model, batch of {n} on {} threads (incl. float input conversion) | {:.0} inferences/s |", std::thread::available_parallelism().map_or(1, |t| t.get()), n as f64 / batch);
    println!(
        "| golden model, one thread | {:.0} inferences/s |",
        50_000.0 / single
    );
}
