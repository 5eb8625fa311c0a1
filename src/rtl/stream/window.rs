//! Fronts of core stages: what a stage does with each accepted beat before its core.
//!
//! * [`Front::Beat`]: every beat is a complete core input (Dense after a Flatten, elementwise
//!   layers).
//! * [`Front::Encoded`]: REFERENCE §6.3. A mask ROM over the minimal image, addressed through
//!   the per-axis index translations of the pixel's row and column, says which window taps the
//!   pixel feeds; it is pushed into the FIFO of each such tap, and the pixel carrying the last
//!   tap completes a window, popping every FIFO. FIFO depths are the exact peaks of the
//!   schedule ([`crate::analysis::window::fifo_depths`]), so no border logic runs per pixel.
//! * [`Front::LineBuffer`]: REFERENCE §6.2. `K_h − 1` delay lines of one image row and a
//!   `K_h × K_w` window register that shifts one column per pixel; counters decide when the
//!   window is complete.

use super::super::builder::Signal;
use super::super::cast::lower_cast;
use super::super::logic::{bits_for, Logic};
use super::super::netlist::*;
use super::super::pool;
use super::stage::Ports;
use crate::analysis::window::{self as schedule, WindowAxis};
use crate::diag::Result;
use crate::fixed::FixedType;
use crate::ir::{PoolKind, Window};

/// What a stage's front is.
#[derive(Debug, Clone)]
pub enum Front {
    Beat,
    Encoded {
        window: Window,
        element_bits: u32,
    },
    LineBuffer {
        window: Window,
        element_bits: u32,
    },
    /// Pooling with pool = stride (REFERENCE §6.4): a pixel feeds at most one tap, found from
    /// two small per-axis tables instead of a mask ROM.
    PoolTaps {
        window: Window,
        element_bits: u32,
    },
    /// Global pooling: a running value per channel in `accum`; the last pixel of an image
    /// completes, and the core input is the running values combined with it.
    Accumulate {
        pixels: usize,
        channels: usize,
        kind: PoolKind,
        x_ty: FixedType,
        accum: FixedType,
    },
}

/// The nets a front built.
pub struct FrontNets {
    /// High when the beat being offered completes a core input (depends on state only).
    pub completes: NetId,
    /// The core input: the window (or beat), as a bus of elements in `(fh, fw, c)` order.
    pub window: NetId,
    /// Whether `window` is already a register that holds the completed input after the
    /// accepting edge (otherwise the stage registers it).
    pub registered: bool,
}

fn axes(w: &Window) -> (WindowAxis, WindowAxis) {
    (
        WindowAxis {
            input: w.in_h,
            kernel: w.kernel_h,
            stride: w.stride_h,
        },
        WindowAxis {
            input: w.in_w,
            kernel: w.kernel_w,
            stride: w.stride_w,
        },
    )
}

impl Front {
    /// Per beat of an image, whether it completes a core input.
    pub fn completes(&self) -> Vec<bool> {
        match self {
            Front::Beat => vec![true],
            Front::Encoded { window, .. }
            | Front::LineBuffer { window, .. }
            | Front::PoolTaps { window, .. } => {
                let (h, w) = axes(window);
                schedule::completions(h, w)
            }
            Front::Accumulate { pixels, .. } => (0..*pixels).map(|k| k + 1 == *pixels).collect(),
        }
    }

    /// Builds the front; `accept` is high in a cycle whose beat is taken.
    pub fn build(&self, l: &mut Logic, p: &Ports, accept: NetId) -> Result<FrontNets> {
        Ok(match self {
            Front::Beat => FrontNets {
                completes: l.wire("completes", 1, Expr::Copy(Operand::Const(1))),
                window: p.in_data,
                registered: false,
            },
            Front::Encoded {
                window,
                element_bits,
            } => encoded(l, p, accept, window, *element_bits),
            Front::LineBuffer {
                window,
                element_bits,
            } => line_buffer(l, p, accept, window, *element_bits),
            Front::PoolTaps {
                window,
                element_bits,
            } => pool_taps(l, p, accept, window, *element_bits),
            Front::Accumulate {
                pixels,
                channels,
                kind,
                x_ty,
                accum,
            } => accumulate(l, p, accept, *pixels, *channels, *kind, x_ty, accum)?,
        })
    }
}

/// A translated index: `table[counter]` as a `case`, with the most common value as default.
fn translate(l: &mut Logic, name: &str, counter: NetId, table: &[usize], width: u32) -> NetId {
    let mut counts = std::collections::BTreeMap::new();
    for &v in table {
        *counts.entry(v).or_insert(0usize) += 1;
    }
    let common = counts
        .iter()
        .max_by_key(|&(v, c)| (*c, std::cmp::Reverse(*v)))
        .map_or(0, |(v, _)| *v);
    let arms = table
        .iter()
        .enumerate()
        .filter(|&(_, &v)| v != common)
        .map(|(k, &v)| (k as u64, Operand::Const(v as i128)))
        .collect();
    l.wire(
        name,
        width,
        Expr::Case {
            sel: counter,
            arms,
            default: Operand::Const(common as i128),
        },
    )
}

fn encoded(
    l: &mut Logic,
    p: &Ports,
    accept: NetId,
    window: &Window,
    element_bits: u32,
) -> FrontNets {
    let (h, w) = axes(window);
    let rom = schedule::mask_rom(h, w);
    let taps = window.kernel_h * window.kernel_w;
    let (row, col) = position(l, accept, window);
    let rbits = bits_for(rom.rows.size.saturating_sub(1));
    let cbits = bits_for(rom.cols.size.saturating_sub(1));
    let ri = translate(l, "row_index", row, &rom.rows.index, rbits);
    let ci = translate(l, "col_index", col, &rom.cols.index, cbits);
    let address = l.wire(
        "mask_address",
        rbits + cbits,
        Expr::Concat(vec![
            Part::Bits {
                net: ri,
                hi: rbits - 1,
                lo: 0,
            },
            Part::Bits {
                net: ci,
                hi: cbits - 1,
                lo: 0,
            },
        ]),
    );
    let arms = (0..rom.rows.size)
        .flat_map(|r| (0..rom.cols.size).map(move |c| (r, c)))
        .filter_map(|(r, c)| {
            let m = rom.masks[r * rom.cols.size + c];
            (m != 0).then_some((((r as u64) << cbits) | c as u64, Operand::Const(m as i128)))
        })
        .collect();
    let mask = l.wire(
        "mask",
        taps as u32,
        Expr::Case {
            sel: address,
            arms,
            default: Operand::Const(0),
        },
    );
    l.b.note(
        mask,
        format!(
            "window taps fed by this pixel (bit fh*{}+fw), from a {}x{} mask ROM",
            window.kernel_w, rom.rows.size, rom.cols.size
        ),
    );
    let bits: Vec<NetId> = (0..taps)
        .map(|f| l.bit(&format!("tap{f}"), mask, f as u32))
        .collect();
    let depths = schedule::fifo_depths(h, w, |r, c| rom.mask(r, c));
    tap_fifos(l, p, accept, window, element_bits, &bits, &depths)
}

/// The raster position `(row, col)` of the pixel being offered.
fn position(l: &mut Logic, accept: NetId, window: &Window) -> (NetId, NetId) {
    let (col, col_last) = l.counter("col", window.in_w - 1, accept);
    let row_en = l.and("row_en", &[accept, col_last]);
    let (row, _) = l.counter("row", window.in_h - 1, row_en);
    (row, col)
}

fn pool_taps(
    l: &mut Logic,
    p: &Ports,
    accept: NetId,
    window: &Window,
    element_bits: u32,
) -> FrontNets {
    let (h, w) = axes(window);
    let (kh, kw) = (window.kernel_h, window.kernel_w);
    let (row, col) = position(l, accept, window);
    // Unused rows and columns map to the out-of-range tap index `kernel`.
    let table = |a: WindowAxis| -> Vec<usize> {
        schedule::pool_taps(a)
            .into_iter()
            .map(|t| t.unwrap_or(a.kernel))
            .collect()
    };
    let th = translate(l, "row_tap", row, &table(h), bits_for(kh));
    let tw = translate(l, "col_tap", col, &table(w), bits_for(kw));
    let bits: Vec<NetId> = (0..kh * kw)
        .map(|f| {
            let in_row = l.cmp(&format!("tap{f}_row"), CmpOp::Eq, th, (f / kw) as i128);
            let in_col = l.cmp(&format!("tap{f}_col"), CmpOp::Eq, tw, (f % kw) as i128);
            l.and(&format!("tap{f}"), &[in_row, in_col])
        })
        .collect();
    let depths = schedule::fifo_depths(h, w, schedule::pool_mask(h, w));
    tap_fifos(l, p, accept, window, element_bits, &bits, &depths)
}

/// Per-tap FIFOs: a pixel is pushed into the FIFO of every tap whose `bits` net is high; the
/// pixel of the last tap completes a window made of every FIFO's head and itself.
fn tap_fifos(
    l: &mut Logic,
    p: &Ports,
    accept: NetId,
    window: &Window,
    element_bits: u32,
    bits: &[NetId],
    depths: &[usize],
) -> FrontNets {
    let taps = bits.len();
    let completes = bits[taps - 1];
    let pop = l.and("window_pop", &[accept, completes]);
    let beat_bits = window.channels as u32 * element_bits;
    let mut parts = vec![Part::Bits {
        net: p.in_data,
        hi: beat_bits - 1,
        lo: 0,
    }];
    for f in (0..taps - 1).rev() {
        let push = l.and(&format!("tap{f}_push"), &[accept, bits[f]]);
        let head = l.b.driven(&format!("tap{f}_head"), beat_bits, 0);
        let valid = l.b.driven(&format!("tap{f}_valid"), 1, 0);
        l.b.m.instances.push(Instance {
            module: "rtlgen_fifo".into(),
            name: format!("u_tap{f}"),
            params: vec![
                ("WIDTH".into(), beat_bits as u64),
                ("DEPTH".into(), depths[f].max(1) as u64),
            ],
            connections: vec![
                ("clk".into(), p.clk),
                ("rst".into(), p.rst),
                ("push".into(), push),
                ("push_data".into(), p.in_data),
                ("pop".into(), pop),
                ("out_valid".into(), valid),
                ("out_data".into(), head),
            ],
        });
        parts.push(Part::Bits {
            net: head,
            hi: beat_bits - 1,
            lo: 0,
        });
    }
    let window_bus = l.wire("window", taps as u32 * beat_bits, Expr::Concat(parts));
    FrontNets {
        completes,
        window: window_bus,
        registered: false,
    }
}

/// Running per-channel values for global pooling (see [`Front::Accumulate`]).
#[allow(clippy::too_many_arguments)]
fn accumulate(
    l: &mut Logic,
    p: &Ports,
    accept: NetId,
    pixels: usize,
    channels: usize,
    kind: PoolKind,
    x_ty: &FixedType,
    accum: &FixedType,
) -> Result<FrontNets> {
    let (k, last) = l.counter("pixel", pixels - 1, accept);
    let first = l.cmp("first_pixel", CmpOp::Eq, k, 0);
    let w = x_ty.width;
    let mut parts = vec![];
    for c in 0..channels {
        let x = l.b.wire(
            &format!("x{c}"),
            w,
            x_ty.signed,
            Expr::Concat(vec![Part::Bits {
                net: p.in_data,
                hi: c as u32 * w + w - 1,
                lo: c as u32 * w,
            }]),
            0,
        )?;
        let x = Signal {
            net: x,
            width: w,
            signed: x_ty.signed,
            frac: x_ty.frac_bits(),
        };
        let xa = lower_cast(l.b, x, accum, &format!("x{c}_acc"), 0)?;
        let acc =
            l.b.reg_ctl(&format!("acc{c}"), accum.width, accum.signed, 0);
        let running = Signal { net: acc, ..xa };
        let combined = pool::combine(l.b, running, xa, kind, accum, &format!("comb{c}"))?;
        let next = l.b.wire_raw(
            &format!("acc{c}_next"),
            accum.width,
            accum.signed,
            Expr::Mux(first, Operand::Net(xa.net), Operand::Net(combined.net)),
            0,
        );
        l.b.set_reg(acc, next, Some(accept), None);
        parts.push(Part::Bits {
            net: next,
            hi: accum.width - 1,
            lo: 0,
        });
    }
    parts.reverse();
    let window = l.wire("window", channels as u32 * accum.width, Expr::Concat(parts));
    Ok(FrontNets {
        completes: last,
        window,
        registered: false,
    })
}

fn line_buffer(
    l: &mut Logic,
    p: &Ports,
    accept: NetId,
    window: &Window,
    element_bits: u32,
) -> FrontNets {
    let (kh, kw) = (window.kernel_h, window.kernel_w);
    let beat_bits = window.channels as u32 * element_bits;
    // Position counters and window phases (REFERENCE §6.2).
    let (px, px_last) = l.counter("px", window.in_w - 1, accept);
    let py_en = l.and("py_en", &[accept, px_last]);
    let (py, py_last) = l.counter("py", window.in_h - 1, py_en);
    let sx = phase(l, "sx", kw, window.stride_w, accept, px_last);
    let sy = phase(l, "sy", kh, window.stride_h, py_en, py_last);
    let mut terms = vec![sx.at_last, sy.at_last];
    if kw > 1 {
        terms.push(l.cmp("px_in_window", CmpOp::Gt, px, kw as i128 - 2));
    }
    if kh > 1 {
        terms.push(l.cmp("py_in_window", CmpOp::Gt, py, kh as i128 - 2));
    }
    let completes = l.and("completes", &terms);
    // col[kh−1] is the pixel; col[kh−1−r] comes out of delay line r−1, which is fed by col[kh−r].
    let mut col = vec![p.in_data; kh];
    for r in 1..kh {
        let out = l.b.driven(&format!("line{}_out", r - 1), beat_bits, 0);
        l.b.m.instances.push(Instance {
            module: "rtlgen_delay_line".into(),
            name: format!("u_line{}", r - 1),
            params: vec![
                ("WIDTH".into(), beat_bits as u64),
                ("DEPTH".into(), window.in_w as u64),
            ],
            connections: vec![
                ("clk".into(), p.clk),
                ("en".into(), accept),
                ("in_data".into(), col[kh - r]),
                ("out_data".into(), out),
            ],
        });
        col[kh - 1 - r] = out;
    }
    // window[fh][fw] shifts left one column per pixel; column kw−1 loads `col`.
    let regs: Vec<Vec<NetId>> = (0..kh)
        .map(|fh| {
            (0..kw)
                .map(|fw| l.b.reg_ctl(&format!("win_{fh}_{fw}"), beat_bits, false, 0))
                .collect()
        })
        .collect();
    for fh in 0..kh {
        for fw in 0..kw {
            let d = if fw + 1 == kw {
                col[fh]
            } else {
                regs[fh][fw + 1]
            };
            l.b.set_reg(regs[fh][fw], d, Some(accept), None);
        }
    }
    let parts = regs
        .iter()
        .flatten()
        .rev()
        .map(|&net| Part::Bits {
            net,
            hi: beat_bits - 1,
            lo: 0,
        })
        .collect();
    let window_bus = l.wire("window", (kh * kw) as u32 * beat_bits, Expr::Concat(parts));
    FrontNets {
        completes,
        window: window_bus,
        registered: true,
    }
}

/// A window phase counter `s` of REFERENCE §6.2 along one axis.
struct Phase {
    /// `s == K − 1`.
    at_last: NetId,
}

/// `s` advances when `step`: to 0 at the axis' end (`wrap`), else to `K − S` after `K − 1`,
/// else `s + 1`. For the row phase, `step` is the end of a row and `wrap` the end of the image.
fn phase(l: &mut Logic, name: &str, k: usize, s: usize, step: NetId, wrap: NetId) -> Phase {
    let lo = (k as i128 - s as i128).min(0);
    let hi = k as i128 - 1;
    let width = signed_bits(lo, hi);
    let reg = l.reg_signed(name, width, Some(0));
    let at_last = l.cmp(&format!("{name}_at_last"), CmpOp::Eq, reg, hi);
    let inc = l.add(&format!("{name}_inc"), reg, 1);
    let after = l.mux(
        &format!("{name}_after"),
        at_last,
        Operand::Const(k as i128 - s as i128),
        Operand::Net(inc),
        reg,
    );
    let next = l.mux(
        &format!("{name}_next"),
        wrap,
        Operand::Const(0),
        Operand::Net(after),
        reg,
    );
    l.drive(reg, next, Some(step));
    Phase { at_last }
}

/// Bits of a two's-complement register holding every value in `lo ..= hi` (`lo ≤ 0 ≤ hi`).
fn signed_bits(lo: i128, hi: i128) -> u32 {
    (1..127)
        .find(|&w| lo >= -(1i128 << (w - 1)) && hi < (1i128 << (w - 1)))
        .expect("window phases are small")
}
