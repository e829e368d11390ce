//! Normalisation at inference: [`BatchNorm`] (`BatchNorm1d`, `BatchNorm2d`) and
//! [`InstanceNorm2d`] (one struct, [`ChannelNorm`], over a spec of which tensors exist),
//! [`LayerNorm`], and the [`BatchNormEpilogue`] that fuses a batch norm into the convolution or
//! linear layer before it.

use core::cell::Cell;
use core::marker::PhantomData;
use core::ops::Mul;
use generic_array::{ArrayLength, GenericArray};
use typenum::{B0, B1, Prod, Unsigned};

use crate::init::Rng;
use crate::kernels::norm::{batch_norm_coefficients, moments, normalize};
use crate::layer::{
    Epilogue, InPlace, Layer, NumFeaturesMatch, ParamVisitor, ParamVisitorMut, Parameters,
};
use crate::params::BiasFlag;
use crate::shape::{Channels, Shape, Vector};
use crate::tensor::Tensor;

/// Which tensors a channel-wise normalisation has: `weight` (`affine`), `bias` (`affine` and
/// `bias`), and the running statistics (`track_running_stats`), for `C` channels.
pub trait NormSpec {
    /// The number of channels (`num_features`).
    type Channels: ArrayLength;
    /// Elements of `weight`: `C`, or 0 without `affine`.
    type WeightLen: ArrayLength;
    /// Elements of `bias`: `C`, or 0 without it.
    type BiasLen: ArrayLength;
    /// Elements of `running_mean` and `running_var`: `C`, or 0 without running statistics.
    type StatsLen: ArrayLength;
    /// Whether `weight` exists.
    const WEIGHT: bool;
    /// Whether `bias` exists.
    const BIAS: bool;
    /// Whether the running statistics exist (and are used at inference).
    const STATS: bool;
}

/// The [`NormSpec`] of `C` channels with flags `A` (`affine`), `B` (`bias`), `T`
/// (`track_running_stats`), each [`B1`] or [`B0`].
pub struct Norm<C, A, B, T>(PhantomData<(C, A, B, T)>);

impl<C, A, B, T> NormSpec for Norm<C, A, B, T>
where
    C: ArrayLength + Mul<A::PerOutput> + Mul<B::PerOutput> + Mul<T::PerOutput>,
    A: BiasFlag,
    B: BiasFlag,
    T: BiasFlag,
    Prod<C, A::PerOutput>: ArrayLength,
    Prod<C, B::PerOutput>: ArrayLength,
    Prod<C, T::PerOutput>: ArrayLength,
{
    type Channels = C;
    type WeightLen = Prod<C, A::PerOutput>;
    type BiasLen = Prod<C, B::PerOutput>;
    type StatsLen = Prod<C, T::PerOutput>;
    const WEIGHT: bool = A::BIAS;
    const BIAS: bool = B::BIAS;
    const STATS: bool = T::BIAS;
}

/// Batch norm: every sample is normalised by the running statistics (eval mode).
pub struct Batch;
/// Instance norm: each channel of each sample by its own statistics, unless it tracks running
/// statistics.
pub struct Instance;

/// A channel-wise normalisation at inference (`BatchNorm*d`, `InstanceNorm2d`): the tensors of
/// its `state_dict` and `eps`. Use it through the aliases [`BatchNorm`], [`BatchNorm1d`],
/// [`BatchNorm2d`] and [`InstanceNorm2d`].
pub struct ChannelNorm<S: NormSpec, K> {
    /// `weight` (gamma), `[C]`; empty without `affine`.
    pub weight: GenericArray<f32, S::WeightLen>,
    /// `bias` (beta), `[C]`; empty without `affine` or with `bias=False`.
    pub bias: GenericArray<f32, S::BiasLen>,
    /// `running_mean`, `[C]`; empty without `track_running_stats`.
    pub running_mean: GenericArray<f32, S::StatsLen>,
    /// `running_var`, `[C]`; empty without `track_running_stats`.
    pub running_var: GenericArray<f32, S::StatsLen>,
    /// `eps`.
    pub eps: f32,
    kind: PhantomData<K>,
}

/// `torch.nn.BatchNorm1d` / `BatchNorm2d(num_features=C, eps, affine=A, bias=B)` in eval mode:
/// channel `c` becomes `(x - running_mean[c]) / sqrt(running_var[c] + eps) * weight[c] +
/// bias[c]`. `A` and `B` are [`B1`] or [`B0`]; `B` defaults to `A`.
pub type BatchNorm<C, A = B1, B = A> = ChannelNorm<Norm<C, A, B, B1>, Batch>;
/// `torch.nn.BatchNorm1d`: a [`BatchNorm`] on `[C]` or `[C, L]` samples.
pub type BatchNorm1d<C, A = B1, B = A> = BatchNorm<C, A, B>;
/// `torch.nn.BatchNorm2d`: a [`BatchNorm`] on `[C, H, W]` samples.
pub type BatchNorm2d<C, A = B1, B = A> = BatchNorm<C, A, B>;
/// `torch.nn.InstanceNorm2d(num_features=C, eps, affine=A, track_running_stats=T, bias=B)` in
/// eval mode: each channel of each sample normalised by its own mean and (biased) variance, or
/// by the running statistics when `T` is [`B1`].
pub type InstanceNorm2d<C, A = B0, T = B0, B = A> = ChannelNorm<Norm<C, A, B, T>, Instance>;

impl<S: NormSpec, K> ChannelNorm<S, K> {
    const DIMS: &'static [usize] = &[<S::Channels as Unsigned>::USIZE];

    /// A normalisation from its `state_dict` tensors (empty where absent); `const`, so trained
    /// weights can be a `static` in read-only memory.
    #[must_use]
    pub const fn from_parts(
        weight: GenericArray<f32, S::WeightLen>,
        bias: GenericArray<f32, S::BiasLen>,
        running_mean: GenericArray<f32, S::StatsLen>,
        running_var: GenericArray<f32, S::StatsLen>,
        eps: f32,
    ) -> Self {
        Self { weight, bias, running_mean, running_var, eps, kind: PhantomData }
    }

    /// PyTorch's initial state (`weight` 1, `bias` 0, `running_mean` 0, `running_var` 1) with
    /// the given `eps`.
    #[must_use]
    pub fn new(eps: f32) -> Self {
        let mut norm = Self::from_parts(
            GenericArray::default(),
            GenericArray::default(),
            GenericArray::default(),
            GenericArray::default(),
            eps,
        );
        norm.reset();
        norm
    }

    /// Sets PyTorch's initial state in place, as [`Self::new`] returns it (`weight` 1, `bias`
    /// 0, `running_mean` 0, `running_var` 1, and `eps`), without building a layer on the stack.
    pub fn reset_in_place(&mut self, eps: f32) {
        self.reset();
        self.eps = eps;
    }

    fn reset(&mut self) {
        self.weight.fill(1.0);
        self.bias.fill(0.0);
        self.running_mean.fill(0.0);
        self.running_var.fill(1.0);
    }

    /// The `weight` and `bias` of channel `c` (1 and 0 where absent).
    #[inline(always)]
    fn affine(&self, c: usize) -> (f32, f32) {
        let w = if S::WEIGHT { self.weight.get(c).copied().unwrap_or(1.0) } else { 1.0 };
        let b = if S::BIAS { self.bias.get(c).copied().unwrap_or(0.0) } else { 0.0 };
        (w, b)
    }

    /// The running mean and variance of channel `c`.
    #[inline(always)]
    fn running(&self, c: usize) -> (f32, f32) {
        (
            self.running_mean.get(c).copied().unwrap_or(0.0),
            self.running_var.get(c).copied().unwrap_or(1.0),
        )
    }

    /// The multiply-add `(alpha, beta)` that channel `c` applies with the running statistics:
    /// `x * alpha + beta`.
    #[inline(always)]
    #[must_use]
    pub fn coefficients(&self, c: usize) -> (f32, f32) {
        let (w, b) = self.affine(c);
        let (mean, var) = self.running(c);
        batch_norm_coefficients(w, b, mean, var, self.eps)
    }

    /// Normalises a sample whose channels are consecutive planes of `plane` elements.
    fn apply(&self, values: &mut [f32], plane: usize, per_sample_statistics: bool) {
        if plane == 0 {
            return;
        }
        let channels = values.chunks_exact_mut(plane).take(<S::Channels as Unsigned>::USIZE);
        for (c, channel) in channels.enumerate() {
            if per_sample_statistics {
                let stats = moments(channel);
                let (w, b) = self.affine(c);
                let rstd = 1.0 / libm::sqrtf(stats.var + self.eps);
                for v in channel {
                    *v = stats.center(*v) * rstd * w + b;
                }
            } else {
                let (alpha, beta) = self.coefficients(c);
                for v in channel {
                    *v = *v * alpha + beta;
                }
            }
        }
    }
}

impl<S: NormSpec, K> Default for ChannelNorm<S, K> {
    fn default() -> Self {
        Self::new(1e-5)
    }
}

// SAFETY: four arrays of `f32`s, an `f32` and a zero-sized marker: all-zero bits are valid.
unsafe impl<S: NormSpec, K> crate::zeroable::Zeroable for ChannelNorm<S, K> {}

impl<S: NormSpec, K> Parameters for ChannelNorm<S, K> {
    const PARAMS: usize = <S::WeightLen as Unsigned>::USIZE + <S::BiasLen as Unsigned>::USIZE;

    fn visit(&self, f: &mut ParamVisitor<'_>) {
        if S::WEIGHT {
            f("weight", Self::DIMS, &self.weight);
        }
        if S::BIAS {
            f("bias", Self::DIMS, &self.bias);
        }
        if S::STATS {
            f("running_mean", Self::DIMS, &self.running_mean);
            f("running_var", Self::DIMS, &self.running_var);
        }
    }

    fn visit_mut(&mut self, f: &mut ParamVisitorMut<'_>) {
        if S::WEIGHT {
            f("weight", Self::DIMS, &mut self.weight);
        }
        if S::BIAS {
            f("bias", Self::DIMS, &mut self.bias);
        }
        if S::STATS {
            f("running_mean", Self::DIMS, &mut self.running_mean);
            f("running_var", Self::DIMS, &mut self.running_var);
        }
    }

    fn reset_parameters(&mut self, _: &mut Rng) {
        self.reset();
    }
}

/// Both kinds accept exactly the shapes they can normalise in place (below).
impl<S: NormSpec, K, In> Layer<In> for ChannelNorm<S, K>
where
    Self: InPlace<In>,
    In: Shape,
{
    type Output = In;

    fn forward(&self, input: &Tensor<In>, output: &mut Tensor<In>) {
        output.as_mut_slice().copy_from_slice(input.as_slice());
        self.forward_in_place(output);
    }
}

/// A batch norm on `[C, L]` or `[C, H, W]` samples: one channel per plane.
impl<S: NormSpec, In> InPlace<In> for ChannelNorm<S, Batch>
where
    In: Channels,
    In::C: NumFeaturesMatch<S::Channels>,
{
    fn forward_in_place(&self, x: &mut Tensor<In>) {
        self.apply(x.as_mut_slice(), In::PLANE, false);
    }
}

/// A batch norm on `[C]` samples (`BatchNorm1d` after `Linear`): each feature is a channel.
impl<S: NormSpec, N> InPlace<Vector<N>> for ChannelNorm<S, Batch>
where
    N: ArrayLength + NumFeaturesMatch<S::Channels>,
{
    fn forward_in_place(&self, x: &mut Tensor<Vector<N>>) {
        self.apply(x.as_mut_slice(), 1, false);
    }
}

/// An instance norm on `[C, H, W]` samples.
impl<S: NormSpec, In> InPlace<In> for ChannelNorm<S, Instance>
where
    In: Channels,
    In::C: NumFeaturesMatch<S::Channels>,
{
    fn forward_in_place(&self, x: &mut Tensor<In>) {
        self.apply(x.as_mut_slice(), In::PLANE, !S::STATS);
    }
}

/// A batch norm folded into the layer before it, then an activation: applied to each output
/// channel while it is still in cache, so the batch norm costs no pass over memory.
pub struct BatchNormEpilogue<'a, N, E> {
    norm: &'a N,
    then: &'a E,
    /// The coefficients of the block of channels last asked for (see [`CoefficientBlock`]).
    block: CoefficientBlock,
}

impl<'a, N, E> BatchNormEpilogue<'a, N, E> {
    /// `norm`, then `then` (an activation or [`Identity`](crate::kernels::Identity)).
    #[must_use]
    pub const fn new(norm: &'a N, then: &'a E) -> Self {
        Self { norm, then, block: CoefficientBlock::empty() }
    }
}

/// Channels whose batch-norm coefficients are computed together.
const COEFFICIENT_BLOCK: usize = 16;

/// The multiply-add coefficients of [`COEFFICIENT_BLOCK`] consecutive channels, computed
/// together when a channel outside the block is first asked for. One channel's `sqrt` and
/// division are a chain of about 30 cycles that the convolution's next tile waits for; the
/// block's are one vector `sqrt` and one vector division (on DS-CNN, 576 channels per
/// inference, about 8 % of its time on Zen 5). The same operations on the same values: the
/// coefficients are bit for bit the per-channel ones. x86 only: without vector units
/// (microcontrollers) a block would only add work.
struct CoefficientBlock {
    /// The block's first channel (`usize::MAX` before the first).
    first: Cell<usize>,
    alpha: [Cell<f32>; COEFFICIENT_BLOCK],
    beta: [Cell<f32>; COEFFICIENT_BLOCK],
}

impl CoefficientBlock {
    /// No block yet.
    const fn empty() -> Self {
        Self {
            first: Cell::new(usize::MAX),
            alpha: [const { Cell::new(0.0) }; COEFFICIENT_BLOCK],
            beta: [const { Cell::new(0.0) }; COEFFICIENT_BLOCK],
        }
    }
}

impl<S: NormSpec, E> BatchNormEpilogue<'_, ChannelNorm<S, Batch>, E> {
    /// The coefficients of `channel`: from the block, computed first if it is another one's.
    #[inline(always)]
    fn coefficients(&self, channel: usize) -> (f32, f32) {
        // Without vector units (microcontrollers) the block would only add work.
        if !cfg!(target_arch = "x86_64") {
            return self.norm.coefficients(channel);
        }
        let block = &self.block;
        let first = channel - channel % COEFFICIENT_BLOCK;
        if block.first.get() != first {
            let norm = self.norm;
            for (i, (alpha, beta)) in block.alpha.iter().zip(&block.beta).enumerate() {
                let c = first + i;
                let (w, b) = norm.affine(c);
                let (mean, var) = norm.running(c);
                let (a, b) = batch_norm_coefficients(w, b, mean, var, norm.eps);
                alpha.set(a);
                beta.set(b);
            }
            block.first.set(first);
        }
        let i = channel % COEFFICIENT_BLOCK;
        match (block.alpha.get(i), block.beta.get(i)) {
            (Some(a), Some(b)) => (a.get(), b.get()),
            _ => self.norm.coefficients(channel),
        }
    }
}

impl<S: NormSpec, E: Epilogue> Epilogue for BatchNormEpilogue<'_, ChannelNorm<S, Batch>, E> {
    #[inline(always)]
    fn finish(&self, channel: usize, values: &mut [f32]) {
        let (alpha, beta) = self.coefficients(channel);
        self.then.finish_affine(channel, values, alpha, beta);
    }
}

/// `torch.nn.LayerNorm(normalized_shape, eps, elementwise_affine=A, bias=B)`: normalises each
/// group of the last dimensions given by the shape `N` (e.g. `Vector<U64>` for
/// `normalized_shape=64`, `Chw<..>` for `[C, H, W]`).
pub struct LayerNorm<N, A = B1, B = B1>
where
    N: Shape,
    N::Len: Mul<<A as BiasFlag>::PerOutput> + Mul<<B as BiasFlag>::PerOutput>,
    A: BiasFlag,
    B: BiasFlag,
    Prod<N::Len, A::PerOutput>: ArrayLength,
    Prod<N::Len, B::PerOutput>: ArrayLength,
{
    /// `weight`, shaped like `normalized_shape`; empty without `elementwise_affine`.
    pub weight: GenericArray<f32, Prod<N::Len, A::PerOutput>>,
    /// `bias`, shaped like `normalized_shape`; empty without `bias`.
    pub bias: GenericArray<f32, Prod<N::Len, B::PerOutput>>,
    /// `eps`.
    pub eps: f32,
    shape: PhantomData<N>,
}

impl<N, A, B> LayerNorm<N, A, B>
where
    N: Shape,
    N::Len: Mul<A::PerOutput> + Mul<B::PerOutput>,
    A: BiasFlag,
    B: BiasFlag,
    Prod<N::Len, A::PerOutput>: ArrayLength,
    Prod<N::Len, B::PerOutput>: ArrayLength,
{
    /// A layer norm from its `state_dict` tensors; `const`, so trained weights can be a
    /// `static` in read-only memory.
    #[must_use]
    pub const fn from_parts(
        weight: GenericArray<f32, Prod<N::Len, A::PerOutput>>,
        bias: GenericArray<f32, Prod<N::Len, B::PerOutput>>,
        eps: f32,
    ) -> Self {
        Self { weight, bias, eps, shape: PhantomData }
    }

    /// PyTorch's initial state (`weight` 1, `bias` 0) with the given `eps`.
    #[must_use]
    pub fn new(eps: f32) -> Self {
        let mut ln = Self {
            weight: GenericArray::default(),
            bias: GenericArray::default(),
            eps,
            shape: PhantomData,
        };
        ln.weight.fill(1.0);
        ln
    }

    /// Sets PyTorch's initial state in place, as [`Self::new`] returns it (`weight` 1, `bias`
    /// 0, and `eps`), without building a layer on the stack.
    pub fn reset_in_place(&mut self, eps: f32) {
        self.weight.fill(1.0);
        self.bias.fill(0.0);
        self.eps = eps;
    }
}

// SAFETY: two arrays of `f32`s, an `f32` and a zero-sized marker: all-zero bits are valid.
unsafe impl<N, A, B> crate::zeroable::Zeroable for LayerNorm<N, A, B>
where
    N: Shape,
    N::Len: Mul<A::PerOutput> + Mul<B::PerOutput>,
    A: BiasFlag,
    B: BiasFlag,
    Prod<N::Len, A::PerOutput>: ArrayLength,
    Prod<N::Len, B::PerOutput>: ArrayLength,
{
}

impl<N, A, B> Default for LayerNorm<N, A, B>
where
    N: Shape,
    N::Len: Mul<A::PerOutput> + Mul<B::PerOutput>,
    A: BiasFlag,
    B: BiasFlag,
    Prod<N::Len, A::PerOutput>: ArrayLength,
    Prod<N::Len, B::PerOutput>: ArrayLength,
{
    fn default() -> Self {
        Self::new(1e-5)
    }
}

impl<N, A, B> Parameters for LayerNorm<N, A, B>
where
    N: Shape,
    N::Len: Mul<A::PerOutput> + Mul<B::PerOutput>,
    A: BiasFlag,
    B: BiasFlag,
    Prod<N::Len, A::PerOutput>: ArrayLength,
    Prod<N::Len, B::PerOutput>: ArrayLength,
{
    const PARAMS: usize = <Prod<N::Len, A::PerOutput>>::USIZE + <Prod<N::Len, B::PerOutput>>::USIZE;

    fn visit(&self, f: &mut ParamVisitor<'_>) {
        if A::BIAS {
            f("weight", N::DIMS, &self.weight);
        }
        if B::BIAS {
            f("bias", N::DIMS, &self.bias);
        }
    }

    fn visit_mut(&mut self, f: &mut ParamVisitorMut<'_>) {
        if A::BIAS {
            f("weight", N::DIMS, &mut self.weight);
        }
        if B::BIAS {
            f("bias", N::DIMS, &mut self.bias);
        }
    }

    fn reset_parameters(&mut self, _: &mut Rng) {
        self.weight.fill(1.0);
        self.bias.fill(0.0);
    }
}

impl<N, A, B, S> Layer<S> for LayerNorm<N, A, B>
where
    N: Shape,
    N::Len: Mul<A::PerOutput> + Mul<B::PerOutput>,
    A: BiasFlag,
    B: BiasFlag,
    Prod<N::Len, A::PerOutput>: ArrayLength,
    Prod<N::Len, B::PerOutput>: ArrayLength,
    S: Shape,
{
    type Output = S;

    fn forward(&self, input: &Tensor<S>, output: &mut Tensor<S>) {
        output.as_mut_slice().copy_from_slice(input.as_slice());
        self.forward_in_place(output);
    }
}

impl<N, A, B, S> InPlace<S> for LayerNorm<N, A, B>
where
    N: Shape,
    N::Len: Mul<A::PerOutput> + Mul<B::PerOutput>,
    A: BiasFlag,
    B: BiasFlag,
    Prod<N::Len, A::PerOutput>: ArrayLength,
    Prod<N::Len, B::PerOutput>: ArrayLength,
    S: Shape,
{
    fn forward_in_place(&self, x: &mut Tensor<S>) {
        let weight = if A::BIAS { Some(self.weight.as_slice()) } else { None };
        let bias = if B::BIAS { Some(self.bias.as_slice()) } else { None };
        if N::NUMEL == 0 {
            return;
        }
        for group in x.as_mut_slice().chunks_exact_mut(N::NUMEL) {
            normalize(group, self.eps, weight, bias);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::Identity;
    use typenum::U20;

    #[test]
    fn the_epilogue_applies_each_channels_own_coefficients_in_any_order() {
        let mut norm = BatchNorm2d::<U20>::new(1e-3);
        for c in 0..20 {
            let x = c as f32;
            norm.weight[c] = 0.5 + 0.37 * x;
            norm.bias[c] = 0.1 * x - 1.0;
            norm.running_mean[c] = 0.3 * x - 2.0;
            norm.running_var[c] = 0.05 + 0.21 * x;
        }
        let epilogue = BatchNormEpilogue::new(&norm, &Identity);
        // Across blocks of channels, back and forth, and the same channel twice.
        for c in [0, 1, 15, 16, 19, 3, 17, 17, 0, 18, 2] {
            let mut values = [1.5f32, -2.25, 0.0];
            epilogue.finish(c, &mut values);
            let (alpha, beta) = norm.coefficients(c);
            let want = [1.5f32, -2.25, 0.0].map(|v| v * alpha + beta);
            assert_eq!(values.map(f32::to_bits), want.map(f32::to_bits), "channel {c}");
        }
    }
}
