//! The innermost loop of the convolutions and the linear layer: dot products of `i8` rows,
//! several at once. This is the code that SIMD variants (AVX2 `vpmaddwd`, AVX-512 VNNI
//! `vpdpbusd`) and Cortex-M DSP variants (`smlad` on `sxtb16`-widened pairs) replace: its
//! contract is only "`R x P` dot products of `len` `i8`s, summed in `i32` modulo `2^32`".
//!
//! The portable version works in steps of [`STEP`] elements, each `(row, column)` pair keeping
//! `STEP` partial sums, so that the compiler maps a step to vector instructions where the
//! target has them.

/// Elements per step: 16 (one 128-bit vector of bytes) where the target has vector registers,
/// 2 elsewhere (a pair of products per step, as `smlad` computes).
pub const STEP: usize = if cfg!(any(
    target_arch = "x86_64",
    target_arch = "x86",
    target_arch = "aarch64",
    target_feature = "simd128"
)) {
    16
} else {
    2
};

/// `STEP` consecutive elements of `s` starting at `at` (zeros if `s` is too short, which the
/// callers rule out).
#[inline(always)]
fn step_at(s: &[i8], at: usize) -> [i8; STEP] {
    match s.get(at..at + STEP) {
        Some(c) => core::array::from_fn(|i| c.get(i).copied().unwrap_or(0)),
        None => [0; STEP],
    }
}

/// The elements of `s` from `at` on (fewer than `STEP`: the last, partial step of a dot
/// product), zeros after them.
#[inline(always)]
fn last_step(s: &[i8], at: usize) -> [i8; STEP] {
    let mut step = [0; STEP];
    for (d, &v) in step.iter_mut().zip(s.get(at..).unwrap_or(&[])) {
        *d = v;
    }
    step
}

/// Adds one step of every `(row, column)` pair to its partial sums.
#[inline(always)]
fn accumulate<const R: usize, const P: usize>(
    acc: &mut [[[i32; STEP]; P]; R],
    w: &[[i8; STEP]; R],
    x: &[[i8; STEP]; P],
) {
    for (acc_r, w_r) in acc.iter_mut().zip(w) {
        for (acc_rp, x_p) in acc_r.iter_mut().zip(x) {
            for ((a, &wv), &xv) in acc_rp.iter_mut().zip(w_r).zip(x_p) {
                *a = a.wrapping_add(i32::from(wv) * i32::from(xv));
            }
        }
    }
}

/// The `R x P` dot products `Σ_k rows[r][k] * cols[p][k]` over `k < len`, in `i32` (wrapping).
/// Every row and column must hold at least `len` elements; if one does not, all results are 0.
/// Each loaded row step is used `P` times and each column step `R` times: a register block.
#[inline(always)]
#[must_use]
pub fn dot_block<const R: usize, const P: usize>(
    rows: [&[i8]; R],
    cols: [&[i8]; P],
    len: usize,
) -> [[i32; P]; R] {
    let mut out = [[0i32; P]; R];
    if rows.iter().any(|r| r.len() < len) || cols.iter().any(|c| c.len() < len) {
        return out;
    }
    // Exactly `len` long from here on, which lets the compiler drop the per-step checks.
    let rows = rows.map(|r| r.get(..len).unwrap_or(&[]));
    let cols = cols.map(|c| c.get(..len).unwrap_or(&[]));
    let mut acc = [[[0i32; STEP]; P]; R];
    let full = len / STEP;
    for s in 0..full {
        let at = s * STEP;
        let w: [[i8; STEP]; R] = core::array::from_fn(|r| step_at(rows[r], at));
        let x: [[i8; STEP]; P] = core::array::from_fn(|p| step_at(cols[p], at));
        accumulate(&mut acc, &w, &x);
    }
    if full * STEP < len {
        // The partial last step, zero-padded: the missing elements add nothing.
        let at = full * STEP;
        let w: [[i8; STEP]; R] = core::array::from_fn(|r| last_step(rows[r], at));
        let x: [[i8; STEP]; P] = core::array::from_fn(|p| last_step(cols[p], at));
        accumulate(&mut acc, &w, &x);
    }
    for (out_r, acc_r) in out.iter_mut().zip(&acc) {
        for (o, acc_rp) in out_r.iter_mut().zip(acc_r) {
            *o = acc_rp.iter().fold(0i32, |s, &a| s.wrapping_add(a));
        }
    }
    out
}

/// The `R` dot products `Σ_k rows[r][k] * x[k]` and the `R` row sums `Σ_k rows[r][k]` over
/// `k < len`, in one pass over the rows (for a linear layer, whose weights are read once per
/// inference: [`weight_sum`] in a pass of its own would double the reads). All zeros if a
/// slice is shorter than `len`.
#[inline(always)]
#[must_use]
pub fn dot_rows_and_sums<const R: usize>(
    rows: [&[i8]; R],
    x: &[i8],
    len: usize,
) -> ([i32; R], [i32; R]) {
    if super::dsp::TARGET {
        return dot_rows_and_sums_pairs(rows, x, len);
    }
    let mut dots = [0i32; R];
    let mut sums = [0i32; R];
    if rows.iter().any(|r| r.len() < len) || x.len() < len {
        return (dots, sums);
    }
    let rows = rows.map(|r| r.get(..len).unwrap_or(&[]));
    let x = x.get(..len).unwrap_or(&[]);
    let mut acc = [[0i32; STEP]; R];
    let mut acc_sum = [[0i32; STEP]; R];
    let mut step = |w: [[i8; STEP]; R], xv: [i8; STEP]| {
        for ((acc_r, sum_r), w_r) in acc.iter_mut().zip(acc_sum.iter_mut()).zip(&w) {
            for ((a, t), (&wv, &v)) in
                acc_r.iter_mut().zip(sum_r.iter_mut()).zip(w_r.iter().zip(&xv))
            {
                *a = a.wrapping_add(i32::from(wv) * i32::from(v));
                *t = t.wrapping_add(i32::from(wv));
            }
        }
    };
    let full = len / STEP;
    for s in 0..full {
        let at = s * STEP;
        step(core::array::from_fn(|r| step_at(rows[r], at)), step_at(x, at));
    }
    if full * STEP < len {
        let at = full * STEP;
        let w = core::array::from_fn(|r| last_step(rows[r], at));
        step(w, last_step(x.get(..len).unwrap_or(&[]), at));
    }
    for (r, (d, t)) in dots.iter_mut().zip(sums.iter_mut()).enumerate() {
        *d = acc[r].iter().fold(0i32, |s, &a| s.wrapping_add(a));
        *t = acc_sum[r].iter().fold(0i32, |s, &a| s.wrapping_add(a));
    }
    (dots, sums)
}

/// [`dot_rows_and_sums`] as the DSP extension computes it (what it runs on Cortex-M4/M7/M33;
/// elsewhere the same arithmetic with [`dsp`](super::dsp)'s portable twins, for the tests):
/// four elements per step read as one word, widened to the pairs `(e0, e2)` and `(e1, e3)` by
/// `SXTB16`, two `SMLAD`s per row for the dot product and two against `(1, 1)` for the sum.
#[inline(always)]
#[must_use]
pub fn dot_rows_and_sums_pairs<const R: usize>(
    rows: [&[i8]; R],
    x: &[i8],
    len: usize,
) -> ([i32; R], [i32; R]) {
    use super::dsp::{smlad, sxtb16, sxtb16_ror8};
    const ONES: u32 = 0x0001_0001;
    let mut dots = [0i32; R];
    let mut sums = [0i32; R];
    if rows.iter().any(|r| r.len() < len) || x.len() < len {
        return (dots, sums);
    }
    let word = |s: &[i8], at: usize| -> u32 {
        s.get(at..at + 4)
            .map_or(0, |b| u32::from_le_bytes([b[0] as u8, b[1] as u8, b[2] as u8, b[3] as u8]))
    };
    let full = len / 4;
    for k in 0..full {
        let at = k * 4;
        let xv = word(x, at);
        let (xa, xb) = (sxtb16(xv), sxtb16_ror8(xv));
        for ((d, t), row) in dots.iter_mut().zip(sums.iter_mut()).zip(&rows) {
            let wv = word(row, at);
            let (wa, wb) = (sxtb16(wv), sxtb16_ror8(wv));
            *d = smlad(wb, xb, smlad(wa, xa, *d));
            *t = smlad(wb, ONES, smlad(wa, ONES, *t));
        }
    }
    for k in full * 4..len {
        let xv = i32::from(x.get(k).copied().unwrap_or(0));
        for ((d, t), row) in dots.iter_mut().zip(sums.iter_mut()).zip(&rows) {
            let wv = i32::from(row.get(k).copied().unwrap_or(0));
            *d = d.wrapping_add(wv * xv);
            *t = t.wrapping_add(wv);
        }
    }
    (dots, sums)
}

/// `Σ_k w[k]` over `k < len` (0 if `w` is shorter): the weight sum that turns a dot product
/// with raw inputs into one with `x - zero_point` (`Σ w (x - z) = Σ w x - z Σ w`, exact modulo
/// `2^32`).
#[inline]
#[must_use]
pub fn weight_sum(w: &[i8], len: usize) -> i32 {
    w.get(..len).unwrap_or(&[]).iter().fold(0i32, |s, &v| s.wrapping_add(i32::from(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_match_the_definition_for_every_tail_length() {
        let w: [i8; 2 * 53] = core::array::from_fn(|i| (i as i32 * 37 % 255 - 127) as i8);
        let x: [i8; 3 * 53] = core::array::from_fn(|i| (i as i32 * 91 % 256 - 128) as i8);
        for len in 0..=53 {
            let rows = [&w[..53], &w[53..]];
            let cols = [&x[..53], &x[53..106], &x[106..]];
            let got = dot_block::<2, 3>(rows, cols, len);
            for r in 0..2 {
                for p in 0..3 {
                    let want: i32 =
                        (0..len).map(|k| i32::from(rows[r][k]) * i32::from(cols[p][k])).sum();
                    assert_eq!(got[r][p], want, "len {len}, row {r}, column {p}");
                }
            }
        }
    }

    #[test]
    fn rows_and_sums_match_the_definition() {
        let w: [i8; 3 * 41] = core::array::from_fn(|i| (i as i32 * 53 % 255 - 127) as i8);
        let x: [i8; 41] = core::array::from_fn(|i| (i as i32 * 29 % 256 - 128) as i8);
        for len in 0..=41 {
            let rows = [&w[..41], &w[41..82], &w[82..]];
            let (dots, sums) = dot_rows_and_sums::<3>(rows, &x, len);
            for r in 0..3 {
                let dot: i32 = (0..len).map(|k| i32::from(rows[r][k]) * i32::from(x[k])).sum();
                assert_eq!(dots[r], dot, "len {len}, row {r}");
                assert_eq!(sums[r], weight_sum(rows[r], len), "len {len}, row {r}");
            }
        }
        assert_eq!(dot_rows_and_sums::<1>([&w[..3]], &x, 4), ([0], [0]));
    }

    #[test]
    fn pairs_match_the_definition_for_every_tail_length() {
        let w: [i8; 3 * 41] = core::array::from_fn(|i| (i as i32 * 53 % 255 - 127) as i8);
        let mut x: [i8; 41] = core::array::from_fn(|i| (i as i32 * 29 % 256 - 128) as i8);
        x[0] = -128;
        for len in 0..=41 {
            let rows = [&w[..41], &w[41..82], &w[82..]];
            let (dots, sums) = dot_rows_and_sums_pairs::<3>(rows, &x, len);
            for r in 0..3 {
                let dot: i32 = (0..len).map(|k| i32::from(rows[r][k]) * i32::from(x[k])).sum();
                assert_eq!(dots[r], dot, "len {len}, row {r}");
                assert_eq!(sums[r], weight_sum(rows[r], len), "len {len}, row {r}");
            }
        }
        assert_eq!(dot_rows_and_sums_pairs::<1>([&w[..3]], &x, 4), ([0], [0]));
        let (low, high) = ([-128i8; 1024], [127i8; 1024]);
        let (dots, sums) = dot_rows_and_sums_pairs::<2>([&low, &high], &low, 1024);
        assert_eq!(dots, [1024 * 16384, -1024 * 16256]);
        assert_eq!(sums, [-1024 * 128, 1024 * 127]);
    }

    #[test]
    fn short_slices_give_zeros_not_a_panic() {
        let a = [1i8; 10];
        assert_eq!(dot_block::<1, 2>([&a], [&a, &a[..5]], 10), [[0, 0]]);
        assert_eq!(dot_block::<1, 1>([&a], [&a], 10), [[10]]);
        assert_eq!(weight_sum(&a, 11), 0);
        assert_eq!(weight_sum(&[-128, 127, -1], 3), -2);
    }

    #[test]
    fn extreme_values_accumulate_exactly() {
        let w = [-128i8; 300];
        let x = [-128i8; 300];
        assert_eq!(dot_block::<1, 1>([&w], [&x], 300), [[300 * 16384]]);
        let y = [127i8; 300];
        assert_eq!(dot_block::<1, 1>([&w], [&y], 300), [[-300 * 16256]]);
    }
}
