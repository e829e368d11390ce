//! Fully connected layer: `y = requantize(W (x - z) + b)` with `W` in PyTorch's
//! `[out_features, in_features]` (CMSIS-NN's `arm_fully_connected_s8`, per-tensor, and
//! `arm_fully_connected_per_channel_s8`).

use super::Requant;
use super::dot::dot_rows_and_sums;

/// Output rows computed together: they share every load of the input.
const ROWS: usize = 4;

/// Int8 linear layer (`torch.nn.Linear` on quantized tensors): for each output `o`,
/// `requantize(bias[o] + Σ_i w[o][i] * (x[i] - input_zero_point)) + output_zero_point`,
/// clamped. `requant` holds one multiplier and shift (per-tensor weights) or one per output
/// (per-channel). `input` is `[in_features]`, `weight` `[out_features, in_features]`, `bias`
/// `[out_features]` or `None`, `output` `[out_features]`. Writes nothing if a slice is too
/// short or the parameters do not fit. Inlined, so the sizes are constants at the call site,
/// as for the `f32` [`linear`](crate::kernels::linear::linear).
#[inline(always)]
pub fn linear(
    in_features: usize,
    out_features: usize,
    input: &[i8],
    weight: &[i8],
    bias: Option<&[i32]>,
    requant: &Requant<'_>,
    output: &mut [i8],
) {
    let fits = input.len() >= in_features
        && weight.len() >= in_features * out_features
        && bias.is_none_or(|b| b.len() >= out_features)
        && output.len() >= out_features
        && requant.covers(out_features);
    if !fits {
        return;
    }
    let z = requant.input_zero_point;
    let mut o = 0;
    while o < out_features {
        if out_features - o >= ROWS {
            rows::<ROWS>(in_features, input, weight, bias, requant, output, o, z);
            o += ROWS;
        } else {
            rows::<1>(in_features, input, weight, bias, requant, output, o, z);
            o += 1;
        }
    }
}

/// Outputs `o0..o0 + R`.
#[inline(always)]
fn rows<const R: usize>(
    n: usize,
    input: &[i8],
    weight: &[i8],
    bias: Option<&[i32]>,
    requant: &Requant<'_>,
    output: &mut [i8],
    o0: usize,
    zero_point: i32,
) {
    let rows: [&[i8]; R] =
        core::array::from_fn(|r| weight.get((o0 + r) * n..(o0 + r + 1) * n).unwrap_or(&[]));
    let dots: [i32; R] = if super::dsp::TARGET && R == 4 {
        // Cortex-M with the DSP extension: the zero point taken out of the inputs as they are
        // widened (one pass, no weight sums), four rows sharing each input word.
        super::linear_dsp::dots_minus_zero_point::<R>(rows, input, n, zero_point)
    } else {
        let (dots, sums) = dot_rows_and_sums::<R>(rows, input, n);
        core::array::from_fn(|r| dots[r].wrapping_sub(zero_point.wrapping_mul(sums[r])))
    };
    let Some(out) = output.get_mut(o0..o0 + R) else { return };
    for (r, y) in out.iter_mut().enumerate() {
        let b = bias.and_then(|b| b.get(o0 + r)).copied().unwrap_or(0);
        let acc = b.wrapping_add(dots[r]);
        *y = requant.output(acc, requant.channel(o0 + r));
    }
}
