//! Graph rewrites. Every pass is registered in [`registry`]; [`manager::run`] runs the pipeline and
//! verifies the graph after each pass.

mod activation_settings;
mod apply_config;
mod drop_reshapes;
mod fuse_batch_norm;
mod fuse_bias_add;
mod fuse_thresholds;
pub mod manager;
mod quantize_parameters;
pub mod registry;
mod skip_softmax;

pub use manager::{run, PassContext};
