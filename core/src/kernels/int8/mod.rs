//! Integer-only int8 kernels, bit-exact with CMSIS-NN (the oracle of `tests/fixtures/int8`).
//!
//! The scheme is TFLite's and CMSIS-NN's: weights `i8` symmetric per output channel (zero
//! point 0), activations `i8` asymmetric per tensor (scale, zero point), bias `i32` with scale
//! `s_in * s_w[c]` and zero point 0. A convolution or linear layer accumulates
//! `bias[c] + Σ w * (x - input_zero_point)` in `i32`, [`requantize()`]s it with the channel's
//! fixed-point `(multiplier, shift)`, adds the output zero point and clamps to the fused
//! activation's range ([`Requant`]).
//!
//! Layouts are PyTorch's: activations `[C, H, W]` (NCHW without the batch), convolution weights
//! `[C_out, C_in / groups, kh, kw]` (OIHW), linear weights `[out_features, in_features]`.
//!
//! Like the `f32` kernels, these never panic: sizes come from a geometry's constants
//! ([`ConvGeometry`](super::conv::ConvGeometry), [`PoolGeometry`](super::pool::PoolGeometry))
//! or arguments, every slice is checked once up front, and a kernel given slices too short for
//! its geometry (or parameters out of range) writes nothing. Integer arithmetic that could leave
//! `i32` (only with absurd biases or accumulators) wraps, as CMSIS-NN's C does with gcc.
//!
//! | operator | kernel | working memory |
//! | --- | --- | --- |
//! | convolution, any geometry | [`conv()`] (dispatches) | [`workspace_len`] bytes |
//! | ... stride 1, x86-64 at AVX2 or better (first) | [`quads::conv_quads`] (`vpdpbusd` or `vpmaddwd`) | a padded plane of channel quads |
//! | ... 1x1, stride 1, no padding | [`pointwise::conv_pointwise`] | none |
//! | ... one input channel per group | [`depthwise::conv_depthwise`] | a padded plane (stride 1) |
//! | ... everything else | [`conv::conv_im2col`] (patches, [`dot::dot_block`]) | patches of 4 pixels |
//! | linear, per channel or per tensor | [`linear()`] | none |
//! | max / average pooling | [`max_pool`], [`avg_pool`] | none |
//! | add / mul with broadcasting | [`add`], [`mul`] ([`AddParams`], [`MulParams`]) | none |
//! | unfused ReLU / ReLU6 | [`clamp`] with [`activation_range`] | none |
//!
//! On x86-64 at an AVX2 or better [level](crate::kernels::isa) every stride-1 convolution
//! takes [`quads`] instead (`vpdpbusd` on `u8` quads of input channels, or its exact AVX2
//! twin), and at the AVX-512 VNNI level [`linear()`] takes `vpdpbusd` too. Both accumulate
//! `x + 128` (`x ^ 0x80` as a `u8`) and take `(z + 128) Σ w` out once per channel, so they
//! equal the portable kernels bit for bit. The Cortex-M DSP variants replace the dot products
//! in [`dot`] (`smlad` on `sxtb16`-widened pairs), and on DSP targets pointwise convolutions
//! take [`pointwise_dsp`], the 3 x 3 depthwise ones [`depthwise_dsp`], the other convolutions
//! [`direct`]. Requantization is per output, after the
//! accumulation.

pub mod conv;
pub mod depthwise;
pub mod depthwise_dsp;
pub mod direct;
pub mod dot;
pub mod dsp;
pub mod elementwise;
pub mod linear;
pub mod linear_dsp;
pub mod output_stage;
pub mod pointwise;
pub mod pointwise_dsp;
pub mod pool;
pub mod quads;
pub mod requantize;
mod workspace;

pub use conv::{conv, conv_pooled, pooled_workspace_len, workspace_len};
pub use elementwise::{AddParams, MulParams, add, clamp, mul};
pub use linear::linear;
pub use pool::{avg_pool, max_pool, max_pool_inline};
pub use requantize::{conv_multiplier, quantize_multiplier, requantize};

/// The requantization of a convolution or linear layer: zero points, the fused activation's
/// clamp and the fixed-point multipliers of the output channels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requant<'a> {
    /// The input's zero point (subtracted from every input; padding reads it, so it
    /// contributes nothing). In `[-128, 127]`.
    pub input_zero_point: i32,
    /// The output's zero point (added after requantization). In `[-128, 127]`.
    pub output_zero_point: i32,
    /// The smallest output ([`activation_range`]; `-128` without an activation).
    pub act_min: i8,
    /// The largest output (`127` without an activation).
    pub act_max: i8,
    /// Per output channel, or one value for the whole tensor (per-tensor quantization).
    pub multiplier: &'a [i32],
    /// Per output channel, or one value; same length as `multiplier`. Positive is a left
    /// shift ([`requantize()`]).
    pub shift: &'a [i32],
}

impl<'a> Requant<'a> {
    /// Whether the parameters serve `channels` output channels: zero points in `i8`'s range,
    /// one multiplier and shift, or at least `channels` of each.
    #[must_use]
    pub const fn covers(&self, channels: usize) -> bool {
        let n = self.multiplier.len();
        is_i8(self.input_zero_point)
            && is_i8(self.output_zero_point)
            && n == self.shift.len()
            && (n == 1 || n >= channels)
    }

    /// The parameters of output channels `first..` (per-tensor parameters unchanged).
    #[must_use]
    pub fn from_channel(&self, first: usize) -> Self {
        let per_channel =
            |v: &'a [i32]| if v.len() == 1 { v } else { v.get(first..).unwrap_or(&[]) };
        Self { multiplier: per_channel(self.multiplier), shift: per_channel(self.shift), ..*self }
    }

    /// The `(multiplier, shift)` of output channel `c` (the single one when per-tensor;
    /// `(0, 0)`, which gives the output zero point, if there is none).
    #[inline(always)]
    #[must_use]
    pub fn channel(&self, c: usize) -> (i32, i32) {
        let c = if self.multiplier.len() == 1 { 0 } else { c };
        match (self.multiplier.get(c), self.shift.get(c)) {
            (Some(&m), Some(&s)) => (m, s),
            _ => (0, 0),
        }
    }

    /// The output for accumulator `acc` (bias included) with `(multiplier, shift)`:
    /// requantized, plus the output zero point, clamped (`max` first, then `min`, as
    /// CMSIS-NN).
    #[inline(always)]
    #[must_use]
    pub fn output(&self, acc: i32, (multiplier, shift): (i32, i32)) -> i8 {
        let y = requantize(acc, multiplier, shift).wrapping_add(self.output_zero_point);
        clamp_to(y, self.act_min, self.act_max)
    }
}

/// `y` clamped to `[min, max]` (`max` first, then `min`: `max` wins if `min > max`).
#[inline(always)]
#[must_use]
pub const fn clamp_to(y: i32, min: i8, max: i8) -> i8 {
    let y = if y < min as i32 { min as i32 } else { y };
    (if y > max as i32 { max as i32 } else { y }) as i8
}

/// Whether `v` is in `i8`'s range.
#[must_use]
pub const fn is_i8(v: i32) -> bool {
    v >= i8::MIN as i32 && v <= i8::MAX as i32
}

/// An activation fused into the layer before it: only a clamp of the quantized output.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FusedActivation {
    /// No activation: the full `i8` range.
    None,
    /// `ReLU`: clamp below at the output zero point (real `0.0`).
    Relu,
    /// `ReLU6`: clamp to the quantized `[0.0, 6.0]`.
    Relu6,
    /// `Hardtanh(min_val, max_val)`: clamp to the quantized `[min_val, max_val]`.
    Hardtanh {
        /// The real lower bound.
        min: f32,
        /// The real upper bound.
        max: f32,
    },
}

/// The quantized value of real `value`: `zero_point + round_half_away(value / scale)`, the
/// division in `f32` (TFLite's `CalculateActivationRangeQuantized`), saturated to `i32`.
const fn quantize_bound(value: f32, zero_point: i32, scale: f32) -> i32 {
    let v = value / scale;
    // Far outside `i8` either way: saturate first (`as` saturates, NaN gives 0).
    let v = if v > 65536.0 {
        65536.0
    } else if v < -65536.0 {
        -65536.0
    } else {
        v
    };
    let truncated = v as i32;
    // Exact: |v| < 2^24, so `v - truncated` is computed without rounding.
    let fraction = v - truncated as f32;
    let rounded = if fraction >= 0.5 {
        truncated + 1
    } else if fraction <= -0.5 {
        truncated - 1
    } else {
        truncated
    };
    zero_point + rounded
}

/// The `[act_min, act_max]` clamp of an activation fused into a layer whose output has
/// `output_scale` and `output_zero_point`, exactly as TFLite computes it:
/// - none: `[-128, 127]`;
/// - ReLU: `[max(-128, zp), 127]`;
/// - ReLU6: `[max(-128, zp), min(127, zp + round(6.0 / scale))]` (division in `f32`, ties
///   away from zero);
/// - Hardtanh: both bounds quantized the same way, each clamped to `i8`.
///
/// `None` if the zero point is not an `i8`, the scale is not positive and finite, or the range
/// is empty.
///
/// ```
/// use staticnn_core::kernels::int8::{FusedActivation, activation_range};
/// assert_eq!(activation_range(FusedActivation::Relu6, -20, 0.0625), Some((-20, 76)));
/// assert_eq!(activation_range(FusedActivation::Relu, -130, 0.0625), None);
/// ```
#[must_use]
pub const fn activation_range(
    activation: FusedActivation,
    output_zero_point: i32,
    output_scale: f32,
) -> Option<(i8, i8)> {
    if !is_i8(output_zero_point) || !requantize::positive_finite(output_scale) {
        return None;
    }
    let (lo, hi) = match activation {
        FusedActivation::None => (i8::MIN as i32, i8::MAX as i32),
        FusedActivation::Relu => (output_zero_point, i8::MAX as i32),
        FusedActivation::Relu6 => {
            (output_zero_point, quantize_bound(6.0, output_zero_point, output_scale))
        }
        FusedActivation::Hardtanh { min, max } => (
            quantize_bound(min, output_zero_point, output_scale),
            quantize_bound(max, output_zero_point, output_scale),
        ),
    };
    let lo = if lo < i8::MIN as i32 { i8::MIN as i32 } else { lo };
    let hi = if hi > i8::MAX as i32 { i8::MAX as i32 } else { hi };
    if lo > hi { None } else { Some((lo as i8, hi as i8)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activation_ranges_like_tflite() {
        assert_eq!(activation_range(FusedActivation::None, 5, 0.1), Some((-128, 127)));
        assert_eq!(activation_range(FusedActivation::Relu, -128, 0.1), Some((-128, 127)));
        assert_eq!(activation_range(FusedActivation::Relu, 100, 0.1), Some((100, 127)));
        // 6 / 0.048 is 124.999999 in f32: rounds to 125.
        assert_eq!(activation_range(FusedActivation::Relu6, -100, 0.048), Some((-100, 25)));
        // A tie: 6 / 4 = 1.5 rounds away from zero, to 2.
        assert_eq!(activation_range(FusedActivation::Relu6, 0, 4.0), Some((0, 2)));
        // Tiny scale: the upper bound saturates.
        assert_eq!(activation_range(FusedActivation::Relu6, -3, 1e-30), Some((-3, 127)));
        let hardtanh = FusedActivation::Hardtanh { min: -1.0, max: 1.0 };
        assert_eq!(activation_range(hardtanh, 10, 0.25), Some((6, 14)));
        assert_eq!(activation_range(hardtanh, 10, 1e-3), Some((-128, 127)));
        let empty = FusedActivation::Hardtanh { min: 1.0, max: -1.0 };
        assert_eq!(activation_range(empty, 0, 0.5), None);
        assert_eq!(activation_range(FusedActivation::Relu6, 0, 0.0), None);
        assert_eq!(activation_range(FusedActivation::Relu6, 0, f32::NAN), None);
        assert_eq!(activation_range(FusedActivation::None, 128, 0.5), None);
    }

    #[test]
    fn requant_channels_and_clamp() {
        let rq = Requant {
            input_zero_point: 0,
            output_zero_point: 3,
            act_min: -5,
            act_max: 50,
            multiplier: &[1 << 30, 3 << 29],
            shift: &[0, 1],
        };
        assert!(rq.covers(2) && !rq.covers(3));
        assert_eq!(rq.channel(1), (3 << 29, 1));
        assert_eq!(rq.channel(2), (0, 0));
        assert_eq!(rq.output(40, rq.channel(0)), 23);
        assert_eq!(rq.output(40, rq.channel(1)), 50); // 60 + 3 clamped
        assert_eq!(rq.output(-40, rq.channel(0)), -5);
        let per_tensor = Requant { multiplier: &[1 << 30], shift: &[0], ..rq };
        assert_eq!(per_tensor.channel(7), (1 << 30, 0));
        assert!(per_tensor.covers(1000));
        let mismatched = Requant { shift: &[0], ..rq };
        assert!(!mismatched.covers(2));
        assert_eq!(clamp_to(0, 10, 5), 5);
    }
}
