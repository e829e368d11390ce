//! Batch-1 inference of the benchmark networks (`common/nets.rs`), a single-core FMA peak for
//! 8- and 16-lane vectors and the L2 read bandwidth, then one table: network, MACs, median
//! time per inference, achieved GFLOP/s (`2 * MACs / time`) and the percentage of the widest
//! measured FMA peak. Each result is also printed as one `@`-line for `tools/bench_table.py`.
//!
//! Run with `scripts/bench.sh` (default and `-C target-cpu=native` builds beside onnxruntime),
//! or `cargo bench --bench inference`. With `STATICNN_BENCH_EXPORT=DIR` it only writes each
//! network's `state_dict`, input and output to `DIR/<Net>.safetensors` (for onnxruntime).

#[path = "common/nets.rs"]
mod nets;

use std::collections::HashMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::Criterion;
use nets::{Cifar10Net, DsCnn, LeNet, Mlp, ResNet8, bench_input};
use staticnn::kernels::isa;
use staticnn::network::Network;
use staticnn::tensor::Tensor;

/// Benchmarks `forward_into` of one network (a preallocated scratch, batch 1).
macro_rules! bench_net {
    ($c:expr, $net:ident) => {{
        let net = $net::seeded(0);
        let input = bench_input::<$net>();
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
/// Independent accumulators: enough to cover the FMA latency (4 cycles) on two FMA pipes.
const FMA_ACCS: usize = 12;

/// `FMA_ITERS` rounds of 12 independent 8-lane fused multiply-adds.
///
/// # Safety
/// The CPU must support AVX and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx,fma")]
unsafe fn fma_loop_8(seed: f32) -> f32 {
    use std::arch::x86_64::{
        __m256, _mm256_add_ps, _mm256_fmadd_ps, _mm256_set1_ps, _mm256_storeu_ps,
    };
    let a = _mm256_set1_ps(0.999_999);
    let b = _mm256_set1_ps(1e-7);
    let mut acc: [__m256; FMA_ACCS] = std::array::from_fn(|i| _mm256_set1_ps(seed + i as f32));
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

/// `FMA_ITERS` rounds of 12 independent 16-lane fused multiply-adds.
///
/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn fma_loop_16(seed: f32) -> f32 {
    use std::arch::x86_64::{
        __m512, _mm512_add_ps, _mm512_fmadd_ps, _mm512_reduce_add_ps, _mm512_set1_ps,
    };
    let a = _mm512_set1_ps(0.999_999);
    let b = _mm512_set1_ps(1e-7);
    let mut acc: [__m512; FMA_ACCS] = std::array::from_fn(|i| _mm512_set1_ps(seed + i as f32));
    for _ in 0..FMA_ITERS {
        for x in &mut acc {
            *x = _mm512_fmadd_ps(*x, a, b);
        }
    }
    let mut sum = acc[0];
    for x in &acc[1..] {
        sum = _mm512_add_ps(sum, *x);
    }
    _mm512_reduce_add_ps(sum)
}

/// The FMA peaks this CPU has: `(lanes, id)`.
fn fma_peaks() -> Vec<(u64, &'static str)> {
    let mut peaks = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx") && is_x86_feature_detected!("fma") {
            peaks.push((8, "fma_peak_8"));
        }
        if is_x86_feature_detected!("avx512f") {
            peaks.push((16, "fma_peak_16"));
        }
    }
    peaks
}

/// Benchmarks the FMA loop of `lanes` lanes as `id` (the CPU has it: [`fma_peaks`]).
fn bench_fma_peak(c: &mut Criterion, lanes: u64, id: &str) {
    #[cfg(target_arch = "x86_64")]
    c.bench_function(id, |b| {
        // SAFETY: `fma_peaks` lists a width only if the CPU has its features.
        b.iter(|| unsafe {
            if lanes == 16 { fma_loop_16(black_box(1.0)) } else { fma_loop_8(black_box(1.0)) }
        });
    });
    let _ = (c, lanes, id);
}

/// Floats of the L2 bandwidth test's buffer: the MLP's weights and biases (813 KB), which it
/// streams from the L2 cache once per inference.
const STREAM_FLOATS: usize = 784 * 256 + 256 + 256 * 10 + 10;

/// Sums `data` with 16-lane loads into 8 independent accumulators (AVX-512), or with the
/// compiler's vectors elsewhere: a read of every byte, as fast as the caches deliver it.
///
/// # Safety
/// The CPU must support AVX-512F when `wide` is true.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn stream_sum_512(data: &[f32]) -> f32 {
    use std::arch::x86_64::_mm512_setzero_ps;
    use std::arch::x86_64::{__m512, _mm512_add_ps, _mm512_loadu_ps, _mm512_reduce_add_ps};
    let mut acc: [__m512; 8] = [_mm512_setzero_ps(); 8];
    let (blocks, _) = data.as_chunks::<128>();
    for block in blocks {
        for (k, a) in acc.iter_mut().enumerate() {
            // SAFETY: `block` holds 128 floats, `k * 16 + 16 <= 128`.
            *a = _mm512_add_ps(*a, unsafe { _mm512_loadu_ps(block.as_ptr().add(k * 16)) });
        }
    }
    let mut sum = acc[0];
    for a in &acc[1..] {
        sum = _mm512_add_ps(sum, *a);
    }
    _mm512_reduce_add_ps(sum)
}

/// [`stream_sum_512`] without AVX-512.
fn stream_sum_plain(data: &[f32]) -> f32 {
    let (blocks, _) = data.as_chunks::<32>();
    let mut acc = [0.0f32; 32];
    for block in blocks {
        for (a, x) in acc.iter_mut().zip(block) {
            *a += x;
        }
    }
    acc.iter().sum()
}

/// Benchmarks a read of [`STREAM_FLOATS`] floats that stay in the L2 cache between reads.
fn bench_l2_stream(c: &mut Criterion) {
    let data: Vec<f32> = (0..STREAM_FLOATS).map(|i| (i % 7) as f32).collect();
    c.bench_function("l2_stream", |b| {
        b.iter(|| {
            #[cfg(target_arch = "x86_64")]
            if is_x86_feature_detected!("avx512f") {
                // SAFETY: AVX-512F was detected just above.
                return unsafe { stream_sum_512(black_box(&data)) };
            }
            stream_sum_plain(black_box(&data))
        });
    });
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

/// The better of the FMA peak runs of `lanes` lanes before and after the networks, GFLOP/s.
fn peak_gflops(lanes: u64, ids: &[&str]) -> Option<f64> {
    let flops = FMA_ITERS as f64 * FMA_ACCS as f64 * lanes as f64 * 2.0;
    ids.iter().filter_map(|id| median_ns(id)).map(|ns| flops / ns).reduce(f64::max)
}

/// Prints the table of the networks that ran, and the `@`-lines.
fn print_table(nets: &[(&str, usize)], peaks: &[(u64, f64)]) {
    println!();
    println!("instruction-set level of the kernels: {}", isa::active().name());
    for &(lanes, p) in peaks {
        println!(
            "measured single-core FMA peak, {lanes} lanes: {p:.1} GFLOP/s (12 independent \
             chains, the better of the runs before and after the networks)"
        );
        println!("@peak lanes={lanes} gflops={p:.3}");
    }
    let widest = peaks.last().map(|&(_, p)| p);
    if widest.is_none() {
        println!("FMA peak not measured (no FMA on this CPU)");
    }
    if let Some(ns) = median_ns("l2_stream") {
        let gbs = (STREAM_FLOATS * 4) as f64 / ns;
        let mlp_bound = (Mlp::PARAMS * 4) as f64 / gbs / 1000.0;
        println!(
            "L2 read bandwidth: {gbs:.1} GB/s ({} KB read again and again): the MLP, which \
             streams its {} KB of weights, cannot take less than {mlp_bound:.2} us",
            STREAM_FLOATS * 4 / 1000,
            Mlp::PARAMS * 4 / 1000
        );
        println!("@l2 gbs={gbs:.3} mlp_bound_us={mlp_bound:.3}");
    }
    println!(
        "{:<12} {:>10} {:>14} {:>10} {:>10}",
        "network", "MACs", "median time", "GFLOP/s", "% peak"
    );
    for &(name, macs) in nets {
        let Some(ns) = median_ns(name) else { continue };
        let gflops = 2.0 * macs as f64 / ns;
        let pct = widest.map_or_else(|| "-".to_string(), |p| format!("{:.1}", 100.0 * gflops / p));
        println!("{name:<12} {macs:>10} {:>11.2} us {gflops:>10.2} {pct:>10}", ns / 1000.0);
        println!(
            "@net name={name} macs={macs} us={:.4} level={}",
            ns / 1000.0,
            isa::active().name()
        );
    }
}

/// Writes `net`'s `state_dict`, the bench input and the network's output on it to
/// `dir/<name>.safetensors`.
fn export<N: Network>(net: &N, name: &str, dir: &Path) -> std::io::Result<()> {
    let input = bench_input::<N>();
    let output = net.forward(&input);
    let bytes = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    net.visit_parameters(&mut |key, dims, values| {
        tensors.push((format!("param.{key}"), dims.to_vec(), bytes(values)));
    });
    tensors.push(("input".into(), N::INPUT_SHAPE.to_vec(), bytes(input.as_slice())));
    tensors.push(("output".into(), N::OUTPUT_SHAPE.to_vec(), bytes(output.as_slice())));
    let views = tensors.iter().map(|(k, shape, data)| {
        let view =
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), data)
                .expect("a float32 tensor of its own shape");
        (k.clone(), view)
    });
    let metadata = HashMap::from([("macs".to_string(), N::MACS.to_string())]);
    let file = safetensors::serialize(views, Some(metadata)).map_err(std::io::Error::other)?;
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(format!("{name}.safetensors")), file)
}

fn main() {
    if let Some(dir) = std::env::var_os("STATICNN_BENCH_EXPORT") {
        let dir = PathBuf::from(dir);
        macro_rules! export_net {
            ($net:ident) => {
                export(&$net::seeded(0), stringify!($net), &dir)
                    .unwrap_or_else(|e| panic!("cannot write {}: {e}", dir.display()));
            };
        }
        for_each_net!(export_net);
        println!("wrote the networks to {}", dir.display());
        return;
    }
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
        .configure_from_args();
    let peaks = fma_peaks();
    for &(lanes, id) in &peaks {
        bench_fma_peak(&mut c, lanes, id);
    }
    bench_l2_stream(&mut c);
    let mut nets = Vec::new();
    macro_rules! run_net {
        ($net:ident) => {
            nets.push(bench_net!(c, $net));
        };
    }
    for_each_net!(run_net);
    // Measured again at the end: the clock of a shared or boosting CPU drifts during a run, and
    // the higher of the two is the honest denominator.
    let end_ids: Vec<String> = peaks.iter().map(|(_, id)| format!("{id}_end")).collect();
    for (&(lanes, _), id) in peaks.iter().zip(&end_ids) {
        bench_fma_peak(&mut c, lanes, id);
    }
    c.final_summary();
    let measured: Vec<(u64, f64)> = peaks
        .iter()
        .zip(&end_ids)
        .filter_map(|(&(lanes, id), end)| Some((lanes, peak_gflops(lanes, &[id, end])?)))
        .collect();
    print_table(&nets, &measured);
}
