//! Pooling: [`MaxPool2d`], [`AvgPool2d`], [`MaxPool1d`], [`AvgPool1d`].

use core::marker::PhantomData;
use core::ops::Div;
use typenum::{B0, B1, GrEq, IsGreaterOrEqual, Quot, U0, U1, U2, Unsigned};

use crate::kernels::pool::{AvgDivisor, PoolGeometry, adaptive_pool, avg_pool, max_pool};
use crate::layer::{Layer, NonZero, PaddingAtMostHalfWindow, no_parameters};
use crate::params::CeilFlag;
use crate::shape::{Channels, Chw, Cl};
use crate::tensor::Tensor;
use crate::window::{Pair, PoolOut};

/// `torch.nn.MaxPool2d(kernel_size=K, stride=S, padding=P, dilation=D, ceil_mode=Ceil)`.
///
/// `stride` defaults to `kernel_size` as in PyTorch. Each of `K`, `S`, `P`, `D` is a number or
/// a pair; `Ceil` is [`B0`] (`False`) or [`B1`] (`True`).
///
/// ```
/// use staticnn_core::{layer::Layer, layers::MaxPool2d, shape::{Chw, Shape}};
/// use typenum::{U2, U6, U28};
///
/// type Out = <MaxPool2d<U2> as Layer<Chw<U6, U28, U28>>>::Output;
/// assert_eq!(<Out as Shape>::DIMS, &[6, 14, 14]);
/// ```
pub struct MaxPool2d<K, S = K, P = U0, D = U1, Ceil = B0>(PhantomData<(K, S, P, D, Ceil)>);

/// `torch.nn.AvgPool2d(kernel_size=K, stride=S, padding=P, ceil_mode=Ceil,
/// count_include_pad=IncludePad, divisor_override=Divisor)`; `Divisor = U0` means `None`.
pub struct AvgPool2d<K, S = K, P = U0, Ceil = B0, IncludePad = B1, Divisor = U0>(
    PhantomData<(K, S, P, Ceil, IncludePad, Divisor)>,
);

/// `torch.nn.MaxPool1d(kernel_size=K, stride=S, padding=P, dilation=D, ceil_mode=Ceil)`.
pub struct MaxPool1d<K, S = K, P = U0, D = U1, Ceil = B0>(PhantomData<(K, S, P, D, Ceil)>);

/// `torch.nn.AvgPool1d(kernel_size=K, stride=S, padding=P, ceil_mode=Ceil,
/// count_include_pad=IncludePad)`.
pub struct AvgPool1d<K, S = K, P = U0, Ceil = B0, IncludePad = B1>(
    PhantomData<(K, S, P, Ceil, IncludePad)>,
);

macro_rules! zero_sized_layer_impls {
    ($($ty:ident<$($g:ident),*>),*) => {$(
        impl<$($g),*> $ty<$($g),*> {
            /// The layer (it has no parameters).
            #[must_use]
            pub const fn new() -> Self {
                Self(PhantomData)
            }
        }
        impl<$($g),*> Default for $ty<$($g),*> {
            fn default() -> Self {
                Self::new()
            }
        }
        impl<$($g),*> Clone for $ty<$($g),*> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<$($g),*> Copy for $ty<$($g),*> {}
    )*};
}
zero_sized_layer_impls!(
    MaxPool2d<K, S, P, D, Ceil>,
    AvgPool2d<K, S, P, Ceil, IncludePad, Divisor>,
    MaxPool1d<K, S, P, D, Ceil>,
    AvgPool1d<K, S, P, Ceil, IncludePad>
);
no_parameters!(
    MaxPool2d<K, S, P, D, Ceil>,
    AvgPool2d<K, S, P, Ceil, IncludePad, Divisor>,
    MaxPool1d<K, S, P, D, Ceil>,
    AvgPool1d<K, S, P, Ceil, IncludePad>
);

/// The window of a pooling layer, as constants for the kernel.
pub trait PoolWindow {
    /// `kernel_size` as `[depth, height, width]`.
    const KERNEL: [usize; 3];
    /// `stride`, same axes.
    const STRIDE: [usize; 3];
    /// `dilation`, same axes.
    const DILATION: [usize; 3];
    /// `padding`, same axes.
    const PAD: [usize; 3];
}

impl<K: Pair, S: Pair, P: Pair, D: Pair, Ceil> PoolWindow for MaxPool2d<K, S, P, D, Ceil> {
    const KERNEL: [usize; 3] = [1, K::H::USIZE, K::W::USIZE];
    const STRIDE: [usize; 3] = [1, S::H::USIZE, S::W::USIZE];
    const DILATION: [usize; 3] = [1, D::H::USIZE, D::W::USIZE];
    const PAD: [usize; 3] = [0, P::H::USIZE, P::W::USIZE];
}

impl<K: Pair, S: Pair, P: Pair, Ceil, I, V> PoolWindow for AvgPool2d<K, S, P, Ceil, I, V> {
    const KERNEL: [usize; 3] = [1, K::H::USIZE, K::W::USIZE];
    const STRIDE: [usize; 3] = [1, S::H::USIZE, S::W::USIZE];
    const DILATION: [usize; 3] = [1, 1, 1];
    const PAD: [usize; 3] = [0, P::H::USIZE, P::W::USIZE];
}

impl<K: Unsigned, S: Unsigned, P: Unsigned, D: Unsigned, Ceil> PoolWindow
    for MaxPool1d<K, S, P, D, Ceil>
{
    const KERNEL: [usize; 3] = [1, 1, K::USIZE];
    const STRIDE: [usize; 3] = [1, 1, S::USIZE];
    const DILATION: [usize; 3] = [1, 1, D::USIZE];
    const PAD: [usize; 3] = [0, 0, P::USIZE];
}

impl<K: Unsigned, S: Unsigned, P: Unsigned, Ceil, I> PoolWindow for AvgPool1d<K, S, P, Ceil, I> {
    const KERNEL: [usize; 3] = [1, 1, K::USIZE];
    const STRIDE: [usize; 3] = [1, 1, S::USIZE];
    const DILATION: [usize; 3] = [1, 1, 1];
    const PAD: [usize; 3] = [0, 0, P::USIZE];
}

/// The sizes of a pooling layer `L` from `In` to `Out`, for the kernel. With `PLANE`, one
/// channel only (pooling fused after a convolution).
pub struct PoolGeom<L, In, Out, const PLANE: bool = false>(PhantomData<(L, In, Out)>);

impl<L: PoolWindow, In: Channels, Out: Channels, const PLANE: bool> PoolGeometry
    for PoolGeom<L, In, Out, PLANE>
{
    const C: usize = if PLANE { 1 } else { <In::C as Unsigned>::USIZE };
    const IN: [usize; 3] = In::SPATIAL;
    const OUT: [usize; 3] = Out::SPATIAL;
    const KERNEL: [usize; 3] = L::KERNEL;
    const STRIDE: [usize; 3] = L::STRIDE;
    const DILATION: [usize; 3] = L::DILATION;
    const PAD: [usize; 3] = L::PAD;
}

/// Max or average, and the divisor of average pooling.
pub trait PoolKind {
    /// `None` for max pooling; the divisor rule for average pooling.
    const AVERAGE: Option<AvgDivisor>;
}

impl<K, S, P, D, Ceil> PoolKind for MaxPool2d<K, S, P, D, Ceil> {
    const AVERAGE: Option<AvgDivisor> = None;
}

impl<K, S, P, D, Ceil> PoolKind for MaxPool1d<K, S, P, D, Ceil> {
    const AVERAGE: Option<AvgDivisor> = None;
}

impl<K, S, P, Ceil, I: CeilFlag, V: Unsigned> PoolKind for AvgPool2d<K, S, P, Ceil, I, V> {
    const AVERAGE: Option<AvgDivisor> = Some(divisor(I::CEIL, V::USIZE));
}

impl<K, S, P, Ceil, I: CeilFlag> PoolKind for AvgPool1d<K, S, P, Ceil, I> {
    const AVERAGE: Option<AvgDivisor> = Some(divisor(I::CEIL, 0));
}

/// Pools `input` (all channels of `In`) into `output` (`Out`), or one channel when `PLANE`.
#[inline(always)]
fn run<L: PoolWindow + PoolKind, In: Channels, Out: Channels, const PLANE: bool>(
    input: &[f32],
    output: &mut [f32],
) {
    match L::AVERAGE {
        None => max_pool::<PoolGeom<L, In, Out, PLANE>>(input, output),
        Some(divisor) => avg_pool::<PoolGeom<L, In, Out, PLANE>>(input, output, divisor),
    }
}

/// Pooling layers that can pool one channel at a time, right after a convolution produced it.
pub trait PlanePool {
    /// Whether this is a max pool (activations that commute with it can run after it).
    const MAX: bool;

    /// Pools one channel `input` (a plane of `In`) into one channel `output` (a plane of `Out`).
    fn pool_plane<In: Channels, Out: Channels>(&self, input: &[f32], output: &mut [f32]);
}

impl<L: PoolWindow + PoolKind> PlanePool for L {
    const MAX: bool = L::AVERAGE.is_none();

    #[inline(always)]
    fn pool_plane<In: Channels, Out: Channels>(&self, input: &[f32], output: &mut [f32]) {
        run::<L, In, Out, true>(input, output);
    }
}

/// Pooling output length along one axis.
type Out<L, P, K, S, D, Ceil> = <L as PoolOut<P, K, S, D, Ceil>>::Output;
/// `kernel_size / 2 >= padding`, PyTorch's limit on pooling padding.
type HalfWindowFits<K, P> = GrEq<Quot<K, U2>, P>;

impl<K, S, P, D, Ceil, C, H, W> Layer<Chw<C, H, W>> for MaxPool2d<K, S, P, D, Ceil>
where
    K: Pair,
    S: Pair,
    P: Pair,
    D: Pair,
    Ceil: CeilFlag,
    K::H: Div<U2>,
    K::W: Div<U2>,
    Quot<K::H, U2>: IsGreaterOrEqual<P::H>,
    Quot<K::W, U2>: IsGreaterOrEqual<P::W>,
    HalfWindowFits<K::H, P::H>: PaddingAtMostHalfWindow,
    HalfWindowFits<K::W, P::W>: PaddingAtMostHalfWindow,
    H: PoolOut<P::H, K::H, S::H, D::H, Ceil>,
    W: PoolOut<P::W, K::W, S::W, D::W, Ceil>,
    Chw<C, H, W>: Channels,
    Chw<C, Out<H, P::H, K::H, S::H, D::H, Ceil>, Out<W, P::W, K::W, S::W, D::W, Ceil>>: Channels,
{
    type Output =
        Chw<C, Out<H, P::H, K::H, S::H, D::H, Ceil>, Out<W, P::W, K::W, S::W, D::W, Ceil>>;

    fn forward(&self, input: &Tensor<Chw<C, H, W>>, output: &mut Tensor<Self::Output>) {
        run::<Self, Chw<C, H, W>, Self::Output, false>(input.as_slice(), output.as_mut_slice());
    }
}

impl<K, S, P, D, Ceil, C, L> Layer<Cl<C, L>> for MaxPool1d<K, S, P, D, Ceil>
where
    K: Unsigned + Div<U2>,
    S: Unsigned,
    P: Unsigned,
    D: Unsigned,
    Ceil: CeilFlag,
    Quot<K, U2>: IsGreaterOrEqual<P>,
    HalfWindowFits<K, P>: PaddingAtMostHalfWindow,
    L: PoolOut<P, K, S, D, Ceil>,
    Cl<C, L>: Channels,
    Cl<C, Out<L, P, K, S, D, Ceil>>: Channels,
{
    type Output = Cl<C, Out<L, P, K, S, D, Ceil>>;

    fn forward(&self, input: &Tensor<Cl<C, L>>, output: &mut Tensor<Self::Output>) {
        run::<Self, Cl<C, L>, Self::Output, false>(input.as_slice(), output.as_mut_slice());
    }
}

/// The divisor rule of an average pooling layer.
const fn divisor(include_pad: bool, divisor_override: usize) -> AvgDivisor {
    if divisor_override > 0 {
        AvgDivisor::Override(divisor_override)
    } else if include_pad {
        AvgDivisor::IncludePad
    } else {
        AvgDivisor::Valid
    }
}

impl<K, S, P, Ceil, I, V, C, H, W> Layer<Chw<C, H, W>> for AvgPool2d<K, S, P, Ceil, I, V>
where
    K: Pair,
    S: Pair,
    P: Pair,
    Ceil: CeilFlag,
    I: CeilFlag,
    V: Unsigned,
    K::H: Div<U2>,
    K::W: Div<U2>,
    Quot<K::H, U2>: IsGreaterOrEqual<P::H>,
    Quot<K::W, U2>: IsGreaterOrEqual<P::W>,
    HalfWindowFits<K::H, P::H>: PaddingAtMostHalfWindow,
    HalfWindowFits<K::W, P::W>: PaddingAtMostHalfWindow,
    H: PoolOut<P::H, K::H, S::H, U1, Ceil>,
    W: PoolOut<P::W, K::W, S::W, U1, Ceil>,
    Chw<C, H, W>: Channels,
    Chw<C, Out<H, P::H, K::H, S::H, U1, Ceil>, Out<W, P::W, K::W, S::W, U1, Ceil>>: Channels,
{
    type Output = Chw<C, Out<H, P::H, K::H, S::H, U1, Ceil>, Out<W, P::W, K::W, S::W, U1, Ceil>>;

    fn forward(&self, input: &Tensor<Chw<C, H, W>>, output: &mut Tensor<Self::Output>) {
        run::<Self, Chw<C, H, W>, Self::Output, false>(input.as_slice(), output.as_mut_slice());
    }
}

impl<K, S, P, Ceil, I, C, L> Layer<Cl<C, L>> for AvgPool1d<K, S, P, Ceil, I>
where
    K: Unsigned + Div<U2>,
    S: Unsigned,
    P: Unsigned,
    Ceil: CeilFlag,
    I: CeilFlag,
    Quot<K, U2>: IsGreaterOrEqual<P>,
    HalfWindowFits<K, P>: PaddingAtMostHalfWindow,
    L: PoolOut<P, K, S, U1, Ceil>,
    Cl<C, L>: Channels,
    Cl<C, Out<L, P, K, S, U1, Ceil>>: Channels,
{
    type Output = Cl<C, Out<L, P, K, S, U1, Ceil>>;

    fn forward(&self, input: &Tensor<Cl<C, L>>, output: &mut Tensor<Self::Output>) {
        run::<Self, Cl<C, L>, Self::Output, false>(input.as_slice(), output.as_mut_slice());
    }
}

/// `torch.nn.AdaptiveAvgPool2d(output_size=O)`: each output averages its share of the input,
/// `floor(o * in / out) .. ceil((o + 1) * in / out)` along each axis. `O` is a number or a pair.
pub struct AdaptiveAvgPool2d<O>(PhantomData<O>);

/// `torch.nn.AdaptiveMaxPool2d(output_size=O)`: like [`AdaptiveAvgPool2d`], with the maximum.
pub struct AdaptiveMaxPool2d<O>(PhantomData<O>);

zero_sized_layer_impls!(AdaptiveAvgPool2d<O>, AdaptiveMaxPool2d<O>);
no_parameters!(AdaptiveAvgPool2d<O>, AdaptiveMaxPool2d<O>);

macro_rules! adaptive_layer {
    ($ty:ident, $max:literal) => {
        impl<O, C, H, W> Layer<Chw<C, H, W>> for $ty<O>
        where
            O: Pair,
            Chw<C, H, W>: Channels,
            Chw<C, O::H, O::W>: Channels,
            O::H: NonZero,
            O::W: NonZero,
        {
            type Output = Chw<C, O::H, O::W>;

            fn forward(&self, input: &Tensor<Chw<C, H, W>>, output: &mut Tensor<Self::Output>) {
                let planes = input.as_slice().chunks_exact(<Chw<C, H, W> as Channels>::PLANE);
                let outs =
                    output.as_mut_slice().chunks_exact_mut(<Self::Output as Channels>::PLANE);
                let [_, h, w] = <Chw<C, H, W> as Channels>::SPATIAL;
                for (x, y) in planes.zip(outs) {
                    adaptive_pool(x, y, [h, w], [O::H::USIZE, O::W::USIZE], $max);
                }
            }
        }
    };
}
adaptive_layer!(AdaptiveAvgPool2d, false);
adaptive_layer!(AdaptiveMaxPool2d, true);
