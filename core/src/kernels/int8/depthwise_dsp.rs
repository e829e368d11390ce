//! The depthwise path's 3 x 3 kernel on Cortex-M cores with the DSP extension (M4, M7, M33):
//! two output pixels of a row at a time, from the zero-point-padded input plane of the
//! stride-1 loop ([`depthwise`](super::depthwise)), accumulators in registers across the three
//! kernel rows.
//!
//! Per kernel row, one word of the plane holds the four inputs `x[p..p + 4]` two neighbouring
//! outputs read. `sxtab16` widens it, taking the zero point out, into the pairs
//! `e = (x0 - z, x2 - z)` and `o = (x1 - z, x3 - z)`; with the weights as the pairs
//! `(w0, w2)` and `(w1, _)`:
//!
//! - `y[p] += w0 x0 + w2 x2` (`smlad e`) `+ w1 x1` (`smlabb o`),
//! - `y[p + 1] += w0 x1 + w2 x3` (`smlad o`) `+ w1 x2` (`smlatb e`),
//!
//! 7 instructions for 6 MACs (one `ldr`, two `sxtab16`, four multiply-accumulates). A row
//! of odd width computes one output past its end and drops it (its inputs are inside the
//! plane: the plane has a spare row). The sums are the definition's, `bias + Σ w (x - z)` in
//! `i32` (wrapping), so the outputs are the portable loop's bits.

use super::Requant;
use super::dsp::{pair, smlabb, smlad, smlatb, sxtab16, sxtab16_ror8};

/// The sizes of one output plane of [`padded_3x3`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plane {
    /// Values per row of the padded input plane.
    pub width: usize,
    /// Output rows.
    pub out_h: usize,
    /// Output pixels per row.
    pub out_w: usize,
    /// Dilation between kernel rows.
    pub d_h: usize,
}

/// Output channel `y` (`out_h x out_w`) of a 3 x 3 depthwise convolution with stride 1 and
/// no dilation along the row, from the zero-point-padded input plane `plane`: `start` (the
/// bias) plus `Σ w (x - input_zero_point)`, requantized with `params`. Writes nothing if `w`
/// has fewer than 9 weights, and stops at the first row that `plane` or `y` cannot hold
/// (the caller sizes them: every row `p` reads `x[p + 3]` at most, one value past a row of odd
/// width, inside the plane's spare row).
#[inline(always)]
pub fn padded_3x3(
    plane: &[i8],
    sizes: Plane,
    w: &[i8],
    start: i32,
    requant: &Requant<'_>,
    params: (i32, i32),
    y: &mut [i8],
) {
    let Plane { width, out_h, out_w, d_h } = sizes;
    let Some(w) = w.get(..9) else { return };
    let z = requant.input_zero_point;
    let offset = pair(z.wrapping_neg(), z.wrapping_neg());
    let tap = |k: usize| i32::from(w.get(k).copied().unwrap_or(0));
    let w02: [u32; 3] = core::array::from_fn(|r| pair(tap(3 * r), tap(3 * r + 2)));
    let w1: [u32; 3] = core::array::from_fn(|r| pair(tap(3 * r + 1), 0));
    // Inputs a row of outputs reads from each plane row: pairs of outputs, 4 values each.
    let span = out_w.div_ceil(2) * 2 + 2;
    let word = |row: &[i8], p: usize| -> u32 {
        row.get(p..p + 4)
            .map_or(0, |b| u32::from_le_bytes([b[0] as u8, b[1] as u8, b[2] as u8, b[3] as u8]))
    };
    for (oh, out) in y.chunks_exact_mut(out_w).take(out_h).enumerate() {
        let row = |kh: usize| {
            let at = (oh + kh * d_h) * width;
            plane.get(at..at + span)
        };
        let (Some(r0), Some(r1), Some(r2)) = (row(0), row(1), row(2)) else { return };
        for (q, ys) in out.chunks_mut(2).enumerate() {
            let p = 2 * q;
            let (mut a0, mut a1) = (start, start);
            for (r, (&wa, &wb)) in [r0, r1, r2].iter().zip(w02.iter().zip(&w1)) {
                let x = word(r, p);
                let (e, o) = (sxtab16(offset, x), sxtab16_ror8(offset, x));
                a0 = smlabb(o, wb, smlad(e, wa, a0));
                a1 = smlatb(e, wb, smlad(o, wa, a1));
            }
            if let Some(v) = ys.first_mut() {
                *v = requant.output(a0, params);
            }
            if let Some(v) = ys.get_mut(1) {
                *v = requant.output(a1, params);
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

    #[test]
    fn matches_the_definition() {
        let multiplier = [1_518_500_250];
        let shift = [-7];
        for (out_h, out_w, d_h) in [(8, 8, 1), (25, 5, 1), (3, 7, 2), (1, 1, 1), (2, 6, 1)] {
            let width = out_w + 2;
            let height = out_h + 2 * d_h + 1;
            let plane: Vec<i8> =
                (0..width * height).map(|i| (i as i32 * 89 % 256 - 128) as i8).collect();
            let w: [i8; 9] = core::array::from_fn(|i| (i as i32 * 61 % 255 - 127) as i8);
            for z in [-128, -3, 0, 127] {
                let requant = Requant {
                    input_zero_point: z,
                    output_zero_point: 5,
                    act_min: -128,
                    act_max: 127,
                    multiplier: &multiplier,
                    shift: &shift,
                };
                let params = requant.channel(0);
                let mut y = vec![0x55; out_h * out_w];
                let sizes = Plane { width, out_h, out_w, d_h };
                padded_3x3(&plane, sizes, &w, 1000, &requant, params, &mut y);
                for oh in 0..out_h {
                    for ow in 0..out_w {
                        let mut acc = 1000i32;
                        for kh in 0..3 {
                            for kw in 0..3 {
                                let x = i32::from(plane[(oh + kh * d_h) * width + ow + kw]);
                                acc += i32::from(w[kh * 3 + kw]) * (x - z);
                            }
                        }
                        let want = requant.output(acc, params);
                        assert_eq!(
                            y[oh * out_w + ow],
                            want,
                            "{out_h}x{out_w} d{d_h} z{z} at {oh},{ow}"
                        );
                    }
                }
            }
        }
    }
}
