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

use nets::{Cifar10Net, DsCnn, LeNet, Mlp, bench_input};
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

/// Prints the profile of `N` at every available level.
fn report<N: Network>(name: &str, net: &N, runs: usize) {
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
}

fn main() {
    let runs = std::env::var("STEPS_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(2000);
    let wanted: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    println!(
        "levels: {:?}, detected {}",
        isa::available().collect::<Vec<_>>(),
        isa::detected().name()
    );
    macro_rules! profile_net {
        ($net:ident) => {
            let name = stringify!($net);
            if wanted.is_empty() || wanted.iter().any(|w| w == name) {
                report(name, &$net::seeded(0), runs);
            }
        };
    }
    for_each_net!(profile_net);
}
