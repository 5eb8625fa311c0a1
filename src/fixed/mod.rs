//! Arbitrary-precision fixed-point arithmetic with the exact semantics of Xilinx `ap_fixed`
//! (README, "Arithmetic").
//!
//! A value is a mantissa `m` (an `i128`) scaled by `2^-F`. Arithmetic between values is exact;
//! rounding and overflow happen only in [`cast`], which is what an assignment does in C++.

mod cast;
mod dyadic;
mod parse;
mod types;

pub use cast::{cast, from_f64, quantize, to_f64, CastPlan};
pub use dyadic::Dyadic;
pub use types::{FixedType, Overflow, Quant, MAX_WIDTH};
