//! Convolution with stride 1 on x86-64: `vpdpbusd` (AVX-512 VNNI, AVX-VNNI) or its exact AVX2
//! twin (`vpmaddwd` on bytes widened to 16 bits) over *quads* of input channels.
//!
//! `vpdpbusd` adds to each 32-bit lane the four products of its four `u8`s with four `i8`s.
//! The layout makes those four the same tap of four consecutive input channels, so that a lane
//! is an output position and the weights are one broadcast 32-bit word:
//!
//! - The input of a group is copied into the workspace as a *padded plane* of quads: for each
//!   quad of input channels, the plane padded to `OUT_H + (K_H - 1) * D_H` rows of
//!   `W_P = OUT_W + (K_W - 1) * D_W` columns (padding filled as the padding mode says, zero
//!   padding with the input zero point), each position the 4 bytes `x ^ 0x80` of its 4
//!   channels (`x + 128` as a `u8`; a quad's missing channels hold 0).
//! - Output position `q = oh * W_P + ow` then reads tap `(kh, kw)` at `q + kh * D_H * W_P +
//!   kw * D_W`: a tap is one contiguous vector load for consecutive positions, across rows
//!   (the `K_W - 1` positions of each row past `OUT_W` are computed and dropped).
//! - The weights of a few output channels are rearranged once per call into the same order
//!   (a word per (quad, tap, channel), missing channels 0): each is a broadcast operand.
//! - A register block of `R` output channels times `P` vectors of positions accumulates every
//!   quad and tap, then requantizes.
//!
//! The sums are exact: a product of a `u8` and an `i8` and the sum of four of them fit in
//! `i32`, and the accumulation wraps modulo `2^32` as the portable kernels' does. The `+128`
//! of every input is taken out with the weight sum, with the zero point:
//! `Σ w (x - z) = Σ w (x + 128) - (z + 128) Σ w`. The AVX2 twin splits each `u8` quad into its
//! even and odd bytes as 16-bit lanes and the broadcast weights into sign-extended 16-bit
//! pairs, and adds two `vpmaddwd`s (each a sum of two products of at most `255 * 128`, exact),
//! never the saturating `vpmaddubsw`.

// Builds that can never run the kernels (not x86-64, or `no_std` below AVX2) compile them
// without calling them.
#![cfg_attr(
    not(all(
        target_arch = "x86_64",
        any(all(staticnn_x86_dispatch, any(feature = "std", test)), target_feature = "avx2")
    )),
    allow(dead_code, unused_imports)
)]

use super::Requant;
use super::conv::{conv_params_fit, source_index};
use super::dot::weight_sum;
use crate::kernels::conv::ConvGeometry;
use crate::kernels::isa;

/// Output channels of the widest register block (the weight buffer's size).
const MAX_ROWS: usize = 4;
/// Lanes of the widest vector (the plane's slack past its last position).
const MAX_LANES: usize = 16;

/// Whether this build may run the kernels: on x86-64 with run-time dispatch, or built for
/// AVX2 or better.
pub const BUILT: bool = cfg!(target_arch = "x86_64")
    && (isa::RUNTIME_DISPATCH || !matches!(isa::Level::COMPILED, isa::Level::Portable));

/// Whether [`conv_quads`] handles `G`: stride 1, no depth axis (1-d and 2-d convolutions),
/// any padding mode, dilation and groups, and [`BUILT`].
#[must_use]
pub const fn supports<G: ConvGeometry>() -> bool {
    const fn positive(a: [usize; 3]) -> bool {
        a[0] > 0 && a[1] > 0 && a[2] > 0
    }
    BUILT
        && G::GROUPS > 0
        && G::IN_PER_GROUP > 0
        && G::OUT_PER_GROUP > 0
        && G::C_IN % G::GROUPS == 0
        && G::C_OUT % G::GROUPS == 0
        && positive(G::KERNEL)
        && positive(G::DILATION)
        && positive(G::OUT)
        && G::STRIDE[0] == 1
        && G::STRIDE[1] == 1
        && G::STRIDE[2] == 1
        && G::IN[0] == 1
        && G::OUT[0] == 1
        && G::KERNEL[0] == 1
}

/// Quads of input channels per group.
const fn quads<G: ConvGeometry>() -> usize {
    G::IN_PER_GROUP.div_ceil(4)
}

/// Columns of the padded plane.
const fn padded_width<G: ConvGeometry>() -> usize {
    G::OUT[2] + (G::KERNEL[2] - 1) * G::DILATION[2]
}

/// Rows of the padded plane.
const fn padded_height<G: ConvGeometry>() -> usize {
    G::OUT[1] + (G::KERNEL[1] - 1) * G::DILATION[1]
}

/// Output positions computed per output channel: whole padded rows.
const fn positions<G: ConvGeometry>() -> usize {
    G::OUT[1] * padded_width::<G>()
}

/// Words (positions) of one quad's plane: every position a vector of the last output
/// positions reads, at the farthest tap.
const fn plane_words<G: ConvGeometry>() -> usize {
    positions::<G>().div_ceil(MAX_LANES) * MAX_LANES
        + (G::KERNEL[1] - 1) * G::DILATION[1] * padded_width::<G>()
        + (G::KERNEL[2] - 1) * G::DILATION[2]
}

/// Bytes of the workspace [`conv_quads`] uses for `G`: the padded plane of a group's quads and
/// the rearranged weights of a register block (0 if it does not handle `G`).
#[must_use]
pub const fn workspace_len<G: ConvGeometry>() -> usize {
    if supports::<G>() { 4 * quads::<G>() * (plane_words::<G>() + MAX_ROWS * G::TAPS) } else { 0 }
}

/// The quad path of [`conv`](super::conv::conv): returns `false`, having done nothing, if the
/// active instruction-set level has no x86 kernels (the portable level), else `true` (having
/// written nothing if [`supports`] fails or a slice is too short: `workspace` needs
/// [`workspace_len`] bytes).
#[inline]
pub fn conv_quads<G: ConvGeometry>(
    input: &[i8],
    weight: &[i8],
    bias: Option<&[i32]>,
    requant: &Requant<'_>,
    output: &mut [i8],
    workspace: &mut [i8],
) -> bool {
    if !supports::<G>() {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    {
        let args = Args { input, weight, bias, requant };
        x86::dispatch::<G, _>(&args, &mut Sink::Whole(output, no_finish), workspace)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (input, weight, bias, requant, output, workspace);
        false
    }
}

/// The `finish` of a [`Sink::Whole`] (never called).
fn no_finish(_: usize, _: &[i8]) {}

/// Bytes of the workspace [`conv_quads_pooled`] uses for `G`: [`workspace_len`] and the
/// planes of a register block's output channels (0 if it does not handle `G`).
#[must_use]
pub const fn pooled_workspace_len<G: ConvGeometry>() -> usize {
    if supports::<G>() { MAX_ROWS * G::OUT_PLANE + workspace_len::<G>() } else { 0 }
}

/// [`conv_quads`] (`false` at the portable level or if `workspace` is too short, having done
/// nothing), but each output channel `o`, once computed (a register block of them at a
/// time, into the front of `workspace`), is handed to `finish(o, plane)` instead of being
/// stored: a pooling layer after the convolution pools it while it is in cache, and the
/// convolution's full output is never stored. `finish` is inlined into the kernel, so it is
/// compiled for the active level. `workspace` needs [`pooled_workspace_len`] bytes.
#[inline]
pub fn conv_quads_pooled<G: ConvGeometry, F: FnMut(usize, &[i8])>(
    input: &[i8],
    weight: &[i8],
    bias: Option<&[i32]>,
    requant: &Requant<'_>,
    workspace: &mut [i8],
    finish: F,
) -> bool {
    if !supports::<G>() {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    {
        let args = Args { input, weight, bias, requant };
        let Some((block, rest)) = workspace.split_at_mut_checked(MAX_ROWS * G::OUT_PLANE) else {
            return false;
        };
        x86::dispatch::<G, F>(&args, &mut Sink::Pooled(block, finish), rest)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (input, weight, bias, requant, workspace, finish);
        false
    }
}

/// Where the output channels go.
enum Sink<'a, F: FnMut(usize, &[i8])> {
    /// Into the output tensor `[C_OUT, ..OUT]`.
    Whole(&'a mut [i8], F),
    /// Into a block of planes (the block's first channel first), then `finish(o, plane)`.
    Pooled(&'a mut [i8], F),
}

impl<F: FnMut(usize, &[i8])> Sink<'_, F> {
    /// Whether it holds `rows` planes of `plane` bytes (the whole output: `c_out` of them).
    fn fits(&self, c_out: usize, rows: usize, plane: usize) -> bool {
        match self {
            Self::Whole(y, _) => y.len() >= c_out * plane,
            Self::Pooled(block, _) => block.len() >= rows * plane,
        }
    }

    /// The buffer channel `o` is written into, and the channel at its start.
    fn target(&mut self, o: usize) -> (&mut [i8], usize) {
        match self {
            Self::Whole(y, _) => (y, 0),
            Self::Pooled(block, _) => (block, o),
        }
    }

    /// Channels `o..o + n` are complete.
    #[inline(always)]
    fn done(&mut self, o: usize, n: usize, plane: usize) {
        if let Self::Pooled(block, finish) = self {
            for (r, y) in block.chunks_exact(plane.max(1)).take(n).enumerate() {
                finish(o + r, y);
            }
        }
    }
}

/// The read-only arguments of a convolution.
struct Args<'a> {
    input: &'a [i8],
    weight: &'a [i8],
    bias: Option<&'a [i32]>,
    requant: &'a Requant<'a>,
}

/// Four `u8 x i8` products per 32-bit lane: the operation the kernel is written with.
trait Dot4 {
    /// 32-bit lanes per vector.
    const LANES: usize;
    /// A vector of `LANES` `i32`s.
    type V: Copy;
    /// All lanes 0.
    fn zero() -> Self::V;
    /// The `LANES` words at `p` (`4 * LANES` bytes).
    ///
    /// # Safety
    /// `p..p + 4 * LANES` must be readable.
    unsafe fn load(p: *const i8) -> Self::V;
    /// `acc` plus, in each lane, the four products of `a`'s bytes as `u8`s with `w`'s bytes
    /// as `i8`s (byte `j` with byte `j`), wrapping.
    fn dot(acc: Self::V, a: Self::V, w: i32) -> Self::V;
    /// The lanes, in the first `LANES` elements.
    fn lanes(v: Self::V) -> [i32; MAX_LANES];
    /// The outputs of the accumulators `v + base` with `(multiplier, shift)` (in the first
    /// `LANES` elements), exactly as [`Requant::output`] computes them, or `None` for a shift
    /// outside `-31..=31` (left to [`Requant::output`]).
    fn requantize(
        v: Self::V,
        base: i32,
        params: (i32, i32),
        requant: &Requant<'_>,
    ) -> Option<[i8; MAX_LANES]>;
}

/// The left and right shifts of a requantization, if both are below 32.
#[inline(always)]
fn shifts(shift: i32) -> Option<(i32, i32)> {
    let (left, right) = if shift > 0 { (shift, 0) } else { (0, shift.checked_neg()?) };
    (left < 32 && right < 32).then_some((left, right))
}

/// Interleaves four byte rows into words: `dst[4 i + j] = src[j][i] ^ flip` for `i < n`
/// (`dst` holds `4 n` bytes; a missing row gives `missing` in its byte). Sixteen words at a
/// time with SSE2's unpacks on x86-64, the rest one by one.
#[inline(always)]
fn interleave4(dst: &mut [i8], src: [Option<&[i8]>; 4], n: usize, flip: u8, missing: i8) {
    let Some(dst) = dst.get_mut(..4 * n) else { return };
    #[cfg_attr(not(target_arch = "x86_64"), allow(unused_mut))]
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{
            _mm_loadu_si128, _mm_set1_epi8, _mm_storeu_si128, _mm_unpackhi_epi8,
            _mm_unpackhi_epi16, _mm_unpacklo_epi8, _mm_unpacklo_epi16, _mm_xor_si128,
        };
        let flip = flip as i8;
        while done + 16 <= n {
            let rows: [Option<&[i8]>; 4] =
                core::array::from_fn(|j| src[j].and_then(|s| s.get(done..done + 16)));
            let Some(out) = dst.get_mut(4 * done..4 * done + 64) else { break };
            // SAFETY: SSE2 is part of x86-64; each load reads the 16 bytes of a row checked
            // above, and the stores write the 64 bytes of `out`.
            unsafe {
                let row = |r: Option<&[i8]>| match r {
                    Some(r) => {
                        _mm_xor_si128(_mm_loadu_si128(r.as_ptr().cast()), _mm_set1_epi8(flip))
                    }
                    None => _mm_set1_epi8(missing),
                };
                let (a, b, c, d) = (row(rows[0]), row(rows[1]), row(rows[2]), row(rows[3]));
                let (ab_lo, ab_hi) = (_mm_unpacklo_epi8(a, b), _mm_unpackhi_epi8(a, b));
                let (cd_lo, cd_hi) = (_mm_unpacklo_epi8(c, d), _mm_unpackhi_epi8(c, d));
                let p = out.as_mut_ptr();
                let store = |at: usize, v| _mm_storeu_si128(p.add(at).cast(), v);
                store(0, _mm_unpacklo_epi16(ab_lo, cd_lo));
                store(16, _mm_unpackhi_epi16(ab_lo, cd_lo));
                store(32, _mm_unpacklo_epi16(ab_hi, cd_hi));
                store(48, _mm_unpackhi_epi16(ab_hi, cd_hi));
            }
            done += 16;
        }
    }
    for (i, word) in dst.chunks_exact_mut(4).enumerate().skip(done) {
        for (j, b) in word.iter_mut().enumerate() {
            *b = src[j].and_then(|s| s.get(i)).map_or(missing, |&v| (v as u8 ^ flip) as i8);
        }
    }
}

/// Fills the padded plane of the input channels `x` of a group (`IN_PER_GROUP` planes).
#[inline(always)]
fn fill_plane<G: ConvGeometry>(x: &[i8], zero_point: i8, plane: &mut [i8]) {
    let [_, in_h, in_w] = G::IN;
    let [_, p_h, p_w] = G::PAD;
    let (height, width) = (padded_height::<G>(), padded_width::<G>());
    let mode = G::PADDING_MODE;
    let fill = (zero_point as u8 ^ 0x80) as i8;
    // Along a row, the columns `p_w..p_w + inside` read input columns `0..inside` in order.
    let inside = if p_w < width { (width - p_w).min(in_w) } else { 0 };
    let words = plane_words::<G>();
    for (quad, dst) in plane.chunks_exact_mut(4 * words).take(quads::<G>()).enumerate() {
        for r in 0..height {
            let Some(row) = dst.get_mut(4 * r * width..4 * (r + 1) * width) else { return };
            let ih = source_index(r, p_h, in_h, mode);
            let src: [Option<&[i8]>; 4] = core::array::from_fn(|j| {
                let c = quad * 4 + j;
                match ih {
                    Some(ih) if c < G::IN_PER_GROUP => {
                        x.get(c * G::IN_PLANE + ih * in_w..c * G::IN_PLANE + (ih + 1) * in_w)
                    }
                    _ => None,
                }
            });
            let pad: [i8; 4] =
                core::array::from_fn(|j| if quad * 4 + j < G::IN_PER_GROUP { fill } else { 0 });
            if src.iter().all(Option::is_none) {
                row.chunks_exact_mut(4).for_each(|w| w.copy_from_slice(&pad));
                continue;
            }
            if let Some(middle) = row.get_mut(4 * p_w..4 * (p_w + inside)) {
                interleave4(middle, src, inside, 0x80, 0);
                for (j, &p) in pad.iter().enumerate() {
                    if src[j].is_none() {
                        middle.chunks_exact_mut(4).for_each(|w| w[j] = p);
                    }
                }
            }
            // The padding columns, as the padding mode says.
            for col in (0..width).filter(|&c| c < p_w || c >= p_w + inside) {
                let Some(word) = row.get_mut(4 * col..4 * col + 4) else { continue };
                let iw = source_index(col, p_w, in_w, mode);
                for (j, b) in word.iter_mut().enumerate() {
                    let v = src[j].zip(iw).and_then(|(s, i)| s.get(i));
                    *b = v.map_or(pad[j], |&v| (v as u8 ^ 0x80) as i8);
                }
            }
        }
    }
}

/// The convolution of every group with the kernel `D`, `R` output channels by `P` vectors of
/// positions per register block.
#[inline(always)]
fn run<G: ConvGeometry, D: Dot4, const R: usize, const P: usize, F: FnMut(usize, &[i8])>(
    args: &Args<'_>,
    sink: &mut Sink<'_, F>,
    workspace: &mut [i8],
) {
    let Args { input, weight, bias, requant } = *args;
    if !conv_params_fit::<G>(input, weight, bias, requant)
        || !sink.fits(G::C_OUT, R, G::OUT_PLANE)
        || R > MAX_ROWS
    {
        return;
    }
    let plane_len = 4 * quads::<G>() * plane_words::<G>();
    let Some((plane, rest)) = workspace.split_at_mut_checked(plane_len) else { return };
    let Some(words) = rest.get_mut(..4 * MAX_ROWS * quads::<G>() * G::TAPS) else { return };
    let zero_point = requant.input_zero_point as i8; // an i8, checked by `conv_params_fit`
    let group_inputs = input.chunks_exact(G::IN_PER_GROUP * G::IN_PLANE);
    for (g, x) in group_inputs.take(G::GROUPS).enumerate() {
        fill_plane::<G>(x, zero_point, plane);
        let mut o = g * G::OUT_PER_GROUP;
        let end = o + G::OUT_PER_GROUP;
        while o < end {
            let (output, first) = sink.target(o);
            if end - o >= R {
                channels::<G, D, R, P>(args, o, first, plane, words, output);
                sink.done(o, R, G::OUT_PLANE);
                o += R;
            } else {
                channels::<G, D, 1, P>(args, o, first, plane, words, output);
                sink.done(o, 1, G::OUT_PLANE);
                o += 1;
            }
        }
    }
}

/// Output channels `o0..o0 + R` (of one group, whose padded plane is `plane`), every position,
/// into `output` whose first plane is channel `first`'s.
#[inline(always)]
fn channels<G: ConvGeometry, D: Dot4, const R: usize, const P: usize>(
    args: &Args<'_>,
    o0: usize,
    first: usize,
    plane: &[i8],
    words: &mut [i8],
    output: &mut [i8],
) {
    let (k, taps) = (G::IN_PER_GROUP * G::TAPS, G::TAPS);
    let n_quads = quads::<G>();
    let rows: [&[i8]; R] =
        core::array::from_fn(|r| args.weight.get((o0 + r) * k..(o0 + r + 1) * k).unwrap_or(&[]));
    if rows.iter().any(|row| row.len() < k) {
        return;
    }
    // Words (r, quad, tap): the weights of channels `4 quad..4 quad + 4` at `tap` of row `r`.
    let Some(words) = words.get_mut(..4 * R * n_quads * taps) else { return };
    for (r, dst_r) in words.chunks_exact_mut(4 * n_quads * taps).enumerate() {
        for (quad, dst) in dst_r.chunks_exact_mut(4 * taps).enumerate() {
            let src = core::array::from_fn(|j| {
                let c = quad * 4 + j;
                if c < G::IN_PER_GROUP { rows[r].get(c * taps..(c + 1) * taps) } else { None }
            });
            interleave4(dst, src, taps, 0, 0);
        }
    }
    let z = args.requant.input_zero_point;
    let base: [i32; R] = core::array::from_fn(|r| {
        let b = args.bias.and_then(|b| b.get(o0 + r)).copied().unwrap_or(0);
        b.wrapping_sub((z + 128).wrapping_mul(weight_sum(rows[r], k)))
    });
    let vectors = positions::<G>().div_ceil(D::LANES);
    let mut v = 0;
    while v < vectors {
        if vectors - v >= P {
            block::<G, D, R, P>(args, [o0, first], v * D::LANES, &base, plane, words, output);
            v += P;
        } else {
            block::<G, D, R, 1>(args, [o0, first], v * D::LANES, &base, plane, words, output);
            v += 1;
        }
    }
}

/// The register block of channels `o0..o0 + R` at positions `q0..q0 + P * LANES` (`at` is
/// `[o0, first]`: `output`'s first plane is channel `first`'s).
#[inline(always)]
fn block<G: ConvGeometry, D: Dot4, const R: usize, const P: usize>(
    args: &Args<'_>,
    at: [usize; 2],
    q0: usize,
    base: &[i32; R],
    plane: &[i8],
    words: &[i8],
    output: &mut [i8],
) {
    let [o0, first] = at;
    let [_, k_h, k_w] = G::KERNEL;
    let [_, d_h, d_w] = G::DILATION;
    let width = padded_width::<G>();
    let n_words = plane_words::<G>();
    let n_quads = quads::<G>();
    // Every load below stays inside these checked lengths: position `q0 + p * LANES + lane`
    // is below `positions` rounded up to `MAX_LANES`, the tap offset at most
    // `plane_words - that`, and the quad's plane starts at `quad * n_words`.
    let last = q0 + P * D::LANES;
    if last > positions::<G>().div_ceil(MAX_LANES) * MAX_LANES
        || plane.len() < 4 * n_quads * n_words
        || words.len() < 4 * R * n_quads * G::TAPS
        || D::LANES > MAX_LANES
    {
        return;
    }
    let mut acc = [[D::zero(); P]; R];
    let row_words = n_quads * G::TAPS;
    let mut word = 0; // quad * TAPS + tap
    for quad in 0..n_quads {
        for kh in 0..k_h {
            for kw in 0..k_w {
                let at = quad * n_words + kh * d_h * width + kw * d_w + q0;
                // SAFETY: `at + P * LANES <= plane.len() / 4` by the checks above.
                let a: [D::V; P] = core::array::from_fn(|p| unsafe {
                    D::load(plane.as_ptr().add(4 * (at + p * D::LANES)))
                });
                for (r, acc_r) in acc.iter_mut().enumerate() {
                    // SAFETY: `r * row_words + word < R * n_quads * TAPS`, the words checked
                    // above.
                    let w = unsafe {
                        words
                            .as_ptr()
                            .add(4 * (r * row_words + word))
                            .cast::<i32>()
                            .read_unaligned()
                    };
                    for (acc_rp, &a_p) in acc_r.iter_mut().zip(&a) {
                        *acc_rp = D::dot(*acc_rp, a_p, w);
                    }
                }
                word += 1;
            }
        }
    }
    store::<G, D, R, P>(args.requant, [o0, first], q0, base, &acc, output);
}

/// Requantizes the block's accumulators and writes the outputs of its positions that are
/// output pixels (`at` as in [`block`]).
#[inline(always)]
fn store<G: ConvGeometry, D: Dot4, const R: usize, const P: usize>(
    requant: &Requant<'_>,
    at: [usize; 2],
    q0: usize,
    base: &[i32; R],
    acc: &[[D::V; P]; R],
    output: &mut [i8],
) {
    let [o0, first] = at;
    let out_w = G::OUT[2];
    let width = padded_width::<G>();
    let n = positions::<G>();
    for (r, acc_r) in acc.iter().enumerate() {
        let o = o0 + r;
        let params = requant.channel(o);
        let Some(i) = o.checked_sub(first) else { return };
        let Some(y) = output.get_mut(i * G::OUT_PLANE..(i + 1) * G::OUT_PLANE) else { return };
        let (mut oh, mut ow) = (q0 / width, q0 % width);
        for (p, &v) in acc_r.iter().enumerate() {
            let values = D::requantize(v, base[r], params, requant).unwrap_or_else(|| {
                let lanes = D::lanes(v);
                core::array::from_fn(|l| requant.output(base[r].wrapping_add(lanes[l]), params))
            });
            let count = n.saturating_sub(q0 + p * D::LANES).min(D::LANES);
            // Runs of lanes along one padded row; the part of a run left of `out_w` is output.
            let mut l = 0;
            while l < count {
                let run = (count - l).min(width - ow);
                let keep = if ow < out_w { run.min(out_w - ow) } else { 0 };
                let at = oh * out_w + ow;
                if let (Some(dst), Some(src)) = (y.get_mut(at..at + keep), values.get(l..l + keep))
                {
                    dst.copy_from_slice(src);
                }
                l += run;
                ow += run;
                if ow == width {
                    ow = 0;
                    oh += 1;
                }
            }
        }
    }
}

/// The x86-64 kernels and the choice among them.
#[cfg(target_arch = "x86_64")]
mod x86 {
    #[allow(clippy::wildcard_imports)] // dozens of intrinsics, all named `_mm*` / `__m*`
    use core::arch::x86_64::*;

    use super::{Args, Dot4, MAX_LANES, Requant, Sink, run, shifts};
    use crate::kernels::conv::ConvGeometry;

    /// Runs the kernel of the active level; `false` at the portable level.
    #[inline(always)]
    pub(super) fn dispatch<G: ConvGeometry, F: FnMut(usize, &[i8])>(
        args: &Args<'_>,
        output: &mut Sink<'_, F>,
        workspace: &mut [i8],
    ) -> bool {
        #[cfg(all(staticnn_x86_dispatch, any(feature = "std", test)))]
        {
            use crate::kernels::isa::{Level, active, x86};
            match active() {
                // SAFETY (each arm): `active` returns only levels the CPU supports.
                Level::Avx512Vnni => unsafe {
                    x86::avx512vnni(
                        #[inline(always)]
                        || run::<G, Vnni512, 4, 4, F>(args, output, workspace),
                    );
                },
                Level::Avx2Vnni => unsafe {
                    x86::avx2vnni(
                        #[inline(always)]
                        || run::<G, Vnni256, 4, 2, F>(args, output, workspace),
                    );
                },
                Level::Avx512 | Level::Avx2 => unsafe {
                    x86::avx2(
                        #[inline(always)]
                        || run::<G, Madd256, 3, 2, F>(args, output, workspace),
                    );
                },
                Level::Portable => return false,
            }
            true
        }
        #[cfg(not(all(staticnn_x86_dispatch, any(feature = "std", test))))]
        {
            compiled::<G, F>(args, output, workspace)
        }
    }

    /// The kernel of the build's target features (no run-time dispatch).
    #[cfg(not(all(staticnn_x86_dispatch, any(feature = "std", test))))]
    #[inline(always)]
    #[allow(clippy::extra_unused_type_parameters)] // unused only in builds below AVX2
    fn compiled<G: ConvGeometry, F: FnMut(usize, &[i8])>(
        args: &Args<'_>,
        output: &mut Sink<'_, F>,
        workspace: &mut [i8],
    ) -> bool {
        #[cfg(all(target_feature = "avx512vnni", target_feature = "avx512bw"))]
        {
            run::<G, Vnni512, 4, 4, F>(args, output, workspace);
            true
        }
        #[cfg(all(
            not(all(target_feature = "avx512vnni", target_feature = "avx512bw")),
            target_feature = "avxvnni",
            target_feature = "avx2"
        ))]
        {
            run::<G, Vnni256, 4, 2, F>(args, output, workspace);
            true
        }
        #[cfg(all(
            not(all(target_feature = "avx512vnni", target_feature = "avx512bw")),
            not(target_feature = "avxvnni"),
            target_feature = "avx2"
        ))]
        {
            run::<G, Madd256, 3, 2, F>(args, output, workspace);
            true
        }
        #[cfg(not(target_feature = "avx2"))]
        {
            let _ = (args, output, workspace);
            false
        }
    }

    /// [`Dot4::requantize`] for 8 lanes (AVX2).
    #[inline(always)]
    fn requantize256(
        v: __m256i,
        base: i32,
        (multiplier, shift): (i32, i32),
        rq: &Requant<'_>,
    ) -> Option<[i8; MAX_LANES]> {
        let (left, right) = shifts(shift)?;
        // SAFETY: only reached at an AVX2 level (`dispatch`); `lanes` is 32 writable bytes.
        unsafe {
            let v = _mm256_add_epi32(v, _mm256_set1_epi32(base));
            let v = _mm256_sll_epi32(v, _mm_cvtsi32_si128(left));
            // round_half_up(v * multiplier / 2^31): 64-bit products of the even lanes, then
            // of the odd ones; bits 31..63 of `product + 2^30` are the result's 32 bits.
            let m = _mm256_set1_epi32(multiplier);
            let half = _mm256_set1_epi64x(1 << 30);
            let even = _mm256_srli_epi64::<31>(_mm256_add_epi64(_mm256_mul_epi32(v, m), half));
            let odd = _mm256_mul_epi32(_mm256_srli_epi64::<32>(v), m);
            let odd = _mm256_slli_epi64::<1>(_mm256_add_epi64(odd, half));
            let h = _mm256_blend_epi32::<0b1010_1010>(even, odd);
            // Divide by 2^right, rounding half away from zero, on the magnitude (|i32::MIN|
            // is 2^31 as a u32; plus at most 2^30 it stays below 2^32).
            let h = if right > 0 {
                let magnitude =
                    _mm256_add_epi32(_mm256_abs_epi32(h), _mm256_set1_epi32(1 << (right - 1)));
                let magnitude = _mm256_srl_epi32(magnitude, _mm_cvtsi32_si128(right));
                _mm256_sign_epi32(magnitude, h)
            } else {
                h
            };
            let y = _mm256_add_epi32(h, _mm256_set1_epi32(rq.output_zero_point));
            let y = _mm256_max_epi32(y, _mm256_set1_epi32(i32::from(rq.act_min)));
            let y = _mm256_min_epi32(y, _mm256_set1_epi32(i32::from(rq.act_max)));
            let mut lanes = [0i32; 8];
            _mm256_storeu_si256(lanes.as_mut_ptr().cast(), y);
            let mut out = [0i8; MAX_LANES];
            for (o, &l) in out.iter_mut().zip(&lanes) {
                *o = l as i8; // clamped to `[act_min, act_max]` above
            }
            Some(out)
        }
    }

    /// AVX-512 VNNI: 16 lanes, one `vpdpbusd` per step.
    #[derive(Clone, Copy)]
    #[cfg_attr(not(all(staticnn_x86_dispatch, any(feature = "std", test))), allow(dead_code))]
    pub(super) struct Vnni512;

    impl Dot4 for Vnni512 {
        const LANES: usize = 16;
        type V = __m512i;

        #[inline(always)]
        fn zero() -> __m512i {
            // SAFETY: only reached at the AVX-512 VNNI level (`dispatch`).
            unsafe { _mm512_setzero_si512() }
        }

        #[inline(always)]
        unsafe fn load(p: *const i8) -> __m512i {
            // SAFETY: the caller guarantees 64 readable bytes; `loadu` needs no alignment.
            unsafe { _mm512_loadu_si512(p.cast()) }
        }

        #[inline(always)]
        fn dot(acc: __m512i, a: __m512i, w: i32) -> __m512i {
            // SAFETY: as in `zero`.
            unsafe { _mm512_dpbusd_epi32(acc, a, _mm512_set1_epi32(w)) }
        }

        #[inline(always)]
        fn lanes(v: __m512i) -> [i32; MAX_LANES] {
            let mut out = [0i32; MAX_LANES];
            // SAFETY: as in `zero`; `out` is 64 writable bytes.
            unsafe { _mm512_storeu_si512(out.as_mut_ptr().cast(), v) };
            out
        }

        #[inline(always)]
        fn requantize(
            v: __m512i,
            base: i32,
            (multiplier, shift): (i32, i32),
            rq: &Requant<'_>,
        ) -> Option<[i8; MAX_LANES]> {
            let (left, right) = shifts(shift)?;
            // SAFETY: as in `zero`; `out` is 16 writable bytes. The arithmetic is
            // `requantize256`'s, 16 lanes wide.
            unsafe {
                let v = _mm512_add_epi32(v, _mm512_set1_epi32(base));
                let v = _mm512_sll_epi32(v, _mm_cvtsi32_si128(left));
                let m = _mm512_set1_epi32(multiplier);
                let half = _mm512_set1_epi64(1 << 30);
                let even = _mm512_srli_epi64::<31>(_mm512_add_epi64(_mm512_mul_epi32(v, m), half));
                let odd = _mm512_mul_epi32(_mm512_srli_epi64::<32>(v), m);
                let odd = _mm512_slli_epi64::<1>(_mm512_add_epi64(odd, half));
                let h = _mm512_mask_blend_epi32(0xaaaa, even, odd);
                let h = if right > 0 {
                    let magnitude =
                        _mm512_add_epi32(_mm512_abs_epi32(h), _mm512_set1_epi32(1 << (right - 1)));
                    let magnitude = _mm512_srl_epi32(magnitude, _mm_cvtsi32_si128(right));
                    let zero = _mm512_setzero_si512();
                    let negative = _mm512_cmplt_epi32_mask(h, zero);
                    _mm512_mask_sub_epi32(magnitude, negative, zero, magnitude)
                } else {
                    h
                };
                let y = _mm512_add_epi32(h, _mm512_set1_epi32(rq.output_zero_point));
                let y = _mm512_max_epi32(y, _mm512_set1_epi32(i32::from(rq.act_min)));
                let y = _mm512_min_epi32(y, _mm512_set1_epi32(i32::from(rq.act_max)));
                let mut out = [0i8; MAX_LANES];
                _mm_storeu_si128(out.as_mut_ptr().cast(), _mm512_cvtepi32_epi8(y));
                Some(out)
            }
        }
    }

    /// AVX-VNNI: 8 lanes, one (VEX-encoded) `vpdpbusd` per step.
    #[derive(Clone, Copy)]
    #[cfg_attr(not(all(staticnn_x86_dispatch, any(feature = "std", test))), allow(dead_code))]
    pub(super) struct Vnni256;

    impl Dot4 for Vnni256 {
        const LANES: usize = 8;
        type V = __m256i;

        #[inline(always)]
        fn zero() -> __m256i {
            // SAFETY: only reached at the AVX-VNNI level (`dispatch`).
            unsafe { _mm256_setzero_si256() }
        }

        #[inline(always)]
        unsafe fn load(p: *const i8) -> __m256i {
            // SAFETY: the caller guarantees 32 readable bytes; `loadu` needs no alignment.
            unsafe { _mm256_loadu_si256(p.cast()) }
        }

        #[inline(always)]
        fn dot(acc: __m256i, a: __m256i, w: i32) -> __m256i {
            // SAFETY: as in `zero`.
            unsafe { _mm256_dpbusd_avx_epi32(acc, a, _mm256_set1_epi32(w)) }
        }

        #[inline(always)]
        fn lanes(v: __m256i) -> [i32; MAX_LANES] {
            let mut out = [0i32; MAX_LANES];
            // SAFETY: as in `zero`; `out` holds at least 32 writable bytes.
            unsafe { _mm256_storeu_si256(out.as_mut_ptr().cast(), v) };
            out
        }

        #[inline(always)]
        fn requantize(
            v: __m256i,
            base: i32,
            params: (i32, i32),
            rq: &Requant<'_>,
        ) -> Option<[i8; MAX_LANES]> {
            requantize256(v, base, params, rq)
        }
    }

    /// AVX2 without VNNI: 8 lanes; the even and odd bytes widened to 16 bits, two `vpmaddwd`.
    #[derive(Clone, Copy)]
    #[cfg_attr(not(all(staticnn_x86_dispatch, any(feature = "std", test))), allow(dead_code))]
    pub(super) struct Madd256;

    impl Dot4 for Madd256 {
        const LANES: usize = 8;
        type V = __m256i;

        #[inline(always)]
        fn zero() -> __m256i {
            // SAFETY: only reached at an AVX2 level (`dispatch`).
            unsafe { _mm256_setzero_si256() }
        }

        #[inline(always)]
        unsafe fn load(p: *const i8) -> __m256i {
            // SAFETY: the caller guarantees 32 readable bytes; `loadu` needs no alignment.
            unsafe { _mm256_loadu_si256(p.cast()) }
        }

        #[inline(always)]
        fn dot(acc: __m256i, a: __m256i, w: i32) -> __m256i {
            // SAFETY: as in `zero`.
            unsafe {
                let w = _mm256_set1_epi32(w);
                // Bytes 0 and 2 of each word as u16 (a) and sign-extended i16 (w); then 1, 3.
                let a_even = _mm256_and_si256(a, _mm256_set1_epi16(0x00ff));
                let a_odd = _mm256_srli_epi16::<8>(a);
                let w_even = _mm256_srai_epi16::<8>(_mm256_slli_epi16::<8>(w));
                let w_odd = _mm256_srai_epi16::<8>(w);
                let even = _mm256_madd_epi16(a_even, w_even);
                let odd = _mm256_madd_epi16(a_odd, w_odd);
                _mm256_add_epi32(acc, _mm256_add_epi32(even, odd))
            }
        }

        #[inline(always)]
        fn lanes(v: __m256i) -> [i32; MAX_LANES] {
            let mut out = [0i32; MAX_LANES];
            // SAFETY: as in `zero`; `out` holds at least 32 writable bytes.
            unsafe { _mm256_storeu_si256(out.as_mut_ptr().cast(), v) };
            out
        }

        #[inline(always)]
        fn requantize(
            v: __m256i,
            base: i32,
            params: (i32, i32),
            rq: &Requant<'_>,
        ) -> Option<[i8; MAX_LANES]> {
            requantize256(v, base, params, rq)
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec;
    use std::vec::Vec;

    use super::*;
    use crate::kernels::PaddingMode;
    use crate::kernels::int8::conv::{conv_im2col, im2col_workspace_len};
    use crate::kernels::int8::linear;
    use crate::kernels::isa::{Level, available, with_level};

    macro_rules! geometry {
        ($ty:ident: $c_in:expr => $c_out:expr, groups $g:expr, in [$h:expr, $w:expr],
         out [$oh:expr, $ow:expr], kernel [$kh:expr, $kw:expr], dilation [$dh:expr, $dw:expr],
         pad [$ph:expr, $pw:expr], $mode:expr) => {
            struct $ty;
            impl ConvGeometry for $ty {
                const C_IN: usize = $c_in;
                const C_OUT: usize = $c_out;
                const GROUPS: usize = $g;
                const IN: [usize; 3] = [1, $h, $w];
                const OUT: [usize; 3] = [1, $oh, $ow];
                const KERNEL: [usize; 3] = [1, $kh, $kw];
                const STRIDE: [usize; 3] = [1, 1, 1];
                const DILATION: [usize; 3] = [1, $dh, $dw];
                const PAD: [usize; 3] = [0, $ph, $pw];
                const PADDING_MODE: PaddingMode = $mode;
            }
        };
    }

    // Channels not multiples of 4 or 16, reductions with remainders, rows narrower and wider
    // than a vector, asymmetric padding (an output larger than `same`), dilation, groups.
    geometry!(OddChannels: 7 => 13, groups 1, in [9, 11], out [9, 11], kernel [3, 3],
        dilation [1, 1], pad [1, 1], PaddingMode::Zeros);
    geometry!(FiveChannelsWide: 5 => 6, groups 1, in [3, 37], out [3, 37], kernel [3, 5],
        dilation [1, 1], pad [1, 2], PaddingMode::Zeros);
    geometry!(Grouped: 6 => 9, groups 3, in [6, 5], out [7, 6], kernel [2, 2],
        dilation [1, 1], pad [1, 1], PaddingMode::Zeros);
    geometry!(Dilated: 17 => 5, groups 1, in [8, 8], out [8, 8], kernel [3, 3],
        dilation [2, 2], pad [2, 2], PaddingMode::Reflect);
    geometry!(OneD: 33 => 18, groups 1, in [1, 19], out [1, 17], kernel [1, 3],
        dilation [1, 1], pad [0, 0], PaddingMode::Circular);
    geometry!(Pointwise: 67 => 21, groups 1, in [3, 7], out [3, 7], kernel [1, 1],
        dilation [1, 1], pad [0, 0], PaddingMode::Zeros);

    /// A xorshift generator.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        /// Bytes: uniform, or (one draw in three) only the extremes -128 and 127.
        fn bytes(&mut self, n: usize) -> Vec<i8> {
            let extremes = self.next().is_multiple_of(3);
            (0..n)
                .map(|_| {
                    let v = (self.next() >> 56) as u8 as i8;
                    if extremes { if v < 0 { -128 } else { 127 } } else { v }
                })
                .collect()
        }
        fn range(&mut self, lo: i32, hi: i32) -> i32 {
            lo + (self.next() % (hi - lo + 1) as u64) as i32
        }
    }

    /// Random requantization parameters: zero points often at -128 or 127, shifts from -31
    /// to 30 (left shifts included), per channel or per tensor.
    fn params(rng: &mut Rng, channels: usize) -> (i32, i32, Vec<i32>, Vec<i32>, Vec<i32>) {
        let zp = |rng: &mut Rng| match rng.next() % 3 {
            0 => -128,
            1 => 127,
            _ => rng.range(-128, 127),
        };
        let (z_in, z_out) = (zp(rng), zp(rng));
        let n = if rng.next().is_multiple_of(2) { 1 } else { channels };
        let multiplier = (0..n).map(|_| rng.range(1 << 30, i32::MAX)).collect();
        let shift =
            (0..n)
                .map(|_| {
                    if rng.next().is_multiple_of(4) {
                        rng.range(-31, 30)
                    } else {
                        rng.range(-12, 0)
                    }
                })
                .collect();
        let bias = (0..channels).map(|_| rng.range(-100_000, 100_000)).collect();
        (z_in, z_out, multiplier, shift, bias)
    }

    /// The quad path at every x86 level equals the portable im2col path, bit for bit.
    fn check<G: ConvGeometry>(seed: u64) {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        for round in 0..12 {
            let x = rng.bytes(G::C_IN * G::IN_PLANE);
            let w = rng.bytes(G::C_OUT * G::IN_PER_GROUP * G::TAPS);
            let (z_in, z_out, multiplier, shift, bias) = params(&mut rng, G::C_OUT);
            let (lo, hi) = (rng.range(-128, 0) as i8, rng.range(0, 127) as i8);
            let rq = Requant {
                input_zero_point: z_in,
                output_zero_point: z_out,
                act_min: lo,
                act_max: hi,
                multiplier: &multiplier,
                shift: &shift,
            };
            let b = (round % 3 != 0).then_some(bias.as_slice());
            let n = G::C_OUT * G::OUT_PLANE;
            let mut want = vec![0x55; n];
            conv_im2col::<G>(&x, &w, b, &rq, &mut want, &mut vec![0; im2col_workspace_len::<G>()]);
            for level in available().filter(|&l| l != Level::Portable) {
                let mut got = vec![0x55; n];
                let mut ws = vec![0x5a; workspace_len::<G>()];
                let ran = with_level(level, || conv_quads::<G>(&x, &w, b, &rq, &mut got, &mut ws));
                assert_eq!(ran, Some(true), "{}", level.name());
                assert_eq!(got, want, "round {round} at {}: {rq:?}", level.name());
            }
        }
    }

    /// A strided convolution (no quad path): `conv_pooled` computes blocks of channels.
    struct Strided;
    impl ConvGeometry for Strided {
        const C_IN: usize = 5;
        const C_OUT: usize = 12;
        const GROUPS: usize = 1;
        const IN: [usize; 3] = [1, 9, 10];
        const OUT: [usize; 3] = [1, 5, 5];
        const KERNEL: [usize; 3] = [1, 3, 3];
        const STRIDE: [usize; 3] = [1, 2, 2];
        const DILATION: [usize; 3] = [1, 1, 1];
        const PAD: [usize; 3] = [0, 1, 1];
        const PADDING_MODE: PaddingMode = PaddingMode::Zeros;
    }

    /// `conv_pooled` at every level (the portable one included) hands every output channel
    /// over exactly once, with the portable im2col path's bits.
    fn check_pooled<G: ConvGeometry>(seed: u64) {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        for round in 0..6 {
            let x = rng.bytes(G::C_IN * G::IN_PLANE);
            let w = rng.bytes(G::C_OUT * G::IN_PER_GROUP * G::TAPS);
            let (z_in, z_out, multiplier, shift, bias) = params(&mut rng, G::C_OUT);
            let (lo, hi) = (rng.range(-128, 0) as i8, rng.range(0, 127) as i8);
            let rq = Requant {
                input_zero_point: z_in,
                output_zero_point: z_out,
                act_min: lo,
                act_max: hi,
                multiplier: &multiplier,
                shift: &shift,
            };
            let b = (round % 3 != 0).then_some(bias.as_slice());
            let n = G::C_OUT * G::OUT_PLANE;
            let mut want = vec![0x55; n];
            conv_im2col::<G>(&x, &w, b, &rq, &mut want, &mut vec![0; im2col_workspace_len::<G>()]);
            for level in available() {
                let mut got = vec![0x55; n];
                let mut calls = vec![0; G::C_OUT];
                let mut ws = vec![0x5a; super::super::conv::pooled_workspace_len::<G>()];
                with_level(level, || {
                    super::super::conv::conv_pooled::<G>(&x, &w, b, &rq, &mut ws, |o, plane| {
                        calls[o] += 1;
                        got[o * G::OUT_PLANE..(o + 1) * G::OUT_PLANE].copy_from_slice(plane);
                    });
                });
                assert_eq!(calls, vec![1; G::C_OUT], "{}", level.name());
                assert_eq!(got, want, "round {round} at {}: {rq:?}", level.name());
                // A workspace one byte short: nothing is handed over.
                ws.pop();
                with_level(level, || {
                    super::super::conv::conv_pooled::<G>(&x, &w, b, &rq, &mut ws, |_, _| {
                        panic!("called with a short workspace")
                    });
                });
            }
        }
    }

    #[test]
    fn pooled_convolutions_hand_over_every_channel_at_every_level() {
        check_pooled::<OddChannels>(11);
        check_pooled::<FiveChannelsWide>(12);
        check_pooled::<Grouped>(13);
        check_pooled::<Dilated>(14);
        check_pooled::<OneD>(15);
        check_pooled::<Pointwise>(16);
        check_pooled::<Strided>(17);
    }

    #[test]
    fn quads_equal_the_portable_path_on_random_cases() {
        check::<OddChannels>(1);
        check::<FiveChannelsWide>(2);
        check::<Grouped>(3);
        check::<Dilated>(4);
        check::<OneD>(5);
        check::<Pointwise>(6);
    }

    #[test]
    fn the_portable_level_is_left_to_the_caller() {
        let rq = Requant {
            input_zero_point: 0,
            output_zero_point: 0,
            act_min: -128,
            act_max: 127,
            multiplier: &[1 << 30],
            shift: &[0],
        };
        let ran = with_level(Level::Portable, || {
            conv_quads::<OddChannels>(&[], &[], None, &rq, &mut [], &mut [])
        });
        // `None` in a build whose only level is an x86 one (no run-time dispatch).
        assert_eq!(ran, Level::Portable.is_available().then_some(false));
    }

    /// The linear layer at every level equals the definition, for lengths around multiples of
    /// 64.
    #[test]
    fn linear_at_every_level_equals_the_portable_level() {
        let mut rng = Rng(77);
        for n in [1, 3, 63, 64, 65, 127, 200, 1024] {
            for m in [1, 3, 4, 7, 10] {
                let x = rng.bytes(n);
                let w = rng.bytes(n * m);
                let (z_in, z_out, multiplier, shift, bias) = params(&mut rng, m);
                let rq = Requant {
                    input_zero_point: z_in,
                    output_zero_point: z_out,
                    act_min: -128,
                    act_max: 127,
                    multiplier: &multiplier,
                    shift: &shift,
                };
                let want: Vec<i8> = (0..m)
                    .map(|o| {
                        let dot = (0..n).fold(bias[o], |acc, i| {
                            acc.wrapping_add(i32::from(w[o * n + i]) * (i32::from(x[i]) - z_in))
                        });
                        rq.output(dot, rq.channel(o))
                    })
                    .collect();
                for level in available() {
                    let mut y = vec![0x55; m];
                    with_level(level, || linear(n, m, &x, &w, Some(&bias), &rq, &mut y));
                    assert_eq!(y, want, "n {n}, m {m} at {}", level.name());
                }
            }
        }
    }
}
