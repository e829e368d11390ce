//! Element-wise add and mul of int8 tensors (TFLite's int8 ADD and MUL, CMSIS-NN's
//! `arm_elementwise_add_s8` / `arm_elementwise_mul_s8`), with broadcasting, and a plain clamp.
//!
//! Shapes are `[C, H, W]` (a vector is `[1, 1, n]`); an input's dimension is either the
//! output's or 1 (broadcast), as in PyTorch: squeeze-and-excitation's `[C, H, W] * [C, 1, 1]`.
//! CMSIS-NN itself has no broadcasting; a broadcast element gets exactly the same per-element
//! formula (the fixture `mul_se_broadcast` was computed one pixel at a time).

use super::requantize::{positive_finite, quantize_multiplier, requantize};
use super::{FusedActivation, activation_range, clamp_to, is_i8};

/// The parameters of an int8 addition: `y = clamp(requantize(a' + b', output) + z_out)` with
/// `a' = requantize((a - z1) << left_shift, input1)`, `b'` likewise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddParams {
    /// Zero point of the first input.
    pub input1_zero_point: i32,
    /// Zero point of the second input.
    pub input2_zero_point: i32,
    /// Zero point of the output.
    pub output_zero_point: i32,
    /// Headroom bits given to `x - z` before each input's rescale ([`AddParams::LEFT_SHIFT`]).
    pub left_shift: u32,
    /// `(multiplier, shift)` rescaling the first input to the common scale.
    pub input1: (i32, i32),
    /// `(multiplier, shift)` rescaling the second input to the common scale.
    pub input2: (i32, i32),
    /// `(multiplier, shift)` from the common scale to the output's.
    pub output: (i32, i32),
    /// The smallest output.
    pub act_min: i8,
    /// The largest output.
    pub act_max: i8,
}

impl AddParams {
    /// TFLite's left shift for int8 (CMSIS-NN's DSP path is only exact for 16 or more).
    pub const LEFT_SHIFT: u32 = 20;

    /// The parameters from each tensor's `(scale, zero_point)`, as TFLite derives them (every
    /// `f32` scale widened to `f64`): with `twice_max = 2 * max(s1, s2)`, the inputs' real
    /// multipliers are `s1 / twice_max` and `s2 / twice_max` and the output's
    /// `twice_max / (2^20 * s_out)`, each through
    /// [`quantize_multiplier`]. `None` for a scale that is not positive and finite, a zero point
    /// outside `i8` or an unrepresentable multiplier.
    #[must_use]
    pub const fn from_scales(
        (s1, input1_zero_point): (f32, i32),
        (s2, input2_zero_point): (f32, i32),
        (s_out, output_zero_point): (f32, i32),
        activation: FusedActivation,
    ) -> Option<Self> {
        if !positive_finite(s1) || !positive_finite(s2) || !positive_finite(s_out) {
            return None;
        }
        if !is_i8(input1_zero_point) || !is_i8(input2_zero_point) {
            return None;
        }
        let (s1, s2) = (s1 as f64, s2 as f64);
        let twice_max = 2.0 * if s1 > s2 { s1 } else { s2 };
        let real_out = twice_max / ((1u32 << Self::LEFT_SHIFT) as f64 * s_out as f64);
        let (Some(input1), Some(input2), Some(output), Some((act_min, act_max))) = (
            quantize_multiplier(s1 / twice_max),
            quantize_multiplier(s2 / twice_max),
            quantize_multiplier(real_out),
            activation_range(activation, output_zero_point, s_out),
        ) else {
            return None;
        };
        Some(Self {
            input1_zero_point,
            input2_zero_point,
            output_zero_point,
            left_shift: Self::LEFT_SHIFT,
            input1,
            input2,
            output,
            act_min,
            act_max,
        })
    }

    /// The sum of one pair of elements.
    #[inline(always)]
    #[must_use]
    pub fn apply(&self, a: i8, b: i8) -> i8 {
        let shift = self.left_shift.min(31);
        let a = (i32::from(a).wrapping_sub(self.input1_zero_point)).wrapping_shl(shift);
        let b = (i32::from(b).wrapping_sub(self.input2_zero_point)).wrapping_shl(shift);
        let a = requantize(a, self.input1.0, self.input1.1);
        let b = requantize(b, self.input2.0, self.input2.1);
        let y = requantize(a.wrapping_add(b), self.output.0, self.output.1);
        clamp_to(y.wrapping_add(self.output_zero_point), self.act_min, self.act_max)
    }
}

/// The parameters of an int8 multiplication:
/// `y = clamp(requantize((a - z1) * (b - z2), multiplier, shift) + z_out)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MulParams {
    /// Zero point of the first input.
    pub input1_zero_point: i32,
    /// Zero point of the second input.
    pub input2_zero_point: i32,
    /// Zero point of the output.
    pub output_zero_point: i32,
    /// `(multiplier, shift)` of `s1 * s2 / s_out`.
    pub output: (i32, i32),
    /// The smallest output.
    pub act_min: i8,
    /// The largest output.
    pub act_max: i8,
}

impl MulParams {
    /// The parameters from each tensor's `(scale, zero_point)`: the real multiplier is
    /// `(s1 * s2) / s_out` in `f64`, through [`quantize_multiplier`]. `None` as for
    /// [`AddParams::from_scales`].
    #[must_use]
    pub const fn from_scales(
        (s1, input1_zero_point): (f32, i32),
        (s2, input2_zero_point): (f32, i32),
        (s_out, output_zero_point): (f32, i32),
        activation: FusedActivation,
    ) -> Option<Self> {
        if !positive_finite(s1) || !positive_finite(s2) || !positive_finite(s_out) {
            return None;
        }
        if !is_i8(input1_zero_point) || !is_i8(input2_zero_point) {
            return None;
        }
        let real = (s1 as f64 * s2 as f64) / s_out as f64;
        let (Some(output), Some((act_min, act_max))) =
            (quantize_multiplier(real), activation_range(activation, output_zero_point, s_out))
        else {
            return None;
        };
        Some(Self {
            input1_zero_point,
            input2_zero_point,
            output_zero_point,
            output,
            act_min,
            act_max,
        })
    }

    /// The product of one pair of elements.
    #[inline(always)]
    #[must_use]
    pub fn apply(&self, a: i8, b: i8) -> i8 {
        let a = i32::from(a).wrapping_sub(self.input1_zero_point);
        let b = i32::from(b).wrapping_sub(self.input2_zero_point);
        let y = requantize(a.wrapping_mul(b), self.output.0, self.output.1);
        clamp_to(y.wrapping_add(self.output_zero_point), self.act_min, self.act_max)
    }
}

/// `output = a + b` element-wise (broadcast as the module describes), with `params`' rescaling.
/// `a` has shape `a_shape`, `b` `b_shape`; `output` has their broadcast shape. Writes nothing
/// if the shapes do not broadcast or a slice is too short.
///
/// With shifts below 32 (every [`AddParams::from_scales`]) each element runs
/// [`AddSteps::apply`], the same bits as [`AddParams::apply`] in 32-bit operations and one
/// 32 x 32 -> 64-bit product per rescale, no branch, at the active instruction-set level
/// (the compiler vectorises it: `vpmuldq` on x86-64).
#[inline]
pub fn add(
    a: &[i8],
    a_shape: [usize; 3],
    b: &[i8],
    b_shape: [usize; 3],
    params: &AddParams,
    output: &mut [i8],
) {
    match AddSteps::new(params) {
        Some(steps) => crate::kernels::isa::dispatch_int8!(binary(
            a,
            a_shape,
            b,
            b_shape,
            output,
            #[inline(always)]
            |x, y| steps.apply(x, y)
        )),
        None => binary(a, a_shape, b, b_shape, output, |x, y| params.apply(x, y)),
    }
}

/// One requantization of [`AddSteps`]: `x << left`, the rounded doubling high product with
/// `multiplier`, then `right` bits off rounding half away from zero (both shifts below 32).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Rescale {
    left: u32,
    multiplier: i32,
    right: u32,
}

impl Rescale {
    /// The steps of `(multiplier, shift)`, if both shifts are below 32.
    fn new((multiplier, shift): (i32, i32)) -> Option<Self> {
        let left = u32::try_from(shift.max(0)).ok()?;
        let right = shift.min(0).unsigned_abs();
        (left < 32 && right < 32).then_some(Self { left, multiplier, right })
    }

    /// [`requantize`](super::requantize::requantize) for these shifts: the rounding right
    /// shift is `(h >> right) + (remainder > half - (h >= 0))` (TFLite's
    /// `RoundingDivideByPOT`, half away from zero), all in `i32`.
    #[inline(always)]
    fn apply(self, x: i32) -> i32 {
        let v = x.wrapping_shl(self.left);
        let h = ((i64::from(v) * i64::from(self.multiplier) + (1 << 30)) >> 31) as i32;
        let mask = ((1u32 << self.right) - 1) as i32;
        let threshold = (mask >> 1) + i32::from(h < 0);
        (h >> self.right) + i32::from((h & mask) > threshold)
    }
}

/// [`AddParams`] as three rescales whose shifts are below 32: an addition without branches on
/// the shifts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddSteps {
    input1_zero_point: i32,
    input2_zero_point: i32,
    output_zero_point: i32,
    left_shift: u32,
    input1: Rescale,
    input2: Rescale,
    output: Rescale,
    act_min: i8,
    act_max: i8,
}

impl AddSteps {
    /// The steps of `params`, if its shifts are all below 32 (else [`AddParams::apply`]
    /// handles it).
    #[must_use]
    pub fn new(params: &AddParams) -> Option<Self> {
        Some(Self {
            input1_zero_point: params.input1_zero_point,
            input2_zero_point: params.input2_zero_point,
            output_zero_point: params.output_zero_point,
            left_shift: (params.left_shift < 32).then_some(params.left_shift)?,
            input1: Rescale::new(params.input1)?,
            input2: Rescale::new(params.input2)?,
            output: Rescale::new(params.output)?,
            act_min: params.act_min,
            act_max: params.act_max,
        })
    }

    /// The sum of one pair of elements: [`AddParams::apply`]'s bits.
    #[inline(always)]
    #[must_use]
    pub fn apply(&self, a: i8, b: i8) -> i8 {
        let a = i32::from(a).wrapping_sub(self.input1_zero_point).wrapping_shl(self.left_shift);
        let b = i32::from(b).wrapping_sub(self.input2_zero_point).wrapping_shl(self.left_shift);
        let sum = self.input1.apply(a).wrapping_add(self.input2.apply(b));
        let y = self.output.apply(sum).wrapping_add(self.output_zero_point);
        y.max(i32::from(self.act_min)).min(i32::from(self.act_max)) as i8
    }
}

/// `output = a * b` element-wise (broadcast as the module describes), with `params`'
/// rescaling. As [`add`] otherwise.
#[inline]
pub fn mul(
    a: &[i8],
    a_shape: [usize; 3],
    b: &[i8],
    b_shape: [usize; 3],
    params: &MulParams,
    output: &mut [i8],
) {
    binary(a, a_shape, b, b_shape, output, |x, y| params.apply(x, y));
}

/// Clamps every element to `[min, max]` in place: a ReLU (`min` = the zero point) or ReLU6
/// that was not fused into the layer before it ([`activation_range`] gives the bounds).
#[inline]
pub fn clamp(data: &mut [i8], min: i8, max: i8) {
    for v in data {
        *v = clamp_to(i32::from(*v), min, max);
    }
}

/// The broadcast shape of `a` and `b`, or `None` if a dimension differs and neither is 1.
#[must_use]
pub const fn broadcast_shape(a: [usize; 3], b: [usize; 3]) -> Option<[usize; 3]> {
    let mut out = [0; 3];
    let mut i = 0;
    while i < 3 {
        out[i] = if a[i] == b[i] || b[i] == 1 {
            a[i]
        } else if a[i] == 1 {
            b[i]
        } else {
            return None;
        };
        i += 1;
    }
    Some(out)
}

/// One input row: consecutive elements, or one element repeated (a broadcast last axis).
#[derive(Clone, Copy)]
enum Row<'a> {
    Run(&'a [i8]),
    Repeat(i8),
}

/// The row of input `x` (shape `s`) at output channel `ci` and row `hi`, for rows of `w`.
fn row(x: &[i8], s: [usize; 3], w: usize, ci: usize, hi: usize) -> Row<'_> {
    let ci = if s[0] == 1 { 0 } else { ci };
    let hi = if s[1] == 1 { 0 } else { hi };
    let at = (ci * s[1] + hi) * s[2];
    if s[2] == 1 && w != 1 {
        Row::Repeat(x.get(at).copied().unwrap_or(0))
    } else {
        Row::Run(x.get(at..at + w).unwrap_or(&[]))
    }
}

/// Applies `f` to every pair of broadcast elements.
#[inline(always)]
fn binary(
    a: &[i8],
    a_shape: [usize; 3],
    b: &[i8],
    b_shape: [usize; 3],
    output: &mut [i8],
    f: impl Fn(i8, i8) -> i8,
) {
    let Some([c, h, w]) = broadcast_shape(a_shape, b_shape) else { return };
    let numel = |s: [usize; 3]| s[0] * s[1] * s[2];
    if a.len() < numel(a_shape) || b.len() < numel(b_shape) || output.len() < c * h * w {
        return;
    }
    for (r, out) in output.chunks_exact_mut(w.max(1)).take(c * h).enumerate() {
        let (ci, hi) = (r / h, r % h);
        match (row(a, a_shape, w, ci, hi), row(b, b_shape, w, ci, hi)) {
            (Row::Run(x), Row::Run(y)) => {
                for ((o, &x), &y) in out.iter_mut().zip(x).zip(y) {
                    *o = f(x, y);
                }
            }
            (Row::Run(x), Row::Repeat(y)) => {
                for (o, &x) in out.iter_mut().zip(x) {
                    *o = f(x, y);
                }
            }
            (Row::Repeat(x), Row::Run(y)) => {
                for (o, &y) in out.iter_mut().zip(y) {
                    *o = f(x, y);
                }
            }
            (Row::Repeat(x), Row::Repeat(y)) => out.fill(f(x, y)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity_mul() -> MulParams {
        // s1 * s2 / s_out = 1 * 1 / 2: y = round((a * b) / 2).
        MulParams::from_scales((1.0, 0), (1.0, 0), (2.0, 0), FusedActivation::None).unwrap()
    }

    #[test]
    fn broadcasting_follows_pytorch_rules() {
        assert_eq!(broadcast_shape([3, 4, 5], [3, 1, 1]), Some([3, 4, 5]));
        assert_eq!(broadcast_shape([1, 1, 5], [3, 4, 1]), Some([3, 4, 5]));
        assert_eq!(broadcast_shape([3, 4, 5], [2, 1, 1]), None);
        let p = identity_mul();
        let a: [i8; 12] = core::array::from_fn(|i| i as i8 * 2); // [2, 2, 3]
        let b = [10, -10]; // [2, 1, 1]
        let mut y = [0; 12];
        mul(&a, [2, 2, 3], &b, [2, 1, 1], &p, &mut y);
        assert_eq!(y, [0, 10, 20, 30, 40, 50, -60, -70, -80, -90, -100, -110]);
        // Either operand may be the broadcast one, and a row vector broadcasts along channels.
        let mut z = [0; 12];
        mul(&b, [2, 1, 1], &a, [2, 2, 3], &p, &mut z);
        assert_eq!(z, y);
        let v = [1, 2, 3];
        mul(&a, [2, 2, 3], &v, [1, 1, 3], &p, &mut z);
        assert_eq!(z, [0, 2, 6, 3, 8, 15, 6, 14, 24, 9, 20, 33]);
        // Shapes that do not broadcast, or a short slice: nothing written.
        let mut untouched = [7; 12];
        mul(&a, [2, 2, 3], &[1, 2, 3], [3, 1, 1], &p, &mut untouched);
        mul(&a, [2, 2, 3], &b[..1], [2, 1, 1], &p, &mut untouched);
        assert_eq!(untouched, [7; 12]);
    }

    #[test]
    fn add_parameters_and_extremes() {
        let p =
            AddParams::from_scales((0.5, 0), (0.5, 0), (1.0, 0), FusedActivation::None).unwrap();
        assert_eq!(p.input1, (1 << 30, 0)); // 0.5 / (2 * 0.5)
        assert_eq!(p.output, (1 << 30, -19)); // 1 / (2^20 * 1)
        // (-10 - 11) * 0.5 = -10.5 rounds away from zero.
        let mut y = [0; 4];
        add(&[10, -10, 127, -128], [1, 1, 4], &[10, -11, 127, -128], [1, 1, 4], &p, &mut y);
        assert_eq!(y, [10, -11, 127, -128]);
        assert_eq!(
            AddParams::from_scales((0.5, 0), (0.0, 0), (1.0, 0), FusedActivation::None),
            None
        );
        assert_eq!(
            AddParams::from_scales((0.5, 200), (0.5, 0), (1.0, 0), FusedActivation::None),
            None
        );
        let mut d = [-5, 0, 5, 127];
        clamp(&mut d, -1, 3);
        assert_eq!(d, [-1, 0, 3, 3]);
    }

    /// A xorshift generator.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// [`AddSteps::apply`] equals [`AddParams::apply`] on every pair of bytes, for random
    /// multipliers and shifts (left shifts, shifts of 31, large zero points included), and
    /// `add` at every level equals the element formula, on lengths around vector sizes.
    #[test]
    fn add_steps_equal_the_reference_for_every_pair_at_every_level() {
        let mut state = 0x1234_5678_9abc_def1u64;
        for round in 0..40 {
            let mut pick = |lo: i32, hi: i32| lo + (next(&mut state) % (hi - lo + 1) as u64) as i32;
            let zp = [-128, 127, 0, pick(-128, 127)];
            let shift = |p: &mut dyn FnMut(i32, i32) -> i32| match p(0, 5) {
                0 => p(-31, -25),
                1 => p(1, 4),
                _ => p(-12, 0),
            };
            let p = AddParams {
                input1_zero_point: zp[(round % 4) as usize],
                input2_zero_point: zp[((round / 4) % 4) as usize],
                output_zero_point: pick(-128, 127),
                left_shift: if round % 7 == 0 { 0 } else { AddParams::LEFT_SHIFT },
                input1: (pick(1 << 30, i32::MAX), shift(&mut pick)),
                input2: (pick(1 << 30, i32::MAX), shift(&mut pick)),
                output: (pick(1 << 30, i32::MAX), (shift(&mut pick) - 10).max(-31)),
                act_min: pick(-128, 0) as i8,
                act_max: pick(0, 127) as i8,
            };
            let steps = AddSteps::new(&p).unwrap();
            for a in i8::MIN..=i8::MAX {
                for b in i8::MIN..=i8::MAX {
                    assert_eq!(steps.apply(a, b), p.apply(a, b), "{a} + {b} with {p:?}");
                }
            }
            for n in [1, 7, 31, 32, 33, 64, 65, 200] {
                let x: std::vec::Vec<i8> = (0..n).map(|_| next(&mut state) as i8).collect();
                let y: std::vec::Vec<i8> = (0..n).map(|_| next(&mut state) as i8).collect();
                let want: std::vec::Vec<i8> =
                    x.iter().zip(&y).map(|(&x, &y)| p.apply(x, y)).collect();
                for level in crate::kernels::isa::available() {
                    let mut got = std::vec![0x55; n];
                    crate::kernels::isa::with_level(level, || {
                        add(&x, [1, 1, n], &y, [1, 1, n], &p, &mut got);
                    });
                    assert_eq!(got, want, "n {n} at {}", level.name());
                    let mut broadcast = std::vec![0x55; n];
                    crate::kernels::isa::with_level(level, || {
                        add(&x, [1, 1, n], &y[..1], [1, 1, 1], &p, &mut broadcast);
                    });
                    let want_b: std::vec::Vec<i8> = x.iter().map(|&x| p.apply(x, y[0])).collect();
                    assert_eq!(broadcast, want_b, "n {n} at {}", level.name());
                }
            }
        }
        // A shift of 32 or more is left to `AddParams::apply`.
        let mut p =
            AddParams::from_scales((0.5, 0), (0.5, 0), (1.0, 0), FusedActivation::None).unwrap();
        assert!(AddSteps::new(&p).is_some());
        p.input1.1 = -40;
        assert_eq!(AddSteps::new(&p), None);
        let mut y = [0; 2];
        add(&[100, -100], [1, 1, 2], &[3, 4], [1, 1, 2], &p, &mut y);
        assert_eq!(y, [p.apply(100, 3), p.apply(-100, 4)]);
    }
}
