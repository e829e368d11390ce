//! Puts the memory map of the target being built where the linker finds it as `memory.x`
//! (cortex-m-rt's and riscv-rt's linker scripts both include a file of that name).

use std::path::PathBuf;
use std::{env, fs};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let source = match arch.as_str() {
        "arm" => "memory-cortex-m.x",
        "riscv32" => "memory-riscv.x",
        other => panic!(
            "staticnn-firmware is built for thumbv7em-none-eabihf, thumbv7m-none-eabi or riscv32imac-unknown-none-elf, not {other:?}"
        ),
    };
    fs::copy(source, out.join("memory.x")).expect("copy the memory map to OUT_DIR");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed={source}");
    println!("cargo:rerun-if-changed=build.rs");
}
