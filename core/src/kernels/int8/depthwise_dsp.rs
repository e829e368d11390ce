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
//! 7 instructions for 6 MACs (one `ldr`, two `sxtab16`, four multiply-accumulates). The
//! middle weights of the three kernel rows sit in two registers (`(w1, w4)`, `(w7, 0)`: the
//! bottom or top half, `smlabt`/`smlatt`), which leaves registers for the requantization. The
//! last output of a row of odd width is computed alone (5 instructions per kernel row). The
//! sums are the definition's, `bias + Σ w (x - z)` in `i32` (wrapping), or twice that with
//! doubled weights and bias for the caller's four-instruction requantization
//! ([`RightShift::apply_doubled`](super::output_stage::RightShift::apply_doubled)), so the
//! outputs are the portable loop's bits.

use super::dsp::{pair, smlabb, smlabt, smlad, smlatb, smlatt, sxtab16, sxtab16_ror8};

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

/// The weights of one channel as the multiplies read them: `(w[3r], w[3r + 2])` per kernel
/// row `r`, and the middle column `(w[1], w[4])`, `(w[7], 0)` (bottom and top halves).
#[derive(Clone, Copy)]
struct Taps {
    outer: [u32; 3],
    middle01: u32,
    middle2: u32,
}

/// Adds kernel row `r` (its plane word `x`, inputs `x0..x3`) to the two outputs `(a0, a1)`
/// of a pair: `a0 += w0 x0 + w1 x1 + w2 x2`, `a1 += w0 x1 + w1 x2 + w2 x3`.
#[inline(always)]
fn pair_row(t: &Taps, r: usize, offset: u32, x: u32, (a0, a1): (i32, i32)) -> (i32, i32) {
    let (e, o) = (sxtab16(offset, x), sxtab16_ror8(offset, x));
    let outer = t.outer[r];
    let (a0, a1) = (smlad(e, outer, a0), smlad(o, outer, a1));
    match r {
        0 => (smlabb(o, t.middle01, a0), smlatb(e, t.middle01, a1)),
        1 => (smlabt(o, t.middle01, a0), smlatt(e, t.middle01, a1)),
        _ => (smlabb(o, t.middle2, a0), smlatb(e, t.middle2, a1)),
    }
}

/// Adds kernel row `r` to a single output (the last of a row of odd width):
/// `a += w0 x0 + w1 x1 + w2 x2`.
#[inline(always)]
fn single_row(t: &Taps, r: usize, offset: u32, x: u32, a: i32) -> i32 {
    let (e, o) = (sxtab16(offset, x), sxtab16_ror8(offset, x));
    let a = smlad(e, t.outer[r], a);
    match r {
        0 => smlabb(o, t.middle01, a),
        1 => smlabt(o, t.middle01, a),
        _ => smlabb(o, t.middle2, a),
    }
}

/// The word of `row` at `p` (inputs `p..p + 4`, little-endian), 0 past its end.
#[inline(always)]
fn word(row: &[i8], p: usize) -> u32 {
    row.get(p..p + 4)
        .map_or(0, |b| u32::from_le_bytes([b[0] as u8, b[1] as u8, b[2] as u8, b[3] as u8]))
}

/// Output channel `y` (`out_h x out_w`) of a 3 x 3 depthwise convolution with stride 1 and
/// no dilation along the row, from the zero-point-padded input plane `plane`: `start` plus
/// `Σ scale w (x - zero_point)` (`scale` 1, or 2 for a requantization that takes doubled
/// sums: `start` is then the doubled bias), each sum turned into its output byte by `output`
/// (the channel's requantization). Writes nothing if `w` has fewer than 9 weights, and stops at
/// the first row that `plane` or `y` cannot hold (the caller sizes them: every row `p` reads
/// `x[p + 3]` at most, one value past a row of odd width, inside the plane's spare row).
#[inline(always)]
pub fn padded_3x3<F: Fn(i32) -> i8>(
    plane: &[i8],
    sizes: Plane,
    w: &[i8],
    (start, scale): (i32, i32),
    zero_point: i32,
    y: &mut [i8],
    output: F,
) {
    let Plane { width, out_h, out_w, d_h } = sizes;
    let Some(w) = w.get(..9) else { return };
    let offset = pair(zero_point.wrapping_neg(), zero_point.wrapping_neg());
    let tap = |k: usize| i32::from(w.get(k).copied().unwrap_or(0)) * scale;
    let taps = Taps {
        outer: core::array::from_fn(|r| pair(tap(3 * r), tap(3 * r + 2))),
        middle01: pair(tap(1), tap(4)),
        middle2: pair(tap(7), 0),
    };
    // Inputs a row of outputs reads from each plane row: pairs of outputs, 4 values each.
    let span = out_w.div_ceil(2) * 2 + 2;
    for (oh, out) in y.chunks_exact_mut(out_w).take(out_h).enumerate() {
        let row = |kh: usize| {
            let at = (oh + kh * d_h) * width;
            plane.get(at..at + span)
        };
        let (Some(r0), Some(r1), Some(r2)) = (row(0), row(1), row(2)) else { return };
        let mut pairs = out.chunks_exact_mut(2);
        let mut p = 0;
        for ys in &mut pairs {
            let mut a = (start, start);
            a = pair_row(&taps, 0, offset, word(r0, p), a);
            a = pair_row(&taps, 1, offset, word(r1, p), a);
            a = pair_row(&taps, 2, offset, word(r2, p), a);
            ys[0] = output(a.0);
            ys[1] = output(a.1);
            p += 2;
        }
        if let Some(v) = pairs.into_remainder().first_mut() {
            let mut a = start;
            a = single_row(&taps, 0, offset, word(r0, p), a);
            a = single_row(&taps, 1, offset, word(r1, p), a);
            a = single_row(&taps, 2, offset, word(r2, p), a);
            *v = output(a);
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec;
    use std::vec::Vec;

    use super::super::Requant;
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
                let output = |a| requant.output(a, params);
                padded_3x3(&plane, sizes, &w, (1000, 1), z, &mut y, output);
                let mut doubled = vec![0x55; out_h * out_w];
                let output = |a: i32| requant.output(a / 2, params);
                padded_3x3(&plane, sizes, &w, (2000, 2), z, &mut doubled, output);
                assert_eq!(doubled, y);
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
