//! The int8 linear layer's dot products on Cortex-M cores with the DSP extension (M4, M7, M33):
//! four output rows at a time, each input word widened once and used by the four rows, the
//! zero point taken out of the inputs as they are widened (so no weight sums are needed).
//!
//! Per four inputs: one `ldr` and two `sxtab16` for the inputs (`(x0 - z, x2 - z)` and
//! `(x1 - z, x3 - z)`), and per row one `ldr`, two `sxtb16` and two `smlad`, so 23 instructions
//! per 16 MACs, plus the loop's two per 32 MACs: 1.5 per MAC. The weights are read once per inference, so
//! each needs its own widening (half an instruction per MAC) and multiply (half): one
//! instruction per MAC before any load is the floor of any int8 linear layer on an M4 whose
//! weights stay 8-bit in flash.
//!
//! The sums are `Σ w (x - z)` in `i32`, wrapping: the same value modulo `2^32` as the portable
//! path's `Σ w x - z Σ w` (and `x - z` fits a 16-bit lane: it is in `[-255, 255]`), so the
//! results are the same bits.

/// The `R` sums `Σ_k rows[r][k] * (x[k] - zero_point)` over `k < len`, in `i32` (wrapping).
/// All zeros if a slice is shorter than `len`. With `R == 4` on a DSP target the whole words
/// run in one assembly block (`dots4`); otherwise (and for the last `len % 4` inputs) plain
/// integer code.
#[inline(always)]
#[must_use]
pub fn dots_minus_zero_point<const R: usize>(
    rows: [&[i8]; R],
    x: &[i8],
    len: usize,
    zero_point: i32,
) -> [i32; R] {
    let mut acc = [0i32; R];
    if rows.iter().any(|r| r.len() < len) || x.len() < len {
        return acc;
    }
    // Inputs done by the assembly block.
    #[cfg(not(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass")))]
    let done = 0;
    #[cfg(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass"))]
    let mut done = 0;
    #[cfg(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass"))]
    if R == 4 && len >= 8 {
        // Two words per iteration of the block; an odd last word goes to the loop below.
        let words = len / 8 * 2;
        let at = |r: usize| rows.get(r).map_or(0, |s| s.as_ptr() as usize);
        let stride = at(1).wrapping_sub(at(0));
        // The block addresses rows 1 to 3 from row 0 with one stride (a linear layer's rows
        // are `in_features` apart); other rows take the portable loop.
        if at(2).wrapping_sub(at(1)) == stride && at(3).wrapping_sub(at(2)) == stride {
            if let Some(r0) = rows.first() {
                // SAFETY: each row holds at least `len` elements (checked above), as does
                // `x`; `dots4` reads `words * 4 <= len` bytes from `x` and from `r0 + r *
                // stride`, which are rows 1 to 3 (checked just above).
                let four = unsafe { dots4(r0.as_ptr(), stride, x.as_ptr(), words, zero_point) };
                for (a, f) in acc.iter_mut().zip(four) {
                    *a = f;
                }
                done = words * 4;
            }
        }
    }
    let x = x.get(..len).unwrap_or(&[]);
    for (a, row) in acc.iter_mut().zip(&rows) {
        let row = row.get(..len).unwrap_or(&[]);
        for (&w, &v) in row.iter().zip(x).skip(done) {
            *a = a.wrapping_add(i32::from(w) * (i32::from(v) - zero_point));
        }
    }
    acc
}

/// The assembly block of [`dots_minus_zero_point`] for the four rows at `w`, `w + stride`,
/// `w + 2 * stride` and `w + 3 * stride` (bytes; any distance, two's complement): `words`
/// steps of four inputs, two per iteration. All 14 general registers but `sp` and `pc` are in
/// use.
///
/// # Safety
/// `words >= 2` and even; `x` and every row readable for `4 * words` bytes.
#[cfg(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass"))]
#[inline(always)]
unsafe fn dots4(
    w: *const i8,
    stride: usize,
    x: *const i8,
    words: usize,
    zero_point: i32,
) -> [i32; 4] {
    let (mut a0, mut a1, mut a2, mut a3) = (0i32, 0i32, 0i32, 0i32);
    // (-z, -z): `sxtab16` adds it to both sign-extended bytes.
    let offset = super::dsp::pair(-zero_point, -zero_point);
    // SAFETY: the caller guarantees the reads; the block restores r6 and r7, which it saves
    // on the stack, and leaves the stack pointer as it found it.
    unsafe {
        core::arch::asm!(
            "push {{r6, r7}}",
            "add r7, r5, r8, lsl #1",
            "2:",
            ".rept 2",
            "ldr r12, [r4], #4",
            "sxtab16 r11, r10, r12",
            "sxtab16 r12, r10, r12, ror #8",
            "ldr lr, [r5, r8]",
            "sxtb16 r6, lr",
            "sxtb16 lr, lr, ror #8",
            "smlad r1, r6, r11, r1",
            "smlad r1, lr, r12, r1",
            "ldr lr, [r5], #4",
            "sxtb16 r6, lr",
            "sxtb16 lr, lr, ror #8",
            "smlad r0, r6, r11, r0",
            "smlad r0, lr, r12, r0",
            "ldr lr, [r7, r8]",
            "sxtb16 r6, lr",
            "sxtb16 lr, lr, ror #8",
            "smlad r3, r6, r11, r3",
            "smlad r3, lr, r12, r3",
            "ldr lr, [r7], #4",
            "sxtb16 r6, lr",
            "sxtb16 lr, lr, ror #8",
            "smlad r2, r6, r11, r2",
            "smlad r2, lr, r12, r2",
            ".endr",
            "subs r9, r9, #1",
            "bne 2b",
            "pop {{r6, r7}}",
            inout("r0") a0,
            inout("r1") a1,
            inout("r2") a2,
            inout("r3") a3,
            inout("r4") x => _,
            inout("r5") w => _,
            in("r8") stride,
            inout("r9") words / 2 => _,
            in("r10") offset,
            out("r11") _,
            out("r12") _,
            out("lr") _,
            options(readonly),
        );
    }
    [a0, a1, a2, a3]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_match_the_definition_for_every_length_and_zero_point() {
        let w: [i8; 4 * 37] = core::array::from_fn(|i| (i as i32 * 53 % 255 - 127) as i8);
        let mut x: [i8; 37] = core::array::from_fn(|i| (i as i32 * 29 % 256 - 128) as i8);
        x[1] = 127;
        for z in [-128, -5, 0, 17, 127] {
            for len in 0..=37 {
                let rows = [&w[..37], &w[37..74], &w[74..111], &w[111..]];
                let got = dots_minus_zero_point::<4>(rows, &x, len, z);
                let one = dots_minus_zero_point::<1>([rows[2]], &x, len, z);
                for r in 0..4 {
                    let want: i32 =
                        (0..len).map(|k| i32::from(rows[r][k]) * (i32::from(x[k]) - z)).sum();
                    assert_eq!(got[r], want, "len {len}, row {r}, zero point {z}");
                }
                assert_eq!(one[0], got[2]);
            }
        }
        assert_eq!(dots_minus_zero_point::<1>([&w[..3]], &x, 4, 0), [0]);
    }
}
