//! hls4ml's precision spellings (`hls4ml/backends/fpga/fpga_backend.py::convert_precision_string`).

use super::types::{FixedType, Overflow, Quant, MAX_WIDTH};
use std::str::FromStr;

/// What a precision string may look like; used in error messages.
pub const SPELLINGS: &str = "ap_fixed<W,I[,Q,O[,N]]>, ap_ufixed<…>, fixed<…>, ufixed<…>, ap_int<W>, ap_uint<W>, int<W>, uint<W> \
     (Q: TRN, TRN_ZERO, RND, RND_ZERO, RND_INF, RND_MIN_INF, RND_CONV; O: WRAP, SAT, SAT_ZERO, SAT_SYM; \
     optional AP_ prefix, any case)";

impl FromStr for FixedType {
    type Err = String;

    /// Parses `ap_fixed<16,6,AP_RND,AP_SAT,0>`, `fixed<16,6,RND,SAT>`, `ufixed<8,3>`, `int<8>`, ….
    /// The error text says what was wrong; callers add where.
    fn from_str(text: &str) -> Result<Self, String> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let bad = || format!("'{text}' is not a fixed-point type (valid: {SPELLINGS})");
        let (head, rest) = compact.split_once('<').ok_or_else(bad)?;
        let args = rest.strip_suffix('>').ok_or_else(bad)?;
        let kind = head.to_ascii_lowercase();
        let kind = kind.strip_prefix("ap_").unwrap_or(&kind);
        let (signed, integer) = match kind {
            "fixed" => (true, false),
            "ufixed" => (false, false),
            "int" => (true, true),
            "uint" => (false, true),
            _ => return Err(bad()),
        };
        let fields: Vec<&str> = args.split(',').collect();
        let width: u32 = fields[0]
            .parse()
            .map_err(|_| format!("'{text}': width '{}' is not a positive integer", fields[0]))?;
        if width == 0 || width > MAX_WIDTH {
            return Err(format!(
                "'{text}': width must be 1 to {MAX_WIDTH}, found {width}"
            ));
        }
        if integer {
            // hls4ml ignores any further fields of integer types.
            return Ok(FixedType::int(width, signed));
        }
        if fields.len() < 2 || fields.len() > 5 {
            return Err(bad());
        }
        let int_bits: i32 = fields[1]
            .parse()
            .map_err(|_| format!("'{text}': integer bits '{}' is not an integer", fields[1]))?;
        let mut t = FixedType::fixed(width, int_bits, signed);
        if let Some(q) = fields.get(2) {
            t.quant = parse_mode(q, &Quant::ALL, Quant::name)
                .ok_or_else(|| format!("'{text}': unknown quantization mode '{q}' (valid: TRN, TRN_ZERO, RND, RND_ZERO, RND_INF, RND_MIN_INF, RND_CONV)"))?;
        }
        if let Some(o) = fields.get(3) {
            t.overflow = parse_mode(o, &Overflow::ALL, Overflow::name).ok_or_else(|| {
                format!(
                    "'{text}': unknown overflow mode '{o}' (valid: WRAP, SAT, SAT_ZERO, SAT_SYM)"
                )
            })?;
        }
        if let Some(n) = fields.get(4) {
            t.sat_bits = n.parse().map_err(|_| {
                format!("'{text}': saturation bits '{n}' is not a non-negative integer")
            })?;
            if t.sat_bits > width {
                return Err(format!(
                    "'{text}': saturation bits {} exceed the width {width}",
                    t.sat_bits
                ));
            }
        }
        Ok(t)
    }
}

fn parse_mode<M: Copy>(text: &str, all: &[M], name: fn(M) -> &'static str) -> Option<M> {
    let upper = text.to_ascii_uppercase();
    let bare = upper
        .strip_prefix("AP_")
        .or_else(|| upper.strip_prefix("AC_"))
        .unwrap_or(&upper);
    all.iter().copied().find(|m| name(*m) == bare)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hls4ml_spellings() {
        let t: FixedType = "ap_fixed<16,6,AP_RND,AP_SAT>".parse().unwrap();
        assert_eq!(
            (t.width, t.int_bits, t.signed, t.quant, t.overflow),
            (16, 6, true, Quant::Rnd, Overflow::Sat)
        );
        let t: FixedType = "fixed<16, 6, RND_CONV, SAT_SYM, 0>".parse().unwrap();
        assert_eq!(
            (t.quant, t.overflow, t.sat_bits),
            (Quant::RndConv, Overflow::SatSym, 0)
        );
        let t: FixedType = "ufixed<8,3>".parse().unwrap();
        assert!(!t.signed && t.quant == Quant::Trn);
        let t: FixedType = "int<8>".parse().unwrap();
        assert!(t.integer && t.signed && t.int_bits == 8);
        let t: FixedType = "ap_uint<4>".parse().unwrap();
        assert!(t.integer && !t.signed);
        let t: FixedType = "ap_fixed<8,-2>".parse().unwrap();
        assert_eq!(t.frac_bits(), 10);
        let t: FixedType = "ap_fixed<4,9>".parse().unwrap();
        assert_eq!(t.frac_bits(), -5);
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "ap_fixed<16,6>",
            "ap_ufixed<8,3,AP_RND,AP_SAT>",
            "ap_fixed<10,4,AP_RND_CONV,AP_WRAP,2>",
            "ap_int<8>",
            "ap_uint<3>",
        ] {
            let t: FixedType = s.parse().unwrap();
            assert_eq!(t.to_string(), s);
        }
    }

    #[test]
    fn rejects_malformed() {
        for s in [
            "ap_fixed<16>",
            "float",
            "ap_fixed<0,0>",
            "ap_fixed<16,6,RND,FOO>",
            "ap_fixed<16,6,ROUND>",
            "fixed<a,b>",
            "ap_fixed<200,6>",
        ] {
            assert!(s.parse::<FixedType>().is_err(), "{s} should be rejected");
        }
    }
}
