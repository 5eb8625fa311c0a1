//! The FFI layer over the harness in `sim/harness.cpp`.

use crate::diag::{Error, Result};
use std::ffi::c_void;
use std::path::Path;

type New = unsafe extern "C" fn() -> *mut c_void;
type Free = unsafe extern "C" fn(*mut c_void);
type Cycle = unsafe extern "C" fn(*mut c_void, i32, i32, *const u32, *mut i32, *mut u32);
type StreamCycle =
    unsafe extern "C" fn(*mut c_void, i32, i32, *const u32, i32, *mut i32, *mut i32, *mut u32);

/// The clock-cycle entry point of the harness, by port convention.
#[derive(Clone, Copy)]
enum Entry {
    Parallel(Cycle),
    Stream(StreamCycle),
}

/// The handshake and data of a stream design in one cycle, before its rising edge.
#[derive(Debug, Clone)]
pub struct StreamPorts {
    pub in_ready: bool,
    pub out_valid: bool,
    pub out_data: Vec<u32>,
}

/// One instance of a Verilated design. Not thread-safe; each instance owns its model.
pub struct Simulator {
    handle: *mut c_void,
    free: Free,
    entry: Entry,
    in_words: usize,
    out_words: usize,
    // Keeps the library loaded while the function pointers are in use; dropped last.
    _lib: libloading::Library,
}

impl Simulator {
    /// Loads a library built by [`super::verilator::build`] (with the same `stream`) for buses
    /// of `in_bits` and `out_bits`.
    pub fn load(path: &Path, in_bits: usize, out_bits: usize, stream: bool) -> Result<Self> {
        let err = |e: libloading::Error| Error::Tool(format!("loading {}: {e}", path.display()));
        // SAFETY: the library was built from sim/harness.cpp, which defines these three functions
        // with exactly these C signatures; the pointers are used only while `_lib` is alive.
        unsafe {
            let lib = libloading::Library::new(path).map_err(err)?;
            let new: New = *lib.get::<New>(b"rtlgen_sim_new\0").map_err(err)?;
            let free: Free = *lib.get::<Free>(b"rtlgen_sim_free\0").map_err(err)?;
            let entry = if stream {
                Entry::Stream(
                    *lib.get::<StreamCycle>(b"rtlgen_sim_cycle_stream\0")
                        .map_err(err)?,
                )
            } else {
                Entry::Parallel(*lib.get::<Cycle>(b"rtlgen_sim_cycle\0").map_err(err)?)
            };
            let handle = new();
            // Verilator stores buses of 33 to 64 bits in two words and narrower ones in one.
            let words = |bits: usize| bits.div_ceil(32).max(1);
            Ok(Simulator {
                handle,
                free,
                entry,
                in_words: words(in_bits),
                out_words: words(out_bits),
                _lib: lib,
            })
        }
    }

    /// One clock cycle with the given inputs; returns `out_valid` and the `out_data` words after
    /// the rising edge.
    pub fn cycle(&mut self, rst: bool, in_valid: bool, in_data: &[u32]) -> (bool, Vec<u32>) {
        let Entry::Parallel(cycle) = self.entry else {
            panic!("an io_stream design is driven with cycle_stream");
        };
        let mut input = in_data.to_vec();
        input.resize(self.in_words.max(2), 0);
        let mut out = vec![0u32; self.out_words.max(2)];
        let mut valid = 0i32;
        // SAFETY: `handle` came from this library's `rtlgen_sim_new`; the buffers hold at least as
        // many words as the harness reads or writes for these bus widths.
        unsafe {
            cycle(
                self.handle,
                rst as i32,
                in_valid as i32,
                input.as_ptr(),
                &mut valid,
                out.as_mut_ptr(),
            )
        };
        out.truncate(self.out_words);
        (valid != 0, out)
    }
}

impl Simulator {
    /// One clock cycle of an io_stream design: returns the handshake and `out_data` before the
    /// rising edge, at which a beat moves in if `in_valid && in_ready` and out if
    /// `out_valid && out_ready`.
    pub fn cycle_stream(
        &mut self,
        rst: bool,
        in_valid: bool,
        in_data: &[u32],
        out_ready: bool,
    ) -> StreamPorts {
        let Entry::Stream(cycle) = self.entry else {
            panic!("an io_parallel design is driven with cycle");
        };
        let mut input = in_data.to_vec();
        input.resize(self.in_words.max(2), 0);
        let mut out = vec![0u32; self.out_words.max(2)];
        let (mut in_ready, mut out_valid) = (0i32, 0i32);
        // SAFETY: as in `cycle`; the stream entry point reads and writes the same buffers.
        unsafe {
            cycle(
                self.handle,
                rst as i32,
                in_valid as i32,
                input.as_ptr(),
                out_ready as i32,
                &mut in_ready,
                &mut out_valid,
                out.as_mut_ptr(),
            )
        };
        out.truncate(self.out_words);
        StreamPorts {
            in_ready: in_ready != 0,
            out_valid: out_valid != 0,
            out_data: out,
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        // SAFETY: `handle` is live and freed exactly once, before the library is unloaded.
        unsafe { (self.free)(self.handle) }
    }
}
