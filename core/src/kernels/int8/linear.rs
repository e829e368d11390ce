//! Fully connected layer: `y = requantize(W (x - z) + b)` with `W` in PyTorch's
//! `[out_features, in_features]` (CMSIS-NN's `arm_fully_connected_s8`, per-tensor, and
//! `arm_fully_connected_per_channel_s8`).

use super::Requant;
use super::dot::dot_rows_and_sums;

/// Output rows computed together: they share every load of the input.
const ROWS: usize = 4;

/// Int8 linear layer (`torch.nn.Linear` on quantized tensors): for each output `o`,
/// `requantize(bias[o] + Σ_i w[o][i] * (x[i] - input_zero_point)) + output_zero_point`,
/// clamped. `requant` holds one multiplier and shift (per-tensor weights) or one per output
/// (per-channel). `input` is `[in_features]`, `weight` `[out_features, in_features]`, `bias`
/// `[out_features]` or `None`, `output` `[out_features]`. Writes nothing if a slice is too
/// short or the parameters do not fit. Inlined, so the sizes are constants at the call site,
/// as for the `f32` [`linear`](crate::kernels::linear::linear).
#[inline(always)]
pub fn linear(
    in_features: usize,
    out_features: usize,
    input: &[i8],
    weight: &[i8],
    bias: Option<&[i32]>,
    requant: &Requant<'_>,
    output: &mut [i8],
) {
    let fits = input.len() >= in_features
        && weight.len() >= in_features * out_features
        && bias.is_none_or(|b| b.len() >= out_features)
        && output.len() >= out_features
        && requant.covers(out_features);
    if !fits {
        return;
    }
    let z = requant.input_zero_point;
    if vnni::linear(in_features, out_features, input, weight, bias, requant, output) {
        return;
    }
    let mut o = 0;
    while o < out_features {
        if out_features - o >= ROWS {
            rows::<ROWS>(in_features, input, weight, bias, requant, output, o, z);
            o += ROWS;
        } else {
            rows::<1>(in_features, input, weight, bias, requant, output, o, z);
            o += 1;
        }
    }
}

/// Outputs `o0..o0 + R`.
#[inline(always)]
fn rows<const R: usize>(
    n: usize,
    input: &[i8],
    weight: &[i8],
    bias: Option<&[i32]>,
    requant: &Requant<'_>,
    output: &mut [i8],
    o0: usize,
    zero_point: i32,
) {
    let rows: [&[i8]; R] =
        core::array::from_fn(|r| weight.get((o0 + r) * n..(o0 + r + 1) * n).unwrap_or(&[]));
    let dots: [i32; R] = if super::dsp::TARGET && R == 4 {
        // Cortex-M with the DSP extension: the zero point taken out of the inputs as they are
        // widened (one pass, no weight sums), four rows sharing each input word.
        super::linear_dsp::dots_minus_zero_point::<R>(rows, input, n, zero_point)
    } else {
        let (dots, sums) = dot_rows_and_sums::<R>(rows, input, n);
        core::array::from_fn(|r| dots[r].wrapping_sub(zero_point.wrapping_mul(sums[r])))
    };
    let Some(out) = output.get_mut(o0..o0 + R) else { return };
    for (r, y) in out.iter_mut().enumerate() {
        let b = bias.and_then(|b| b.get(o0 + r)).copied().unwrap_or(0);
        let acc = b.wrapping_add(dots[r]);
        *y = requant.output(acc, requant.channel(o0 + r));
    }
}

/// The linear layer with AVX-512 VNNI: four rows at a time, 64 inputs per `vpdpbusd` against
/// `x ^ 0x80` (`x + 128` as a `u8`), the row sums by a second `vpdpbusd` against ones, and
/// `Σ w (x - z) = Σ w (x + 128) - (z + 128) Σ w`, exact in `i32` modulo `2^32` as the portable
/// loop. Other levels take the portable loop.
mod vnni {
    use super::Requant;

    /// Runs the layer if the active level is AVX-512 VNNI (the arguments checked by the
    /// caller); `false`, having done nothing, otherwise.
    #[inline(always)]
    pub(super) fn linear(
        n: usize,
        m: usize,
        input: &[i8],
        weight: &[i8],
        bias: Option<&[i32]>,
        requant: &Requant<'_>,
        output: &mut [i8],
    ) -> bool {
        #[cfg(all(target_arch = "x86_64", staticnn_x86_dispatch, any(feature = "std", test)))]
        if crate::kernels::isa::active() == crate::kernels::isa::Level::Avx512Vnni {
            // SAFETY: `active` returns only levels the CPU supports.
            unsafe {
                crate::kernels::isa::x86::avx512vnni(
                    #[inline(always)]
                    || x86::rows(n, m, input, weight, bias, requant, output),
                );
            }
            return true;
        }
        #[cfg(all(
            target_arch = "x86_64",
            not(all(staticnn_x86_dispatch, any(feature = "std", test))),
            target_feature = "avx512vnni",
            target_feature = "avx512bw"
        ))]
        {
            x86::rows(n, m, input, weight, bias, requant, output);
            return true;
        }
        #[allow(unreachable_code)]
        {
            let _ = (n, m, input, weight, bias, requant, output);
            false
        }
    }

    #[cfg(all(
        target_arch = "x86_64",
        any(
            all(staticnn_x86_dispatch, any(feature = "std", test)),
            all(target_feature = "avx512vnni", target_feature = "avx512bw")
        )
    ))]
    mod x86 {
        use core::arch::x86_64::{
            _mm512_dpbusd_epi32, _mm512_maskz_loadu_epi8, _mm512_maskz_mov_epi8,
            _mm512_reduce_add_epi32, _mm512_set1_epi8, _mm512_setzero_si512, _mm512_xor_si512,
        };

        use super::Requant;

        /// Rows per block: they share each load of the input.
        const ROWS: usize = 4;

        /// Every output, `ROWS` rows at a time.
        #[inline(always)]
        pub(super) fn rows(
            n: usize,
            m: usize,
            input: &[i8],
            weight: &[i8],
            bias: Option<&[i32]>,
            requant: &Requant<'_>,
            output: &mut [i8],
        ) {
            let z = requant.input_zero_point;
            let mut o = 0;
            while o < m {
                let r = if m - o >= ROWS { ROWS } else { 1 };
                let (dots, sums) = if r == ROWS {
                    block::<ROWS>(n, o, input, weight)
                } else {
                    let (d, s) = block::<1>(n, o, input, weight);
                    ([d[0], 0, 0, 0], [s[0], 0, 0, 0])
                };
                for i in 0..r {
                    let b = bias.and_then(|b| b.get(o + i)).copied().unwrap_or(0);
                    let acc = b.wrapping_add(dots[i]).wrapping_sub((z + 128).wrapping_mul(sums[i]));
                    if let Some(y) = output.get_mut(o + i) {
                        *y = requant.output(acc, requant.channel(o + i));
                    }
                }
                o += r;
            }
        }

        /// The `R` dot products of rows `o..o + R` with `x + 128`, and their sums.
        #[inline(always)]
        fn block<const R: usize>(
            n: usize,
            o: usize,
            input: &[i8],
            weight: &[i8],
        ) -> ([i32; R], [i32; R]) {
            let rows: [&[i8]; R] =
                core::array::from_fn(|r| weight.get((o + r) * n..(o + r + 1) * n).unwrap_or(&[]));
            let (Some(x), true) = (input.get(..n), rows.iter().all(|row| row.len() == n)) else {
                return ([0; R], [0; R]);
            };
            // SAFETY: only reached at the AVX-512 VNNI level (`linear`); every load reads
            // inside `x` and the rows, which are `n` bytes long: whole chunks of 64 bytes, then
            // a masked load of the last `n % 64` (masked-off bytes are not read and are 0).
            unsafe {
                let flip = _mm512_set1_epi8(-128);
                let ones = _mm512_set1_epi8(1);
                let mut dots = [_mm512_setzero_si512(); R];
                let mut sums = [_mm512_setzero_si512(); R];
                let mut at = 0;
                while at < n {
                    let left = n - at;
                    let mask: u64 = if left >= 64 { u64::MAX } else { (1u64 << left) - 1 };
                    let xv = _mm512_maskz_loadu_epi8(mask, x.as_ptr().add(at));
                    // Masked-off inputs must add nothing: zero after the flip too.
                    let xv = _mm512_maskz_mov_epi8(mask, _mm512_xor_si512(xv, flip));
                    for r in 0..R {
                        let w = _mm512_maskz_loadu_epi8(mask, rows[r].as_ptr().add(at));
                        dots[r] = _mm512_dpbusd_epi32(dots[r], xv, w);
                        sums[r] = _mm512_dpbusd_epi32(sums[r], ones, w);
                    }
                    at += 64;
                }
                (
                    core::array::from_fn(|r| _mm512_reduce_add_epi32(dots[r])),
                    core::array::from_fn(|r| _mm512_reduce_add_epi32(sums[r])),
                )
            }
        }
    }
}
