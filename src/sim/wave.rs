//! VCD waveforms of the top-level ports during co-simulation, written with the `vcd` crate.

use crate::diag::{Error, Result};
use std::io::BufWriter;
use std::path::Path;
use vcd::{IdCode, SimulationCommand, TimescaleUnit, Value};

pub struct Writer {
    w: vcd::Writer<BufWriter<std::fs::File>>,
    ids: [IdCode; 6],
    widths: (usize, usize),
    time: u64,
    path: std::path::PathBuf,
}

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::file(path, "a writable VCD file", e.to_string())
}

fn bits(words: &[u32], n: usize) -> Vec<Value> {
    (0..n)
        .rev()
        .map(|b| {
            if (words.get(b / 32).copied().unwrap_or(0) >> (b % 32)) & 1 == 1 {
                Value::V1
            } else {
                Value::V0
            }
        })
        .collect()
}

impl Writer {
    pub fn create(path: &Path, in_bits: usize, out_bits: usize) -> Result<Self> {
        let file = std::fs::File::create(path).map_err(|e| io(path, e))?;
        let mut w = vcd::Writer::new(BufWriter::new(file));
        let e = |e| io(path, e);
        w.timescale(5, TimescaleUnit::NS).map_err(e)?;
        w.add_module("top").map_err(e)?;
        let clk = w.add_wire(1, "clk").map_err(e)?;
        let rst = w.add_wire(1, "rst").map_err(e)?;
        let iv = w.add_wire(1, "in_valid").map_err(e)?;
        let id = w.add_wire(in_bits as u32, "in_data").map_err(e)?;
        let ov = w.add_wire(1, "out_valid").map_err(e)?;
        let od = w.add_wire(out_bits as u32, "out_data").map_err(e)?;
        w.upscope().map_err(e)?;
        w.enddefinitions().map_err(e)?;
        Ok(Writer {
            w,
            ids: [clk, rst, iv, id, ov, od],
            widths: (in_bits, out_bits),
            time: 0,
            path: path.to_owned(),
        })
    }

    /// Records one clock cycle: inputs while clk is low, outputs after the rising edge.
    pub fn cycle(
        &mut self,
        rst: bool,
        in_valid: bool,
        in_data: &[u32],
        out_valid: bool,
        out_data: &[u32],
    ) -> Result<()> {
        let path = self.path.clone();
        let e = |e| io(&path, e);
        let b = |v: bool| if v { Value::V1 } else { Value::V0 };
        let [clk, r, iv, id, ov, od] = self.ids;
        self.w.timestamp(self.time).map_err(e)?;
        self.w.change_scalar(clk, Value::V0).map_err(e)?;
        self.w.change_scalar(r, b(rst)).map_err(e)?;
        self.w.change_scalar(iv, b(in_valid)).map_err(e)?;
        self.w
            .change_vector(id, bits(in_data, self.widths.0))
            .map_err(e)?;
        self.w.timestamp(self.time + 1).map_err(e)?;
        self.w.change_scalar(clk, Value::V1).map_err(e)?;
        self.w.change_scalar(ov, b(out_valid)).map_err(e)?;
        self.w
            .change_vector(od, bits(out_data, self.widths.1))
            .map_err(e)?;
        self.time += 2;
        Ok(())
    }

    pub fn finish(mut self) -> Result<()> {
        let path = self.path.clone();
        self.w.timestamp(self.time).map_err(|e| io(&path, e))?;
        let _ = SimulationCommand::Dumpall;
        std::io::Write::flush(self.w.writer()).map_err(|e| io(&path, e))
    }
}
