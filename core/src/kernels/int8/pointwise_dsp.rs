//! 1x1 convolution with stride 1 and no padding on cores with the DSP extension (Cortex-M4,
//! M7, M33): a matrix product over the flattened plane, every multiply-accumulate pair one
//! `SMLAD` on operands widened to 16 bits once.
//!
//! - A *tile* of pixels of the flattened plane (as many as fit [`BAND_BUDGET`]) is copied into
//!   the workspace as a *band*: per pixel its `C_in` values `x - input_zero_point` as `i16`,
//!   channels innermost, in each group of four channels the order `c0, c2, c1, c3` (one word
//!   of four pixels of a channel, `SXTAB16`-widened, gives two pixels' values at once).
//! - For each pair of output channels the weights are widened once per tile: per group of
//!   four, one word of the weight row gives the pairs `(w0, w2)` and `(w1, w3)` (`SXTB16`,
//!   `SXTB16 ROR #8`), which is the band's order; the two rows interleaved step by step.
//! - One `asm!` loop runs the tile's 2 x 2 blocks (2 output channels x 2 pixels, 4
//!   accumulators): per step of 4 input channels one `LDM` of the 4 weight pairs, one `LDRD`
//!   of each pixel's 2 input pairs and 8 `SMLAD`s, 11 instructions for 16 MACs, all steps
//!   unrolled; then 7 instructions per block to store its sums and move on. Pixels are paired
//!   along the flattened plane, so only an odd plane computes one pixel more than it keeps.
//! - The sums are requantized one channel at a time. A channel whose requantization shifts
//!   right and not left (the usual case) has its weights and bias doubled, so that
//!   [`RightShift::apply_doubled`] needs four instructions per output (five with the store;
//!   [`RightShift::write_doubled_pairs`] when the activation clamps nothing); the others take
//!   the general [`OutputStage::apply`]. Either way the output is [`Requant::output`]'s, the
//!   portable kernels' bits.
//!
//! On other targets the same code runs with portable twins of the `asm!` loops, so the tests
//! check the layout on any host; the dispatching [`conv`](super::conv::conv) takes this path
//! on DSP targets only.

use super::conv::conv_args_fit;
use super::dsp::{pair, sadd16, sxtab16, sxtab16_ror8, sxtb16, sxtb16_ror8};
use super::output_stage::{OutputStage, RightShift, accumulator_bound};
use super::workspace::{halfwords, words};
use super::{Requant, clamp_to};
use crate::kernels::conv::ConvGeometry;

/// Bytes of workspace a band may take.
pub const BAND_BUDGET: usize = 12 * 1024;

/// Input channels per step of the block (two `i16` pairs).
const STEP: usize = 4;

/// The most input channels the block takes (its steps are unrolled; the second pixel's
/// `LDRD` offset, `2 C_in` bytes, stays within 1020).
const MAX_CHANNELS: usize = 256;

/// Whether [`conv_pointwise_dsp`] handles `G`: a pointwise convolution
/// ([`pointwise::supports`](super::pointwise::supports)) with a multiple of 4 input channels
/// up to 256 and an even number of output channels.
#[must_use]
pub const fn supports<G: ConvGeometry>() -> bool {
    super::pointwise::supports::<G>()
        && G::C_IN > 0
        && G::C_IN % STEP == 0
        && G::C_IN <= MAX_CHANNELS
        && G::C_OUT > 0
        && G::C_OUT % 2 == 0
        && G::OUT_PLANE > 0
}

/// Pixels per tile: even, at least 2, a band within [`BAND_BUDGET`] when 2 pixels fit it.
#[must_use]
pub const fn tile_pixels<G: ConvGeometry>() -> usize {
    let per_pixel = if G::C_IN > 0 { G::C_IN * 2 } else { 1 };
    let fit = BAND_BUDGET / per_pixel / 2 * 2;
    let fit = if fit < 2 { 2 } else { fit };
    let all = G::OUT_PLANE.div_ceil(2) * 2;
    if all < fit { all } else { fit }
}

/// `i16` values of a band.
const fn band_values<G: ConvGeometry>() -> usize {
    tile_pixels::<G>() * G::C_IN
}

/// Words of the weight buffer: two rows of `C_in` `i16` values.
const fn weight_words<G: ConvGeometry>() -> usize {
    G::C_IN
}

/// Words of the accumulator buffer: 4 per pair of pixels of a tile.
const fn sum_words<G: ConvGeometry>() -> usize {
    tile_pixels::<G>() * 2
}

/// Bytes of workspace [`conv_pointwise_dsp`] needs for `G` (0 if it does not handle `G`):
/// the weight buffer, the accumulators of a tile's blocks, a band, and 3 bytes to align them.
#[must_use]
pub const fn workspace_len<G: ConvGeometry>() -> usize {
    if supports::<G>() {
        3 + (weight_words::<G>() + sum_words::<G>()) * 4 + band_values::<G>() * 2
    } else {
        0
    }
}

/// Pointwise convolution (see the [module](self) docs): the result of
/// [`conv`](super::conv::conv), CMSIS-NN's bits. `workspace` holds [`workspace_len`] bytes.
/// Writes nothing unless [`supports`] holds and the slices fit.
#[inline(never)]
pub fn conv_pointwise_dsp<G: ConvGeometry>(
    input: &[i8],
    weight: &[i8],
    bias: Option<&[i32]>,
    requant: &Requant<'_>,
    output: &mut [i8],
    workspace: &mut [i8],
) {
    if !supports::<G>() || !conv_args_fit::<G>(input, weight, bias, requant, output) {
        return;
    }
    let Some(workspace) = workspace.get_mut(..workspace_len::<G>()) else { return };
    let words = words(workspace);
    if words.len() < weight_words::<G>() + sum_words::<G>() + band_values::<G>() / 2 {
        return;
    }
    let (wbuf, rest) = words.split_at_mut(weight_words::<G>());
    let (sums, band) = rest.split_at_mut(sum_words::<G>());
    let band = halfwords(band);
    let Some(band) = band.get_mut(..band_values::<G>()) else { return };
    let plane = G::OUT_PLANE;
    let tile = tile_pixels::<G>();
    let mut p0 = 0;
    while p0 < plane {
        let n = if plane - p0 < tile { plane - p0 } else { tile };
        fill_band::<G>(input, requant.input_zero_point, [p0, n], band);
        let planes = output.chunks_exact_mut(2 * plane).take(G::C_OUT / 2);
        for (q, planes) in planes.enumerate() {
            let o = 2 * q;
            let (y0, y1) = planes.split_at_mut(plane);
            let (Some(y0), Some(y1)) = (y0.get_mut(p0..p0 + n), y1.get_mut(p0..p0 + n)) else {
                return;
            };
            channel_pair::<G>(weight, bias, requant, o, (band, wbuf, &mut *sums), [y0, y1]);
        }
        p0 += n;
    }
}

/// Copies pixels `p0..p0 + n` of every input channel into `band`: value `c` of pixel `i` at
/// `i * C_in + slot(c)` is `x[c][p0 + i] - zero_point`. Four pixels of a channel at a time:
/// one word, widened by `SXTAB16` (which takes the zero point out) into two pairs.
#[inline(always)]
fn fill_band<G: ConvGeometry>(
    input: &[i8],
    zero_point: i32,
    [p0, n]: [usize; 2],
    band: &mut [u16],
) {
    let c_in = G::C_IN;
    let offset = pair(zero_point.wrapping_neg(), zero_point.wrapping_neg());
    for (c, x) in input.chunks_exact(G::IN_PLANE).take(c_in).enumerate() {
        // Within a group of four: c0, c2, c1, c3.
        let slot = (c & !3) | [0, 2, 1, 3][c & 3];
        let Some(src) = x.get(p0..p0 + n) else { return };
        if slot >= c_in {
            return;
        }
        let mut quads = src.chunks_exact(4);
        for (px, q) in band.chunks_exact_mut(4 * c_in).zip(&mut quads) {
            let word = u32::from_le_bytes([q[0] as u8, q[1] as u8, q[2] as u8, q[3] as u8]);
            let (e, o) = (sxtab16(offset, word), sxtab16_ror8(offset, word));
            px[slot] = e as u16;
            px[c_in + slot] = o as u16;
            px[2 * c_in + slot] = (e >> 16) as u16;
            px[3 * c_in + slot] = (o >> 16) as u16;
        }
        let done = n - quads.remainder().len();
        for (i, &v) in quads.remainder().iter().enumerate() {
            if let Some(d) = band.get_mut((done + i) * c_in + slot) {
                *d = (i32::from(v) - zero_point) as u16;
            }
        }
    }
}

/// Widens the weight rows of output channels `o` and `o + 1` into `wbuf`: per step `s`, words
/// `[row 0: (w0, w2), (w1, w3)][row 1: the same]` of input channels `4s..4s + 4`, doubled for
/// a row whose `double` is set.
#[inline(always)]
fn widen_weights<G: ConvGeometry>(weight: &[i8], o: usize, double: [bool; 2], wbuf: &mut [u32]) {
    let c_in = G::C_IN;
    for (r, &twice) in double.iter().enumerate() {
        let Some(row) = weight.get((o + r) * c_in..(o + r + 1) * c_in) else { return };
        let steps = wbuf.chunks_exact_mut(STEP).zip(row.chunks_exact(STEP));
        for (dst, w) in steps {
            let x = u32::from_le_bytes([w[0] as u8, w[1] as u8, w[2] as u8, w[3] as u8]);
            let (a, b) = (sxtb16(x), sxtb16_ror8(x));
            let (a, b) = if twice { (sadd16(a, a), sadd16(b, b)) } else { (a, b) };
            if let Some(d) = dst.get_mut(2 * r..2 * r + 2) {
                d[0] = a;
                d[1] = b;
            }
        }
    }
}

/// The outputs of channels `o` and `o + 1` for the band's pixels, written to `y[0]` and
/// `y[1]`, requantized in the fewest instructions their parameters allow (`buffers`: the
/// band, the widened weights, the accumulators).
#[inline(always)]
fn channel_pair<G: ConvGeometry>(
    weight: &[i8],
    bias: Option<&[i32]>,
    requant: &Requant<'_>,
    o: usize,
    (band, wbuf, sums): (&[u16], &mut [u32], &mut [u32]),
    y: [&mut [i8]; 2],
) {
    let bias = [0, 1].map(|r| bias.and_then(|b| b.get(o + r)).copied().unwrap_or(0));
    let doubled = |r: usize| RightShift::doubled(requant, o + r, bias[r], G::C_IN);
    let pairs = y[0].len().div_ceil(2);
    let [y0, y1] = y;
    if let (Some(f0), Some(f1)) = (doubled(0), doubled(1)) {
        widen_weights::<G>(weight, o, [true, true], wbuf);
        let start = bias.map(|b| b.wrapping_mul(2));
        tile_sums::<G>(start, band, wbuf, sums, pairs);
        let (min, max) = (requant.act_min, requant.act_max);
        if min == i8::MIN && max == i8::MAX {
            write_full_range::<0>(&f0, sums, y0);
            write_full_range::<1>(&f1, sums, y1);
        } else {
            write_row::<0, _>(sums, y0, |a| clamp_to(f0.apply_doubled(a), min, max));
            write_row::<1, _>(sums, y1, |a| clamp_to(f1.apply_doubled(a), min, max));
        }
    } else {
        let stage =
            [0, 1].map(|r| OutputStage::new(requant, o + r, accumulator_bound(bias[r], G::C_IN)));
        widen_weights::<G>(weight, o, [false, false], wbuf);
        tile_sums::<G>(bias, band, wbuf, sums, pairs);
        write_row::<0, _>(sums, y0, |a| stage[0].apply(a));
        write_row::<1, _>(sums, y1, |a| stage[1].apply(a));
    }
}

/// [`write_row`] for a channel whose requantization takes doubled sums and whose activation
/// clamps nothing: [`RightShift::write_doubled_pairs`], then the odd last pixel.
#[inline(never)]
pub(super) fn write_full_range<const R: usize>(stage: &RightShift, sums: &[u32], y: &mut [i8]) {
    stage.write_doubled_pairs(sums, 2 * R, y);
    let last = 4 * (y.len() / 2) + 2 * R;
    if y.len() % 2 == 1
        && let (Some(v), Some(&acc)) = (y.last_mut(), sums.get(last))
    {
        *v = stage.apply_doubled(acc as i32) as i8;
    }
}

/// Writes `output(acc)` of row `R`'s accumulators of every pair of pixels (`sums`: per pair
/// `[row 0: pixel 0, pixel 1][row 1: the same]`) to `y`, one channel at a time and in a
/// function of its own, so that the requantization's constants stay in registers.
#[inline(never)]
pub(super) fn write_row<const R: usize, F: Fn(i32) -> i8>(sums: &[u32], y: &mut [i8], output: F) {
    let mut pairs = y.chunks_exact_mut(2);
    let mut accs = sums.chunks_exact(4);
    for (ys, acc) in (&mut pairs).zip(&mut accs) {
        ys[0] = output(acc[2 * R] as i32);
        ys[1] = output(acc[2 * R + 1] as i32);
    }
    if let (Some(ya), Some(acc)) = (pairs.into_remainder().first_mut(), accs.next()) {
        *ya = output(acc[2 * R] as i32);
    }
}

/// The 2 x 2 blocks of the first `pairs` pairs of pixels of the band: `sums[4j + 2r + p] =
/// start[r] + Σ_q wbuf(q, r) * band[(2j + p) * C_in + q]`. Writes nothing unless the band
/// holds `2 pairs` pixels, `wbuf` the weights and `sums` `4 pairs` words.
#[inline(always)]
fn tile_sums<G: ConvGeometry>(
    start: [i32; 2],
    band: &[u16],
    wbuf: &[u32],
    sums: &mut [u32],
    pairs: usize,
) {
    let c = G::C_IN;
    if pairs == 0
        || 2 * pairs * c > band.len()
        || wbuf.len() < weight_words::<G>()
        || 4 * pairs > sums.len()
    {
        return;
    }
    #[cfg(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass"))]
    {
        let out = sums.as_mut_ptr();
        let control = [
            start[0] as u32,
            start[0] as u32,
            start[1] as u32,
            start[1] as u32,
            out.wrapping_add(4 * pairs) as usize as u32,
        ];
        // SAFETY: checked just above: the band holds the `2 pairs` pixels read, `wbuf` the
        // `C_in` words of weights, `sums` the `4 pairs` words written; the band and `sums`
        // are word-aligned and `C_in` a multiple of 4, so every `LDRD` is aligned (see
        // `asm::tile_2x2`).
        unsafe { asm::tile_2x2::<G>(&control, band.as_ptr(), wbuf.as_ptr(), out) };
    }
    #[cfg(not(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass")))]
    {
        use super::dsp::smlad;
        let at = |i: usize| band.get(i).copied().map_or(0, |v| i32::from(v as i16));
        for (j, out) in sums.chunks_exact_mut(4).take(pairs).enumerate() {
            let mut acc = [start[0], start[0], start[1], start[1]];
            for s in 0..c / STEP {
                let Some(w) = wbuf.get(s * 4..s * 4 + 4) else { return };
                for p in 0..2 {
                    let q = (2 * j + p) * c + s * STEP;
                    let (xa, xb) = (pair(at(q), at(q + 1)), pair(at(q + 2), at(q + 3)));
                    acc[p] = smlad(w[1], xb, smlad(w[0], xa, acc[p]));
                    acc[2 + p] = smlad(w[3], xb, smlad(w[2], xa, acc[2 + p]));
                }
            }
            for (o, a) in out.iter_mut().zip(acc) {
                *o = a as u32;
            }
        }
    }
}

/// The hand-scheduled blocks (Cortex-M with the DSP extension).
#[cfg(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass"))]
mod asm {
    use super::{ConvGeometry, STEP};

    /// Every block of [`super::tile_sums`] on a DSP core, in one loop: per pair of pixels the
    /// accumulators `r0..r3` (rows x pixels) start from `control[0..4]` (`LDM`), then per step
    /// of 4 input channels `LDM` of the 4 weight pairs into `r8..r11`, each pixel's 2 input
    /// pairs into `r4, r5` (`LDRD`) and 8 `SMLAD`s, all `C_in / 4` steps unrolled; `STM` of
    /// the 4 sums to `out` (in `r6`), the weights `w` (`lr`) back to their start, the pixels
    /// `x` (`r12`) on to the next pair, until `out` reaches `control[4]`. `control` is in `r7`
    /// (`r6` and `r7` saved on the stack: Rust reserves them).
    ///
    /// # Safety
    /// `control[4]` must be `out` plus a positive multiple of 16 bytes (4 words per pair);
    /// `x` must be 4-byte aligned and readable for `2 C_in` halfwords per pair, `w` for
    /// `C_in` words, `out` writable up to `control[4]`.
    #[inline(always)]
    pub unsafe fn tile_2x2<G: ConvGeometry>(
        control: &[u32; 5],
        x: *const u16,
        w: *const u32,
        out: *mut u32,
    ) {
        // SAFETY: reads and writes only what the caller guarantees; r6 and r7 are restored,
        // the stack is back where it was.
        unsafe {
            core::arch::asm!(
                "push {{r6, r7}}",
                "mov r7, r4",
                "mov r6, r5",
                "2:",
                "ldm r7, {{r0, r1, r2, r3}}",
                ".rept {steps}",
                "ldm lr!, {{r8, r9, r10, r11}}",
                "ldrd r4, r5, [r12, #{pixel}]",
                "smlad r1, r8, r4, r1",
                "smlad r1, r9, r5, r1",
                "smlad r3, r10, r4, r3",
                "smlad r3, r11, r5, r3",
                "ldrd r4, r5, [r12], #8",
                "smlad r0, r8, r4, r0",
                "smlad r0, r9, r5, r0",
                "smlad r2, r10, r4, r2",
                "smlad r2, r11, r5, r2",
                ".endr",
                "stm r6!, {{r0, r1, r2, r3}}",
                "sub lr, lr, #{weight_bytes}",
                "add r12, r12, #{pixel}",
                "ldr r4, [r7, #16]",
                "cmp r6, r4",
                "bne 2b",
                "pop {{r6, r7}}",
                steps = const G::C_IN / STEP,
                pixel = const G::C_IN * 2,
                weight_bytes = const G::C_IN * 4,
                inout("r4") control.as_ptr() => _,
                inout("r5") out => _,
                inout("r12") x => _,
                inout("lr") w => _,
                out("r0") _,
                out("r1") _,
                out("r2") _,
                out("r3") _,
                out("r8") _,
                out("r9") _,
                out("r10") _,
                out("r11") _,
            );
        }
    }
}
