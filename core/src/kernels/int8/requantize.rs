//! Fixed-point requantization: CMSIS-NN's `arm_nn_requantize` and TFLite's
//! `QuantizeMultiplier`, the two halves of how an `i32` accumulator with scale
//! `s_in * s_w` becomes an `i8` with scale `s_out`.
//!
//! A real multiplier `M = s_in * s_w / s_out` is stored as an `i32` `multiplier` in
//! `[2^30, 2^31)` and a signed `shift`: `M = multiplier * 2^(shift - 31)`. Positive shifts are
//! left shifts (`M > 1`), negative ones right shifts.

/// `round_half_up(a * b / 2^31)` with a 64-bit product: CMSIS-NN's
/// `arm_nn_doubling_high_mult_no_sat`. The only input whose result leaves `i32` (`a = b =
/// i32::MIN`, never produced with a positive multiplier) wraps, as the C does.
#[inline(always)]
#[must_use]
pub const fn doubling_high_mul(a: i32, b: i32) -> i32 {
    let product = a as i64 * b as i64;
    ((product + (1 << 30)) >> 31) as i32
}

/// `value / 2^exponent` rounded half away from zero: CMSIS-NN's
/// `arm_nn_divide_by_power_of_two` (TFLite's `RoundingDivideByPOT`). Defined for every
/// exponent (the C is only for `0..=31`): from 32 on the result is `0`, except
/// `i32::MIN / 2^32 = -0.5`, which rounds to `-1`.
#[inline(always)]
#[must_use]
pub const fn divide_by_power_of_two(value: i32, exponent: u32) -> i32 {
    if exponent == 0 {
        return value;
    }
    let exponent = if exponent > 33 { 33 } else { exponent };
    let half = 1i64 << (exponent - 1);
    let magnitude = ((value as i64).abs() + half) >> exponent;
    (if value < 0 { -magnitude } else { magnitude }) as i32
}

/// `acc * multiplier * 2^(shift - 31)`, rounded as CMSIS-NN's `arm_nn_requantize` (its default
/// build: neither `CMSIS_NN_USE_SINGLE_ROUNDING` nor the inline assembly, which gives the same
/// numbers): **two roundings**, not one rounding of the exact product.
///
/// 1. `v = acc * 2^max(shift, 0)` in `i32`;
/// 2. `h = round_half_up(v * multiplier / 2^31)` ([`doubling_high_mul`]);
/// 3. `h / 2^max(-shift, 0)` rounded half away from zero ([`divide_by_power_of_two`]).
///
/// Bit-exact with CMSIS-NN for every shift in `-31..=30` whenever `acc * 2^shift` fits `i32`
/// (a positive shift of a large accumulator overflows a signed `int` in the C, undefined
/// behaviour). Here that overflow wraps modulo `2^32`, which is what gcc's code does; such
/// accumulators are out of range for a layer whose real multiplier is above one.
///
/// ```
/// use staticnn_core::kernels::int8::requantize;
/// // 5 * 0.5 = 2.5 rounds half up in the high multiply.
/// assert_eq!(requantize(5, 1 << 30, 0), 3);
/// // 1 * 0.25 = 0.25, but the high multiply rounds 1 * 0.5 up to 1, and the shift rounds
/// // 1 / 2 = 0.5 away from zero: two roundings give 1 where one would give 0.
/// assert_eq!(requantize(1, 1 << 30, -1), 1);
/// assert_eq!(requantize(-3, 1 << 30, -1), -1); // -1.5 -> -1 (half up), -0.5 -> -1 (away)
/// ```
#[inline(always)]
#[must_use]
pub const fn requantize(acc: i32, multiplier: i32, shift: i32) -> i32 {
    let left = if shift > 0 { shift as u32 } else { 0 };
    let right = if shift < 0 { shift.unsigned_abs() } else { 0 };
    let v = if left >= 32 { 0 } else { acc.wrapping_shl(left) };
    divide_by_power_of_two(doubling_high_mul(v, multiplier), right)
}

/// The largest shift [`quantize_multiplier`] returns: `1 << 30` is the largest power of two
/// an `i32` holds, so `acc * 2^shift` needs `shift <= 30`.
pub const MAX_SHIFT: i32 = 30;

/// TFLite's `QuantizeMultiplier` (its double-rounding build, the one CMSIS-NN's requantization
/// pairs with): the `(multiplier, shift)` with `real ≈ multiplier * 2^(shift - 31)`.
///
/// With `real = q * 2^e`, `0.5 <= q < 1` (`frexp`): `multiplier = round_half_away(q * 2^31)`
/// and `shift = e`, except that a `q` rounding up to `1.0` gives `(2^30, e + 1)`, and
/// `e < -31` gives `(0, 0)` (every accumulator would round to zero anyway: `|acc| < 2^31`).
/// Exact: computed on the bits of `real`, no floating-point rounding. `const`, so `network!`
/// derives multipliers at compile time with this very function.
///
/// Returns `None` for a multiplier that is not positive and finite (`0`, negative, NaN,
/// infinite) and for one of `2^30` or more, whose shift would exceed [`MAX_SHIFT`].
///
/// ```
/// use staticnn_core::kernels::int8::quantize_multiplier;
/// assert_eq!(quantize_multiplier(0.5), Some((1 << 30, 0)));
/// assert_eq!(quantize_multiplier(0.75), Some((3 << 29, 0)));
/// assert_eq!(quantize_multiplier(3.0), Some((3 << 29, 2)));
/// assert_eq!(quantize_multiplier(1.0 - 1.0 / (1u64 << 33) as f64), Some((1 << 30, 1)));
/// assert_eq!(quantize_multiplier(1e-12), Some((0, 0)));
/// assert_eq!(quantize_multiplier(0.0), None);
/// ```
#[must_use]
pub const fn quantize_multiplier(real: f64) -> Option<(i32, i32)> {
    const FRACTION_BITS: u32 = 52;
    const FRACTION_MASK: u64 = (1 << FRACTION_BITS) - 1;
    let bits = real.to_bits();
    let biased = ((bits >> FRACTION_BITS) & 0x7ff) as i32;
    let fraction = bits & FRACTION_MASK;
    if bits >> 63 != 0 || biased == 0x7ff || (biased == 0 && fraction == 0) {
        return None; // negative (or -0.0), NaN, infinite, zero
    }
    // real = significand * 2^exponent with bit 52 of the significand set.
    let (significand, exponent) = if biased == 0 {
        let normalize = fraction.leading_zeros() - (63 - FRACTION_BITS);
        (fraction << normalize, -1074 - normalize as i32)
    } else {
        (fraction | (1 << FRACTION_BITS), biased - 1075)
    };
    // frexp: q = significand / 2^53 in [0.5, 1), e = exponent + 53; q * 2^31 = significand / 2^22.
    let mut e = exponent + 53;
    let mut q_fixed = (significand + (1 << 21)) >> 22; // half away from zero (positive)
    if q_fixed == 1 << 31 {
        q_fixed = 1 << 30;
        e += 1;
    }
    if e < -31 {
        return Some((0, 0));
    }
    if e > MAX_SHIFT {
        return None;
    }
    Some((q_fixed as i32, e))
}

/// The `(multiplier, shift)` of a convolution or linear output channel from its float scales,
/// as TFLite and the int8 weight files define it: `real = (s_in * s_w) / s_out`, each `f32`
/// widened to `f64` first, in this order of operations, then [`quantize_multiplier`].
///
/// `None` for a scale that is not positive and finite, or an unrepresentable product.
#[must_use]
pub const fn conv_multiplier(
    input_scale: f32,
    weight_scale: f32,
    output_scale: f32,
) -> Option<(i32, i32)> {
    if !positive_finite(input_scale)
        || !positive_finite(weight_scale)
        || !positive_finite(output_scale)
    {
        return None;
    }
    quantize_multiplier((input_scale as f64 * weight_scale as f64) / output_scale as f64)
}

/// Whether `x` is a usable scale: positive and finite.
#[must_use]
pub const fn positive_finite(x: f32) -> bool {
    x > 0.0 && x < f32::INFINITY
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divide_rounds_half_away_from_zero() {
        assert_eq!(divide_by_power_of_two(5, 1), 3);
        assert_eq!(divide_by_power_of_two(-5, 1), -3);
        assert_eq!(divide_by_power_of_two(-4, 1), -2);
        assert_eq!(divide_by_power_of_two(-6, 2), -2);
        assert_eq!(divide_by_power_of_two(6, 2), 2);
        assert_eq!(divide_by_power_of_two(i32::MIN, 31), -1);
        assert_eq!(divide_by_power_of_two(i32::MAX, 31), 1);
        assert_eq!(divide_by_power_of_two(1 << 29, 31), 0);
        assert_eq!(divide_by_power_of_two(1 << 30, 31), 1);
        assert_eq!(divide_by_power_of_two(-(1 << 30), 31), -1);
        assert_eq!(divide_by_power_of_two(-(1 << 30) + 1, 31), 0);
    }

    #[test]
    fn divide_is_defined_beyond_the_c_range() {
        assert_eq!(divide_by_power_of_two(i32::MIN, 32), -1);
        assert_eq!(divide_by_power_of_two(i32::MIN + 1, 32), 0);
        assert_eq!(divide_by_power_of_two(i32::MAX, 32), 0);
        assert_eq!(divide_by_power_of_two(i32::MIN, 33), 0);
        assert_eq!(divide_by_power_of_two(i32::MIN, u32::MAX), 0);
    }

    #[test]
    fn requantize_never_panics_on_extreme_inputs() {
        for acc in [i32::MIN, -1, 0, 1, i32::MAX] {
            for m in [i32::MIN, -1, 0, 1, i32::MAX] {
                for s in [i32::MIN, -64, -32, -31, 0, 30, 31, 32, 64, i32::MAX] {
                    let _ = requantize(acc, m, s);
                }
            }
        }
        // Shifts of 32 and more shift everything out (modulo 2^32, like 31 does for even acc).
        assert_eq!(requantize(12345, i32::MAX, 32), 0);
        // The one product that leaves i32 wraps, like the C.
        assert_eq!(doubling_high_mul(i32::MIN, i32::MIN), i32::MIN);
    }

    #[test]
    fn quantize_multiplier_edges() {
        assert_eq!(quantize_multiplier(1.0), Some((1 << 30, 1)));
        assert_eq!(quantize_multiplier(2f64.powi(29)), Some((1 << 30, 30)));
        assert_eq!(quantize_multiplier(2f64.powi(30)), None);
        // Just under 2^30: q rounds up to 1.0, the shift would be 31.
        assert_eq!(quantize_multiplier(2f64.powi(30) * (1.0 - 2f64.powi(-40))), None);
        assert_eq!(quantize_multiplier(2f64.powi(-32)), Some((1 << 30, -31)));
        assert_eq!(quantize_multiplier(2f64.powi(-33)), Some((0, 0)));
        // Subnormals are positive and finite: tiny, so (0, 0).
        assert_eq!(quantize_multiplier(f64::from_bits(1)), Some((0, 0)));
        for bad in [0.0, -0.0, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1e-300] {
            assert_eq!(quantize_multiplier(bad), None, "{bad}");
        }
        // An exact tie of q * 2^31 rounds away from zero (up), not to even.
        let tie = (f64::from((1u32 << 30) + 2) + 0.5) / 2f64.powi(31); // q * 2^31 = 2^30 + 2.5
        assert_eq!(quantize_multiplier(tie), Some(((1 << 30) + 3, 0)));
    }

    #[test]
    fn quantize_multiplier_is_usable_in_constants() {
        const M: Option<(i32, i32)> = quantize_multiplier(0.1);
        const C: Option<(i32, i32)> = conv_multiplier(0.5, 0.25, 0.125);
        assert_eq!(M, Some((1_717_986_918, -3)));
        assert_eq!(C, Some((1 << 30, 1)));
        assert_eq!(conv_multiplier(0.5, 0.0, 1.0), None);
        assert_eq!(conv_multiplier(0.5, 1.0, f32::NAN), None);
    }
}
