//! The kernels' instruction-set levels (`staticnn::kernels::isa`) are all tested.
//!
//! A default x86-64 build has the portable, AVX2 and AVX-512 kernels and picks one at run
//! time; `core`'s unit tests, the conformance and accuracy fixtures and the digits network run each case
//! at every level this CPU has (`isa::with_level`), without building anything twice. What that
//! cannot reach is a build whose target features fix the level at compile time (`-C
//! target-cpu=native` on an AVX-512 CPU, `no_std`): there the kernels are the same code, but
//! sized and chosen by `cfg`. The last test here builds `core`'s unit tests that way, with
//! the CPU's best features enabled, in its own target directory beside the host build
//! (`<target>/compiled-level`), so that switching flags does not rebuild the host build.

use std::path::PathBuf;
use std::process::Command;

use staticnn::kernels::isa::{self, Level};

/// Whether this CPU has the features of `level`, by its own feature flags.
fn cpu_has(level: Level) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
        let avx512 =
            avx2 && is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512vl");
        match level {
            Level::Portable => true,
            Level::Avx2 => avx2,
            Level::Avx2Vnni => avx2 && is_x86_feature_detected!("avxvnni"),
            Level::Avx512 => avx512,
            Level::Avx512Vnni => {
                avx512
                    && is_x86_feature_detected!("avx512bw")
                    && is_x86_feature_detected!("avx512vnni")
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        level == Level::Portable
    }
}

/// The best level this CPU has, by its own feature flags.
fn best_of_cpu() -> Level {
    Level::ALL.into_iter().filter(|&l| cpu_has(l)).max().unwrap_or(Level::Portable)
}

#[test]
fn the_suites_cover_every_level_the_cpu_has() {
    let levels: Vec<Level> = isa::available().collect();
    println!("levels: {levels:?}, run-time dispatch: {}", isa::RUNTIME_DISPATCH);
    if !isa::RUNTIME_DISPATCH {
        assert_eq!(levels, [Level::COMPILED], "a build without dispatch has one level");
        return;
    }
    if std::env::var_os("STATICNN_ISA").is_some() {
        return; // capped on purpose: the levels above the cap are not run
    }
    let want: Vec<Level> = Level::ALL.into_iter().filter(|&l| cpu_has(l)).collect();
    assert_eq!(levels, want, "with run-time dispatch, every level the CPU has");
    assert_eq!(isa::detected(), best_of_cpu());
}

/// Run by [`staticnn_isa_caps_the_level`] in a child process: prints the detected level.
#[test]
#[ignore = "run by staticnn_isa_caps_the_level, in a child process with STATICNN_ISA set"]
fn child_prints_the_detected_level() {
    println!("@detected={}", isa::detected().name());
}

#[test]
fn staticnn_isa_caps_the_level() {
    if !isa::RUNTIME_DISPATCH {
        return; // nothing is detected: the level is the build's
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    for (asked, want) in [
        ("portable", Level::Portable),
        ("avx2", Level::Avx2.min(best_of_cpu())),
        ("AVX512", Level::Avx512.min(best_of_cpu())),
        ("avx512vnni", best_of_cpu()),
        ("sse9", best_of_cpu()),
    ] {
        let out = Command::new(&exe)
            .args(["--exact", "child_prints_the_detected_level", "--ignored", "--nocapture"])
            .env("STATICNN_ISA", asked)
            .output()
            .expect("the test binary runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(&format!("@detected={}", want.name())),
            "STATICNN_ISA={asked}: want {}, the child printed:\n{stdout}",
            want.name()
        );
        if asked == "sse9" {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains("is not one of"), "a warning for {asked}: {stderr}");
        }
    }
}

#[test]
fn kernels_built_for_the_cpus_best_level_pass_the_unit_tests() {
    let features = match best_of_cpu() {
        Level::Avx512Vnni => "+avx512f,+avx512vl,+avx512bw,+avx512vnni,+avx2,+fma",
        Level::Avx512 => "+avx512f,+avx512vl,+avx2,+fma",
        Level::Avx2Vnni => "+avx2,+fma,+avxvnni",
        Level::Avx2 => "+avx2,+fma",
        Level::Portable => {
            println!("no AVX2 on this CPU: the portable level is the build's own, tested already");
            return;
        }
    };
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let target = tmp.parent().unwrap_or(&tmp).join("compiled-level");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let started = std::time::Instant::now();
    let out = Command::new(cargo)
        .args(["test", "-p", "staticnn-core", "--lib"])
        .current_dir(&repo)
        .env("CARGO_TARGET_DIR", &target)
        .env("RUSTFLAGS", format!("-C target-feature={features}"))
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("STATICNN_ISA")
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "`cargo test -p staticnn-core --lib` with {features} failed ({}).\n--- stdout ---\n\
         {stdout}\n--- stderr ---\n{stderr}",
        out.status
    );
    // The suite ran tests, and none failed: not only the exit status.
    let results: Vec<&str> =
        stdout.lines().filter(|l| l.starts_with("test result: ok. ")).collect();
    assert!(!results.is_empty(), "no test results");
    assert!(
        results.iter().all(|l| !l.starts_with("test result: ok. 0 passed")),
        "a suite ran no tests: {results:?}"
    );
    println!(
        "cargo test -p staticnn-core --lib ({features}): {} in {:.1} s",
        results.join("; "),
        started.elapsed().as_secs_f64()
    );
}
