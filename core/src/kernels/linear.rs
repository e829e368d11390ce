//! Fully connected layer: `y = act(W x + b)` with `W` in PyTorch's `[out_features, in_features]`.

use crate::kernels::isa::{self, Isa};
use crate::kernels::simd::Vector;
use crate::layer::Epilogue;

/// Lanes of independent partial sums in [`dot`]: enough for the compiler to keep one vector
/// register of products per lane group instead of one serial chain of additions.
const LANES: usize = 8;

/// The dot product of two equally long slices, summed in `LANES` interleaved partial sums.
#[inline(always)]
#[must_use]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let (a_blocks, a_tail) = a.as_chunks::<LANES>();
    let (b_blocks, b_tail) = b.as_chunks::<LANES>();
    let mut acc = [0.0f32; LANES];
    for (x, y) in a_blocks.iter().zip(b_blocks) {
        for lane in 0..LANES {
            acc[lane] += x[lane] * y[lane];
        }
    }
    let mut sum = 0.0;
    for (x, y) in a_tail.iter().zip(b_tail) {
        sum += x * y;
    }
    // Pairwise, so the rounding does not depend on LANES more than it must.
    let [a0, a1, a2, a3, a4, a5, a6, a7] = acc;
    sum + (((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)))
}

/// Output rows computed together by [`linear`]: they share every load of the input.
const ROWS: usize = 4;

/// Computes `output[o] = epilogue(bias[o] + sum_i weight[o][i] * input[i])` for
/// `out_features` outputs of `in_features` inputs each, four rows at a time with two
/// vectors of each row in flight (eight accumulators), with the vectors of the active
/// instruction-set level ([`isa::active`]). Inlined, so the sizes are constants at the call
/// site.
#[inline(always)]
pub fn linear<E: Epilogue>(
    in_features: usize,
    out_features: usize,
    input: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    output: &mut [f32],
    epilogue: &E,
) {
    #[cfg(all(target_arch = "arm", target_abi = "eabihf", target_feature = "mclass"))]
    if in_features >= 16 {
        return super::vfp::linear(
            in_features,
            out_features,
            input,
            weight,
            bias,
            output,
            epilogue,
        );
    }
    isa::dispatch!(I => linear_with::<<I as Isa>::Wide, E>(
        in_features,
        out_features,
        input,
        weight,
        bias,
        output,
        epilogue
    ));
}

/// [`linear`] with vectors `V`.
#[inline(always)]
fn linear_with<V: Vector, E: Epilogue>(
    in_features: usize,
    out_features: usize,
    input: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    output: &mut [f32],
    epilogue: &E,
) {
    let Some(input) = input.get(..in_features) else { return };
    let Some(weight) = weight.get(..in_features * out_features) else { return };
    if in_features == 0 {
        for (o, y) in output.iter_mut().take(out_features).enumerate() {
            *y = bias.and_then(|b| b.get(o)).copied().unwrap_or(0.0);
            epilogue.finish(o, core::slice::from_mut(y));
        }
        return;
    }
    let blocks = weight.chunks_exact(ROWS * in_features);
    let rest = blocks.remainder();
    let outputs = output.chunks_exact_mut(ROWS);
    let mut o = 0;
    for (w, y) in blocks.zip(outputs) {
        let sums = dot_rows::<V, ROWS>(w, input);
        for (r, (y, s)) in y.iter_mut().zip(sums).enumerate() {
            *y = bias.and_then(|b| b.get(o + r)).copied().unwrap_or(0.0) + s;
            epilogue.finish(o + r, core::slice::from_mut(y));
        }
        o += ROWS;
    }
    let tail = output.get_mut(o..out_features).unwrap_or(&mut []);
    for (y, w) in tail.iter_mut().zip(rest.chunks_exact(in_features)) {
        let [s] = dot_rows::<V, 1>(w, input);
        *y = bias.and_then(|b| b.get(o)).copied().unwrap_or(0.0) + s;
        epilogue.finish(o, core::slice::from_mut(y));
        o += 1;
    }
}

/// The dot products of `R` consecutive rows of `w` (each `x.len()` long) with `x`.
#[inline(always)]
#[allow(clippy::needless_range_loop)] // the indices address several arrays at once
fn dot_rows<V: Vector, const R: usize>(w: &[f32], x: &[f32]) -> [f32; R] {
    let n = x.len();
    let lanes = V::LANES;
    let mut sums = [0.0; R];
    if w.len() < R * n {
        return sums;
    }
    let (wp, xp) = (w.as_ptr(), x.as_ptr());
    let zero = V::splat(0.0);
    let mut acc = [[zero; 2]; R];
    let mut i = 0;
    // SAFETY (all loads below): `i + lanes <= n` (or `i + 2 * lanes <= n`) in each loop, so
    // `x[i..i + lanes]` and, for `r < R`, `w[r * n + i..r * n + i + lanes]` are inside the
    // slices (`w.len() >= R * n` was checked above).
    while i + 2 * lanes <= n {
        let x0 = unsafe { V::load(xp.add(i)) };
        let x1 = unsafe { V::load(xp.add(i + lanes)) };
        for r in 0..R {
            let row = unsafe { wp.add(r * n + i) };
            acc[r][0] = acc[r][0].mul_add(unsafe { V::load(row) }, x0);
            acc[r][1] = acc[r][1].mul_add(unsafe { V::load(row.add(lanes)) }, x1);
        }
        i += 2 * lanes;
    }
    if i + lanes <= n {
        let x0 = unsafe { V::load(xp.add(i)) };
        for r in 0..R {
            acc[r][0] = acc[r][0].mul_add(unsafe { V::load(wp.add(r * n + i)) }, x0);
        }
        i += lanes;
    }
    if i < n {
        // The last `n - i < lanes` inputs as one partial vector (zeros after them): with 16
        // lanes a scalar tail of up to 15 products cost more than the vectors (LeNet's
        // 120 -> 84 layer).
        let x0 = V::load_first(x.get(i..).unwrap_or(&[]));
        for r in 0..R {
            let row = w.get(r * n + i..(r + 1) * n).unwrap_or(&[]);
            acc[r][1] = acc[r][1].mul_add(V::load_first(row), x0);
        }
    }
    let one = V::splat(1.0);
    for r in 0..R {
        let [a, b] = acc[r];
        // `a + b * 1` is exactly `a + b`; then the lanes pairwise, in registers (a sum lane
        // by lane was most of the time of LeNet's 120 -> 84 layer with 16 lanes).
        sums[r] = a.mul_add(b, one).reduce_sum();
    }
    sums
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::Identity;

    #[test]
    fn blocked_rows_match_the_definition_for_many_shapes() {
        for level in isa::available() {
            isa::with_level(level, blocked_rows_match_at_active_level);
        }
    }

    fn blocked_rows_match_at_active_level() {
        extern crate std;
        use std::vec::Vec;
        let level = isa::active().name();
        let mut rng = crate::init::Rng::seed(3);
        for (n_in, n_out) in
            [(1, 1), (3, 5), (8, 4), (16, 9), (17, 7), (31, 13), (64, 12), (400, 120), (784, 10)]
        {
            let mut x: Vec<f32> = (0..n_in).map(|_| 0.0).collect();
            let mut w: Vec<f32> = (0..n_in * n_out).map(|_| 0.0).collect();
            let mut b: Vec<f32> = (0..n_out).map(|_| 0.0).collect();
            rng.fill_fan_in_uniform(&mut x, 1);
            rng.fill_fan_in_uniform(&mut w, n_in);
            rng.fill_fan_in_uniform(&mut b, n_in);
            for bias in [Some(b.as_slice()), None] {
                let mut y: Vec<f32> = (0..n_out).map(|_| f32::NAN).collect();
                linear(n_in, n_out, &x, &w, bias, &mut y, &Identity);
                for o in 0..n_out {
                    let want = bias.map_or(0.0, |b| b[o])
                        + (0..n_in).map(|i| w[o * n_in + i] * x[i]).sum::<f32>();
                    assert!(
                        (y[o] - want).abs() <= 1e-5 * (1.0 + want.abs()),
                        "{n_in}x{n_out} at {level}: {} vs {want}",
                        y[o]
                    );
                }
            }
        }
    }

    #[test]
    fn matches_the_definition() {
        let x: [f32; 19] = core::array::from_fn(|i| i as f32 * 0.5 - 3.0);
        let w: [f32; 38] = core::array::from_fn(|i| (i % 7) as f32 - 2.0);
        let mut y = [0.0; 2];
        linear(19, 2, &x, &w, Some(&[1.0, -1.0]), &mut y, &Identity);
        for o in 0..2 {
            let want: f32 =
                1.0 - 2.0 * o as f32 + (0..19).map(|i| w[o * 19 + i] * x[i]).sum::<f32>();
            assert!((y[o] - want).abs() < 1e-4, "{} vs {want}", y[o]);
        }
    }
}
