//! Read-only analyses of a quantized graph, shared by the golden model and RTL lowering.

pub mod accumulation;
pub mod division;
pub mod interval;
pub mod schedule;
pub mod window;
