//! Normalisation at inference: [`BatchNorm`] (`BatchNorm1d`, `BatchNorm2d`), [`LayerNorm`],
//! [`InstanceNorm2d`], and the [`BatchNormEpilogue`] that fuses a batch norm into the
//! convolution or linear layer before it.

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
use crate::shape::{Channels, Chw, Shape, Vector};
use crate::tensor::Tensor;

/// `torch.nn.BatchNorm1d(num_features=C)` / `torch.nn.BatchNorm2d(num_features=C)` in eval
/// mode: each channel `c` becomes `(x - running_mean[c]) / sqrt(running_var[c] + eps) *
/// weight[c] + bias[c]`. `A` is `affine` ([`B1`] or [`B0`]).
pub struct BatchNorm<C, A = B1>
where
    C: ArrayLength + Mul<<A as BiasFlag>::PerOutput>,
    A: BiasFlag,
    Prod<C, A::PerOutput>: ArrayLength,
{
    /// `weight` (gamma), `[C]`; empty without `affine`.
    pub weight: GenericArray<f32, Prod<C, A::PerOutput>>,
    /// `bias` (beta), `[C]`; empty without `affine`.
    pub bias: GenericArray<f32, Prod<C, A::PerOutput>>,
    /// `running_mean`, `[C]`.
    pub running_mean: GenericArray<f32, C>,
    /// `running_var`, `[C]`.
    pub running_var: GenericArray<f32, C>,
    /// `eps`.
    pub eps: f32,
}

/// `torch.nn.BatchNorm1d`: a [`BatchNorm`] on `[C]` or `[C, L]` samples.
pub type BatchNorm1d<C, A = B1> = BatchNorm<C, A>;
/// `torch.nn.BatchNorm2d`: a [`BatchNorm`] on `[C, H, W]` samples.
pub type BatchNorm2d<C, A = B1> = BatchNorm<C, A>;

impl<C, A> BatchNorm<C, A>
where
    C: ArrayLength + Mul<A::PerOutput>,
    A: BiasFlag,
    Prod<C, A::PerOutput>: ArrayLength,
{
    const DIMS: &'static [usize] = &[C::USIZE];

    /// A batch norm from its `state_dict` tensors (`weight` and `bias` empty without
    /// `affine`); `const`, so trained weights can be a `static` in read-only memory.
    #[must_use]
    pub const fn from_parts(
        weight: GenericArray<f32, Prod<C, A::PerOutput>>,
        bias: GenericArray<f32, Prod<C, A::PerOutput>>,
        running_mean: GenericArray<f32, C>,
        running_var: GenericArray<f32, C>,
        eps: f32,
    ) -> Self {
        Self { weight, bias, running_mean, running_var, eps }
    }

    /// PyTorch's initial state (`weight` 1, `bias` 0, `running_mean` 0, `running_var` 1) with
    /// the given `eps`.
    #[must_use]
    pub fn new(eps: f32) -> Self {
        let mut bn = Self {
            weight: GenericArray::default(),
            bias: GenericArray::default(),
            running_mean: GenericArray::default(),
            running_var: GenericArray::default(),
            eps,
        };
        bn.reset();
        bn
    }

    fn reset(&mut self) {
        self.weight.fill(1.0);
        self.bias.fill(0.0);
        self.running_mean.fill(0.0);
        self.running_var.fill(1.0);
    }

    /// The multiply-add `(alpha, beta)` that channel `c` applies: `x * alpha + beta`.
    #[inline(always)]
    #[must_use]
    pub fn coefficients(&self, c: usize) -> (f32, f32) {
        let (w, b) = if A::BIAS {
            (self.weight.get(c).copied().unwrap_or(1.0), self.bias.get(c).copied().unwrap_or(0.0))
        } else {
            (1.0, 0.0)
        };
        let mean = self.running_mean.get(c).copied().unwrap_or(0.0);
        let var = self.running_var.get(c).copied().unwrap_or(1.0);
        batch_norm_coefficients(w, b, mean, var, self.eps)
    }

    /// Normalises a sample whose channels are consecutive planes of `plane` elements.
    fn apply(&self, values: &mut [f32], plane: usize) {
        if plane == 0 {
            return;
        }
        for (c, channel) in values.chunks_exact_mut(plane).take(C::USIZE).enumerate() {
            let (alpha, beta) = self.coefficients(c);
            for v in channel {
                *v = *v * alpha + beta;
            }
        }
    }
}

impl<C, A> Default for BatchNorm<C, A>
where
    C: ArrayLength + Mul<A::PerOutput>,
    A: BiasFlag,
    Prod<C, A::PerOutput>: ArrayLength,
{
    fn default() -> Self {
        Self::new(1e-5)
    }
}

impl<C, A> Parameters for BatchNorm<C, A>
where
    C: ArrayLength + Mul<A::PerOutput>,
    A: BiasFlag,
    Prod<C, A::PerOutput>: ArrayLength,
{
    const PARAMS: usize = 2 * <Prod<C, A::PerOutput>>::USIZE;

    fn visit(&self, f: &mut ParamVisitor<'_>) {
        if A::BIAS {
            f("weight", Self::DIMS, &self.weight);
            f("bias", Self::DIMS, &self.bias);
        }
        f("running_mean", Self::DIMS, &self.running_mean);
        f("running_var", Self::DIMS, &self.running_var);
    }

    fn visit_mut(&mut self, f: &mut ParamVisitorMut<'_>) {
        if A::BIAS {
            f("weight", Self::DIMS, &mut self.weight);
            f("bias", Self::DIMS, &mut self.bias);
        }
        f("running_mean", Self::DIMS, &mut self.running_mean);
        f("running_var", Self::DIMS, &mut self.running_var);
    }

    fn reset_parameters(&mut self, _: &mut Rng) {
        self.reset();
    }
}

impl<C, A, S> Layer<S> for BatchNorm<C, A>
where
    C: ArrayLength + Mul<A::PerOutput>,
    A: BiasFlag,
    Prod<C, A::PerOutput>: ArrayLength,
    S: Channels,
    S::C: NumFeaturesMatch<C>,
{
    type Output = S;

    fn forward(&self, input: &Tensor<S>, output: &mut Tensor<S>) {
        output.as_mut_slice().copy_from_slice(input.as_slice());
        self.forward_in_place(output);
    }
}

impl<C, A, S> InPlace<S> for BatchNorm<C, A>
where
    C: ArrayLength + Mul<A::PerOutput>,
    A: BiasFlag,
    Prod<C, A::PerOutput>: ArrayLength,
    S: Channels,
    S::C: NumFeaturesMatch<C>,
{
    fn forward_in_place(&self, x: &mut Tensor<S>) {
        self.apply(x.as_mut_slice(), S::PLANE);
    }
}

impl<C, A, N> Layer<Vector<N>> for BatchNorm<C, A>
where
    C: ArrayLength + Mul<A::PerOutput>,
    A: BiasFlag,
    Prod<C, A::PerOutput>: ArrayLength,
    N: ArrayLength + NumFeaturesMatch<C>,
{
    type Output = Vector<N>;

    fn forward(&self, input: &Tensor<Vector<N>>, output: &mut Tensor<Vector<N>>) {
        output.as_mut_slice().copy_from_slice(input.as_slice());
        self.forward_in_place(output);
    }
}

impl<C, A, N> InPlace<Vector<N>> for BatchNorm<C, A>
where
    C: ArrayLength + Mul<A::PerOutput>,
    A: BiasFlag,
    Prod<C, A::PerOutput>: ArrayLength,
    N: ArrayLength + NumFeaturesMatch<C>,
{
    fn forward_in_place(&self, x: &mut Tensor<Vector<N>>) {
        self.apply(x.as_mut_slice(), 1);
    }
}

/// A batch norm folded into the layer before it, then an activation: applied to each output
/// channel while it is still in cache, so the batch norm costs no pass over memory.
pub struct BatchNormEpilogue<'a, N, E> {
    norm: &'a N,
    then: &'a E,
}

impl<'a, N, E> BatchNormEpilogue<'a, N, E> {
    /// `norm`, then `then` (an activation or [`Identity`](crate::kernels::Identity)).
    #[must_use]
    pub const fn new(norm: &'a N, then: &'a E) -> Self {
        Self { norm, then }
    }
}

impl<C, A, E> Epilogue for BatchNormEpilogue<'_, BatchNorm<C, A>, E>
where
    C: ArrayLength + Mul<A::PerOutput>,
    A: BiasFlag,
    Prod<C, A::PerOutput>: ArrayLength,
    E: Epilogue,
{
    #[inline(always)]
    fn finish(&self, channel: usize, values: &mut [f32]) {
        let (alpha, beta) = self.norm.coefficients(channel);
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

/// `torch.nn.InstanceNorm2d(num_features=C, eps, affine=A, track_running_stats=T)` in eval
/// mode: each channel of each sample is normalised by its own mean and variance, or by the
/// running statistics when `T` is [`B1`].
pub struct InstanceNorm2d<C, A = B0, T = B0>
where
    C: Mul<<A as BiasFlag>::PerOutput> + Mul<<T as BiasFlag>::PerOutput>,
    A: BiasFlag,
    T: BiasFlag,
    Prod<C, A::PerOutput>: ArrayLength,
    Prod<C, T::PerOutput>: ArrayLength,
{
    /// `weight`, `[C]`; empty without `affine`.
    pub weight: GenericArray<f32, Prod<C, A::PerOutput>>,
    /// `bias`, `[C]`; empty without `affine`.
    pub bias: GenericArray<f32, Prod<C, A::PerOutput>>,
    /// `running_mean`, `[C]`; empty without `track_running_stats`.
    pub running_mean: GenericArray<f32, Prod<C, T::PerOutput>>,
    /// `running_var`, `[C]`; empty without `track_running_stats`.
    pub running_var: GenericArray<f32, Prod<C, T::PerOutput>>,
    /// `eps`.
    pub eps: f32,
}

impl<C, A, T> InstanceNorm2d<C, A, T>
where
    C: Unsigned + Mul<A::PerOutput> + Mul<T::PerOutput>,
    A: BiasFlag,
    T: BiasFlag,
    Prod<C, A::PerOutput>: ArrayLength,
    Prod<C, T::PerOutput>: ArrayLength,
{
    const DIMS: &'static [usize] = &[C::USIZE];

    /// An instance norm from its `state_dict` tensors; `const`, so trained weights can be a
    /// `static` in read-only memory.
    #[must_use]
    pub const fn from_parts(
        weight: GenericArray<f32, Prod<C, A::PerOutput>>,
        bias: GenericArray<f32, Prod<C, A::PerOutput>>,
        running_mean: GenericArray<f32, Prod<C, T::PerOutput>>,
        running_var: GenericArray<f32, Prod<C, T::PerOutput>>,
        eps: f32,
    ) -> Self {
        Self { weight, bias, running_mean, running_var, eps }
    }

    /// PyTorch's initial state with the given `eps`.
    #[must_use]
    pub fn new(eps: f32) -> Self {
        let mut norm = Self {
            weight: GenericArray::default(),
            bias: GenericArray::default(),
            running_mean: GenericArray::default(),
            running_var: GenericArray::default(),
            eps,
        };
        norm.reset();
        norm
    }

    fn reset(&mut self) {
        self.weight.fill(1.0);
        self.bias.fill(0.0);
        self.running_mean.fill(0.0);
        self.running_var.fill(1.0);
    }
}

impl<C, A, T> Default for InstanceNorm2d<C, A, T>
where
    C: Unsigned + Mul<A::PerOutput> + Mul<T::PerOutput>,
    A: BiasFlag,
    T: BiasFlag,
    Prod<C, A::PerOutput>: ArrayLength,
    Prod<C, T::PerOutput>: ArrayLength,
{
    fn default() -> Self {
        Self::new(1e-5)
    }
}

impl<C, A, T> Parameters for InstanceNorm2d<C, A, T>
where
    C: Unsigned + Mul<A::PerOutput> + Mul<T::PerOutput>,
    A: BiasFlag,
    T: BiasFlag,
    Prod<C, A::PerOutput>: ArrayLength,
    Prod<C, T::PerOutput>: ArrayLength,
{
    const PARAMS: usize = 2 * <Prod<C, A::PerOutput>>::USIZE;

    fn visit(&self, f: &mut ParamVisitor<'_>) {
        if A::BIAS {
            f("weight", Self::DIMS, &self.weight);
            f("bias", Self::DIMS, &self.bias);
        }
        if T::BIAS {
            f("running_mean", Self::DIMS, &self.running_mean);
            f("running_var", Self::DIMS, &self.running_var);
        }
    }

    fn visit_mut(&mut self, f: &mut ParamVisitorMut<'_>) {
        if A::BIAS {
            f("weight", Self::DIMS, &mut self.weight);
            f("bias", Self::DIMS, &mut self.bias);
        }
        if T::BIAS {
            f("running_mean", Self::DIMS, &mut self.running_mean);
            f("running_var", Self::DIMS, &mut self.running_var);
        }
    }

    fn reset_parameters(&mut self, _: &mut Rng) {
        self.reset();
    }
}

impl<C, A, T, N, H, W> Layer<Chw<N, H, W>> for InstanceNorm2d<C, A, T>
where
    C: Unsigned + Mul<A::PerOutput> + Mul<T::PerOutput>,
    A: BiasFlag,
    T: BiasFlag,
    Prod<C, A::PerOutput>: ArrayLength,
    Prod<C, T::PerOutput>: ArrayLength,
    N: NumFeaturesMatch<C>,
    Chw<N, H, W>: Channels,
{
    type Output = Chw<N, H, W>;

    fn forward(&self, input: &Tensor<Chw<N, H, W>>, output: &mut Tensor<Chw<N, H, W>>) {
        output.as_mut_slice().copy_from_slice(input.as_slice());
        self.forward_in_place(output);
    }
}

impl<C, A, T, N, H, W> InPlace<Chw<N, H, W>> for InstanceNorm2d<C, A, T>
where
    C: Unsigned + Mul<A::PerOutput> + Mul<T::PerOutput>,
    A: BiasFlag,
    T: BiasFlag,
    Prod<C, A::PerOutput>: ArrayLength,
    Prod<C, T::PerOutput>: ArrayLength,
    N: NumFeaturesMatch<C>,
    Chw<N, H, W>: Channels,
{
    fn forward_in_place(&self, x: &mut Tensor<Chw<N, H, W>>) {
        let plane = <Chw<N, H, W> as Channels>::PLANE;
        if plane == 0 {
            return;
        }
        for (c, channel) in x.as_mut_slice().chunks_exact_mut(plane).enumerate() {
            let (mean, var) = if T::BIAS {
                (
                    self.running_mean.get(c).copied().unwrap_or(0.0),
                    self.running_var.get(c).copied().unwrap_or(1.0),
                )
            } else {
                moments(channel)
            };
            let (w, b) = if A::BIAS {
                (
                    self.weight.get(c).copied().unwrap_or(1.0),
                    self.bias.get(c).copied().unwrap_or(0.0),
                )
            } else {
                (1.0, 0.0)
            };
            let rstd = 1.0 / libm::sqrtf(var + self.eps);
            for v in channel {
                *v = (*v - mean) * rstd * w + b;
            }
        }
    }
}
