//! Direct convolution over up to three spatial axes (Conv1d, Conv2d and Conv3d share it).
//!
//! Every size is an associated constant of a [`ConvGeometry`], so after monomorphisation the
//! loops over the kernel window have constant bounds (the compiler unrolls them) and the valid
//! output range of each tap is a constant: zero padding costs no per-pixel branch.

use crate::kernels::PaddingMode;

/// The sizes of one convolution. Axes are `[depth, height, width]`; a 2-d convolution has depth
/// 1 and a 1-d one also height 1.
pub trait ConvGeometry {
    /// Input channels.
    const C_IN: usize;
    /// Output channels.
    const C_OUT: usize;
    /// Channel groups (`groups` in PyTorch).
    const GROUPS: usize;
    /// Input size per axis.
    const IN: [usize; 3];
    /// Output size per axis.
    const OUT: [usize; 3];
    /// Kernel size per axis.
    const KERNEL: [usize; 3];
    /// Stride per axis.
    const STRIDE: [usize; 3];
    /// Dilation per axis.
    const DILATION: [usize; 3];
    /// Padding before the first element, per axis.
    const PAD: [usize; 3];
    /// How the padding is filled.
    const PADDING_MODE: PaddingMode;

    /// Elements of one input channel.
    const IN_PLANE: usize = Self::IN[0] * Self::IN[1] * Self::IN[2];
    /// Elements of one output channel.
    const OUT_PLANE: usize = Self::OUT[0] * Self::OUT[1] * Self::OUT[2];
    /// Weights of one (output channel, input channel) pair.
    const TAPS: usize = Self::KERNEL[0] * Self::KERNEL[1] * Self::KERNEL[2];
    /// Input channels seen by each output channel.
    const IN_PER_GROUP: usize = Self::C_IN / Self::GROUPS;
    /// Output channels of each group.
    const OUT_PER_GROUP: usize = Self::C_OUT / Self::GROUPS;
}

/// The output positions `lo..hi` along one axis whose tap `k` reads inside the input, for zero
/// padding: `0 <= o * stride + k * dilation - pad < len`.
pub(crate) const fn valid_range(
    len: usize,
    out: usize,
    stride: usize,
    dilation: usize,
    pad: usize,
    k: usize,
) -> (usize, usize) {
    let offset = k * dilation;
    // First o with o * stride + offset >= pad.
    let lo = if offset >= pad { 0 } else { (pad - offset).div_ceil(stride) };
    // One past the last o with o * stride + offset < len + pad.
    let hi = if len + pad > offset { (len + pad - offset - 1) / stride + 1 } else { 0 };
    let hi = if hi > out { out } else { hi };
    if lo > hi { (hi, hi) } else { (lo, hi) }
}

/// Adds the convolution of `input` (layout `[C_IN, ..IN]`) with the weights of output channel
/// `oc` (`weight_oc`, layout `[C_IN / GROUPS, ..KERNEL]`) to `plane` (`[..OUT]`), which the
/// caller fills with the bias first.
#[inline]
pub fn conv_plane<G: ConvGeometry>(input: &[f32], weight_oc: &[f32], oc: usize, plane: &mut [f32]) {
    let first_in = (oc / G::OUT_PER_GROUP) * G::IN_PER_GROUP;
    let inputs = input.chunks_exact(G::IN_PLANE).skip(first_in).take(G::IN_PER_GROUP);
    for (x, w) in inputs.zip(weight_oc.chunks_exact(G::TAPS)) {
        match G::PADDING_MODE {
            PaddingMode::Zeros => accumulate_zero_padded::<G>(x, w, plane),
            mode => accumulate_mapped::<G>(x, w, plane, mode),
        }
    }
}

/// Adds the contribution of one input channel to one output plane, zero padding: each tap
/// sweeps only the output positions whose input is inside, so the inner loop has no branch.
#[inline(always)]
fn accumulate_zero_padded<G: ConvGeometry>(x: &[f32], w: &[f32], out: &mut [f32]) {
    let [in_d, in_h, in_w] = G::IN;
    let [out_d, out_h, out_w] = G::OUT;
    let [k_d, k_h, k_w] = G::KERNEL;
    let [s_d, s_h, s_w] = G::STRIDE;
    let [d_d, d_h, d_w] = G::DILATION;
    let [p_d, p_h, p_w] = G::PAD;
    for kd in 0..k_d {
        let (od_lo, od_hi) = valid_range(in_d, out_d, s_d, d_d, p_d, kd);
        for kh in 0..k_h {
            let (oh_lo, oh_hi) = valid_range(in_h, out_h, s_h, d_h, p_h, kh);
            for kw in 0..k_w {
                let (ow_lo, ow_hi) = valid_range(in_w, out_w, s_w, d_w, p_w, kw);
                if od_lo >= od_hi || oh_lo >= oh_hi || ow_lo >= ow_hi {
                    continue; // this tap only ever reads padding
                }
                let Some(&wv) = w.get((kd * k_h + kh) * k_w + kw) else { return };
                for od in od_lo..od_hi {
                    let id = od * s_d + kd * d_d - p_d;
                    for oh in oh_lo..oh_hi {
                        let ih = oh * s_h + kh * d_h - p_h;
                        let out_row = (od * out_h + oh) * out_w;
                        let in_row = (id * in_h + ih) * in_w;
                        let (Some(o), Some(i)) = (
                            out.get_mut(out_row + ow_lo..out_row + ow_hi),
                            x.get(in_row + ow_lo * s_w + kw * d_w - p_w..in_row + in_w),
                        ) else {
                            continue;
                        };
                        if s_w == 1 {
                            for (o, i) in o.iter_mut().zip(i) {
                                *o += wv * *i;
                            }
                        } else {
                            for (o, i) in o.iter_mut().zip(i.iter().step_by(s_w)) {
                                *o += wv * *i;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Adds the contribution of one input channel with a non-zero padding mode: every tap of every
/// output position reads the input index that the mode maps it to.
#[inline(always)]
fn accumulate_mapped<G: ConvGeometry>(x: &[f32], w: &[f32], out: &mut [f32], mode: PaddingMode) {
    let [in_d, in_h, in_w] = G::IN;
    let [out_d, out_h, out_w] = G::OUT;
    let [k_d, k_h, k_w] = G::KERNEL;
    let [s_d, s_h, s_w] = G::STRIDE;
    let [d_d, d_h, d_w] = G::DILATION;
    let [p_d, p_h, p_w] = G::PAD;
    for od in 0..out_d {
        for oh in 0..out_h {
            for ow in 0..out_w {
                let mut acc = 0.0;
                for kd in 0..k_d {
                    let id = mode.map(od * s_d + kd * d_d, p_d, in_d);
                    for kh in 0..k_h {
                        let ih = mode.map(oh * s_h + kh * d_h, p_h, in_h);
                        for kw in 0..k_w {
                            let iw = mode.map(ow * s_w + kw * d_w, p_w, in_w);
                            let tap = w.get((kd * k_h + kh) * k_w + kw).copied().unwrap_or(0.0);
                            let v = x.get((id * in_h + ih) * in_w + iw).copied().unwrap_or(0.0);
                            acc += tap * v;
                        }
                    }
                }
                if let Some(o) = out.get_mut((od * out_h + oh) * out_w + ow) {
                    *o += acc;
                }
            }
        }
    }
}

/// Adds the transposed convolution of `input` (`[C_IN, ..IN]`) with the weights that reach
/// output channel `oc` to `plane` (`[..OUT]`). PyTorch's weight layout is
/// `[C_IN, C_OUT / GROUPS, ..KERNEL]`; input position `i` and tap `k` land on output
/// `i * stride + k * dilation - padding`.
#[inline]
pub fn conv_transpose_plane<G: ConvGeometry>(
    input: &[f32],
    weight: &[f32],
    oc: usize,
    plane: &mut [f32],
) {
    let group = oc / G::OUT_PER_GROUP;
    let oc_in_group = oc % G::OUT_PER_GROUP;
    let per_in = G::OUT_PER_GROUP * G::TAPS;
    let first_in = group * G::IN_PER_GROUP;
    let inputs = input.chunks_exact(G::IN_PLANE).skip(first_in).take(G::IN_PER_GROUP);
    let weights = weight.chunks_exact(per_in).skip(first_in).take(G::IN_PER_GROUP);
    for (x, w_ic) in inputs.zip(weights) {
        let Some(w) = w_ic.get(oc_in_group * G::TAPS..(oc_in_group + 1) * G::TAPS) else { return };
        scatter_transposed::<G>(x, w, plane);
    }
}

/// The input positions `lo..hi` along one axis whose tap `k` lands inside the output:
/// `0 <= i * stride + k * dilation - pad < out`.
const fn transposed_range(
    len: usize,
    out: usize,
    stride: usize,
    dilation: usize,
    pad: usize,
    k: usize,
) -> (usize, usize) {
    let offset = k * dilation;
    let lo = if offset >= pad { 0 } else { (pad - offset).div_ceil(stride) };
    let hi = if out + pad > offset { (out + pad - offset - 1) / stride + 1 } else { 0 };
    let hi = if hi > len { len } else { hi };
    if lo > hi { (hi, hi) } else { (lo, hi) }
}

#[inline(always)]
fn scatter_transposed<G: ConvGeometry>(x: &[f32], w: &[f32], out: &mut [f32]) {
    let [in_d, in_h, in_w] = G::IN;
    let [out_d, out_h, out_w] = G::OUT;
    let [k_d, k_h, k_w] = G::KERNEL;
    let [s_d, s_h, s_w] = G::STRIDE;
    let [d_d, d_h, d_w] = G::DILATION;
    let [p_d, p_h, p_w] = G::PAD;
    for kd in 0..k_d {
        let (id_lo, id_hi) = transposed_range(in_d, out_d, s_d, d_d, p_d, kd);
        for kh in 0..k_h {
            let (ih_lo, ih_hi) = transposed_range(in_h, out_h, s_h, d_h, p_h, kh);
            for kw in 0..k_w {
                let (iw_lo, iw_hi) = transposed_range(in_w, out_w, s_w, d_w, p_w, kw);
                if id_lo >= id_hi || ih_lo >= ih_hi || iw_lo >= iw_hi {
                    continue;
                }
                let Some(&wv) = w.get((kd * k_h + kh) * k_w + kw) else { return };
                for id in id_lo..id_hi {
                    let od = id * s_d + kd * d_d - p_d;
                    for ih in ih_lo..ih_hi {
                        let oh = ih * s_h + kh * d_h - p_h;
                        let in_row = (id * in_h + ih) * in_w;
                        let out_row = (od * out_h + oh) * out_w;
                        let first = out_row + iw_lo * s_w + kw * d_w - p_w;
                        let (Some(i), Some(o)) =
                            (x.get(in_row + iw_lo..in_row + iw_hi), out.get_mut(first..))
                        else {
                            continue;
                        };
                        for (i, o) in i.iter().zip(o.iter_mut().step_by(s_w)) {
                            *o += wv * *i;
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Tiny;
    impl ConvGeometry for Tiny {
        const C_IN: usize = 1;
        const C_OUT: usize = 1;
        const GROUPS: usize = 1;
        const IN: [usize; 3] = [1, 3, 3];
        const OUT: [usize; 3] = [1, 3, 3];
        const KERNEL: [usize; 3] = [1, 3, 3];
        const STRIDE: [usize; 3] = [1, 1, 1];
        const DILATION: [usize; 3] = [1, 1, 1];
        const PAD: [usize; 3] = [0, 1, 1];
        const PADDING_MODE: PaddingMode = PaddingMode::Zeros;
    }

    #[test]
    fn three_by_three_box_filter_with_zero_padding() {
        let input = [1.0; 9];
        let weight = [1.0; 9];
        let mut out = [0.5; 9];
        conv_plane::<Tiny>(&input, &weight, 0, &mut out);
        assert_eq!(out, [4.5, 6.5, 4.5, 6.5, 9.5, 6.5, 4.5, 6.5, 4.5]);
    }

    #[test]
    fn valid_range_excludes_taps_in_the_padding() {
        assert_eq!(valid_range(3, 3, 1, 1, 1, 0), (1, 3));
        assert_eq!(valid_range(3, 3, 1, 1, 1, 2), (0, 2));
        assert_eq!(valid_range(5, 3, 2, 1, 1, 0), (1, 3));
    }
}
