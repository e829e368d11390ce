//! Convolutions: [`Conv1d`], [`Conv2d`] and [`Conv3d`], one struct [`Conv`] over a spec type.
//!
//! The spec (`Conv2dSpec<..>`) carries the hyper-parameters as types and computes the weight
//! length; the [`Layer`] impls compute the output shape from the input shape with PyTorch's
//! formula and call the shared kernel.

use core::marker::PhantomData;
use core::ops::{Div, Mul, Rem};
use generic_array::{ArrayLength, GenericArray};
use typenum::{B1, Mod, Prod, Quot, U0, U1, Unsigned};

use crate::init::Rng;
use crate::kernels::conv::{ConvGeometry, conv_plane, conv_transpose_plane};
use crate::kernels::conv_tiled;
use crate::kernels::{Identity, PaddingMode};
use crate::layer::{
    DivisibleByGroups, Epilogue, Fusable, InChannelsMatch, Layer, ParamVisitor, ParamVisitorMut,
    Parameters,
};
use crate::layers::pool::PlanePool;
use crate::params::{BiasFlag, PaddingModeKind, Zeros};
use crate::precision::{F32, Int8, Precision, Requantization};
use crate::shape::{Cdhw, Channels, Chw, Cl, Shape};
use crate::tensor::Tensor;
use crate::window::{
    After, AxisPadding, Before, Padding1, Padding2, Padding3, Pair, SlidingOut, TransposedOut,
    Triple,
};

/// The hyper-parameters of a convolution that do not depend on its input size.
pub trait ConvSpec {
    /// `in_channels`.
    type InChannels: Unsigned;
    /// `out_channels`.
    type OutChannels: ArrayLength;
    /// `groups`.
    type Groups: Unsigned;
    /// Number of weights: `out_channels * in_channels / groups * prod(kernel_size)`.
    type WeightLen: ArrayLength;
    /// Number of biases: `out_channels`, or 0 with `bias=False`.
    type BiasLen: ArrayLength;
    /// `kernel_size` as `[depth, height, width]` (1 for absent axes).
    const KERNEL: [usize; 3];
    /// `stride`, same axes.
    const STRIDE: [usize; 3];
    /// `dilation`, same axes.
    const DILATION: [usize; 3];
    /// Padding before the input, same axes (resolved for `"same"`).
    const PAD: [usize; 3];
    /// `padding_mode`.
    const PADDING_MODE: PaddingMode;
    /// The weight's shape in PyTorch: `[out_channels, in_channels / groups, *kernel_size]`.
    const WEIGHT_DIMS: &'static [usize];
    /// The bias's shape in PyTorch: `[out_channels]`.
    const BIAS_DIMS: &'static [usize] = &[<Self::OutChannels as Unsigned>::USIZE];
    /// A transposed convolution (weights `[in, out / groups, *kernel]`)?
    const TRANSPOSED: bool = false;
    /// `fan_in` of PyTorch's default initialisation: the weight's `size(1) * prod(kernel)`.
    const FAN_IN: usize =
        Self::WEIGHT_DIMS[1] * Self::KERNEL[0] * Self::KERNEL[1] * Self::KERNEL[2];
}

/// A convolution layer: weights in PyTorch's layout `[out, in / groups, *kernel]` and the bias,
/// in the number format `Q` ([`F32`], or [`Int8`] with its per-channel requantization).
///
/// Use it through the aliases [`Conv1d`], [`Conv2d`] and [`Conv3d`].
pub struct Conv<S: ConvSpec, Q: Precision = F32> {
    /// `weight`, `[out_channels, in_channels / groups, *kernel_size]`, row-major.
    pub weight: GenericArray<Q::Weight, S::WeightLen>,
    /// `bias`, `[out_channels]` (empty with `bias=False`).
    pub bias: GenericArray<Q::Bias, S::BiasLen>,
    /// Per output channel: nothing in `f32`, the requantization in int8.
    pub quant: Q::PerChannel<S::OutChannels>,
}

/// `torch.nn.Conv2d(in_channels=I, out_channels=O, kernel_size=K, stride=S, padding=P,
/// dilation=D, groups=G, bias=B, padding_mode=M)`; `Q` is the number format ([`F32`] or
/// [`Int8`]).
///
/// `K`, `S`, `D` are a number (`U3`) or a pair `(U3, U5)`; `P` is a number, a pair,
/// [`Same`](crate::window::Same) or [`Valid`](crate::window::Valid); `B` is
/// [`B1`](typenum::B1) or [`B0`](typenum::B0); `M` a [padding mode](crate::params).
///
/// ```
/// use staticnn_core::{layer::Layer, layers::Conv2d, shape::{Chw, Shape}};
/// use typenum::{U1, U2, U3, U5, U32};
///
/// // Conv2d(3, 32, 5, 1, 2) keeps 32 x 32.
/// type Out = <Conv2d<U3, U32, U5, U1, U2> as Layer<Chw<U3, U32, U32>>>::Output;
/// assert_eq!(<Out as Shape>::DIMS, &[32, 32, 32]);
/// ```
pub type Conv2d<I, O, K, S = U1, P = U0, D = U1, G = U1, B = B1, M = Zeros, Q = F32> =
    Conv<Conv2dSpec<I, O, K, S, P, D, G, B, M>, Q>;

/// `torch.nn.Conv1d(in_channels=I, out_channels=O, kernel_size=K, stride=S, padding=P,
/// dilation=D, groups=G, bias=B, padding_mode=M)` on [`Cl<C, L>`] inputs.
pub type Conv1d<I, O, K, S = U1, P = U0, D = U1, G = U1, B = B1, M = Zeros, Q = F32> =
    Conv<Conv1dSpec<I, O, K, S, P, D, G, B, M>, Q>;

/// `torch.nn.Conv3d(in_channels=I, out_channels=O, kernel_size=K, stride=S, padding=P,
/// dilation=D, groups=G, bias=B, padding_mode=M)` on [`Cdhw<C, D, H, W>`] inputs.
pub type Conv3d<I, O, K, S = U1, P = U0, D = U1, G = U1, B = B1, M = Zeros, Q = F32> =
    Conv<Conv3dSpec<I, O, K, S, P, D, G, B, M>, Q>;

/// `torch.nn.ConvTranspose2d(in_channels=I, out_channels=O, kernel_size=K, stride=S,
/// padding=P, output_padding=OP, groups=G, bias=B, dilation=D)`; weights in PyTorch's layout
/// `[in_channels, out_channels / groups, kh, kw]`.
pub type ConvTranspose2d<I, O, K, S = U1, P = U0, OP = U0, G = U1, B = B1, D = U1> =
    Conv<ConvTranspose2dSpec<I, O, K, S, P, OP, G, B, D>>;

/// The hyper-parameters of a [`ConvTranspose2d`].
#[allow(clippy::type_complexity)] // one marker per torch argument
pub struct ConvTranspose2dSpec<I, O, K, S, P, OP, G, B, D>(
    PhantomData<(I, O, K, S, P, OP, G, B, D)>,
);

impl<I, O, K, S, P, OP, G, B, D> ConvSpec for ConvTranspose2dSpec<I, O, K, S, P, OP, G, B, D>
where
    I: Unsigned + Rem<G> + Mul<PerOutput<O, G, Prod<K::H, K::W>>>,
    O: ArrayLength + Div<G> + Rem<G> + Mul<B::PerOutput>,
    G: Unsigned,
    Mod<I, G>: DivisibleByGroups,
    Mod<O, G>: DivisibleByGroups,
    K: Pair,
    K::H: Mul<K::W>,
    Quot<O, G>: Unsigned + Mul<Prod<K::H, K::W>>,
    Prod<I, PerOutput<O, G, Prod<K::H, K::W>>>: ArrayLength,
    Prod<O, B::PerOutput>: ArrayLength,
    S: Pair,
    P: Pair,
    OP: Pair,
    D: Pair,
    B: BiasFlag,
{
    type InChannels = I;
    type OutChannels = O;
    type Groups = G;
    type WeightLen = Prod<I, PerOutput<O, G, Prod<K::H, K::W>>>;
    type BiasLen = Prod<O, B::PerOutput>;
    const KERNEL: [usize; 3] = [1, K::H::USIZE, K::W::USIZE];
    const STRIDE: [usize; 3] = [1, S::H::USIZE, S::W::USIZE];
    const DILATION: [usize; 3] = [1, D::H::USIZE, D::W::USIZE];
    const PAD: [usize; 3] = [0, P::H::USIZE, P::W::USIZE];
    const PADDING_MODE: PaddingMode = PaddingMode::Zeros;
    const WEIGHT_DIMS: &'static [usize] =
        &[I::USIZE, O::USIZE / G::USIZE, K::H::USIZE, K::W::USIZE];
    const TRANSPOSED: bool = true;
}

impl<I, O, K, S, P, OP, G, B, D, C, H, W> Layer<Chw<C, H, W>>
    for Conv<ConvTranspose2dSpec<I, O, K, S, P, OP, G, B, D>>
where
    ConvTranspose2dSpec<I, O, K, S, P, OP, G, B, D>: ConvSpec,
    C: InChannelsMatch<I>,
    K: Pair,
    S: Pair,
    P: Pair,
    OP: Pair,
    D: Pair,
    H: TransposedOut<P::H, K::H, S::H, D::H, OP::H>,
    W: TransposedOut<P::W, K::W, S::W, D::W, OP::W>,
    Chw<C, H, W>: Channels,
    Chw<
        O,
        <H as TransposedOut<P::H, K::H, S::H, D::H, OP::H>>::Output,
        <W as TransposedOut<P::W, K::W, S::W, D::W, OP::W>>::Output,
    >: Channels,
{
    type Output = Chw<
        O,
        <H as TransposedOut<P::H, K::H, S::H, D::H, OP::H>>::Output,
        <W as TransposedOut<P::W, K::W, S::W, D::W, OP::W>>::Output,
    >;

    fn forward(&self, input: &Tensor<Chw<C, H, W>>, output: &mut Tensor<Self::Output>) {
        self.run_on_stack(input, output, &Identity);
    }
}

/// The hyper-parameters of a [`Conv2d`].
#[allow(clippy::type_complexity)] // one marker per torch argument
pub struct Conv2dSpec<I, O, K, S, P, D, G, B, M>(PhantomData<(I, O, K, S, P, D, G, B, M)>);
/// The hyper-parameters of a [`Conv1d`].
#[allow(clippy::type_complexity)] // one marker per torch argument
pub struct Conv1dSpec<I, O, K, S, P, D, G, B, M>(PhantomData<(I, O, K, S, P, D, G, B, M)>);
/// The hyper-parameters of a [`Conv3d`].
#[allow(clippy::type_complexity)] // one marker per torch argument
pub struct Conv3dSpec<I, O, K, S, P, D, G, B, M>(PhantomData<(I, O, K, S, P, D, G, B, M)>);

/// Weights of one output channel for `taps` kernel positions: `in / groups * taps`.
type PerOutput<I, G, Taps> = Prod<Quot<I, G>, Taps>;

impl<I, O, K, S, P, D, G, B, M> ConvSpec for Conv2dSpec<I, O, K, S, P, D, G, B, M>
where
    I: Unsigned + Div<G> + Rem<G>,
    O: ArrayLength + Rem<G> + Mul<PerOutput<I, G, Prod<K::H, K::W>>> + Mul<B::PerOutput>,
    G: Unsigned,
    Mod<I, G>: DivisibleByGroups,
    Mod<O, G>: DivisibleByGroups,
    K: Pair,
    K::H: Mul<K::W>,
    Quot<I, G>: Unsigned + Mul<Prod<K::H, K::W>>,
    Prod<O, PerOutput<I, G, Prod<K::H, K::W>>>: ArrayLength,
    Prod<O, B::PerOutput>: ArrayLength,
    S: Pair,
    D: Pair,
    P: Padding2<K, D>,
    B: BiasFlag,
    M: PaddingModeKind,
{
    type InChannels = I;
    type OutChannels = O;
    type Groups = G;
    type WeightLen = Prod<O, PerOutput<I, G, Prod<K::H, K::W>>>;
    type BiasLen = Prod<O, B::PerOutput>;
    const KERNEL: [usize; 3] = [1, K::H::USIZE, K::W::USIZE];
    const STRIDE: [usize; 3] = [1, S::H::USIZE, S::W::USIZE];
    const DILATION: [usize; 3] = [1, D::H::USIZE, D::W::USIZE];
    const PAD: [usize; 3] = [
        0,
        <Before<P::H, K::H, D::H> as Unsigned>::USIZE,
        <Before<P::W, K::W, D::W> as Unsigned>::USIZE,
    ];
    const PADDING_MODE: PaddingMode = M::MODE;
    const WEIGHT_DIMS: &'static [usize] =
        &[O::USIZE, I::USIZE / G::USIZE, K::H::USIZE, K::W::USIZE];
}

impl<I, O, K, S, P, D, G, B, M> ConvSpec for Conv1dSpec<I, O, K, S, P, D, G, B, M>
where
    I: Unsigned + Div<G> + Rem<G>,
    O: ArrayLength + Rem<G> + Mul<PerOutput<I, G, K>> + Mul<B::PerOutput>,
    G: Unsigned,
    Mod<I, G>: DivisibleByGroups,
    Mod<O, G>: DivisibleByGroups,
    K: Unsigned,
    Quot<I, G>: Unsigned + Mul<K>,
    Prod<O, PerOutput<I, G, K>>: ArrayLength,
    Prod<O, B::PerOutput>: ArrayLength,
    S: Unsigned,
    D: Unsigned,
    P: Padding1<K, D>,
    B: BiasFlag,
    M: PaddingModeKind,
{
    type InChannels = I;
    type OutChannels = O;
    type Groups = G;
    type WeightLen = Prod<O, PerOutput<I, G, K>>;
    type BiasLen = Prod<O, B::PerOutput>;
    const KERNEL: [usize; 3] = [1, 1, K::USIZE];
    const STRIDE: [usize; 3] = [1, 1, S::USIZE];
    const DILATION: [usize; 3] = [1, 1, D::USIZE];
    const PAD: [usize; 3] = [0, 0, <Before<P::L, K, D> as Unsigned>::USIZE];
    const PADDING_MODE: PaddingMode = M::MODE;
    const WEIGHT_DIMS: &'static [usize] = &[O::USIZE, I::USIZE / G::USIZE, K::USIZE];
}

impl<I, O, K, S, P, D, G, B, M> ConvSpec for Conv3dSpec<I, O, K, S, P, D, G, B, M>
where
    I: Unsigned + Div<G> + Rem<G>,
    O: ArrayLength
        + Rem<G>
        + Mul<PerOutput<I, G, Prod<K::D, Prod<K::H, K::W>>>>
        + Mul<B::PerOutput>,
    G: Unsigned,
    Mod<I, G>: DivisibleByGroups,
    Mod<O, G>: DivisibleByGroups,
    K: Triple,
    K::H: Mul<K::W>,
    K::D: Mul<Prod<K::H, K::W>>,
    Quot<I, G>: Unsigned + Mul<Prod<K::D, Prod<K::H, K::W>>>,
    Prod<O, PerOutput<I, G, Prod<K::D, Prod<K::H, K::W>>>>: ArrayLength,
    Prod<O, B::PerOutput>: ArrayLength,
    S: Triple,
    D: Triple,
    P: Padding3<K, D>,
    B: BiasFlag,
    M: PaddingModeKind,
{
    type InChannels = I;
    type OutChannels = O;
    type Groups = G;
    type WeightLen = Prod<O, PerOutput<I, G, Prod<K::D, Prod<K::H, K::W>>>>;
    type BiasLen = Prod<O, B::PerOutput>;
    const KERNEL: [usize; 3] = [K::D::USIZE, K::H::USIZE, K::W::USIZE];
    const STRIDE: [usize; 3] = [S::D::USIZE, S::H::USIZE, S::W::USIZE];
    const DILATION: [usize; 3] = [D::D::USIZE, D::H::USIZE, D::W::USIZE];
    const PAD: [usize; 3] = [
        <Before<P::D, K::D, D::D> as Unsigned>::USIZE,
        <Before<P::H, K::H, D::H> as Unsigned>::USIZE,
        <Before<P::W, K::W, D::W> as Unsigned>::USIZE,
    ];
    const PADDING_MODE: PaddingMode = M::MODE;
    const WEIGHT_DIMS: &'static [usize] =
        &[O::USIZE, I::USIZE / G::USIZE, K::D::USIZE, K::H::USIZE, K::W::USIZE];
}

/// Output length along one axis of a convolution: PyTorch's formula on the resolved padding.
type OutLen<L, A, K, S, D> = <L as SlidingOut<Before<A, K, D>, After<A, K, D>, K, S, D>>::Output;

impl<I, O, K, S, P, D, G, B, M, C, H, W> Layer<Chw<C, H, W>>
    for Conv<Conv2dSpec<I, O, K, S, P, D, G, B, M>>
where
    Conv2dSpec<I, O, K, S, P, D, G, B, M>: ConvSpec,
    C: InChannelsMatch<I>,
    K: Pair,
    S: Pair,
    D: Pair,
    P: Padding2<K, D>,
    P::H: AxisPadding<K::H, D::H>,
    H: SlidingOut<Before<P::H, K::H, D::H>, After<P::H, K::H, D::H>, K::H, S::H, D::H>,
    W: SlidingOut<Before<P::W, K::W, D::W>, After<P::W, K::W, D::W>, K::W, S::W, D::W>,
    Chw<C, H, W>: Channels,
    Chw<O, OutLen<H, P::H, K::H, S::H, D::H>, OutLen<W, P::W, K::W, S::W, D::W>>: Channels,
{
    type Output = Chw<O, OutLen<H, P::H, K::H, S::H, D::H>, OutLen<W, P::W, K::W, S::W, D::W>>;

    fn forward(&self, input: &Tensor<Chw<C, H, W>>, output: &mut Tensor<Self::Output>) {
        self.run_on_stack(input, output, &Identity);
    }
}

impl<I, O, K, S, P, D, G, B, M, C, L> Layer<Cl<C, L>>
    for Conv<Conv1dSpec<I, O, K, S, P, D, G, B, M>>
where
    Conv1dSpec<I, O, K, S, P, D, G, B, M>: ConvSpec,
    C: InChannelsMatch<I>,
    P: Padding1<K, D>,
    L: SlidingOut<Before<P::L, K, D>, After<P::L, K, D>, K, S, D>,
    Cl<C, L>: Channels,
    Cl<O, OutLen<L, P::L, K, S, D>>: Channels,
{
    type Output = Cl<O, OutLen<L, P::L, K, S, D>>;

    fn forward(&self, input: &Tensor<Cl<C, L>>, output: &mut Tensor<Self::Output>) {
        self.run_on_stack(input, output, &Identity);
    }
}

impl<I, O, K, S, P, D, G, B, M, C, Z, H, W> Layer<Cdhw<C, Z, H, W>>
    for Conv<Conv3dSpec<I, O, K, S, P, D, G, B, M>>
where
    Conv3dSpec<I, O, K, S, P, D, G, B, M>: ConvSpec,
    C: InChannelsMatch<I>,
    K: Triple,
    S: Triple,
    D: Triple,
    P: Padding3<K, D>,
    Z: SlidingOut<Before<P::D, K::D, D::D>, After<P::D, K::D, D::D>, K::D, S::D, D::D>,
    H: SlidingOut<Before<P::H, K::H, D::H>, After<P::H, K::H, D::H>, K::H, S::H, D::H>,
    W: SlidingOut<Before<P::W, K::W, D::W>, After<P::W, K::W, D::W>, K::W, S::W, D::W>,
    Cdhw<C, Z, H, W>: Channels,
    Cdhw<
        O,
        OutLen<Z, P::D, K::D, S::D, D::D>,
        OutLen<H, P::H, K::H, S::H, D::H>,
        OutLen<W, P::W, K::W, S::W, D::W>,
    >: Channels,
{
    type Output = Cdhw<
        O,
        OutLen<Z, P::D, K::D, S::D, D::D>,
        OutLen<H, P::H, K::H, S::H, D::H>,
        OutLen<W, P::W, K::W, S::W, D::W>,
    >;

    fn forward(&self, input: &Tensor<Cdhw<C, Z, H, W>>, output: &mut Tensor<Self::Output>) {
        self.run_on_stack(input, output, &Identity);
    }
}

/// The sizes of a convolution from `In` to `Out`, for the kernel.
pub struct ConvGeom<Spec, In, Out>(PhantomData<(Spec, In, Out)>);

impl<Spec: ConvSpec, In: Channels, Out: Channels> ConvGeometry for ConvGeom<Spec, In, Out> {
    const C_IN: usize = Spec::InChannels::USIZE;
    const C_OUT: usize = Spec::OutChannels::USIZE;
    const GROUPS: usize = Spec::Groups::USIZE;
    const IN: [usize; 3] = In::SPATIAL;
    const OUT: [usize; 3] = Out::SPATIAL;
    const KERNEL: [usize; 3] = Spec::KERNEL;
    const STRIDE: [usize; 3] = Spec::STRIDE;
    const DILATION: [usize; 3] = Spec::DILATION;
    const PAD: [usize; 3] = Spec::PAD;
    const PADDING_MODE: PaddingMode = Spec::PADDING_MODE;
}

impl<S: ConvSpec> Conv<S> {
    /// Number of weights.
    pub const WEIGHT_LEN: usize = S::WeightLen::USIZE;
    /// Whether the layer has a bias.
    pub const HAS_BIAS: bool = S::BiasLen::USIZE > 0;

    /// A layer from its `weight` and `bias` (empty with `bias=False`); `const`, so trained
    /// weights can be a `static` in read-only memory.
    #[must_use]
    pub const fn from_parts(
        weight: GenericArray<f32, S::WeightLen>,
        bias: GenericArray<f32, S::BiasLen>,
    ) -> Self {
        Self { weight, bias, quant: () }
    }

    /// A layer with all weights and biases zero.
    #[must_use]
    pub fn zeros() -> Self {
        Self { weight: GenericArray::default(), bias: GenericArray::default(), quant: () }
    }

    /// A layer with PyTorch's default initialisation drawn from a generator seeded with `seed`.
    #[must_use]
    pub fn seeded(seed: u64) -> Self {
        let mut layer = Self::zeros();
        layer.reset_parameters(&mut Rng::seed(seed));
        layer
    }

    /// Computes output channel `oc` into `plane`: bias, then the convolution.
    #[inline(always)]
    fn plane<In: Channels, Out: Channels>(&self, input: &[f32], oc: usize, plane: &mut [f32]) {
        plane.fill(if Self::HAS_BIAS { self.bias.get(oc).copied().unwrap_or(0.0) } else { 0.0 });
        if S::TRANSPOSED {
            conv_transpose_plane::<ConvGeom<S, In, Out>>(input, &self.weight, oc, plane);
            return;
        }
        let per_out = S::WeightLen::USIZE / S::OutChannels::USIZE;
        if let Some(w) = self.weight.get(oc * per_out..(oc + 1) * per_out) {
            conv_plane::<ConvGeom<S, In, Out>>(input, w, oc, plane);
        }
    }

    /// The bias, if the layer has one.
    fn bias(&self) -> Option<&[f32]> {
        if Self::HAS_BIAS { Some(&self.bias) } else { None }
    }

    /// Whether the register-tiled kernel computes this convolution from `In` to `Out`.
    const fn tiled<In: Channels, Out: Channels>() -> bool {
        !S::TRANSPOSED && conv_tiled::supported::<ConvGeom<S, In, Out>>()
    }

    /// Floats of working memory [`Self::forward_with`] needs from `In` to `Out` (the tiled
    /// kernel's input panel).
    #[must_use]
    pub const fn workspace<In: Channels, Out: Channels>() -> usize {
        if Self::tiled::<In, Out>() {
            conv_tiled::workspace_len::<ConvGeom<S, In, Out>>()
        } else {
            0
        }
    }

    /// Floats of working memory [`Self::forward_pooled`] needs from `In` to the convolution's
    /// output `Mid` (a block of output channels and the input panel, or one channel).
    #[must_use]
    pub const fn pooled_workspace<In: Channels, Mid: Channels>() -> usize {
        if Self::tiled::<In, Mid>() {
            conv_tiled::buffered_workspace_len::<ConvGeom<S, In, Mid>>()
        } else {
            Mid::PLANE
        }
    }

    /// Runs the convolution with `epilogue` applied to each output channel, using only
    /// `workspace` ([`Self::workspace`] floats) as working memory: what `network!` calls, with
    /// the workspace planned into the network's scratch buffer.
    #[inline]
    pub fn forward_with<In: Channels, Out: Channels, E: Epilogue>(
        &self,
        input: &Tensor<In>,
        output: &mut Tensor<Out>,
        epilogue: &E,
        workspace: &mut [f32],
    ) where
        Self: Layer<In, Output = Out>,
    {
        self.run(input, output, epilogue, workspace);
    }

    fn run<In: Channels, Out: Channels, E: Epilogue>(
        &self,
        input: &Tensor<In>,
        output: &mut Tensor<Out>,
        epilogue: &E,
        workspace: &mut [f32],
    ) {
        if Self::tiled::<In, Out>() {
            conv_tiled::conv_tiled::<ConvGeom<S, In, Out>>(
                input.as_slice(),
                &self.weight,
                self.bias(),
                output.as_mut_slice(),
                workspace,
                // Inlined into the kernel, compiled for its instruction-set level.
                #[inline(always)]
                |oc, plane| epilogue.finish(oc, plane),
            );
            return;
        }
        let planes = output.as_mut_slice().chunks_exact_mut(Out::PLANE);
        for (oc, plane) in planes.take(S::OutChannels::USIZE).enumerate() {
            self.plane::<In, Out>(input.as_slice(), oc, plane);
            epilogue.finish(oc, plane);
        }
    }

    /// Runs the convolution with a stack buffer for its working memory (hand-composed layers;
    /// `network!` plans it into the scratch buffer instead).
    #[allow(
        clippy::large_stack_arrays,
        reason = "no heap in inference: 80 KiB on a host with wide vectors, 6 KiB without"
    )]
    fn run_on_stack<In: Channels, Out: Channels, E: Epilogue>(
        &self,
        input: &Tensor<In>,
        output: &mut Tensor<Out>,
        epilogue: &E,
    ) {
        if Self::workspace::<In, Out>() == 0 {
            self.run(input, output, epilogue, &mut []);
        } else {
            self.run(input, output, epilogue, &mut [0.0; conv_tiled::PANEL_CAP]);
        }
    }

    /// Runs the convolution, `epilogue`, and then `pool` on each output channel while it is in
    /// cache: the convolution's full-resolution output is never stored (only a block of
    /// channels, in `workspace`: [`Self::pooled_workspace`] floats).
    pub fn forward_pooled<In, Mid, Out, E, P>(
        &self,
        input: &Tensor<In>,
        output: &mut Tensor<Out>,
        epilogue: &E,
        pool: &P,
        workspace: &mut [f32],
    ) where
        In: Channels,
        Mid: Channels,
        Out: Channels,
        Self: Layer<In, Output = Mid>,
        P: Layer<Mid, Output = Out> + PlanePool,
        E: Epilogue,
    {
        let out = output.as_mut_slice();
        // Inlined into the kernel (`identity` only puts the closure where it may carry
        // `#[inline(always)]`), so it is compiled for the kernel's instruction-set level.
        let mut pooled = core::convert::identity(
            #[inline(always)]
            |oc: usize, plane: &mut [f32]| {
                let Some(y) = out.get_mut(oc * Out::PLANE..(oc + 1) * Out::PLANE) else { return };
                if E::COMMUTES_WITH_MAX && P::MAX {
                    // Same values, on fewer of them: activate(max(window)) = max(activate(window)).
                    pool.pool_plane::<Mid, Out>(plane, y);
                    epilogue.finish(oc, y);
                } else {
                    epilogue.finish(oc, plane);
                    pool.pool_plane::<Mid, Out>(plane, y);
                }
            },
        );
        if Self::tiled::<In, Mid>() {
            conv_tiled::conv_tiled_buffered::<ConvGeom<S, In, Mid>>(
                input.as_slice(),
                &self.weight,
                self.bias(),
                workspace,
                pooled,
            );
            return;
        }
        let Some(plane) = workspace.get_mut(..Mid::PLANE) else { return };
        for oc in 0..S::OutChannels::USIZE {
            self.plane::<In, Mid>(input.as_slice(), oc, plane);
            pooled(oc, plane);
        }
    }
}

impl<S: ConvSpec, In: Shape + Channels> Fusable<In> for Conv<S>
where
    Self: Layer<In>,
    <Self as Layer<In>>::Output: Channels,
{
    fn forward_fused<E: Epilogue>(
        &self,
        input: &Tensor<In>,
        output: &mut Tensor<Self::Output>,
        epilogue: &E,
    ) {
        self.run_on_stack(input, output, epilogue);
    }
}

impl<S: ConvSpec> Default for Conv<S> {
    fn default() -> Self {
        Self::zeros()
    }
}

impl<S: ConvSpec> Clone for Conv<S> {
    fn clone(&self) -> Self {
        Self { weight: self.weight.clone(), bias: self.bias.clone(), quant: () }
    }
}

// SAFETY: `weight` and `bias` are arrays of `f32`s; all-zero bits are `0.0` (what `zeros`
// gives).
unsafe impl<S: ConvSpec> crate::zeroable::Zeroable for Conv<S> {}

impl<S: ConvSpec> Parameters for Conv<S> {
    const PARAMS: usize = S::WeightLen::USIZE + S::BiasLen::USIZE;

    fn visit(&self, f: &mut ParamVisitor<'_>) {
        f("weight", S::WEIGHT_DIMS, &self.weight);
        if Self::HAS_BIAS {
            f("bias", S::BIAS_DIMS, &self.bias);
        }
    }

    fn visit_mut(&mut self, f: &mut ParamVisitorMut<'_>) {
        f("weight", S::WEIGHT_DIMS, &mut self.weight);
        if Self::HAS_BIAS {
            f("bias", S::BIAS_DIMS, &mut self.bias);
        }
    }

    fn reset_parameters(&mut self, rng: &mut Rng) {
        rng.fill_fan_in_uniform(&mut self.weight, S::FAN_IN);
        rng.fill_fan_in_uniform(&mut self.bias, S::FAN_IN);
    }
}

/// The int8 layer: the same spec, shapes and geometry as the `f32` one, integer weights and
/// kernels ([`kernels::int8`](crate::kernels::int8)).
impl<S: ConvSpec> Conv<S, Int8> {
    /// A layer from its int8 weights, int32 biases (empty with `bias=False`) and per-channel
    /// requantization; `const`, so trained weights can be a `static` in read-only memory.
    #[must_use]
    pub const fn from_quantized(
        weight: GenericArray<i8, S::WeightLen>,
        bias: GenericArray<i32, S::BiasLen>,
        quant: Requantization<S::OutChannels>,
    ) -> Self {
        Self { weight, bias, quant }
    }

    /// Bytes of working memory [`Self::forward_int8`] needs from `In` to `Out`.
    #[must_use]
    pub const fn workspace_int8<In: Channels, Out: Channels>() -> usize {
        crate::kernels::int8::workspace_len::<ConvGeom<S, In, Out>>()
    }

    /// Bytes of working memory [`Self::forward_int8_pooled`] needs from `In` to `Mid`.
    #[must_use]
    pub const fn pooled_workspace_int8<In: Channels, Mid: Channels>() -> usize {
        crate::kernels::int8::pooled_workspace_len::<ConvGeom<S, In, Mid>>()
    }

    /// Runs the convolution on int8 activations from `In` to `Mid`, then `pool` from `Mid` to
    /// `Out`, each output channel pooled as soon as it is computed
    /// ([`conv_pooled`](crate::kernels::int8::conv_pooled)): the same bits as
    /// [`Self::forward_int8`] then [`PoolInt8::forward_int8`](crate::layers::quantized::PoolInt8)
    /// with `[-128, 127]` (the pool takes the requantized values), without storing `Mid`.
    /// `work` holds [`Self::pooled_workspace_int8`] bytes.
    #[inline]
    pub fn forward_int8_pooled<In, Mid, Out, P>(
        &self,
        input: &Tensor<In, i8>,
        output: &mut Tensor<Out, i8>,
        pool: &P,
        work: &mut [i8],
    ) where
        In: Channels,
        Mid: Channels,
        Out: Channels,
        Conv<S>: Layer<In, Output = Mid>,
        P: Layer<Mid, Output = Out> + crate::layers::quantized::PoolInt8,
    {
        let bias = if S::BiasLen::USIZE > 0 { Some(self.bias.as_slice()) } else { None };
        let out = output.as_mut_slice();
        crate::kernels::int8::conv_pooled::<ConvGeom<S, In, Mid>>(
            input.as_slice(),
            &self.weight,
            bias,
            &self.quant.requant(),
            work,
            // Inlined into the kernel (`identity` only puts the closure where it may carry
            // `#[inline(always)]`), so it is compiled for the kernel's instruction-set level.
            core::convert::identity(
                #[inline(always)]
                |oc: usize, plane: &[i8]| {
                    if let Some(y) = out.get_mut(oc * Out::PLANE..(oc + 1) * Out::PLANE) {
                        pool.pool_plane_int8::<Mid, Out>(plane, y);
                    }
                },
            ),
        );
    }

    /// Runs the convolution on int8 activations from `In` to `Out`, with `work` holding
    /// [`Self::workspace_int8`] bytes. The shapes are those of the `f32` layer of the same spec
    /// (`Conv<S>: Layer<In, Output = Out>`), so every shape rule applies unchanged.
    #[inline]
    pub fn forward_int8<In: Channels, Out: Channels>(
        &self,
        input: &Tensor<In, i8>,
        output: &mut Tensor<Out, i8>,
        work: &mut [i8],
    ) where
        Conv<S>: Layer<In, Output = Out>,
    {
        let bias = if S::BiasLen::USIZE > 0 { Some(self.bias.as_slice()) } else { None };
        crate::kernels::int8::conv::<ConvGeom<S, In, Out>>(
            input.as_slice(),
            &self.weight,
            bias,
            &self.quant.requant(),
            output.as_mut_slice(),
            work,
        );
    }
}
