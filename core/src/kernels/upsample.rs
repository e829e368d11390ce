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

/// The two input indices around output `o` (of `out` along an axis of `len`) and the weight of
/// the second, for bilinear modes (PyTorch's `compute_source_index_and_lambda`). Along an axis
/// whose size does not change, PyTorch copies: both indices are `o` with weight 0, so a
/// neighbour's inf or NaN does not leak in through a zero weight.
#[inline(always)]
#[must_use]
pub fn linear_source(
    o: usize,
    len: usize,
    out: usize,
    scale: f32,
    align_corners: bool,
) -> (usize, usize, f32) {
    if out == len {
        return (o, o, 0.0);
    }
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
                    let (h0, h1, lh) = linear_source(oh, in_h, out_h, scale[0], aligned);
                    let (w0, w1, lw) = linear_source(ow, in_w, out_w, scale[1], aligned);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unchanged_axis_copies_without_reading_neighbours() {
        // One row of 3 doubled in height, width unchanged: the width axis copies.
        let input = [1.0, f32::INFINITY, 2.0];
        let mut output = [0.0; 6];
        upsample(&input, &mut output, [1, 3], [2, 3], [0.5, 1.0], Interpolation::Bilinear);
        assert_eq!(output[0], 1.0);
        assert_eq!(output[2], 2.0);
        // PyTorch weighs the element itself by 1 and 0: inf * 0 is NaN there, as in PyTorch.
        assert!(output[1].is_nan());
        assert_eq!(linear_source(2, 3, 3, 1.0, true), (2, 2, 0.0));
        assert_eq!(linear_source(1, 3, 6, 0.5, false), (0, 1, 0.25));
    }
}
