//! RISC-V (rv32imac, soft float) on QEMU's `virt` board: semihosting output and exit, exact
//! instruction counts from `minstret`, stack painting.

use core::fmt;
use core::sync::atomic::{Ordering, compiler_fence};

use riscv::register::minstret;

#[riscv_rt::entry]
fn main() -> ! {
    exit(crate::app::main())
}

/// Writes to the host's standard output.
pub fn print(args: fmt::Arguments) {
    semihosting::print!("{}", args);
}

/// Ends QEMU with exit status 0 (`ok`) or 1.
pub fn exit(ok: bool) -> ! {
    semihosting::process::exit(if ok { 0 } else { 1 })
}

/// What [`instructions`] can resolve: `minstret` is exact.
pub const RESOLUTION: u64 = 1;

/// Nothing to start; returns a description of the core.
pub fn init() -> &'static str {
    "RISC-V rv32imac, soft float (riscv32imac-unknown-none-elf)"
}

/// Instructions retired since reset (`minstret`/`minstreth`; only under QEMU's `-icount`,
/// else it reads the host's clock).
#[inline(always)]
pub fn instructions() -> u64 {
    // Keep the measured code's memory accesses on their side of the reading.
    compiler_fence(Ordering::SeqCst);
    let n = minstret::read64();
    compiler_fence(Ordering::SeqCst);
    n
}

unsafe extern "C" {
    /// The top of the stack (riscv-rt's linker script).
    static _stack_start: u32;
    /// The lowest address the stack may reach: the end of `.bss` and the (empty) heap.
    static __estack: u32;
}

/// The stack's top and lowest addresses.
pub fn stack_bounds() -> (usize, usize) {
    (&raw const _stack_start as usize, &raw const __estack as usize)
}

/// Writes `pattern` over the words from `floor` up to the current stack pointer; returns the
/// stack pointer. Inlined, and the loop is assembly, so nothing is pushed on the stack being
/// painted.
///
/// # Safety
/// `floor` must be word-aligned, at or above the end of `.bss`, and below the stack pointer.
#[inline(always)]
pub unsafe fn paint_below_sp(floor: usize, pattern: u32) -> usize {
    let sp: usize;
    // SAFETY: as on Cortex-M: free stack below SP, inside RAM; the asm pushes nothing.
    unsafe {
        core::arch::asm!(
            "mv {sp}, sp",
            "mv {p}, {floor}",
            "2:",
            "bgeu {p}, {sp}, 3f",
            "sw {v}, 0({p})",
            "addi {p}, {p}, 4",
            "j 2b",
            "3:",
            sp = out(reg) sp,
            p = out(reg) _,
            floor = in(reg) floor,
            v = in(reg) pattern,
            options(nostack),
        );
    }
    sp
}

/// The current stack pointer.
#[inline(always)]
pub fn stack_pointer() -> usize {
    let sp: usize;
    // SAFETY: reads a register.
    unsafe { core::arch::asm!("mv {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
    sp
}
