//! Sliding windows of streaming Conv and Pool layers (REFERENCE §6.1–6.4), computed at generation
//! time for the hardware window unit.
//!
//! The input image is already padded and arrives one pixel per step in raster order (rows top to
//! bottom, columns left to right). A window is `Kh × Kw` pixels; window `(oh, ow)` has tap
//! `(fh, fw)` at pixel `(oh·Sh + fh, ow·Sw + fw)` and tap number `fh·Kw + fw`. Everything
//! separates into the H and W axes, so kernels and strides may differ per axis, and a stride may
//! exceed the kernel. 1-D is the case `input = kernel = stride = 1` along H.
//!
//! * [`mask_rom`]: the §6.3 encoded mask-instruction scheme (per-tap masks of a small minimal
//!   image, addressed through a per-axis index translation), with exact per-tap FIFO depths from
//!   [`fifo_depths`].
//! * [`pool_taps`] and [`pool_mask`]: the §6.4 H and W lookup tables of pooling with
//!   pool = stride.
//! * [`completions`] and [`line_buffer_completions`]: where windows complete, directly and as the
//!   §6.2 line buffer's counters find them.

use serde::Serialize;

/// One spatial axis of a sliding window over an (already padded) input.
///
/// Valid when `input ≥ kernel ≥ 1` and `stride ≥ 1`; the functions of this module panic
/// otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct WindowAxis {
    /// Input length along the axis (pixels).
    pub input: usize,
    /// Window length along the axis.
    pub kernel: usize,
    /// Distance between the starts of consecutive windows.
    pub stride: usize,
}

impl WindowAxis {
    /// Windows along the axis: `(input − kernel) / stride + 1`.
    ///
    /// # Panics
    /// If the axis is not valid (`input ≥ kernel ≥ 1`, `stride ≥ 1`).
    pub fn outputs(&self) -> usize {
        self.check();
        (self.input - self.kernel) / self.stride + 1
    }

    /// Panics unless the axis is valid.
    fn check(&self) {
        assert!(
            self.kernel >= 1 && self.stride >= 1 && self.input >= self.kernel,
            "invalid window axis {self:?}"
        );
    }

    /// One past the last index any window uses: `(outputs − 1)·stride + kernel` (hls4ml's `nW`).
    /// Indices from here on are used by no window.
    pub fn used(&self) -> usize {
        (self.outputs() - 1) * self.stride + self.kernel
    }

    /// The §6.3 index translation (`sidx`) of every input index into the minimal axis.
    ///
    /// The minimal axis has the unclipped minimal length `sW = (⌈K/S⌉ − 1)·S + K` if `K ≥ S`, or
    /// `(⌈S/K⌉ − 1)·S + K` if `K < S`, plus one extra index `sW`, used by no window, when some
    /// input indices are used by no window (`used() < input`). When `input ≤ sW` the translation
    /// is the identity of size `input` instead (unused indices then keep entries of their own):
    /// at `input < sW` hls4ml's clipped table can be indexed out of bounds (§6.3 edge case), and
    /// at `input = sW` nothing is saved.
    ///
    /// # Panics
    /// If the axis is invalid.
    pub fn translation(&self) -> AxisTranslation {
        let minimal = self.minimal();
        if self.input <= minimal {
            return AxisTranslation {
                index: (0..self.input).collect(),
                size: self.input,
            };
        }
        AxisTranslation {
            index: (0..self.input)
                .map(|i| self.translate(i, minimal))
                .collect(),
            size: minimal + usize::from(self.used() < self.input),
        }
    }

    /// hls4ml's unclipped minimal length `sW` (see [`Self::translation`]).
    fn minimal(&self) -> usize {
        let (k, s) = (self.kernel, self.stride);
        let periods = if k >= s { k.div_ceil(s) } else { s.div_ceil(k) };
        (periods - 1) * s + k
    }

    /// `sidx(i)` for `input > minimal`: left border `i < D` kept, unused indices to `minimal`,
    /// right border kept at its distance from `minimal`, interior periodic with period `S`
    /// (`D = |K − S|`).
    fn translate(&self, i: usize, minimal: usize) -> usize {
        let d = self.kernel.abs_diff(self.stride);
        let used = self.used();
        if i < d {
            i
        } else if i >= used {
            minimal
        } else if used - i <= d {
            minimal - (used - i)
        } else {
            d + (i - d) % self.stride
        }
    }

    /// For each index of the minimal axis of `size` entries (see [`Self::translation`]): bit `f`
    /// set iff the index is tap `f` of a window lying within the first `min(input, sW)` indices.
    fn minimal_taps(&self, size: usize) -> Vec<u64> {
        let extent = self.input.min(self.minimal());
        let windows = WindowAxis {
            input: extent,
            ..*self
        }
        .outputs();
        let mut taps = vec![0; size];
        for o in 0..windows {
            for f in 0..self.kernel {
                taps[o * self.stride + f] |= 1 << f;
            }
        }
        taps
    }

    /// Whether index `i` (`< input`) is the last tap (`kernel − 1`) of some window, i.e. of
    /// window `(i + 1 − kernel) / stride`, which then fits within the input.
    fn completes(&self, i: usize) -> bool {
        i + 1 >= self.kernel && (i + 1 - self.kernel) % self.stride == 0
    }
}

/// An index translation from an input axis into a minimal axis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AxisTranslation {
    /// `index[i]` (`< size`) is the minimal-axis index standing for input index `i`.
    pub index: Vec<usize>,
    /// Length of the minimal axis.
    pub size: usize,
}

/// The precomputed mask-instruction ROM of §6.3 for a minimal image of `rows.size × cols.size`
/// pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaskRom {
    /// Translation of input rows into minimal rows.
    pub rows: AxisTranslation,
    /// Translation of input columns into minimal columns.
    pub cols: AxisTranslation,
    pub kernel_h: usize,
    pub kernel_w: usize,
    /// `masks[r·cols.size + c]`: bit `fh·Kw + fw` (LSB = tap (0, 0)) set iff pixel `(r, c)` of
    /// the minimal image is tap `(fh, fw)` of some window of the minimal image.
    pub masks: Vec<u64>,
}

impl MaskRom {
    /// The mask of input pixel `(h, w)`, through the row and column translations. It has bit
    /// `fh·Kw + fw` set iff the pixel is tap `(fh, fw)` of some window of the input image.
    pub fn mask(&self, h: usize, w: usize) -> u64 {
        self.masks[self.rows.index[h] * self.cols.size + self.cols.index[w]]
    }

    /// Taps per window (`Kh·Kw`), the width of a mask.
    pub fn taps(&self) -> usize {
        self.kernel_h * self.kernel_w
    }
}

/// The §6.3 mask ROM of a window sliding along `h` (rows) and `w` (columns).
///
/// # Panics
/// If an axis is invalid or the window has more than 64 taps.
pub fn mask_rom(h: WindowAxis, w: WindowAxis) -> MaskRom {
    checked_taps(h, w);
    let (rows, cols) = (h.translation(), w.translation());
    let (row_taps, col_taps) = (h.minimal_taps(rows.size), w.minimal_taps(cols.size));
    let masks = row_taps
        .iter()
        .flat_map(|&r| col_taps.iter().map(move |&c| spread(r, c, w.kernel)))
        .collect();
    MaskRom {
        rows,
        cols,
        kernel_h: h.kernel,
        kernel_w: w.kernel,
        masks,
    }
}

/// Exact FIFO depth per tap (`Kh·Kw` entries) for the mask schedule `mask(row, col)` over an
/// image.
///
/// Each step (one pixel, raster order) pushes the pixel into `fifo[f]` for every set bit `f`;
/// if the last bit (`Kh·Kw − 1`) is set, the pixel completes a window and one element is popped
/// from every FIFO. The depth of a FIFO is its peak occupancy counted after a step's pushes and
/// before its pops, over one image. The last tap needs no FIFO (depth 0: the completing pixel
/// itself is that tap). Every FIFO is empty at the end of the image, so images streamed back to
/// back need the same depths.
///
/// # Panics
/// If an axis is invalid, the window has more than 64 taps, a mask has a bit beyond the taps, a
/// window completes with an empty FIFO, or a FIFO is not empty at the end of the image.
pub fn fifo_depths(h: WindowAxis, w: WindowAxis, mask: impl Fn(usize, usize) -> u64) -> Vec<usize> {
    let last = checked_taps(h, w) - 1;
    let mut occupancy = vec![0usize; last];
    let mut depths = vec![0; last + 1];
    for (r, c) in pixels(h, w) {
        let m = mask(r, c);
        for f in bits(m).filter(|&f| f != last) {
            assert!(f < last, "mask bit {f} of pixel ({r}, {c}) beyond the taps");
            occupancy[f] += 1;
            depths[f] = depths[f].max(occupancy[f]);
        }
        if (m >> last) & 1 == 1 {
            for o in &mut occupancy {
                *o = o
                    .checked_sub(1)
                    .expect("a window completes before all its taps arrived");
            }
        }
    }
    assert!(
        occupancy.iter().all(|&o| o == 0),
        "taps left in the FIFOs after an image"
    );
    depths
}

/// For each input pixel in raster order: whether it completes a window, i.e. is tap
/// `(Kh − 1, Kw − 1)` of some window. Windows complete in raster order of the output.
///
/// # Panics
/// If an axis is invalid.
pub fn completions(h: WindowAxis, w: WindowAxis) -> Vec<bool> {
    h.check();
    w.check();
    pixels(h, w)
        .map(|(r, c)| h.completes(r) && w.completes(c))
        .collect()
}

/// The §6.4 lookup table of one axis of pooling with pool = stride: for every input index its
/// 0-based tap position along the axis (`index mod pool`), or `None` for indices no window uses
/// (from `(input div pool)·pool` on).
///
/// # Panics
/// If the axis is invalid or its kernel (pool) differs from its stride.
pub fn pool_taps(a: WindowAxis) -> Vec<Option<usize>> {
    assert_eq!(a.kernel, a.stride, "pooling needs pool = stride");
    let used = a.used();
    (0..a.input)
        .map(|i| (i < used).then_some(i % a.kernel))
        .collect()
}

/// The mask schedule of pooling with pool = stride built from [`pool_taps`], for
/// [`fifo_depths`]: input pixel `(h, w)` has the single bit `th·Pw + tw` of its taps along H and
/// W, or no bit when either axis does not use it.
///
/// # Panics
/// If an axis is invalid or has pool ≠ stride, or the window has more than 64 taps.
pub fn pool_mask(h: WindowAxis, w: WindowAxis) -> impl Fn(usize, usize) -> u64 {
    checked_taps(h, w);
    let (rows, cols) = (pool_taps(h), pool_taps(w));
    move |r, c| match (rows[r], cols[c]) {
        (Some(th), Some(tw)) => 1 << (th * w.kernel + tw),
        _ => 0,
    }
}

/// For each input pixel in raster order: whether the §6.2 line buffer emits a window at it,
/// found by running its position and phase counters.
///
/// # Panics
/// If an axis is invalid.
pub fn line_buffer_completions(h: WindowAxis, w: WindowAxis) -> Vec<bool> {
    h.check();
    w.check();
    let (mut row, mut col) = (PhaseCounter::default(), PhaseCounter::default());
    let mut emits = Vec::with_capacity(h.input * w.input);
    for _ in pixels(h, w) {
        emits.push(row.at_window_end(h) && col.at_window_end(w));
        if col.advance(w) {
            row.advance(h);
        }
    }
    emits
}

/// The §6.2 counters of one axis: position `px` and phase `sx` (negative while a stride larger
/// than the kernel skips indices).
#[derive(Default)]
struct PhaseCounter {
    pos: usize,
    phase: isize,
}

impl PhaseCounter {
    /// `sx == K − 1 and px ≥ K − 1`: the current index is the last tap of a window.
    fn at_window_end(&self, a: WindowAxis) -> bool {
        self.at_last_phase(a) && self.pos + 1 >= a.kernel
    }

    /// `sx == K − 1`.
    fn at_last_phase(&self, a: WindowAxis) -> bool {
        self.phase == a.kernel as isize - 1
    }

    /// Moves to the next index, wrapping to 0 after the last; returns whether it wrapped. After
    /// a window's last tap the phase restarts at `K − S`, so the next comes `S` indices later.
    fn advance(&mut self, a: WindowAxis) -> bool {
        if self.pos + 1 == a.input {
            *self = Self::default();
            return true;
        }
        self.pos += 1;
        self.phase = if self.at_last_phase(a) {
            a.kernel as isize - a.stride as isize
        } else {
            self.phase + 1
        };
        false
    }
}

/// `Kh·Kw`, after checking that both axes are valid and the taps fit a `u64` mask.
fn checked_taps(h: WindowAxis, w: WindowAxis) -> usize {
    h.check();
    w.check();
    let taps = h.kernel * w.kernel;
    assert!(taps <= 64, "{taps} taps do not fit a 64-bit mask");
    taps
}

/// The 2-D mask of a pixel whose row is tap `fh` for each bit `fh` of `row` and whose column is
/// tap `fw` for each bit `fw` of `col`: bits `fh·kernel_w + fw`.
fn spread(row: u64, col: u64, kernel_w: usize) -> u64 {
    bits(row).fold(0, |m, fh| m | (col << (fh * kernel_w)))
}

/// The set bits of `m`, ascending.
fn bits(mut m: u64) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        let b = (m != 0).then(|| m.trailing_zeros() as usize);
        m &= m.wrapping_sub(1);
        b
    })
}

/// The pixels `(row, column)` of an image in raster order.
fn pixels(h: WindowAxis, w: WindowAxis) -> impl Iterator<Item = (usize, usize)> {
    (0..h.input).flat_map(move |r| (0..w.input).map(move |c| (r, c)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    fn axis(input: usize, kernel: usize, stride: usize) -> WindowAxis {
        WindowAxis {
            input,
            kernel,
            stride,
        }
    }

    /// Every axis with kernel and stride in `1..=max_ks` and input from the kernel to `max_in`.
    fn axes(max_ks: usize, max_in: usize) -> Vec<WindowAxis> {
        let mut all = Vec::new();
        for kernel in 1..=max_ks {
            for stride in 1..=max_ks {
                all.extend((kernel..=max_in).map(|input| axis(input, kernel, stride)));
            }
        }
        all
    }

    /// The windows of a direct sliding window over `images` back-to-back images, flattened:
    /// windows in raster order of the output, each as its pixel ids in tap `(fh, fw)` order
    /// (image `k`'s pixels numbered in raster order from `k·H·W`).
    fn direct_windows(h: WindowAxis, w: WindowAxis, images: usize) -> Vec<usize> {
        let mut ids = Vec::new();
        for image in 0..images {
            for oh in 0..h.outputs() {
                for ow in 0..w.outputs() {
                    for fh in 0..h.kernel {
                        let row = image * h.input + oh * h.stride + fh;
                        ids.extend((0..w.kernel).map(|fw| row * w.input + ow * w.stride + fw));
                    }
                }
            }
        }
        ids
    }

    /// Runs the mask schedule over `images` back-to-back images with real FIFOs of pixel ids,
    /// FIFO `f` holding at most `depths[f]`; returns the emitted windows flattened like
    /// [`direct_windows`]. Panics on an overflow or underflow, and unless every FIFO fills up.
    fn run_schedule(
        h: WindowAxis,
        w: WindowAxis,
        mask: &impl Fn(usize, usize) -> u64,
        depths: &[usize],
        images: usize,
    ) -> Vec<usize> {
        let last = depths.len() - 1;
        let mut fifos = vec![VecDeque::new(); last];
        let mut peaks = vec![0; depths.len()];
        let mut windows = Vec::new();
        for (id, (r, c)) in (0..images).flat_map(|_| pixels(h, w)).enumerate() {
            let m = mask(r, c);
            for f in bits(m).filter(|&f| f != last) {
                assert!(
                    fifos[f].len() < depths[f],
                    "FIFO {f} overflows at pixel {id}"
                );
                fifos[f].push_back(id);
                peaks[f] = peaks[f].max(fifos[f].len());
            }
            if (m >> last) & 1 == 1 {
                windows.extend(fifos.iter_mut().map(|q| q.pop_front().expect("underflow")));
                windows.push(id);
            }
        }
        assert_eq!(peaks, depths, "depths are not tight");
        windows
    }

    /// Checks that the mask schedule with [`fifo_depths`] emits exactly the direct windows, over
    /// two images back to back, within hls4ml's depth `Kh·out_W`.
    fn check_schedule(h: WindowAxis, w: WindowAxis, mask: impl Fn(usize, usize) -> u64) {
        let depths = fifo_depths(h, w, &mask);
        assert!(
            depths.iter().all(|&d| d <= h.kernel * w.outputs()),
            "{h:?} {w:?}"
        );
        let emitted = run_schedule(h, w, &mask, &depths, 2);
        assert!(emitted == direct_windows(h, w, 2), "{h:?} {w:?}");
    }

    #[test]
    fn worked_example_k3_s1() {
        let a = axis(5, 3, 1);
        let rom = mask_rom(a, a);
        #[rustfmt::skip]
        let table = [
            1, 3, 7, 6, 4,
            9, 27, 63, 54, 36,
            73, 219, 511, 438, 292,
            72, 216, 504, 432, 288,
            64, 192, 448, 384, 256,
        ];
        assert_eq!(rom.masks, table);
        assert_eq!(rom.rows.index, [0, 1, 2, 3, 4]);
        assert_eq!(rom.taps(), 9);
        let wide = mask_rom(axis(8, 3, 1), axis(8, 3, 1));
        assert_eq!(wide.masks, table);
        assert_eq!(wide.mask(4, 5), 511);
    }

    #[test]
    fn sidx_examples() {
        let check = |a: WindowAxis, index: &[usize], size| {
            assert_eq!(
                a.translation(),
                AxisTranslation {
                    index: index.to_vec(),
                    size
                },
                "{a:?}"
            );
        };
        check(axis(8, 3, 1), &[0, 1, 2, 2, 2, 2, 3, 4], 5);
        check(axis(8, 3, 2), &[0, 1, 2, 1, 2, 1, 4, 5], 6);
        check(axis(8, 2, 3), &[0, 1, 2, 3, 1, 2, 3, 4], 5);
        // §6.3 edge case: smaller than the unclipped minimal 5, with (4 − 3) mod 2 ≠ 0.
        check(axis(4, 3, 2), &[0, 1, 2, 3], 4);
    }

    #[test]
    fn translations_stay_within_the_minimal_axis() {
        for a in axes(7, 50) {
            let t = a.translation();
            assert!(
                t.size <= a.input && t.index.iter().all(|&i| i < t.size),
                "{a:?}"
            );
        }
    }

    /// Includes the §6.3 edge case (e.g. K = 3, S = 2, input 4) and 1-D (input 1 along H).
    #[test]
    fn mask_schedule_emits_the_direct_windows() {
        for h in axes(5, 14) {
            for w in axes(5, 14) {
                let rom = mask_rom(h, w);
                check_schedule(h, w, |r, c| rom.mask(r, c));
            }
        }
    }

    #[test]
    fn mask_schedule_in_1d() {
        let h = axis(1, 1, 1);
        for w in axes(7, 50) {
            let rom = mask_rom(h, w);
            check_schedule(h, w, |r, c| rom.mask(r, c));
        }
    }

    #[test]
    fn sixty_four_taps() {
        let a = axis(11, 8, 3);
        let rom = mask_rom(a, a);
        check_schedule(a, a, |r, c| rom.mask(r, c));
    }

    #[test]
    fn fifo_depths_below_hls4ml() {
        let depths = |a: WindowAxis| {
            let rom = mask_rom(a, a);
            fifo_depths(a, a, |r, c| rom.mask(r, c))
        };
        // hls4ml gives every FIFO Kh·out_W = 18 and 45. Tap (0, 0) of window (oh, ow) arrives at
        // pixel (oh·S, ow·S) and leaves at the window's completion (oh·S + 2, ow·S + 2).
        assert_eq!(depths(axis(8, 3, 1)), [15, 14, 13, 9, 8, 7, 3, 2, 0]);
        assert_eq!(depths(axis(32, 3, 2)), [17, 16, 16, 15, 15, 15, 2, 1, 0]);
    }

    #[test]
    fn completions_agree() {
        for h in axes(5, 14) {
            for w in axes(5, 14) {
                let mut direct = vec![false; h.input * w.input];
                let windows = direct_windows(h, w, 1);
                for window in windows.chunks(h.kernel * w.kernel) {
                    direct[window[window.len() - 1]] = true;
                }
                assert_eq!(completions(h, w), direct, "{h:?} {w:?}");
                assert_eq!(line_buffer_completions(h, w), direct, "{h:?} {w:?}");
            }
        }
    }

    /// Pooling axes with pool = stride in `1..=4` and inputs from the pool to 10.
    fn pool_axes() -> Vec<WindowAxis> {
        (1..=4)
            .flat_map(|p| (p..=10).map(move |input| axis(input, p, p)))
            .collect()
    }

    #[test]
    fn pool_taps_match_direct_pooling() {
        for a in pool_axes() {
            let mut direct = vec![None; a.input];
            for o in 0..a.outputs() {
                for t in 0..a.kernel {
                    direct[o * a.stride + t] = Some(t);
                }
            }
            assert_eq!(pool_taps(a), direct, "{a:?}");
        }
    }

    #[test]
    fn pool_schedule_emits_the_direct_windows() {
        for h in pool_axes() {
            for w in pool_axes() {
                let (mask, rom) = (pool_mask(h, w), mask_rom(h, w));
                assert!(pixels(h, w).all(|(r, c)| mask(r, c) == rom.mask(r, c)));
                check_schedule(h, w, mask);
            }
        }
    }
}
