//! The FPGA families rtlgen targets, and what lowering, estimates and synthesis need to know
//! about each: the delay model pipelines are scheduled with, the DSP block and when a
//! multiplication is worth one, the LUT size, carry cell and block RAM that estimates count in,
//! and the Yosys cells that measure them.
//!
//! Delays are estimates at the slowest speed grade of each family, from the shape of the logic
//! (see [`DelayModel`]): a LUT level with its routing, a carry chain per bit, the per-stage
//! register overhead (clock-to-out, setup, clock uncertainty) and an unregistered DSP multiply.

use crate::config::MultiplierStyle;
use crate::rtl::timing::DelayModel;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Xilinx 7-series (Artix-7, Zynq-7000): LUT6, CARRY4, DSP48E1 (25 × 18), RAMB18E1.
    Xc7,
    /// Lattice ECP5: LUT4, CCU2C (2 bits), MULT18X18D, DP16KD (18 Kib).
    Ecp5,
    /// Lattice iCE40 UltraPlus: LUT4, SB_CARRY (1 bit), SB_RAM40_4K (4 Kib). Its SB_MAC16 is not
    /// used: Yosys' `synth_ice40 -dsp` mapping is unreliable, so multiplications stay in LUTs.
    Ice40,
}

/// A DSP block's multiplier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dsp {
    /// Operand widths of one block (signed).
    pub a_bits: u32,
    pub b_bits: u32,
    /// A multiplication goes to DSP blocks under `Multiplier: auto` when both operands are wider.
    pub min_operand_bits: u32,
    /// Combinational delay of a multiply without the block's registers (ns).
    pub multiply_ns: f64,
    /// What one block is worth in LUTs when a layout trades multipliers for selection logic:
    /// the family's LUTs per DSP block (Artix-7 parts: 231–264; ECP5: 536–857).
    pub lut_equivalent: u64,
}

impl Family {
    pub fn delays(self) -> DelayModel {
        match self {
            Family::Xc7 => DelayModel {
                register_ns: 0.9,
                lut_level_ns: 0.65,
                carry_per_bit_ns: 0.03,
            },
            Family::Ecp5 => DelayModel {
                register_ns: 1.0,
                lut_level_ns: 1.0,
                carry_per_bit_ns: 0.06,
            },
            Family::Ice40 => DelayModel {
                register_ns: 1.5,
                lut_level_ns: 1.8,
                carry_per_bit_ns: 0.25,
            },
        }
    }

    pub fn dsp(self) -> Option<Dsp> {
        match self {
            Family::Xc7 => Some(Dsp {
                a_bits: 25,
                b_bits: 18,
                min_operand_bits: 10,
                multiply_ns: 3.4,
                lut_equivalent: 240,
            }),
            Family::Ecp5 => Some(Dsp {
                a_bits: 18,
                b_bits: 18,
                min_operand_bits: 9,
                multiply_ns: 4.5,
                lut_equivalent: 540,
            }),
            Family::Ice40 => None,
        }
    }

    /// Whether a multiplier with operands of `a` and `b` bits goes to a DSP block.
    pub fn uses_dsp(self, style: MultiplierStyle, a: u32, b: u32) -> bool {
        let Some(dsp) = self.dsp() else {
            return false;
        };
        match style {
            MultiplierStyle::Dsp => true,
            MultiplierStyle::Lut => false,
            MultiplierStyle::Auto => a > dsp.min_operand_bits && b > dsp.min_operand_bits,
        }
    }

    /// Inputs of one LUT.
    pub fn lut_inputs(self) -> u32 {
        match self {
            Family::Xc7 => 6,
            Family::Ecp5 | Family::Ice40 => 4,
        }
    }

    /// Adder bits per carry cell.
    pub fn carry_bits(self) -> u32 {
        match self {
            Family::Xc7 => 4,
            Family::Ecp5 => 2,
            Family::Ice40 => 1,
        }
    }

    /// Bits of one block RAM as counted in reports.
    pub fn bram_bits(self) -> u64 {
        match self {
            Family::Xc7 | Family::Ecp5 => 18 * 1024,
            Family::Ice40 => 4 * 1024,
        }
    }

    /// The Yosys synthesis command (without `-top`).
    pub fn yosys_synth(self) -> &'static str {
        match self {
            Family::Xc7 => "synth_xilinx -family xc7",
            Family::Ecp5 => "synth_ecp5",
            Family::Ice40 => "synth_ice40",
        }
    }

    /// A Yosys selection of the family's flip-flops and clock buffers (cut before `ltp`).
    pub fn yosys_registers(self) -> &'static str {
        match self {
            Family::Xc7 => "t:FD* t:BUFG",
            Family::Ecp5 => "t:TRELLIS_FF",
            Family::Ice40 => "t:SB_DFF*",
        }
    }

    /// Names of the carry cell, DSP block and block RAM, for tables.
    pub fn cell_names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Family::Xc7 => ("CARRY4", "DSP48E1", "RAMB18"),
            Family::Ecp5 => ("CCU2C", "MULT18X18D", "DP16KD"),
            Family::Ice40 => ("SB_CARRY", "SB_MAC16", "SB_RAM40_4K"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_families_with_a_usable_dsp_map_multiplications_to_one() {
        use MultiplierStyle as M;
        assert!(Family::Xc7.uses_dsp(M::Auto, 16, 11));
        assert!(!Family::Xc7.uses_dsp(M::Auto, 16, 10));
        assert!(Family::Ecp5.uses_dsp(M::Auto, 16, 10));
        assert!(!Family::Ice40.uses_dsp(M::Dsp, 16, 16));
        assert!(!Family::Xc7.uses_dsp(M::Lut, 16, 16));
    }
}
