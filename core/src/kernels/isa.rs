//! Instruction-set levels of the host kernels, and which one runs.
//!
//! The hot kernels (the tiled convolution, the fully connected layer) are compiled once per
//! [`Level`]: a portable one, AVX2 + FMA (8 lanes, 16 registers) and AVX-512 (16 lanes, 32
//! registers). Two more levels add the integer dot-product instructions of VNNI for the int8
//! kernels ([`Level::Avx2Vnni`]: AVX-VNNI's 256-bit `vpdpbusd`; [`Level::Avx512Vnni`]:
//! AVX-512 VNNI's 512-bit one); the `f32` kernels run the same code at a VNNI level as at the
//! level below it. Which one runs is decided
//!
//! - **at run time** on x86-64 with the `std` feature, unless the build's target features
//!   already reach the highest level: the best level the CPU has ([`detected`]), found once and
//!   cached. Setting the environment variable `STATICNN_ISA` to `portable`, `avx2`,
//!   `avx2vnni`, `avx512` or `avx512vnni` before the first inference caps it (tests and comparisons), and [`with_level`] runs a
//!   closure at a given level on the current thread;
//! - **at compile time** otherwise (`no_std`, other architectures, builds whose target
//!   features set the highest level, e.g. `-C target-cpu=native` on an AVX-512 CPU): the
//!   level of the build's target features, [`Level::COMPILED`], and nothing is detected.
//!
//! A kernel chooses with the crate-internal `dispatch!` macro: it names a type for the level's
//! `Isa` and evaluates its body once per level, the x86 ones inside a function compiled with
//! that level's target features, so the body's vector intrinsics are inlined there. A second
//! element type (int8) adds its vector types to `Isa` and is chosen the same way.

#[cfg(all(staticnn_x86_dispatch, any(feature = "std", test)))]
extern crate std;

use crate::kernels::simd::{F32x4, Vector};

/// An instruction-set level the kernels are compiled for, from the least to the most capable.
///
/// The order is not inclusion: a CPU may have [`Level::Avx512Vnni`] without
/// [`Level::Avx2Vnni`] (AMD Zen 4, Intel Ice Lake), or [`Level::Avx2Vnni`] without
/// [`Level::Avx512`] (Intel Alder Lake); [`Level::is_available`] checks each level's own
/// features.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Four-lane vectors of plain arrays, which the compiler maps to the build's registers
    /// (SSE2 on a plain x86-64 build, NEON, or scalars on a microcontroller).
    Portable,
    /// x86-64 with AVX2 and FMA: 8 lanes, 16 vector registers.
    Avx2,
    /// [`Level::Avx2`] with AVX-VNNI (the VEX-encoded 256-bit `vpdpbusd`): the int8 kernels
    /// take four `u8 x i8` products per 32-bit lane in one instruction.
    Avx2Vnni,
    /// x86-64 with AVX-512 F and VL (and AVX2, FMA): 16 lanes, 32 vector registers.
    Avx512,
    /// [`Level::Avx512`] with AVX-512 BW and VNNI (the 512-bit `vpdpbusd`) for the int8
    /// kernels.
    Avx512Vnni,
}

impl Level {
    /// Every level, from the least capable.
    pub const ALL: [Self; 5] =
        [Self::Portable, Self::Avx2, Self::Avx2Vnni, Self::Avx512, Self::Avx512Vnni];

    /// The level the build's target features reach (what runs without run-time dispatch).
    pub const COMPILED: Self = if cfg!(all(
        target_arch = "x86_64",
        target_feature = "avx512f",
        target_feature = "avx512vl",
        target_feature = "avx512bw",
        target_feature = "avx512vnni",
        target_feature = "avx2",
        target_feature = "fma"
    )) {
        Self::Avx512Vnni
    } else if cfg!(all(
        target_arch = "x86_64",
        target_feature = "avx512f",
        target_feature = "avx512vl",
        target_feature = "avx2",
        target_feature = "fma"
    )) {
        Self::Avx512
    } else if cfg!(all(
        target_arch = "x86_64",
        target_feature = "avx2",
        target_feature = "fma",
        target_feature = "avxvnni"
    )) {
        Self::Avx2Vnni
    } else if cfg!(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma")) {
        Self::Avx2
    } else {
        Self::Portable
    };

    /// The level's name, as `STATICNN_ISA` spells it.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Portable => "portable",
            Self::Avx2 => "avx2",
            Self::Avx2Vnni => "avx2vnni",
            Self::Avx512 => "avx512",
            Self::Avx512Vnni => "avx512vnni",
        }
    }

    /// The level named `name` (as [`Level::name`] spells it), if any.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Whether this build can run the level on this CPU: the CPU has its features and the
    /// build has its kernels (with run-time dispatch every level up to the detected one whose
    /// features the CPU has, only [`Level::COMPILED`] without).
    #[must_use]
    pub fn is_available(self) -> bool {
        if RUNTIME_DISPATCH { self <= detected() && cpu_has(self) } else { self == Self::COMPILED }
    }

    /// The level whose `f32` kernels this level runs (a VNNI level runs those of the level
    /// below it).
    #[must_use]
    pub const fn float_level(self) -> Self {
        match self {
            Self::Avx2Vnni => Self::Avx2,
            Self::Avx512Vnni => Self::Avx512,
            level => level,
        }
    }

    /// A small integer for the cache (never 0, which means "not detected yet").
    #[cfg_attr(not(all(staticnn_x86_dispatch, any(feature = "std", test))), allow(dead_code))]
    const fn code(self) -> u8 {
        self as u8 + 1
    }

    /// The level of [`Level::code`].
    #[cfg_attr(not(all(staticnn_x86_dispatch, any(feature = "std", test))), allow(dead_code))]
    const fn from_code(code: u8) -> Self {
        match code {
            2 => Self::Avx2,
            3 => Self::Avx2Vnni,
            4 => Self::Avx512,
            5 => Self::Avx512Vnni,
            _ => Self::Portable,
        }
    }
}

/// Whether this CPU has the features of `level` (with run-time dispatch; without, whether
/// `level` is [`Level::COMPILED`]).
fn cpu_has(level: Level) -> bool {
    #[cfg(all(staticnn_x86_dispatch, any(feature = "std", test)))]
    return runtime::cpu_has(level);
    #[cfg(not(all(staticnn_x86_dispatch, any(feature = "std", test))))]
    {
        level == Level::COMPILED
    }
}

/// Whether this build chooses the level at run time (see the module's documentation).
pub const RUNTIME_DISPATCH: bool = cfg!(all(staticnn_x86_dispatch, any(feature = "std", test)));

/// The levels this build can run on this CPU, from the least capable (for tests that cover
/// every level).
pub fn available() -> impl Iterator<Item = Level> {
    Level::ALL.into_iter().filter(|l| l.is_available())
}

/// The level the kernels use: the one [`with_level`] set on this thread, else [`detected`].
#[inline]
#[must_use]
pub fn active() -> Level {
    #[cfg(all(staticnn_x86_dispatch, any(feature = "std", test)))]
    {
        let forced = runtime::FORCED.with(core::cell::Cell::get);
        if forced != 0 {
            return Level::from_code(forced);
        }
    }
    detected()
}

/// The level chosen for this process: with run-time dispatch the best one the CPU has,
/// capped by `STATICNN_ISA` (read once, at the first call); else [`Level::COMPILED`].
#[inline]
#[must_use]
pub fn detected() -> Level {
    #[cfg(all(staticnn_x86_dispatch, any(feature = "std", test)))]
    return runtime::detected();
    #[cfg(not(all(staticnn_x86_dispatch, any(feature = "std", test))))]
    {
        Level::COMPILED
    }
}

/// Runs `f` with the kernels of `level` on the current thread (other threads keep theirs), or
/// returns `None` without running it if the level is not [available](Level::is_available).
/// Calls nest; the previous level is restored when `f` returns or unwinds.
pub fn with_level<R>(level: Level, f: impl FnOnce() -> R) -> Option<R> {
    if !level.is_available() {
        return None;
    }
    #[cfg(all(staticnn_x86_dispatch, any(feature = "std", test)))]
    {
        /// Restores the previous level when dropped.
        struct Restore(u8);
        impl Drop for Restore {
            fn drop(&mut self) {
                runtime::FORCED.with(|c| c.set(self.0));
            }
        }
        let _restore = Restore(runtime::FORCED.with(|c| c.replace(level.code())));
        Some(f())
    }
    #[cfg(not(all(staticnn_x86_dispatch, any(feature = "std", test))))]
    {
        Some(f()) // the only available level is the compiled one
    }
}

/// Detection and the per-thread override (run-time dispatch only).
#[cfg(all(staticnn_x86_dispatch, any(feature = "std", test)))]
mod runtime {
    use super::{Level, std};
    use core::sync::atomic::{AtomicU8, Ordering};

    /// The detected level's code, 0 before the first detection.
    static DETECTED: AtomicU8 = AtomicU8::new(0);

    std::thread_local! {
        /// The level [`super::with_level`] set on this thread, 0 for none.
        pub static FORCED: core::cell::Cell<u8> = const { core::cell::Cell::new(0) };
    }

    /// The cached level, detected at the first call.
    #[inline]
    pub fn detected() -> Level {
        match DETECTED.load(Ordering::Relaxed) {
            0 => detect_and_cache(),
            code => Level::from_code(code),
        }
    }

    #[cold]
    fn detect_and_cache() -> Level {
        let cpu = best_of_cpu();
        let level = match std::env::var("STATICNN_ISA") {
            Ok(name) => match Level::from_name(&name) {
                Some(asked) if asked <= cpu && super::cpu_has(asked) => asked,
                Some(asked) => {
                    let below = best_of_cpu_up_to(asked);
                    std::eprintln!(
                        "staticnn: STATICNN_ISA={} but this CPU lacks its features (its best \
                         level is {}): using {}",
                        asked.name(),
                        cpu.name(),
                        below.name()
                    );
                    below
                }
                None => {
                    std::eprintln!(
                        "staticnn: STATICNN_ISA={name:?} is not one of portable, avx2, \
                         avx2vnni, avx512, avx512vnni: using {}",
                        cpu.name()
                    );
                    cpu
                }
            },
            Err(_) => cpu,
        };
        // Several threads may get here at once: they all store the same value.
        DETECTED.store(level.code(), Ordering::Relaxed);
        level
    }

    /// The best level this CPU supports (never below what the build requires).
    fn best_of_cpu() -> Level {
        best_of_cpu_up_to(Level::Avx512Vnni)
    }

    /// The best level up to `cap` that this CPU supports (never below what the build
    /// requires).
    fn best_of_cpu_up_to(cap: Level) -> Level {
        let best = Level::ALL.into_iter().filter(|&l| l <= cap && cpu_has(l)).max();
        best.unwrap_or(Level::Portable).max(Level::COMPILED)
    }

    /// Whether the CPU has every feature of `level`.
    pub fn cpu_has(level: Level) -> bool {
        let avx2 = std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
        let avx512 = avx2
            && std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512vl");
        match level {
            Level::Portable => true,
            Level::Avx2 => avx2,
            Level::Avx2Vnni => avx2 && std::is_x86_feature_detected!("avxvnni"),
            Level::Avx512 => avx512,
            Level::Avx512Vnni => {
                avx512
                    && std::is_x86_feature_detected!("avx512bw")
                    && std::is_x86_feature_detected!("avx512vnni")
            }
        }
    }
}

/// What a kernel compiled for one level computes with: the level's vector types. A kernel
/// generic over `I: Isa` is instantiated once per level by `dispatch!`.
pub(crate) trait Isa {
    /// The widest `f32` vector of the level.
    type Wide: Vector;
    /// The `f32` vector for rows narrower than [`Isa::Wide`] (the same type below AVX-512).
    type Narrow: Vector;
}

/// The portable level's kernels.
// A build for AVX2 + FMA or better without run-time dispatch (`-C target-cpu=native`) never
// runs them.
#[cfg_attr(all(target_feature = "avx2", target_feature = "fma"), allow(dead_code))]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Portable;

impl Isa for Portable {
    type Wide = F32x4;
    type Narrow = F32x4;
}

/// The AVX2 + FMA level's kernels.
#[cfg(target_arch = "x86_64")]
#[cfg_attr(not(all(staticnn_x86_dispatch, any(feature = "std", test))), allow(dead_code))]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx2;

#[cfg(target_arch = "x86_64")]
impl Isa for Avx2 {
    type Wide = crate::kernels::simd::F32x8;
    type Narrow = crate::kernels::simd::F32x8;
}

/// The AVX-512 level's kernels.
#[cfg(target_arch = "x86_64")]
#[cfg_attr(not(all(staticnn_x86_dispatch, any(feature = "std", test))), allow(dead_code))]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx512;

#[cfg(target_arch = "x86_64")]
impl Isa for Avx512 {
    type Wide = crate::kernels::simd::F32x16;
    type Narrow = crate::kernels::simd::F32x8Vl;
}

/// The level of the build's target features, as an [`Isa`] (the `f32` vectors: a VNNI level's
/// are those of the level below it).
#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx512f",
    target_feature = "avx512vl",
    target_feature = "avx2",
    target_feature = "fma"
))]
pub(crate) type Compiled = Avx512;
/// The level of the build's target features, as an [`Isa`].
#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma",
    not(all(target_feature = "avx512f", target_feature = "avx512vl"))
))]
pub(crate) type Compiled = Avx2;
/// The level of the build's target features, as an [`Isa`].
#[cfg(not(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma")))]
pub(crate) type Compiled = Portable;

/// Functions compiled with each x86 level's target features, which run a closure: the
/// closure is inlined into them and its vector code compiled for that level.
#[cfg(all(staticnn_x86_dispatch, any(feature = "std", test)))]
pub(crate) mod x86 {
    /// Runs `f` compiled for AVX2 and FMA.
    ///
    /// # Safety
    /// The CPU must have AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(crate) unsafe fn avx2<R>(f: impl FnOnce() -> R) -> R {
        f()
    }

    /// Runs `f` compiled for AVX-512 F and VL (with AVX2 and FMA).
    ///
    /// # Safety
    /// The CPU must have AVX-512 F and VL, AVX2 and FMA.
    #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
    pub(crate) unsafe fn avx512<R>(f: impl FnOnce() -> R) -> R {
        f()
    }

    /// Runs `f` compiled for AVX2, FMA and AVX-VNNI.
    ///
    /// # Safety
    /// The CPU must have AVX2, FMA and AVX-VNNI.
    #[target_feature(enable = "avx2,fma,avxvnni")]
    pub(crate) unsafe fn avx2vnni<R>(f: impl FnOnce() -> R) -> R {
        f()
    }

    /// Runs `f` compiled for AVX-512 F, VL, BW and VNNI (with AVX2 and FMA).
    ///
    /// # Safety
    /// The CPU must have AVX-512 F, VL, BW and VNNI, AVX2 and FMA.
    #[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512vnni,avx2,fma")]
    pub(crate) unsafe fn avx512vnni<R>(f: impl FnOnce() -> R) -> R {
        f()
    }
}

/// Evaluates `$body` with the `f32` kernels of the [active](active) level: `$I` names that
/// level's [`Isa`] type inside `$body` (a VNNI level's is the one of the level below it). With
/// run-time dispatch each x86 level's `$body` runs inside a function compiled for the level;
/// without, `$I` is [`Compiled`] and nothing is chosen.
macro_rules! dispatch {
    ($I:ident => $body:expr) => {
        match $crate::kernels::isa::active().float_level() {
            #[cfg(all(staticnn_x86_dispatch, any(feature = "std", test)))]
            $crate::kernels::isa::Level::Avx512 | $crate::kernels::isa::Level::Avx512Vnni => {
                type $I = $crate::kernels::isa::Avx512;
                // SAFETY: `active` returns only levels the CPU supports (`Level::is_available`).
                unsafe {
                    $crate::kernels::isa::x86::avx512(
                        #[inline(always)]
                        || $body,
                    )
                }
            }
            #[cfg(all(staticnn_x86_dispatch, any(feature = "std", test)))]
            $crate::kernels::isa::Level::Avx2 | $crate::kernels::isa::Level::Avx2Vnni => {
                type $I = $crate::kernels::isa::Avx2;
                // SAFETY: as above.
                unsafe {
                    $crate::kernels::isa::x86::avx2(
                        #[inline(always)]
                        || $body,
                    )
                }
            }
            #[cfg(all(staticnn_x86_dispatch, any(feature = "std", test)))]
            $crate::kernels::isa::Level::Portable => {
                type $I = $crate::kernels::isa::Portable;
                $body
            }
            #[cfg(not(all(staticnn_x86_dispatch, any(feature = "std", test))))]
            _ => {
                type $I = $crate::kernels::isa::Compiled;
                $body
            }
        }
    };
}
pub(crate) use dispatch;

/// Evaluates `$body` at the [active](active) level for byte-wise int8 code that the compiler
/// vectorises (max pooling, clamps): with run-time dispatch the AVX-512 VNNI level (which has
/// AVX-512 BW, so 64-byte `vpmaxsb`) runs it inside a function compiled for that level, the
/// AVX-512 level (F and VL only: no byte operations on 512 bits) and both AVX2 levels inside
/// one compiled for AVX2, the portable level as it is; without run-time dispatch, at the
/// build's target features.
macro_rules! dispatch_int8 {
    ($body:expr) => {
        match $crate::kernels::isa::active() {
            #[cfg(all(staticnn_x86_dispatch, any(feature = "std", test)))]
            $crate::kernels::isa::Level::Avx512Vnni => {
                // SAFETY: `active` returns only levels the CPU supports (`Level::is_available`).
                unsafe {
                    $crate::kernels::isa::x86::avx512vnni(
                        #[inline(always)]
                        || $body,
                    )
                }
            }
            #[cfg(all(staticnn_x86_dispatch, any(feature = "std", test)))]
            $crate::kernels::isa::Level::Avx512
            | $crate::kernels::isa::Level::Avx2
            | $crate::kernels::isa::Level::Avx2Vnni => {
                // SAFETY: as above (every one of these levels has AVX2 and FMA).
                unsafe {
                    $crate::kernels::isa::x86::avx2(
                        #[inline(always)]
                        || $body,
                    )
                }
            }
            _ => $body,
        }
    };
}
pub(crate) use dispatch_int8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for level in Level::ALL {
            assert_eq!(Level::from_name(level.name()), Some(level));
            assert_eq!(Level::from_code(level.code()), level);
        }
        assert_eq!(Level::from_name(" AVX2 "), Some(Level::Avx2));
        assert_eq!(Level::from_name("sse"), None);
    }

    #[test]
    fn the_detected_level_is_available_and_with_level_sets_and_restores_it() {
        let top = detected();
        assert!(top.is_available());
        assert!(available().any(|l| l == top));
        for level in available() {
            let inner = with_level(level, || {
                let here = active();
                let nested = with_level(Level::Portable, active);
                (here, nested, active())
            });
            if RUNTIME_DISPATCH {
                assert_eq!(inner, Some((level, Some(Level::Portable), level)));
            } else {
                // Only the compiled level is available: the nested call runs only if that
                // level is the portable one.
                let nested = Level::Portable.is_available().then_some(level);
                assert_eq!(inner, Some((level, nested, level)));
            }
        }
        assert_eq!(active(), top);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn runtime_dispatch_finds_what_the_cpu_has() {
        extern crate std;
        let avx2 = std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
        let avx512 = avx2
            && std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512vl");
        let vnni512 = avx512
            && std::is_x86_feature_detected!("avx512bw")
            && std::is_x86_feature_detected!("avx512vnni");
        let vnni256 = avx2 && std::is_x86_feature_detected!("avxvnni");
        let capped = std::env::var("STATICNN_ISA").is_ok();
        if RUNTIME_DISPATCH && !capped {
            let want = if vnni512 {
                Level::Avx512Vnni
            } else if avx512 {
                Level::Avx512
            } else if vnni256 {
                Level::Avx2Vnni
            } else if avx2 {
                Level::Avx2
            } else {
                Level::Portable
            };
            assert_eq!(detected(), want.max(Level::COMPILED));
            assert_eq!(Level::Avx2Vnni.is_available(), vnni256, "AVX-VNNI is its own feature");
        }
    }
}
