//! The delay model that places pipeline registers for a target clock period.
//!
//! Delays are estimates for the target's family (see [`crate::family`]), from the shape of the
//! logic: a LUT level with its routing costs `lut_level_ns`; a W-bit carry-chain adder costs one
//! LUT level plus `carry_per_bit_ns · W`; every stage pays `register_ns` (clock-to-out, setup
//! and clock uncertainty). Lowering fits as many adder-tree levels (or sequential
//! accumulate-and-cast links) into a stage as the period allows, at least one. The schedule is
//! decided here, in rtlgen, not left to the synthesis tool; the report gives the resulting
//! per-stage delay estimate.

use crate::family::Family;

/// Delays of one FPGA family, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct DelayModel {
    pub register_ns: f64,
    pub lut_level_ns: f64,
    pub carry_per_bit_ns: f64,
}

/// A clock period, the family, and the family's delay model used to meet the period.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Timing {
    pub clock_period_ns: f64,
    pub family: Family,
    pub model: DelayModel,
}

impl Timing {
    pub fn new(family: Family, clock_period_ns: f64) -> Self {
        Timing {
            clock_period_ns,
            family,
            model: family.delays(),
        }
    }

    /// Xilinx 7-series at `clock_period_ns`.
    pub fn xc7(clock_period_ns: f64) -> Self {
        Self::new(Family::Xc7, clock_period_ns)
    }

    /// A W-bit addition (one LUT level and the carry chain).
    pub fn adder_ns(&self, width: u32) -> f64 {
        self.model.lut_level_ns + self.model.carry_per_bit_ns * width as f64
    }

    /// A cast with rounding and saturation: the increment adder, the range compare and the mux.
    pub fn cast_ns(&self, width: u32) -> f64 {
        self.adder_ns(width) + 2.0 * self.model.lut_level_ns
    }

    /// How many operations of `op_ns` each fit one stage (at least one).
    pub fn per_stage(&self, op_ns: f64) -> u32 {
        (((self.clock_period_ns - self.model.register_ns) / op_ns).floor() as u32).max(1)
    }

    /// The estimated delay of a stage holding `n` operations of `op_ns`.
    pub fn stage_ns(&self, n: u32, op_ns: f64) -> f64 {
        self.model.register_ns + n as f64 * op_ns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorter_periods_fit_fewer_adders() {
        let (slow, fast) = (Timing::xc7(10.0), Timing::xc7(3.0));
        let a = slow.adder_ns(32);
        assert!(slow.per_stage(a) > fast.per_stage(a));
        assert_eq!(
            Timing::xc7(0.5).per_stage(a),
            1,
            "at least one operation per stage"
        );
        assert!(slow.stage_ns(slow.per_stage(a), a) <= 10.0);
    }
}
