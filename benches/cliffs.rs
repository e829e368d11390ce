//! Microbenchmarks of the memory patterns suspected of making DS-CNN three times slower on
//! an Intel core than on the AMD ones it was tuned on (issue 15): each pattern beside a
//! variant without it, on the same data, timed the same way (the fastest of many runs). Run
//! it on the machine in question: `cargo bench --bench cliffs`.
//!
//! 1. **Read-back after overlapping stores.** Before the shifted layout, a convolution whose
//!    output rows are narrower than a vector (DS-CNN's rows of 5) stored each row as a whole
//!    8-lane vector 5 floats after the previous one ("spill" stores), and the epilogue (batch
//!    norm, ReLU) then read the plane back at once, each of its loads overlapping two stores
//!    still in flight: loads a store buffer cannot forward from. Compared with 8-lane stores
//!    8 floats apart, read back the same way.
//! 2. **Read-back after masked stores** (the commit before the spill stores): 5-lane
//!    `vmaskmovps` stores 5 floats apart, then the same read.
//! 3. **A panel read just after it is written.** The depthwise layers built each channel's
//!    padded panel with row copies of 5 floats (a 16-byte and a 4-byte store) and read it at
//!    once with 8-lane loads. Compared with reading a panel written earlier (the other half
//!    of a double buffer).
//! 4. **4K aliasing.** A loop that loads from one buffer and stores into another whose
//!    addresses agree in their low 12 bits (Intel cores then delay the loads behind the
//!    stores), against one 64 bytes off.
//!
//! Each line gives nanoseconds per plane (or per loop) for the pattern and the variant, and
//! their ratio: near 1 means this CPU does not care.

use std::hint::black_box;
use std::time::Instant;

/// Planes per run (DS-CNN has 64 channels).
const PLANES: usize = 64;
/// Floats per plane (25 x 5).
const PLANE: usize = 125;
/// Row length of DS-CNN's planes.
const ROW: usize = 5;

/// The fastest of `reps` runs of `f`, in nanoseconds.
fn fastest(reps: usize, mut f: impl FnMut()) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..reps {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed().as_secs_f64() * 1e9);
    }
    best
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{PLANE, PLANES, ROW};
    use std::arch::x86_64::{
        __m256, _mm256_add_ps, _mm256_cmpgt_epi32, _mm256_loadu_ps, _mm256_maskstore_ps,
        _mm256_max_ps, _mm256_set1_epi32, _mm256_set1_ps, _mm256_setr_epi32, _mm256_storeu_ps,
    };

    /// Reads a plane back as the epilogue does (8-lane loads from its start), applying a
    /// ReLU in place; returns a checksum vector.
    #[target_feature(enable = "avx2,fma")]
    fn read_back(plane: &mut [f32], acc: __m256) -> __m256 {
        let zero = _mm256_set1_ps(0.0);
        let mut acc = acc;
        let (chunks, _) = plane.as_chunks_mut::<8>();
        for c in chunks {
            // SAFETY: `c` is 8 floats.
            let v = _mm256_max_ps(unsafe { _mm256_loadu_ps(c.as_ptr()) }, zero);
            unsafe { _mm256_storeu_ps(c.as_mut_ptr(), v) };
            acc = _mm256_add_ps(acc, v);
        }
        acc
    }

    /// Writes every plane row by row with whole 8-lane vectors 5 floats apart (each spills
    /// into the next row), then reads it back at once.
    #[target_feature(enable = "avx2,fma")]
    pub fn spill_then_read(out: &mut [f32]) -> f32 {
        let mut acc = _mm256_set1_ps(0.0);
        for (p, plane) in out.chunks_exact_mut(PLANE).take(PLANES).enumerate() {
            let v = _mm256_set1_ps(p as f32);
            for row in 0..PLANE / ROW - 1 {
                // SAFETY: `row * ROW + 8 <= PLANE` for rows before the last.
                unsafe { _mm256_storeu_ps(plane.as_mut_ptr().add(row * ROW), v) };
            }
            plane[PLANE - ROW..].fill(p as f32);
            acc = read_back(plane, acc);
        }
        sum(acc)
    }

    /// Writes every plane with 8-lane vectors 8 floats apart, then reads it back at once.
    #[target_feature(enable = "avx2,fma")]
    pub fn aligned_then_read(out: &mut [f32]) -> f32 {
        let mut acc = _mm256_set1_ps(0.0);
        for (p, plane) in out.chunks_exact_mut(PLANE).take(PLANES).enumerate() {
            let v = _mm256_set1_ps(p as f32);
            let (chunks, tail) = plane.as_chunks_mut::<8>();
            for c in chunks {
                // SAFETY: `c` is 8 floats.
                unsafe { _mm256_storeu_ps(c.as_mut_ptr(), v) };
            }
            tail.fill(p as f32);
            acc = read_back(plane, acc);
        }
        sum(acc)
    }

    /// Writes every plane row by row with 5-lane masked stores, then reads it back at once.
    #[target_feature(enable = "avx2,fma")]
    pub fn masked_then_read(out: &mut [f32]) -> f32 {
        let mask = _mm256_cmpgt_epi32(
            _mm256_set1_epi32(ROW as i32),
            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
        );
        let mut acc = _mm256_set1_ps(0.0);
        for (p, plane) in out.chunks_exact_mut(PLANE).take(PLANES).enumerate() {
            let v = _mm256_set1_ps(p as f32);
            for row in 0..PLANE / ROW {
                // SAFETY: the mask writes lanes 0..5 only, inside the plane.
                unsafe { _mm256_maskstore_ps(plane.as_mut_ptr().add(row * ROW), mask, v) };
            }
            acc = read_back(plane, acc);
        }
        sum(acc)
    }

    /// Builds a padded panel (rows of 8: a zero, 5 inputs, zeros) of each channel with row
    /// copies of 5 floats into `panel`, then reads it with 8-lane loads.
    #[target_feature(enable = "avx2,fma")]
    pub fn build_then_read(input: &[f32], panel: &mut [f32], later: bool) -> f32 {
        const PR: usize = PLANE / ROW + 2; // padded rows
        let mut acc = _mm256_set1_ps(0.0);
        // With `later`, the panel of channel c + 1 is written while channel c's (written one
        // step before) is read.
        let (a, b) = panel.split_at_mut(PR * 8);
        let mut bufs = [a, b];
        let build = |buf: &mut [f32], x: &[f32]| {
            for (r, row) in x.chunks_exact(ROW).enumerate() {
                buf[(r + 1) * 8 + 1..(r + 1) * 8 + 1 + ROW].copy_from_slice(row);
            }
        };
        let read = |buf: &[f32], acc: __m256| {
            let mut acc = acc;
            for r in 0..PR - 2 {
                for k in 0..3 {
                    // SAFETY: `(r + k) * 8 + 8 <= PR * 8`.
                    acc = unsafe {
                        _mm256_add_ps(acc, _mm256_loadu_ps(buf.as_ptr().add((r + k) * 8)))
                    };
                }
            }
            acc
        };
        let channels: Vec<&[f32]> = input.chunks_exact(PLANE).take(PLANES).collect();
        for (c, x) in channels.iter().enumerate() {
            if later {
                let [cur, next] = &mut bufs;
                let (cur, next) = if c % 2 == 0 { (cur, next) } else { (next, cur) };
                if c == 0 {
                    build(cur, x);
                }
                if let Some(nx) = channels.get(c + 1) {
                    build(next, nx);
                }
                acc = read(cur, acc);
            } else {
                build(bufs[0], x);
                acc = read(bufs[0], acc);
            }
        }
        sum(acc)
    }

    /// `dst[i] = max(src[i], 0)` for a plane's worth of vectors, 8 lanes at a time, many times.
    #[target_feature(enable = "avx2,fma")]
    pub fn copy_loop(src: *const f32, dst: *mut f32, floats: usize) -> f32 {
        let zero = _mm256_set1_ps(0.0);
        for _ in 0..16 {
            for i in (0..floats).step_by(8) {
                // SAFETY: the caller gives `floats` readable and writable floats.
                unsafe {
                    let v = _mm256_max_ps(_mm256_loadu_ps(src.add(i)), zero);
                    _mm256_storeu_ps(dst.add(i), v);
                }
            }
        }
        // SAFETY: as above.
        unsafe { *dst }
    }

    #[target_feature(enable = "avx2,fma")]
    fn sum(v: __m256) -> f32 {
        let mut a = [0.0f32; 8];
        // SAFETY: `a` is 8 floats.
        unsafe { _mm256_storeu_ps(a.as_mut_ptr(), v) };
        a.iter().sum()
    }
}

fn main() {
    #[cfg(target_arch = "x86_64")]
    {
        if !(is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")) {
            println!("no AVX2 + FMA on this CPU: nothing to measure");
            return;
        }
        let reps = 3000;
        let mut out = vec![0.0f32; PLANES * PLANE + 8];
        let input: Vec<f32> = (0..PLANES * PLANE).map(|i| (i % 13) as f32 - 6.0).collect();
        let mut panel = vec![0.0f32; 2 * (PLANE / ROW + 2) * 8];
        let per_plane = |ns: f64| ns / PLANES as f64;
        let line = |what: &str, pattern: f64, variant: f64| {
            println!(
                "{what:<58} {:>8.1} ns {:>8.1} ns   x{:.2}",
                pattern,
                variant,
                pattern / variant
            );
        };
        println!("{:<58} {:>11} {:>11}   ratio", "per plane of 125 floats", "pattern", "variant");
        // SAFETY (all calls below): AVX2 and FMA were detected above.
        let spill = fastest(reps, || {
            black_box(unsafe { x86::spill_then_read(black_box(&mut out)) });
        });
        let aligned = fastest(reps, || {
            black_box(unsafe { x86::aligned_then_read(black_box(&mut out)) });
        });
        let masked = fastest(reps, || {
            black_box(unsafe { x86::masked_then_read(black_box(&mut out)) });
        });
        line(
            "1. spill stores, read back / aligned stores, read back",
            per_plane(spill),
            per_plane(aligned),
        );
        line(
            "2. masked stores, read back / aligned stores, read back",
            per_plane(masked),
            per_plane(aligned),
        );
        let now = fastest(reps, || {
            black_box(unsafe { x86::build_then_read(black_box(&input), &mut panel, false) });
        });
        let later = fastest(reps, || {
            black_box(unsafe { x86::build_then_read(black_box(&input), &mut panel, true) });
        });
        line(
            "3. panel read just after it is built / one channel later",
            per_plane(now),
            per_plane(later),
        );
        // 4K aliasing: the destination 4096 bytes (1024 floats) after the source, or 64 more.
        let floats = 1024;
        let mut buf = vec![0.0f32; 4 * 4096];
        let base = buf.as_mut_ptr().align_offset(4096);
        let run = |offset: usize, buf: &mut [f32]| {
            let src = buf[base..].as_ptr();
            let dst = buf[base + 1024 + offset..].as_mut_ptr();
            fastest(reps, || {
                black_box(unsafe { x86::copy_loop(src, dst, floats) });
            })
        };
        let aliased = run(0, &mut buf);
        let apart = run(16, &mut buf);
        line("4. load/store 4 KiB apart / 4 KiB + 64 B apart (16 x 4 KB)", aliased, apart);
    }
}
