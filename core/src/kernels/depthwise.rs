//! Depthwise convolution (one input channel per output channel, `groups == in_channels ==
//! out_channels`) on planes with narrow rows, with the channels in the vector lanes.
//!
//! The row layout of [`conv_tiled`](super::conv_tiled) puts consecutive pixels of a row in a
//! vector, and a depthwise convolution has a single input channel per output channel to reuse
//! them with: on rows narrower than a vector (DS-CNN's rows of 5 pixels, 16-lane vectors) most
//! lanes compute nothing. Here a block of `LANES` channels is computed together, each vector
//! holding one pixel of every channel of the block:
//!
//! 1. the block's input planes are transposed, `LANES` pixels at a time in registers
//!    ([`Vector::transpose`]), into a zero-padded *panel* `[row][column][channel]`;
//! 2. each output pixel is the sum over the taps of a panel vector times the tap's weights of
//!    the block (one vector per tap, in registers for the whole block): every lane useful;
//! 3. `LANES` output pixels are transposed back and stored into the block's output planes,
//!    which are then finished (bias already in, the caller's epilogue) while in cache.
//!
//! When the channels or pixels do not divide into vectors, the last block or chunk moves back
//! to overlap the previous one: overlapped input pixels are written twice with the same
//! values, overlapped output pixels recomputed, overlapped channels not stored again.

use crate::kernels::PaddingMode;
use crate::kernels::conv::ConvGeometry;
use crate::kernels::simd::Vector;

/// Most taps (`kh * kw`) whose weight vectors are kept in registers.
const MAX_TAPS: usize = 9;

/// Whether `depthwise` (crate-internal; [`conv_tiled`](super::conv_tiled::conv_tiled) runs
/// it) computes `G` with vectors of `lanes` lanes: a 2-d (or 1-d) depthwise convolution with
/// zero padding, at least a vector of channels, of input pixels and of output pixels, at most
/// 9 taps, and output rows narrower than a vector (wider rows fill the row layout's vectors)
/// whose whole rows fill at least 3/4 of a vector (a chunk of pixels is whole rows). Wide
/// (x86) vectors only: the panel is working memory that a microcontroller's plan keeps small.
#[must_use]
pub const fn applies<G: ConvGeometry>(lanes: usize) -> bool {
    lanes >= 8
        && G::GROUPS == G::C_IN
        && G::C_OUT == G::C_IN
        && G::IN[0] == 1
        && G::KERNEL[0] == 1
        && matches!(G::PADDING_MODE, PaddingMode::Zeros)
        && G::C_IN >= lanes
        && G::IN_PLANE >= lanes
        && G::OUT_PLANE >= lanes
        && G::TAPS <= MAX_TAPS
        && G::OUT[2] < lanes
        && 4 * (lanes / G::OUT[2]) * G::OUT[2] >= 3 * lanes
        && ALIGN_SLACK + panel_floats::<G>(lanes) <= MAX_PANEL
}

/// Floats of the largest panel (64 KiB): within what a hand-composed layer's stack buffer
/// holds (`conv_tiled::PANEL_CAP`).
const MAX_PANEL: usize = 16384;

/// The panel's alignment in bytes (a cache line).
const ALIGN: usize = 64;
/// Floats the workspace holds beyond the panel to align it.
const ALIGN_SLACK: usize = ALIGN / 4;

/// Floats of the panel of `G` with vectors of `lanes` lanes.
const fn panel_floats<G: ConvGeometry>(lanes: usize) -> usize {
    let (rows, cols) = panel_size::<G>();
    rows * cols * lanes
}

/// Rows and columns of the zero-padded panel: every input pixel at its padded position, and
/// every position a tap reads.
const fn panel_size<G: ConvGeometry>() -> (usize, usize) {
    (padded_extent::<G>(1), padded_extent::<G>(2))
}

/// The panel's length along `axis`: the padded input, or the last position a tap reads.
const fn padded_extent<G: ConvGeometry>(axis: usize) -> usize {
    let input = G::PAD[axis] + G::IN[axis];
    let read = (G::OUT[axis] - 1) * G::STRIDE[axis] + (G::KERNEL[axis] - 1) * G::DILATION[axis] + 1;
    if input > read { input } else { read }
}

/// Floats of working memory `depthwise` needs for `G` with vectors of `lanes` lanes (the
/// panel of one block of channels), 0 if it does not [apply](applies).
#[must_use]
pub const fn workspace_len<G: ConvGeometry>(lanes: usize) -> usize {
    if applies::<G>(lanes) { ALIGN_SLACK + panel_floats::<G>(lanes) } else { 0 }
}

/// The start of each vector-sized chunk of `0..len` (`len >= lanes`), the last one moved
/// back to end at `len`.
#[inline(always)]
fn chunks(len: usize, lanes: usize) -> impl Iterator<Item = usize> {
    (0..len.div_ceil(lanes))
        .map(move |i| if (i + 1) * lanes > len { len - lanes } else { i * lanes })
}

/// Computes the depthwise convolution `G` ([`applies`] must hold for `V::LANES`; else it does
/// nothing) from `input` (`[C, ..IN]`) into `output` (`[C, ..OUT]`): bias (`None` for none)
/// plus the convolution with `weight` (`[C, 1, kh, kw]`), then `finish(c, plane)` once per
/// channel. Its working memory is `workspace` ([`workspace_len`] floats); does nothing if a
/// slice is too short.
#[inline(always)]
pub(crate) fn depthwise<V: Vector, G: ConvGeometry>(
    input: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    output: &mut [f32],
    workspace: &mut [f32],
    finish: &mut impl FnMut(usize, &mut [f32]),
) {
    match V::LANES {
        8 => depthwise_lanes::<V, G, 8>(input, weight, bias, output, workspace, finish),
        16 => depthwise_lanes::<V, G, 16>(input, weight, bias, output, workspace, finish),
        _ => {}
    }
}

/// [`depthwise`] with `L == V::LANES` as a constant (the size of the register blocks).
#[inline(always)]
fn depthwise_lanes<V: Vector, G: ConvGeometry, const L: usize>(
    input: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    output: &mut [f32],
    workspace: &mut [f32],
    finish: &mut impl FnMut(usize, &mut [f32]),
) {
    let channels = G::C_IN;
    let (in_plane, out_plane) = (G::IN_PLANE, G::OUT_PLANE);
    if !applies::<G>(L)
        || V::LANES != L
        || input.len() < channels * in_plane
        || output.len() < channels * out_plane
        || weight.len() < channels * G::TAPS
        || bias.is_some_and(|b| b.len() < channels)
    {
        return;
    }
    // The panel starts on a cache line: every tap's load is then one line, not two.
    let skip = workspace.as_ptr().align_offset(ALIGN);
    let skip = if skip < ALIGN_SLACK { skip } else { 0 };
    let Some(panel) = workspace.get_mut(skip..skip + panel_floats::<G>(L)) else { return };
    // Only the padding keeps these zeros: every block overwrites all the input pixels.
    panel.fill(0.0);

    let mut done: usize = 0; // channels stored and finished
    for c0 in chunks(channels, L) {
        // The block's output planes, checked once (the stores below are inside them).
        let Some(planes) = output.get_mut(c0 * out_plane..(c0 + L) * out_plane) else { return };
        transpose_into_panel::<V, G, L>(input, c0, panel);
        let taps = tap_weights::<V, G>(weight, c0);
        let bias = match bias {
            Some(b) => V::from_array(lanes_of::<V>(|i| b.get(c0 + i).copied().unwrap_or(0.0))),
            None => V::splat(0.0),
        };
        let rows = chunk_rows::<G>(L, G::OUT[2]);
        let used = rows * G::OUT[2];
        for row0 in chunks(G::OUT[1], rows) {
            let mut acc = pixels::<V, G, L>(panel, &taps, bias, row0);
            V::transpose(&mut acc);
            let first = row0 * G::OUT[2];
            if first + used > out_plane {
                continue;
            }
            for (i, v) in acc.iter().enumerate().skip(done.saturating_sub(c0)) {
                let start = i * out_plane + first;
                // SAFETY: `i < L` and `first + used <= out_plane` (checked above), so
                // `start + used <= L * out_plane = planes.len()`.
                v.store_first(unsafe { planes.get_unchecked_mut(start..start + used) });
            }
        }
        let planes = output.chunks_exact_mut(out_plane).enumerate().take(c0 + L).skip(done);
        for (c, plane) in planes {
            finish(c, plane);
        }
        done = c0 + L;
    }
}

/// An array of the vector's lanes, lane `i` being `f(i)`.
#[inline(always)]
fn lanes_of<V: Vector>(f: impl Fn(usize) -> f32) -> V::Array {
    let mut a = V::zeros();
    for (i, x) in a.as_mut().iter_mut().enumerate() {
        *x = f(i);
    }
    a
}

/// The weights of channels `c0..c0 + LANES`, one vector per tap (row-major over the kernel).
#[inline(always)]
fn tap_weights<V: Vector, G: ConvGeometry>(weight: &[f32], c0: usize) -> [V; MAX_TAPS] {
    let mut taps = [V::splat(0.0); MAX_TAPS];
    for (t, tap) in taps.iter_mut().enumerate().take(G::TAPS) {
        *tap = V::from_array(lanes_of::<V>(|i| {
            weight.get((c0 + i) * G::TAPS + t).copied().unwrap_or(0.0)
        }));
    }
    taps
}

/// Writes the input planes of channels `c0..c0 + L` into `panel` as `[row][column][channel]`
/// at their padded positions, `L` pixels (whole rows) at a time through a register transpose.
#[inline(always)]
fn transpose_into_panel<V: Vector, G: ConvGeometry, const L: usize>(
    input: &[f32],
    c0: usize,
    panel: &mut [f32],
) {
    let (_, cols) = panel_size::<G>();
    let (width, in_plane) = (G::IN[2], G::IN_PLANE);
    // Whole rows per chunk when a row fits a vector, else chunks of a row's pixels.
    let (rows, used) = if width <= L { (L / width, L / width * width) } else { (1, L) };
    let rows = if rows > G::IN[1] { G::IN[1] } else { rows };
    let used = if rows * width < used { rows * width } else { used };
    let mut offsets = [0; L];
    for (j, o) in offsets.iter_mut().enumerate() {
        *o = ((j / width) * cols + j % width) * L;
    }
    // The block's planes, checked once: every chunk below reads inside them.
    let Some(planes) = input.get(c0 * in_plane..(c0 + L) * in_plane) else { return };
    // Inlined (`identity` only puts the closure where it may carry `#[inline(always)]`): a
    // call would be compiled without the caller's instruction set, and its intrinsics too.
    let mut chunk = core::convert::identity(
        #[inline(always)]
        |q0: usize, at: usize| {
            let mut block = [V::splat(0.0); L];
            if q0 + used > in_plane {
                return;
            }
            for (i, v) in block.iter_mut().enumerate() {
                let start = i * in_plane + q0;
                // SAFETY: `i < L` and `q0 + used <= in_plane` (checked above), so
                // `start + used <= L * in_plane = planes.len()`.
                *v = V::load_first(unsafe { planes.get_unchecked(start..start + used) });
            }
            V::transpose(&mut block);
            for (v, &offset) in block.iter().zip(&offsets).take(used) {
                if let Some(dst) = panel.get_mut(at + offset..at + offset + L) {
                    v.store_first(dst);
                }
            }
        },
    );
    let pad = (G::PAD[1] * cols + G::PAD[2]) * L;
    if width <= L {
        for row0 in chunks(G::IN[1], rows) {
            chunk(row0 * width, pad + row0 * cols * L);
        }
    } else {
        for row in 0..G::IN[1] {
            for x0 in chunks(width, L) {
                chunk(row * width + x0, pad + (row * cols + x0) * L);
            }
        }
    }
}

/// Output rows per chunk of `G` for vectors of `L` lanes: as many whole rows as fit.
const fn chunk_rows<G: ConvGeometry>(lanes: usize, width: usize) -> usize {
    let rows = lanes / width;
    if rows > G::OUT[1] { G::OUT[1] } else { rows }
}

/// The output pixels of rows `row0..row0 + R` of the block (`R` = [`chunk_rows`], `R * OW`
/// pixels, at most `L`; the rest `bias`), each a vector of the block's channels: `bias` plus,
/// for each tap, the panel vector the tap reads times the tap's weights. Whole rows, so that
/// every read is at a constant offset from the chunk's first panel row.
#[inline(always)]
fn pixels<V: Vector, G: ConvGeometry, const L: usize>(
    panel: &[f32],
    taps: &[V; MAX_TAPS],
    bias: V,
    row0: usize,
) -> [V; L] {
    let (_, cols) = panel_size::<G>();
    let out_w = G::OUT[2];
    let used = chunk_rows::<G>(L, out_w) * out_w;
    let mut offsets = [0; L];
    for (j, o) in offsets.iter_mut().enumerate() {
        *o = ((j / out_w) * G::STRIDE[1] * cols + (j % out_w) * G::STRIDE[2]) * L;
    }
    let base = row0 * G::STRIDE[1] * cols * L;
    // The farthest float a tap reads: checked once for the whole chunk.
    let last_tap =
        ((G::KERNEL[1] - 1) * G::DILATION[1] * cols + (G::KERNEL[2] - 1) * G::DILATION[2]) * L;
    let mut acc = [bias; L];
    if base + offsets[used - 1] + last_tap + L > panel.len() {
        return acc;
    }
    // SAFETY: every read below is at most at `base + offsets[used - 1] + last_tap`, followed
    // by `L` floats, inside `panel` (checked above).
    let panel = unsafe { panel.as_ptr().add(base) };
    for (t, w) in taps.iter().enumerate().take(G::TAPS) {
        let (kh, kw) = (t / G::KERNEL[2], t % G::KERNEL[2]);
        let offset = (kh * G::DILATION[1] * cols + kw * G::DILATION[2]) * L;
        for (a, &at) in acc.iter_mut().zip(&offsets).take(used) {
            // SAFETY: `at + offset <= offsets[used - 1] + last_tap` (see above).
            *a = a.mul_add(unsafe { V::load(panel.add(at + offset)) }, *w);
        }
    }
    acc
}
