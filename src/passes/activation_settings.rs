//! Resolves the settings of the activation layers from the configuration, as hls4ml 1.3.0 does
//! (`tests/data/hls4ml/ACTIVATIONS.md` §1, §3.1): tables of `table_size` entries (default 1024),
//! table types from the layer keys `table_t`, `exp_table_t`, `inv_table_t`, `inv_inp_t`,
//! `inp_norm_t` and `accum_t` (`Precision: {table: …}` and the like are ignored, as in hls4ml),
//! the softmax `accum` from `Precision` (`auto`: the model default), LeakyReLU's `param`.

use crate::config::{Config, Prec, SoftmaxImplementation};
use crate::diag::{Diagnostic, Diagnostics};
use crate::fixed::{FixedType, Overflow, Quant, MAX_WIDTH};
use crate::ir::{Node, Softmax, SoftmaxTables, Table, MAX_TABLE_SIZE};

/// hls4ml's default activation table type, `ap_fixed<18,8>` (TRN, WRAP).
pub const TABLE_TYPE: FixedType = FixedType::fixed(18, 8, true);

/// hls4ml's default softmax table types, `ap_fixed<18,8,AP_RND,AP_SAT>`.
pub const SOFTMAX_TABLE_TYPE: FixedType =
    FixedType::fixed(18, 8, true).with_modes(Quant::Rnd, Overflow::Sat);

/// hls4ml's default `table_size`.
pub const TABLE_SIZE: u64 = 1024;

/// Where a layer's settings are looked up: its configuration names and layer-type keys.
pub struct Lookup<'a> {
    pub cfg: &'a Config,
    pub node: &'a Node,
    pub types: &'a [&'a str],
}

impl Lookup<'_> {
    /// A `*_t` layer key (name entries win over type entries).
    fn named(&self, key: &str) -> Option<FixedType> {
        self.cfg.setting(&self.node.config_names, self.types, |s| {
            s.types.get(key).copied()
        })
    }

    fn table_size(&self) -> u64 {
        self.cfg
            .setting(&self.node.config_names, self.types, |s| s.table_size)
            .unwrap_or(TABLE_SIZE)
    }

    fn diag(&self, subject: &str, expected: String, found: String) -> Diagnostic {
        Diagnostic::new(
            &self.node.name,
            Some(self.node.op.layer_type()),
            subject,
            expected,
            found,
        )
    }

    /// `size` entries as a table of `ty`, or a diagnostic when it is not a power of two rtlgen
    /// builds.
    fn table(&self, size: u64, ty: FixedType, diags: &mut Diagnostics) -> Table {
        if !size.is_power_of_two() || !(2..=MAX_TABLE_SIZE as u64).contains(&size) {
            diags.push(self.diag(
                "table_size",
                format!("a power of two from 2 to {MAX_TABLE_SIZE}"),
                size.to_string(),
            ));
        }
        Table {
            size: (size as usize).clamp(2, MAX_TABLE_SIZE),
            ty,
        }
    }

    /// The sigmoid or tanh table: `table_size` entries of `table_t`.
    pub fn lut_table(&self, diags: &mut Diagnostics) -> Table {
        let ty = self.named("table_t").unwrap_or(TABLE_TYPE);
        self.table(self.table_size(), ty, diags)
    }

    /// The softmax variant over an input of type `x`, with hls4ml's table sizes: `table_size`,
    /// lowered to `2^min(W_x, W_inv_table)` when larger (`fix_softmax_table_size`); the stable
    /// variant derives `inp_norm_t = ap_ufixed<W − s, I − s>` unless it is given, and then, for
    /// a signed input, uses at most `2^(W − 1)` exp entries.
    pub fn softmax(&self, x: FixedType, diags: &mut Diagnostics) -> Softmax {
        let cfg = self.cfg;
        let names = &self.node.config_names;
        let implementation = cfg
            .setting(names, self.types, |s| s.softmax_implementation)
            .unwrap_or(SoftmaxImplementation::Stable);
        let exp_t = self.named("exp_table_t").unwrap_or(SOFTMAX_TABLE_TYPE);
        let inv_t = self.named("inv_table_t").unwrap_or(SOFTMAX_TABLE_TYPE);
        let inv_inp = self.named("inv_inp_t").unwrap_or(SOFTMAX_TABLE_TYPE);
        let accum = self.named("accum_t").unwrap_or_else(|| {
            match cfg.precision("accum", names, self.types).0 {
                Prec::Type(t) => t,
                Prec::Auto => cfg.model_default(),
            }
        });
        if accum.width + inv_t.width > MAX_WIDTH {
            diags.push(self.diag(
                "precision",
                format!("accum width + inv_table_t width ≤ {MAX_WIDTH} (their exact product)"),
                format!("accum {accum}, inv_table_t {inv_t}"),
            ));
        }
        let cap = 1u64 << x.width.min(inv_t.width).min(63);
        let size = self.table_size().min(cap);
        let inv = self.table(size, inv_t, diags);
        let addressable = |table: &Table, by: &FixedType, what: &str, diags: &mut Diagnostics| {
            if table.bits() > by.width {
                diags.push(self.diag(
                    "table_size",
                    format!(
                        "at most 2^{} entries, the values of {what} ({by})",
                        by.width
                    ),
                    table.size.to_string(),
                ));
            }
        };
        match implementation {
            SoftmaxImplementation::Stable => {
                let (inp_norm, exp_size) = match self.named("inp_norm_t") {
                    Some(t) => (t, size),
                    None => {
                        let s = x.signed as u32;
                        if x.width <= s {
                            diags.push(self.diag(
                                "input type",
                                "at least one bit besides the sign".into(),
                                x.to_string(),
                            ));
                        }
                        let w = (x.width - s).max(1);
                        let exp_size = if x.signed {
                            size.min(1u64 << (w.min(63)))
                        } else {
                            size
                        };
                        (FixedType::fixed(w, x.int_bits - s as i32, false), exp_size)
                    }
                };
                let tables = SoftmaxTables {
                    exp: self.table(exp_size, exp_t, diags),
                    inv,
                    accum,
                    inv_inp,
                };
                addressable(&tables.exp, &inp_norm, "inp_norm_t", diags);
                addressable(&tables.inv, &inv_inp, "inv_inp_t", diags);
                Softmax::Stable { tables, inp_norm }
            }
            SoftmaxImplementation::Latency => {
                let tables = SoftmaxTables {
                    exp: self.table(size, exp_t, diags),
                    inv,
                    accum,
                    inv_inp,
                };
                addressable(&tables.exp, &x, "the input", diags);
                addressable(&tables.inv, &inv_inp, "inv_inp_t", diags);
                Softmax::Latency { tables }
            }
            SoftmaxImplementation::Argmax => Softmax::Argmax,
            SoftmaxImplementation::Legacy => {
                let table_t = self.named("table_t").unwrap_or(TABLE_TYPE);
                Softmax::Legacy {
                    exp: Table { ty: table_t, ..inv },
                    inv: Table { ty: table_t, ..inv },
                }
            }
        }
    }

    /// LeakyReLU's `param` type for an input of type `x`: `Precision: param` (`auto`:
    /// [`constant_type`] of α).
    pub fn leaky_param(&self, alpha: f64, x: FixedType, diags: &mut Diagnostics) -> FixedType {
        let param = match self
            .cfg
            .precision("param", &self.node.config_names, self.types)
            .0
        {
            Prec::Type(t) => t,
            Prec::Auto => constant_type(alpha, 8),
        };
        if x.width + param.width > MAX_WIDTH {
            diags.push(self.diag(
                "precision",
                format!("input width + param width ≤ {MAX_WIDTH} (their exact product)"),
                format!("input {x}, param {param}"),
            ));
        }
        param
    }
}

/// hls4ml's `_get_precision_from_constant(v, max_width)` (`infer_precision.py`): the fixed type
/// `minimal_kif` gives for `v`, at most `max_width` bits besides the sign, TRN/WRAP.
/// `minimal_kif`: `f` is the smallest of −31…32 with `v·2^f` an integer, found by numpy's
/// bisection (32 when there is none; a product of 2^63 or more never counts as an integer),
/// `i = ceil(log2(max(v + 2^−f, −v)))`, `k = v < 0`; the type is `fixed<min(k + i + f,
/// k + max_width), k + i>`, signed iff `k`; zero gives `ufixed<1,1>`.
pub fn constant_type(v: f64, max_width: i32) -> FixedType {
    if v == 0.0 {
        return FixedType::fixed(1, 1, false);
    }
    let is_integer = |f: i32| {
        let scaled = v * 2f64.powi(f);
        scaled.abs() < 2f64.powi(63) && scaled == scaled.trunc()
    };
    let (mut low, mut high) = (-32i32, 32i32);
    while low < high - 1 {
        let mid = (low + high).div_euclid(2);
        if is_integer(mid) {
            high = mid;
        } else {
            low = mid;
        }
    }
    let f = high;
    let i = (v + 2f64.powi(-f)).max(-v).log2().ceil() as i32;
    let k = (v < 0.0) as i32;
    let width = (k + i + f).min(k + max_width).max(1);
    FixedType::fixed(width as u32, k + i, k == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// hls4ml's unit test `test_precision_from_constant_unit` (widths) and ACTIVATIONS.md §4
    /// (0.1 → `ufixed<8,−3>`).
    #[test]
    fn constant_types_follow_hls4ml() {
        for (v, width) in [
            (-1024.0, 1),
            (1024.0, 1),
            (0.03125, 1),
            (-0.03125, 1),
            (1.25, 3),
            (-1.25, 4),
            (1.1, 8),
            (-1.1, 9),
        ] {
            let t = constant_type(v, 8);
            assert_eq!(t.width, width, "{v}: {t}");
            assert_eq!(t.signed, v < 0.0, "{v}");
            let step = 2f64.powi(-t.frac_bits());
            let lo = t.min_mantissa() as f64 * step;
            let hi = t.max_mantissa() as f64 * step;
            assert!(lo <= v && v <= hi, "{v} outside {t}");
        }
        assert_eq!(constant_type(0.0, 8).to_string(), "ap_ufixed<1,1>");
        assert_eq!(constant_type(0.1, 8).to_string(), "ap_ufixed<8,-3>");
        assert_eq!(
            constant_type(0.1f32 as f64, 8).to_string(),
            "ap_ufixed<8,-3>"
        );
    }
}
