//! The `no-panic` build's panic handler: it calls a function that no object file defines, so
//! the image links only if the optimiser removed every path to a panic. If it does not link,
//! the linker names `staticnn_firmware_reachable_panic`; `llvm-objdump-22 -d` on the objects
//! of a `panic-exit` build shows which functions call `core::panicking::*`.
//!
//! (The default build, `panic-exit`, uses `panic-semihosting` / `semihosting`: a panic prints
//! its message and QEMU exits with status 1.)

#[cfg(feature = "no-panic")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    unsafe extern "C" {
        /// Defined nowhere, on purpose.
        fn staticnn_firmware_reachable_panic() -> !;
    }
    // SAFETY: never runs in an image that links: the symbol does not exist, so any call to
    // it left after optimisation is a link error.
    unsafe { staticnn_firmware_reachable_panic() }
}

// `panic-exit`: the handler comes from the dependency; name it so it is linked.
#[cfg(all(feature = "panic-exit", target_arch = "arm"))]
use panic_semihosting as _;
