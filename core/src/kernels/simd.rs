//! The short vector that the tiled kernels compute with: eight `f32` lanes in an AVX register
//! when the crate is built for a CPU with AVX2 and FMA, four lanes of plain arrays (which the
//! compiler maps to SSE, NEON or scalar registers) everywhere else.
//!
//! Loads and stores take raw pointers: the kernels check the whole range a tile reads and
//! writes once, before its inner loop, instead of one bounds check per vector.

/// A vector of [`Vector::LANES`] `f32`s.
pub trait Vector: Copy {
    /// Lanes per vector.
    const LANES: usize;
    /// How many accumulators a register tile may use (the rest of the registers hold the
    /// operands).
    const MAX_ACC: usize;
    /// Vector registers of the target (a tile's accumulators, one row of its input vectors
    /// and a broadcast weight must fit).
    const REGISTERS: usize;
    /// The lanes as an array.
    type Array: Copy + AsRef<[f32]> + AsMut<[f32]>;

    /// All lanes `x`.
    fn splat(x: f32) -> Self;
    /// `self + a * b`, lane by lane (fused where the hardware has it).
    #[must_use]
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// An array of zeros.
    fn zeros() -> Self::Array;
    /// The vector holding `a`.
    fn from_array(a: Self::Array) -> Self;
    /// The lanes of `self`.
    fn to_array(self) -> Self::Array;
    /// Loads `LANES` consecutive floats.
    ///
    /// # Safety
    /// `p..p + LANES` must be readable.
    unsafe fn load(p: *const f32) -> Self;
    /// Stores `LANES` consecutive floats.
    ///
    /// # Safety
    /// `p..p + LANES` must be writable.
    unsafe fn store(self, p: *mut f32);

    /// Stores the first `dst.len()` lanes (all of them if `dst` is longer).
    #[inline(always)]
    fn store_first(self, dst: &mut [f32]) {
        if dst.len() >= Self::LANES {
            // SAFETY: `dst` holds at least `LANES` floats.
            unsafe { self.store(dst.as_mut_ptr()) };
        } else {
            for (d, s) in dst.iter_mut().zip(self.to_array().as_ref()) {
                *d = *s;
            }
        }
    }

    /// Loads the first `src.len()` lanes (all of them if `src` is longer), zeros after them.
    #[inline(always)]
    #[must_use]
    fn load_first(src: &[f32]) -> Self {
        if src.len() >= Self::LANES {
            // SAFETY: `src` holds at least `LANES` floats.
            unsafe { Self::load(src.as_ptr()) }
        } else {
            let mut a = Self::zeros();
            for (d, s) in a.as_mut().iter_mut().zip(src) {
                *d = *s;
            }
            Self::from_array(a)
        }
    }
}

/// The vector of this build: [`F32x8`] with AVX2 and FMA, [`F32x4`] otherwise.
#[cfg(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma"))]
pub type Native = F32x8;
/// The vector of this build: `F32x8` with AVX2 and FMA, [`F32x4`] otherwise.
#[cfg(not(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma")))]
pub type Native = F32x4;

/// Four lanes as a plain array: portable, vectorised by the compiler where it can.
#[derive(Clone, Copy, Debug)]
pub struct F32x4([f32; 4]);

impl Vector for F32x4 {
    const LANES: usize = 4;
    // Few enough for targets with 16 vector registers or 32 scalar ones to keep in registers.
    const MAX_ACC: usize = 8;
    const REGISTERS: usize = 16;
    type Array = [f32; 4];

    #[inline(always)]
    fn splat(x: f32) -> Self {
        Self([x; 4])
    }

    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        let [s0, s1, s2, s3] = self.0;
        let [a0, a1, a2, a3] = a.0;
        let [b0, b1, b2, b3] = b.0;
        Self([s0 + a0 * b0, s1 + a1 * b1, s2 + a2 * b2, s3 + a3 * b3])
    }

    #[inline(always)]
    fn zeros() -> [f32; 4] {
        [0.0; 4]
    }

    #[inline(always)]
    fn from_array(a: [f32; 4]) -> Self {
        Self(a)
    }

    #[inline(always)]
    fn to_array(self) -> [f32; 4] {
        self.0
    }

    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller guarantees `p..p + 4` is readable; no alignment is assumed.
        Self(unsafe { p.cast::<[f32; 4]>().read_unaligned() })
    }

    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller guarantees `p..p + 4` is writable; no alignment is assumed.
        unsafe { p.cast::<[f32; 4]>().write_unaligned(self.0) }
    }
}

#[cfg(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma"))]
pub use avx::F32x8;

#[cfg(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma"))]
mod avx {
    use super::Vector;
    use core::arch::x86_64::{
        __m256, __m256i, _mm256_cmpgt_epi32, _mm256_fmadd_ps, _mm256_loadu_ps, _mm256_maskload_ps,
        _mm256_maskstore_ps, _mm256_set1_epi32, _mm256_set1_ps, _mm256_setr_epi32,
        _mm256_storeu_ps,
    };

    /// All ones in the lanes below `n`: the mask of `maskload`/`maskstore`.
    #[inline(always)]
    fn first_lanes(n: usize) -> __m256i {
        // SAFETY: the build enables AVX2 (this module is compiled only then).
        unsafe {
            _mm256_cmpgt_epi32(
                _mm256_set1_epi32(n as i32),
                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
            )
        }
    }

    /// Eight lanes in an AVX register, multiply-add with FMA.
    #[derive(Clone, Copy, Debug)]
    pub struct F32x8(__m256);

    impl Vector for F32x8 {
        const LANES: usize = 8;
        // 12 accumulators, the operands of one step in the other registers. With AVX-512VL
        // the compiler has 32 vector registers, but larger tiles measured slower.
        const MAX_ACC: usize = if cfg!(target_feature = "avx512vl") { 24 } else { 12 };
        const REGISTERS: usize = if cfg!(target_feature = "avx512vl") { 32 } else { 16 };
        type Array = [f32; 8];

        #[inline(always)]
        fn splat(x: f32) -> Self {
            // SAFETY: this module is compiled only with AVX2 and FMA enabled for the build.
            Self(unsafe { _mm256_set1_ps(x) })
        }

        #[inline(always)]
        fn mul_add(self, a: Self, b: Self) -> Self {
            // SAFETY: as in `splat`: the build enables FMA.
            Self(unsafe { _mm256_fmadd_ps(a.0, b.0, self.0) })
        }

        #[inline(always)]
        fn zeros() -> [f32; 8] {
            [0.0; 8]
        }

        #[inline(always)]
        fn from_array(a: [f32; 8]) -> Self {
            // SAFETY: `a` is 8 readable floats.
            unsafe { Self::load(a.as_ptr()) }
        }

        #[inline(always)]
        fn to_array(self) -> [f32; 8] {
            let mut a = [0.0; 8];
            // SAFETY: `a` is 8 writable floats.
            unsafe { self.store(a.as_mut_ptr()) };
            a
        }

        #[inline(always)]
        unsafe fn load(p: *const f32) -> Self {
            // SAFETY: the caller guarantees `p..p + 8` is readable; `loadu` needs no alignment.
            Self(unsafe { _mm256_loadu_ps(p) })
        }

        #[inline(always)]
        fn store_first(self, dst: &mut [f32]) {
            if dst.len() >= 8 {
                // SAFETY: `dst` holds the 8 floats written. A plain store: a masked one costs
                // more even with every lane enabled (measured in DS-CNN's 1x1 layers).
                return unsafe { self.store(dst.as_mut_ptr()) };
            }
            let n = dst.len();
            // SAFETY: the mask enables lanes `0..n` only, which are inside `dst`; masked-off
            // lanes are neither written nor accessed (they cannot fault).
            unsafe { _mm256_maskstore_ps(dst.as_mut_ptr(), first_lanes(n), self.0) }
        }

        #[inline(always)]
        fn load_first(src: &[f32]) -> Self {
            if src.len() >= 8 {
                // SAFETY: `src` holds the 8 floats read.
                return unsafe { Self::load(src.as_ptr()) };
            }
            let n = src.len();
            // SAFETY: as in `store_first`: only lanes `0..n`, inside `src`, are read; the
            // others are zero.
            Self(unsafe { _mm256_maskload_ps(src.as_ptr(), first_lanes(n)) })
        }

        #[inline(always)]
        unsafe fn store(self, p: *mut f32) {
            // SAFETY: the caller guarantees `p..p + 8` is writable; `storeu` needs no alignment.
            unsafe { _mm256_storeu_ps(p, self.0) }
        }
    }
}
