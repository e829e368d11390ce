//! The short vectors that the tiled kernels compute with: four lanes of plain arrays (which the
//! compiler maps to SSE, NEON or scalar registers) on every target, and on x86-64 eight lanes in
//! an AVX register (AVX2 + FMA, 16 registers, or with AVX-512VL's 32) and sixteen in an AVX-512
//! one. Which one a kernel uses is its instruction-set level's choice (`kernels::isa`): the x86
//! vectors are crate-private and only used by kernels running at a level the CPU has.
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

    /// Lane by lane, one step of a max pool's window in PyTorch's order: `v` where it is
    /// larger than `self` or NaN, else `self` (of equal values the first stays; a NaN stays).
    #[inline(always)]
    #[must_use]
    fn max_step(self, v: Self) -> Self {
        let (mut a, v) = (self.to_array(), v.to_array());
        for (a, &v) in a.as_mut().iter_mut().zip(v.as_ref()) {
            if v > *a || v.is_nan() {
                *a = v;
            }
        }
        Self::from_array(a)
    }

    /// Lane by lane, PyTorch's ReLU ([`crate::kernels::activation::relu`]): 0 where the lane
    /// is below 0, else the lane (NaN and -0.0 stay).
    #[inline(always)]
    #[must_use]
    fn relu(self) -> Self {
        let mut a = self.to_array();
        for x in a.as_mut() {
            *x = crate::kernels::activation::relu(*x);
        }
        Self::from_array(a)
    }

    /// The `2 * LANES` floats of `lo` then `hi` split into their even-indexed and their
    /// odd-indexed ones: `([x0, x2, ..], [x1, x3, ..])` (the two columns of a 2-wide window).
    #[inline(always)]
    #[must_use]
    fn deinterleave(lo: Self, hi: Self) -> (Self, Self) {
        let (lo, hi) = (lo.to_array(), hi.to_array());
        let (mut even, mut odd) = (Self::zeros(), Self::zeros());
        let pairs = lo.as_ref().chunks_exact(2).chain(hi.as_ref().chunks_exact(2));
        for ((e, o), pair) in even.as_mut().iter_mut().zip(odd.as_mut()).zip(pairs) {
            (*e, *o) = (pair[0], pair[1]);
        }
        (Self::from_array(even), Self::from_array(odd))
    }

    /// The sum of the lanes, pairwise: lane `i` plus lane `i + LANES / 2`, and so on down.
    #[inline(always)]
    #[must_use]
    fn reduce_sum(self) -> f32 {
        let mut a = self.to_array();
        let lanes = a.as_mut();
        let mut n = lanes.len();
        while n > 1 {
            n /= 2;
            let Some((lo, hi)) = lanes.split_at_mut_checked(n) else { break };
            for (x, y) in lo.iter_mut().zip(hi.iter()) {
                *x += *y;
            }
        }
        lanes.first().copied().unwrap_or(0.0)
    }

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

    /// Transposes the square `block` of `LANES` vectors in place: lane `j` of vector `i` becomes
    /// lane `i` of vector `j` (channels in the lanes become pixels, and back). Does nothing
    /// unless `block` holds exactly `LANES` vectors. The x86 vectors do it in registers.
    #[inline(always)]
    fn transpose(block: &mut [Self]) {
        if block.len() != Self::LANES {
            return;
        }
        let mut rows = [Self::zeros(); 16];
        for (row, v) in rows.iter_mut().zip(block.iter()) {
            *row = v.to_array();
        }
        for (j, v) in block.iter_mut().enumerate() {
            let mut column = Self::zeros();
            for (c, row) in column.as_mut().iter_mut().zip(rows.iter()) {
                *c = row.as_ref().get(j).copied().unwrap_or(0.0);
            }
            *v = Self::from_array(column);
        }
    }
}

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

#[cfg(target_arch = "x86_64")]
pub(crate) use x86::{F32x8, F32x8Vl, F32x16};

/// The x86-64 vectors. Their methods call AVX, FMA and AVX-512 intrinsics: they are only used
/// inside kernels that `kernels::isa::dispatch!` runs in a function compiled for their level,
/// after checking that the CPU has it, which is where the intrinsics are inlined.
#[cfg(target_arch = "x86_64")]
#[cfg_attr(
    not(all(staticnn_x86_dispatch, any(feature = "std", test))),
    allow(dead_code, unused_imports)
)]
mod x86 {
    use super::Vector;
    use core::arch::x86_64::{
        __m256, __m256i, __m512, __mmask8, __mmask16, _mm_add_ps, _mm_add_ss, _mm_cvtss_f32,
        _mm_movehdup_ps, _mm_movehl_ps, _mm256_castps256_ps128, _mm256_cmpgt_epi32,
        _mm256_extractf128_ps, _mm256_fmadd_ps, _mm256_loadu_ps, _mm256_mask_storeu_ps,
        _mm256_maskload_ps, _mm256_maskstore_ps, _mm256_maskz_loadu_ps, _mm256_set1_epi32,
        _mm256_set1_ps, _mm256_setr_epi32, _mm256_storeu_ps, _mm512_fmadd_ps, _mm512_loadu_ps,
        _mm512_mask_storeu_ps, _mm512_maskz_loadu_ps, _mm512_reduce_add_ps, _mm512_set1_ps,
        _mm512_storeu_ps,
    };
    use core::arch::x86_64::{
        _CMP_GT_OQ, _CMP_UNORD_Q, _mm256_blendv_ps, _mm256_castpd_ps, _mm256_castps_pd,
        _mm256_cmp_ps, _mm256_or_ps, _mm256_permute4x64_pd, _mm512_cmp_ps_mask,
        _mm512_mask_blend_ps, _mm512_permutex2var_ps, _mm512_setr_epi32,
    };
    use core::arch::x86_64::{_mm256_max_ps, _mm256_setzero_ps, _mm512_max_ps, _mm512_setzero_ps};
    use core::arch::x86_64::{
        _mm256_permute2f128_ps, _mm256_shuffle_ps, _mm256_unpackhi_ps, _mm256_unpacklo_ps,
        _mm512_castpd_ps, _mm512_castps_pd, _mm512_shuffle_f32x4, _mm512_unpackhi_pd,
        _mm512_unpackhi_ps, _mm512_unpacklo_pd, _mm512_unpacklo_ps,
    };

    /// `[f(0), .., f(7)]`, written out and always inlined: `core::array::from_fn` is only an
    /// inlining hint, and a loop may stay a loop; either way the intrinsics in `f` end up
    /// outside the kernel's registers (a depthwise layer was 20x slower when they did).
    #[inline(always)]
    fn array8<T>(f: impl Fn(usize) -> T) -> [T; 8] {
        [f(0), f(1), f(2), f(3), f(4), f(5), f(6), f(7)]
    }

    /// `[f(0), .., f(15)]`, as [`array8`].
    #[inline(always)]
    #[rustfmt::skip]
    fn array16<T>(f: impl Fn(usize) -> T) -> [T; 16] {
        [
            f(0), f(1), f(2), f(3), f(4), f(5), f(6), f(7),
            f(8), f(9), f(10), f(11), f(12), f(13), f(14), f(15),
        ]
    }

    /// All ones in the lanes below `n`: the mask of AVX's `maskload`/`maskstore`.
    #[inline(always)]
    fn first_lanes(n: usize) -> __m256i {
        // SAFETY: only reached at the AVX2 level (see the module's documentation).
        unsafe {
            _mm256_cmpgt_epi32(
                _mm256_set1_epi32(n as i32),
                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
            )
        }
    }

    /// The methods both eight-lane vectors share.
    macro_rules! eight_lanes {
        () => {
            #[inline(always)]
            fn reduce_sum(self) -> f32 {
                // SAFETY: as in `splat`.
                unsafe {
                    let s = _mm_add_ps(
                        _mm256_castps256_ps128(self.0),
                        _mm256_extractf128_ps(self.0, 1),
                    );
                    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
                    _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)))
                }
            }

            #[inline(always)]
            fn splat(x: f32) -> Self {
                // SAFETY: only reached at an AVX2 or AVX-512 level (see the module's
                // documentation); the same holds for every intrinsic below.
                Self(unsafe { _mm256_set1_ps(x) })
            }

            #[inline(always)]
            fn mul_add(self, a: Self, b: Self) -> Self {
                // SAFETY: as in `splat`.
                Self(unsafe { _mm256_fmadd_ps(a.0, b.0, self.0) })
            }

            #[inline(always)]
            fn relu(self) -> Self {
                // SAFETY: as in `splat`. `vmaxps` returns its second operand unless the first
                // is greater (so for NaN and for -0.0): `if x < 0 { 0 } else { x }` exactly. A
                // compare and select, stored back in place, becomes a masked store
                // (`vmaskmovps`) at this level, slow on AMD cores (see `relu_in_place`).
                Self(unsafe { _mm256_max_ps(_mm256_setzero_ps(), self.0) })
            }

            #[inline(always)]
            fn max_step(self, v: Self) -> Self {
                // SAFETY: as in `splat`.
                unsafe {
                    let take = _mm256_or_ps(
                        _mm256_cmp_ps::<_CMP_GT_OQ>(v.0, self.0),
                        _mm256_cmp_ps::<_CMP_UNORD_Q>(v.0, v.0),
                    );
                    Self(_mm256_blendv_ps(self.0, v.0, take))
                }
            }

            #[inline(always)]
            fn deinterleave(lo: Self, hi: Self) -> (Self, Self) {
                // SAFETY: as in `splat`. Within each 128-bit half, the even (odd) floats of
                // `lo` then of `hi`; then the 64-bit quarters reordered to lo's, then hi's.
                unsafe {
                    let order = |x: __m256| {
                        _mm256_castpd_ps(_mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_castps_pd(
                            x,
                        )))
                    };
                    (
                        Self(order(_mm256_shuffle_ps::<0b10_00_10_00>(lo.0, hi.0))),
                        Self(order(_mm256_shuffle_ps::<0b11_01_11_01>(lo.0, hi.0))),
                    )
                }
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
                // SAFETY: the caller guarantees `p..p + 8` is readable; `loadu` needs no
                // alignment.
                Self(unsafe { _mm256_loadu_ps(p) })
            }

            #[inline(always)]
            unsafe fn store(self, p: *mut f32) {
                // SAFETY: the caller guarantees `p..p + 8` is writable; `storeu` needs no
                // alignment.
                unsafe { _mm256_storeu_ps(p, self.0) }
            }
            #[inline(always)]
            fn transpose(block: &mut [Self]) {
                let Ok(r) = <&mut [Self; 8]>::try_from(block) else { return };
                // SAFETY: as in `splat`. Three rounds of shuffles: pairs of rows interleaved,
                // then pairs of pairs within each 128-bit half, then the halves exchanged.
                unsafe {
                    let t: [__m256; 8] = array8(
                        #[inline(always)]
                        |i| {
                            let (a, b) = (r[i / 2 * 2].0, r[i / 2 * 2 + 1].0);
                            if i % 2 == 0 {
                                _mm256_unpacklo_ps(a, b)
                            } else {
                                _mm256_unpackhi_ps(a, b)
                            }
                        },
                    );
                    // s[4h + j]: columns j and j + 4 of rows 4h..4h + 4.
                    let s: [__m256; 8] = array8(
                        #[inline(always)]
                        |i| {
                            let (h, j) = (i / 4, i % 4);
                            let (a, b) = (t[4 * h + j / 2], t[4 * h + 2 + j / 2]);
                            if j % 2 == 0 {
                                _mm256_shuffle_ps::<0x44>(a, b)
                            } else {
                                _mm256_shuffle_ps::<0xEE>(a, b)
                            }
                        },
                    );
                    for (j, row) in r.iter_mut().enumerate() {
                        row.0 = if j < 4 {
                            _mm256_permute2f128_ps::<0x20>(s[j], s[4 + j])
                        } else {
                            _mm256_permute2f128_ps::<0x31>(s[j - 4], s[j])
                        };
                    }
                }
            }
        };
    }

    /// Eight lanes in an AVX register, multiply-add with FMA (the AVX2 level: 16 registers).
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct F32x8(__m256);

    impl Vector for F32x8 {
        const LANES: usize = 8;
        // 12 accumulators, the operands of one step in the other registers.
        const MAX_ACC: usize = 12;
        const REGISTERS: usize = 16;
        type Array = [f32; 8];

        eight_lanes!();

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
    }

    /// Eight lanes at the AVX-512 level: 32 registers (AVX-512VL), masks in mask registers.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct F32x8Vl(__m256);

    impl Vector for F32x8Vl {
        const LANES: usize = 8;
        const MAX_ACC: usize = 24;
        const REGISTERS: usize = 32;
        type Array = [f32; 8];

        eight_lanes!();

        #[inline(always)]
        fn store_first(self, dst: &mut [f32]) {
            if dst.len() >= 8 {
                // SAFETY: `dst` holds the 8 floats written.
                return unsafe { self.store(dst.as_mut_ptr()) };
            }
            let mask = ((1u32 << dst.len()) - 1) as __mmask8;
            // SAFETY: the mask enables lanes `0..dst.len()` only, inside `dst`; masked-off
            // lanes are not accessed (they cannot fault).
            unsafe { _mm256_mask_storeu_ps(dst.as_mut_ptr(), mask, self.0) }
        }

        #[inline(always)]
        fn load_first(src: &[f32]) -> Self {
            if src.len() >= 8 {
                // SAFETY: `src` holds the 8 floats read.
                return unsafe { Self::load(src.as_ptr()) };
            }
            let mask = ((1u32 << src.len()) - 1) as __mmask8;
            // SAFETY: as in `store_first`; the masked-off lanes are zero.
            Self(unsafe { _mm256_maskz_loadu_ps(mask, src.as_ptr()) })
        }
    }

    /// Sixteen lanes in an AVX-512 register (the AVX-512 level: 32 registers).
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct F32x16(__m512);

    impl Vector for F32x16 {
        const LANES: usize = 16;
        const MAX_ACC: usize = 24;
        const REGISTERS: usize = 32;
        type Array = [f32; 16];

        #[inline(always)]
        fn splat(x: f32) -> Self {
            // SAFETY: only reached at the AVX-512 level (see the module's documentation); the
            // same holds for every intrinsic below.
            Self(unsafe { _mm512_set1_ps(x) })
        }

        #[inline(always)]
        fn mul_add(self, a: Self, b: Self) -> Self {
            // SAFETY: as in `splat`.
            Self(unsafe { _mm512_fmadd_ps(a.0, b.0, self.0) })
        }

        #[inline(always)]
        fn relu(self) -> Self {
            // SAFETY: as in `splat`. `vmaxps` as in the eight-lane `relu`.
            Self(unsafe { _mm512_max_ps(_mm512_setzero_ps(), self.0) })
        }

        #[inline(always)]
        fn max_step(self, v: Self) -> Self {
            // SAFETY: as in `splat`.
            unsafe {
                let take = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(v.0, self.0)
                    | _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(v.0, v.0);
                Self(_mm512_mask_blend_ps(take, self.0, v.0))
            }
        }

        #[inline(always)]
        fn deinterleave(lo: Self, hi: Self) -> (Self, Self) {
            // SAFETY: as in `splat`. Index `i` of the 32 floats `lo` then `hi`.
            unsafe {
                let even =
                    _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
                let odd =
                    _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
                (
                    Self(_mm512_permutex2var_ps(lo.0, even, hi.0)),
                    Self(_mm512_permutex2var_ps(lo.0, odd, hi.0)),
                )
            }
        }

        #[inline(always)]
        fn reduce_sum(self) -> f32 {
            // SAFETY: as in `splat`.
            unsafe { _mm512_reduce_add_ps(self.0) }
        }

        #[inline(always)]
        fn zeros() -> [f32; 16] {
            [0.0; 16]
        }

        #[inline(always)]
        fn from_array(a: [f32; 16]) -> Self {
            // SAFETY: `a` is 16 readable floats.
            unsafe { Self::load(a.as_ptr()) }
        }

        #[inline(always)]
        fn to_array(self) -> [f32; 16] {
            let mut a = [0.0; 16];
            // SAFETY: `a` is 16 writable floats.
            unsafe { self.store(a.as_mut_ptr()) };
            a
        }

        #[inline(always)]
        unsafe fn load(p: *const f32) -> Self {
            // SAFETY: the caller guarantees `p..p + 16` is readable; no alignment is needed.
            Self(unsafe { _mm512_loadu_ps(p) })
        }

        #[inline(always)]
        unsafe fn store(self, p: *mut f32) {
            // SAFETY: the caller guarantees `p..p + 16` is writable; no alignment is needed.
            unsafe { _mm512_storeu_ps(p, self.0) }
        }

        #[inline(always)]
        fn transpose(block: &mut [Self]) {
            let Ok(r) = <&mut [Self; 16]>::try_from(block) else { return };
            // SAFETY: as in `splat`. Four rounds of 16 shuffles: pairs of rows interleaved by
            // floats, then by pairs of floats, then 128-bit quarters gathered twice.
            unsafe {
                let t: [__m512; 16] = array16(
                    #[inline(always)]
                    |i| {
                        let (a, b) = (r[i / 2 * 2].0, r[i / 2 * 2 + 1].0);
                        if i % 2 == 0 { _mm512_unpacklo_ps(a, b) } else { _mm512_unpackhi_ps(a, b) }
                    },
                );
                // u[4g + j], quarter k: column 4k + j of rows 4g..4g + 4.
                let u: [__m512; 16] = array16(
                    #[inline(always)]
                    |i| {
                        let (g, j) = (i / 4, i % 4);
                        let a = _mm512_castps_pd(t[4 * g + j / 2]);
                        let b = _mm512_castps_pd(t[4 * g + 2 + j / 2]);
                        _mm512_castpd_ps(if j % 2 == 0 {
                            _mm512_unpacklo_pd(a, b)
                        } else {
                            _mm512_unpackhi_pd(a, b)
                        })
                    },
                );
                // v[8h + 2j + e]: quarters e and e + 2 of u[8h + j] and u[8h + 4 + j].
                let v: [__m512; 16] = array16(
                    #[inline(always)]
                    |i| {
                        let (h, j, e) = (i / 8, i % 8 / 2, i % 2);
                        let (a, b) = (u[8 * h + j], u[8 * h + 4 + j]);
                        if e == 0 {
                            _mm512_shuffle_f32x4::<0x88>(a, b)
                        } else {
                            _mm512_shuffle_f32x4::<0xDD>(a, b)
                        }
                    },
                );
                // Row 4k + j: quarter k of u[j], u[4 + j], u[8 + j], u[12 + j].
                for (n, row) in r.iter_mut().enumerate() {
                    let (k, j) = (n / 4, n % 4);
                    let (a, b) = (v[2 * j + k % 2], v[8 + 2 * j + k % 2]);
                    row.0 = if k < 2 {
                        _mm512_shuffle_f32x4::<0x88>(a, b)
                    } else {
                        _mm512_shuffle_f32x4::<0xDD>(a, b)
                    };
                }
            }
        }

        #[inline(always)]
        fn store_first(self, dst: &mut [f32]) {
            if dst.len() >= 16 {
                // SAFETY: `dst` holds the 16 floats written.
                return unsafe { self.store(dst.as_mut_ptr()) };
            }
            let mask = ((1u32 << dst.len()) - 1) as __mmask16;
            // SAFETY: the mask enables lanes `0..dst.len()` only, inside `dst`; masked-off
            // lanes are not accessed (they cannot fault).
            unsafe { _mm512_mask_storeu_ps(dst.as_mut_ptr(), mask, self.0) }
        }

        #[inline(always)]
        fn load_first(src: &[f32]) -> Self {
            if src.len() >= 16 {
                // SAFETY: `src` holds the 16 floats read.
                return unsafe { Self::load(src.as_ptr()) };
            }
            let mask = ((1u32 << src.len()) - 1) as __mmask16;
            // SAFETY: as in `store_first`; the masked-off lanes are zero.
            Self(unsafe { _mm512_maskz_loadu_ps(mask, src.as_ptr()) })
        }
    }
}
