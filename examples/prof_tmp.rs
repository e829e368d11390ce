use staticnn::network;
use staticnn::tensor::Tensor;
use std::hint::black_box;
use std::time::Instant;

network! {
    pub struct First: [1, 49, 10] { Conv2d(1, 64, (10, 4), stride = 2, padding = (5, 1)), BatchNorm2d(64), ReLU() }
    pub struct Dw: [64, 25, 5] { Conv2d(64, 64, 3, padding = 1, groups = 64), BatchNorm2d(64), ReLU() }
    pub struct Pw: [64, 25, 5] { Conv2d(64, 64, 1), BatchNorm2d(64), ReLU() }
    pub struct PwPool: [64, 25, 5] { Conv2d(64, 64, 1), BatchNorm2d(64), ReLU(), AvgPool2d((25, 5)) }
    pub struct PwPlain: [64, 25, 5] { Conv2d(64, 64, 1) }
    pub struct C1: [3, 32, 32] { Conv2d(3, 32, 5, 1, 2), MaxPool2d(2) }
    pub struct C2: [32, 16, 16] { Conv2d(32, 32, 5, 1, 2), MaxPool2d(2) }
    pub struct C3: [32, 8, 8] { Conv2d(32, 64, 5, 1, 2), MaxPool2d(2) }
    pub struct C3np: [32, 8, 8] { Conv2d(32, 64, 5, 1, 2) }
    pub struct L1: [1, 32, 32] { Conv2d(1, 6, 5), ReLU(), MaxPool2d(2) }
    pub struct L2: [6, 14, 14] { Conv2d(6, 16, 5), ReLU(), MaxPool2d(2) }
}

macro_rules! t {
    ($net:ident) => {{
        let net = $net::seeded(0);
        let input = Tensor::from_fn(|i| ((i * 37 % 101) as f32 / 50.0) - 1.0);
        let mut output = Tensor::zeros();
        let mut scratch = $net::new_scratch();
        let mut best = Vec::new();
        for _ in 0..15 {
            let n = 200;
            let t = Instant::now();
            for _ in 0..n {
                net.forward_into(black_box(&input), &mut output, &mut scratch);
                black_box(&output);
            }
            best.push(t.elapsed().as_nanos() as f64 / n as f64);
        }
        best.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let ns = best[best.len() / 2];
        println!(
            "{:<8} {:>9} MACs {:>9.2} us {:>7.2} GFLOP/s",
            stringify!($net),
            $net::MACS,
            ns / 1000.0,
            2.0 * $net::MACS as f64 / ns
        );
    }};
}

fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    if which.is_empty() {
        t!(First);
        t!(Dw);
        t!(Pw);
        t!(PwPool);
        t!(PwPlain);
        t!(C1);
        t!(C2);
        t!(C3);
        t!(C3np);
        t!(L1);
        t!(L2);
    }
    if which == "First" {
        for _ in 0..20 {
            t!(First);
        }
    }
    if which == "Dw" {
        for _ in 0..20 {
            t!(Dw);
        }
    }
    if which == "PwPool" {
        for _ in 0..20 {
            t!(PwPool);
        }
    }
    if which == "PwPlain" {
        for _ in 0..20 {
            t!(PwPlain);
        }
    }
    if which == "C1" {
        for _ in 0..20 {
            t!(C1);
        }
    }
}
