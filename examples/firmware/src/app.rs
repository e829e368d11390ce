//! What the firmware does, the same on every target: run each network, with its trained
//! weights from flash, on its inputs; compare with the host's outputs; count instructions per
//! inference and per step of the plan; measure the stack.

use core::ptr::read_volatile;

use staticnn_firmware_nets::staticnn::tensor::Tensor;
use staticnn_firmware_nets::{Bench, BenchInt8, Comparison, argmax, fingerprint};

use crate::once::TakeOnce;
use crate::platform;

/// `print!` over semihosting.
macro_rules! say {
    ($($arg:tt)*) => { platform::print(format_args!($($arg)*)) };
}

/// The most steps a network may have (the probe's arrays; checked at compile time).
const MAX_STEPS: usize = 24;

/// Runs every network built in; returns whether all matched the host.
pub fn main() -> bool {
    let core = platform::init();
    say!("staticnn firmware on {core}\n");
    let pooling = staticnn_firmware_nets::max_pool_edge_cases();
    say!("max pooling edge cases (NaN, -inf, -0.0): {}\n", if pooling { "ok" } else { "WRONG" });
    let mut ok = pooling;
    #[cfg(feature = "digits")]
    {
        use staticnn_firmware_nets::DigitsNet;
        use staticnn_firmware_nets::staticnn::scratch::Scratch;
        // All zero: `.bss`.
        static SCRATCH: TakeOnce<Scratch<{ DigitsNet::SCRATCH_LEN }>> =
            TakeOnce::new(DigitsNet::new_scratch());
        ok &= run::<DigitsNet>(SCRATCH.take());
    }
    #[cfg(feature = "cifar")]
    {
        use staticnn_firmware_nets::Cifar10Net;
        use staticnn_firmware_nets::staticnn::scratch::Scratch;
        static SCRATCH: TakeOnce<Scratch<{ Cifar10Net::SCRATCH_LEN }>> =
            TakeOnce::new(Cifar10Net::new_scratch());
        ok &= run::<Cifar10Net>(SCRATCH.take());
    }
    #[cfg(feature = "resnet8")]
    {
        use staticnn_firmware_nets::ResNet8;
        use staticnn_firmware_nets::staticnn::scratch::Scratch;
        static SCRATCH: TakeOnce<Scratch<{ ResNet8::SCRATCH_LEN }>> =
            TakeOnce::new(ResNet8::new_scratch());
        ok &= run::<ResNet8>(SCRATCH.take());
    }
    #[cfg(feature = "digits-int8")]
    {
        use staticnn_firmware_nets::DigitsInt8;
        use staticnn_firmware_nets::staticnn::scratch::Scratch;
        static SCRATCH: TakeOnce<Scratch<{ DigitsInt8::SCRATCH_LEN }>> =
            TakeOnce::new(DigitsInt8::new_scratch());
        static QUANTIZED: TakeOnce<Tensor<<DigitsInt8 as BenchInt8>::Input, i8>> =
            TakeOnce::new(Tensor::zeros());
        ok &= run_int8::<DigitsInt8>(SCRATCH.take(), QUANTIZED.take());
    }
    #[cfg(feature = "cifar-int8")]
    {
        use staticnn_firmware_nets::Cifar10Int8;
        use staticnn_firmware_nets::staticnn::scratch::Scratch;
        static SCRATCH: TakeOnce<Scratch<{ Cifar10Int8::SCRATCH_LEN }>> =
            TakeOnce::new(Cifar10Int8::new_scratch());
        static QUANTIZED: TakeOnce<Tensor<<Cifar10Int8 as BenchInt8>::Input, i8>> =
            TakeOnce::new(Tensor::zeros());
        ok &= run_int8::<Cifar10Int8>(SCRATCH.take(), QUANTIZED.take());
    }
    #[cfg(feature = "resnet8-int8")]
    {
        use staticnn_firmware_nets::ResNet8Int8;
        use staticnn_firmware_nets::staticnn::scratch::Scratch;
        static SCRATCH: TakeOnce<Scratch<{ ResNet8Int8::SCRATCH_LEN }>> =
            TakeOnce::new(ResNet8Int8::new_scratch());
        static QUANTIZED: TakeOnce<Tensor<<ResNet8Int8 as BenchInt8>::Input, i8>> =
            TakeOnce::new(Tensor::zeros());
        ok &= run_int8::<ResNet8Int8>(SCRATCH.take(), QUANTIZED.take());
    }
    #[cfg(feature = "dscnn-int8")]
    profile_dscnn_block();
    say!("{}\n", if ok { "PASS: every output matches the host" } else { "FAIL" });
    ok
}

/// Runs one network on all its inputs, plainly and probed; prints; returns whether it matched.
/// Not inlined: its locals are on the stack only while it runs.
#[inline(never)]
fn run<N: Bench>(scratch: Option<&'static mut N::Scratch>) -> bool {
    const { assert!(N::STEPS.len() <= MAX_STEPS, "raise MAX_STEPS") };
    let Some(scratch) = scratch else {
        say!("{}: scratch already taken\n", N::NAME);
        return false;
    };
    let net = N::trained();
    let weights_at = core::ptr::from_ref(net) as usize;
    say!(
        "\n== {}: {} parameters ({} B of weights at {:#010x}), {} MACs, {} steps, scratch {} B\n",
        N::NAME,
        N::PARAMS,
        N::PARAMS * 4,
        weights_at,
        N::MACS,
        N::STEPS.len(),
        N::SCRATCH_BYTES
    );
    say!(
        "@net net={} params={} macs={} scratch_bytes={} weights_bytes={} weights_at={:#x} steps={}\n",
        N::NAME,
        N::PARAMS,
        N::MACS,
        N::SCRATCH_BYTES,
        N::PARAMS * 4,
        weights_at,
        N::STEPS.len()
    );

    let fp = fingerprint(net);
    let weights_ok = fp == N::EXPECTED_FINGERPRINT;
    say!(
        "weights: fingerprint {:#010x} (host {:#010x}) {}\n",
        fp,
        N::EXPECTED_FINGERPRINT,
        if weights_ok { "ok" } else { "DIFFERENT" }
    );

    let mut output = Tensor::<N::Output>::zeros();
    let mut cmp = Comparison::default();
    let mut vs_torch = Comparison::default();
    let mut stack = StackUse::default();
    let (mut correct, mut labelled, mut same_class_as_torch) = (0, 0, 0);
    let mut step_sums = [0u64; MAX_STEPS];
    let mut probed_sum = 0;
    for k in 0..N::INPUTS {
        let Some(input) = N::input(k) else {
            say!("{}: no input {k}\n", N::NAME);
            return false;
        };
        let want = N::EXPECTED.get(k).copied().unwrap_or(&[]);
        let torch = N::torch(k);

        // Plain `forward_into`: the instruction count and the stack of an inference.
        let painted = Painted::new();
        let t0 = platform::instructions();
        infer(net, input, &mut output, scratch);
        let t1 = platform::instructions();
        stack = stack.max(painted.used());
        corrupt_if_testing(output.as_mut_slice());
        cmp.add(output.as_slice(), want);
        vs_torch.add(output.as_slice(), torch);
        let class = output.argmax();
        same_class_as_torch += usize::from(class == argmax(torch));
        say!("input {k}: ");
        if let Some(label) = N::label(k) {
            labelled += 1;
            correct += usize::from(class == usize::from(label));
            say!("label {label}, ");
        }
        say!(
            "class {class} (host {}, PyTorch {}), {} instructions, {} per MAC\n  logits {}\n",
            argmax(want),
            argmax(torch),
            t1 - t0,
            Ratio(t1 - t0, N::MACS as u64),
            Floats(output.as_slice())
        );
        say!("@infer net={} input={k} instructions={}\n", N::NAME, t1 - t0);

        // The same inference through `forward_into_probed`: the counter read between steps.
        let mut marks = [0u64; MAX_STEPS + 1];
        infer_probed(net, input, &mut output, scratch, &mut marks);
        corrupt_if_testing(output.as_mut_slice());
        cmp.add(output.as_slice(), want);
        let steps = N::STEPS.len();
        for (i, sum) in step_sums.iter_mut().enumerate().take(steps) {
            *sum += marks.get(i + 1).zip(marks.get(i)).map_or(0, |(b, a)| b - a);
        }
        probed_sum += marks.get(steps).zip(marks.first()).map_or(0, |(b, a)| b - a);
    }

    let inputs = N::INPUTS.max(1) as u64;
    say!(
        "per step (forward_into_probed, mean of {} inputs, resolution {} instructions):\n",
        N::INPUTS,
        platform::RESOLUTION
    );
    for (i, (step, &sum)) in N::STEPS.iter().zip(&step_sums).enumerate() {
        let mean = sum / inputs;
        say!("  step {i}: layers {} ({}): {} instructions", step.layers, step.name, mean);
        if step.macs > 0 {
            say!(", {} MACs, {} per MAC", step.macs, Ratio(mean, step.macs as u64));
        }
        say!(
            "\n@step net={} step={i} macs={} instructions={mean} ; layers={} ; name={}\n",
            N::NAME,
            step.macs,
            step.layers,
            step.name
        );
    }
    say!(
        "  all steps: {} instructions, {} per MAC\n@probed net={} instructions={}\n",
        probed_sum / inputs,
        Ratio(probed_sum / inputs, N::MACS as u64),
        N::NAME,
        probed_sum / inputs
    );

    if stack.window_overflowed {
        say!("stack: used more than the painted window ({} B): raise WINDOW\n", WINDOW);
    }
    say!(
        "peak stack during forward_into: {} B below the top of the stack ({} B by forward_into itself)\n",
        stack.from_top,
        stack.by_call
    );
    say!("@stack net={} total={} call={}\n", N::NAME, stack.from_top, stack.by_call);

    if labelled > 0 {
        say!("accuracy: {correct} of {labelled} labelled inputs\n");
    }
    say!(
        "vs PyTorch: {} of {} outputs within 1e-5 * (1 + |PyTorch|), max |diff| {}, same class on {} of {} inputs\n",
        vs_torch.count - vs_torch.mismatched,
        vs_torch.count,
        Float(vs_torch.max_abs_diff),
        same_class_as_torch,
        N::INPUTS
    );
    let ok = cmp.ok() && weights_ok;
    say!(
        "vs host (plain and probed runs): {} of {} outputs within 1e-5 * (1 + |host|), {} bit-exact, max |diff| {}: {}\n",
        cmp.count - cmp.mismatched,
        cmp.count,
        cmp.count - cmp.inexact,
        Float(cmp.max_abs_diff),
        if ok { "ok" } else { "MISMATCH" }
    );
    say!(
        "@result net={} ok={} compared={} mismatched={} inexact={} torch_mismatched={} correct={correct} labelled={labelled}\n",
        N::NAME,
        u8::from(ok),
        cmp.count,
        cmp.mismatched,
        cmp.inexact,
        vs_torch.mismatched
    );
    ok
}

/// Runs one int8 network on all its inputs: the integer-only entry point (timed, its stack
/// measured) and the `f32`-io one, probed step by step; prints; returns whether every int8
/// output equals the host's and every `f32` output is its dequantization, bit for bit. The
/// quantized input lives in `quantized` (a `static`), not on the measured stack.
#[inline(never)]
fn run_int8<N: BenchInt8>(
    scratch: Option<&'static mut N::Scratch>,
    quantized: Option<&'static mut Tensor<N::Input, i8>>,
) -> bool {
    const { assert!(N::STEPS.len() <= MAX_STEPS, "raise MAX_STEPS") };
    let (Some(scratch), Some(q)) = (scratch, quantized) else {
        say!("{}: scratch already taken\n", N::NAME);
        return false;
    };
    let net = N::trained();
    let weights_at = core::ptr::from_ref(net) as usize;
    let weights_bytes = core::mem::size_of::<N>();
    let inputs = <N::Float as Bench>::INPUTS;
    say!(
        "\n== {}: {} parameters ({} B of weights, multipliers and shifts at {:#010x}), {} MACs, {} steps, scratch {} B\n",
        N::NAME,
        N::PARAMS,
        weights_bytes,
        weights_at,
        N::MACS,
        N::STEPS.len(),
        N::SCRATCH_BYTES
    );
    say!(
        "@net net={} params={} macs={} scratch_bytes={} weights_bytes={} weights_at={:#x} steps={}\n",
        N::NAME,
        N::PARAMS,
        N::MACS,
        N::SCRATCH_BYTES,
        weights_bytes,
        weights_at,
        N::STEPS.len()
    );
    let mut output = Tensor::<N::Output, i8>::zeros();
    let mut float = Tensor::<N::Output>::zeros();
    let mut stack = StackUse::default();
    let (mut compared, mut mismatched, mut correct, mut labelled) = (0, 0, 0, 0);
    let mut step_sums = [0u64; MAX_STEPS];
    let mut probed_sum = 0;
    for k in 0..inputs {
        let Some(input) = <N::Float as Bench>::input(k) else {
            say!("{}: no input {k}\n", N::NAME);
            return false;
        };
        let want = N::EXPECTED.get(k).copied().unwrap_or(&[]);
        N::quantize_input_into(input, q);

        let painted = Painted::new();
        let t0 = platform::instructions();
        infer_int8(net, q, &mut output, scratch);
        let t1 = platform::instructions();
        stack = stack.max(painted.used());
        corrupt_int8_if_testing(output.as_mut_slice());
        let got = output.as_slice();
        compared += got.len().max(want.len());
        mismatched +=
            got.iter().zip(want).filter(|(g, w)| g != w).count() + got.len().abs_diff(want.len());
        let class = argmax_int8(got);
        say!("input {k}: ");
        if let Some(label) = <N::Float as Bench>::label(k) {
            labelled += 1;
            correct += usize::from(class == usize::from(label));
            say!("label {label}, ");
        }
        say!(
            "class {class} (host {}), {} instructions, {} per MAC\n  int8 outputs {:?}\n",
            argmax_int8(want),
            t1 - t0,
            Ratio(t1 - t0, N::MACS as u64),
            got
        );
        say!("@infer net={} input={k} instructions={}\n", N::NAME, t1 - t0);

        // The f32-io entry point, probed: its output must be the dequantized int8 output.
        let mut marks = [0u64; MAX_STEPS + 1];
        infer_int8_probed(net, input, &mut float, scratch, &mut marks);
        let steps = N::STEPS.len();
        for (i, sum) in step_sums.iter_mut().enumerate().take(steps) {
            *sum += marks.get(i + 1).zip(marks.get(i)).map_or(0, |(b, a)| b - a);
        }
        probed_sum += marks.get(steps).zip(marks.first()).map_or(0, |(b, a)| b - a);
        let Some(want) = Tensor::<N::Output, i8>::from_slice(want) else {
            mismatched += 1;
            continue;
        };
        let dequantized = N::dequantize_output(want);
        compared += float.as_slice().len();
        mismatched += float
            .as_slice()
            .iter()
            .zip(dequantized.as_slice())
            .filter(|(g, w)| g.to_bits() != w.to_bits())
            .count();
    }
    let runs = inputs.max(1) as u64;
    say!(
        "per step (f32-io forward_into_probed, mean of {inputs} inputs, resolution {} instructions):\n",
        platform::RESOLUTION
    );
    for (i, (step, &sum)) in N::STEPS.iter().zip(&step_sums).enumerate() {
        let mean = sum / runs;
        say!("  step {i}: layers {} ({}): {} instructions", step.layers, step.name, mean);
        if step.macs > 0 {
            say!(", {} MACs, {} per MAC", step.macs, Ratio(mean, step.macs as u64));
        }
        say!(
            "\n@step net={} step={i} macs={} instructions={mean} ; layers={} ; name={}\n",
            N::NAME,
            step.macs,
            step.layers,
            step.name
        );
    }
    say!(
        "  all steps: {} instructions, {} per MAC\n@probed net={} instructions={}\n",
        probed_sum / runs,
        Ratio(probed_sum / runs, N::MACS as u64),
        N::NAME,
        probed_sum / runs
    );
    if stack.window_overflowed {
        say!("stack: used more than the painted window ({} B): raise WINDOW\n", WINDOW);
    }
    say!(
        "peak stack during forward_int8_into: {} B below the top of the stack ({} B by forward_int8_into itself)\n",
        stack.from_top,
        stack.by_call
    );
    say!("@stack net={} total={} call={}\n", N::NAME, stack.from_top, stack.by_call);
    if labelled > 0 {
        say!("accuracy: {correct} of {labelled} labelled inputs\n");
    }
    let ok = mismatched == 0 && compared > 0;
    say!(
        "vs host (int8 outputs and the f32 entry point's): {} of {} outputs bit-exact: {}\n",
        compared - mismatched.min(compared),
        compared,
        if ok { "ok" } else { "MISMATCH" }
    );
    say!(
        "@result net={} ok={} compared={compared} mismatched={mismatched} inexact={mismatched} torch_mismatched=0 correct={correct} labelled={labelled}\n",
        N::NAME,
        u8::from(ok)
    );
    ok
}

/// The index of the first largest value (0 for none).
fn argmax_int8(values: &[i8]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if values.get(best).is_some_and(|&b| v > b) {
            best = i;
        }
    }
    best
}

/// With the `corrupt-output` feature, spoils the first int8 output.
fn corrupt_int8_if_testing(output: &mut [i8]) {
    if cfg!(feature = "corrupt-output") {
        if let Some(v) = output.first_mut() {
            *v = v.wrapping_add(1);
        }
    }
}

/// Times DS-CNN's depthwise and pointwise int8 layers (`DsCnnBlockInt8`) on a patterned input,
/// for `scripts/profile-layers.sh` (`PROFILE_FN=infer_dscnn_block`): a measurement only, the
/// outputs are not checked (the same portable kernels are checked against CMSIS-NN on the
/// host by `core/tests/int8_cmsis.rs`).
#[cfg(feature = "dscnn-int8")]
#[inline(never)]
fn profile_dscnn_block() {
    use staticnn_firmware_nets::DsCnnBlockInt8;
    use staticnn_firmware_nets::staticnn::scratch::Scratch;
    use staticnn_firmware_nets::staticnn::shape::Chw;
    use staticnn_firmware_nets::staticnn::typenum::{U5, U25, U64};
    type Shape = Chw<U64, U25, U5>;
    static SCRATCH: TakeOnce<Scratch<{ DsCnnBlockInt8::SCRATCH_LEN }>> =
        TakeOnce::new(DsCnnBlockInt8::new_scratch());
    static INPUT: TakeOnce<Tensor<Shape, i8>> = TakeOnce::new(Tensor::zeros());
    static OUTPUT: TakeOnce<Tensor<Shape, i8>> = TakeOnce::new(Tensor::zeros());
    let (Some(scratch), Some(input), Some(output)) = (SCRATCH.take(), INPUT.take(), OUTPUT.take())
    else {
        say!("dscnn-int8: buffers already taken\n");
        return;
    };
    for (i, v) in input.as_mut_slice().iter_mut().enumerate() {
        *v = (i.wrapping_mul(37) % 251) as u8 as i8;
    }
    let start = platform::instructions();
    infer_dscnn_block(DsCnnBlockInt8::trained(), input, output, scratch);
    let n = platform::instructions() - start;
    // FNV-1a of the output bytes: equal outputs of two builds (e.g. other kernels) give equal
    // hashes.
    let hash = output
        .as_slice()
        .iter()
        .fold(0x811c_9dc5u32, |h, &v| (h ^ u32::from(v as u8)).wrapping_mul(0x0100_0193));
    say!(
        "dscnn-int8 block: {} instructions, {} MACs (output FNV-1a {:#010x})\n",
        n,
        DsCnnBlockInt8::MACS,
        hash
    );
    // Per step, through the f32-io entry point (as for the other int8 networks).
    static FLOAT_IN: TakeOnce<Tensor<Shape>> = TakeOnce::new(Tensor::zeros());
    static FLOAT_OUT: TakeOnce<Tensor<Shape>> = TakeOnce::new(Tensor::zeros());
    let (Some(x), Some(y)) = (FLOAT_IN.take(), FLOAT_OUT.take()) else { return };
    for (i, v) in x.as_mut_slice().iter_mut().enumerate() {
        *v = (i.wrapping_mul(37) % 251) as f32 / 64.0 - 2.0;
    }
    let mut marks = [0u64; MAX_STEPS + 1];
    DsCnnBlockInt8::trained().forward_into_probed(x, y, scratch, &mut |i| {
        if let Some(mark) = marks.get_mut(i) {
            *mark = platform::instructions();
        }
    });
    for (i, step) in DsCnnBlockInt8::STEPS.iter().enumerate() {
        let (Some(a), Some(b)) = (marks.get(i), marks.get(i + 1)) else { break };
        say!(
            "@step net=dscnn-int8 step={} macs={} instructions={} ; layers={} ; name={}\n",
            i,
            step.macs,
            b - a,
            step.layers,
            step.name
        );
    }
}

/// `forward_int8_into` of the DS-CNN block as a function of its own (see [`infer`]).
#[cfg(feature = "dscnn-int8")]
#[inline(never)]
fn infer_dscnn_block(
    net: &staticnn_firmware_nets::DsCnnBlockInt8,
    input: &Tensor<
        staticnn_firmware_nets::staticnn::shape::Chw<
            staticnn_firmware_nets::staticnn::typenum::U64,
            staticnn_firmware_nets::staticnn::typenum::U25,
            staticnn_firmware_nets::staticnn::typenum::U5,
        >,
        i8,
    >,
    output: &mut Tensor<
        staticnn_firmware_nets::staticnn::shape::Chw<
            staticnn_firmware_nets::staticnn::typenum::U64,
            staticnn_firmware_nets::staticnn::typenum::U25,
            staticnn_firmware_nets::staticnn::typenum::U5,
        >,
        i8,
    >,
    scratch: &mut staticnn_firmware_nets::staticnn::scratch::Scratch<
        { staticnn_firmware_nets::DsCnnBlockInt8::SCRATCH_LEN },
    >,
) {
    net.forward_int8_into(input, output, scratch);
}

/// `forward_int8_into` as a function of its own (see [`infer`]).
#[inline(never)]
fn infer_int8<N: BenchInt8>(
    net: &N,
    input: &Tensor<N::Input, i8>,
    output: &mut Tensor<N::Output, i8>,
    scratch: &mut N::Scratch,
) {
    net.forward_int8_into(input, output, scratch);
}

/// The `f32`-io entry point of an int8 network, probed (see [`infer_probed`]).
#[inline(never)]
fn infer_int8_probed<N: BenchInt8>(
    net: &N,
    input: &Tensor<N::Input>,
    output: &mut Tensor<N::Output>,
    scratch: &mut N::Scratch,
    marks: &mut [u64; MAX_STEPS + 1],
) {
    net.forward_into_probed(input, output, scratch, &mut |i| {
        if let Some(mark) = marks.get_mut(i) {
            *mark = platform::instructions();
        }
    });
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

/// `forward_into_probed` with the instruction counter read before each step and after the
/// last: `marks[i]` when step `i` starts, `marks[STEPS.len()]` at the end.
#[inline(never)]
fn infer_probed<N: Bench>(
    net: &N,
    input: &Tensor<N::Input>,
    output: &mut Tensor<N::Output>,
    scratch: &mut N::Scratch,
    marks: &mut [u64; MAX_STEPS + 1],
) {
    net.forward_into_probed(input, output, scratch, &mut |i| {
        if let Some(mark) = marks.get_mut(i) {
            *mark = platform::instructions();
        }
    });
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
