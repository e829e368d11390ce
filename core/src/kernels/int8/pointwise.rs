//! 1x1 convolution with stride 1 and no padding: a matrix product of the weights
//! `[C_out, C_in]` with the input `[C_in, pixels]`. In PyTorch's layout a channel's pixels are
//! contiguous, so the fast loop runs along pixels: a block of [`CHANNELS`] output channels by
//! [`PIXELS`] pixels keeps its accumulators in registers while the input channels stream by,
//! each step one broadcast weight times a vector of inputs (`i8 * i8` fits an `i16`, so the
//! products are 16-bit multiplies).

use super::Requant;
use super::conv::{CHANNEL_CHUNK, combined_bias, conv_args_fit};
use crate::kernels::conv::ConvGeometry;

/// Output channels per block.
pub const CHANNELS: usize = 4;
/// Consecutive pixels per block.
pub const PIXELS: usize = 16;

/// Whether [`conv_pointwise`] handles `G`: a 1x1 (x1) kernel, stride 1, no padding, one group.
#[must_use]
pub const fn supports<G: ConvGeometry>() -> bool {
    const fn ones(a: [usize; 3]) -> bool {
        a[0] == 1 && a[1] == 1 && a[2] == 1
    }
    G::GROUPS == 1
        && ones(G::KERNEL)
        && ones(G::STRIDE)
        && G::PAD[0] == 0
        && G::PAD[1] == 0
        && G::PAD[2] == 0
        && G::IN_PLANE == G::OUT_PLANE
        && G::IN[0] == G::OUT[0]
        && G::IN[1] == G::OUT[1]
}

/// The pointwise path of [`conv`](super::conv::conv) (CMSIS-NN's `arm_convolve_1x1_s8_fast`):
/// `y[o][p] = Σ_c w[o][c] * (x[c][p] - z) + bias[o]`, requantized. Writes nothing unless
/// [`supports`] holds and the slices fit.
#[inline]
pub fn conv_pointwise<G: ConvGeometry>(
    input: &[i8],
    weight: &[i8],
    bias: Option<&[i32]>,
    requant: &Requant<'_>,
    output: &mut [i8],
) {
    if !supports::<G>() || !conv_args_fit::<G>(input, weight, bias, requant, output) {
        return;
    }
    let (c_in, plane) = (G::C_IN, G::OUT_PLANE);
    let Some(input) = input.get(..c_in * plane) else { return };
    let mut o = 0;
    while o < G::C_OUT {
        let n = if G::C_OUT - o < CHANNEL_CHUNK { G::C_OUT - o } else { CHANNEL_CHUNK };
        let mut i = 0;
        while i + CHANNELS <= n {
            block::<CHANNELS>(input, weight, bias, requant, output, o + i, [c_in, plane]);
            i += CHANNELS;
        }
        while i < n {
            block::<1>(input, weight, bias, requant, output, o + i, [c_in, plane]);
            i += 1;
        }
        o += n;
    }
}

/// Output channels `o0..o0 + R`, all pixels.
#[inline(always)]
fn block<const R: usize>(
    input: &[i8],
    weight: &[i8],
    bias: Option<&[i32]>,
    requant: &Requant<'_>,
    output: &mut [i8],
    o0: usize,
    [c_in, plane]: [usize; 2],
) {
    let rows: [&[i8]; R] =
        core::array::from_fn(|r| weight.get((o0 + r) * c_in..(o0 + r + 1) * c_in).unwrap_or(&[]));
    if rows.iter().any(|row| row.len() < c_in) {
        return;
    }
    let base: [i32; R] =
        core::array::from_fn(|r| combined_bias(bias, rows[r], requant.input_zero_point, o0 + r));
    let params: [(i32, i32); R] = core::array::from_fn(|r| requant.channel(o0 + r));
    let mut p0 = 0;
    while p0 < plane {
        let np = if plane - p0 < PIXELS { plane - p0 } else { PIXELS };
        let mut acc = [[0i32; PIXELS]; R];
        for (c, x) in input.chunks_exact(plane).enumerate() {
            let x = pixels(x, p0, np);
            for (acc_r, row) in acc.iter_mut().zip(&rows) {
                let w = i16::from(row.get(c).copied().unwrap_or(0));
                for (a, &v) in acc_r.iter_mut().zip(&x) {
                    *a = a.wrapping_add(i32::from(w * i16::from(v)));
                }
            }
        }
        for (r, acc_r) in acc.iter().enumerate() {
            let at = (o0 + r) * plane + p0;
            let Some(dst) = output.get_mut(at..at + np) else { return };
            for (d, &a) in dst.iter_mut().zip(acc_r) {
                *d = requant.output(base[r].wrapping_add(a), params[r]);
            }
        }
        p0 += np;
    }
}

/// Pixels `p0..p0 + n` of channel `x`, zeros after them (`n <= PIXELS`).
#[inline(always)]
fn pixels(x: &[i8], p0: usize, n: usize) -> [i8; PIXELS] {
    if let Some(full) = x.get(p0..p0 + PIXELS)
        && let Ok(full) = <[i8; PIXELS]>::try_from(full)
    {
        return full;
    }
    let mut out = [0; PIXELS];
    for (d, &s) in out.iter_mut().zip(x.get(p0..p0 + n).unwrap_or(&[])) {
        *d = s;
    }
    out
}
