//! Normalisation and softmax kernels, in place on `f32` slices.

/// PyTorch's inference-time batch norm as one multiply-add: `x * alpha + beta` with
/// `alpha = weight / sqrt(var + eps)` and `beta = bias - mean * alpha` (how `ATen` computes it).
#[inline(always)]
#[must_use]
pub fn batch_norm_coefficients(
    weight: f32,
    bias: f32,
    mean: f32,
    var: f32,
    eps: f32,
) -> (f32, f32) {
    let alpha = weight / libm::sqrtf(var + eps);
    (alpha, bias - mean * alpha)
}

/// Mean and biased variance of `values` (two passes, for accuracy).
#[inline]
#[must_use]
pub fn moments(values: &[f32]) -> (f32, f32) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let n = values.len() as f32;
    let mean = values.iter().sum::<f32>() / n;
    let var = values.iter().map(|&v| (v - mean) * (v - mean)).sum::<f32>() / n;
    (mean, var)
}

/// Normalises `values` to zero mean and unit variance (`(x - mean) / sqrt(var + eps)`), then
/// applies `weight[i]` and `bias[i]` element-wise when given (`LayerNorm`).
#[inline]
pub fn normalize(values: &mut [f32], eps: f32, weight: Option<&[f32]>, bias: Option<&[f32]>) {
    let (mean, var) = moments(values);
    let rstd = 1.0 / libm::sqrtf(var + eps);
    for (i, v) in values.iter_mut().enumerate() {
        let mut y = (*v - mean) * rstd;
        if let Some(w) = weight.and_then(|w| w.get(i)) {
            y *= w;
        }
        if let Some(b) = bias.and_then(|b| b.get(i)) {
            y += b;
        }
        *v = y;
    }
}

/// Softmax (or log-softmax) along the middle axis of a tensor viewed as
/// `[outer, len, inner]`, in place, with the maximum subtracted first as PyTorch does.
#[inline]
pub fn softmax(values: &mut [f32], len: usize, inner: usize, log: bool) {
    let block = len * inner;
    if block == 0 {
        return;
    }
    for chunk in values.chunks_exact_mut(block) {
        for i in 0..inner {
            let at = |k: usize| k * inner + i;
            let mut max = f32::NEG_INFINITY;
            for k in 0..len {
                if let Some(&v) = chunk.get(at(k)) {
                    max = if v > max || v.is_nan() { v } else { max };
                }
            }
            let mut sum = 0.0;
            for k in 0..len {
                if let Some(v) = chunk.get_mut(at(k)) {
                    let shifted = *v - max;
                    sum += libm::expf(shifted);
                    *v = shifted;
                }
            }
            let log_sum = libm::logf(sum);
            for k in 0..len {
                if let Some(v) = chunk.get_mut(at(k)) {
                    *v = if log { *v - log_sum } else { libm::expf(*v) / sum };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one_along_the_axis() {
        // [2, 3] viewed as outer 1, len 2, inner 3: softmax over the first axis.
        let mut x = [1.0, 2.0, 3.0, 1.0, 0.0, 5.0];
        softmax(&mut x, 2, 3, false);
        for i in 0..3 {
            assert!((x[i] + x[3 + i] - 1.0).abs() < 1e-6);
        }
        assert!((x[0] - 0.5).abs() < 1e-6);
        let mut y = [0.0, 0.0];
        softmax(&mut y, 2, 1, true);
        assert!((y[0] + core::f32::consts::LN_2).abs() < 1e-6);
    }

    #[test]
    fn normalize_gives_zero_mean_unit_variance() {
        let mut x = [1.0, 2.0, 3.0, 4.0];
        normalize(&mut x, 0.0, None, None);
        let (mean, var) = moments(&x);
        assert!(mean.abs() < 1e-6 && (var - 1.0).abs() < 1e-5);
    }
}
