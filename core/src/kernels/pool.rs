//! Max and average pooling over up to three spatial axes.

use super::sum::{BLOCK, CascadeSum, sum};
#[cfg(target_arch = "x86_64")]
use crate::kernels::{isa::Isa, simd::Vector};

/// The sizes of one pooling layer. Axes are `[depth, height, width]` as in
/// [`ConvGeometry`](crate::kernels::conv::ConvGeometry).
pub trait PoolGeometry {
    /// Channels (pooling works on each channel alone).
    const C: usize;
    /// Input size per axis.
    const IN: [usize; 3];
    /// Output size per axis.
    const OUT: [usize; 3];
    /// Window size per axis.
    const KERNEL: [usize; 3];
    /// Stride per axis.
    const STRIDE: [usize; 3];
    /// Dilation per axis (1 for average pooling).
    const DILATION: [usize; 3];
    /// Padding before the first element, per axis.
    const PAD: [usize; 3];

    /// Elements of one input channel.
    const IN_PLANE: usize = Self::IN[0] * Self::IN[1] * Self::IN[2];
    /// Elements of one output channel.
    const OUT_PLANE: usize = Self::OUT[0] * Self::OUT[1] * Self::OUT[2];
}

/// How average pooling divides a window's sum (PyTorch's `count_include_pad` and
/// `divisor_override`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AvgDivisor {
    /// Divide by the number of window positions inside the input.
    Valid,
    /// Divide by the window clipped to the padded input (`count_include_pad=True`).
    IncludePad,
    /// Divide by this number (`divisor_override`).
    Override(usize),
}

/// The window of output position `o` along one axis: the first and one-past-last tap index
/// whose input position is inside, and the tap positions clipped to the padded input.
#[inline(always)]
pub(crate) const fn window(
    o: usize,
    len: usize,
    k: usize,
    s: usize,
    d: usize,
    p: usize,
) -> [usize; 3] {
    // Input position of tap t is o*s + t*d - p.
    let start = o * s;
    let first = if start >= p { 0 } else { (p - start).div_ceil(d) };
    let mut last = 0; // one past the last tap inside the input
    let mut padded_last = 0; // one past the last tap inside the padded input
    let mut t = 0;
    while t < k {
        let pos = start + t * d;
        if pos >= p && pos - p < len {
            last = t + 1;
        }
        if pos < len + 2 * p {
            padded_last = t + 1;
        }
        t += 1;
    }
    let first = if first > last { last } else { first };
    [first, last, padded_last]
}

/// Max pooling: each output is the largest input in its window (padding never wins; a NaN in
/// the window gives NaN, as in PyTorch).
#[inline(always)]
pub fn max_pool<G: PoolGeometry>(input: &[f32], output: &mut [f32]) {
    pool::<G>(input, output, |window_max, _, _| window_max, true);
}

impl AvgDivisor {
    /// The divisor of a window with `inside` taps inside the input and `padded` inside the
    /// padded input.
    #[inline(always)]
    #[must_use]
    pub const fn count(self, inside: usize, padded: usize) -> usize {
        match self {
            Self::Valid => inside,
            Self::IncludePad => padded,
            Self::Override(n) => n,
        }
    }
}

/// Average pooling with PyTorch's divisor rules. Windows of [`BLOCK`] taps or more are summed
/// as a cascade (`avg_pool_large`); smaller ones directly. Always inlined, like
/// [`max_pool`]: fused after a convolution it then runs at the kernel's instruction-set level.
#[inline(always)]
pub fn avg_pool<G: PoolGeometry>(input: &[f32], output: &mut [f32], divisor: AvgDivisor) {
    let [k_d, k_h, k_w] = G::KERNEL;
    if G::KERNEL == G::IN && G::PAD == [0; 3] && G::OUT == [1; 3] {
        avg_pool_global::<G>(input, output, divisor);
        return;
    }
    if k_d * k_h * k_w >= BLOCK && G::DILATION[2] == 1 {
        avg_pool_large::<G>(input, output, divisor);
        return;
    }
    pool::<G>(
        input,
        output,
        |sum, inside, padded| {
            let n = divisor.count(inside, padded);
            if n == 0 { 0.0 } else { sum / n as f32 }
        },
        false,
    );
}

/// Average pooling whose one window is the whole plane (DS-CNN's `AvgPool2d((25, 5))`): each
/// plane is one contiguous run, summed [`LANES`](super::sum::LANES) at a time as a cascade.
#[inline(always)]
fn avg_pool_global<G: PoolGeometry>(input: &[f32], output: &mut [f32], divisor: AvgDivisor) {
    let n = divisor.count(G::IN_PLANE, G::IN_PLANE);
    let planes = input.chunks_exact(G::IN_PLANE).zip(output.iter_mut());
    for (x, y) in planes.take(G::C) {
        *y = if n == 0 { 0.0 } else { sum(x).divided_by(n) };
    }
}

/// Average pooling over large windows: each window's rows (runs of consecutive inputs, since
/// the width is not dilated) go into one [`CascadeSum`], whose total is divided with one
/// rounding, so the average keeps its digits however many values it has (a global pool over
/// 320 x 320 values near 0.5 is within half an ulp).
#[inline(never)]
fn avg_pool_large<G: PoolGeometry>(input: &[f32], output: &mut [f32], divisor: AvgDivisor) {
    let [in_d, in_h, in_w] = G::IN;
    let [out_d, out_h, out_w] = G::OUT;
    let [k_d, k_h, k_w] = G::KERNEL;
    let [s_d, s_h, s_w] = G::STRIDE;
    let [d_d, d_h, _] = G::DILATION;
    let [p_d, p_h, p_w] = G::PAD;
    let planes = input.chunks_exact(G::IN_PLANE).zip(output.chunks_exact_mut(G::OUT_PLANE));
    for (x, y) in planes.take(G::C) {
        for od in 0..out_d {
            let [d0, d1, dp] = window(od, in_d, k_d, s_d, d_d, p_d);
            for oh in 0..out_h {
                let [h0, h1, hp] = window(oh, in_h, k_h, s_h, d_h, p_h);
                for ow in 0..out_w {
                    let [w0, w1, wp] = window(ow, in_w, k_w, s_w, 1, p_w);
                    let mut sum = CascadeSum::new();
                    for kd in d0..d1 {
                        let id = od * s_d + kd * d_d - p_d;
                        for kh in h0..h1 {
                            let ih = oh * s_h + kh * d_h - p_h;
                            // Tap w0 is the first inside: its input column is >= 0.
                            let first = (id * in_h + ih) * in_w + ow * s_w + w0 - p_w;
                            sum.add_slice(x.get(first..first + (w1 - w0)).unwrap_or(&[]));
                        }
                    }
                    let inside = (d1 - d0) * (h1 - h0) * (w1 - w0);
                    let n = divisor.count(inside, dp * hp * wp);
                    if let Some(o) = y.get_mut((od * out_h + oh) * out_w + ow) {
                        *o = if n == 0 { 0.0 } else { sum.total().divided_by(n) };
                    }
                }
            }
        }
    }
}

/// Shared loop of both poolings: reduces each window with max (`is_max`) or sum, then
/// `finish(value, taps inside the input, taps inside the padded input)`.
#[inline(always)]
fn pool<G: PoolGeometry>(
    input: &[f32],
    output: &mut [f32],
    finish: impl Fn(f32, usize, usize) -> f32,
    is_max: bool,
) {
    let [in_d, in_h, in_w] = G::IN;
    let [out_d, out_h, out_w] = G::OUT;
    let [k_d, k_h, k_w] = G::KERNEL;
    let [s_d, s_h, s_w] = G::STRIDE;
    let [d_d, d_h, d_w] = G::DILATION;
    let [p_d, p_h, p_w] = G::PAD;
    let planes = input.chunks_exact(G::IN_PLANE).zip(output.chunks_exact_mut(G::OUT_PLANE));
    for (x, y) in planes.take(G::C) {
        if is_max && max_pool_2x2::<G>(x, y) {
            continue;
        }
        for od in 0..out_d {
            let [d0, d1, dp] = window(od, in_d, k_d, s_d, d_d, p_d);
            for oh in 0..out_h {
                let [h0, h1, hp] = window(oh, in_h, k_h, s_h, d_h, p_h);
                for ow in 0..out_w {
                    let [w0, w1, wp] = window(ow, in_w, k_w, s_w, d_w, p_w);
                    let mut acc = if is_max { f32::NEG_INFINITY } else { 0.0 };
                    if !is_max && d_h == 1 && d_w == 1 && w0 == 0 && w1 == in_w && k_w == in_w {
                        // The window's rows are whole input rows: its inside part is one
                        // contiguous run (a global average pool), summed eight lanes at a time.
                        let mut sums = [0.0f32; 8];
                        for kd in d0..d1 {
                            let id = od * s_d + kd * d_d - p_d;
                            let first = (id * in_h + oh * s_h + h0 - p_h) * in_w;
                            let run = x.get(first..first + (h1 - h0) * in_w).unwrap_or(&[]);
                            let (blocks, tail) = run.as_chunks::<8>();
                            for block in blocks {
                                for (s, v) in sums.iter_mut().zip(block) {
                                    *s += v;
                                }
                            }
                            for (s, v) in sums.iter_mut().zip(tail) {
                                *s += v;
                            }
                        }
                        let [a0, a1, a2, a3, a4, a5, a6, a7] = sums;
                        acc = ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7));
                    } else if !is_max && d_w == 1 {
                        // A sum: one partial sum per window column, so the additions of a
                        // large window do not form one serial chain.
                        let mut sums = [0.0f32; 8];
                        for kd in d0..d1 {
                            let id = od * s_d + kd * d_d - p_d;
                            for kh in h0..h1 {
                                let ih = oh * s_h + kh * d_h - p_h;
                                // Tap w0 is the first inside: its input column is >= 0.
                                let first = (id * in_h + ih) * in_w + ow * s_w + w0 - p_w;
                                let cols = x.get(first..first + (w1 - w0)).unwrap_or(&[]);
                                for (j, v) in cols.iter().enumerate() {
                                    sums[j % 8] += v;
                                }
                            }
                        }
                        let [a0, a1, a2, a3, a4, a5, a6, a7] = sums;
                        acc = ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7));
                    }
                    for kd in d0..d1 {
                        if !is_max && d_w == 1 {
                            break;
                        }
                        let id = od * s_d + kd * d_d - p_d;
                        for kh in h0..h1 {
                            let ih = oh * s_h + kh * d_h - p_h;
                            let row = (id * in_h + ih) * in_w;
                            for kw in w0..w1 {
                                let iw = ow * s_w + kw * d_w - p_w;
                                let v = x.get(row + iw).copied().unwrap_or(f32::NEG_INFINITY);
                                if is_max {
                                    if v > acc || v.is_nan() {
                                        acc = v;
                                    }
                                } else {
                                    acc += v;
                                }
                            }
                        }
                    }
                    let inside = (d1 - d0) * (h1 - h0) * (w1 - w0);
                    let padded = dp * hp * wp;
                    if let Some(o) = y.get_mut((od * out_h + oh) * out_w + ow) {
                        *o = finish(acc, inside, padded);
                    }
                }
            }
        }
    }
}

/// Max-pools plane `x` into `y` if `G` is a 2 x 2 window with stride 2, no padding and no
/// dilation, and returns `true`; else returns `false` (the general loop runs). The Cortex-M
/// block (`kernels::vfp`) does it on hard-float Cortex-M targets (unless the plane holds a
/// NaN, which it does not handle: then `false`); elsewhere a loop over pairs of rows that the
/// compiler vectorises.
#[inline(always)]
fn max_pool_2x2<G: PoolGeometry>(x: &[f32], y: &mut [f32]) -> bool {
    let [in_d, in_h, in_w] = G::IN;
    let [out_d, out_h, out_w] = G::OUT;
    let plain = in_d == 1 && out_d == 1 && matches!(G::KERNEL, [1, 2, 2]);
    let plain = plain && matches!(G::STRIDE, [_, 2, 2]) && matches!(G::DILATION, [_, 1, 1]);
    let plain = plain && matches!(G::PAD, [_, 0, 0]) && 2 * out_h <= in_h && 2 * out_w <= in_w;
    if !plain || out_h == 0 || out_w == 0 || x.len() < in_h * in_w || y.len() < out_h * out_w {
        return false;
    }
    #[cfg(all(target_arch = "arm", target_abi = "eabihf", target_feature = "mclass"))]
    {
        // SAFETY: `x` holds the `2 * out_h <= in_h` rows of `in_w >= 2 * out_w` floats the block
        // reads, `y` the `out_h * out_w` it writes (both checked above).
        let nan = unsafe {
            super::vfp::asm::max_pool_2x2(x.as_ptr(), y.as_mut_ptr(), in_w, out_h, out_w)
        };
        !nan
    }
    #[cfg(target_arch = "x86_64")]
    {
        // Vectors of the active level: written as plain loops, the pairs become gathers at a
        // level without a CPU's tuning (2.6x slower on Zen 5), not shuffles.
        crate::kernels::isa::dispatch!(I => max_pool_2x2_vectors::<<I as Isa>::Wide>(
            x, y, in_w, out_h, out_w
        ));
        true
    }
    #[cfg(not(any(
        target_arch = "x86_64",
        all(target_arch = "arm", target_abi = "eabihf", target_feature = "mclass")
    )))]
    {
        for (oh, row) in y.chunks_exact_mut(out_w).take(out_h).enumerate() {
            let top = x.get(2 * oh * in_w..(2 * oh * in_w + 2 * out_w)).unwrap_or(&[]);
            let bottom = x.get((2 * oh + 1) * in_w..(2 * oh + 1) * in_w + 2 * out_w).unwrap_or(&[]);
            // Each row's pairs first, then the two rows: the same first-of-the-largest as
            // PyTorch's order (top pair, then bottom pair), in loops the compiler vectorises.
            let mut pairs = [[0.0f32; CHUNK]; 2];
            for ((o, t), b) in
                row.chunks_mut(CHUNK).zip(top.chunks(2 * CHUNK)).zip(bottom.chunks(2 * CHUNK))
            {
                for (side, half) in pairs.iter_mut().zip([t, b]) {
                    for (p, xy) in side.iter_mut().zip(half.as_chunks::<2>().0) {
                        *p = max_step(xy[0], xy[1]);
                    }
                }
                let [t, b] = &pairs;
                for ((o, t), b) in o.iter_mut().zip(t).zip(b) {
                    *o = max_step(*t, *b);
                }
            }
        }
        true
    }
}

/// [`max_pool_2x2`] of plane `x` into `y` with vectors `V`, `V::LANES` outputs of a row at a
/// time: each input row's pairs first ([`Vector::deinterleave`], [`Vector::max_step`]), then
/// the two rows, PyTorch's order as in the scalar loop. A row's last vector may be partial.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn max_pool_2x2_vectors<V: Vector>(
    x: &[f32],
    y: &mut [f32],
    in_w: usize,
    out_h: usize,
    out_w: usize,
) {
    let lanes = V::LANES;
    // The larger of each pair of `2 * LANES` (or fewer) consecutive inputs.
    // (`identity` only puts the closure where it may carry `#[inline(always)]`.)
    let pairs = core::convert::identity(
        #[inline(always)]
        |half: &[f32]| {
            let (lo, hi) = half.split_at(half.len().min(lanes));
            let (even, odd) = V::deinterleave(V::load_first(lo), V::load_first(hi));
            even.max_step(odd)
        },
    );
    for (oh, row) in y.chunks_exact_mut(out_w).take(out_h).enumerate() {
        let top = x.get(2 * oh * in_w..(2 * oh * in_w + 2 * out_w)).unwrap_or(&[]);
        let bottom = x.get((2 * oh + 1) * in_w..(2 * oh + 1) * in_w + 2 * out_w).unwrap_or(&[]);
        for ((o, t), b) in
            row.chunks_mut(lanes).zip(top.chunks(2 * lanes)).zip(bottom.chunks(2 * lanes))
        {
            pairs(t).max_step(pairs(b)).store_first(o);
        }
    }
}

/// Outputs per chunk of a row in [`max_pool_2x2`].
#[cfg(not(any(
    target_arch = "x86_64",
    all(target_arch = "arm", target_abi = "eabihf", target_feature = "mclass")
)))]
const CHUNK: usize = 32;

/// One step of a window's maximum in PyTorch's order: `v` if it is larger than `acc` or NaN,
/// else `acc` (of equal values the first stays; a NaN, once in, stays).
#[cfg(not(any(
    target_arch = "x86_64",
    all(target_arch = "arm", target_abi = "eabihf", target_feature = "mclass")
)))]
#[inline(always)]
fn max_step(acc: f32, v: f32) -> f32 {
    if v > acc || v.is_nan() { v } else { acc }
}

/// Output `o` of adaptive pooling along an axis of `len` inputs and `out` outputs covers
/// `floor(o * len / out) .. ceil((o + 1) * len / out)`.
#[inline(always)]
const fn span(o: usize, len: usize, out: usize) -> (usize, usize) {
    (o * len / out, ((o + 1) * len).div_ceil(out))
}

/// Adaptive pooling of one channel (`AdaptiveAvgPool*` / `AdaptiveMaxPool*`): output `o` along
/// an axis of `len` inputs and `out` outputs covers `floor(o * len / out) .. ceil((o + 1) * len / out)`.
/// Averages over windows of about [`BLOCK`] values or more are cascade sums
/// (`adaptive_avg_large`). Always inlined, so the sizes are constants in each layer's copy
/// (the small windows' loops unroll).
#[inline(always)]
pub fn adaptive_pool(
    input: &[f32],
    output: &mut [f32],
    in_hw: [usize; 2],
    out_hw: [usize; 2],
    max: bool,
) {
    let [in_h, in_w] = in_hw;
    let [out_h, out_w] = out_hw;
    if out_h == 0 || out_w == 0 {
        return;
    }
    if !max && in_h.div_ceil(out_h) * in_w.div_ceil(out_w) >= BLOCK {
        adaptive_avg_large(input, output, in_hw, out_hw);
        return;
    }
    for oh in 0..out_h {
        let (h0, h1) = span(oh, in_h, out_h);
        for ow in 0..out_w {
            let (w0, w1) = span(ow, in_w, out_w);
            let mut acc = if max { f32::NEG_INFINITY } else { 0.0 };
            for ih in h0..h1 {
                let Some(row) = input.get(ih * in_w + w0..ih * in_w + w1) else { continue };
                for &v in row {
                    if !max {
                        acc += v;
                    } else if v > acc || v.is_nan() {
                        acc = v;
                    }
                }
            }
            if !max {
                acc /= ((h1 - h0) * (w1 - w0)) as f32;
            }
            if let Some(o) = output.get_mut(oh * out_w + ow) {
                *o = acc;
            }
        }
    }
}

/// Adaptive average pooling over large windows: a [`CascadeSum`] per window, divided with one
/// rounding.
#[inline(never)]
fn adaptive_avg_large(input: &[f32], output: &mut [f32], in_hw: [usize; 2], out_hw: [usize; 2]) {
    let [in_h, in_w] = in_hw;
    let [out_h, out_w] = out_hw;
    for oh in 0..out_h {
        let (h0, h1) = span(oh, in_h, out_h);
        for ow in 0..out_w {
            let (w0, w1) = span(ow, in_w, out_w);
            let mut sum = CascadeSum::new();
            for ih in h0..h1 {
                sum.add_slice(input.get(ih * in_w + w0..ih * in_w + w1).unwrap_or(&[]));
            }
            if let Some(o) = output.get_mut(oh * out_w + ow) {
                *o = sum.total().divided_by((h1 - h0) * (w1 - w0));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TwoByTwo;
    impl PoolGeometry for TwoByTwo {
        const C: usize = 1;
        const IN: [usize; 3] = [1, 4, 4];
        const OUT: [usize; 3] = [1, 2, 2];
        const KERNEL: [usize; 3] = [1, 2, 2];
        const STRIDE: [usize; 3] = [1, 2, 2];
        const DILATION: [usize; 3] = [1, 1, 1];
        const PAD: [usize; 3] = [0, 0, 0];
    }

    #[test]
    fn max_and_average_of_two_by_two_windows() {
        let input: [f32; 16] = core::array::from_fn(|i| i as f32);
        let mut out = [0.0; 4];
        max_pool::<TwoByTwo>(&input, &mut out);
        assert_eq!(out, [5.0, 7.0, 13.0, 15.0]);
        avg_pool::<TwoByTwo>(&input, &mut out, AvgDivisor::Valid);
        assert_eq!(out, [2.5, 4.5, 10.5, 12.5]);
    }

    /// A 2 x 2 max pool on odd sizes (the last row and column dropped) with NaNs in some
    /// windows: the fast path and the general loop agree, NaNs win, and a 5 x 7 plane pools
    /// to 2 x 3.
    #[test]
    fn two_by_two_max_pool_is_pytorchs_at_every_level() {
        struct Wide;
        impl PoolGeometry for Wide {
            const C: usize = 3;
            const IN: [usize; 3] = [1, 9, 67];
            const OUT: [usize; 3] = [1, 4, 33];
            const KERNEL: [usize; 3] = [1, 2, 2];
            const STRIDE: [usize; 3] = [1, 2, 2];
            const DILATION: [usize; 3] = [1, 1, 1];
            const PAD: [usize; 3] = [0, 0, 0];
        }
        // NaNs, zeros of both signs (ties whose sign shows which one won) and repeats.
        let input: [f32; 3 * 9 * 67] = core::array::from_fn(|i| match i * 7919 % 13 {
            0 => f32::NAN,
            1 | 2 => 0.0,
            3 | 4 => -0.0,
            // Negative: a window's zeros are its largest values.
            k => -((i * 37 % 5) as f32) - k as f32 * 0.25,
        });
        // PyTorch's order: top-left, top-right, bottom-left, bottom-right; the first largest.
        let mut want = [0.0f32; 3 * 4 * 33];
        for (o, w) in want.iter_mut().enumerate() {
            let (c, oh, ow) = (o / 132, o % 132 / 33, o % 33);
            let at = |h: usize, w: usize| input[c * 603 + (2 * oh + h) * 67 + 2 * ow + w];
            let mut acc = at(0, 0);
            for v in [at(0, 1), at(1, 0), at(1, 1)] {
                if v > acc || v.is_nan() {
                    acc = v;
                }
            }
            *w = acc;
        }
        for level in crate::kernels::isa::available() {
            let mut out = [1.0f32; 3 * 4 * 33];
            crate::kernels::isa::with_level(level, || max_pool::<Wide>(&input, &mut out));
            for (i, (g, w)) in out.iter().zip(&want).enumerate() {
                let same = g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan());
                assert!(same, "{level:?}: output {i} is {g:?}, PyTorch's order gives {w:?}");
            }
        }
    }

    #[test]
    fn two_by_two_max_pool_of_odd_planes_and_nans() {
        struct Odd;
        impl PoolGeometry for Odd {
            const C: usize = 2;
            const IN: [usize; 3] = [1, 5, 7];
            const OUT: [usize; 3] = [1, 2, 3];
            const KERNEL: [usize; 3] = [1, 2, 2];
            const STRIDE: [usize; 3] = [1, 2, 2];
            const DILATION: [usize; 3] = [1, 1, 1];
            const PAD: [usize; 3] = [0, 0, 0];
        }
        let mut input: [f32; 70] = core::array::from_fn(|i| ((i * 37) % 23) as f32 - 11.0);
        input[8] = f32::NAN; // channel 0, row 1, column 1: window (0, 0)
        input[35 + 17] = f32::NAN; // channel 1, row 2, column 3: window (1, 1)
        input[4] = -0.0; // among equal zeros
        let mut out = [0.0; 12];
        max_pool::<Odd>(&input, &mut out);
        for c in 0..2 {
            for oh in 0..2 {
                for ow in 0..3 {
                    let at = |h: usize, w: usize| input[c * 35 + (2 * oh + h) * 7 + 2 * ow + w];
                    let window = [at(0, 0), at(0, 1), at(1, 0), at(1, 1)];
                    let got = out[c * 6 + oh * 3 + ow];
                    if window.iter().any(|v| v.is_nan()) {
                        assert!(got.is_nan(), "channel {c} ({oh}, {ow}): {got}");
                    } else {
                        let want = window.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                        assert_eq!(got, want, "channel {c} ({oh}, {ow})");
                    }
                }
            }
        }
        assert!(out[0].is_nan() && out[6 + 4].is_nan());
    }

    #[test]
    fn window_clips_to_input_and_padded_input() {
        // o=0, len=4, k=3, s=2, d=1, p=1: taps at -1, 0, 1 -> taps 1..3 inside, all 3 in padding bounds.
        assert_eq!(window(0, 4, 3, 2, 1, 1), [1, 3, 3]);
        // o=2: taps at 3, 4, 5 -> only tap 0 inside; 3 and 4 are inside the padded length 6.
        assert_eq!(window(2, 4, 3, 2, 1, 1), [0, 1, 2]);
    }

    struct PaddedThreeByThree;
    impl PoolGeometry for PaddedThreeByThree {
        const C: usize = 2;
        const IN: [usize; 3] = [1, 5, 7];
        const OUT: [usize; 3] = [1, 3, 4];
        const KERNEL: [usize; 3] = [1, 3, 3];
        const STRIDE: [usize; 3] = [1, 2, 2];
        const DILATION: [usize; 3] = [1, 1, 1];
        const PAD: [usize; 3] = [0, 1, 1];
    }

    #[test]
    fn average_of_padded_windows_by_every_divisor_rule() {
        let input: [f32; 70] = core::array::from_fn(|i| (i * 7 % 11) as f32 - 4.5);
        for divisor in [AvgDivisor::Valid, AvgDivisor::IncludePad, AvgDivisor::Override(4)] {
            let mut out = [0.0; 24];
            avg_pool::<PaddedThreeByThree>(&input, &mut out, divisor);
            for (i, got) in out.iter().enumerate() {
                let (c, oh, ow) = (i / 12, i % 12 / 4, i % 4);
                let (mut sum, mut inside) = (0.0, 0);
                for ih in (2 * oh).saturating_sub(1)..(2 * oh + 2).min(5) {
                    for iw in (2 * ow).saturating_sub(1)..(2 * ow + 2).min(7) {
                        sum += input[c * 35 + ih * 7 + iw];
                        inside += 1;
                    }
                }
                let n = match divisor {
                    AvgDivisor::Valid => inside,
                    AvgDivisor::IncludePad => 9, // every window fits the padded 7 x 9 input
                    AvgDivisor::Override(n) => n,
                };
                let want = sum / n as f32;
                assert!((got - want).abs() <= 1e-6, "{divisor:?} output {i}: {got} vs {want}");
            }
        }
    }
}
