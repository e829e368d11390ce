//! Time per step of each benchmark network (`forward_into_probed`, a clock read between
//! steps), at every instruction-set level this build can run on this CPU (`kernels::isa`):
//! where the time goes, and what each level gains. The minimum over many inferences (the
//! least disturbed by other work on a shared machine) and the median.
//!
//! `cargo bench --bench steps [-- NET...]` (names as in `common/nets.rs`; all by default).
//! `STEPS_RUNS` sets the inferences per level (default 2000).

#[path = "common/nets.rs"]
mod nets;

use std::hint::black_box;
use std::time::Instant;

use nets::{Cifar10Net, DsCnn, LeNet, Mlp, ResNet8, bench_input};
use staticnn::kernels::isa;
use staticnn::network::Network;
use staticnn::tensor::Tensor;

/// Per-step nanoseconds of `runs` inferences of `net`: `(min, median)` per step, and of the
/// whole inference.
fn profile<N: Network>(net: &N, runs: usize) -> (Vec<(f64, f64)>, (f64, f64)) {
    let input = bench_input::<N>();
    let mut output = Tensor::zeros();
    let mut scratch = N::new_scratch();
    let steps = N::STEPS.len();
    let mut times = vec![Vec::with_capacity(runs); steps + 1];
    let mut marks = vec![Instant::now(); steps + 1];
    for run in 0..runs + runs / 10 {
        net.forward_into_probed(black_box(&input), &mut output, &mut scratch, &mut |i| {
            marks[i] = Instant::now();
        });
        black_box(&output);
        if run < runs / 10 {
            continue; // warm-up
        }
        for i in 0..steps {
            times[i].push((marks[i + 1] - marks[i]).as_secs_f64() * 1e9);
        }
        times[steps].push((marks[steps] - marks[0]).as_secs_f64() * 1e9);
    }
    let stats = |t: &mut Vec<f64>| {
        t.sort_by(f64::total_cmp);
        (t[0], t[t.len() / 2])
    };
    let total = stats(&mut times[steps]);
    (times[..steps].iter_mut().map(stats).collect(), total)
}

/// The 16-lane (else 8-lane) FMA peak in GFLOP/s: the fastest of many short runs of 12
/// independent FMA chains, which a shared machine disturbs least.
fn fma_peak() -> Option<(usize, f64)> {
    #[cfg(target_arch = "x86_64")]
    {
        /// Rounds of 12 FMAs per run.
        const ROUNDS: usize = 20_000;
        #[target_feature(enable = "avx512f")]
        fn run16() -> f32 {
            use std::arch::x86_64::{_mm512_fmadd_ps, _mm512_reduce_add_ps, _mm512_set1_ps};
            let (a, b) = (_mm512_set1_ps(0.999_999), _mm512_set1_ps(1e-7));
            let mut acc = [_mm512_set1_ps(black_box(1.0)); 12];
            for _ in 0..ROUNDS {
                for x in &mut acc {
                    *x = _mm512_fmadd_ps(*x, a, b);
                }
            }
            acc.iter().map(|x| _mm512_reduce_add_ps(*x)).sum()
        }
        #[target_feature(enable = "avx,fma")]
        fn run8() -> f32 {
            use std::arch::x86_64::{_mm256_fmadd_ps, _mm256_set1_ps};
            let (a, b) = (_mm256_set1_ps(0.999_999), _mm256_set1_ps(1e-7));
            let mut acc = [_mm256_set1_ps(black_box(1.0)); 12];
            for _ in 0..ROUNDS {
                for x in &mut acc {
                    *x = _mm256_fmadd_ps(*x, a, b);
                }
            }
            let lanes: [[f32; 8]; 12] = unsafe { std::mem::transmute(acc) };
            lanes.iter().flatten().sum()
        }
        let lanes = if is_x86_feature_detected!("avx512f") {
            16
        } else if is_x86_feature_detected!("fma") {
            8
        } else {
            return None;
        };
        let mut best = f64::INFINITY;
        for _ in 0..300 {
            let t = Instant::now();
            // SAFETY: the features were detected above.
            black_box(unsafe { if lanes == 16 { run16() } else { run8() } });
            best = best.min(t.elapsed().as_secs_f64());
        }
        return Some((lanes, (ROUNDS * 12 * lanes * 2) as f64 / best / 1e9));
    }
    #[allow(unreachable_code)]
    None
}

/// Prints the profile of `N` at every available level.
fn report<N: Network>(name: &str, net: &N, runs: usize, peak: Option<f64>) {
    let levels: Vec<isa::Level> = isa::available().collect();
    let profiles: Vec<_> = levels
        .iter()
        .map(|&l| isa::with_level(l, || profile(net, runs)).expect("an available level"))
        .collect();
    println!("\n{name}: {} MACs; min / median us per step, {runs} runs per level", N::MACS);
    print!("{:<4} {:<40} {:>9}", "step", "layers", "MACs");
    for l in &levels {
        print!(" {:>17}", l.name());
    }
    println!();
    for (i, step) in N::STEPS.iter().enumerate() {
        let what = format!("{} ({})", step.name, step.layers);
        print!("{i:<4} {:<40} {:>9}", what.chars().take(40).collect::<String>(), step.macs);
        for (steps, _) in &profiles {
            let (min, med) = steps[i];
            print!(" {:>8.2} / {:>6.2}", min / 1e3, med / 1e3);
        }
        println!();
    }
    print!("{:<4} {:<40} {:>9}", "", "whole inference", N::MACS);
    for (_, (min, med)) in &profiles {
        print!(" {:>8.2} / {:>6.2}", min / 1e3, med / 1e3);
    }
    println!();
    if let Some(peak) = peak {
        print!("{:<4} {:<40} {:>9}", "", "% of the peak (by the minimum)", "");
        for (_, (min, _)) in &profiles {
            print!(" {:>17.1}", 100.0 * 2.0 * N::MACS as f64 / min / peak);
        }
        println!();
    }
}

fn main() {
    let runs = std::env::var("STEPS_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(2000);
    let wanted: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    println!(
        "levels: {:?}, detected {}",
        isa::available().collect::<Vec<_>>(),
        isa::detected().name()
    );
    let peak = fma_peak();
    if let Some((lanes, gflops)) = peak {
        println!("FMA peak ({lanes} lanes, fastest of 300 short runs): {gflops:.1} GFLOP/s");
    }
    macro_rules! profile_net {
        ($net:ident) => {
            let name = stringify!($net);
            if wanted.is_empty() || wanted.iter().any(|w| w == name) {
                report(name, &$net::seeded(0), runs, peak.map(|p| p.1));
            }
        };
    }
    for_each_net!(profile_net);
}
