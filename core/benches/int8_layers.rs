//! Host speed of the int8 kernels (at the level the CPU runs) on the layer sizes of the
//! CIFAR-10 net and DS-CNN:
//!
//! ```text
//! cargo bench -p staticnn-core --features std --bench int8_layers
//! ```
//!
//! Prints, per layer, the best of many short timed batches and the multiply-accumulates per
//! second (one MAC = one tap of one output, padding taps included, as the issue counts them).

use std::hint::black_box;
use std::time::{Duration, Instant};

use staticnn_core::kernels::PaddingMode;
use staticnn_core::kernels::conv::ConvGeometry;
use staticnn_core::kernels::int8::{Requant, conv, linear, workspace_len};

macro_rules! geometry {
    ($ty:ident: $c_in:literal -> $c_out:literal, groups $g:literal, in $i:literal x $j:literal,
     out $oh:literal x $ow:literal, kernel $kh:literal x $kw:literal, pad $ph:literal, $pw:literal) => {
        struct $ty;
        impl ConvGeometry for $ty {
            const C_IN: usize = $c_in;
            const C_OUT: usize = $c_out;
            const GROUPS: usize = $g;
            const IN: [usize; 3] = [1, $i, $j];
            const OUT: [usize; 3] = [1, $oh, $ow];
            const KERNEL: [usize; 3] = [1, $kh, $kw];
            const STRIDE: [usize; 3] = [1, 1, 1];
            const DILATION: [usize; 3] = [1, 1, 1];
            const PAD: [usize; 3] = [0, $ph, $pw];
            const PADDING_MODE: PaddingMode = PaddingMode::Zeros;
        }
    };
}

geometry!(CifarConv1: 3 -> 32, groups 1, in 32 x 32, out 32 x 32, kernel 5 x 5, pad 2, 2);
geometry!(CifarConv2: 32 -> 32, groups 1, in 16 x 16, out 16 x 16, kernel 5 x 5, pad 2, 2);
geometry!(CifarConv3: 32 -> 64, groups 1, in 8 x 8, out 8 x 8, kernel 5 x 5, pad 2, 2);
geometry!(DsCnnDepthwise: 64 -> 64, groups 64, in 25 x 5, out 25 x 5, kernel 3 x 3, pad 1, 1);
geometry!(DsCnnPointwise: 64 -> 64, groups 1, in 25 x 5, out 25 x 5, kernel 1 x 1, pad 0, 0);

/// Deterministic bytes covering the whole `i8` range.
fn bytes(n: usize, seed: u32) -> Vec<i8> {
    let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s >> 24) as u8 as i8
        })
        .collect()
}

/// Multiply-accumulates of a convolution as the issue's table counts them: every tap of every
/// output (`C_out * H_out * W_out * C_in / groups * kh * kw`), padding included.
fn conv_macs<G: ConvGeometry>() -> usize {
    G::C_OUT * G::OUT_PLANE * G::IN_PER_GROUP * G::TAPS
}

/// The best time per call of `f` over 300 batches of about 1 ms: on a shared, loaded machine
/// some batches run without being preempted, and the minimum is their time.
fn best_time(mut f: impl FnMut()) -> Duration {
    f();
    let start = Instant::now();
    let mut calls = 0u32;
    while start.elapsed() < Duration::from_millis(1) {
        f();
        calls += 1;
    }
    let per_batch = calls.max(1);
    (0..300)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..per_batch {
                f();
            }
            t.elapsed() / per_batch
        })
        .min()
        .unwrap()
}

fn report(name: &str, macs: usize, t: Duration) {
    let gmacs = macs as f64 / t.as_secs_f64() / 1e9;
    println!("{name:<34} {macs:>9} MACs {:>9.1} us {gmacs:>7.2} GMAC/s", t.as_secs_f64() * 1e6);
}

fn bench_conv<G: ConvGeometry>(name: &str) {
    let input = bytes(G::C_IN * G::IN_PLANE, 1);
    let weight = bytes(G::C_OUT * G::IN_PER_GROUP * G::TAPS, 2);
    let bias: Vec<i32> = (0..G::C_OUT as i32).map(|c| c * 97 - 3000).collect();
    let multiplier = vec![1_518_500_250; G::C_OUT];
    let shift = vec![-9; G::C_OUT];
    let requant = Requant {
        input_zero_point: -7,
        output_zero_point: 3,
        act_min: -128,
        act_max: 127,
        multiplier: &multiplier,
        shift: &shift,
    };
    let mut output = vec![0i8; G::C_OUT * G::OUT_PLANE];
    let mut workspace = vec![0i8; workspace_len::<G>()];
    let t = best_time(|| {
        conv::<G>(
            black_box(&input),
            black_box(&weight),
            Some(&bias),
            &requant,
            &mut output,
            &mut workspace,
        );
        black_box(&mut output);
    });
    assert!(output.iter().any(|&v| v != output[0]), "{name}: a constant output");
    report(name, conv_macs::<G>(), t);
}

fn main() {
    bench_conv::<CifarConv1>("CIFAR-10 conv1 3->32 5x5 32x32");
    bench_conv::<CifarConv2>("CIFAR-10 conv2 32->32 5x5 16x16");
    bench_conv::<CifarConv3>("CIFAR-10 conv3 32->64 5x5 8x8");
    bench_conv::<DsCnnDepthwise>("DS-CNN depthwise 3x3 64ch 25x5");
    bench_conv::<DsCnnPointwise>("DS-CNN pointwise 64->64 25x5");
    let (n_in, n_out) = (1024, 64);
    let input = bytes(n_in, 3);
    let weight = bytes(n_in * n_out, 4);
    let bias: Vec<i32> = (0..n_out as i32).map(|c| c * 31).collect();
    let requant = Requant {
        input_zero_point: 11,
        output_zero_point: -5,
        act_min: -5,
        act_max: 127,
        multiplier: &[1_400_000_000],
        shift: &[-10],
    };
    let mut output = vec![0i8; n_out];
    let t = best_time(|| {
        linear(
            n_in,
            n_out,
            black_box(&input),
            black_box(&weight),
            Some(&bias),
            &requant,
            &mut output,
        );
        black_box(&mut output);
    });
    report("CIFAR-10 fc1 Linear 1024->64", n_in * n_out, t);
}
