//! Cortex-M (M4 with DSP, M3, M0) on QEMU's MPS2 boards: semihosting output and exit,
//! instructions counted with SysTick under `-icount shift=0`.

use core::fmt;
use core::sync::atomic::{AtomicU32, Ordering, compiler_fence};

use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::{entry, exception};
use cortex_m_semihosting::{debug, hprint};
use panic_semihosting as _;

#[entry]
fn main() -> ! {
    exit(crate::run())
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
/// SysTick wraps so far (written only by the exception: load and store, which ARMv6-M has).
static WRAPS: AtomicU32 = AtomicU32::new(0);
/// Instructions per SysTick tick under `-icount shift=0` (1 ns each, 25 MHz core clock).
const INSTRUCTIONS_PER_TICK: u64 = 40;
/// What [`instructions`] resolves.
pub const RESOLUTION: u64 = INSTRUCTIONS_PER_TICK;

#[exception]
fn SysTick() {
    WRAPS.store(WRAPS.load(Ordering::Relaxed).wrapping_add(1), Ordering::Relaxed);
}

/// Starts the instruction counter; names the core QEMU emulates.
pub fn init() -> &'static str {
    let Some(mut p) = cortex_m::Peripherals::take() else {
        return "Cortex-M (peripherals taken)";
    };
    p.SYST.set_clock_source(SystClkSource::Core);
    p.SYST.set_reload(RELOAD);
    p.SYST.clear_current();
    p.SYST.enable_interrupt();
    p.SYST.enable_counter();
    match (p.CPUID.base.read() >> 4) & 0xFFF {
        0xC20 => "Cortex-M0",
        0xC23 => "Cortex-M3",
        0xC24 => "Cortex-M4",
        0xC27 => "Cortex-M7",
        0xD21 => "Cortex-M33",
        _ => "Cortex-M",
    }
}

/// Instructions executed since [`init`], to [`RESOLUTION`] (only under QEMU's `-icount`).
#[inline(always)]
pub fn instructions() -> u64 {
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
