//! The requantization of one output channel, prepared once per channel so that each output
//! costs a handful of DSP instructions ([`OutputStage::apply`]), with exactly
//! [`Requant::output`]'s result.
//!
//! [`requantize()`](super::requantize()) needs a 64-bit product, a rounding and a rounding
//! shift. When the accumulator is known to be small enough (`|acc| < 2^(30 - left shift)`,
//! always true for a layer's real accumulators, checked from a bound the caller gives), the
//! doubling high multiply `round(v * m / 2^31)` is `SMMLAR(2v, m, a)`'s `round(2v * m / 2^32)`,
//! and the rest folds into the constant `a`:
//!
//! `h + zp` for shift `>= 0`, and for a right shift `e >= 1`
//! `(h + 2^(e-1) + zp * 2^e - [acc < 0]) >> e`, which is `round_half_away(h / 2^e) + zp`
//! (the sign of `h` is the sign of `acc` whenever `h != 0`, because the multiplier is positive;
//! and `h = 0` gives `zp` either way). Then `SSAT #8` and the activation's clamp.
//!
//! Channels outside that domain (a multiplier that is not positive, a right shift above 22, a
//! bound too large) keep the general path.

use super::dsp::{smmlar, ssat8};
use super::{Requant, clamp_to};

/// The largest right shift the fast path folds the output zero point into (`128 * 2^22 +
/// 2^21 + 2^30 < 2^31`).
const MAX_FAST_RIGHT_SHIFT: u32 = 22;

/// The requantization of one output channel: [`Requant::output`] for the channel, in the
/// fewest instructions its parameters allow.
#[derive(Clone, Copy, Debug)]
pub struct OutputStage {
    /// `Some((left + 1, right))` on the fast path.
    fast: Option<(u32, u32)>,
    /// The channel's fixed-point multiplier.
    multiplier: i32,
    /// The channel's shift (general path).
    shift: i32,
    /// Fast path: what `SMMLAR` adds (`zp`, or `2^(e-1) + zp * 2^e`).
    add: i32,
    /// The output zero point (general path).
    zero_point: i32,
    /// The activation's clamp.
    min: i8,
    /// The activation's clamp.
    max: i8,
}

impl OutputStage {
    /// The stage of output channel `c` of `requant`, for accumulators (bias included) whose
    /// magnitude never exceeds `bound`.
    #[inline(always)]
    #[must_use]
    pub fn new(requant: &Requant<'_>, c: usize, bound: u64) -> Self {
        let (multiplier, shift) = requant.channel(c);
        let zero_point = requant.output_zero_point;
        let left = if shift > 0 { shift.unsigned_abs() } else { 0 };
        let right = if shift < 0 { shift.unsigned_abs() } else { 0 };
        let fits = multiplier > 0
            && left <= 30
            && right <= MAX_FAST_RIGHT_SHIFT
            && bound < 1u64 << (30 - left);
        let add = if right == 0 {
            zero_point
        } else {
            (1i32 << (right - 1)).wrapping_add(zero_point.wrapping_shl(right))
        };
        Self {
            fast: if fits { Some((left + 1, right)) } else { None },
            multiplier,
            shift,
            add,
            zero_point,
            min: requant.act_min,
            max: requant.act_max,
        }
    }

    /// Whether [`apply`](Self::apply) takes the few-instruction path.
    #[must_use]
    pub const fn is_fast(&self) -> bool {
        self.fast.is_some()
    }

    /// The fast path with a right shift, when this channel takes it: the 5-instruction
    /// [`RightShift::apply`] (the clamp left to the caller).
    #[inline(always)]
    #[must_use]
    pub const fn right_shift(&self) -> Option<RightShift> {
        match self.fast {
            Some((pre, right)) if right > 0 => {
                Some(RightShift { pre, multiplier: self.multiplier, add: self.add, right })
            }
            _ => None,
        }
    }

    /// Whether the activation's clamp changes nothing after `SSAT #8`: the range is all of
    /// `i8` (no activation, or a ReLU whose output zero point is `-128`).
    #[inline(always)]
    #[must_use]
    pub const fn full_range(&self) -> bool {
        self.min == i8::MIN && self.max == i8::MAX
    }

    /// The activation's clamp of `y`, an `SSAT #8` result.
    #[inline(always)]
    #[must_use]
    pub const fn clamp(&self, y: i32) -> i8 {
        clamp_to(y, self.min, self.max)
    }

    /// The output for accumulator `acc`: [`Requant::output`]'s value.
    #[inline(always)]
    #[must_use]
    pub fn apply(&self, acc: i32) -> i8 {
        let y = match self.fast {
            Some((pre, 0)) => ssat8(smmlar(acc.wrapping_shl(pre), self.multiplier, self.add)),
            Some((pre, right)) => {
                let t = smmlar(acc.wrapping_shl(pre), self.multiplier, self.add);
                ssat8((t - (acc as u32 >> 31) as i32).wrapping_shr(right))
            }
            None => {
                super::requantize(acc, self.multiplier, self.shift).wrapping_add(self.zero_point)
            }
        };
        clamp_to(y, self.min, self.max)
    }
}

/// The fast path of an [`OutputStage`] whose channel shifts right (`shift < 0`, the usual
/// case: a real multiplier below one half): `SSAT #8` of `(SMMLAR(acc << pre, m, add) - [acc <
/// 0]) >> right`, five instructions in one `asm!` block on a DSP core; the clamp is not
/// included ([`OutputStage::clamp`], or nothing when [`OutputStage::full_range`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RightShift {
    /// `left + 1`, in `1..=31`.
    pre: u32,
    multiplier: i32,
    add: i32,
    /// In `1..=22`.
    right: u32,
}

impl RightShift {
    /// The stage of output channel `c` of `requant` when it shifts right and not left
    /// ([`takes_doubled`](Self::takes_doubled)) and its accumulators, `bias` plus `taps`
    /// products, stay within [`OutputStage`]'s bound: [`OutputStage::new`]`(..)`'s
    /// [`right_shift`](OutputStage::right_shift) in that case, in fewer instructions; `None`
    /// otherwise (the caller then builds the [`OutputStage`]).
    #[inline(always)]
    #[must_use]
    pub fn doubled(requant: &Requant<'_>, c: usize, bias: i32, taps: usize) -> Option<Self> {
        let (multiplier, shift) = requant.channel(c);
        let right = shift.unsigned_abs();
        let room = (1u64 << 30).saturating_sub(taps as u64 * 128 * 255);
        if multiplier > 0
            && shift < 0
            && right <= MAX_FAST_RIGHT_SHIFT
            && u64::from(bias.unsigned_abs()) < room
        {
            let zero_point = requant.output_zero_point;
            let add = (1i32 << (right - 1)).wrapping_add(zero_point.wrapping_shl(right));
            Some(Self { pre: 1, multiplier, add, right })
        } else {
            None
        }
    }

    /// Whether the channel shifts nothing left (`pre == 1`): then [`apply_doubled`]
    /// takes `2 acc` (accumulated with doubled weights) and needs four instructions.
    ///
    /// [`apply_doubled`]: Self::apply_doubled
    #[inline(always)]
    #[must_use]
    pub const fn takes_doubled(&self) -> bool {
        self.pre == 1
    }

    /// `y[2j + p] = apply_doubled(sums[4j + first + p])` as a byte, for every whole pair
    /// `j` of `y` (`p = 0, 1`): the outputs of a channel whose activation clamps nothing
    /// ([`OutputStage::full_range`]), from the sums of 2 x 2 blocks. On a DSP core one loop
    /// in `asm!`, 13 instructions per pair of outputs. Writes nothing if `first > 2` or `sums`
    /// is too short.
    #[inline(always)]
    pub fn write_doubled_pairs(&self, sums: &[u32], first: usize, y: &mut [i8]) {
        let pairs = y.len() / 2;
        if first > 2 || sums.len() < 4 * pairs {
            return;
        }
        #[cfg(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass"))]
        if pairs > 0 {
            // SAFETY: `sums` holds `4 pairs` words (checked above), so every `LDRD` at
            // `first + 4j` reads inside it (aligned: `u32`s); `y` holds `2 pairs` bytes; the
            // loop runs `pairs >= 1` times. `SSAT` may set the sticky Q flag, which nothing
            // reads.
            unsafe {
                core::arch::asm!(
                    "2:",
                    "ldrd {a}, {b}, [{src}], #16",
                    "smmlar {t}, {a}, {m}, {add}",
                    "sub {t}, {t}, {a}, lsr #31",
                    "asr {t}, {t}, {right}",
                    "ssat {t}, #8, {t}",
                    "strb {t}, [{dst}], #2",
                    "smmlar {t}, {b}, {m}, {add}",
                    "sub {t}, {t}, {b}, lsr #31",
                    "asr {t}, {t}, {right}",
                    "ssat {t}, #8, {t}",
                    "strb {t}, [{dst}, #-1]",
                    "subs {n}, {n}, #1",
                    "bne 2b",
                    a = out(reg) _,
                    b = out(reg) _,
                    t = out(reg) _,
                    src = inout(reg) sums.as_ptr().wrapping_add(first) => _,
                    dst = inout(reg) y.as_mut_ptr() => _,
                    n = inout(reg) pairs => _,
                    m = in(reg) self.multiplier,
                    add = in(reg) self.add,
                    right = in(reg) self.right,
                    options(nostack)
                );
            }
        }
        #[cfg(not(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass")))]
        for (acc, ys) in sums.chunks_exact(4).zip(y.chunks_exact_mut(2)) {
            ys[0] = self.apply_doubled(acc[first] as i32) as i8;
            ys[1] = self.apply_doubled(acc[first + 1] as i32) as i8;
        }
    }

    /// [`apply`](Self::apply)`(acc)` from `acc2 = 2 acc` (no wrapping: the stage's bound
    /// keeps `|2 acc| < 2^31`), for a channel that [`takes_doubled`](Self::takes_doubled).
    #[inline(always)]
    #[must_use]
    pub fn apply_doubled(&self, acc2: i32) -> i32 {
        #[cfg(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass"))]
        {
            let out: i32;
            // SAFETY: register-only instructions (`SSAT` may set the sticky Q flag, which
            // nothing reads).
            unsafe {
                core::arch::asm!(
                    "smmlar {t}, {acc}, {m}, {add}",
                    "sub {t}, {t}, {acc}, lsr #31",
                    "asr {t}, {t}, {right}",
                    "ssat {t}, #8, {t}",
                    t = out(reg) out,
                    acc = in(reg) acc2,
                    m = in(reg) self.multiplier,
                    add = in(reg) self.add,
                    right = in(reg) self.right,
                    options(pure, nomem, nostack)
                );
            }
            out
        }
        #[cfg(not(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass")))]
        {
            let t = smmlar(acc2, self.multiplier, self.add);
            ssat8(t.wrapping_sub((acc2 as u32 >> 31) as i32).wrapping_shr(self.right))
        }
    }

    /// `acc` requantized, plus the output zero point, saturated to `[-128, 127]` (before the
    /// activation's clamp).
    #[inline(always)]
    #[must_use]
    pub fn apply(&self, acc: i32) -> i32 {
        #[cfg(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass"))]
        {
            let out: i32;
            // SAFETY: register-only instructions (`SSAT` may set the sticky Q flag, which
            // nothing reads).
            unsafe {
                core::arch::asm!(
                    "lsl {t}, {acc}, {pre}",
                    "smmlar {t}, {t}, {m}, {add}",
                    "sub {t}, {t}, {acc}, lsr #31",
                    "asr {t}, {t}, {right}",
                    "ssat {t}, #8, {t}",
                    t = out(reg) out,
                    acc = in(reg) acc,
                    pre = in(reg) self.pre,
                    m = in(reg) self.multiplier,
                    add = in(reg) self.add,
                    right = in(reg) self.right,
                    options(pure, nomem, nostack)
                );
            }
            out
        }
        #[cfg(not(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass")))]
        {
            let t = smmlar(acc.wrapping_shl(self.pre), self.multiplier, self.add);
            ssat8(t.wrapping_sub((acc as u32 >> 31) as i32).wrapping_shr(self.right))
        }
    }
}

/// A bound on `|bias + Σ w (x - zero_point)|` over `taps` products: `|bias| + taps * 128 * 255`.
#[inline(always)]
#[must_use]
pub fn accumulator_bound(bias: i32, taps: usize) -> u64 {
    u64::from(bias.unsigned_abs()) + taps as u64 * 128 * 255
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equals_the_general_requantization() {
        let accs: [i32; 19] = [
            0,
            1,
            -1,
            2,
            -2,
            3,
            -3,
            7,
            -7,
            1000,
            -1000,
            65535,
            -65536,
            1 << 20,
            -(1 << 20),
            (1 << 29) - 1,
            -((1 << 29) - 1),
            123_456_789 >> 3,
            -(123_456_789 >> 3),
        ];
        let mut fast = 0;
        for shift in -31..=30 {
            for multiplier in [1, 2, 1 << 30, (1 << 30) + 1, 1_518_500_250, i32::MAX, 0, -5] {
                for (zp, min, max) in
                    [(0, -128, 127), (-60, -60, 127), (17, -3, 90), (-128, -128, 5)]
                {
                    let m = [multiplier];
                    let s = [shift];
                    let rq = Requant {
                        input_zero_point: 0,
                        output_zero_point: zp,
                        act_min: min,
                        act_max: max,
                        multiplier: &m,
                        shift: &s,
                    };
                    for bound in [1u64 << 29, 1 << 20, 1 << 10] {
                        let stage = OutputStage::new(&rq, 0, bound);
                        fast += usize::from(stage.is_fast());
                        let right = stage.right_shift();
                        // The direct constructor agrees with the general one.
                        for (bias, taps) in [(0, 0), (bound as i32 / 2, 9), (-1000, 64)] {
                            let general = OutputStage::new(&rq, 0, accumulator_bound(bias, taps));
                            let want = general.right_shift().filter(RightShift::takes_doubled);
                            assert_eq!(RightShift::doubled(&rq, 0, bias, taps), want);
                        }
                        assert_eq!(right.is_some(), stage.is_fast() && shift < 0);
                        for &acc in &accs {
                            if u64::from(acc.unsigned_abs()) > bound {
                                continue;
                            }
                            let want = rq.output(acc, (multiplier, shift));
                            assert_eq!(
                                stage.apply(acc),
                                want,
                                "acc {acc} m {multiplier} shift {shift} zp {zp} bound {bound}"
                            );
                            if let Some(r) = right {
                                assert_eq!(stage.clamp(r.apply(acc)), want, "right shift {acc}");
                                if stage.full_range() {
                                    assert_eq!(r.apply(acc), i32::from(want));
                                }
                                if r.takes_doubled() {
                                    let doubled = r.apply_doubled(acc.wrapping_mul(2));
                                    assert_eq!(stage.clamp(doubled), want, "doubled {acc}");
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(fast > 1000, "the fast path was taken {fast} times");
    }

    #[test]
    fn the_bound() {
        assert_eq!(accumulator_bound(i32::MIN, 2), (1 << 31) + 2 * 32640);
        let s = OutputStage::new(
            &Requant {
                input_zero_point: 0,
                output_zero_point: 0,
                act_min: -128,
                act_max: 127,
                multiplier: &[1 << 30],
                shift: &[3],
            },
            0,
            1 << 27,
        );
        assert!(!s.is_fast(), "2^27 * 2^3 * 2 leaves i32");
    }
}
