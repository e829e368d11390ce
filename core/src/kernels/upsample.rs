//! Nearest and bilinear upsampling of one channel, with PyTorch's source-index rules.

/// How an output index maps back to the input.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Interpolation {
    /// `mode="nearest"`.
    Nearest,
    /// `mode="bilinear"`, `align_corners=False`.
    Bilinear,
    /// `mode="bilinear"`, `align_corners=True`.
    BilinearAlignCorners,
}

/// The input index that output `o` copies with `mode="nearest"` (PyTorch: exact for equal and
/// doubled sizes, else `min(floor(o * scale), len - 1)` in `f32`).
#[inline(always)]
#[must_use]
pub fn nearest_index(o: usize, len: usize, out: usize, scale: f32) -> usize {
    if out == len {
        o
    } else if out == 2 * len {
        o >> 1
    } else {
        let i = libm::floorf(o as f32 * scale) as usize;
        if i + 1 > len { len.saturating_sub(1) } else { i }
    }
}

/// The two input indices around output `o` and the weight of the second, for bilinear modes
/// (PyTorch's `area_pixel_compute_source_index`).
#[inline(always)]
#[must_use]
pub fn linear_source(o: usize, len: usize, scale: f32, align_corners: bool) -> (usize, usize, f32) {
    let src = if align_corners {
        scale * o as f32
    } else {
        let s = scale * (o as f32 + 0.5) - 0.5;
        if s < 0.0 { 0.0 } else { s }
    };
    let i0 = src as usize;
    let i1 = if i0 + 1 < len { i0 + 1 } else { i0 };
    (i0, i1, src - i0 as f32)
}

/// Upsamples one `[in_h, in_w]` channel into `[out_h, out_w]`; `scale` is PyTorch's per-axis
/// scale (`1 / scale_factor`, or `in / out`, or `(in - 1) / (out - 1)` with aligned corners).
#[inline]
pub fn upsample(
    input: &[f32],
    output: &mut [f32],
    in_hw: [usize; 2],
    out_hw: [usize; 2],
    scale: [f32; 2],
    mode: Interpolation,
) {
    let [in_h, in_w] = in_hw;
    let [out_h, out_w] = out_hw;
    let at = |h: usize, w: usize| input.get(h * in_w + w).copied().unwrap_or(0.0);
    for oh in 0..out_h {
        for ow in 0..out_w {
            let value = match mode {
                Interpolation::Nearest => at(
                    nearest_index(oh, in_h, out_h, scale[0]),
                    nearest_index(ow, in_w, out_w, scale[1]),
                ),
                Interpolation::Bilinear | Interpolation::BilinearAlignCorners => {
                    let aligned = mode == Interpolation::BilinearAlignCorners;
                    let (h0, h1, lh) = linear_source(oh, in_h, scale[0], aligned);
                    let (w0, w1, lw) = linear_source(ow, in_w, scale[1], aligned);
                    (1.0 - lh) * ((1.0 - lw) * at(h0, w0) + lw * at(h0, w1))
                        + lh * ((1.0 - lw) * at(h1, w0) + lw * at(h1, w1))
                }
            };
            if let Some(o) = output.get_mut(oh * out_w + ow) {
                *o = value;
            }
        }
    }
}
