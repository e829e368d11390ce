//! Convolution, any geometry: kernel size, stride, padding (asymmetric through the output
//! size, as CMSIS-NN), dilation, groups, padding mode, one to three spatial axes.
//!
//! [`conv`] picks the fastest path for a geometry: on x86-64 at an AVX2 or better level
//! (chosen at run time) [`quads`] for every stride-1 convolution; else, at compile time,
//! [`pointwise`] for a 1x1 convolution with stride 1 and no padding (but on a DSP target),
//! [`depthwise`] for one input channel per group, on a core with the DSP extension
//! ([`dsp::TARGET`]) [`direct`] for the geometries it handles, else [`conv_im2col`].
//!
//! [`conv_im2col`] copies the *patch* of each output pixel (its group's input channels times
//! the kernel window, in the order of a weight row: `[C_in / groups, kd, kh, kw]`) into the
//! workspace, a few pixels at a time, then computes each output as a [`dot_block`] of a weight
//! row with a patch. Padding positions hold the input zero point, so they contribute exactly
//! nothing; the patches hold raw inputs and the zero point is taken out once per output
//! channel: `Σ w (x - z) = Σ w x - z Σ w`.

use super::dot::{dot_block, weight_sum};
use super::{Requant, depthwise, direct, dsp, pointwise, pointwise_dsp, quads};
use crate::kernels::PaddingMode;
use crate::kernels::conv::ConvGeometry;

/// Output pixels whose patches are built and used together.
pub const PIXELS: usize = 4;
/// Output channels per dot block.
const ROWS: usize = 2;
/// Output channels whose combined biases (`bias - z Σ w`) are kept on the stack at once; a
/// group with more is done in several passes over its pixels.
pub(crate) const CHANNEL_CHUNK: usize = 64;

/// Bytes of `workspace` that [`conv`] needs for `G`: 0 for the pointwise path, the depthwise
/// path's [`depthwise::workspace_len`] (a padded input plane, stride 1 only), on a DSP
/// target the direct path's [`direct::workspace_len`], else [`im2col_workspace_len`]; on
/// x86-64 with stride 1, the larger of that and [`quads::workspace_len`].
#[must_use]
pub const fn workspace_len<G: ConvGeometry>() -> usize {
    let portable = if takes_pointwise::<G>() {
        0
    } else if dsp::TARGET && pointwise_dsp::supports::<G>() {
        pointwise_dsp::workspace_len::<G>()
    } else if depthwise::supports::<G>() {
        depthwise::workspace_len::<G>()
    } else if dsp::TARGET && direct::supports::<G>() {
        direct::workspace_len::<G>()
    } else {
        im2col_workspace_len::<G>()
    };
    // At the portable level an x86 build takes the other paths, on the same workspace.
    let quads = quads::workspace_len::<G>();
    if quads > portable { quads } else { portable }
}

/// Whether [`conv`] runs `G` on the pointwise path: a 1x1 convolution it handles, except on
/// a DSP target, where [`pointwise_dsp`] (or else the direct path) handles it (`SMLAD` on
/// operands widened once per tile: DS-CNN's 1x1 64 -> 64 on 25 x 5 on the Cortex-M4 from 5.77
/// to 1.73 instructions per MAC through the direct path, the same output bits).
const fn takes_pointwise<G: ConvGeometry>() -> bool {
    pointwise::supports::<G>()
        && !(dsp::TARGET && (pointwise_dsp::supports::<G>() || direct::supports::<G>()))
}

/// Bytes of `workspace` that [`conv_im2col`] needs for `G`: the patches of [`PIXELS`] output
/// pixels.
#[must_use]
pub const fn im2col_workspace_len<G: ConvGeometry>() -> usize {
    PIXELS * G::IN_PER_GROUP * G::TAPS
}

/// Int8 convolution (`torch.nn.Conv2d` on quantized tensors, CMSIS-NN's
/// `arm_convolve_wrapper_s8` / `arm_depthwise_conv_wrapper_s8`): for every output channel `o`
/// and pixel, `requantize(bias[o] + Σ w * (x - input_zero_point)) + output_zero_point`,
/// clamped ([`Requant`]).
///
/// `input` is `[C_IN, ..IN]`, `weight` `[C_OUT, C_IN / GROUPS, ..KERNEL]`, `bias` `[C_OUT]`
/// (`None` without bias), `output` `[C_OUT, ..OUT]`; `workspace` holds [`workspace_len`]
/// bytes. Padding after the input is whatever `OUT` implies (PyTorch's `padding='same'` with an
/// even kernel, `ceil_mode`). Writes nothing if a slice is too short or the parameters do not
/// fit (see [`Requant::covers`]).
#[inline]
pub fn conv<G: ConvGeometry>(
    input: &[i8],
    weight: &[i8],
    bias: Option<&[i32]>,
    requant: &Requant<'_>,
    output: &mut [i8],
    workspace: &mut [i8],
) {
    if quads::supports::<G>()
        && quads::conv_quads::<G>(input, weight, bias, requant, output, workspace)
    {
        // Done by an x86 level's kernel.
    } else if takes_pointwise::<G>() {
        pointwise::conv_pointwise::<G>(input, weight, bias, requant, output);
    } else if dsp::TARGET && pointwise_dsp::supports::<G>() {
        pointwise_dsp::conv_pointwise_dsp::<G>(input, weight, bias, requant, output, workspace);
    } else if depthwise::supports::<G>() {
        depthwise::conv_depthwise::<G>(input, weight, bias, requant, output, workspace);
    } else if dsp::TARGET && direct::supports::<G>() {
        direct::conv_direct::<G>(input, weight, bias, requant, output, workspace);
    } else {
        conv_im2col::<G>(input, weight, bias, requant, output, workspace);
    }
}

/// Whether the geometry is well formed (no size that divides by zero or mixes up groups) and
/// the slices and parameters cover it.
#[inline]
pub(crate) fn conv_args_fit<G: ConvGeometry>(
    input: &[i8],
    weight: &[i8],
    bias: Option<&[i32]>,
    requant: &Requant<'_>,
    output: &[i8],
) -> bool {
    conv_params_fit::<G>(input, weight, bias, requant) && output.len() >= G::C_OUT * G::OUT_PLANE
}

/// [`conv_args_fit`] without the output.
#[inline]
pub(crate) fn conv_params_fit<G: ConvGeometry>(
    input: &[i8],
    weight: &[i8],
    bias: Option<&[i32]>,
    requant: &Requant<'_>,
) -> bool {
    let positive = |a: [usize; 3]| a.iter().all(|&v| v > 0);
    G::GROUPS > 0
        && G::C_IN % G::GROUPS == 0
        && G::C_OUT % G::GROUPS == 0
        && positive(G::KERNEL)
        && positive(G::STRIDE)
        && positive(G::DILATION)
        && input.len() >= G::C_IN * G::IN_PLANE
        && weight.len() >= G::C_OUT * G::IN_PER_GROUP * G::TAPS
        && bias.is_none_or(|b| b.len() >= G::C_OUT)
        && requant.covers(G::C_OUT)
}

/// Output channels per pass of [`conv_pooled`] off the x86 kernels: up to 4 (the largest of
/// 4, 2, 1 dividing `C_OUT`) for an ungrouped convolution in a build that has the x86
/// kernels ([`quads::BUILT`], whose portable level then computes 4 channels at a time,
/// rebuilding its patches for each pass); up to 8 in a build without them (a
/// microcontroller: its working memory holds 8 output planes, not the whole output, for an
/// input band widened once per pass); every channel at once for a grouped convolution.
#[must_use]
pub const fn pooled_block<G: ConvGeometry>() -> usize {
    if G::GROUPS != 1 {
        G::C_OUT
    } else if !quads::BUILT {
        let mut n = if G::C_OUT < MICRO_POOLED_BLOCK { G::C_OUT } else { MICRO_POOLED_BLOCK };
        while n > 1 && G::C_OUT % n != 0 {
            n -= 1;
        }
        n
    } else if G::C_OUT % 4 == 0 {
        4
    } else if G::C_OUT % 2 == 0 {
        2
    } else {
        1
    }
}

/// Most output channels per pass of [`conv_pooled`] on a microcontroller: CIFAR-10's first
/// convolution then needs 8 KiB of planes instead of its 32 KiB output.
const MICRO_POOLED_BLOCK: usize = 8;

/// `G` restricted to [`pooled_block`] output channels (the same geometry otherwise).
struct Block<G>(core::marker::PhantomData<G>);

impl<G: ConvGeometry> ConvGeometry for Block<G> {
    const C_IN: usize = G::C_IN;
    const C_OUT: usize = pooled_block::<G>();
    const GROUPS: usize = G::GROUPS;
    const IN: [usize; 3] = G::IN;
    const OUT: [usize; 3] = G::OUT;
    const KERNEL: [usize; 3] = G::KERNEL;
    const STRIDE: [usize; 3] = G::STRIDE;
    const DILATION: [usize; 3] = G::DILATION;
    const PAD: [usize; 3] = G::PAD;
    const PADDING_MODE: PaddingMode = G::PADDING_MODE;
}

/// Bytes of `workspace` that [`conv_pooled`] needs for `G`: the larger of
/// [`quads::pooled_workspace_len`] and, for the other paths, [`pooled_block`] output planes
/// and the [`workspace_len`] of a convolution of that many channels.
#[must_use]
pub const fn pooled_workspace_len<G: ConvGeometry>() -> usize {
    let quads = quads::pooled_workspace_len::<G>();
    let other = pooled_block::<G>() * G::OUT_PLANE + workspace_len::<Block<G>>();
    if quads > other { quads } else { other }
}

/// [`conv`], but each output channel `o`, once computed, is handed to `finish(o, plane)`
/// instead of being stored (a pooling layer after the convolution pools it while it is in
/// cache; the values are [`conv`]'s, bit for bit). The x86 kernels hand over a register block
/// of channels at a time (`finish` inlined into the kernel, compiled for its level); the other
/// paths compute [`pooled_block`] channels at a time. `workspace` holds
/// [`pooled_workspace_len`] bytes. Calls nothing if a slice is too short or the parameters do
/// not fit.
#[inline]
pub fn conv_pooled<G: ConvGeometry>(
    input: &[i8],
    weight: &[i8],
    bias: Option<&[i32]>,
    requant: &Requant<'_>,
    workspace: &mut [i8],
    mut finish: impl FnMut(usize, &[i8]),
) {
    if !conv_params_fit::<G>(input, weight, bias, requant)
        || workspace.len() < pooled_workspace_len::<G>()
    {
        return;
    }
    if quads::supports::<G>()
        && quads::conv_quads_pooled::<G, _>(input, weight, bias, requant, workspace, &mut finish)
    {
        return;
    }
    let n = pooled_block::<G>();
    let k = G::IN_PER_GROUP * G::TAPS;
    let Some((planes, rest)) = workspace.split_at_mut_checked(n * G::OUT_PLANE) else { return };
    let mut first = 0;
    while n > 0 && first < G::C_OUT {
        let weight = weight.get(first * k..).unwrap_or(&[]);
        let bias = bias.map(|b| b.get(first..).unwrap_or(&[]));
        let requant = requant.from_channel(first);
        conv::<Block<G>>(input, weight, bias, &requant, planes, rest);
        for (r, plane) in planes.chunks_exact(G::OUT_PLANE.max(1)).take(n).enumerate() {
            finish(first + r, plane);
        }
        first += n;
    }
}

/// The bias of output channel `o` minus `zero_point * Σ weight row`: the accumulator's start
/// when the dot product runs on raw inputs.
#[inline(always)]
pub(crate) fn combined_bias(bias: Option<&[i32]>, row: &[i8], zero_point: i32, o: usize) -> i32 {
    let b = bias.and_then(|b| b.get(o)).copied().unwrap_or(0);
    b.wrapping_sub(zero_point.wrapping_mul(weight_sum(row, row.len())))
}

/// The input index read at padded position `pos` of an axis (`pad` before, `len` long), or
/// `None` for a zero-padding position.
#[inline(always)]
pub(crate) fn source_index(pos: usize, pad: usize, len: usize, mode: PaddingMode) -> Option<usize> {
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

/// Copies the patch of output pixel `pixel` (flat index into `OUT`) from the group's input
/// channels `x` into `patch` (`IN_PER_GROUP * TAPS` bytes), zero padding as `fill`.
#[inline(always)]
fn build_patch<G: ConvGeometry>(x: &[i8], pixel: usize, fill: i8, patch: &mut [i8]) {
    let [in_d, in_h, in_w] = G::IN;
    let [_, out_h, out_w] = G::OUT;
    let [k_d, k_h, k_w] = G::KERNEL;
    let [s_d, s_h, s_w] = G::STRIDE;
    let [d_d, d_h, d_w] = G::DILATION;
    let [p_d, p_h, p_w] = G::PAD;
    let mode = G::PADDING_MODE;
    let (od, oh, ow) = (pixel / (out_h * out_w), pixel / out_w % out_h, pixel % out_w);
    // The whole row of the window is inside the input: one contiguous copy per kernel row.
    let start = ow * s_w;
    let row_inside = d_w == 1 && start >= p_w && start - p_w + k_w <= in_w;
    let mut rows = patch.chunks_exact_mut(k_w);
    for plane in x.chunks_exact(G::IN_PLANE).take(G::IN_PER_GROUP) {
        for kd in 0..k_d {
            let id = source_index(od * s_d + kd * d_d, p_d, in_d, mode);
            for kh in 0..k_h {
                let ih = source_index(oh * s_h + kh * d_h, p_h, in_h, mode);
                let Some(dst) = rows.next() else { return };
                let (Some(id), Some(ih)) = (id, ih) else {
                    dst.fill(fill);
                    continue;
                };
                let row = plane.get((id * in_h + ih) * in_w..).unwrap_or(&[]);
                let src = if row_inside { row.get(start - p_w..start - p_w + k_w) } else { None };
                match src {
                    Some(src) => dst.copy_from_slice(src),
                    None => {
                        for (kw, d) in dst.iter_mut().enumerate() {
                            let iw = source_index(start + kw * d_w, p_w, in_w, mode);
                            *d = iw.and_then(|iw| row.get(iw)).copied().unwrap_or(fill);
                        }
                    }
                }
            }
        }
    }
}

/// The general path of [`conv`]: patches of [`PIXELS`] pixels at a time in `workspace`
/// ([`im2col_workspace_len`] bytes), dot products with blocks of weight rows. Handles every
/// geometry (the other paths' included, which the tests use to cross-check them).
#[inline]
pub fn conv_im2col<G: ConvGeometry>(
    input: &[i8],
    weight: &[i8],
    bias: Option<&[i32]>,
    requant: &Requant<'_>,
    output: &mut [i8],
    workspace: &mut [i8],
) {
    let k = G::IN_PER_GROUP * G::TAPS;
    if !conv_args_fit::<G>(input, weight, bias, requant, output) || G::TAPS == 0 {
        return;
    }
    let Some(patches) = workspace.get_mut(..PIXELS * k) else { return };
    let fill = requant.input_zero_point as i8; // checked to be an i8 by `covers`
    let plane = G::OUT_PLANE;
    let group_inputs = input.chunks_exact(G::IN_PER_GROUP * G::IN_PLANE);
    for (g, x) in group_inputs.take(G::GROUPS).enumerate() {
        let mut first = 0;
        while first < G::OUT_PER_GROUP {
            let n = if G::OUT_PER_GROUP - first < CHANNEL_CHUNK {
                G::OUT_PER_GROUP - first
            } else {
                CHANNEL_CHUNK
            };
            let oc0 = g * G::OUT_PER_GROUP + first;
            let mut base = [0i32; CHANNEL_CHUNK];
            for (i, b) in base.iter_mut().take(n).enumerate() {
                let row = weight.get((oc0 + i) * k..(oc0 + i + 1) * k).unwrap_or(&[]);
                *b = combined_bias(bias, row, requant.input_zero_point, oc0 + i);
            }
            let channels = Channels { weight, k, oc0, n, base: &base, requant, plane };
            let mut p0 = 0;
            while p0 < plane {
                let np = if plane - p0 < PIXELS { plane - p0 } else { PIXELS };
                for (j, patch) in patches.chunks_exact_mut(k).take(np).enumerate() {
                    build_patch::<G>(x, p0 + j, fill, patch);
                }
                if np == PIXELS {
                    channels.run::<PIXELS>(patches, p0, output);
                } else {
                    for j in 0..np {
                        let patch = patches.get(j * k..).unwrap_or(&[]);
                        channels.run::<1>(patch, p0 + j, output);
                    }
                }
                p0 += np;
            }
            first += n;
        }
    }
}

/// A run of output channels sharing patches: `n` channels from `oc0`, rows of `k` weights.
struct Channels<'a> {
    weight: &'a [i8],
    k: usize,
    oc0: usize,
    n: usize,
    base: &'a [i32; CHANNEL_CHUNK],
    requant: &'a Requant<'a>,
    plane: usize,
}

impl Channels<'_> {
    /// Computes the outputs of all channels at pixels `p0..p0 + P`, whose patches are the
    /// first `P * k` bytes of `patches`.
    #[inline(always)]
    fn run<const P: usize>(&self, patches: &[i8], p0: usize, output: &mut [i8]) {
        let cols: [&[i8]; P] =
            core::array::from_fn(|j| patches.get(j * self.k..(j + 1) * self.k).unwrap_or(&[]));
        let mut i = 0;
        while i + ROWS <= self.n {
            self.block::<ROWS, P>(i, cols, p0, output);
            i += ROWS;
        }
        while i < self.n {
            self.block::<1, P>(i, cols, p0, output);
            i += 1;
        }
    }

    /// Channels `oc0 + i .. oc0 + i + R` at pixels `p0..p0 + P`.
    #[inline(always)]
    fn block<const R: usize, const P: usize>(
        &self,
        i: usize,
        cols: [&[i8]; P],
        p0: usize,
        output: &mut [i8],
    ) {
        let k = self.k;
        let rows: [&[i8]; R] = core::array::from_fn(|r| {
            let o = self.oc0 + i + r;
            self.weight.get(o * k..(o + 1) * k).unwrap_or(&[])
        });
        let sums = dot_block::<R, P>(rows, cols, k);
        for (r, sums_r) in sums.iter().enumerate() {
            let o = self.oc0 + i + r;
            let base = self.base.get(i + r).copied().unwrap_or(0);
            let params = self.requant.channel(o);
            let at = o * self.plane + p0;
            let Some(out) = output.get_mut(at..at + P) else { return };
            for (y, &s) in out.iter_mut().zip(sums_r) {
                *y = self.requant.output(base.wrapping_add(s), params);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec;
    use std::vec::Vec;

    use super::*;

    /// Output length along one axis with `pad` on both sides.
    const fn out_len(len: usize, pad: usize, k: usize, s: usize, d: usize) -> usize {
        (len + 2 * pad - d * (k - 1) - 1) / s + 1
    }

    macro_rules! geometry {
        ($ty:ident: $c_in:expr => $c_out:expr, groups $g:expr, in $in:expr, kernel $k:expr,
         stride $s:expr, dilation $d:expr, pad $p:expr, $mode:expr) => {
            struct $ty;
            impl ConvGeometry for $ty {
                const C_IN: usize = $c_in;
                const C_OUT: usize = $c_out;
                const GROUPS: usize = $g;
                const IN: [usize; 3] = $in;
                const OUT: [usize; 3] = {
                    let (i, k, s, d, p) = ($in, $k, $s, $d, $p);
                    [
                        out_len(i[0], p[0], k[0], s[0], d[0]),
                        out_len(i[1], p[1], k[1], s[1], d[1]),
                        out_len(i[2], p[2], k[2], s[2], d[2]),
                    ]
                };
                const KERNEL: [usize; 3] = $k;
                const STRIDE: [usize; 3] = $s;
                const DILATION: [usize; 3] = $d;
                const PAD: [usize; 3] = $p;
                const PADDING_MODE: PaddingMode = $mode;
            }
        };
    }

    use PaddingMode::{Circular, Reflect, Replicate, Zeros};
    geometry!(ThreeD: 2 => 3, groups 1, in [3, 4, 5], kernel [2, 3, 3], stride [1, 2, 1],
        dilation [1, 1, 2], pad [1, 1, 2], Zeros);
    geometry!(Reflected: 2 => 3, groups 1, in [1, 5, 6], kernel [1, 3, 3], stride [1, 1, 2],
        dilation [1, 1, 1], pad [0, 1, 2], Reflect);
    geometry!(Replicated: 4 => 2, groups 2, in [1, 4, 5], kernel [1, 3, 2], stride [1, 1, 1],
        dilation [1, 2, 1], pad [0, 2, 1], Replicate);
    geometry!(Wrapped: 3 => 3, groups 3, in [1, 5, 4], kernel [1, 3, 3], stride [1, 2, 1],
        dilation [1, 1, 1], pad [0, 2, 2], Circular);
    geometry!(WidePointwise: 5 => 70, groups 1, in [1, 1, 37], kernel [1, 1, 1],
        stride [1, 1, 1], dilation [1, 1, 1], pad [0, 0, 0], Zeros);
    geometry!(PointwiseTiles: 64 => 6, groups 1, in [1, 25, 5], kernel [1, 1, 1],
        stride [1, 1, 1], dilation [1, 1, 1], pad [0, 0, 0], Zeros);
    geometry!(PointwiseOdd: 8 => 4, groups 1, in [1, 1, 7], kernel [1, 1, 1],
        stride [1, 1, 1], dilation [1, 1, 1], pad [0, 0, 0], Zeros);
    geometry!(ManyChannels: 3 => 70, groups 1, in [1, 4, 3], kernel [1, 3, 3], stride [1, 1, 1],
        dilation [1, 1, 1], pad [0, 1, 1], Zeros);
    geometry!(GroupedPointwise: 4 => 6, groups 2, in [1, 3, 5], kernel [1, 1, 1],
        stride [1, 1, 1], dilation [1, 1, 1], pad [0, 0, 0], Zeros);
    geometry!(LongRows: 2 => 6, groups 2, in [1, 3, 140], kernel [1, 3, 3], stride [1, 1, 1],
        dilation [1, 1, 1], pad [0, 1, 1], Zeros);
    geometry!(LongRowsStrided: 2 => 4, groups 2, in [1, 5, 300], kernel [1, 3, 5],
        stride [1, 2, 2], dilation [1, 1, 2], pad [0, 1, 3], Zeros);
    geometry!(Depthwise1d: 3 => 3, groups 3, in [1, 1, 9], kernel [1, 1, 4], stride [1, 1, 1],
        dilation [1, 1, 1], pad [0, 0, 2], Zeros);
    geometry!(WideRow: 16 => 3, groups 1, in [1, 3, 400], kernel [1, 3, 3], stride [1, 1, 1],
        dilation [1, 1, 1], pad [0, 1, 1], Zeros);
    geometry!(TallStrided: 3 => 5, groups 1, in [1, 90, 31], kernel [1, 5, 3], stride [1, 2, 3],
        dilation [1, 2, 1], pad [0, 3, 1], Reflect);
    geometry!(KernelLargerThanInput: 1 => 2, groups 1, in [1, 2, 2], kernel [1, 5, 5],
        stride [1, 1, 1], dilation [1, 1, 1], pad [0, 2, 2], Zeros);

    /// Deterministic bytes over the whole `i8` range.
    fn bytes(n: usize, seed: u64) -> Vec<i8> {
        let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s >> 56) as u8 as i8
            })
            .collect()
    }

    /// The definition, one output at a time, with the padding mode's indices.
    fn reference<G: ConvGeometry>(
        x: &[i8],
        w: &[i8],
        bias: Option<&[i32]>,
        rq: &Requant<'_>,
    ) -> Vec<i8> {
        let [in_d, in_h, in_w] = G::IN;
        let [out_d, out_h, out_w] = G::OUT;
        let [k_d, k_h, k_w] = G::KERNEL;
        let mut y = Vec::new();
        for o in 0..G::C_OUT {
            let g = o / G::OUT_PER_GROUP;
            for od in 0..out_d {
                for oh in 0..out_h {
                    for ow in 0..out_w {
                        let mut acc = bias.map_or(0, |b| b[o]);
                        for i in 0..G::IN_PER_GROUP {
                            let c = g * G::IN_PER_GROUP + i;
                            for kd in 0..k_d {
                                for kh in 0..k_h {
                                    for kw in 0..k_w {
                                        let pos = [
                                            od * G::STRIDE[0] + kd * G::DILATION[0],
                                            oh * G::STRIDE[1] + kh * G::DILATION[1],
                                            ow * G::STRIDE[2] + kw * G::DILATION[2],
                                        ];
                                        let at = |a: usize, len: usize| {
                                            source_index(pos[a], G::PAD[a], len, G::PADDING_MODE)
                                        };
                                        let (Some(id), Some(ih), Some(iw)) =
                                            (at(0, in_d), at(1, in_h), at(2, in_w))
                                        else {
                                            continue; // zero padding: x - zp = 0
                                        };
                                        let xv = x[c * G::IN_PLANE + (id * in_h + ih) * in_w + iw];
                                        let wv =
                                            w[((o * G::IN_PER_GROUP + i) * k_d + kd) * k_h * k_w
                                                + kh * k_w
                                                + kw];
                                        acc +=
                                            i32::from(wv) * (i32::from(xv) - rq.input_zero_point);
                                    }
                                }
                            }
                        }
                        y.push(rq.output(acc, rq.channel(o)));
                    }
                }
            }
        }
        y
    }

    /// Every path that accepts `G` equals the reference, with and without bias, per channel
    /// and per tensor.
    fn check<G: ConvGeometry>(seed: u64) {
        let x = bytes(G::C_IN * G::IN_PLANE, seed);
        let w = bytes(G::C_OUT * G::IN_PER_GROUP * G::TAPS, seed + 1);
        let bias: Vec<i32> = (0..G::C_OUT as i32).map(|o| o * 1234 - 20_000).collect();
        let multiplier: Vec<i32> =
            (0..G::C_OUT as i32).map(|o| (1 << 30) + o * 7_654_321).collect();
        let shift: Vec<i32> = (0..G::C_OUT as i32).map(|o| -6 - o % 5).collect();
        let per_channel = Requant {
            input_zero_point: -37,
            output_zero_point: 12,
            act_min: -100,
            act_max: 120,
            multiplier: &multiplier,
            shift: &shift,
        };
        let per_tensor = Requant {
            input_zero_point: 127,
            multiplier: &multiplier[..1],
            shift: &shift[..1],
            ..per_channel
        };
        // The whole `i8` range (no clamp after saturation), and a left shift on every third
        // channel (the general requantization beside the few-instruction one).
        let mixed_shift: Vec<i32> =
            (0..G::C_OUT as i32).map(|o| if o % 3 == 1 { 1 } else { -8 - o % 7 }).collect();
        let full_range = Requant {
            input_zero_point: 5,
            output_zero_point: 3,
            act_min: -128,
            act_max: 127,
            shift: &mixed_shift,
            ..per_channel
        };
        for rq in [per_channel, per_tensor, full_range] {
            for b in [Some(bias.as_slice()), None] {
                let want = reference::<G>(&x, &w, b, &rq);
                assert!(
                    want.iter().any(|&v| v != want[0]),
                    "a constant reference: {}",
                    core::any::type_name::<G>()
                );
                let n = want.len();
                let mut y = vec![0x55; n];
                conv::<G>(&x, &w, b, &rq, &mut y, &mut vec![0; workspace_len::<G>()]);
                assert_eq!(y, want, "conv");
                let mut y = vec![0x55; n];
                conv_im2col::<G>(&x, &w, b, &rq, &mut y, &mut vec![0; im2col_workspace_len::<G>()]);
                assert_eq!(y, want, "conv_im2col");
                if pointwise::supports::<G>() {
                    let mut y = vec![0x55; n];
                    pointwise::conv_pointwise::<G>(&x, &w, b, &rq, &mut y);
                    assert_eq!(y, want, "conv_pointwise");
                }
                if quads::supports::<G>() {
                    let mut y = vec![0x55; n];
                    let mut ws = vec![0x33; quads::workspace_len::<G>()];
                    if quads::conv_quads::<G>(&x, &w, b, &rq, &mut y, &mut ws) {
                        assert_eq!(y, want, "conv_quads");
                    }
                }
                if pointwise_dsp::supports::<G>() {
                    let mut y = vec![0x55; n];
                    let mut ws = vec![0x33; pointwise_dsp::workspace_len::<G>()];
                    pointwise_dsp::conv_pointwise_dsp::<G>(&x, &w, b, &rq, &mut y, &mut ws);
                    assert_eq!(y, want, "conv_pointwise_dsp");
                }
                if direct::supports::<G>() {
                    let mut y = vec![0x55; n];
                    let mut ws = vec![0; direct::workspace_len::<G>()];
                    direct::conv_direct::<G>(&x, &w, b, &rq, &mut y, &mut ws);
                    assert_eq!(y, want, "conv_direct");
                }
                if depthwise::supports::<G>() {
                    let mut y = vec![0x55; n];
                    let mut ws = vec![0; depthwise::workspace_len::<G>()];
                    depthwise::conv_depthwise::<G>(&x, &w, b, &rq, &mut y, &mut ws);
                    assert_eq!(y, want, "conv_depthwise");
                    let mut y = vec![0x55; n];
                    depthwise::conv_depthwise::<G>(&x, &w, b, &rq, &mut y, &mut []);
                    assert_eq!(y, want, "conv_depthwise without workspace");
                }
            }
        }
    }

    #[test]
    fn every_path_matches_the_definition() {
        for level in crate::kernels::isa::available() {
            crate::kernels::isa::with_level(level, every_geometry);
        }
    }

    fn every_geometry() {
        check::<ThreeD>(1);
        check::<Reflected>(2);
        check::<Replicated>(3);
        check::<Wrapped>(4);
        check::<WidePointwise>(5);
        check::<PointwiseTiles>(14);
        check::<PointwiseOdd>(15);
        check::<ManyChannels>(6);
        check::<GroupedPointwise>(7);
        check::<LongRows>(8);
        check::<LongRowsStrided>(9);
        check::<Depthwise1d>(10);
        check::<KernelLargerThanInput>(11);
        check::<WideRow>(12);
        check::<TallStrided>(13);
    }

    #[test]
    fn direct_path_coverage() {
        assert!(direct::supports::<Reflected>() && direct::supports::<Replicated>());
        assert!(direct::supports::<Wrapped>() && direct::supports::<LongRows>());
        assert!(!direct::supports::<ThreeD>(), "depth axis");
        assert!(!direct::supports::<LongRowsStrided>(), "dilation along the row");
        let wide = direct::layout::<WideRow>();
        assert!(wide.rows == 1 && wide.cols < 400, "a row wider than the budget: {wide:?}");
        let tall = direct::layout::<TallStrided>();
        assert!(tall.rows > 1 && tall.rows < 44 && tall.cols == 12, "{tall:?}");
    }

    #[test]
    fn paths_are_chosen_at_compile_time() {
        assert!(pointwise::supports::<WidePointwise>());
        assert!(!pointwise_dsp::supports::<WidePointwise>(), "5 input channels");
        assert!(pointwise_dsp::supports::<PointwiseTiles>());
        assert!(pointwise_dsp::supports::<PointwiseOdd>());
        assert_eq!(pointwise_dsp::tile_pixels::<PointwiseTiles>(), 96, "two tiles");
        assert_eq!(pointwise_dsp::tile_pixels::<PointwiseOdd>(), 8, "one tile");
        assert!(!pointwise::supports::<GroupedPointwise>());
        assert!(depthwise::supports::<LongRows>() && depthwise::supports::<Depthwise1d>());
        assert!(!depthwise::supports::<Wrapped>(), "circular padding takes the general path");
        assert!(!depthwise::supports::<ThreeD>());
        if !quads::BUILT {
            assert_eq!(workspace_len::<WidePointwise>(), 0);
            assert_eq!(workspace_len::<LongRows>(), 0, "rows wider than a block: row by row");
            assert_eq!(
                workspace_len::<Depthwise1d>(),
                13 * 2,
                "padded width 2 + 9 + 2, one row + 1"
            );
        }
        assert_eq!(
            workspace_len::<Depthwise1d>(),
            (13 * 2).max(quads::workspace_len::<Depthwise1d>()),
            "padded width 2 + 9 + 2, one row + 1, or the quads' plane"
        );
        let im2col = PIXELS * 3 * 9;
        let want = if quads::supports::<ManyChannels>() {
            quads::workspace_len::<ManyChannels>().max(im2col)
        } else {
            im2col
        };
        assert_eq!(workspace_len::<ManyChannels>(), want);
        assert_eq!(quads::supports::<ManyChannels>(), quads::BUILT);
        assert!(!quads::supports::<LongRowsStrided>(), "stride 2");
    }

    #[test]
    fn bad_arguments_write_nothing() {
        let x = bytes(ManyChannels::C_IN * ManyChannels::IN_PLANE, 1);
        let w = bytes(ManyChannels::C_OUT * 27, 2);
        let m = [1 << 30; 70];
        let s = [-3; 70];
        let rq = Requant {
            input_zero_point: 0,
            output_zero_point: 0,
            act_min: -128,
            act_max: 127,
            multiplier: &m,
            shift: &s,
        };
        let n = ManyChannels::C_OUT * ManyChannels::OUT_PLANE;
        let mut ws = vec![0; workspace_len::<ManyChannels>()];
        let untouched = |y: &[i8]| y.iter().all(|&v| v == 0x55);
        let mut y = vec![0x55; n];
        conv::<ManyChannels>(&x[1..], &w, None, &rq, &mut y, &mut ws);
        assert!(untouched(&y), "short input");
        conv::<ManyChannels>(&x, &w[1..], None, &rq, &mut y, &mut ws);
        assert!(untouched(&y), "short weights");
        conv::<ManyChannels>(&x, &w, Some(&[0; 69]), &rq, &mut y, &mut ws);
        assert!(untouched(&y), "short bias");
        conv::<ManyChannels>(&x, &w, None, &rq, &mut y, &mut ws[1..]);
        assert!(untouched(&y), "short workspace");
        conv::<ManyChannels>(&x, &w, None, &Requant { shift: &s[..69], ..rq }, &mut y, &mut ws);
        assert!(untouched(&y), "multipliers and shifts of different lengths");
        conv::<ManyChannels>(
            &x,
            &w,
            None,
            &Requant { input_zero_point: 128, ..rq },
            &mut y,
            &mut ws,
        );
        assert!(untouched(&y), "zero point outside i8");
        let mut short = vec![0x55; n - 1];
        conv::<ManyChannels>(&x, &w, None, &rq, &mut short, &mut ws);
        assert!(untouched(&short), "short output");
        conv::<ManyChannels>(&x, &w, None, &rq, &mut y, &mut ws);
        assert!(!untouched(&y), "the valid call writes");
    }
}
