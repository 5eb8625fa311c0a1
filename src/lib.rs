//! rtlgen: quantized neural networks to pipelined, bit-exact Verilog.
//!
//! The pipeline: [`import`] (ONNX → [`ir::Graph`]) → [`passes`] (configured by [`config`]) →
//! [`golden`] (the bit-accurate specification) and [`rtl`] (lowering and Verilog) → [`sim`]
//! (Verilator co-simulation) and [`flow`] (FPGA scripts); [`driver`] orchestrates.

pub mod analysis;
pub mod artifacts;
pub mod cli;
pub mod commands;
pub mod config;
pub mod diag;
pub mod driver;
pub mod family;
pub mod fixed;
pub mod flow;
pub mod golden;
pub mod import;
pub mod ir;
pub mod modelgen;
pub mod npy;
pub mod passes;
pub mod rtl;
pub mod sim;
pub mod synth;

pub mod onnx_proto {
    //! Rust types generated from the vendored `proto/onnx.proto`.
    #![allow(clippy::all, missing_docs)]
    include!(concat!(env!("OUT_DIR"), "/onnx.rs"));
}
