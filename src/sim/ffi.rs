//! The FFI layer over the harness in `sim/harness.cpp`.

use crate::diag::{Error, Result};
use std::ffi::c_void;
use std::path::Path;

type New = unsafe extern "C" fn() -> *mut c_void;
type Free = unsafe extern "C" fn(*mut c_void);
type Cycle = unsafe extern "C" fn(*mut c_void, i32, i32, *const u32, *mut i32, *mut u32);

/// One instance of a Verilated design. Not thread-safe; each instance owns its model.
pub struct Simulator {
    handle: *mut c_void,
    free: Free,
    cycle: Cycle,
    in_words: usize,
    out_words: usize,
    // Keeps the library loaded while the function pointers are in use; dropped last.
    _lib: libloading::Library,
}

impl Simulator {
    /// Loads a library built by [`super::verilator::build`] for buses of `in_bits` and `out_bits`.
    pub fn load(path: &Path, in_bits: usize, out_bits: usize) -> Result<Self> {
        let err = |e: libloading::Error| Error::Tool(format!("loading {}: {e}", path.display()));
        // SAFETY: the library was built from sim/harness.cpp, which defines these three functions
        // with exactly these C signatures; the pointers are used only while `_lib` is alive.
        unsafe {
            let lib = libloading::Library::new(path).map_err(err)?;
            let new: New = *lib.get::<New>(b"rtlgen_sim_new\0").map_err(err)?;
            let free: Free = *lib.get::<Free>(b"rtlgen_sim_free\0").map_err(err)?;
            let cycle: Cycle = *lib.get::<Cycle>(b"rtlgen_sim_cycle\0").map_err(err)?;
            let handle = new();
            // Verilator stores buses of 33 to 64 bits in two words and narrower ones in one.
            let words = |bits: usize| bits.div_ceil(32).max(1);
            Ok(Simulator {
                handle,
                free,
                cycle,
                in_words: words(in_bits),
                out_words: words(out_bits),
                _lib: lib,
            })
        }
    }

    /// One clock cycle with the given inputs; returns `out_valid` and the `out_data` words after
    /// the rising edge.
    pub fn cycle(&mut self, rst: bool, in_valid: bool, in_data: &[u32]) -> (bool, Vec<u32>) {
        let mut input = in_data.to_vec();
        input.resize(self.in_words.max(2), 0);
        let mut out = vec![0u32; self.out_words.max(2)];
        let mut valid = 0i32;
        // SAFETY: `handle` came from this library's `rtlgen_sim_new`; the buffers hold at least as
        // many words as the harness reads or writes for these bus widths.
        unsafe {
            (self.cycle)(
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

impl Drop for Simulator {
    fn drop(&mut self) {
        // SAFETY: `handle` is live and freed exactly once, before the library is unloaded.
        unsafe { (self.free)(self.handle) }
    }
}
