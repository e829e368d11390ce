//! What the firmware does, the same on every target: set each network's weights, run it on
//! its inputs, compare with the host's outputs, count instructions per inference and per
//! layer, measure the stack.

use core::ptr::read_volatile;

use staticnn_firmware_nets::boot::{Boot, Workspace};
use staticnn_firmware_nets::by_layer::{Probe, Step};
use staticnn_firmware_nets::staticnn::tensor::Tensor;
use staticnn_firmware_nets::{Bench, Comparison, fingerprint};

use crate::platform;

/// `print!` over semihosting.
macro_rules! say {
    ($($arg:tt)*) => { platform::print(format_args!($($arg)*)) };
}

/// Runs every network built in; returns whether all matched the host.
pub fn main() -> bool {
    let core = platform::init();
    say!("staticnn firmware on {core}\n");
    let mut ok = true;
    #[cfg(feature = "digits")]
    {
        static DIGITS: Boot<Workspace<staticnn_firmware_nets::DigitsNet>> = Boot::new();
        ok &= run(DIGITS.take());
    }
    #[cfg(feature = "cifar")]
    {
        static CIFAR10: Boot<Workspace<staticnn_firmware_nets::Cifar10Net>> = Boot::new();
        ok &= run(CIFAR10.take());
    }
    say!("{}\n", if ok { "PASS: every output matches the host" } else { "FAIL" });
    ok
}

/// Runs one network on all its inputs, then layer by layer; prints; returns whether it matched.
fn run<N: Bench>(ws: Option<&'static mut Workspace<N>>) -> bool {
    let Some(ws) = ws else {
        say!("{}: workspace already taken\n", N::NAME);
        return false;
    };
    say!(
        "\n== {}: {} parameters ({} B of weights), {} MACs, scratch {} B\n",
        N::NAME,
        N::PARAMS,
        N::PARAMS * 4,
        N::MACS,
        N::SCRATCH_BYTES
    );

    say!(
        "@net net={} params={} macs={} scratch_bytes={} weights_bytes={}\n",
        N::NAME,
        N::PARAMS,
        N::MACS,
        N::SCRATCH_BYTES,
        N::PARAMS * 4
    );

    let t = platform::instructions();
    ws.net.init_weights();
    let seeding = platform::instructions() - t;
    let fp = fingerprint(&ws.net);
    let weights_ok = fp == N::EXPECTED_FINGERPRINT;
    say!(
        "weights: seed {}, set in {} instructions, fingerprint {:#010x} (host {:#010x}) {}\n",
        N::SEED,
        seeding,
        fp,
        N::EXPECTED_FINGERPRINT,
        if weights_ok { "ok" } else { "DIFFERENT" }
    );

    let mut cmp = Comparison::default();
    let mut stack = StackUse::default();
    for k in 0..N::INPUTS {
        N::input(k, &mut ws.input);
        let painted = Painted::new();
        let t0 = platform::instructions();
        infer(&ws.net, &ws.input, &mut ws.output, &mut ws.scratch);
        let t1 = platform::instructions();
        stack = stack.max(painted.used());
        corrupt_if_testing(ws.output.as_mut_slice());
        let want = N::EXPECTED.get(k).copied().unwrap_or(&[]);
        cmp.add(ws.output.as_slice(), want);
        say!(
            "input {k}: class {} (host {}), {} instructions, {} per MAC\n  logits {}\n",
            ws.output.argmax(),
            argmax(want),
            t1 - t0,
            Ratio(t1 - t0, N::MACS as u64),
            Floats(ws.output.as_slice())
        );
        say!("@infer net={} input={k} instructions={}\n", N::NAME, t1 - t0);
    }
    if stack.window_overflowed {
        say!("stack: used more than the painted window ({} B): raise WINDOW\n", WINDOW);
    }
    say!(
        "peak stack during forward_into: {} B below the top of the stack ({} B by forward_into itself)\n",
        stack.from_top,
        stack.by_call
    );
    say!("@stack net={} total={} call={}\n", N::NAME, stack.from_top, stack.by_call);

    // Layer by layer, on the last input: the same steps as `forward_into`, timed one by one.
    let mut timer = StepTimer::default();
    let t0 = platform::instructions();
    let layers = ws.net.forward_by_layer(&ws.input, &mut ws.by_layer, &mut ws.scratch, &mut timer);
    let total = platform::instructions() - t0;
    let last = N::INPUTS.saturating_sub(1);
    let want = N::EXPECTED.get(last).copied().unwrap_or(&[]);
    corrupt_if_testing(ws.by_layer.as_mut_slice());
    cmp.add(ws.by_layer.as_slice(), want);
    say!(
        "layer by layer (input {last}, {layers} layers, {total} instructions in all, resolution {}):\n",
        platform::RESOLUTION
    );
    for &(step, instructions) in timer.steps.get(..timer.len).unwrap_or(&[]) {
        print_step::<N>(step, instructions);
    }

    let ok = cmp.ok() && weights_ok;
    say!(
        "outputs: {} of {} within 1e-5 * (1 + |host|), {} bit-exact, max |diff| {}: {}\n",
        cmp.count - cmp.mismatched,
        cmp.count,
        cmp.count - cmp.inexact,
        Float(cmp.max_abs_diff),
        if ok { "ok" } else { "MISMATCH" }
    );
    say!(
        "@result net={} ok={} compared={} mismatched={} inexact={}\n",
        N::NAME,
        u8::from(ok),
        cmp.count,
        cmp.mismatched,
        cmp.inexact
    );
    ok
}

/// With the `corrupt-output` feature, spoils the first output (to test that a mismatch fails).
fn corrupt_if_testing(output: &mut [f32]) {
    if cfg!(feature = "corrupt-output") {
        if let Some(v) = output.first_mut() {
            *v += 1e-3;
        }
    }
}

/// `forward_into`, compiled as a function of its own: its count does not depend on the code
/// around the call, and the stack it uses shows as the call's own.
#[inline(never)]
fn infer<N: Bench>(
    net: &N,
    input: &Tensor<N::Input>,
    output: &mut Tensor<N::Output>,
    scratch: &mut N::Scratch,
) {
    net.forward_into(input, output, scratch);
}

/// One line per step: its layers as PyTorch prints them, instructions, MACs, per MAC; and the
/// same as an `@layer` line for scripts/firmware-report.sh.
fn print_step<N: Bench>(step: Step, instructions: u64) {
    say!("  {}\n    {} instructions", Names::<N>(step, core::marker::PhantomData), instructions);
    if step.macs > 0 {
        say!(", {} MACs, {} per MAC", step.macs, Ratio(instructions, step.macs as u64));
    }
    say!(
        "\n@layer net={} first={} last={} macs={} instructions={} name={}\n",
        N::NAME,
        step.first,
        step.last,
        step.macs,
        instructions,
        Names::<N>(step, core::marker::PhantomData)
    );
}

/// The layers of a step as `print(net)` shows them, joined by ` + `.
struct Names<N>(Step, core::marker::PhantomData<N>);

impl<N: Bench> core::fmt::Display for Names<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for layer in self.0.first..=self.0.last {
            let sep = if layer == self.0.first { "" } else { " + " };
            write!(f, "{sep}{}", line(N::TORCH_REPR, layer + 1).trim())?;
        }
        Ok(())
    }
}

/// Line `n` of `text` (from 0; empty if there is none). By hand, on bytes with `get`: the
/// standard `lines()` keeps a (never taken) panic path that would fail the `no-panic` link.
fn line(text: &str, n: usize) -> &str {
    let bytes = text.as_bytes();
    let (mut start, mut count) = (0, 0);
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' {
            if count == n {
                return utf8(bytes.get(start..i));
            }
            count += 1;
            start = i + 1;
        }
    }
    if count == n { utf8(bytes.get(start..)) } else { "" }
}

fn utf8(bytes: Option<&[u8]>) -> &str {
    bytes.and_then(|b| core::str::from_utf8(b).ok()).unwrap_or("")
}

/// An `f32` in decimal with 9 digits after the point, rounded; written with integer
/// formatting only: core's float formatting keeps panic paths that the `no-panic` build would
/// refuse (and costs some 20 KB of flash).
struct Float(f32);

impl core::fmt::Display for Float {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let v = self.0;
        let magnitude = f64::from(v.abs());
        if !(magnitude < 1e9) {
            // NaN, infinite or huge: the bits say exactly what it is.
            return write!(f, "f32::from_bits({:#010x})", v.to_bits());
        }
        let nanos = (magnitude * 1e9 + 0.5) as u64;
        let sign = if v.is_sign_negative() { "-" } else { "" };
        write!(f, "{sign}{}.{:09}", nanos / 1_000_000_000, nanos % 1_000_000_000)
    }
}

/// A slice of `f32` as `[a, b, ...]`, each as [`Float`].
struct Floats<'a>(&'a [f32]);

impl core::fmt::Display for Floats<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("[")?;
        for (i, &v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}", Float(v))?;
        }
        f.write_str("]")
    }
}

/// The index of the largest value (`-` for none).
fn argmax(values: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if values.get(best).is_some_and(|&b| v > b) {
            best = i;
        }
    }
    best
}

/// `a / b` printed with two decimals, in integers.
struct Ratio(u64, u64);

impl core::fmt::Display for Ratio {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let Ratio(a, b) = *self;
        match (a * 100).checked_div(b) {
            Some(centi) => write!(f, "{}.{:02}", centi / 100, centi % 100),
            None => f.write_str("-"),
        }
    }
}

/// Records the instructions of each step of a layer-by-layer run.
#[derive(Default)]
struct StepTimer {
    start: u64,
    steps: [(Step, u64); 16],
    len: usize,
}

impl Probe for StepTimer {
    #[inline(always)]
    fn before(&mut self) {
        self.start = platform::instructions();
    }

    #[inline(always)]
    fn after(&mut self, step: Step) {
        let spent = platform::instructions() - self.start;
        if let Some(slot) = self.steps.get_mut(self.len) {
            *slot = (step, spent);
            self.len += 1;
        }
    }
}

/// Bytes of stack painted below the stack pointer before a measured call.
const WINDOW: usize = 32 * 1024;
/// What the painted words hold until something writes them.
const PAINT: u32 = 0x5A5A_C3C3;

/// A painted stack window: the words from `floor` up to the stack pointer `sp`.
struct Painted {
    floor: usize,
    sp: usize,
}

impl Painted {
    /// Paints up to [`WINDOW`] bytes below the stack pointer (not below the end of `.bss`).
    #[inline(always)]
    fn new() -> Self {
        let (_, lowest) = platform::stack_bounds();
        let floor = platform::stack_pointer().saturating_sub(WINDOW).max(lowest) & !3;
        // SAFETY: `floor` is word-aligned, at or above the stack's lowest address (the end of
        // `.bss`, 4-aligned by the linker script) and below the stack pointer.
        let sp = unsafe { platform::paint_below_sp(floor, PAINT) };
        Painted { floor, sp }
    }

    /// How deep the stack went since [`Painted::new`]: the lowest word no longer painted.
    fn used(&self) -> StackUse {
        let (top, _) = platform::stack_bounds();
        let mut p = self.floor;
        // SAFETY: `floor..sp` is RAM (`new` painted it), aligned; volatile, because the
        // compiler cannot know that the measured call wrote there.
        while p < self.sp && unsafe { read_volatile(p as *const u32) } == PAINT {
            p += 4;
        }
        StackUse { from_top: top - p, by_call: self.sp - p, window_overflowed: p == self.floor }
    }
}

/// Peak stack of a measured call.
#[derive(Clone, Copy, Default)]
struct StackUse {
    /// Bytes below the top of the stack (what a part must have).
    from_top: usize,
    /// Bytes below the stack pointer at the call (what the call itself used).
    by_call: usize,
    /// The call went below the painted window: the numbers are lower bounds.
    window_overflowed: bool,
}

impl StackUse {
    fn max(self, other: Self) -> Self {
        StackUse {
            from_top: self.from_top.max(other.from_top),
            by_call: self.by_call.max(other.by_call),
            window_overflowed: self.window_overflowed || other.window_overflowed,
        }
    }
}
