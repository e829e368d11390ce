//! The int8 side of the layers that hold no parameters, and what joins int8 to `f32`: pooling
//! (max, and CMSIS-NN's integer average), the `Add`/`Mul` of branches with their integer
//! rescaling, clamps of unfused activations, quantizing the network's input and dequantizing
//! its output, and running a layer that has no int8 kernel in `f32` between a dequantize and a
//! quantize (as ExecuTorch's portable fallback does). `network!` calls these for a network
//! declared `#[staticnn(quantized = "int8")]`; shapes are checked by the `f32` layers' types.

use crate::kernels::int8::{self, AddParams, MulParams};
use crate::layer::Layer;
use crate::layers::pool::{PoolGeom, PoolKind, PoolWindow};
use crate::precision::Quantization;
use crate::shape::{Channels, Shape};
use crate::tensor::Tensor;

/// `S`'s dimensions as `[C, H, W]` (a vector `[N]` is `[N, 1, 1]`, `[C, L]` is `[C, 1, L]`).
const fn dims3(dims: &[usize]) -> [usize; 3] {
    match dims.len() {
        1 => [dims[0], 1, 1],
        2 => [dims[0], 1, dims[1]],
        3 => [dims[0], dims[1], dims[2]],
        _ => [0, 0, 0],
    }
}

/// Pooling layers on int8 activations.
pub trait PoolInt8 {
    /// Pools `input` into `output` and clamps to `[act_min, act_max]`: max pooling, or average
    /// pooling as CMSIS-NN computes it (the window's raw values averaged, ties away from zero,
    /// padding never counted: PyTorch's `count_include_pad=False`; `network!` runs an average
    /// pool whose padding counts in `f32` instead). Input and output share one quantization.
    fn forward_int8<In: Channels, Out: Channels>(
        &self,
        input: &Tensor<In, i8>,
        output: &mut Tensor<Out, i8>,
        act_min: i8,
        act_max: i8,
    ) where
        Self: Layer<In, Output = Out>;

    /// Pools one channel `input` (a plane of `In`) into one channel `output` (a plane of
    /// `Out`), without clamping: what [`PoolInt8::forward_int8`] does to each channel with
    /// `[-128, 127]`. Inlined into its caller and compiled for the caller's instruction-set
    /// level (a convolution kernel that pools each channel it produces).
    fn pool_plane_int8<In: Channels, Out: Channels>(&self, input: &[i8], output: &mut [i8]);
}

impl<L: PoolWindow + PoolKind> PoolInt8 for L {
    #[inline]
    fn forward_int8<In: Channels, Out: Channels>(
        &self,
        input: &Tensor<In, i8>,
        output: &mut Tensor<Out, i8>,
        act_min: i8,
        act_max: i8,
    ) where
        Self: Layer<In, Output = Out>,
    {
        let (x, y) = (input.as_slice(), output.as_mut_slice());
        match L::AVERAGE {
            None => int8::max_pool::<PoolGeom<L, In, Out>>(x, y, act_min, act_max),
            Some(_) => int8::avg_pool::<PoolGeom<L, In, Out>>(x, y, act_min, act_max),
        }
    }

    #[inline(always)]
    fn pool_plane_int8<In: Channels, Out: Channels>(&self, input: &[i8], output: &mut [i8]) {
        match L::AVERAGE {
            None => int8::max_pool_inline::<PoolGeom<L, In, Out, true>>(input, output, -128, 127),
            Some(_) => int8::avg_pool::<PoolGeom<L, In, Out, true>>(input, output, -128, 127),
        }
    }
}

/// PyTorch's adaptive average pooling (window `[floor(i * H / OH), ceil((i + 1) * H / OH))`) on
/// int8 activations sharing one quantization, each window's raw values averaged as CMSIS-NN's
/// average pooling does (ties away from zero).
#[inline]
pub fn adaptive_avg_pool_int8<In: Channels, Out: Channels>(
    input: &Tensor<In, i8>,
    output: &mut Tensor<Out, i8>,
) {
    let [_, h, w] = In::SPATIAL;
    let [_, oh, ow] = Out::SPATIAL;
    let planes = input.as_slice().chunks_exact(In::PLANE.max(1));
    let outs = output.as_mut_slice().chunks_exact_mut(Out::PLANE.max(1));
    for (x, y) in planes.zip(outs) {
        for (i, row) in y.chunks_exact_mut(ow.max(1)).enumerate() {
            let (h0, h1) = (i * h / oh, ((i + 1) * h).div_ceil(oh));
            for (j, out) in row.iter_mut().enumerate() {
                let (w0, w1) = (j * w / ow, ((j + 1) * w).div_ceil(ow));
                let mut sum = 0i32;
                for r in h0..h1 {
                    if let Some(cells) = x.get(r * w + w0..r * w + w1) {
                        sum += cells.iter().map(|&v| i32::from(v)).sum::<i32>();
                    }
                }
                let count = ((h1 - h0) * (w1 - w0)) as i32;
                *out = int8::clamp_to(int8::pool::rounded_average(sum, count), i8::MIN, i8::MAX);
            }
        }
    }
}

/// `y = a + b` on int8 branches (`params` in the order `a`, `b`).
#[inline]
pub fn add_int8<S: Shape>(
    a: &Tensor<S, i8>,
    b: &Tensor<S, i8>,
    y: &mut Tensor<S, i8>,
    params: &AddParams,
) {
    let s = dims3(S::DIMS);
    int8::add(a.as_slice(), s, b.as_slice(), s, params, y.as_mut_slice());
}

/// `y = y + x` on int8 branches, computing in `y`'s buffer: `y` is operand `y_first` ? 1 : 2
/// of `params`.
#[inline]
pub fn add_assign_int8<S: Shape>(
    y: &mut Tensor<S, i8>,
    x: &Tensor<S, i8>,
    params: &AddParams,
    y_first: bool,
) {
    for (y, &x) in y.as_mut_slice().iter_mut().zip(x.as_slice()) {
        *y = if y_first { params.apply(*y, x) } else { params.apply(x, *y) };
    }
}

/// `y = a * b` on int8 branches, broadcasting (`[C, H, W] * [C, 1, 1]`).
#[inline]
pub fn mul_int8<A: Shape, B: Shape, Y: Shape>(
    a: &Tensor<A, i8>,
    b: &Tensor<B, i8>,
    y: &mut Tensor<Y, i8>,
    params: &MulParams,
) {
    int8::mul(a.as_slice(), dims3(A::DIMS), b.as_slice(), dims3(B::DIMS), params, y.as_mut_slice());
}

/// `y = y * x` on int8 branches in `y`'s buffer, `x` broadcast to `y` (`y` is operand
/// `y_first` ? 1 : 2 of `params`).
#[inline]
pub fn mul_assign_int8<Y: Shape, X: Shape>(
    y: &mut Tensor<Y, i8>,
    x: &Tensor<X, i8>,
    params: &MulParams,
    y_first: bool,
) {
    let [c, h, w] = dims3(Y::DIMS);
    let [xc, xh, xw] = dims3(X::DIMS);
    let xs = x.as_slice();
    for (r, row) in y.as_mut_slice().chunks_exact_mut(w.max(1)).take(c * h).enumerate() {
        let (ci, hi) = (r / h.max(1), r % h.max(1));
        let base = ((if xc == 1 { 0 } else { ci }) * xh + if xh == 1 { 0 } else { hi }) * xw;
        for (k, v) in row.iter_mut().enumerate() {
            let xv = xs.get(base + if xw == 1 { 0 } else { k }).copied().unwrap_or(0);
            *v = if y_first { params.apply(*v, xv) } else { params.apply(xv, *v) };
        }
    }
}

/// Clamps `y` in place: a ReLU/ReLU6/Hardtanh that was not fused into the layer before it.
#[inline]
pub fn clamp_int8<S: Shape>(y: &mut Tensor<S, i8>, act_min: i8, act_max: i8) {
    int8::clamp(y.as_mut_slice(), act_min, act_max);
}

/// Quantizes the network's `f32` input.
#[inline]
pub fn quantize<S: Shape>(x: &Tensor<S>, q: Quantization, y: &mut Tensor<S, i8>) {
    for (y, &x) in y.as_mut_slice().iter_mut().zip(x.as_slice()) {
        *y = q.quantize(x);
    }
}

/// Dequantizes an int8 value to `f32`.
#[inline]
pub fn dequantize<S: Shape>(x: &Tensor<S, i8>, q: Quantization, y: &mut Tensor<S>) {
    for (y, &x) in y.as_mut_slice().iter_mut().zip(x.as_slice()) {
        *y = q.dequantize(x);
    }
}

/// `f32` elements the float fallback of a layer from `In` to `Out` needs: both sides.
#[must_use]
pub const fn fallback_workspace<In: Shape, Out: Shape>() -> usize {
    In::NUMEL + Out::NUMEL
}

/// Runs `layer`, which has no int8 kernel, in `f32`: dequantizes `input` (`q_in`), runs the
/// layer, quantizes its output (`q_out`) into `output`. `work` holds
/// [`fallback_workspace`] floats.
#[inline]
pub fn fallback<L, In: Shape, Out: Shape>(
    layer: &L,
    input: &Tensor<In, i8>,
    q_in: Quantization,
    output: &mut Tensor<Out, i8>,
    q_out: Quantization,
    work: &mut [f32],
) where
    L: Layer<In, Output = Out>,
{
    let (xf, rest) = work.split_at_mut(In::NUMEL.min(work.len()));
    let (Some(xf), Some(yf)) = (
        Tensor::<In>::from_mut_slice(xf),
        rest.get_mut(..Out::NUMEL).and_then(Tensor::<Out>::from_mut_slice),
    ) else {
        return;
    };
    dequantize(input, q_in, xf);
    layer.forward(xf, yf);
    quantize(yf, q_out, output);
}

/// As [`fallback`], for the network's last layer: its `f32` output is the network's output.
/// `work` holds `In::NUMEL` floats.
#[inline]
pub fn fallback_to_float<L, In: Shape, Out: Shape>(
    layer: &L,
    input: &Tensor<In, i8>,
    q_in: Quantization,
    output: &mut Tensor<Out>,
    work: &mut [f32],
) where
    L: Layer<In, Output = Out>,
{
    let Some(xf) = work.get_mut(..In::NUMEL).and_then(Tensor::<In>::from_mut_slice) else {
        return;
    };
    dequantize(input, q_in, xf);
    layer.forward(xf, output);
}

/// Copies `x` into `y` from channel `FIRST` on, rescaled from `x`'s quantization to `y`'s:
/// `zp_out + requantize(q - zp_in, multiplier, shift)`, clamped to `i8` (a branch of an int8
/// `Cat` whose quantization differs from the output's).
#[inline]
pub fn cat_requantize_into<X: Shape, Y: Shape, const FIRST: usize>(
    x: &Tensor<X, i8>,
    y: &mut Tensor<Y, i8>,
    (multiplier, shift): (i32, i32),
    input_zero_point: i32,
    output_zero_point: i32,
) {
    let start = FIRST * (Y::NUMEL / Y::DIMS[0].max(1));
    let Some(dst) = y.as_mut_slice().get_mut(start..start + X::NUMEL) else { return };
    for (d, &q) in dst.iter_mut().zip(x.as_slice()) {
        let scaled = int8::requantize(i32::from(q) - input_zero_point, multiplier, shift);
        *d = int8::clamp_to(scaled + output_zero_point, i8::MIN, i8::MAX);
    }
}
