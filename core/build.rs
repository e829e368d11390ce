//! Tells the kernels whether this build can choose its instruction-set level at run time
//! (`kernels::isa`): on x86-64, unless the build's own target features already reach the
//! highest level (then there is nothing left to choose, as with `-C target-cpu=native` on an
//! AVX-512 CPU).

use std::env;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(staticnn_x86_dispatch)");
    println!("cargo::rerun-if-env-changed=CARGO_CFG_TARGET_FEATURE");
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let features = env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    let has = |f: &str| features.split(',').any(|x| x == f);
    let top_level =
        ["avx512f", "avx512vl", "avx512bw", "avx512vnni", "avx2", "fma"].into_iter().all(has);
    if arch == "x86_64" && !top_level {
        println!("cargo::rustc-cfg=staticnn_x86_dispatch");
    }
}
