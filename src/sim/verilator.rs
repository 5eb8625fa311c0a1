//! Builds a generated design into a shared library with Verilator and the `cc` crate, and loads it.
//!
//! The Verilator runtime (`verilated.cpp`, `verilated_threads.cpp`) is compiled once per Verilator
//! version; each design is cached by a hash of its Verilog, the harness and the Verilator version,
//! under `$RTLGEN_CACHE_DIR` (default `$XDG_CACHE_HOME/rtlgen` or `~/.cache/rtlgen`). Caches are
//! filled in a temporary directory and renamed into place, so concurrent runs never see half a build.

use crate::diag::{Error, Result};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

const HARNESS: &str = include_str!("../../sim/harness.cpp");

/// Optimisation level for Verilated C++: -O0 compiles the large constant-heavy models fastest, and
/// co-simulations run few enough cycles that simulation speed does not matter.
const CXX_OPT_LEVEL: u32 = 0;

fn tool(msg: impl Into<String>) -> Error {
    Error::Tool(msg.into())
}

/// The `verilator` executable: `$RTLGEN_VERILATOR` or `verilator` on the PATH.
fn verilator() -> String {
    std::env::var("RTLGEN_VERILATOR").unwrap_or_else(|_| "verilator".into())
}

fn run(cmd: &mut Command, what: &str) -> Result<String> {
    let out = cmd.output().map_err(|e| {
        tool(format!("{what}: could not run {:?} ({e}); install Verilator (apt-get install verilator) or set RTLGEN_VERILATOR", cmd.get_program()))
    })?;
    if !out.status.success() {
        return Err(tool(format!(
            "{what} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub fn cache_dir() -> PathBuf {
    if let Ok(d) = std::env::var("RTLGEN_CACHE_DIR") {
        return PathBuf::from(d);
    }
    let base = std::env::var("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| ".".into())).join(".cache")
        });
    base.join("rtlgen")
}

struct Toolchain {
    version: String,
    root: PathBuf,
}

fn toolchain() -> Result<Toolchain> {
    let version = run(
        Command::new(verilator()).arg("--version"),
        "verilator --version",
    )?
    .trim()
    .to_owned();
    let root = run(
        Command::new(verilator()).args(["--getenv", "VERILATOR_ROOT"]),
        "verilator --getenv",
    )?
    .trim()
    .to_owned();
    Ok(Toolchain {
        version,
        root: PathBuf::from(root),
    })
}

fn cc_build(tc: &Toolchain, out_dir: &Path) -> cc::Build {
    let mut b = cc::Build::new();
    let include = tc.root.join("include");
    b.cpp(true)
        .target(env!("RTLGEN_TARGET"))
        .host(env!("RTLGEN_TARGET"))
        .opt_level(CXX_OPT_LEVEL)
        .debug(false)
        .cargo_metadata(false)
        .warnings(false)
        .pic(true)
        .out_dir(out_dir)
        .std("c++17")
        .include(&include)
        .include(include.join("vltstd"))
        .define("VM_COVERAGE", "0")
        .define("VM_SC", "0")
        .define("VM_TRACE", "0")
        .define("VM_TIMING", "0")
        .flag("-w");
    b
}

/// Fills `dir` through a temporary sibling renamed into place; returns `dir`.
fn cached(dir: &Path, fill: impl FnOnce(&Path) -> Result<()>) -> Result<PathBuf> {
    if dir.join("done").exists() {
        return Ok(dir.to_owned());
    }
    let parent = dir.parent().expect("cache entries have parents");
    std::fs::create_dir_all(parent)
        .map_err(|e| tool(format!("cache {}: {e}", parent.display())))?;
    let tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempdir_in(parent)
        .map_err(|e| tool(format!("cache: {e}")))?;
    fill(tmp.path())?;
    std::fs::write(tmp.path().join("done"), "").map_err(|e| tool(format!("cache: {e}")))?;
    let kept = tmp.keep();
    if std::fs::rename(&kept, dir).is_err() {
        // Another process finished the same entry first; use theirs.
        let _ = std::fs::remove_dir_all(&kept);
    }
    Ok(dir.to_owned())
}

fn hex_digest(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize()
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn objects_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut objs: Vec<PathBuf> = walk(dir)?
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "o"))
        .collect();
    objs.sort();
    Ok(objs)
}

fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| tool(format!("{}: {e}", dir.display())))? {
        let path = entry.map_err(|e| tool(e.to_string()))?.path();
        if path.is_dir() {
            out.extend(walk(&path)?);
        } else {
            out.push(path);
        }
    }
    Ok(out)
}

/// The runtime objects for this Verilator version.
fn runtime(tc: &Toolchain, progress: &dyn Fn(&str)) -> Result<Vec<PathBuf>> {
    let dir = cache_dir().join(format!("runtime-{}", hex_digest(&[tc.version.as_bytes()])));
    let dir = cached(&dir, |tmp| {
        progress("compiling the Verilator runtime (once per Verilator version)");
        let include = tc.root.join("include");
        cc_build(tc, tmp)
            .file(include.join("verilated.cpp"))
            .file(include.join("verilated_threads.cpp"))
            .try_compile_intermediates()
            .map_err(|e| tool(format!("compiling the Verilator runtime: {e}")))?;
        Ok(())
    })?;
    objects_in(&dir)
}

/// Verilates and compiles `files` (name, Verilog text) with top module `top` into a shared
/// library; returns its path. `stream`: the top has the io_stream ports (`in_ready`,
/// `out_ready`). `progress` receives a line per slow step.
pub fn build(
    files: &[(String, String)],
    top: &str,
    stream: bool,
    progress: &dyn Fn(&str),
) -> Result<PathBuf> {
    let tc = toolchain()?;
    let runtime_objs = runtime(&tc, progress)?;
    let opt = CXX_OPT_LEVEL.to_string();
    let io: &[u8] = if stream { b"io_stream" } else { b"io_parallel" };
    let mut parts: Vec<&[u8]> = vec![
        tc.version.as_bytes(),
        HARNESS.as_bytes(),
        top.as_bytes(),
        opt.as_bytes(),
        io,
    ];
    for (name, text) in files {
        parts.push(name.as_bytes());
        parts.push(text.as_bytes());
    }
    let dir = cache_dir()
        .join("designs")
        .join(format!("{top}-{}", hex_digest(&parts)));
    let dir = cached(&dir, |tmp| {
        let rtl = tmp.join("rtl");
        std::fs::create_dir_all(&rtl).map_err(|e| tool(e.to_string()))?;
        let mut sources = Vec::new();
        for (name, text) in files {
            let p = rtl.join(name);
            std::fs::write(&p, text).map_err(|e| tool(e.to_string()))?;
            sources.push(p);
        }
        let obj = tmp.join("verilated");
        progress("verilating");
        run(
            Command::new(verilator())
                .args([
                    "--cc",
                    "-Wno-fatal",
                    "--prefix",
                    "Vrtlgen_top",
                    "--top-module",
                    top,
                    "--Mdir",
                ])
                .arg(&obj)
                .args(&sources),
            "verilator",
        )?;
        let cpps: Vec<PathBuf> = walk(&obj)?
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "cpp"))
            .collect();
        progress(&format!(
            "compiling {} C++ files of the Verilated model",
            cpps.len()
        ));
        std::fs::write(tmp.join("harness.cpp"), HARNESS).map_err(|e| tool(e.to_string()))?;
        let build_dir = tmp.join("objects");
        std::fs::create_dir_all(&build_dir).map_err(|e| tool(e.to_string()))?;
        let mut b = cc_build(&tc, &build_dir);
        if stream {
            b.define("RTLGEN_STREAM", "1");
        }
        b.include(&obj)
            .define("RTLGEN_TOP", "Vrtlgen_top")
            .define("RTLGEN_TOP_HEADER", "\"Vrtlgen_top.h\"")
            .files(&cpps)
            .file(tmp.join("harness.cpp"));
        let objects = b
            .try_compile_intermediates()
            .map_err(|e| tool(format!("compiling the Verilated model: {e}")))?;
        let mut link = b.get_compiler().to_command();
        link.arg("-shared")
            .arg("-o")
            .arg(tmp.join("model.so"))
            .args(&objects)
            .args(&runtime_objs)
            .arg("-pthread");
        run(&mut link, "linking the Verilated model")?;
        let _ = std::fs::remove_dir_all(&build_dir);
        Ok(())
    })?;
    Ok(dir.join("model.so"))
}
