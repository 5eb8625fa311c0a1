//! Simulation: bus packing, the Verilator harness (built at run time) and co-simulation.

pub mod bus;
pub mod cosim;
pub mod ffi;
pub mod stream;
pub mod verilator;
pub mod wave;
