//! Accurate sums for the long reductions: the statistics of layer and instance norm, average
//! pooling over large windows and the denominator of softmax.
//!
//! Adding `n` values one after another to one `f32` loses up to `n * 2^-24` of the sum (each
//! addition rounds to the ulp of a sum that grows): a layer norm over 960 values near 0.5 is off
//! by 4e-5. These sums are a cascade instead, as PyTorch's CPU sums are: values go in turn to
//! [`LANES`] partial sums, each of which adds [`BLOCK`]` / LANES` values; the lanes of a block
//! are merged pairwise; the blocks go into a compensated sum ([`Compensated`], whose rounding
//! error is carried along in a second `f32`). A value is in at most 20 roundings of numbers of
//! its block's size, however long the sum, and the block sums' errors do not add up.
//!
//! The lanes are plain arrays that the compiler keeps in vector registers; a sum shorter than
//! one block costs what 16 independent partial sums cost. Nothing allocates or panics.

/// Partial sums that consecutive values go to in turn.
pub const LANES: usize = 16;

/// Values per block: each lane adds `BLOCK / LANES` of them before the lanes are merged.
pub const BLOCK: usize = 256;

/// A sum carried as `hi + lo`, where `lo` collects the rounding error of every addition to
/// `hi` (Knuth's two-sum): adding `k` terms costs one rounding of the result, not `k`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Compensated {
    hi: f32,
    lo: f32,
}

impl Compensated {
    /// Zero.
    pub const ZERO: Self = Self { hi: 0.0, lo: 0.0 };

    /// A sum that is exactly `value` (for example a maximum, which has no rounding error).
    #[inline(always)]
    #[must_use]
    pub const fn exact(value: f32) -> Self {
        Self { hi: value, lo: 0.0 }
    }

    /// Adds `x`, keeping the rounding error of `hi + x` in `lo`.
    #[inline(always)]
    pub fn add(&mut self, x: f32) {
        let sum = self.hi + x;
        let x_part = sum - self.hi;
        let error = (self.hi - (sum - x_part)) + (x - x_part);
        self.hi = sum;
        self.lo += error;
    }

    /// The sum rounded to one `f32`: `hi` itself without an error term (so an
    /// [`exact`](Self::exact) `-0.0` stays `-0.0`), or when `hi` is infinite or NaN (its error
    /// term is then meaningless: `inf - inf`).
    #[inline(always)]
    #[must_use]
    pub fn value(self) -> f32 {
        if self.lo == 0.0 || !self.hi.is_finite() { self.hi } else { self.hi + self.lo }
    }

    /// The sum divided by `n`, rounded once: the quotient of `hi` is corrected by what `hi`
    /// and `lo` leave over (the exact remainder `hi - q * n` comes from [`two_product`]).
    /// Without an error term this is `hi / n`, as a plain sum divides.
    #[inline(always)]
    #[must_use]
    pub fn divided_by(self, n: usize) -> f32 {
        let count = n as f32;
        let quotient = self.hi / count;
        if self.lo == 0.0 || !quotient.is_finite() {
            return quotient;
        }
        let (product, product_error) = two_product(quotient, count);
        // `hi - product` is exact: the two differ by less than an ulp of `hi`.
        let remainder = ((self.hi - product) - product_error) + self.lo;
        let corrected = quotient + remainder / count;
        if corrected.is_finite() { corrected } else { quotient }
    }
}

/// `a * b` exactly, as `product + error` (Dekker's product with Veltkamp's split, which needs
/// no fused multiply-add). Exact unless `a` or `b` is beyond 2^115 or the product overflows.
#[inline(always)]
#[must_use]
pub fn two_product(a: f32, b: f32) -> (f32, f32) {
    /// `2^12 + 1`: splits a 24-bit significand into two halves of 12 bits.
    const SPLIT: f32 = 4097.0;
    let split = |x: f32| {
        let scaled = SPLIT * x;
        let high = scaled - (scaled - x);
        (high, x - high)
    };
    let product = a * b;
    let (a_hi, a_lo) = split(a);
    let (b_hi, b_lo) = split(b);
    let error = ((a_hi * b_hi - product) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo;
    (product, error)
}

/// The sum of the lanes, merged pairwise: lane `i` with lane `i + 8`, then `i + 4`, `i + 2`
/// and `i + 1`.
#[inline(always)]
#[must_use]
fn merge(lanes: [f32; LANES]) -> f32 {
    let [a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15] = lanes;
    let [b0, b1, b2, b3, b4, b5, b6, b7] =
        [a0 + a8, a1 + a9, a2 + a10, a3 + a11, a4 + a12, a5 + a13, a6 + a14, a7 + a15];
    let [c0, c1, c2, c3] = [b0 + b4, b1 + b5, b2 + b6, b3 + b7];
    (c0 + c2) + (c1 + c3)
}

/// A running cascade sum (see the module documentation) that takes values one at a time
/// ([`add`](Self::add)) or a run at a time ([`add_slice`](Self::add_slice)): the runs of a
/// pooling window's rows, the strided values of a softmax axis.
#[derive(Clone, Copy, Debug)]
pub struct CascadeSum {
    /// The partial sums of the current block.
    lanes: [f32; LANES],
    /// Values added to the current block.
    filled: usize,
    /// The sum of the finished blocks.
    blocks: Compensated,
}

impl Default for CascadeSum {
    fn default() -> Self {
        Self::new()
    }
}

impl CascadeSum {
    /// An empty sum.
    #[inline(always)]
    #[must_use]
    pub const fn new() -> Self {
        Self { lanes: [0.0; LANES], filled: 0, blocks: Compensated::ZERO }
    }

    /// Adds one value (to the next lane in turn).
    #[inline(always)]
    pub fn add(&mut self, x: f32) {
        if let Some(lane) = self.lanes.get_mut(self.filled % LANES) {
            *lane += x;
        }
        self.filled += 1;
        if self.filled >= BLOCK {
            self.finish_block();
        }
    }

    /// Adds a run of values, [`LANES`] at a time where the run allows it; the same sum as
    /// adding them one by one.
    #[inline]
    pub fn add_slice(&mut self, mut values: &[f32]) {
        // One at a time up to the start of a row of lanes.
        while !self.filled.is_multiple_of(LANES) {
            let Some((&x, rest)) = values.split_first() else { return };
            self.add(x);
            values = rest;
        }
        let mut lanes = self.lanes;
        loop {
            // Whole rows of lanes, up to the end of the block.
            let take = (values.len() / LANES * LANES).min(BLOCK - self.filled);
            let Some((now, rest)) = values.split_at_checked(take) else { break };
            if take == 0 {
                break;
            }
            for row in now.as_chunks::<LANES>().0 {
                for (lane, v) in lanes.iter_mut().zip(row) {
                    *lane += v;
                }
            }
            self.filled += take;
            values = rest;
            if self.filled >= BLOCK {
                self.lanes = lanes;
                self.finish_block();
                lanes = self.lanes;
            }
        }
        // Fewer than LANES values are left and the block is at the start of a row of lanes
        // (the loop only stops there): one zero-padded row, the same sums as one at a time
        // (a lane is never -0.0, so adding +0.0 leaves it unchanged).
        let mut row = [0.0; LANES];
        if let Some(head) = row.get_mut(..values.len()) {
            head.copy_from_slice(values);
            for (lane, v) in lanes.iter_mut().zip(row) {
                *lane += v;
            }
            self.filled += values.len();
            values = &[];
        }
        self.lanes = lanes;
        for &x in values {
            self.add(x);
        }
    }

    /// Merges the current block into the total and starts a new one.
    #[inline(always)]
    fn finish_block(&mut self) {
        self.blocks.add(merge(self.lanes));
        self.lanes = [0.0; LANES];
        self.filled = 0;
    }

    /// The sum so far, with its error term.
    #[inline(always)]
    #[must_use]
    pub fn total(&self) -> Compensated {
        let mut total = self.blocks;
        if self.filled > 0 {
            total.add(merge(self.lanes));
        }
        total
    }
}

/// The cascade sum of `values` (the same sum as [`CascadeSum::add_slice`] gives), its lanes
/// in registers for the whole run: always inlined, so it runs at its caller's
/// instruction-set level (a global average pool fused into a convolution's kernel).
#[inline(always)]
#[must_use]
pub fn sum(values: &[f32]) -> Compensated {
    let mut total = Compensated::ZERO;
    for block in values.chunks(BLOCK) {
        let mut lanes = [0.0f32; LANES];
        let (rows, tail) = block.as_chunks::<LANES>();
        for row in rows {
            for (lane, &x) in lanes.iter_mut().zip(row) {
                *lane += x;
            }
        }
        // The tail as one zero-padded row: a lane is never -0.0, so +0.0 leaves it as it is.
        let mut last = [0.0f32; LANES];
        if let Some(head) = last.get_mut(..tail.len()) {
            head.copy_from_slice(tail);
        }
        for (lane, x) in lanes.iter_mut().zip(last) {
            *lane += x;
        }
        total.add(merge(lanes));
    }
    total
}

/// The cascade sums of `x - shift` and of `(x - shift)^2` over `values`, in one pass.
#[inline]
#[must_use]
pub fn centered_sums(values: &[f32], shift: f32) -> (Compensated, Compensated) {
    let mut first = Compensated::ZERO;
    let mut second = Compensated::ZERO;
    for block in values.chunks(BLOCK) {
        let mut d = [0.0f32; LANES];
        let mut q = [0.0f32; LANES];
        let (rows, tail) = block.as_chunks::<LANES>();
        for row in rows {
            for ((d, q), &x) in d.iter_mut().zip(q.iter_mut()).zip(row) {
                let centered = x - shift;
                *d += centered;
                *q += centered * centered;
            }
        }
        for ((d, q), &x) in d.iter_mut().zip(q.iter_mut()).zip(tail) {
            let centered = x - shift;
            *d += centered;
            *q += centered * centered;
        }
        first.add(merge(d));
        second.add(merge(q));
    }
    (first, second)
}

/// The largest of `values` (`-inf` if empty); a NaN anywhere gives NaN, as in PyTorch.
#[inline]
#[must_use]
pub fn max(values: &[f32]) -> f32 {
    let larger = |m: f32, v: f32| if v > m || v.is_nan() { v } else { m };
    let mut lanes = [f32::NEG_INFINITY; LANES];
    let (rows, tail) = values.as_chunks::<LANES>();
    for row in rows {
        for (m, &v) in lanes.iter_mut().zip(row) {
            *m = larger(*m, v);
        }
    }
    for (m, &v) in lanes.iter_mut().zip(tail) {
        *m = larger(*m, v);
    }
    lanes.into_iter().fold(f32::NEG_INFINITY, larger)
}

#[cfg(test)]
mod tests {
    use super::*;

    extern crate std;
    use std::vec::Vec;

    /// Values `center + j * step` for a deterministic scramble of `j` in `-k..=k`.
    fn lattice(n: usize, center: f64, step: f64, k: u64) -> Vec<f32> {
        let mut state = 0x1234_5678_u64;
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                let j = ((state >> 33) % (2 * k + 1)) as i64 - k as i64;
                (center + j as f64 * step) as f32
            })
            .collect()
    }

    fn exact(values: &[f32]) -> f64 {
        values.iter().map(|&v| f64::from(v)).sum()
    }

    #[test]
    fn long_sums_of_values_far_from_zero_are_nearly_exact() {
        for n in [1, 15, 16, 17, 255, 256, 257, 1000, 4099, 100_000, 1_000_003] {
            let values = lattice(n, 1000.0, 1.0 / 16_384.0, 164);
            let want = exact(&values);
            let got = f64::from(sum(&values).value());
            // One rounding of the result (half an ulp) and a little more.
            let ulp = f64::from(f32::EPSILON) * want.abs();
            assert!((got - want).abs() <= 0.6 * ulp, "n = {n}: {got} vs {want}");
            let naive: f32 = values.iter().sum();
            if n >= 1_000_000 {
                assert!((f64::from(naive) - want).abs() > 10.0 * ulp, "a plain sum is far off");
            }
        }
    }

    #[test]
    fn runs_in_any_pieces_give_the_same_sum_as_one_by_one() {
        let values = lattice(5000, 0.5, 1.0 / 1_048_576.0, 16384);
        let mut one_by_one = CascadeSum::new();
        for &v in &values {
            one_by_one.add(v);
        }
        for piece in [1, 3, 16, 17, 100, 256, 999, 5000] {
            let mut pieces = CascadeSum::new();
            for run in values.chunks(piece) {
                pieces.add_slice(run);
            }
            assert_eq!(pieces.total(), one_by_one.total(), "pieces of {piece}");
        }
        assert_eq!(sum(&values), one_by_one.total());
    }

    #[test]
    fn division_rounds_once() {
        for n in [300, 1000, 102_400, 999_999] {
            let values = lattice(n, 0.5, 1.0 / 1_048_576.0, 16384);
            let want = exact(&values) / n as f64;
            let got = f64::from(sum(&values).divided_by(n));
            let half_ulp = f64::from(f32::EPSILON) * want.abs() / 2.0;
            assert!((got - want).abs() <= 1.01 * half_ulp, "n = {n}: {got} vs {want}");
        }
    }

    #[test]
    fn two_product_is_exact() {
        for (a, b) in [(0.1f32, 3.0f32), (1.0 / 3.0, 102_400.0), (-7.25e-3, 12_345.0)] {
            let (p, e) = two_product(a, b);
            assert_eq!(f64::from(p) + f64::from(e), f64::from(a) * f64::from(b));
        }
    }

    #[test]
    fn centered_sums_match_float64() {
        let values = lattice(50_000, 1000.0, 1.0 / 16_384.0, 164);
        let shift = 1000.001f32;
        let (d, q) = centered_sums(&values, shift);
        let want_d: f64 = values.iter().map(|&v| f64::from(v - shift)).sum();
        let want_q: f64 = values.iter().map(|&v| f64::from(v - shift).powi(2)).sum();
        assert!((f64::from(d.value()) - want_d).abs() <= 1e-6 * want_d.abs().max(1.0));
        assert!((f64::from(q.value()) - want_q).abs() <= 1e-6 * want_q);
    }

    #[test]
    fn non_finite_values_propagate() {
        let mut values = lattice(1000, 1.0, 0.001, 100);
        values[700] = f32::INFINITY;
        assert_eq!(sum(&values).value(), f32::INFINITY);
        assert_eq!(sum(&values).divided_by(1000), f32::INFINITY);
        values[3] = f32::NEG_INFINITY;
        assert!(sum(&values).value().is_nan());
        values[3] = 0.0;
        values[999] = f32::NAN;
        assert!(sum(&values).value().is_nan());
        assert!(max(&values).is_nan());
        assert_eq!(max(&[]), f32::NEG_INFINITY);
        assert_eq!(max(&[1.0, 3.0, -2.0]), 3.0);
        assert_eq!(sum(&[]).value(), 0.0);
    }
}
