//! staticnn's networks on bare metal, run in QEMU: Cortex-M4F (`mps2-an386`), Cortex-M7
//! (`mps2-an500`) and RISC-V rv32imac (`virt`). `app` is the same on every target; `platform`
//! holds the few target-specific pieces (entry, semihosting, instruction counter, stack).
//!
//! It runs each network (trained weights in flash) on its inputs, prints the predictions and
//! logits, instructions per inference and per step of the plan, and the peak stack, and exits
//! with status 0 only if every output matches the host's (`nets::expected`). Build and run:
//! `scripts/firmware.sh`; see README.md.
#![no_std]
#![no_main]
// The image without networks (scripts/firmware-report.sh's baseline) leaves the harness unused.
#![cfg_attr(
    not(any(
        feature = "digits",
        feature = "cifar",
        feature = "resnet8",
        feature = "digits-int8",
        feature = "cifar-int8",
        feature = "resnet8-int8"
    )),
    allow(dead_code, unused)
)]
// The int8-only images (Cortex-M3) leave the float networks' harness unused, and the other way.
#![cfg_attr(not(any(feature = "digits", feature = "cifar", feature = "resnet8")), allow(dead_code))]
#![cfg_attr(
    not(any(feature = "digits-int8", feature = "cifar-int8", feature = "resnet8-int8")),
    allow(dead_code)
)]

mod app;
mod once;
mod panic;
#[cfg_attr(target_arch = "arm", path = "platform/cortex_m.rs")]
#[cfg_attr(target_arch = "riscv32", path = "platform/riscv.rs")]
mod platform;

#[cfg(all(feature = "panic-exit", feature = "no-panic"))]
compile_error!(
    "features `panic-exit` and `no-panic` exclude each other (use --no-default-features)"
);
#[cfg(not(any(feature = "panic-exit", feature = "no-panic")))]
compile_error!("enable one panic behaviour: `panic-exit` (default) or `no-panic`");
