//! The AVX2 kernels: `core`'s unit tests, the PyTorch conformance and accuracy fixtures and
//! the digits network again, built with `-C target-feature=+avx2,+fma`.
//!
//! The kernels choose their vectors when they are compiled (`kernels::simd::Native`): a plain
//! `cargo test` builds the portable 4-lane version, and the 8-lane AVX2 one, with its own tile
//! shapes and code paths (what `scripts/bench.sh` measures with `-C target-cpu=native`), would
//! go untested. This test runs `cargo test` on those suites with the features enabled, in its
//! own target directory beside the host build (`<target>/avx2`), so that switching flags does
//! not rebuild the host build. On an x86-64 CPU without AVX2 and FMA it fails, saying so; set
//! `STATICNN_SKIP_AVX2=1` there to pass over it knowingly. Other architectures have no AVX2
//! kernels to test.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn kernels_built_for_avx2_pass_the_unit_and_conformance_tests() {
    if !cfg!(target_arch = "x86_64") {
        println!("not x86-64: no AVX2 kernels to test");
        return;
    }
    if std::env::var_os("STATICNN_SKIP_AVX2").is_some() {
        println!("STATICNN_SKIP_AVX2 is set: the AVX2 kernels are NOT tested");
        return;
    }
    #[cfg(target_arch = "x86_64")]
    assert!(
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
        "this CPU has no AVX2 and FMA, so the AVX2 kernels cannot run here; set \
         STATICNN_SKIP_AVX2=1 to skip this test knowingly"
    );
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let target = tmp.parent().unwrap_or(&tmp).join("avx2");
    let suites: [&[&str]; 2] = [
        &["-p", "staticnn-core", "--lib"],
        &["--test", "conformance", "--test", "accuracy", "--test", "digits"],
    ];
    for args in suites {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let started = std::time::Instant::now();
        let out = Command::new(cargo)
            .arg("test")
            .args(args)
            .current_dir(&repo)
            .env("CARGO_TARGET_DIR", &target)
            .env("RUSTFLAGS", "-C target-feature=+avx2,+fma")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .output()
            .unwrap_or_else(|e| panic!("cannot run cargo: {e}"));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "`cargo test {}` with AVX2 and FMA failed ({}).\n--- stdout ---\n{stdout}\n\
             --- stderr ---\n{stderr}",
            args.join(" "),
            out.status
        );
        // Each suite ran tests, and none failed: not only the exit status.
        let results: Vec<&str> =
            stdout.lines().filter(|l| l.starts_with("test result: ok. ")).collect();
        assert!(!results.is_empty(), "no test results from `cargo test {}`", args.join(" "));
        assert!(
            results.iter().all(|l| !l.starts_with("test result: ok. 0 passed")),
            "a suite ran no tests: {results:?}"
        );
        println!(
            "cargo test {} (AVX2, FMA): {} in {:.1} s",
            args.join(" "),
            results.join("; "),
            started.elapsed().as_secs_f64()
        );
    }
}
