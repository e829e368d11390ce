//! Cortex-M4F / M7 on QEMU's MPS2 boards: semihosting output and exit, instructions counted
//! with SysTick, stack painting.

use core::fmt;
use core::sync::atomic::{AtomicU32, Ordering, compiler_fence};

use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::{entry, exception};
use cortex_m_semihosting::{debug, hprint};

#[entry]
fn main() -> ! {
    exit(crate::app::main())
}

/// Writes to the host's standard output.
pub fn print(args: fmt::Arguments) {
    hprint!("{}", args);
}

/// Ends QEMU with exit status 0 (`ok`) or 1.
pub fn exit(ok: bool) -> ! {
    debug::exit(if ok { debug::EXIT_SUCCESS } else { debug::EXIT_FAILURE });
    #[allow(clippy::empty_loop)]
    loop {}
}

/// SysTick counts down from this, at the core clock, and raises an exception at 0.
const RELOAD: u32 = 0x00FF_FFFF;
/// SysTick wraps so far (counted by the exception).
static WRAPS: AtomicU32 = AtomicU32::new(0);
/// Instructions per SysTick tick under `-icount shift=0`: each instruction takes 1 ns and the
/// MPS2 core clock is 25 MHz (checked: 4,000 `nop`s take 100 ticks).
pub const INSTRUCTIONS_PER_TICK: u64 = 40;
/// What [`instructions`] can resolve.
pub const RESOLUTION: u64 = INSTRUCTIONS_PER_TICK;

#[exception]
fn SysTick() {
    WRAPS.fetch_add(1, Ordering::Relaxed);
}

/// Starts the instruction counter; returns a description of the core QEMU emulates.
pub fn init() -> &'static str {
    let Some(mut p) = cortex_m::Peripherals::take() else {
        return "Cortex-M (peripherals taken)";
    };
    p.SYST.set_clock_source(SystClkSource::Core);
    p.SYST.set_reload(RELOAD);
    p.SYST.clear_current();
    p.SYST.enable_interrupt();
    p.SYST.enable_counter();
    // CPUID.PartNo, bits 15:4.
    match (p.CPUID.base.read() >> 4) & 0xFFF {
        0xC24 => "Cortex-M4 (thumbv7em-none-eabihf)",
        0xC27 => "Cortex-M7 (thumbv7em-none-eabihf)",
        0xC23 => "Cortex-M3 (thumbv7m-none-eabi)",
        _ => "Cortex-M (thumbv7em-none-eabihf)",
    }
}

/// Instructions executed since [`init`], to [`RESOLUTION`] (only under QEMU's `-icount`).
#[inline(always)]
pub fn instructions() -> u64 {
    // Keep the measured code's memory accesses on their side of the reading.
    compiler_fence(Ordering::SeqCst);
    loop {
        let wraps = WRAPS.load(Ordering::Acquire);
        let current = SYST::get_current();
        if WRAPS.load(Ordering::Acquire) == wraps {
            let ticks = u64::from(wraps) * (u64::from(RELOAD) + 1) + u64::from(RELOAD - current);
            compiler_fence(Ordering::SeqCst);
            return ticks * INSTRUCTIONS_PER_TICK;
        }
    }
}

unsafe extern "C" {
    /// The initial stack pointer, the top of the stack (cortex-m-rt's linker script).
    static _stack_start: u32;
    /// The lowest address the stack may reach: the end of `.bss` (cortex-m-rt).
    static _stack_end: u32;
}

/// The stack's top and lowest addresses.
pub fn stack_bounds() -> (usize, usize) {
    (&raw const _stack_start as usize, &raw const _stack_end as usize)
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
    // SAFETY: the words from `floor` up to SP are free stack (the stack grows down; nothing
    // is live below SP) inside RAM by the caller's guarantee; the asm pushes nothing.
    unsafe {
        core::arch::asm!(
            "mov {sp}, sp",
            "mov {p}, {floor}",
            "2:",
            "cmp {p}, {sp}",
            "bhs 3f",
            "str {v}, [{p}], #4",
            "b 2b",
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
    unsafe {
        core::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags))
    };
    sp
}
