//! Max and average pooling of int8 tensors, with CMSIS-NN's semantics (`arm_max_pool_s8`,
//! `arm_avgpool_s8`): input and output share scale and zero point, nothing is requantized,
//! padding never takes part. Sizes come from a [`PoolGeometry`] (one to three axes; padding
//! after the input, such as `ceil_mode`'s, is what `OUT` implies).

use super::clamp_to;
use crate::kernels::pool::{PoolGeometry, window};

/// Max pooling: each output is the largest input among its window's positions inside the
/// input (padding is skipped, as PyTorch's `-inf` padding), clamped to `[act_min, act_max]`
/// (`[-128, 127]` when no activation is fused). A window entirely in the padding (which
/// PyTorch's padding rules exclude) gives `act_min`. Writes nothing if a slice is too short.
///
/// A 2 x 2 window with stride 2, no padding and no dilation (the pooling after most
/// convolutions) runs a loop the compiler vectorises, at the active instruction-set level
/// (`vpmaxsb` on 32 or 64 bytes on x86-64); the maximum of bytes is exact, so every level
/// gives the same bits.
#[inline]
pub fn max_pool<G: PoolGeometry>(input: &[i8], output: &mut [i8], act_min: i8, act_max: i8) {
    if is_2x2::<G>() {
        crate::kernels::isa::dispatch_int8!(max_pool_2x2::<G>(input, output, act_min, act_max));
    } else {
        pool::<G>(input, output, |max, _| clamp_to(max, act_min, act_max), true);
    }
}

/// [`max_pool`] without choosing an instruction-set level: compiled for the caller's (a
/// convolution kernel that pools each channel it produces calls it from inside its own
/// level's function).
#[inline(always)]
pub fn max_pool_inline<G: PoolGeometry>(input: &[i8], output: &mut [i8], act_min: i8, act_max: i8) {
    if is_2x2::<G>() {
        max_pool_2x2::<G>(input, output, act_min, act_max);
    } else {
        pool::<G>(input, output, |max, _| clamp_to(max, act_min, act_max), true);
    }
}

/// Whether `G` is a 2-d 2 x 2 window with stride 2, no padding and no dilation, whose
/// windows all lie inside the input.
const fn is_2x2<G: PoolGeometry>() -> bool {
    let [in_d, in_h, in_w] = G::IN;
    let [out_d, out_h, out_w] = G::OUT;
    in_d == 1
        && out_d == 1
        && G::KERNEL[0] == 1
        && G::KERNEL[1] == 2
        && G::KERNEL[2] == 2
        && G::STRIDE[1] == 2
        && G::STRIDE[2] == 2
        && G::DILATION[1] == 1
        && G::DILATION[2] == 1
        && G::PAD[1] == 0
        && G::PAD[2] == 0
        && 2 * out_h <= in_h
        && 2 * out_w <= in_w
        && out_w > 0
}

/// Outputs per chunk of a row in [`max_pool_2x2`].
const CHUNK: usize = 64;

/// Max pooling of a [`is_2x2`] geometry: per output row, the larger of the two input rows
/// (contiguous bytes), then the larger of each pair, clamped, in chunks of [`CHUNK`]
/// outputs; loops the compiler turns into byte-wise `max` and shuffles. Writes nothing if a
/// slice is too short.
#[inline(always)]
fn max_pool_2x2<G: PoolGeometry>(input: &[i8], output: &mut [i8], act_min: i8, act_max: i8) {
    let [_, _, in_w] = G::IN;
    let [_, out_h, out_w] = G::OUT;
    if input.len() < G::C * G::IN_PLANE || output.len() < G::C * G::OUT_PLANE {
        return;
    }
    let planes = input.chunks_exact(G::IN_PLANE).zip(output.chunks_exact_mut(G::OUT_PLANE));
    for (x, y) in planes.take(G::C) {
        for (oh, row) in y.chunks_exact_mut(out_w).take(out_h).enumerate() {
            let top = x.get(2 * oh * in_w..).unwrap_or(&[]);
            let bottom = x.get((2 * oh + 1) * in_w..).unwrap_or(&[]);
            let (top, bottom) =
                (&top[..top.len().min(2 * out_w)], &bottom[..bottom.len().min(2 * out_w)]);
            for ((o, t), b) in
                row.chunks_mut(CHUNK).zip(top.chunks(2 * CHUNK)).zip(bottom.chunks(2 * CHUNK))
            {
                let mut rows = [0i8; 2 * CHUNK];
                for ((m, &t), &b) in rows.iter_mut().zip(t).zip(b) {
                    *m = t.max(b);
                }
                for (o, pair) in o.iter_mut().zip(rows.as_chunks::<2>().0) {
                    *o = pair[0].max(pair[1]).max(act_min).min(act_max);
                }
            }
        }
    }
}

/// Average pooling as CMSIS-NN computes it: the **raw** `i8` values of the window's positions
/// inside the input are summed (the zero point is not subtracted; input and output share the
/// quantization) and divided by their number, **never counting padding**, rounded half away
/// from zero, then clamped to `[act_min, act_max]`. A window entirely in the padding gives 0,
/// clamped.
///
/// Differences from PyTorch: this is `count_include_pad=False` (`nn.AvgPool2d` defaults to
/// `True`, which divides border windows by the full window size); PyTorch's quantized average
/// pooling averages `x - zero_point` and rounds the quotient to nearest-even in float, so the
/// two can differ by one step on ties (here the tie direction follows the sign of the raw sum).
#[inline]
pub fn avg_pool<G: PoolGeometry>(input: &[i8], output: &mut [i8], act_min: i8, act_max: i8) {
    pool::<G>(
        input,
        output,
        |sum, count| clamp_to(rounded_average(sum, count), act_min, act_max),
        false,
    );
}

/// `sum / count` rounded half away from zero, computed as CMSIS-NN does with C's truncating
/// division: `(sum ± count / 2) / count`. 0 for `count == 0`.
#[inline(always)]
#[must_use]
pub const fn rounded_average(sum: i32, count: i32) -> i32 {
    if count <= 0 {
        return 0;
    }
    let half = count / 2;
    if sum > 0 { (sum + half) / count } else { (sum - half) / count }
}

/// Shared loop of both poolings: reduces each window's inside positions with max (`is_max`)
/// or sum, then `finish(value, positions inside)`.
#[inline(always)]
fn pool<G: PoolGeometry>(
    input: &[i8],
    output: &mut [i8],
    finish: impl Fn(i32, i32) -> i8,
    is_max: bool,
) {
    let [in_d, in_h, in_w] = G::IN;
    let [out_d, out_h, out_w] = G::OUT;
    let [k_d, k_h, k_w] = G::KERNEL;
    let [s_d, s_h, s_w] = G::STRIDE;
    let [d_d, d_h, d_w] = G::DILATION;
    let [p_d, p_h, p_w] = G::PAD;
    let fits = input.len() >= G::C * G::IN_PLANE
        && output.len() >= G::C * G::OUT_PLANE
        && d_d > 0
        && d_h > 0
        && d_w > 0;
    if !fits || G::IN_PLANE == 0 || G::OUT_PLANE == 0 {
        return;
    }
    let planes = input.chunks_exact(G::IN_PLANE).zip(output.chunks_exact_mut(G::OUT_PLANE));
    for (x, y) in planes.take(G::C) {
        let mut at = 0;
        for od in 0..out_d {
            let [d0, d1, _] = window(od, in_d, k_d, s_d, d_d, p_d);
            for oh in 0..out_h {
                let [h0, h1, _] = window(oh, in_h, k_h, s_h, d_h, p_h);
                for ow in 0..out_w {
                    let [w0, w1, _] = window(ow, in_w, k_w, s_w, d_w, p_w);
                    let mut acc = if is_max { i32::from(i8::MIN) } else { 0 };
                    // Taps first..last are inside the input: their positions are >= the pad.
                    for kd in d0..d1 {
                        let id = od * s_d + kd * d_d - p_d;
                        for kh in h0..h1 {
                            let ih = oh * s_h + kh * d_h - p_h;
                            let row = (id * in_h + ih) * in_w;
                            for kw in w0..w1 {
                                let iw = ow * s_w + kw * d_w - p_w;
                                let v = x.get(row + iw).copied().map_or(acc, i32::from);
                                acc = if is_max { acc.max(v) } else { acc + v };
                            }
                        }
                    }
                    let count = (d1 - d0) * (h1 - h0) * (w1 - w0);
                    if let Some(o) = y.get_mut(at) {
                        *o = finish(acc, count as i32);
                    }
                    at += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounded_average_ties_go_away_from_zero() {
        assert_eq!(rounded_average(5, 2), 3);
        assert_eq!(rounded_average(-5, 2), -3);
        assert_eq!(rounded_average(7, 3), 2);
        assert_eq!(rounded_average(-8, 3), -3);
        assert_eq!(rounded_average(-7, 3), -2);
        assert_eq!(rounded_average(0, 4), 0);
        assert_eq!(rounded_average(-2, 4), -1);
        assert_eq!(rounded_average(3, 0), 0);
    }

    /// 2 x 3 input, 2 x 2 windows, stride 1, pad 1 on top/left only (what `OUT` = 2 x 3
    /// implies): corner windows hold one position.
    struct Corner;
    impl PoolGeometry for Corner {
        const C: usize = 1;
        const IN: [usize; 3] = [1, 2, 3];
        const OUT: [usize; 3] = [1, 2, 3];
        const KERNEL: [usize; 3] = [1, 2, 2];
        const STRIDE: [usize; 3] = [1, 1, 1];
        const DILATION: [usize; 3] = [1, 1, 1];
        const PAD: [usize; 3] = [0, 1, 1];
    }

    #[test]
    fn padding_is_never_counted_nor_compared() {
        let x = [-128, -100, -3, 5, -7, -128];
        let mut y = [0; 6];
        max_pool::<Corner>(&x, &mut y, -128, 127);
        assert_eq!(y, [-128, -100, -3, 5, 5, -3]);
        avg_pool::<Corner>(&x, &mut y, -128, 127);
        // (-128-100)/2 = -114, (-100-3)/2 = -51.5 -> -52, (-128+5)/2 = -61.5 -> -62,
        // (-128-100+5-7)/4 = -57.5 -> -58, (-100-3-7-128)/4 = -59.5 -> -60.
        assert_eq!(y, [-128, -114, -52, -62, -58, -60]);
        avg_pool::<Corner>(&x, &mut y, -60, 0);
        assert_eq!(y, [-60, -60, -52, -60, -58, -60]);
        // Too short: nothing written.
        let mut z = [9; 5];
        avg_pool::<Corner>(&x, &mut z, -128, 127);
        assert_eq!(z, [9; 5]);
    }

    /// A 2 x 2 window with stride 2 over a `C` x `H` x `W` input (the output `OH` x `OW` may
    /// leave out a last odd row and column, as PyTorch's floor mode does).
    struct TwoByTwo<
        const C: usize,
        const H: usize,
        const W: usize,
        const OH: usize,
        const OW: usize,
    >;
    impl<const C: usize, const H: usize, const W: usize, const OH: usize, const OW: usize>
        PoolGeometry for TwoByTwo<C, H, W, OH, OW>
    {
        const C: usize = C;
        const IN: [usize; 3] = [1, H, W];
        const OUT: [usize; 3] = [1, OH, OW];
        const KERNEL: [usize; 3] = [1, 2, 2];
        const STRIDE: [usize; 3] = [1, 2, 2];
        const DILATION: [usize; 3] = [1, 1, 1];
        const PAD: [usize; 3] = [0, 0, 0];
    }

    /// The 2 x 2 path at every instruction-set level equals the general loop, with and
    /// without a clamp, on planes narrower and wider than a chunk, odd sizes included.
    fn check_2x2<G: PoolGeometry>(seed: u32) {
        assert!(is_2x2::<G>());
        let mut state = seed;
        let x: std::vec::Vec<i8> = (0..G::C * G::IN_PLANE)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 24) as i8
            })
            .collect();
        for (lo, hi) in [(-128, 127), (-5, 90), (3, 3)] {
            let mut want = std::vec![0x55; G::C * G::OUT_PLANE];
            pool::<G>(&x, &mut want, |max, _| clamp_to(max, lo, hi), true);
            for level in crate::kernels::isa::available() {
                let mut y = std::vec![0x55; G::C * G::OUT_PLANE];
                crate::kernels::isa::with_level(level, || max_pool::<G>(&x, &mut y, lo, hi));
                assert_eq!(y, want, "[{lo}, {hi}] at {}", level.name());
                let mut z = std::vec![0x55; G::C * G::OUT_PLANE];
                max_pool_inline::<G>(&x, &mut z, lo, hi);
                assert_eq!(z, want);
            }
        }
    }

    #[test]
    fn two_by_two_max_pool_equals_the_general_loop_at_every_level() {
        check_2x2::<TwoByTwo<3, 32, 32, 16, 16>>(1);
        check_2x2::<TwoByTwo<2, 7, 9, 3, 4>>(2);
        check_2x2::<TwoByTwo<1, 2, 2, 1, 1>>(3);
        check_2x2::<TwoByTwo<2, 5, 301, 2, 150>>(4);
        check_2x2::<TwoByTwo<1, 4, 258, 2, 129>>(5);
        // Too short: nothing written.
        let mut y = [9i8; 4];
        max_pool::<TwoByTwo<1, 4, 4, 2, 2>>(&[0; 15], &mut y, -128, 127);
        assert_eq!(y, [9; 4]);
    }
}
