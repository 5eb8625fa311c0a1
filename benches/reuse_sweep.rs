//! Benchmark (not a timed test): sweeps the reuse factor of the bundled 16-64-32-32-5 network at
//! ap_fixed<16,6> and with 8-bit weights, multipliers on DSP blocks (`Multiplier: dsp`: the
//! network's weights are too narrow for `auto` to pick DSPs, and Yosys' own LUT multipliers are
//! several times larger than Vivado's), synthesizes each design with Yosys (`rtlgen synth`), and
//! prints a Markdown table of latency, II, and estimated vs measured LUT/FF/DSP/BRAM.
//! Run: `cargo bench --bench reuse_sweep` (takes tens of minutes; set RTLGEN_SWEEP to a
//! comma-separated list of reuse factors to run fewer).

use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = root.join("examples/jet_dnn.onnx");
    let reuse: Vec<usize> = std::env::var("RTLGEN_SWEEP")
        .unwrap_or_else(|_| "1,2,4,8,16,32,64,128".into())
        .split(',')
        .map(|s| s.trim().parse().expect("RTLGEN_SWEEP lists integers"))
        .collect();
    let work = tempfile::tempdir().unwrap();
    println!("| weights | multipliers | R | latency | II | LUT est. | LUT Yosys | FF est. | FF Yosys | DSP est. | DSP Yosys | BRAM18 est. | BRAM18 Yosys | Yosys s |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let multiplier = "dsp";
    for (label, weight) in [
        ("ap_fixed<16,6>", "ap_fixed<16,6>"),
        ("8-bit ap_fixed<8,1>", "ap_fixed<8,1>"),
    ] {
        for &r in &reuse {
            let config = work.path().join(format!("r{r}.json"));
            let cfg = serde_json::json!({
                "Model": {"Precision": "ap_fixed<16,6>", "ReuseFactor": r, "Strategy": if r == 1 { "Latency" } else { "Resource" }},
                "LayerType": {"Dense": {"Precision": {"weight": weight}, "Multiplier": multiplier}}
            });
            std::fs::write(&config, cfg.to_string()).unwrap();
            let c = rtlgen::driver::compile(&model, Some(&config), None).unwrap();
            let d = c.design().unwrap();
            let board = rtlgen::flow::board("arty-a7").unwrap();
            let out = work
                .path()
                .join(format!("{}_{r}", weight.replace(['<', '>', ','], "_")));
            std::fs::create_dir_all(&out).unwrap();
            rtlgen::artifacts::write_build(&c, &d, "arty-a7", &board, &out, 16).unwrap();
            rtlgen::synth::run(&out).unwrap();
            let s: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(out.join("synth.json")).unwrap())
                    .unwrap();
            let (e, m) = (&s["estimate"], &s["measured"]);
            let lut_m = m["luts"].as_u64().unwrap() + m["lutram"].as_u64().unwrap();
            println!(
                "| {label} | {multiplier} | {r} | {} | {} | {} | {lut_m} | {} | {} | {} | {} | {} | {} | {:.0} |",
                d.latency,
                d.ii,
                e["luts"],
                e["ffs"],
                m["ffs"],
                e["dsps"],
                m["dsps"],
                e["bram"],
                m["bram"],
                s["seconds"].as_f64().unwrap()
            );
        }
    }
}
