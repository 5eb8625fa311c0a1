//! Compiles the vendored `proto/onnx.proto` (ONNX 1.x schema, Apache-2.0) into Rust types with
//! `prost`, using the pure-Rust `protox` compiler so no `protoc` binary is needed.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/onnx.proto");
    // The target triple, for compiling Verilated models with `cc` at run time.
    println!("cargo:rustc-env=RTLGEN_TARGET={}", std::env::var("TARGET")?);
    let descriptors = protox::compile(["proto/onnx.proto"], ["proto"])?;
    prost_build::Config::new().compile_fds(descriptors)?;
    Ok(())
}
