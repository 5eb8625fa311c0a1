//! The bit-accurate golden model: the specification of what the generated RTL computes.
//!
//! [`reference`] is the literal hls4ml datapath; [`GoldenModel`] runs the same arithmetic with the
//! cheaper but equal schedules of [`analysis::accumulation`](crate::analysis::accumulation), on
//! machine integers (`i64` where the analysis bounds every value, `i128` otherwise);
//! [`activation`] holds the activation layers and their lookup tables.

pub mod activation;
mod kernel;
mod quantizer;
pub mod reference;

pub use kernel::{
    finish_pool, reduce_tree, BatchNormKernel, DenseKernel, Entry, GoldenModel, Layer, PoolKernel,
};
pub use quantizer::QuantizerKernel;
