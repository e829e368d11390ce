//! Convolution for cores with the DSP extension (Cortex-M4/M7/M33): every multiply-accumulate
//! pair is one `SMLAD` on operands that were widened to 16 bits once, outside the inner loop.
//!
//! - The input of a *tile* of output pixels (a few output rows, or part of a row) is copied into
//!   the workspace as a *band*: `(x - input_zero_point)` as `i16`, channels innermost (HWC),
//!   padding included (zero: the padding value minus the zero point). Along a kernel row the
//!   `k_w * C_in` values a pixel reads are then one contiguous *stream*, and the streams of the
//!   next pixel start `stride * C_in` values later.
//! - For each pair of output channels, their weights are widened once per tile into the
//!   same stream order (zero past the end of each kernel row's stream, which is padded to a
//!   multiple of 4 values), interleaved step by step: `[row 0: 4 values][row 1: 4 values]`;
//!   doubled, with the bias, when both channels' requantization shifts right (the usual case:
//!   [`RightShift::apply_doubled`], four instructions per output).
//! - The inner block computes 2 output channels x 2 pixels (4 accumulators): per step of 4
//!   values, one `LDM` of the 4 weight pairs, one `LDRD` of each pixel's 2 input pairs and
//!   8 `SMLAD`s, 11 instructions for 16 MACs; every loaded pair is used twice. The steps of a
//!   kernel row run unrolled, the kernel rows in a loop, or written out whole when they are
//!   few. One `asm!` loop runs every block of a tile row and stores their sums
//!   (`row_sums`), which the pointwise kernel's writers requantize row by row.
//!
//! Nothing is corrected afterwards: the band holds `x - z`, so the accumulator starts at the
//! bias and ends exact, and [`OutputStage`] (or its doubled fast path) requantizes it. Every
//! sum is the one of the definition, in `i32` modulo `2^32`, as CMSIS-NN's.
//!
//! Handles 1-d and 2-d convolutions without dilation along the row, any stride, padding mode
//! and groups ([`supports`]). On other targets the same code runs with `row_sums`'s
//! portable twin (so the tests exercise the layout on any host); the dispatching
//! [`conv`](super::conv::conv) takes this path on DSP targets only.

use super::conv::conv_args_fit;
use super::output_stage::{OutputStage, RightShift, accumulator_bound};
use super::pointwise_dsp::{write_full_range, write_row};
use super::workspace::{halfwords, words};
use super::{Requant, clamp_to};
use crate::kernels::PaddingMode;
use crate::kernels::conv::ConvGeometry;

/// Bytes of workspace a band may take (more when a single band row needs more).
pub const BAND_BUDGET: usize = 12 * 1024;

/// Values per step of the inner block (two `i16` pairs).
const STEP: usize = 4;

/// The layout of a geometry's bands and weight buffer, in `i16` values unless named
/// otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Output rows per tile.
    pub rows: usize,
    /// Output pixels per tile row (even: the block computes pairs of pixels).
    pub cols: usize,
    /// Band values between two band rows (even).
    pub row_stride: usize,
    /// Band rows of a full tile.
    pub band_rows: usize,
    /// Values of a kernel row's stream, padded to a multiple of 4 (a step of the block).
    pub stream: usize,
}

impl Layout {
    /// Values of a band (with 4 values of slack for the last stream's padding).
    #[must_use]
    pub const fn band_len(&self) -> usize {
        self.band_rows * self.row_stride + STEP
    }
}

const fn round_up(n: usize, to: usize) -> usize {
    n.div_ceil(to) * to
}

/// The layout of tiles `rows` output rows by `cols` output pixels.
const fn layout_for<G: ConvGeometry>(rows: usize, cols: usize) -> Layout {
    let c = G::IN_PER_GROUP;
    let [_, k_h, k_w] = G::KERNEL;
    let [_, s_h, s_w] = G::STRIDE;
    let d_h = G::DILATION[1];
    let band_cols = (cols - 1) * s_w + k_w;
    Layout {
        rows,
        cols,
        row_stride: round_up(band_cols * c, 2),
        band_rows: (rows - 1) * s_h + (k_h - 1) * d_h + 1,
        stream: round_up(k_w * c, STEP),
    }
}

/// The tiles of `G`: whole rows, as many as fit [`BAND_BUDGET`]; if one row does not, the
/// widest even number of pixels of a row that does (at least 2).
#[must_use]
pub const fn layout<G: ConvGeometry>() -> Layout {
    let [_, out_h, out_w] = G::OUT;
    let full = round_up(out_w, 2);
    if !supports::<G>() {
        return layout_for::<G>(1, 2);
    }
    let mut rows = out_h;
    while rows > 1 && layout_for::<G>(rows, full).band_len() * 2 > BAND_BUDGET {
        rows -= 1;
    }
    let mut cols = full;
    while cols > 2 && layout_for::<G>(1, cols).band_len() * 2 > BAND_BUDGET {
        cols -= 2;
    }
    layout_for::<G>(rows, cols)
}

/// Whether [`conv_direct`] handles `G`: one or two spatial axes (no depth), no dilation along
/// the row, sizes the blocks' address offsets can express.
#[must_use]
pub const fn supports<G: ConvGeometry>() -> bool {
    const fn positive(a: [usize; 3]) -> bool {
        a[0] > 0 && a[1] > 0 && a[2] > 0
    }
    let c = G::IN_PER_GROUP;
    G::GROUPS > 0
        && c > 0
        && G::C_IN % G::GROUPS == 0
        && G::C_OUT % G::GROUPS == 0
        && G::OUT_PER_GROUP > 0
        && positive(G::KERNEL)
        && positive(G::STRIDE)
        && positive(G::DILATION)
        && G::IN[0] == 1
        && G::OUT[0] == 1
        && G::KERNEL[0] == 1
        && G::DILATION[2] == 1
        && G::OUT[1] > 0
        && G::OUT[2] > 0
        // The second pixel's pairs are at `[x, #pix]` (`LDRD`: at most 1020 bytes).
        && pixel_bytes::<G>() + 4 <= 1020
        && G::KERNEL[1] <= 0xFFFF
        && round_up(G::KERNEL[2] * c, STEP) / STEP <= 0xFFFF
}

/// Bytes from one pixel's stream to the next pixel's.
const fn pixel_bytes<G: ConvGeometry>() -> usize {
    G::STRIDE[2] * G::IN_PER_GROUP * 2
}

/// Words of the weight buffer: per kernel row, per step, 2 rows x 2 pairs.
const fn weight_words<G: ConvGeometry>() -> usize {
    G::KERNEL[1] * layout::<G>().stream / STEP * 4
}

/// Words of the sums buffer: the 4 accumulators of each pair of pixels of a tile row.
const fn sum_words<G: ConvGeometry>() -> usize {
    layout::<G>().cols / 2 * 4
}

/// Bytes of workspace [`conv_direct`] needs for `G` (0 if it does not handle `G`): the weight
/// buffer, the sums of a tile row, a band, and 3 bytes to align them.
#[must_use]
pub const fn workspace_len<G: ConvGeometry>() -> usize {
    if supports::<G>() {
        3 + (weight_words::<G>() + sum_words::<G>()) * 4 + layout::<G>().band_len() * 2
    } else {
        0
    }
}

/// Direct convolution (see the [module](self) docs): the result of
/// [`conv`](super::conv::conv), CMSIS-NN's bits. `workspace` holds [`workspace_len`] bytes.
/// Writes nothing unless [`supports`] holds and the slices fit.
#[inline(never)]
pub fn conv_direct<G: ConvGeometry>(
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
    let lay = layout::<G>();
    let Some(workspace) = workspace.get_mut(..workspace_len::<G>()) else { return };
    let words = words(workspace);
    if words.len() < weight_words::<G>() + sum_words::<G>() + lay.band_len().div_ceil(2) {
        return;
    }
    let (wbuf, rest) = words.split_at_mut(weight_words::<G>());
    let (sums, band) = rest.split_at_mut(sum_words::<G>());
    let band = halfwords(band);
    let Some(band) = band.get_mut(..lay.band_len()) else { return };
    // The padding of each kernel row's stream stays zero: written here once, never after.
    wbuf.fill(0);
    let [_, out_h, out_w] = G::OUT;
    let c = G::IN_PER_GROUP;
    let zero_point = requant.input_zero_point;
    let group_inputs = input.chunks_exact(c * G::IN_PLANE);
    for (g, x) in group_inputs.take(G::GROUPS).enumerate() {
        let mut oh0 = 0;
        while oh0 < out_h {
            let rows = if out_h - oh0 < lay.rows { out_h - oh0 } else { lay.rows };
            let mut ow0 = 0;
            while ow0 < out_w {
                let cols = if out_w - ow0 < lay.cols { out_w - ow0 } else { lay.cols };
                fill_band::<G>(x, zero_point, [oh0, rows, ow0, cols], band);
                let tile = Tile { oh0, rows, ow0, cols };
                let mut o = 0;
                while o < G::OUT_PER_GROUP {
                    let first = g * G::OUT_PER_GROUP + o;
                    let both = o + 1 < G::OUT_PER_GROUP;
                    let index = [first, if both { first + 1 } else { first }];
                    let channels = Channels { weight, index, both, bias, requant };
                    channel_pair::<G>(&channels, &tile, (band, &mut *wbuf, &mut *sums), output);
                    o += 2;
                }
                ow0 += cols;
            }
            oh0 += rows;
        }
    }
}

/// The output pixels of a tile: rows `oh0..oh0 + rows`, columns `ow0..ow0 + cols`.
struct Tile {
    oh0: usize,
    rows: usize,
    ow0: usize,
    cols: usize,
}

/// The two output channels of a block (the same one twice for an odd last channel of a
/// group, `both` false) and the layer's parameters.
struct Channels<'a, 'r> {
    weight: &'a [i8],
    index: [usize; 2],
    both: bool,
    bias: Option<&'a [i32]>,
    requant: &'a Requant<'r>,
}

/// The outputs of a pair of channels over a tile: their weights widened, then per tile row
/// the sums of its 2 x 2 blocks (`row_sums`) requantized into the output rows, in the
/// fewest instructions the channels' parameters allow (as in
/// [`pointwise_dsp`](super::pointwise_dsp): doubled weights and bias when both shift right).
#[inline(always)]
fn channel_pair<G: ConvGeometry>(
    ch: &Channels<'_, '_>,
    tile: &Tile,
    (band, wbuf, sums): (&[u16], &mut [u32], &mut [u32]),
    output: &mut [i8],
) {
    let taps = G::IN_PER_GROUP * G::TAPS;
    let bias = ch.index.map(|o| ch.bias.and_then(|b| b.get(o)).copied().unwrap_or(0));
    let doubled = |r: usize| RightShift::doubled(ch.requant, ch.index[r], bias[r], taps);
    let written = if ch.both { 2 } else { 1 };
    if let (Some(f0), Some(f1)) = (doubled(0), doubled(1)) {
        widen_weights::<G>(ch.weight, ch.index, true, wbuf);
        let start = bias.map(|b| b.wrapping_mul(2));
        let (min, max) = (ch.requant.act_min, ch.requant.act_max);
        let full = min == i8::MIN && max == i8::MAX;
        for t in 0..tile.rows {
            row_sums::<G>(start, band, t, tile.cols, wbuf, sums);
            for r in 0..written {
                let Some(y) = output_row::<G>(output, ch.index[r], tile, t) else { return };
                match (r, full) {
                    (0, true) => write_full_range::<0>(&f0, sums, y),
                    (_, true) => write_full_range::<1>(&f1, sums, y),
                    (0, false) => {
                        write_row::<0, _>(sums, y, |a| clamp_to(f0.apply_doubled(a), min, max));
                    }
                    (_, false) => {
                        write_row::<1, _>(sums, y, |a| clamp_to(f1.apply_doubled(a), min, max));
                    }
                }
            }
        }
    } else {
        let stage = [0, 1]
            .map(|r| OutputStage::new(ch.requant, ch.index[r], accumulator_bound(bias[r], taps)));
        widen_weights::<G>(ch.weight, ch.index, false, wbuf);
        for t in 0..tile.rows {
            row_sums::<G>(bias, band, t, tile.cols, wbuf, sums);
            for r in 0..written {
                let Some(y) = output_row::<G>(output, ch.index[r], tile, t) else { return };
                if r == 0 {
                    write_row::<0, _>(sums, y, |a| stage[0].apply(a));
                } else {
                    write_row::<1, _>(sums, y, |a| stage[1].apply(a));
                }
            }
        }
    }
}

/// The outputs of channel `o` in row `t` of `tile`.
#[inline(always)]
fn output_row<'y, G: ConvGeometry>(
    output: &'y mut [i8],
    o: usize,
    tile: &Tile,
    t: usize,
) -> Option<&'y mut [i8]> {
    let at = o * G::OUT_PLANE + (tile.oh0 + t) * G::OUT[2] + tile.ow0;
    output.get_mut(at..at + tile.cols)
}

/// Copies the band of a tile (rows `oh0..oh0 + rows`, columns `ow0..ow0 + cols` of the output)
/// from the group's input channels `x`: value `(r, col, c)` at `r * row_stride + col * C + c`
/// is `x[c][ih][iw] - zero_point`, 0 in zero padding.
#[inline(always)]
fn fill_band<G: ConvGeometry>(
    x: &[i8],
    zero_point: i32,
    [oh0, rows, ow0, cols]: [usize; 4],
    band: &mut [u16],
) {
    let lay = layout::<G>();
    let c = G::IN_PER_GROUP;
    let [_, in_h, in_w] = G::IN;
    let [_, k_h, k_w] = G::KERNEL;
    let [_, s_h, s_w] = G::STRIDE;
    let [_, p_h, p_w] = G::PAD;
    let d_h = G::DILATION[1];
    let mode = G::PADDING_MODE;
    let band_rows = (rows - 1) * s_h + (k_h - 1) * d_h + 1;
    // Pairs of pixels: an odd last column is computed (and dropped) with a neighbour.
    let band_cols = (round_up(cols, 2) - 1) * s_w + k_w;
    let zero_point = zero_point as i16; // an i8, checked by `conv_args_fit`
    for (r, row) in band.chunks_exact_mut(lay.row_stride).take(band_rows).enumerate() {
        let Some(ih) = source(oh0 * s_h + r, p_h, in_h, mode) else {
            row.fill(0);
            continue;
        };
        for (col, values) in row.chunks_exact_mut(c).take(band_cols).enumerate() {
            let Some(iw) = source(ow0 * s_w + col, p_w, in_w, mode) else {
                values.fill(0);
                continue;
            };
            let at = ih * in_w + iw;
            for (v, plane) in values.iter_mut().zip(x.chunks_exact(G::IN_PLANE)) {
                let xv = plane.get(at).copied().unwrap_or(0);
                *v = (i16::from(xv) - zero_point) as u16;
            }
        }
    }
}

/// The input index read at padded position `pos` (`pad` before, `len` long), `None` for zero
/// padding.
#[inline(always)]
fn source(pos: usize, pad: usize, len: usize, mode: PaddingMode) -> Option<usize> {
    match mode {
        PaddingMode::Zeros => {
            if pos >= pad && pos - pad < len {
                Some(pos - pad)
            } else {
                None
            }
        }
        mode => Some(mode.map(pos, pad, len)),
    }
}

/// Widens the weights of output channels `rows` into `wbuf` (doubled if `double`): per kernel
/// row `kh`, per step `s`, words `[row 0: values 4s, 4s + 1][4s + 2, 4s + 3][row 1: the
/// same]`, value `q = kw * C + c` of kernel row `kh` being `w[o][c][kh][kw]`. Writes nothing
/// past `k_w * C` in a stream: [`conv_direct`] zeroes the padding once.
#[inline(always)]
fn widen_weights<G: ConvGeometry>(weight: &[i8], rows: [usize; 2], double: bool, wbuf: &mut [u32]) {
    let lay = layout::<G>();
    let c = G::IN_PER_GROUP;
    let [_, k_h, k_w] = G::KERNEL;
    let steps = lay.stream / STEP;
    let per_row = c * G::TAPS;
    let shift = u32::from(double);
    let halves = halfwords(wbuf);
    let Some(halves) = halves.get_mut(..k_h * steps * 2 * STEP) else { return };
    for (r, &o) in rows.iter().enumerate() {
        let Some(w) = weight.get(o * per_row..(o + 1) * per_row) else { return };
        if c % STEP == 0 {
            // `q / 4 = kw * C / 4 + c / 4` and `q % 4 = c % 4`: each input channel's `k_w`
            // weights of a kernel row land `2 C` halfwords apart.
            for (ci, taps) in w.chunks_exact(k_h * k_w).take(c).enumerate() {
                let lane = (ci / STEP) * 2 * STEP + r * STEP + ci % STEP;
                for (kh, row) in taps.chunks_exact(k_w).enumerate() {
                    let base = kh * steps * 2 * STEP + lane;
                    for (kw, &v) in row.iter().enumerate() {
                        // SAFETY: `ci < C`, `r < 2`, `kh < k_h`, `kw < k_w` and `steps = k_w C
                        // / 4` (C a multiple of 4), so `lane < 2 C` and `base + kw 2 C < kh 8
                        // steps + k_w 2 C = (kh + 1) 8 steps <= halves.len()`. Measured: the
                        // checked store took 2.2 more instructions per weight (0.03 per MAC on
                        // CIFAR-10's conv2, whose weights are widened again for each of its 4
                        // tiles).
                        unsafe {
                            *halves.get_unchecked_mut(base + kw * 2 * c) =
                                (i16::from(v) << shift) as u16;
                        }
                    }
                }
            }
        } else {
            for kh in 0..k_h {
                let base = kh * steps * 2 * STEP;
                for q in 0..k_w * c {
                    let (kw, ci) = (q / c, q % c);
                    let v = w.get((ci * k_h + kh) * k_w + kw).copied().unwrap_or(0);
                    let at = base + (q / STEP) * 2 * STEP + r * STEP + q % STEP;
                    if let Some(h) = halves.get_mut(at) {
                        *h = (i16::from(v) << shift) as u16;
                    }
                }
            }
        }
    }
}

/// The 2 x 2 blocks of tile row `t` (`cols` pixels, paired; an odd last pixel's partner is
/// computed and dropped): `sums[4j + 2r + p] = start[r] + Σ_kh Σ_q wbuf(kh, q, r) * band[x0 +
/// (2j + p) * stride * C + kh * d_h * row_stride + q]`, `x0` the row's first stream. Writes
/// nothing unless the band holds every value read and `sums` the row's blocks.
#[inline(always)]
fn row_sums<G: ConvGeometry>(
    start: [i32; 2],
    band: &[u16],
    t: usize,
    cols: usize,
    wbuf: &[u32],
    sums: &mut [u32],
) {
    let lay = layout::<G>();
    let pairs = cols.div_ceil(2);
    let pixel = G::STRIDE[2] * G::IN_PER_GROUP;
    let x0 = t * G::STRIDE[1] * lay.row_stride;
    // Last value read: the last pair's second pixel's last stream. Built so by `layout`;
    // checked once here so that the assembly cannot read outside the band.
    let last = x0
        + (2 * pairs - 1) * pixel
        + (G::KERNEL[1] - 1) * G::DILATION[1] * lay.row_stride
        + lay.stream;
    if pairs == 0 || last > band.len() || wbuf.len() < weight_words::<G>() || sums.len() < 4 * pairs
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
        // SAFETY: checked just above: the band holds every value the `pairs` blocks read,
        // `wbuf` the weights, `sums` the `4 pairs` words written; `x0` and the pixel pairs'
        // offsets are even and the band word-aligned, so every `LDRD` is aligned (see
        // `asm::row_2x2`).
        unsafe {
            asm::row_2x2::<G>(&control, band.as_ptr().wrapping_add(x0), wbuf.as_ptr(), out);
        }
    }
    #[cfg(not(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass")))]
    {
        use super::dsp::{pair, smlad};
        let steps = lay.stream / STEP;
        let at = |i: usize| band.get(i).copied().map_or(0, |v| i32::from(v as i16));
        for (j, out) in sums.chunks_exact_mut(4).take(pairs).enumerate() {
            let mut acc = [start[0], start[0], start[1], start[1]];
            for kh in 0..G::KERNEL[1] {
                let row = x0 + 2 * j * pixel + kh * G::DILATION[1] * lay.row_stride;
                for s in 0..steps {
                    let Some(w) = wbuf.get((kh * steps + s) * 4..(kh * steps + s + 1) * 4) else {
                        return;
                    };
                    for p in 0..2 {
                        let q = row + p * pixel + s * STEP;
                        let (xa, xb) = (pair(at(q), at(q + 1)), pair(at(q + 2), at(q + 3)));
                        acc[p] = smlad(w[1], xb, smlad(w[0], xa, acc[p]));
                        acc[2 + p] = smlad(w[3], xb, smlad(w[2], xa, acc[2 + p]));
                    }
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
    use super::{ConvGeometry, STEP, layout, pixel_bytes};

    /// The largest `n <= 8` dividing `steps` (steps per kernel row unrolled per iteration).
    const fn unroll(steps: usize) -> usize {
        if steps % 8 == 0 {
            8
        } else if steps % 4 == 0 {
            4
        } else if steps % 2 == 0 {
            2
        } else {
            1
        }
    }

    /// The most steps of a block written out whole (every kernel row unrolled, no loop).
    const MAX_UNROLLED_STEPS: usize = 32;

    /// Whether a block is written out whole: few steps, and the jump from one kernel row's
    /// stream to the next an `ADDW` immediate.
    const fn unrolled<G: ConvGeometry>() -> bool {
        let lay = layout::<G>();
        let next = G::DILATION[1] * lay.row_stride * 2;
        G::KERNEL[1] * (lay.stream / STEP) <= MAX_UNROLLED_STEPS
            && next >= lay.stream * 2
            && next - lay.stream * 2 <= 4095
    }

    /// Every 2 x 2 block of [`super::row_sums`] on a DSP core, in one loop: per pair of pixels
    /// the accumulators `r0..r3` (rows x pixels) start from `control[0..4]` (`LDM`); per step
    /// of 4 values `LDM` of the 4 weight pairs into `r8..r11`, each pixel's 2 input pairs into
    /// `r4, r5` (`LDRD` when the second pixel is word-aligned, else two `LDR`s) and 8
    /// `SMLAD`s; the kernel rows either written out whole (few steps: an `ADDW` between two
    /// rows) or in a loop (kernel rows counting down in `r7`, iterations of the unrolled steps
    /// in `r6`); then `STM` of the 4 sums to `out` (in `r6`), the pixels `x` (`r12`) and the
    /// weights `w` (`lr`) back from the stack, `x` on to the next pair, until `out` reaches
    /// `control[4]`. `control` is in `r7` (`r6` and `r7` saved on the stack: Rust reserves
    /// them).
    ///
    /// # Safety
    /// `control[4]` must be `out` plus a positive multiple of 16 bytes (4 words per pair); `x`
    /// must be 4-byte aligned and, for each pair `j`, `kh < k_h`, `p < 2`: `x + ((2j + p) *
    /// stride * C + kh * d_h * row_stride)` halfwords readable for `stream` halfwords; `w`
    /// readable for `weight_words::<G>()` words, `out` writable up to `control[4]`.
    #[inline(always)]
    pub unsafe fn row_2x2<G: ConvGeometry>(
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
                "push {{r6, r7, r12, lr}}",
                ".if {unrolled}",
                ".rept {rows}",
                ".rept {steps}",
                "ldm lr!, {{r8, r9, r10, r11}}",
                ".if {paired}",
                "ldrd r4, r5, [r12, #{pixel}]",
                ".else",
                "ldr r4, [r12, #{pixel}]",
                "ldr r5, [r12, #{pixel} + 4]",
                ".endif",
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
                "addw r12, r12, #{skip_small}",
                ".endr",
                ".else",
                "movw r7, #{rows}",
                "3:",
                "movw r6, #{iterations}",
                "4:",
                ".rept {unroll}",
                "ldm lr!, {{r8, r9, r10, r11}}",
                ".if {paired}",
                "ldrd r4, r5, [r12, #{pixel}]",
                ".else",
                "ldr r4, [r12, #{pixel}]",
                "ldr r5, [r12, #{pixel} + 4]",
                ".endif",
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
                "subs r6, r6, #1",
                "bne 4b",
                ".if {rows} > 1",
                "movw r6, #{skip_lo}",
                "movt r6, #{skip_hi}",
                "add r12, r12, r6",
                "subs r7, r7, #1",
                "bne 3b",
                ".endif",
                ".endif",
                "pop {{r6, r7, r12, lr}}",
                "stm r6!, {{r0, r1, r2, r3}}",
                "addw r12, r12, #{pair}",
                "ldr r4, [r7, #16]",
                "cmp r6, r4",
                "bne 2b",
                "pop {{r6, r7}}",
                unrolled = const unrolled::<G>() as u32,
                rows = const G::KERNEL[1],
                steps = const layout::<G>().stream / STEP,
                iterations = const layout::<G>().stream / STEP / unroll(layout::<G>().stream / STEP),
                unroll = const unroll(layout::<G>().stream / STEP),
                paired = const (pixel_bytes::<G>() % 4 == 0) as u32,
                pixel = const pixel_bytes::<G>(),
                pair = const 2 * pixel_bytes::<G>(),
                skip_small = const skip::<G>() & 0xFFF,
                skip_lo = const skip::<G>() & 0xFFFF,
                skip_hi = const skip::<G>() >> 16,
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

    /// Bytes from the end of a kernel row's stream to the start of the next kernel row's, as
    /// a 32-bit two's complement value.
    const fn skip<G: ConvGeometry>() -> u32 {
        let lay = layout::<G>();
        let next = G::DILATION[1] * lay.row_stride * 2;
        (next as u32).wrapping_sub((lay.stream * 2) as u32)
    }
}
