//! The files of `rtlgen build`: RTL, a self-checking testbench, FPGA flow scripts and the report.

use crate::diag::Result;
use crate::driver::{write, Compiled, VERSION};
use crate::family::Family;
use crate::flow::{render, Board};
use crate::golden::GoldenModel;
use crate::rtl::Design;
use crate::sim::bus;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::json;
use std::path::Path;

/// `report.json`: what was built and how it behaves.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    pub rtlgen_version: &'static str,
    pub model: String,
    pub digest: &'a str,
    pub target: &'a str,
    pub part: &'a str,
    pub family: Family,
    pub clock_period_ns: f64,
    pub top: &'a str,
    /// Cycles from an input accepted to its output valid.
    pub latency_cycles: u32,
    pub latency_ns: f64,
    /// Cycles between accepted inputs.
    pub ii_cycles: u32,
    pub input: Port,
    pub output: Port,
    pub layers: &'a [crate::rtl::LayerInfo],
    /// The slowest pipeline stage by rtlgen's delay model (ns), and the clock it allows.
    pub estimated_stage_ns: f64,
    pub estimated_fmax_mhz: f64,
    /// Sum of the layers' counts and estimated resources.
    pub totals: crate::rtl::estimate::Estimate,
    /// Estimated fraction of the board's LUTs, flip-flops, DSP blocks and block RAMs used.
    pub board_fraction: BoardFraction,
    /// Configuration keys accepted but not used.
    pub ignored_config: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct BoardFraction {
    pub luts: f64,
    pub ffs: f64,
    pub dsps: f64,
    pub bram: f64,
}

#[derive(Debug, Serialize)]
pub struct Port {
    pub elements: usize,
    #[serde(rename = "type")]
    pub ty: String,
    pub bits: usize,
}

pub fn report<'a>(c: &'a Compiled, d: &'a Design, target: &'a str, board: &'a Board) -> Report<'a> {
    let mut totals = crate::rtl::estimate::Estimate::default();
    for l in &d.layers {
        totals += l.estimate;
    }
    // The top module's input register and valid bit.
    totals.ffs += (d.in_elements * d.in_type.width as usize) as u64 + 1;
    totals.register_bits += (d.in_elements * d.in_type.width as usize) as u64 + 1;
    Report {
        rtlgen_version: VERSION,
        model: c.model_path.display().to_string(),
        digest: &c.digest,
        target,
        part: &board.part,
        family: board.family,
        clock_period_ns: board.clock_period_ns,
        top: &d.top,
        latency_cycles: d.latency,
        latency_ns: d.latency as f64 * board.clock_period_ns,
        ii_cycles: d.ii,
        input: Port {
            elements: d.in_elements,
            ty: d.in_type.to_string(),
            bits: d.in_elements * d.in_type.width as usize,
        },
        output: Port {
            elements: d.out_elements,
            ty: d.out_type.to_string(),
            bits: d.out_elements * d.out_type.width as usize,
        },
        layers: &d.layers,
        estimated_stage_ns: d.estimated_stage_ns,
        estimated_fmax_mhz: 1000.0 / d.estimated_stage_ns,
        totals,
        board_fraction: BoardFraction {
            luts: totals.luts as f64 / board.luts as f64,
            ffs: totals.ffs as f64 / board.ffs as f64,
            dsps: totals.dsps as f64 / board.dsps as f64,
            bram: totals.bram as f64 / board.bram as f64,
        },
        ignored_config: c.config.ignored_summary(),
    }
}

/// `report.txt`: the report as tables.
pub fn text_report(r: &Report) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "rtlgen {} report for {} ({}), target {} ({})",
        r.rtlgen_version, r.top, r.model, r.target, r.part
    );
    let _ = writeln!(
        s,
        "latency {} cycles = {:.1} ns at {} ns; II {} cycles; slowest stage {:.2} ns (estimated Fmax {:.0} MHz)\n",
        r.latency_cycles, r.latency_ns, r.clock_period_ns, r.ii_cycles, r.estimated_stage_ns, r.estimated_fmax_mhz
    );
    let _ = writeln!(
        s,
        "{:<12} {:<6} {:>9} {:>5} {:>4} {:>6} {:>7} {:>8} {:>10} {:>8} {:>8} {:>5} {:>6}",
        "layer",
        "kind",
        "shape",
        "lat",
        "II",
        "mults",
        "adders",
        "reg bits",
        "wmem bits",
        "LUT",
        "FF",
        "DSP",
        "BRAM"
    );
    let row = |s: &mut String,
               name: &str,
               kind: &str,
               shape: &str,
               lat: String,
               ii: String,
               e: &crate::rtl::estimate::Estimate| {
        let _ = writeln!(
            s,
            "{name:<12} {kind:<6} {shape:>9} {lat:>5} {ii:>4} {:>6} {:>7} {:>8} {:>10} {:>8} {:>8} {:>5} {:>6}",
            e.multipliers, e.adders, e.register_bits, e.weight_memory_bits, e.luts, e.ffs, e.dsps, e.bram
        );
    };
    for l in r.layers {
        row(
            &mut s,
            &l.name,
            &l.kind,
            &format!("{}x{}", l.n_in, l.n_out),
            l.latency.to_string(),
            l.ii.to_string(),
            &l.estimate,
        );
    }
    row(
        &mut s,
        "total",
        "",
        "",
        r.latency_cycles.to_string(),
        r.ii_cycles.to_string(),
        &r.totals,
    );
    let f = &r.board_fraction;
    let _ = writeln!(
        s,
        "\nestimated use of {}: LUT {:.1} %, FF {:.1} %, DSP {:.1} %, BRAM {:.1} %",
        r.part,
        100.0 * f.luts,
        100.0 * f.ffs,
        100.0 * f.dsps,
        100.0 * f.bram
    );
    s
}

/// Test vectors: the most negative, zero and most positive input codes, then uniformly random
/// codes over the whole input type (which drive every layer into its rounding, saturation and
/// wrap-around cases). Deterministic for a given seed.
pub fn stimulus(model: &GoldenModel, count: usize, seed: u64) -> Vec<Vec<i128>> {
    let t = model.input_type;
    let n = model.n_inputs();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut rows = vec![
        vec![t.min_mantissa(); n],
        vec![0; n],
        vec![t.max_mantissa(); n],
    ];
    while rows.len() < count {
        rows.push(
            (0..n)
                .map(|_| rng.random_range(t.min_mantissa()..=t.max_mantissa()))
                .collect(),
        );
    }
    rows.truncate(count);
    rows
}

/// Writes `rtl/`, `tb/`, `fpga/` and `report.json` into `dir`.
pub fn write_build(
    c: &Compiled,
    d: &Design,
    target: &str,
    board: &Board,
    dir: &Path,
    tb_vectors: usize,
) -> Result<()> {
    let rtl_files: Vec<&str> = d.files.iter().map(|(n, _)| n.as_str()).collect();
    for (name, text) in &d.files {
        write(&dir.join("rtl").join(name), text)?;
    }
    let (in_beats, out_beats) = d
        .stream
        .as_ref()
        .map_or((1, 1), |s| (s.in_beats, s.out_beats));
    let worst_gap = d
        .stream
        .as_ref()
        .and_then(|s| s.expected_ii(tb_vectors))
        .unwrap_or(d.ii);
    let vars = json!({
        "version": VERSION, "top": d.top, "board": target, "part": board.part, "family": board.family,
        "synth": board.family.yosys_synth(), "registers": board.family.yosys_registers(),
        "clock_period_ns": board.clock_period_ns, "rtl_files": rtl_files,
        "count": tb_vectors, "latency": d.latency, "ii": d.ii,
        "in_bits": d.in_elements * d.in_type.width as usize, "out_bits": d.out_elements * d.out_type.width as usize,
        "in_beats": in_beats, "out_beats": out_beats, "worst_gap": worst_gap,
    });
    let inputs = stimulus(&c.golden, tb_vectors, 1);
    let in_bits = d.in_elements * d.in_type.width as usize;
    let out_bits = d.out_elements * d.out_type.width as usize;
    let mut stim = String::new();
    let mut expect = String::new();
    for x in &inputs {
        for beat in x.chunks(d.in_elements) {
            stim.push_str(&bus::hex(&bus::pack(beat, d.in_type.width), in_bits));
            stim.push('\n');
        }
        for beat in c.golden.run(x).chunks(d.out_elements) {
            expect.push_str(&bus::hex(&bus::pack(beat, d.out_type.width), out_bits));
            expect.push('\n');
        }
    }
    let tb = dir.join("tb");
    let template = if d.stream.is_some() {
        "testbench_stream.v"
    } else {
        "testbench.v"
    };
    write(
        &tb.join(format!("tb_{}.v", d.top)),
        &render(template, &vars)?,
    )?;
    write(&tb.join("stimulus.hex"), &stim)?;
    write(&tb.join("expected.hex"), &expect)?;
    for script in ["run_icarus.sh", "run_verilator.sh"] {
        let path = tb.join(script);
        write(&path, &render(script, &vars)?)?;
        set_executable(&path)?;
    }
    let fpga = dir.join("fpga");
    if board.family == Family::Xc7 {
        write(&fpga.join("build.tcl"), &render("vivado_build.tcl", &vars)?)?;
        write(
            &fpga.join("constraints.xdc"),
            &render("constraints.xdc", &vars)?,
        )?;
    }
    write(&fpga.join("synth_yosys.ys"), &render("yosys.ys", &vars)?)?;
    let r = report(c, d, target, board);
    let json = serde_json::to_string_pretty(&r).expect("report serialises");
    write(&dir.join("report.json"), &(json + "\n"))?;
    write(&dir.join("report.txt"), &text_report(&r))?;
    Ok(())
}

fn set_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| crate::diag::Error::file(path, "a writable file", e.to_string()))
}
