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
//!   multiple of 4 values), interleaved step by step: `[row 0: 4 values][row 1: 4 values]`.
//! - The inner block computes 2 output channels x 2 pixels (4 accumulators): per step of 4
//!   values, one `LDM` of the 4 weight pairs, one `LDRD` of each pixel's 2 input pairs and
//!   8 `SMLAD`s, 11 instructions for 16 MACs; every loaded pair is used twice. The steps of a
//!   kernel row run unrolled, the kernel rows in a loop (`block`).
//!
//! Nothing is corrected afterwards: the band holds `x - z`, so the accumulator starts at the
//! bias and ends exact, and [`OutputStage`] requantizes it. Every sum is the one of the
//! definition, in `i32` modulo `2^32`, as CMSIS-NN's.
//!
//! Handles 1-d and 2-d convolutions without dilation along the row, any stride, padding mode
//! and groups ([`supports`]). On other targets the same code runs with `block`'s portable
//! twin (so the tests exercise the layout on any host); the dispatching
//! [`conv`](super::conv::conv) takes this path on DSP targets only.

use super::Requant;
use super::conv::conv_args_fit;
use super::output_stage::{OutputStage, accumulator_bound};
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

/// Bytes of workspace [`conv_direct`] needs for `G` (0 if it does not handle `G`): the weight
/// buffer, a band, and 3 bytes to align them.
#[must_use]
pub const fn workspace_len<G: ConvGeometry>() -> usize {
    if supports::<G>() { 3 + weight_words::<G>() * 4 + layout::<G>().band_len() * 2 } else { 0 }
}

/// The words of `workspace` from its first 4-byte boundary on.
fn words(workspace: &mut [i8]) -> &mut [u32] {
    // SAFETY: every bit pattern is a valid `u32`; `align_to_mut` returns only correctly
    // aligned, in-bounds middle elements.
    let (_, middle, _) = unsafe { workspace.align_to_mut::<u32>() };
    middle
}

/// `words` as halfwords.
fn halfwords(words: &mut [u32]) -> &mut [u16] {
    // SAFETY: every bit pattern is a valid `u16`, and `u32`'s alignment is `u16`'s multiple,
    // so the middle covers all of `words`.
    let (_, middle, _) = unsafe { words.align_to_mut::<u16>() };
    middle
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
    if words.len() < weight_words::<G>() + lay.band_len().div_ceil(2) {
        return;
    }
    let (wbuf, band) = words.split_at_mut(weight_words::<G>());
    let band = halfwords(band);
    let Some(band) = band.get_mut(..lay.band_len()) else { return };
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
                    let second = if o + 1 < G::OUT_PER_GROUP { first + 1 } else { first };
                    widen_weights::<G>(weight, [first, second], wbuf);
                    let channels = Channels::new::<G>(bias, requant, [first, second]);
                    tile_outputs::<G>(&tile, band, wbuf, &channels, output);
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

/// The two output channels of a block (the same one twice for an odd last channel): where
/// their accumulators start and how they are requantized.
struct Channels {
    index: [usize; 2],
    bias: [i32; 2],
    stage: [OutputStage; 2],
}

impl Channels {
    #[inline(always)]
    fn new<G: ConvGeometry>(
        bias: Option<&[i32]>,
        requant: &Requant<'_>,
        index: [usize; 2],
    ) -> Self {
        let taps = G::IN_PER_GROUP * G::TAPS;
        let bias = index.map(|o| bias.and_then(|b| b.get(o)).copied().unwrap_or(0));
        let stage =
            [0, 1].map(|r| OutputStage::new(requant, index[r], accumulator_bound(bias[r], taps)));
        Self { index, bias, stage }
    }
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

/// Widens the weights of output channels `rows` into `wbuf`: per kernel row `kh`, per step
/// `s`, words `[row 0: values 4s, 4s + 1][4s + 2, 4s + 3][row 1: the same]`, value `q = kw *
/// C + c` of kernel row `kh` being `w[o][c][kh][kw]` (0 from `k_w * C` on).
#[inline(always)]
fn widen_weights<G: ConvGeometry>(weight: &[i8], rows: [usize; 2], wbuf: &mut [u32]) {
    let lay = layout::<G>();
    let c = G::IN_PER_GROUP;
    let [_, k_h, k_w] = G::KERNEL;
    let steps = lay.stream / STEP;
    let per_row = c * G::TAPS;
    let halves = halfwords(wbuf);
    for (r, &o) in rows.iter().enumerate() {
        let w = weight.get(o * per_row..(o + 1) * per_row).unwrap_or(&[]);
        for kh in 0..k_h {
            let base = kh * steps * 2 * STEP;
            for q in 0..lay.stream {
                let v = if q < k_w * c {
                    let (kw, ci) = (q / c, q % c);
                    w.get((ci * k_h + kh) * k_w + kw).copied().unwrap_or(0)
                } else {
                    0
                };
                let at = base + (q / STEP) * 2 * STEP + r * STEP + q % STEP;
                if let Some(h) = halves.get_mut(at) {
                    *h = i16::from(v) as u16;
                }
            }
        }
    }
}

/// Runs the blocks of a tile for one pair of output channels and writes their outputs.
#[inline(always)]
fn tile_outputs<G: ConvGeometry>(
    tile: &Tile,
    band: &[u16],
    wbuf: &[u32],
    channels: &Channels,
    output: &mut [i8],
) {
    let lay = layout::<G>();
    let [_, _, out_w] = G::OUT;
    let [_, s_h, s_w] = G::STRIDE;
    let c = G::IN_PER_GROUP;
    for t in 0..tile.rows {
        let oh = tile.oh0 + t;
        let mut j = 0;
        while j < tile.cols {
            // The first pixel's stream in the band: tile row t, tile column j.
            let x0 = t * s_h * lay.row_stride + j * s_w * c;
            let mut acc = [channels.bias[0], channels.bias[0], channels.bias[1], channels.bias[1]];
            block::<G>(&mut acc, band, x0, wbuf);
            for (r, &o) in channels.index.iter().enumerate() {
                let at = o * G::OUT_PLANE + oh * out_w + tile.ow0 + j;
                let stage = &channels.stage[r];
                if let Some(y) = output.get_mut(at) {
                    *y = stage.apply(acc[2 * r]);
                }
                if j + 1 < tile.cols
                    && let Some(y) = output.get_mut(at + 1)
                {
                    *y = stage.apply(acc[2 * r + 1]);
                }
            }
            j += 2;
        }
    }
}

/// The 2 x 2 block: `acc[2r + p] += Σ_kh Σ_q wbuf(kh, q, r) * band[x0 + p * stride * C + kh *
/// d_h * row_stride + q]` over every kernel row's padded stream.
#[inline(always)]
fn block<G: ConvGeometry>(acc: &mut [i32; 4], band: &[u16], x0: usize, wbuf: &[u32]) {
    #[cfg(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass"))]
    {
        let lay = layout::<G>();
        // Last value read: the second pixel's last stream. Built so by `layout`; checked
        // once here so that the assembly cannot read outside the band.
        let last = x0
            + G::STRIDE[2] * G::IN_PER_GROUP
            + (G::KERNEL[1] - 1) * G::DILATION[1] * lay.row_stride
            + lay.stream;
        if last <= band.len() && wbuf.len() >= weight_words::<G>() {
            // SAFETY: the band holds every value the block reads (checked just above), the
            // weight buffer its `weight_words` words; `x0` is even and the band word-aligned,
            // so the `LDRD`s are aligned (see `asm::block_2x2`).
            unsafe { asm::block_2x2::<G>(acc, band.as_ptr().wrapping_add(x0), wbuf.as_ptr()) };
        }
    }
    #[cfg(not(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass")))]
    {
        use super::dsp::{pair, smlad};
        let lay = layout::<G>();
        let steps = lay.stream / STEP;
        let pixel = G::STRIDE[2] * G::IN_PER_GROUP;
        let at = |i: usize| band.get(i).copied().map_or(0, |v| i32::from(v as i16));
        for kh in 0..G::KERNEL[1] {
            let row = x0 + kh * G::DILATION[1] * lay.row_stride;
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
    }
}

/// The hand-scheduled block (Cortex-M with the DSP extension).
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

    /// The 2 x 2 block of [`super::block`] on a DSP core: `acc` in `r0..r3` (rows x pixels),
    /// the first pixel's stream pointer `x` in `r12`, the weights `w` in `lr`; per step `LDM`
    /// of the 4 weight pairs into `r8..r11`, each pixel's 2 input pairs into `r4, r5` (`LDRD`
    /// when the second pixel is word-aligned, else two `LDR`s), 8 `SMLAD`s. Kernel rows count
    /// down in `r7`, iterations of the unrolled steps in `r6` (both saved on the stack: Rust
    /// reserves them).
    ///
    /// # Safety
    /// `x` must be 4-byte aligned, and for `kh < k_h`, `p < 2`: `x + (kh * d_h * row_stride +
    /// p * stride * C)` halfwords must be readable for `stream` halfwords; `w` readable for
    /// `weight_words::<G>()` words.
    #[inline(always)]
    pub unsafe fn block_2x2<G: ConvGeometry>(acc: &mut [i32; 4], x: *const u16, w: *const u32) {
        let [mut a00, mut a01, mut a10, mut a11] = *acc;
        // SAFETY: reads only what the caller guarantees; r6 and r7 are restored; the stack is
        // back where it was.
        unsafe {
            core::arch::asm!(
                "push {{r6, r7}}",
                "movw r7, #{rows}",
                "2:",
                "movw r6, #{iterations}",
                "3:",
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
                "bne 3b",
                ".if {rows} > 1",
                "movw r6, #{skip_lo}",
                "movt r6, #{skip_hi}",
                "add r12, r12, r6",
                "subs r7, r7, #1",
                "bne 2b",
                ".endif",
                "pop {{r6, r7}}",
                rows = const G::KERNEL[1],
                iterations = const layout::<G>().stream / STEP / unroll(layout::<G>().stream / STEP),
                unroll = const unroll(layout::<G>().stream / STEP),
                paired = const (pixel_bytes::<G>() % 4 == 0) as u32,
                pixel = const pixel_bytes::<G>(),
                skip_lo = const skip::<G>() & 0xFFFF,
                skip_hi = const skip::<G>() >> 16,
                inout("r0") a00,
                inout("r1") a01,
                inout("r2") a10,
                inout("r3") a11,
                inout("r12") x => _,
                inout("lr") w => _,
                out("r4") _,
                out("r5") _,
                out("r8") _,
                out("r9") _,
                out("r10") _,
                out("r11") _,
                options(readonly),
            );
        }
        *acc = [a00, a01, a10, a11];
    }

    /// Bytes from the end of a kernel row's stream to the start of the next kernel row's, as
    /// a 32-bit two's complement value.
    const fn skip<G: ConvGeometry>() -> u32 {
        let lay = layout::<G>();
        let next = G::DILATION[1] * lay.row_stride * 2;
        (next as u32).wrapping_sub((lay.stream * 2) as u32)
    }
}
