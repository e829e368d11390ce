//! staticnn's int8 kernels on bare metal, in QEMU: Cortex-M4 (`mps2-an386`, the DSP path),
//! Cortex-M3 (`mps2-an385`) and an ARMv6-M (Cortex-M0) build on it (the portable path, no DSP,
//! no FPU), and RISC-V rv32imac (`virt`, no F).
//!
//! - `fixtures`: every file of `tests/fixtures/int8` (CMSIS-NN's outputs) through every kernel
//!   path that accepts it, compared bit for bit ([`cases`]);
//! - `bench`: instructions per MAC of the bar layers ([`bench`]).
//!
//! Exits with status 0 only if every output matched. Build and run: `scripts/firmware-int8.sh`.
#![no_std]
#![no_main]

#[cfg(feature = "bench")]
mod bench;
#[cfg(feature = "fixtures")]
mod cases;
mod once;
#[cfg_attr(target_arch = "arm", path = "platform/cortex_m.rs")]
#[cfg_attr(target_arch = "riscv32", path = "platform/riscv.rs")]
mod platform;

use staticnn_core::kernels::int8::dsp;

/// `print!` over semihosting.
macro_rules! say {
    ($($arg:tt)*) => { $crate::platform::print(format_args!($($arg)*)) };
}
pub(crate) use say;

/// Runs everything built in; returns whether every output matched.
fn run() -> bool {
    let core = platform::init();
    let path = if dsp::TARGET { "DSP (SMLAD) path" } else { "portable path" };
    say!("staticnn int8 kernels on {core}, {path}\n");
    #[allow(unused_mut)]
    let mut ok = true;
    #[cfg(feature = "fixtures")]
    {
        ok &= cases::run_all();
    }
    #[cfg(feature = "bench")]
    {
        ok &= bench::run();
    }
    say!("{}\n", if ok { "PASS: every int8 output matches CMSIS-NN's" } else { "FAIL" });
    ok
}
