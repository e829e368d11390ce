//! [`Precision`]: the number format of a layer's parameters and activations, a type parameter
//! of the layers that hold parameters (`Conv<S, Q>`, `Linear<I, O, B, Q>`): [`F32`] (the
//! default) or [`Int8`]. One layer type serves both; only the storage of its parameters and the
//! kernel it calls differ, while its shapes, geometry and checks are the same.
//!
//! The int8 scheme is the one of TFLite, CMSIS-NN and ExecuTorch's Cortex-M backend: weights
//! `i8` symmetric per output channel, activations `i8` asymmetric per tensor, biases `i32` of
//! scale `s_in * s_w[c]`, and a fixed-point [`Requantization`] per output channel
//! (see [`kernels::int8`](crate::kernels::int8)).

use generic_array::{ArrayLength, GenericArray};

use crate::element::Element;
use crate::kernels::int8::Requant;

/// A number format of layers.
pub trait Precision: 'static {
    /// The activations' element (`f32`, `i8`).
    type Act: Element;
    /// The weights' element.
    type Weight: Element;
    /// The biases' element (`f32`, `i32`).
    type Bias: Element;
    /// What a layer keeps per output channel beside its weights and biases: nothing in `f32`,
    /// the [`Requantization`] in int8.
    type PerChannel<N: ArrayLength>;
}

/// `f32` parameters and activations: PyTorch's float model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct F32;

impl Precision for F32 {
    type Act = f32;
    type Weight = f32;
    type Bias = f32;
    type PerChannel<N: ArrayLength> = ();
}

/// `i8` weights (per output channel, symmetric) and activations (per tensor), `i32` biases:
/// a model quantized by PyTorch's post-training flow, run with integers only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Int8;

impl Precision for Int8 {
    type Act = i8;
    type Weight = i8;
    type Bias = i32;
    type PerChannel<N: ArrayLength> = Requantization<N>;
}

/// The integer requantization of a convolution or linear layer with `N` output channels: from
/// the `i32` accumulator of channel `c` to its `i8` output,
/// `clamp(requantize(acc, multiplier[c], shift[c]) + output_zero_point, act_min, act_max)`.
/// `network!` derives it at compile time from the scales in the weights file
/// ([`quantize_multiplier`](crate::kernels::int8::quantize_multiplier) of
/// `s_in * s_w[c] / s_out`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requantization<N: ArrayLength> {
    /// Fixed-point multiplier per output channel (Q31).
    pub multiplier: GenericArray<i32, N>,
    /// Shift per output channel (positive: left).
    pub shift: GenericArray<i32, N>,
    /// The input's zero point.
    pub input_zero_point: i32,
    /// The output's zero point.
    pub output_zero_point: i32,
    /// The smallest output (the fused activation's clamp).
    pub act_min: i8,
    /// The largest output.
    pub act_max: i8,
}

impl<N: ArrayLength> Requantization<N> {
    /// The kernels' view of it.
    #[must_use]
    pub fn requant(&self) -> Requant<'_> {
        Requant {
            input_zero_point: self.input_zero_point,
            output_zero_point: self.output_zero_point,
            act_min: self.act_min,
            act_max: self.act_max,
            multiplier: &self.multiplier,
            shift: &self.shift,
        }
    }
}

/// The quantization of one tensor: `real = scale * (q - zero_point)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quantization {
    /// The scale (positive, finite).
    pub scale: f32,
    /// The zero point, in `[-128, 127]`.
    pub zero_point: i32,
}

impl Quantization {
    /// `clamp(round_half_even(x * (1 / scale)) + zero_point)`, as PyTorch's
    /// `quantize_per_tensor` computes it (the reciprocal in `f32`).
    #[must_use]
    pub fn quantize(self, x: f32) -> i8 {
        let scaled = x * (1.0 / self.scale);
        let rounded = round_half_even(scaled);
        let q = rounded + self.zero_point as f32;
        // `as` saturates (and maps NaN to 0): clamp to i8 first for the exact bounds.
        q.clamp(-128.0, 127.0) as i8
    }

    /// `scale * (q - zero_point)`.
    #[must_use]
    pub fn dequantize(self, q: i8) -> f32 {
        (i32::from(q) - self.zero_point) as f32 * self.scale
    }
}

/// Rounds to the nearest integer, ties to even (`torch.round`), without `std`.
fn round_half_even(x: f32) -> f32 {
    if !x.is_finite() || x.abs() >= 8_388_608.0 {
        return x; // already an integer (or not a number)
    }
    let truncated = x as i32 as f32;
    let fraction = x - truncated;
    let away = if x >= 0.0 { 1.0 } else { -1.0 };
    if fraction.abs() > 0.5 {
        truncated + away
    } else if fraction.abs() < 0.5 || (truncated as i32) % 2 == 0 {
        truncated
    } else {
        truncated + away
    }
}

#[cfg(test)]
mod tests {
    use super::Quantization;

    #[test]
    fn quantize_rounds_half_to_even_and_saturates() {
        let q = Quantization { scale: 0.5, zero_point: -3 };
        assert_eq!(q.quantize(0.25), -3); // 0.5 -> 0
        assert_eq!(q.quantize(0.75), -1); // 1.5 -> 2
        assert_eq!(q.quantize(-0.75), -5); // -1.5 -> -2
        assert_eq!(q.quantize(1000.0), 127);
        assert_eq!(q.quantize(-1000.0), -128);
        assert_eq!(q.dequantize(-1), 1.0);
    }
}
