//! The Armv7E-M DSP instructions the int8 kernels for Cortex-M4/M7/M33 are built from, as
//! functions: one instruction each on a target with the DSP extension (`asm!`: `core::arch::arm`'s
//! intrinsics are unstable), the same arithmetic in plain Rust everywhere else.
//!
//! The algorithms written with them ([`direct`](super::direct),
//! [`dot_rows_and_sums_pairs`](super::dot::dot_rows_and_sums_pairs)) therefore run on any
//! host, where the tests check them bit for bit (the direct engine against every CMSIS-NN
//! convolution fixture, the pairs against the definition); on a DSP target the same code issues
//! `smlad` & co.
//!
//! A *pair* is a `u32` holding two `i16` lanes, the low halfword first (what `ldr` reads from
//! two consecutive `i16`s on a little-endian core).

/// Whether the target has the DSP extension and is an M-profile core: the kernels then use
/// the instructions and the hand-scheduled blocks of [`asm`](self) instead of portable loops.
pub const TARGET: bool =
    cfg!(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass"));

/// The low lane of a pair.
#[inline(always)]
#[must_use]
pub const fn lo(p: u32) -> i32 {
    p as u16 as i16 as i32
}

/// The high lane of a pair.
#[inline(always)]
#[must_use]
pub const fn hi(p: u32) -> i32 {
    (p >> 16) as u16 as i16 as i32
}

/// The pair `(lo, hi)` (each truncated to 16 bits).
#[inline(always)]
#[must_use]
pub const fn pair(lo: i32, hi: i32) -> u32 {
    (lo as u16 as u32) | ((hi as u16 as u32) << 16)
}

/// `acc + lo(a) * lo(b) + hi(a) * hi(b)`, wrapping (`SMLAD`: two multiply-accumulates).
#[inline(always)]
#[must_use]
pub fn smlad(a: u32, b: u32, acc: i32) -> i32 {
    #[cfg(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass"))]
    {
        let out: i32;
        // SAFETY: one register-only instruction.
        unsafe {
            core::arch::asm!(
                "smlad {o}, {a}, {b}, {c}",
                o = lateout(reg) out, a = in(reg) a, b = in(reg) b, c = in(reg) acc,
                options(pure, nomem, nostack, preserves_flags)
            );
        }
        out
    }
    #[cfg(not(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass")))]
    {
        acc.wrapping_add(lo(a) * lo(b)).wrapping_add(hi(a) * hi(b))
    }
}

/// `acc + lo(a) * lo(b)` (`SMLABB`).
#[inline(always)]
#[must_use]
pub fn smlabb(a: u32, b: u32, acc: i32) -> i32 {
    #[cfg(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass"))]
    {
        let out: i32;
        // SAFETY: one register-only instruction.
        unsafe {
            core::arch::asm!(
                "smlabb {o}, {a}, {b}, {c}",
                o = lateout(reg) out, a = in(reg) a, b = in(reg) b, c = in(reg) acc,
                options(pure, nomem, nostack, preserves_flags)
            );
        }
        out
    }
    #[cfg(not(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass")))]
    {
        acc.wrapping_add(lo(a) * lo(b))
    }
}

/// `acc + lo(a) * hi(b)` (`SMLABT`).
#[inline(always)]
#[must_use]
pub fn smlabt(a: u32, b: u32, acc: i32) -> i32 {
    #[cfg(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass"))]
    {
        let out: i32;
        // SAFETY: one register-only instruction.
        unsafe {
            core::arch::asm!(
                "smlabt {o}, {a}, {b}, {c}",
                o = lateout(reg) out, a = in(reg) a, b = in(reg) b, c = in(reg) acc,
                options(pure, nomem, nostack, preserves_flags)
            );
        }
        out
    }
    #[cfg(not(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass")))]
    {
        acc.wrapping_add(lo(a) * hi(b))
    }
}

/// Bytes 0 and 2 of `x`, sign-extended: the pair `(x[0], x[2])` (`SXTB16`).
#[inline(always)]
#[must_use]
pub fn sxtb16(x: u32) -> u32 {
    #[cfg(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass"))]
    {
        let out: u32;
        // SAFETY: one register-only instruction.
        unsafe {
            core::arch::asm!(
                "sxtb16 {o}, {x}",
                o = lateout(reg) out, x = in(reg) x,
                options(pure, nomem, nostack, preserves_flags)
            );
        }
        out
    }
    #[cfg(not(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass")))]
    {
        pair(i32::from(x as u8 as i8), i32::from((x >> 16) as u8 as i8))
    }
}

/// Bytes 1 and 3 of `x`, sign-extended: the pair `(x[1], x[3])` (`SXTB16` with `ROR #8`).
#[inline(always)]
#[must_use]
pub fn sxtb16_ror8(x: u32) -> u32 {
    #[cfg(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass"))]
    {
        let out: u32;
        // SAFETY: one register-only instruction.
        unsafe {
            core::arch::asm!(
                "sxtb16 {o}, {x}, ror #8",
                o = lateout(reg) out, x = in(reg) x,
                options(pure, nomem, nostack, preserves_flags)
            );
        }
        out
    }
    #[cfg(not(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass")))]
    {
        sxtb16(x.rotate_right(8))
    }
}

/// Lane by lane `a - b`, wrapping (`SSUB16`; the GE flags it sets are not used).
#[inline(always)]
#[must_use]
pub fn ssub16(a: u32, b: u32) -> u32 {
    #[cfg(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass"))]
    {
        let out: u32;
        // SAFETY: one register-only instruction; it writes the GE flags, which nothing reads
        // (no `preserves_flags`).
        unsafe {
            core::arch::asm!(
                "ssub16 {o}, {a}, {b}",
                o = lateout(reg) out, a = in(reg) a, b = in(reg) b,
                options(pure, nomem, nostack)
            );
        }
        out
    }
    #[cfg(not(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass")))]
    {
        pair(lo(a).wrapping_sub(lo(b)), hi(a).wrapping_sub(hi(b)))
    }
}

/// `acc + round(a * b / 2^32)`, the product rounded half up: `(acc * 2^32 + a * b + 2^31) >>
/// 32`, wrapping (`SMMLAR`).
#[inline(always)]
#[must_use]
pub fn smmlar(a: i32, b: i32, acc: i32) -> i32 {
    #[cfg(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass"))]
    {
        let out: i32;
        // SAFETY: one register-only instruction.
        unsafe {
            core::arch::asm!(
                "smmlar {o}, {a}, {b}, {c}",
                o = lateout(reg) out, a = in(reg) a, b = in(reg) b, c = in(reg) acc,
                options(pure, nomem, nostack, preserves_flags)
            );
        }
        out
    }
    #[cfg(not(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass")))]
    {
        let wide =
            (i64::from(acc) << 32).wrapping_add(i64::from(a) * i64::from(b)).wrapping_add(1 << 31);
        (wide >> 32) as i32
    }
}

/// `x` saturated to `[-128, 127]` (`SSAT #8`; the Q flag it may set is not used).
#[inline(always)]
#[must_use]
pub fn ssat8(x: i32) -> i32 {
    #[cfg(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass"))]
    {
        let out: i32;
        // SAFETY: one register-only instruction (it may set the sticky Q flag, which nothing
        // reads).
        unsafe {
            core::arch::asm!(
                "ssat {o}, #8, {x}",
                o = lateout(reg) out, x = in(reg) x,
                options(pure, nomem, nostack)
            );
        }
        out
    }
    #[cfg(not(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass")))]
    {
        x.clamp(-128, 127)
    }
}

/// `(lo(acc) + x[0], hi(acc) + x[2])` with bytes 0 and 2 of `x` sign-extended, lane by lane
/// wrapping (`SXTAB16`).
#[inline(always)]
#[must_use]
pub fn sxtab16(acc: u32, x: u32) -> u32 {
    #[cfg(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass"))]
    {
        let out: u32;
        // SAFETY: one register-only instruction.
        unsafe {
            core::arch::asm!(
                "sxtab16 {o}, {a}, {x}",
                o = lateout(reg) out, a = in(reg) acc, x = in(reg) x,
                options(pure, nomem, nostack, preserves_flags)
            );
        }
        out
    }
    #[cfg(not(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass")))]
    {
        let e = sxtb16(x);
        pair(lo(acc).wrapping_add(lo(e)), hi(acc).wrapping_add(hi(e)))
    }
}

/// `(lo(acc) + x[1], hi(acc) + x[3])` with bytes 1 and 3 of `x` sign-extended (`SXTAB16`
/// with `ROR #8`).
#[inline(always)]
#[must_use]
pub fn sxtab16_ror8(acc: u32, x: u32) -> u32 {
    #[cfg(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass"))]
    {
        let out: u32;
        // SAFETY: one register-only instruction.
        unsafe {
            core::arch::asm!(
                "sxtab16 {o}, {a}, {x}, ror #8",
                o = lateout(reg) out, a = in(reg) acc, x = in(reg) x,
                options(pure, nomem, nostack, preserves_flags)
            );
        }
        out
    }
    #[cfg(not(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass")))]
    {
        sxtab16(acc, x.rotate_right(8))
    }
}

/// `acc + hi(a) * lo(b)` (`SMLATB`).
#[inline(always)]
#[must_use]
pub fn smlatb(a: u32, b: u32, acc: i32) -> i32 {
    #[cfg(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass"))]
    {
        let out: i32;
        // SAFETY: one register-only instruction.
        unsafe {
            core::arch::asm!(
                "smlatb {o}, {a}, {b}, {c}",
                o = lateout(reg) out, a = in(reg) a, b = in(reg) b, c = in(reg) acc,
                options(pure, nomem, nostack, preserves_flags)
            );
        }
        out
    }
    #[cfg(not(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass")))]
    {
        acc.wrapping_add(hi(a) * lo(b))
    }
}

/// Lane by lane `a + b`, wrapping (`SADD16`; the GE flags it sets are not used).
#[inline(always)]
#[must_use]
pub fn sadd16(a: u32, b: u32) -> u32 {
    #[cfg(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass"))]
    {
        let out: u32;
        // SAFETY: one register-only instruction; it writes the GE flags, which nothing reads
        // (no `preserves_flags`).
        unsafe {
            core::arch::asm!(
                "sadd16 {o}, {a}, {b}",
                o = lateout(reg) out, a = in(reg) a, b = in(reg) b,
                options(pure, nomem, nostack)
            );
        }
        out
    }
    #[cfg(not(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass")))]
    {
        pair(lo(a).wrapping_add(lo(b)), hi(a).wrapping_add(hi(b)))
    }
}

/// `acc + hi(a) * hi(b)` (`SMLATT`).
#[inline(always)]
#[must_use]
pub fn smlatt(a: u32, b: u32, acc: i32) -> i32 {
    #[cfg(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass"))]
    {
        let out: i32;
        // SAFETY: one register-only instruction.
        unsafe {
            core::arch::asm!(
                "smlatt {o}, {a}, {b}, {c}",
                o = lateout(reg) out, a = in(reg) a, b = in(reg) b, c = in(reg) acc,
                options(pure, nomem, nostack, preserves_flags)
            );
        }
        out
    }
    #[cfg(not(all(target_arch = "arm", target_feature = "dsp", target_feature = "mclass")))]
    {
        acc.wrapping_add(hi(a) * hi(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLES: [i32; 12] =
        [0, 1, -1, 127, -128, 255, -255, 32767, -32768, 12345, -23456, 20000];

    #[test]
    fn lanes_and_multiplies() {
        for &a0 in &SAMPLES {
            for &a1 in &SAMPLES {
                let a = pair(a0, a1);
                assert_eq!((lo(a), hi(a)), (i32::from(a0 as i16), i32::from(a1 as i16)));
                for &b0 in &SAMPLES {
                    let b = pair(b0, -b0 / 3);
                    let want = 77i32.wrapping_add(lo(a) * lo(b)).wrapping_add(hi(a) * hi(b));
                    assert_eq!(smlad(a, b, 77), want);
                    assert_eq!(smlabb(a, b, 5), 5 + lo(a) * lo(b));
                    assert_eq!(smlabt(a, b, -5), -5 + lo(a) * hi(b));
                    let d = ssub16(a, b);
                    let e = sadd16(a, b);
                    assert_eq!(lo(e), i32::from((lo(a) + lo(b)) as i16));
                    assert_eq!(hi(e), i32::from((hi(a) + hi(b)) as i16));
                    assert_eq!(lo(d), i32::from((lo(a) - lo(b)) as i16));
                    assert_eq!(hi(d), i32::from((hi(a) - hi(b)) as i16));
                }
            }
        }
        // Two products of -32768 * -32768 wrap past i32::MAX, as SMLAD does.
        let m = pair(-32768, -32768);
        assert_eq!(smlad(m, m, 0), i32::MIN);
    }

    #[test]
    fn byte_extension() {
        let x = u32::from_le_bytes([0x80, 0x7f, 0xff, 0x01]);
        assert_eq!((lo(sxtb16(x)), hi(sxtb16(x))), (-128, -1));
        assert_eq!((lo(sxtb16_ror8(x)), hi(sxtb16_ror8(x))), (127, 1));
        let acc = pair(-127, 127);
        assert_eq!((lo(sxtab16(acc, x)), hi(sxtab16(acc, x))), (-255, 126));
        assert_eq!((lo(sxtab16_ror8(acc, x)), hi(sxtab16_ror8(acc, x))), (0, 128));
        assert_eq!(smlatb(pair(3, -300), pair(-7, 9), 10), 10 + 2100);
        assert_eq!(smlatt(pair(3, -300), pair(-7, 9), 10), 10 - 2700);
    }

    #[test]
    fn rounding_high_multiply() {
        let cases = [(1 << 30, 1 << 30, 0), (-7, 1 << 31 >> 1, 3), (i32::MAX, i32::MAX, -9)];
        for (a, b, c) in cases {
            let want = ((i64::from(c) << 32) + i64::from(a) * i64::from(b) + (1 << 31)) >> 32;
            assert_eq!(smmlar(a, b, c), want as i32);
        }
        // Ties round up: 2^31 / 2^32 = 0.5 -> 1, -2^31 / 2^32 = -0.5 -> 0.
        assert_eq!(smmlar(1 << 16, 1 << 15, 0), 1);
        assert_eq!(smmlar(-(1 << 16), 1 << 15, 0), 0);
        assert_eq!((ssat8(300), ssat8(-300), ssat8(-5)), (127, -128, -5));
    }
}
