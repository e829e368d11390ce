//! Deterministic, seeded parameter initialisation that needs neither `std` nor a heap.

use rand_core::{Rng as _, SeedableRng};
use rand_pcg::Pcg32;

/// The random source used by `reset_parameters`: a PCG32 generator seeded from a `u64`.
///
/// The same seed gives the same parameters on every target.
pub struct Rng(Pcg32);

impl Rng {
    /// A generator seeded with `seed`.
    #[must_use]
    pub fn seed(seed: u64) -> Self {
        Self(Pcg32::seed_from_u64(seed))
    }

    /// A float drawn uniformly from `[low, high)`.
    pub fn uniform(&mut self, low: f32, high: f32) -> f32 {
        // 24 random bits fill an f32 mantissa exactly, so every value is equally likely.
        let unit = (self.0.next_u32() >> 8) as f32 * (1.0 / (1u32 << 24) as f32);
        low + (high - low) * unit
    }

    /// Fills `values` with PyTorch's default for `Conv*d` and `Linear`: `U(-b, b)` with
    /// `b = 1 / sqrt(fan_in)` (what `kaiming_uniform_(a=sqrt(5))` reduces to, and the bias rule).
    pub fn fill_fan_in_uniform(&mut self, values: &mut [f32], fan_in: usize) {
        let bound = if fan_in == 0 { 0.0 } else { 1.0 / libm::sqrtf(fan_in as f32) };
        for v in values {
            *v = self.uniform(-bound, bound);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn same_seed_same_values_and_within_bounds() {
        let (mut a, mut b) = (Rng::seed(7), Rng::seed(7));
        let mut xs = [0.0f32; 64];
        let mut ys = [0.0f32; 64];
        a.fill_fan_in_uniform(&mut xs, 25);
        b.fill_fan_in_uniform(&mut ys, 25);
        assert_eq!(xs, ys);
        assert!(xs.iter().all(|x| (-0.2..0.2).contains(x)));
        assert!(xs.iter().any(|&x| x != xs[0]));
    }
}
