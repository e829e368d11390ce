//! The CIFAR-10 tutorial net in int8 against the same net in f32, batch 1, one core: median
//! time per inference of each, and their ratio, at the detected instruction-set level and then
//! at every level the CPU has. The int8 net is the PyTorch-quantized export
//! (tests/export/cifar10_int8.rs), the f32 one its float export (tests/export/cifar10.rs).
//!
//! `cargo bench --bench int8` (`scripts/bench.sh` adds `-C target-cpu=native`).

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use staticnn::kernels::isa;
use staticnn::network;
use staticnn::tensor::Tensor;

mod int8 {
    use super::network;
    include!("../tests/export/cifar10_int8.rs");
}
mod float {
    use super::network;
    include!("../tests/export/cifar10.rs");
}

/// The median of `samples` runs of `f`, in microseconds.
fn median_us(mut f: impl FnMut(), samples: usize) -> f64 {
    let mut times: Vec<f64> = (0..samples)
        .map(|_| {
            let start = std::time::Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let image: Tensor<_> = Tensor::from_fn(|i| ((i * 37) % 255) as f32 / 255.0 - 0.5);
    let (net_q, net_f) = (int8::Cifar10NetInt8::trained(), float::Cifar10Net::trained());
    let q = int8::Cifar10NetInt8::quantize_input(&image);
    let mut out_q = Tensor::zeros();
    let mut out_f = Tensor::zeros();
    let mut scratch_q = int8::Cifar10NetInt8::new_scratch();
    let mut scratch_f = float::Cifar10Net::new_scratch();

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    c.bench_function("cifar10 f32", |b| {
        b.iter(|| net_f.forward_into(black_box(&image), &mut out_f, &mut scratch_f));
    });
    c.bench_function("cifar10 int8 (int8 in, int8 out)", |b| {
        b.iter(|| net_q.forward_int8_into(black_box(&q), &mut out_q, &mut scratch_q));
    });
    c.bench_function("cifar10 int8 (f32 in, f32 out)", |b| {
        b.iter(|| net_q.forward_into(black_box(&image), &mut out_f, &mut scratch_q));
    });
    c.final_summary();

    let t_f = median_us(|| net_f.forward_into(black_box(&image), &mut out_f, &mut scratch_f), 200);
    let t_q = median_us(|| net_q.forward_int8_into(black_box(&q), &mut out_q, &mut scratch_q), 200);
    println!(
        "@ cifar10 at {}: f32 {t_f:.1} us, int8 {t_q:.1} us: int8 is {:.2}x f32's speed",
        isa::active().name(),
        t_f / t_q
    );
    // Every instruction-set level this CPU has, f32 and int8 side by side (interleaved, so
    // that the machine's load changes both alike).
    for level in isa::available() {
        let (mut f, mut i) = (Vec::new(), Vec::new());
        for _ in 0..5 {
            isa::with_level(level, || {
                f.push(median_us(
                    || net_f.forward_into(black_box(&image), &mut out_f, &mut scratch_f),
                    100,
                ));
                i.push(median_us(
                    || net_q.forward_int8_into(black_box(&q), &mut out_q, &mut scratch_q),
                    100,
                ));
            });
        }
        f.sort_by(f64::total_cmp);
        i.sort_by(f64::total_cmp);
        let (t_f, t_q) = (f[2], i[2]);
        println!(
            "@ level {:>10}: f32 {t_f:7.1} us, int8 {t_q:7.1} us, int8 {:.2}x f32's speed",
            level.name(),
            t_f / t_q
        );
    }
}
