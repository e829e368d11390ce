//! Batch-1 inference of the four benchmark networks and a single-core FMA peak, then one table:
//! network, MACs, median time per inference, achieved GFLOP/s (`2 * MACs / time`) and the
//! percentage of the measured FMA peak.
//!
//! Run with `scripts/bench.sh` (which builds with `-C target-cpu=native`), or
//! `cargo bench --bench inference`.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::Criterion;
use staticnn::network;
use staticnn::tensor::Tensor;

network! {
    /// The CIFAR-10 classifier of PyTorch's "Training a classifier" tutorial.
    pub struct Cifar10Net: [3, 32, 32] {
        Conv2d(3, 32, 5, 1, 2),
        MaxPool2d(2),
        Conv2d(32, 32, kernel_size = 5, padding = 2),
        MaxPool2d(2),
        conv3 = Conv2d(32, 64, 5, 1, 2),
        MaxPool2d(2),
        Flatten(),
        Linear(1024, 64),
        Linear(64, 10),
    }

    /// LeNet-5 of PyTorch's "Neural Networks" tutorial.
    pub struct LeNet: [1, 32, 32] {
        Conv2d(1, 6, 5), ReLU(), MaxPool2d(2),
        Conv2d(6, 16, 5), ReLU(), MaxPool2d(2),
        Flatten(),
        Linear(400, 120), ReLU(),
        Linear(120, 84), ReLU(),
        Linear(84, 10),
    }

    /// A two-layer perceptron on MNIST-sized inputs.
    pub struct Mlp: [784] {
        Linear(784, 256), ReLU(),
        Linear(256, 10),
    }

    /// DS-CNN (keyword spotting): a strided convolution, four depthwise-separable blocks.
    pub struct DsCnn: [1, 49, 10] {
        Conv2d(1, 64, (10, 4), stride = 2, padding = (5, 1)), BatchNorm2d(64), ReLU(),
        Conv2d(64, 64, 3, padding = 1, groups = 64), BatchNorm2d(64), ReLU(),
        Conv2d(64, 64, 1), BatchNorm2d(64), ReLU(),
        Conv2d(64, 64, 3, padding = 1, groups = 64), BatchNorm2d(64), ReLU(),
        Conv2d(64, 64, 1), BatchNorm2d(64), ReLU(),
        Conv2d(64, 64, 3, padding = 1, groups = 64), BatchNorm2d(64), ReLU(),
        Conv2d(64, 64, 1), BatchNorm2d(64), ReLU(),
        Conv2d(64, 64, 3, padding = 1, groups = 64), BatchNorm2d(64), ReLU(),
        Conv2d(64, 64, 1), BatchNorm2d(64), ReLU(),
        AvgPool2d((25, 5)),
        Flatten(),
        Linear(64, 12),
    }
}

/// Benchmarks `forward_into` of one network (a preallocated scratch, batch 1).
macro_rules! bench_net {
    ($c:expr, $net:ident) => {{
        let net = $net::seeded(0);
        let input = Tensor::from_fn(|i| ((i * 37 % 101) as f32 / 50.0) - 1.0);
        let mut output = Tensor::zeros();
        let mut scratch = $net::new_scratch();
        $c.bench_function(stringify!($net), |b| {
            b.iter(|| {
                net.forward_into(black_box(&input), &mut output, &mut scratch);
                black_box(&output);
            });
        });
        (stringify!($net), $net::MACS)
    }};
}

/// Iterations of the FMA loop per benchmark iteration.
const FMA_ITERS: u64 = 100_000;
/// Independent accumulators: enough to cover the FMA latency on both FMA pipes.
const FMA_ACCS: u64 = 12;
/// Floating-point operations of one benchmark iteration of the FMA loop.
const FMA_FLOPS: u64 = FMA_ITERS * FMA_ACCS * 8 * 2;

/// `FMA_ITERS` rounds of 12 independent 8-lane fused multiply-adds.
///
/// # Safety
/// The CPU must support AVX and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx,fma")]
unsafe fn fma_loop(seed: f32) -> f32 {
    use std::arch::x86_64::{
        __m256, _mm256_add_ps, _mm256_fmadd_ps, _mm256_set1_ps, _mm256_storeu_ps,
    };
    let a = _mm256_set1_ps(0.999_999);
    let b = _mm256_set1_ps(1e-7);
    let mut acc: [__m256; FMA_ACCS as usize] =
        std::array::from_fn(|i| _mm256_set1_ps(seed + i as f32));
    for _ in 0..FMA_ITERS {
        for x in &mut acc {
            *x = _mm256_fmadd_ps(*x, a, b);
        }
    }
    let mut sum = acc[0];
    for x in &acc[1..] {
        sum = _mm256_add_ps(sum, *x);
    }
    let mut lanes = [0.0f32; 8];
    // SAFETY: `lanes` holds 8 floats.
    unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), sum) };
    lanes.iter().sum()
}

/// Benchmarks the FMA loop as `id` if the CPU has FMA; returns whether it ran.
fn bench_fma_peak(c: &mut Criterion, id: &str) -> bool {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx") && is_x86_feature_detected!("fma") {
        c.bench_function(id, |b| {
            // SAFETY: AVX and FMA were detected just above.
            b.iter(|| unsafe { fma_loop(black_box(1.0)) });
        });
        return true;
    }
    let _ = (c, id);
    false
}

/// Where criterion writes its results (its own rule: `CRITERION_HOME`, else the target
/// directory's `criterion`).
fn criterion_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return home.into();
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| "target".into(), PathBuf::from);
    target.join("criterion")
}

/// The median time per iteration in nanoseconds that criterion saved for `id`.
fn median_ns(id: &str) -> Option<f64> {
    let json =
        std::fs::read_to_string(criterion_home().join(id).join("new/estimates.json")).ok()?;
    let median = &json[json.find("\"median\"")?..];
    let point = &median[median.find("\"point_estimate\":")? + "\"point_estimate\":".len()..];
    let end = point.find([',', '}'])?;
    point[..end].trim().parse().ok()
}

/// Prints the table of the networks that ran.
fn print_table(nets: &[(&str, usize)], peak_gflops: Option<f64>) {
    println!();
    match peak_gflops {
        Some(p) => println!(
            "measured single-core FMA peak: {p:.1} GFLOP/s (12 x 8-lane FMA, the better of the \
             runs before and after the networks)"
        ),
        None => println!("FMA peak not measured (no FMA on this CPU)"),
    }
    println!(
        "{:<12} {:>10} {:>14} {:>10} {:>10}",
        "network", "MACs", "median time", "GFLOP/s", "% peak"
    );
    for &(name, macs) in nets {
        let Some(ns) = median_ns(name) else { continue };
        let gflops = 2.0 * macs as f64 / ns;
        let pct =
            peak_gflops.map_or_else(|| "-".to_string(), |p| format!("{:.1}", 100.0 * gflops / p));
        println!("{name:<12} {macs:>10} {:>11.2} us {gflops:>10.2} {pct:>10}", ns / 1000.0);
    }
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
        .configure_from_args();
    let peak_ran = bench_fma_peak(&mut c, "fma_peak");
    let nets =
        [bench_net!(c, Cifar10Net), bench_net!(c, LeNet), bench_net!(c, DsCnn), bench_net!(c, Mlp)];
    // Measured again at the end: the clock of a shared or boosting CPU drifts during a run, and
    // the higher of the two is the honest denominator.
    bench_fma_peak(&mut c, "fma_peak_end");
    c.final_summary();
    let peaks =
        ["fma_peak", "fma_peak_end"].map(|id| median_ns(id).map(|ns| FMA_FLOPS as f64 / ns));
    let peak = if peak_ran { peaks.into_iter().flatten().reduce(f64::max) } else { None };
    print_table(&nets, peak);
}
