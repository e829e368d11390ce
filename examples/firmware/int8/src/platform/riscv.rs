//! RISC-V rv32imac (no F) on QEMU's `virt` board: semihosting output and exit, exact
//! instruction counts from `minstret` under `-icount`.

use core::fmt;
use core::sync::atomic::{Ordering, compiler_fence};

use riscv::register::minstret;

#[riscv_rt::entry]
fn main() -> ! {
    exit(crate::run())
}

/// Writes to the host's standard output.
pub fn print(args: fmt::Arguments) {
    semihosting::print!("{}", args);
}

/// Ends QEMU with exit status 0 (`ok`) or 1.
pub fn exit(ok: bool) -> ! {
    semihosting::process::exit(if ok { 0 } else { 1 })
}

/// What [`instructions`] resolves: `minstret` is exact.
pub const RESOLUTION: u64 = 1;

/// Nothing to start; names the core.
pub fn init() -> &'static str {
    "RISC-V rv32imac"
}

/// Instructions retired since reset (only under QEMU's `-icount`).
#[inline(always)]
pub fn instructions() -> u64 {
    compiler_fence(Ordering::SeqCst);
    let n = minstret::read64();
    compiler_fence(Ordering::SeqCst);
    n
}
