//! The command-line interface. Its spellings are a contract: `build`, `predict`, `cosim`.

use crate::diag::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "rtlgen",
    version,
    about = "Compiles quantized neural networks (ONNX) into pipelined, bit-exact Verilog"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(clap::Args, Debug)]
pub struct ModelArgs {
    /// The ONNX model.
    pub model: PathBuf,
    /// hls4ml-style configuration (YAML or JSON).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Print the IR after the named pass to stderr.
    #[arg(long, value_name = "PASS", long_help = dump_help())]
    pub dump_ir_after: Option<String>,
}

/// The `--dump-ir-after` help, listing the passes from the registry.
fn dump_help() -> String {
    format!(
        "Print the IR after the named pass to stderr. The passes, in order:\n{}",
        crate::passes::registry::describe()
    )
}

#[derive(clap::Args, Debug)]
pub struct HardwareArgs {
    /// Target board (fpga/boards.json).
    #[arg(long, default_value = "arty-a7")]
    pub target: String,
    /// Clock period the pipeline is scheduled for (default: the board's).
    #[arg(long, value_name = "NS")]
    pub clock_period_ns: Option<f64>,
}

#[derive(clap::Args, Debug)]
pub struct DataArgs {
    /// Inputs, float32 or float64, shape (N, *input shape of the model).
    #[arg(long)]
    pub input: PathBuf,
    /// Outputs, float64: the exact fixed-point values.
    #[arg(long)]
    pub output: PathBuf,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Generate RTL, a self-checking testbench, FPGA scripts and report.json.
    Build {
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        hw: HardwareArgs,
        /// Output directory (default: a folder named after the model).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Test vectors in the generated testbench.
        #[arg(long, default_value_t = 256)]
        tb_vectors: usize,
        /// Also run Yosys on the result (as `rtlgen synth`).
        #[arg(long)]
        synth: bool,
    },
    /// Synthesize a `build` output with Yosys and compare measured resources with the estimates.
    Synth {
        /// The folder `rtlgen build` wrote.
        output: PathBuf,
    },
    /// Run the bit-accurate golden model on inputs from a .npy file.
    Predict {
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Generate the RTL, simulate it with Verilator on the inputs and compare with the golden model.
    Cosim {
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        hw: HardwareArgs,
        /// Write the top-level port waveforms to this VCD file.
        #[arg(long)]
        vcd: Option<PathBuf>,
    },
}

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Build {
            model,
            hw,
            output,
            tb_vectors,
            synth,
        } => {
            let out = crate::commands::build(&model, &hw, output, tb_vectors)?;
            if synth {
                print!("{}", crate::synth::run(&out)?);
            }
            Ok(())
        }
        Command::Synth { output } => {
            print!("{}", crate::synth::run(&output)?);
            Ok(())
        }
        Command::Predict { model, data } => {
            crate::commands::predict(&model, &data.input, &data.output)
        }
        Command::Cosim {
            model,
            data,
            hw,
            vcd,
        } => crate::commands::cosim(&model, &data.input, &data.output, &hw, vcd.as_deref()),
    }
}
