//! Fully connected layer: `y = act(W x + b)` with `W` in PyTorch's `[out_features, in_features]`.

use crate::layer::Epilogue;

/// Lanes of independent partial sums in [`dot`]: enough for the compiler to keep one vector
/// register of products per lane group instead of one serial chain of additions.
const LANES: usize = 8;

/// The dot product of two equally long slices, summed in `LANES` interleaved partial sums.
#[inline(always)]
#[must_use]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let (a_blocks, a_tail) = a.as_chunks::<LANES>();
    let (b_blocks, b_tail) = b.as_chunks::<LANES>();
    let mut acc = [0.0f32; LANES];
    for (x, y) in a_blocks.iter().zip(b_blocks) {
        for lane in 0..LANES {
            acc[lane] += x[lane] * y[lane];
        }
    }
    let mut sum = 0.0;
    for (x, y) in a_tail.iter().zip(b_tail) {
        sum += x * y;
    }
    // Pairwise, so the rounding does not depend on LANES more than it must.
    let [a0, a1, a2, a3, a4, a5, a6, a7] = acc;
    sum + (((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)))
}

/// Computes `output[o] = epilogue(bias[o] + sum_i weight[o][i] * input[i])` for
/// `out_features` outputs of `in_features` inputs each. Inlined, so the sizes are constants at
/// the call site.
#[inline(always)]
pub fn linear<E: Epilogue>(
    in_features: usize,
    out_features: usize,
    input: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    output: &mut [f32],
    epilogue: &E,
) {
    let Some(input) = input.get(..in_features) else { return };
    let rows = weight.chunks_exact(in_features);
    for (o, (y, row)) in output.iter_mut().zip(rows).take(out_features).enumerate() {
        let b = bias.and_then(|b| b.get(o)).copied().unwrap_or(0.0);
        *y = b + dot(row, input);
        epilogue.finish(o, core::slice::from_mut(y));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::Identity;

    #[test]
    fn matches_the_definition() {
        let x: [f32; 19] = core::array::from_fn(|i| i as f32 * 0.5 - 3.0);
        let w: [f32; 38] = core::array::from_fn(|i| (i % 7) as f32 - 2.0);
        let mut y = [0.0; 2];
        linear(19, 2, &x, &w, Some(&[1.0, -1.0]), &mut y, &Identity);
        for o in 0..2 {
            let want: f32 =
                1.0 - 2.0 * o as f32 + (0..19).map(|i| w[o * 19 + i] * x[i]).sum::<f32>();
            assert!((y[o] - want).abs() < 1e-4, "{} vs {want}", y[o]);
        }
    }
}
