//! `rtlgen synth OUT`: runs the Yosys script `build` wrote, and sets the measured resources and
//! logic depth beside the report's estimates.

use crate::diag::{Diagnostic, Error, Result};
use crate::family::Family;
use crate::rtl::estimate::Estimate;
use serde::Serialize;
use std::path::Path;
use std::process::Command;

/// What Yosys measured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Measured {
    pub luts: u64,
    pub ffs: u64,
    /// Carry cells (CARRY4, CCU2C or SB_CARRY).
    pub carry: u64,
    pub dsps: u64,
    /// Block RAMs: RAMB18 equivalents (a RAMB36 counts 2), DP16KD or SB_RAM40_4K.
    pub bram: u64,
    /// LUTs used as distributed RAM or shift registers.
    pub lutram: u64,
    /// Longest path in LUTs and carry cells between flip-flops.
    pub logic_depth: Option<u64>,
}

/// Parses the cell table of Yosys `stat` after `synth_xilinx`, `synth_ecp5` or `synth_ice40`
/// (their cell names do not overlap).
pub fn parse_stat(text: &str) -> Measured {
    let mut m = Measured::default();
    for line in text.lines() {
        let mut it = line.split_whitespace();
        let (Some(cell), Some(count)) = (it.next(), it.next()) else {
            continue;
        };
        let Ok(n) = count.parse::<u64>() else {
            continue;
        };
        match cell {
            c if c.starts_with("LUT") && c.len() == 4 => m.luts += n,
            "SB_LUT4" => m.luts += n,
            "FDRE" | "FDSE" | "FDCE" | "FDPE" | "TRELLIS_FF" => m.ffs += n,
            c if c.starts_with("SB_DFF") => m.ffs += n,
            "CARRY4" | "CCU2C" | "SB_CARRY" => m.carry += n,
            c if c.starts_with("DSP48") => m.dsps += n,
            "MULT18X18D" | "SB_MAC16" => m.dsps += n,
            "RAMB18E1" | "DP16KD" | "SB_RAM40_4K" => m.bram += n,
            "RAMB36E1" => m.bram += 2 * n,
            c => m.lutram += n * memory_luts(c),
        }
    }
    m
}

/// LUTs a memory or shift-register cell occupies: Xilinx SRLs and distributed RAMs (RAM32M and
/// RAM64M are four LUTs, RAM<depth>X1<port> one per 64 bits and port), ECP5's 16 × 4 RAM (the
/// four LUTs of two slices); 0 for every other cell.
fn memory_luts(cell: &str) -> u64 {
    match cell {
        "SRL16E" | "SRLC16E" | "SRLC32E" => 1,
        "RAM32M" | "RAM64M" | "TRELLIS_DPR16X4" => 4,
        c => {
            let Some((depth, ports)) = c.strip_prefix("RAM").and_then(|rest| rest.split_once("X1"))
            else {
                return 0;
            };
            let (Ok(depth), Some(ports)) = (depth.parse::<u64>(), ports.chars().next()) else {
                return 0;
            };
            let ports = match ports {
                'S' => 1,
                'D' => 2,
                'Q' => 4,
                _ => return 0,
            };
            depth.div_ceil(64) * ports
        }
    }
}

/// Parses `ltp`: "Longest topological path in top (length=N):".
pub fn parse_depth(text: &str) -> Option<u64> {
    let at = text.find("(length=")? + "(length=".len();
    text[at..].split(')').next()?.trim().parse().ok()
}

/// Runs Yosys on a `build` output folder; writes `synth.json` and `synth.txt` there and returns
/// the table.
pub fn run(out: &Path) -> Result<String> {
    let fpga = out.join("fpga");
    let script = fpga.join("synth_yosys.ys");
    let report_path = out.join("report.json");
    if !script.exists() || !report_path.exists() {
        return Err(Error::user(Diagnostic::new(
            out.display().to_string(),
            None,
            "folder",
            "the output of `rtlgen build` (with fpga/synth_yosys.ys and report.json)",
            "something else",
        )));
    }
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&report_path)
            .map_err(|e| Error::file(&report_path, "a readable report", e.to_string()))?,
    )
    .map_err(|e| Error::file(&report_path, "rtlgen's report.json", e.to_string()))?;
    let family: Family = serde_json::from_value(report["family"].clone()).map_err(|e| {
        Error::file(
            &report_path,
            "rtlgen's report.json with a family",
            e.to_string(),
        )
    })?;
    let totals: Estimate = serde_json::from_value(report["totals"].clone()).map_err(|e| {
        Error::file(
            &report_path,
            "rtlgen's report.json with totals",
            e.to_string(),
        )
    })?;
    let yosys = std::env::var("RTLGEN_YOSYS").unwrap_or_else(|_| "yosys".into());
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_message(format!(
        "yosys {} on {} (this takes a while for large designs)",
        family.yosys_synth(),
        out.display()
    ));
    spinner.enable_steady_tick(std::time::Duration::from_millis(200));
    let started = std::time::Instant::now();
    let run = Command::new(&yosys)
        .args(["-q", "-s", "synth_yosys.ys"])
        .current_dir(&fpga)
        .output();
    spinner.finish_and_clear();
    let run = run.map_err(|e| Error::Tool(format!("could not run {yosys} ({e}); install Yosys (apt-get install yosys) or set RTLGEN_YOSYS")))?;
    if !run.status.success() {
        return Err(Error::Tool(format!(
            "yosys failed:\n{}",
            String::from_utf8_lossy(&run.stderr)
        )));
    }
    let seconds = started.elapsed().as_secs_f64();
    let read = |name: &str| {
        std::fs::read_to_string(fpga.join(name))
            .map_err(|e| Error::Tool(format!("yosys wrote no {name}: {e}")))
    };
    let mut measured = parse_stat(&read("yosys_utilization.txt")?);
    measured.logic_depth = parse_depth(&read("yosys_depth.txt")?);
    let (carry, dsp, bram) = family.cell_names();
    let rows = [
        ("LUT", totals.luts, measured.luts + measured.lutram),
        ("FF", totals.ffs, measured.ffs),
        (carry, totals.carry, measured.carry),
        (dsp, totals.dsps, measured.dsps),
        (bram, totals.bram, measured.bram),
    ];
    let mut table = format!(
        "Yosys {} of {} in {seconds:.0} s\n{:<11} {:>10} {:>10} {:>8}\n",
        family.yosys_synth(),
        out.display(),
        "resource",
        "estimate",
        "measured",
        "ratio"
    );
    for (name, est, got) in rows {
        let ratio = if est == 0 {
            "-".to_string()
        } else {
            format!("{:.2}", got as f64 / est as f64)
        };
        table.push_str(&format!("{name:<11} {est:>10} {got:>10} {ratio:>8}\n"));
    }
    table.push_str(&format!(
        "logic depth (LUT and carry levels between registers): {}\n",
        measured
            .logic_depth
            .map_or("unknown".into(), |d| d.to_string())
    ));
    let json = serde_json::json!({ "estimate": totals, "measured": measured, "seconds": seconds });
    crate::driver::write_file_atomically(
        &out.join("synth.json"),
        (serde_json::to_string_pretty(&json).expect("json") + "\n").as_bytes(),
    )?;
    crate::driver::write_file_atomically(&out.join("synth.txt"), table.as_bytes())?;
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_yosys_stat_and_ltp() {
        let stat = "   Number of cells:                132\n     CARRY4                         10\n     DSP48E1                         2\n     FDRE                           64\n     LUT2                           20\n     LUT6                            5\n     RAMB18E1                        1\n     RAMB36E1                        2\n     RAM64X1D                        4\n     RAM128X1D                       1\n     RAM32M                          3\n     SRL16E                          7\n     SRLC32E                         2\n";
        let m = parse_stat(stat);
        // LUTs as memory: 4 × 2 (RAM64X1D) + 4 (RAM128X1D) + 3 × 4 (RAM32M) + 9 SRLs.
        assert_eq!(
            (m.luts, m.ffs, m.carry, m.dsps, m.bram, m.lutram),
            (25, 64, 10, 2, 5, 33)
        );
        let ecp5 = "     CCU2C                          7\n     DP16KD                          1\n     LUT4                          30\n     MULT18X18D                      3\n     TRELLIS_DPR16X4                 2\n     TRELLIS_FF                     40\n";
        let m = parse_stat(ecp5);
        assert_eq!(
            (m.luts, m.ffs, m.carry, m.dsps, m.bram, m.lutram),
            (30, 40, 7, 3, 1, 8)
        );
        let ice40 = "     SB_CARRY                       9\n     SB_DFFE                        5\n     SB_DFFSR                       6\n     SB_LUT4                       50\n     SB_RAM40_4K                     2\n";
        let m = parse_stat(ice40);
        assert_eq!((m.luts, m.ffs, m.carry, m.dsps, m.bram), (50, 11, 9, 0, 2));
        assert_eq!(
            parse_depth("Longest topological path in t (length=17):\n"),
            Some(17)
        );
        assert_eq!(parse_depth("nothing"), None);
    }
}
