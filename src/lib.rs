//! rtlgen: quantized neural networks to pipelined, bit-exact Verilog.
//!
//! The pipeline: [`import`] (ONNX → [`ir::Graph`]) → [`passes`] (configured by [`config`]) →
//! [`golden`] (the bit-accurate specification) and [`rtl`] (lowering and Verilog) → [`sim`]
//! (Verilator co-simulation) and [`flow`] (FPGA scripts); [`driver`] orchestrates.

pub mod config;
pub mod diag;
pub mod fixed;
pub mod import;
pub mod ir;
pub mod passes;

pub mod onnx_proto {
    //! Rust types generated from the vendored `proto/onnx.proto`.
    #![allow(clippy::all, missing_docs)]
    include!(concat!(env!("OUT_DIR"), "/onnx.rs"));
}
