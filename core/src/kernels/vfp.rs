//! Cortex-M kernels with a floating-point unit (FPv4-SP on the M4F, FPv5 on the M7, M33 and
//! M55): compiled only for `arm` targets with the hard-float ABI and the M profile.
//!
//! Rust cannot ask for `vfma.f32` on a Cortex-M4F (no `f32::mul_add` in `core`, and `asm!`
//! operands in FP registers need the double-precision `vfp2` feature), so the portable kernels
//! compile every multiply-accumulate to `vmul` + `vadd` and reload operands often: about 4.4
//! instructions per MAC. The blocks of [`asm`] keep a tile's accumulators in `s0..s15`,
//! load each run of operands with one `vldm` and do the multiply-accumulates back to back; a
//! convolution block runs a whole row of tiles per call. This module is the Rust around them:
//! which tile to use, the extents, and the rest of the work (bias, tail columns, epilogue).
//! [`asm::max_pool_2x2`] pools 2 x 2 windows (`kernels::pool` calls it, and pools a plane
//! again the portable way when the block reports a NaN).
//!
//! Each block exists twice ([`asm`]): with one `vfma.f32` per multiply-accumulate (about 1.1
//! instructions per MAC), used on the Cortex-M7, and with `vmul.f32` + `vadd.f32` (about 2.1),
//! used on the Cortex-M4F. By the Cortex-M4 TRM a `vfma` takes 3 cycles and `vmul` and `vadd`
//! 1 each, so the second is faster there despite twice the instructions
//! (`tools/m4_cycles.py` estimates the cycles from QEMU's log; `examples/firmware/README.md`
//! has the numbers); the M7's FPU is pipelined. `vfma` rounds once where `vmul` + `vadd` round
//! twice (as the portable kernels do), so the `fma` blocks' results differ from the portable
//! kernels' in the last bits (within the fixtures' tolerance).

pub mod asm;

use crate::layer::Epilogue;

/// The tile `(output channels, vectors of 4 pixels)` the convolution blocks use for rows
/// `kw` taps wide, given `cv` vectors per output row, `out_per_group` output channels per
/// group and blocks of at most `max_mr` channels; `None` when no block fits.
///
/// Two channels by eight pixels (two vectors of one row) load fewer inputs per MAC than four
/// by four; narrow kernels need it to stay near one instruction per MAC, wide ones get it only
/// when blocks of four channels are not allowed.
#[must_use]
pub const fn conv_tile(
    kw: usize,
    cv: usize,
    out_per_group: usize,
    max_mr: usize,
) -> Option<(usize, usize)> {
    let two = max_mr >= 2 && out_per_group >= 2;
    let four = max_mr >= 4 && out_per_group >= 4;
    // Two vectors of one row are consecutive only if no tile straddles two rows.
    let pairs = two && cv % 2 == 0 && asm::conv_has(2, 8, kw);
    if pairs && kw <= 3 {
        Some((2, 2))
    } else if four && asm::conv_has(4, 4, kw) {
        Some((4, 1))
    } else if pairs {
        Some((2, 2))
    } else if two && asm::conv_has(2, 4, kw) {
        Some((2, 1))
    } else {
        None
    }
}

/// What a run of convolution tiles needs besides its accumulators: where its first input and
/// weight are and how the loops step, in floats.
pub struct ConvRun {
    /// The first input of the first kernel row the first tile reads.
    pub x: *const f32,
    /// Floats from one tile's first input to the next tile's.
    pub x_step: usize,
    /// Output channel 0's first weight of that kernel row.
    pub w: *const f32,
    /// Floats between two output channels' weights.
    pub w_row: usize,
    /// Floats between two kernel rows in the input.
    pub x_row: usize,
    /// Floats between two input channels in the input.
    pub x_channel: usize,
    /// Floats between two input channels in the weights (the taps of one channel).
    pub w_channel: usize,
    /// Kernel rows per input channel.
    pub rows: usize,
    /// Input channels.
    pub channels: usize,
    /// Tiles.
    pub tiles: usize,
}

/// Runs the block for `shape = (mr, np, kw)` on the tiles of `run`: row `r`'s `np`
/// accumulators are read from `params[LOAD + r]` and written to `params[STORE + r]`, which
/// move on by `params[LOAD_STEP + r]` bytes and `4 * np` bytes from one tile to the next
/// (addresses and steps the caller filled in); this fills in the rest. Returns `false`, doing
/// nothing, if there is no block for `shape` or `run` has no rows, channels or tiles.
///
/// # Safety
/// For `c < channels`, `kh < rows`, `r < mr`, `j < tiles`: `x + j * x_step + c * x_channel +
/// kh * x_row` must be readable for `np + kw - 1` floats and `w + r * w_row + c * w_channel +
/// kh * kw` for `kw`; each tile's load addresses readable and store addresses writable for
/// `np` floats.
#[inline(always)]
pub unsafe fn run_conv(
    shape: (usize, usize, usize),
    params: &mut [usize; asm::PARAMS],
    run: &ConvRun,
) -> bool {
    let (mr, _, kw) = shape;
    let nothing = run.rows == 0 || run.channels == 0 || run.tiles == 0;
    if nothing || run.x_channel < run.rows * run.x_row || mr > asm::LOAD_STEP - asm::LOAD {
        return false;
    }
    let f = core::mem::size_of::<f32>();
    params[asm::X_SKIP] = (run.x_channel - run.rows * run.x_row) * f;
    params[asm::W_SKIP] = run.w_channel.saturating_sub(run.rows * kw) * f;
    for (r, w) in params.iter_mut().skip(asm::W).take(mr).enumerate() {
        *w = run.w.wrapping_add(r * run.w_row) as usize;
    }
    params[asm::X] = run.x as usize;
    params[asm::X_STEP] = run.x_step * f;
    params[asm::TILES] = run.tiles;
    params[asm::CHANNELS] = run.channels;
    // SAFETY: forwarded from the caller.
    unsafe { asm::conv(shape, params, run.x_row * f, run.rows) }
}

/// Copies `src` into `dst` (the shorter length of the two), eight floats per `vldm`/`vstm`.
#[inline(always)]
pub fn copy(dst: &mut [f32], src: &[f32]) {
    let len = if dst.len() < src.len() { dst.len() } else { src.len() };
    let n = len / 8;
    if n > 0 {
        // SAFETY: both slices hold at least `8 * n <= len` floats; `&mut` and `&` do not
        // overlap.
        unsafe { asm::copy8(dst.as_mut_ptr(), src.as_ptr(), n) };
    }
    for (d, s) in dst.iter_mut().zip(src).take(len).skip(8 * n) {
        *d = *s;
    }
}

/// Computes `output[o] = epilogue(bias[o] + sum_i weight[o][i] * input[i])` like
/// [`super::linear::linear`], with blocks of up to [`asm::LINEAR_MAX_ROWS`] rows over the
/// first multiple of 16 inputs and plain Rust for the rest. Needs `in_features >= 16`.
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
    let n = in_features / 16;
    let (Some(input), Some(weight)) =
        (input.get(..in_features), weight.get(..in_features * out_features))
    else {
        return;
    };
    let Some(output) = output.get_mut(..out_features) else { return };
    if n == 0 || out_features == 0 {
        return;
    }
    // Equal blocks (10 rows: 5 + 5, not 8 + 2); the last one moves back to end at the last
    // row, recomputing a few rows rather than running a smaller block.
    let rows = out_features.div_ceil(out_features.div_ceil(asm::LINEAR_MAX_ROWS));
    let mut next = 0;
    while next < out_features {
        let first = if next + rows > out_features { out_features - rows } else { next };
        let (Some(io), Some(w)) = (
            output.get_mut(first..first + rows),
            weight.get(first * in_features..(first + rows) * in_features),
        ) else {
            return;
        };
        // The block adds to the output rows in place, starting from the bias.
        for (r, v) in io.iter_mut().enumerate() {
            *v = bias.and_then(|b| b.get(first + r)).copied().unwrap_or(0.0);
        }
        // SAFETY: rows `first..first + rows` of `weight` and `input` hold `in_features >= 16
        // * n` floats each (the slices were cut to these sizes above).
        unsafe { asm::linear(io, input.as_ptr(), w.as_ptr(), in_features, n) };
        if 16 * n < in_features {
            for (y, row) in io.iter_mut().zip(w.chunks_exact(in_features)) {
                let rest = row.iter().zip(input).skip(16 * n);
                *y += rest.map(|(a, b)| a * b).sum::<f32>();
            }
        }
        next = first + rows;
    }
    for (o, y) in output.iter_mut().enumerate() {
        epilogue.finish(o, core::slice::from_mut(y));
    }
}
