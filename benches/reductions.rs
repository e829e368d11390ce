//! The layers that reduce: layer and instance norm, average and adaptive average pooling,
//! softmax and log-softmax, each alone at batch 1, short and long, ending with one table:
//! case, input elements, median time, nanoseconds per input element.
//!
//! `cargo bench --bench reductions` (add `-- <filter>` for some cases). The short cases
//! (a classifier's softmax, a 2 x 2 or 3 x 3 average pool, the DS-CNN's 25 x 5 global pool)
//! show what the long ones' cascade sums cost where they are not needed.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::Criterion;
use staticnn::network;
use staticnn::network::Network;
use staticnn::tensor::Tensor;

network! {
    /// LayerNorm over a transformer-sized row.
    pub struct LayerNorm64: [16, 64] { LayerNorm(64) }
    /// The LayerNorm over 960 values.
    pub struct LayerNorm960: [960] { LayerNorm(960) }
    /// LayerNorm over 100,000 values.
    pub struct LayerNorm100k: [100000] { LayerNorm(100000, elementwise_affine = False) }
    /// InstanceNorm2d over small planes.
    pub struct InstanceNormSmall: [64, 8, 8] { InstanceNorm2d(64) }
    /// InstanceNorm2d over 320 x 320 planes.
    pub struct InstanceNorm320: [2, 320, 320] { InstanceNorm2d(2) }
    /// A 2 x 2 average pool (a small window: the direct sum).
    pub struct AvgPool2x2: [32, 32, 32] { AvgPool2d(2) }
    /// A padded 3 x 3 average pool with stride 2 (a small window).
    pub struct AvgPool3x3: [32, 32, 32] { AvgPool2d(3, stride = 2, padding = 1) }
    /// The DS-CNN's global pool: 125 taps, under one block.
    pub struct AvgPoolDsCnn: [64, 25, 5] { AvgPool2d((25, 5)) }
    /// A global average pool over 320 x 320 planes (cascade sums).
    pub struct AvgPoolGlobal320: [4, 320, 320] { AvgPool2d(320) }
    /// 64 x 64 windows, 64 rows of 64 each (cascade sums).
    pub struct AvgPool64: [2, 256, 320] { AvgPool2d(64) }
    /// AdaptiveAvgPool2d(1) over small planes.
    pub struct AdaptiveGlobalSmall: [64, 8, 8] { AdaptiveAvgPool2d(1) }
    /// AdaptiveAvgPool2d(1) over 320 x 320 planes.
    pub struct AdaptiveGlobal320: [4, 320, 320] { AdaptiveAvgPool2d(1) }
    /// AdaptiveAvgPool2d((2, 3)) over 300 x 320 planes.
    pub struct Adaptive2x3: [4, 300, 320] { AdaptiveAvgPool2d((2, 3)) }
    /// A classifier's softmax.
    pub struct Softmax10: [10] { Softmax(dim = 1) }
    /// Softmax over 1,000 classes.
    pub struct Softmax1000: [1000] { Softmax(dim = 1) }
    /// Softmax over 100,000 values.
    pub struct Softmax100k: [100000] { Softmax(dim = 1) }
    /// LogSoftmax over 100,000 values.
    pub struct LogSoftmax100k: [100000] { LogSoftmax(dim = 1) }
    /// Softmax along a strided axis of 1,000.
    pub struct SoftmaxStrided: [1000, 8] { Softmax(dim = 1) }
}

/// Benchmarks `forward_into` of one single-layer network; returns its name and input size.
fn bench<N: Network + Default>(c: &mut Criterion, name: &'static str) -> (&'static str, usize) {
    let net = N::default();
    let input = Tensor::<N::Input>::from_fn(|i| 0.5 + ((i * 37 % 101) as f32 - 50.0) * 1e-3);
    let mut output = Tensor::<N::Output>::zeros();
    let mut scratch = N::new_scratch();
    c.bench_function(name, |b| {
        b.iter(|| {
            net.forward_into(black_box(&input), &mut output, &mut scratch);
            black_box(&output);
        });
    });
    (name, input.as_slice().len())
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

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
        .configure_from_args();
    let cases = [
        bench::<LayerNorm64>(&mut c, "layernorm_16x64"),
        bench::<LayerNorm960>(&mut c, "layernorm_960"),
        bench::<LayerNorm100k>(&mut c, "layernorm_100000"),
        bench::<InstanceNormSmall>(&mut c, "instancenorm_64x8x8"),
        bench::<InstanceNorm320>(&mut c, "instancenorm_2x320x320"),
        bench::<AvgPool2x2>(&mut c, "avgpool_2x2"),
        bench::<AvgPool3x3>(&mut c, "avgpool_3x3_s2_p1"),
        bench::<AvgPoolDsCnn>(&mut c, "avgpool_25x5_global"),
        bench::<AvgPoolGlobal320>(&mut c, "avgpool_320_global"),
        bench::<AvgPool64>(&mut c, "avgpool_64x64"),
        bench::<AdaptiveGlobalSmall>(&mut c, "adaptive_1_64x8x8"),
        bench::<AdaptiveGlobal320>(&mut c, "adaptive_1_4x320x320"),
        bench::<Adaptive2x3>(&mut c, "adaptive_2x3_4x300x320"),
        bench::<Softmax10>(&mut c, "softmax_10"),
        bench::<Softmax1000>(&mut c, "softmax_1000"),
        bench::<Softmax100k>(&mut c, "softmax_100000"),
        bench::<LogSoftmax100k>(&mut c, "logsoftmax_100000"),
        bench::<SoftmaxStrided>(&mut c, "softmax_strided_1000x8"),
    ];
    c.final_summary();
    println!();
    println!("{:<24} {:>10} {:>14} {:>12}", "case", "elements", "median time", "ns/element");
    for (name, elements) in cases {
        let Some(ns) = median_ns(name) else { continue };
        println!(
            "{name:<24} {elements:>10} {:>11.3} us {:>12.3}",
            ns / 1000.0,
            ns / elements as f64
        );
    }
}
