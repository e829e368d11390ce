//! Depthwise convolution (`groups == in_channels`, any channel multiplier): each output
//! channel `o` reads input channel `o / multiplier` alone, so its kernel window is tiny and
//! patches would not pay. Instead each tap of the window sweeps, in one branch-free loop, the
//! output positions whose input it reads, adding `w * (x - z)` into a block of `i32`
//! accumulators on the stack.
//!
//! With stride 1, the input plane is first copied into the workspace with its padding filled
//! with the zero point ([`workspace_len`] bytes). The accumulators then cover whole rows of the
//! padded width, so every tap is one contiguous run over several output rows (the columns
//! past the output's width are computed and dropped). Otherwise, or without the workspace, each
//! tap sweeps only the output positions whose input it reads, row by row (as the `f32` direct
//! convolution does).

use super::conv::conv_args_fit;
use super::output_stage::{OutputStage, RightShift, accumulator_bound};
use super::{Requant, clamp_to};
use crate::kernels::PaddingMode;
use crate::kernels::conv::{ConvGeometry, valid_range};

/// Accumulators of one block (a piece of an output plane: whole rows, or part of a long row).
const BLOCK: usize = 128;

/// Whether [`conv_depthwise`] handles `G`: one input channel per group, zero padding, and no
/// depth axis (1-d and 2-d convolutions).
#[must_use]
pub const fn supports<G: ConvGeometry>() -> bool {
    G::GROUPS == G::C_IN
        && G::GROUPS > 0
        && G::IN_PER_GROUP == 1
        && matches!(G::PADDING_MODE, PaddingMode::Zeros)
        && G::IN[0] == 1
        && G::OUT[0] == 1
        && G::KERNEL[0] == 1
}

/// Width of the zero-point-padded plane of a stride-1 depthwise convolution.
const fn padded_width<G: ConvGeometry>() -> usize {
    G::OUT[2] + (G::KERNEL[2] - 1) * G::DILATION[2]
}

/// Height of the padded plane, plus one row that the runs of the last taps may reach into.
const fn padded_height<G: ConvGeometry>() -> usize {
    G::OUT[1] + (G::KERNEL[1] - 1) * G::DILATION[1] + 1
}

/// Whether `G` takes the padded-plane loop: stride 1 and padded rows no longer than a block.
const fn uses_padded_plane<G: ConvGeometry>() -> bool {
    supports::<G>()
        && G::STRIDE[1] == 1
        && G::STRIDE[2] == 1
        && G::KERNEL[1] > 0
        && G::KERNEL[2] > 0
        && padded_width::<G>() <= BLOCK
}

/// Bytes of workspace [`conv_depthwise`] uses for `G`: one zero-point-padded input plane when
/// the stride is 1 (0 otherwise, and for geometries it does not handle).
#[must_use]
pub const fn workspace_len<G: ConvGeometry>() -> usize {
    if uses_padded_plane::<G>() { padded_width::<G>() * padded_height::<G>() } else { 0 }
}

/// The depthwise path of [`conv`](super::conv::conv) (CMSIS-NN's `arm_depthwise_conv_s8` and
/// its 3x3 and `_opt` variants, which agree): output channel `o = c * multiplier + m` reads
/// input channel `c`. `workspace` should hold [`workspace_len`] bytes (with less, the slower
/// row-by-row loop runs). Writes nothing unless [`supports`] holds and the slices fit.
#[inline]
pub fn conv_depthwise<G: ConvGeometry>(
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
    if uses_padded_plane::<G>()
        && let Some(plane) = workspace.get_mut(..workspace_len::<G>())
    {
        padded_plane_conv::<G>(input, weight, bias, requant, output, plane);
        return;
    }
    let [_, out_h, out_w] = G::OUT;
    // A block is `rows` output rows of `cols` columns.
    let (rows, cols) = if out_w <= BLOCK { (BLOCK / out_w, out_w) } else { (1, BLOCK) };
    let zero_point = requant.input_zero_point as i16; // an i8, checked by `conv_args_fit`
    let weights = weight.chunks_exact(G::TAPS);
    let outputs = output.chunks_exact_mut(G::OUT_PLANE);
    for (o, (w, y)) in weights.zip(outputs).take(G::C_OUT).enumerate() {
        let c = o / G::OUT_PER_GROUP;
        let Some(x) = input.get(c * G::IN_PLANE..(c + 1) * G::IN_PLANE) else { return };
        let start = bias.and_then(|b| b.get(o)).copied().unwrap_or(0);
        let params = requant.channel(o);
        let mut oh0 = 0;
        while oh0 < out_h {
            let nh = if out_h - oh0 < rows { out_h - oh0 } else { rows };
            let mut ow0 = 0;
            while ow0 < out_w {
                let nw = if out_w - ow0 < cols { out_w - ow0 } else { cols };
                let mut acc = [start; BLOCK];
                accumulate_block::<G>(x, w, zero_point, [oh0, nh, ow0, nw], &mut acc);
                for r in 0..nh {
                    let at = (oh0 + r) * out_w + ow0;
                    let (Some(dst), Some(src)) =
                        (y.get_mut(at..at + nw), acc.get(r * nw..(r + 1) * nw))
                    else {
                        return;
                    };
                    for (d, &a) in dst.iter_mut().zip(src) {
                        *d = requant.output(a, params);
                    }
                }
                ow0 += nw;
            }
            oh0 += nh;
        }
    }
}

/// The stride-1 loop: per input channel, the padded plane in `plane`, then per output channel
/// blocks of whole padded rows, each tap one contiguous run.
#[inline(always)]
fn padded_plane_conv<G: ConvGeometry>(
    input: &[i8],
    weight: &[i8],
    bias: Option<&[i32]>,
    requant: &Requant<'_>,
    output: &mut [i8],
    plane: &mut [i8],
) {
    let [_, in_h, in_w] = G::IN;
    let [_, out_h, out_w] = G::OUT;
    let [_, k_h, k_w] = G::KERNEL;
    let [_, d_h, d_w] = G::DILATION;
    let [_, p_h, p_w] = G::PAD;
    let width = padded_width::<G>();
    let rows = BLOCK / width; // >= 1 by `uses_padded_plane`
    let zero_point = requant.input_zero_point as i16;
    let inputs = input.chunks_exact(G::IN_PLANE).take(G::C_IN);
    // The padding, once: every channel's copy below overwrites the same inside positions.
    plane.fill(requant.input_zero_point as i8);
    for (c, x) in inputs.enumerate() {
        for (ih, src) in x.chunks_exact(in_w).take(in_h).enumerate() {
            let at = (ih + p_h) * width + p_w;
            let room = width.saturating_sub(p_w).min(in_w);
            if let (Some(dst), Some(src)) = (plane.get_mut(at..at + room), src.get(..room)) {
                dst.copy_from_slice(src);
            }
        }
        for o in c * G::OUT_PER_GROUP..(c + 1) * G::OUT_PER_GROUP {
            let (Some(w), Some(y)) = (
                weight.get(o * G::TAPS..(o + 1) * G::TAPS),
                output.get_mut(o * G::OUT_PLANE..(o + 1) * G::OUT_PLANE),
            ) else {
                return;
            };
            let start = bias.and_then(|b| b.get(o)).copied().unwrap_or(0);
            let params = requant.channel(o);
            if super::dsp::TARGET && k_h == 3 && k_w == 3 && d_w == 1 {
                // Cortex-M with the DSP extension: two outputs per `smlad` pair
                // (`depthwise_dsp`), requantized in the fewest instructions the channel's
                // parameters allow.
                let sizes = super::depthwise_dsp::Plane { width, out_h, out_w, d_h };
                let z = requant.input_zero_point;
                let (plain, doubled) = ((start, 1), (start.wrapping_mul(2), 2));
                let (min, max) = (requant.act_min, requant.act_max);
                // Doubled weights and bias take the shift left of the requantization.
                match RightShift::doubled(requant, o, start, 9) {
                    Some(fast) if min == i8::MIN && max == i8::MAX => {
                        let output = |a| fast.apply_doubled(a) as i8;
                        super::depthwise_dsp::padded_3x3(plane, sizes, w, doubled, z, y, output);
                    }
                    Some(fast) => {
                        let output = |a| clamp_to(fast.apply_doubled(a), min, max);
                        super::depthwise_dsp::padded_3x3(plane, sizes, w, doubled, z, y, output);
                    }
                    None => {
                        let stage = OutputStage::new(requant, o, accumulator_bound(start, 9));
                        let output = |a| stage.apply(a);
                        super::depthwise_dsp::padded_3x3(plane, sizes, w, plain, z, y, output);
                    }
                }
                continue;
            }
            let mut oh0 = 0;
            while oh0 < out_h {
                let nh = if out_h - oh0 < rows { out_h - oh0 } else { rows };
                let n = nh * width;
                let mut acc = [start; BLOCK];
                for kh in 0..k_h {
                    for kw in 0..k_w {
                        let Some(&tap) = w.get(kh * k_w + kw) else { return };
                        let tap = i16::from(tap);
                        let first = (oh0 + kh * d_h) * width + kw * d_w;
                        let (Some(a), Some(src)) = (acc.get_mut(..n), plane.get(first..first + n))
                        else {
                            continue;
                        };
                        for (a, &v) in a.iter_mut().zip(src) {
                            *a = a.wrapping_add(i32::from(tap * (i16::from(v) - zero_point)));
                        }
                    }
                }
                for r in 0..nh {
                    let at = (oh0 + r) * out_w;
                    let (Some(dst), Some(src)) =
                        (y.get_mut(at..at + out_w), acc.get(r * width..r * width + out_w))
                    else {
                        return;
                    };
                    for (d, &a) in dst.iter_mut().zip(src) {
                        *d = requant.output(a, params);
                    }
                }
                oh0 += nh;
            }
        }
    }
}

/// Adds every tap's `w * (x - zero_point)` to the block of output rows `oh0..oh0 + nh`,
/// columns `ow0..ow0 + nw` (`acc` holds it row by row, `nw` per row).
#[inline(always)]
fn accumulate_block<G: ConvGeometry>(
    x: &[i8],
    w: &[i8],
    zero_point: i16,
    [oh0, nh, ow0, nw]: [usize; 4],
    acc: &mut [i32; BLOCK],
) {
    let [_, in_h, in_w] = G::IN;
    let [_, out_h, out_w] = G::OUT;
    let [_, k_h, k_w] = G::KERNEL;
    let [_, s_h, s_w] = G::STRIDE;
    let [_, d_h, d_w] = G::DILATION;
    let [_, p_h, p_w] = G::PAD;
    let clip = |(lo, hi): (usize, usize), first: usize, n: usize| {
        let lo = if lo > first { lo } else { first };
        let hi = if hi < first + n { hi } else { first + n };
        (lo, if hi > lo { hi } else { lo })
    };
    for kh in 0..k_h {
        let (h_lo, h_hi) = clip(valid_range(in_h, out_h, s_h, d_h, p_h, kh), oh0, nh);
        for kw in 0..k_w {
            let (w_lo, w_hi) = clip(valid_range(in_w, out_w, s_w, d_w, p_w, kw), ow0, nw);
            if w_lo == w_hi {
                continue; // this tap only reads padding in this block
            }
            let Some(&tap) = w.get(kh * k_w + kw) else { return };
            let tap = i16::from(tap);
            for oh in h_lo..h_hi {
                // Inside the input by `valid_range`: oh * s_h + kh * d_h >= p_h.
                let ih = oh * s_h + kh * d_h - p_h;
                let first = ih * in_w + w_lo * s_w + kw * d_w - p_w;
                let at = (oh - oh0) * nw + (w_lo - ow0);
                let (Some(a), Some(src)) = (acc.get_mut(at..at + (w_hi - w_lo)), x.get(first..))
                else {
                    continue;
                };
                // |x - z| <= 255 and |w| <= 128: the product fits an i16.
                if s_w == 1 {
                    for (a, &v) in a.iter_mut().zip(src) {
                        *a = a.wrapping_add(i32::from(tap * (i16::from(v) - zero_point)));
                    }
                } else {
                    for (a, &v) in a.iter_mut().zip(src.iter().step_by(s_w)) {
                        *a = a.wrapping_add(i32::from(tap * (i16::from(v) - zero_point)));
                    }
                }
            }
        }
    }
}
