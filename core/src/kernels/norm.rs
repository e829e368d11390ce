//! Normalisation and softmax kernels, in place on `f32` slices.

use super::sum::{CascadeSum, centered_sums, max, sum};

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

/// The statistics that normalise a group of values: its mean, as `shift + offset`, and its
/// biased variance.
///
/// Computed in two passes (the corrected two-pass algorithm): `shift` is the cascade sum
/// ([`sum`]) divided by `n`, within half an ulp of the mean; the second pass sums `x - shift`
/// and its square, and `offset`, the mean of `x - shift`, recovers what the rounding of `shift`
/// lost. Values centred as `(x - shift) - offset` keep all their digits even when the mean is
/// much larger than the spread (a layer norm after a sigmoid, an offset of 1000), where
/// `x - mean` with a rounded mean would be off by the mean's rounding, magnified by
/// `1 / std`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Moments {
    /// The mean rounded to an `f32`.
    pub shift: f32,
    /// The rest of the mean: the mean of `x - shift`.
    pub offset: f32,
    /// The biased variance (divided by `n`).
    pub var: f32,
}

impl Moments {
    /// `x` minus the mean: `(x - shift) - offset`.
    #[inline(always)]
    #[must_use]
    pub fn center(&self, x: f32) -> f32 {
        (x - self.shift) - self.offset
    }

    /// The mean, rounded to an `f32`.
    #[inline(always)]
    #[must_use]
    pub fn mean(&self) -> f32 {
        self.shift + self.offset
    }
}

/// The mean and biased variance of `values` (all zero if it is empty).
#[inline]
#[must_use]
pub fn moments(values: &[f32]) -> Moments {
    let n = values.len();
    if n == 0 {
        return Moments { shift: 0.0, offset: 0.0, var: 0.0 };
    }
    let shift = sum(values).divided_by(n);
    let (first, second) = centered_sums(values, shift);
    let offset = first.divided_by(n);
    let var = second.divided_by(n) - offset * offset;
    Moments { shift, offset, var: if var > 0.0 { var } else { 0.0 } }
}

/// Normalises `values` to zero mean and unit variance (`(x - mean) / sqrt(var + eps)`), then
/// applies `weight[i]` and `bias[i]` element-wise when given (`LayerNorm`).
#[inline]
pub fn normalize(values: &mut [f32], eps: f32, weight: Option<&[f32]>, bias: Option<&[f32]>) {
    let stats = moments(values);
    let rstd = 1.0 / libm::sqrtf(stats.var + eps);
    let scale = |v: &mut f32| stats.center(*v) * rstd;
    match (weight, bias) {
        (Some(w), Some(b)) => {
            for ((v, w), b) in values.iter_mut().zip(w).zip(b) {
                *v = scale(v) * w + b;
            }
        }
        (Some(w), None) => {
            for (v, w) in values.iter_mut().zip(w) {
                *v = scale(v) * w;
            }
        }
        (None, Some(b)) => {
            for (v, b) in values.iter_mut().zip(b) {
                *v = scale(v) + b;
            }
        }
        (None, None) => {
            for v in values.iter_mut() {
                *v = scale(v);
            }
        }
    }
}

/// Softmax (or log-softmax) along the middle axis of a tensor viewed as
/// `[outer, len, inner]`, in place, with the maximum subtracted first as PyTorch does. The
/// denominator is a cascade sum ([`CascadeSum`]).
#[inline]
pub fn softmax(values: &mut [f32], len: usize, inner: usize, log: bool) {
    let block = len * inner;
    if block == 0 {
        return;
    }
    for chunk in values.chunks_exact_mut(block) {
        if inner == 1 {
            softmax_row(chunk, log);
            continue;
        }
        for i in 0..inner {
            let at = |k: usize| k * inner + i;
            let mut max = f32::NEG_INFINITY;
            for k in 0..len {
                if let Some(&v) = chunk.get(at(k)) {
                    max = if v > max || v.is_nan() { v } else { max };
                }
            }
            let mut sum = CascadeSum::new();
            for k in 0..len {
                if let Some(v) = chunk.get_mut(at(k)) {
                    let shifted = *v - max;
                    let e = libm::expf(shifted);
                    sum.add(e);
                    *v = if log { shifted } else { e };
                }
            }
            let sum = sum.total().value();
            let log_sum = libm::logf(sum);
            for k in 0..len {
                if let Some(v) = chunk.get_mut(at(k)) {
                    *v = if log { *v - log_sum } else { *v / sum };
                }
            }
        }
    }
}

/// Softmax (or log-softmax) of one contiguous row, in place.
#[inline]
fn softmax_row(row: &mut [f32], log: bool) {
    let max = max(row);
    let mut sum = CascadeSum::new();
    for v in row.iter_mut() {
        let shifted = *v - max;
        let e = libm::expf(shifted);
        sum.add(e);
        *v = if log { shifted } else { e };
    }
    let sum = sum.total().value();
    if log {
        let log_sum = libm::logf(sum);
        for v in row.iter_mut() {
            *v -= log_sum;
        }
    } else {
        for v in row.iter_mut() {
            *v /= sum;
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
        let stats = moments(&x);
        assert!(stats.mean().abs() < 1e-6 && (stats.var - 1.0).abs() < 1e-5);
    }
}
