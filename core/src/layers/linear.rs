//! [`Linear`]: `torch.nn.Linear(in_features, out_features, bias)`.

use core::marker::PhantomData;
use core::ops::Mul;
use generic_array::{ArrayLength, GenericArray};
use typenum::{B1, Prod, Unsigned};

use crate::init::Rng;
use crate::kernels::Identity;
use crate::kernels::linear::linear;
use crate::layer::{
    Epilogue, Fusable, InFeaturesMatch, Layer, ParamVisitor, ParamVisitorMut, Parameters,
};
use crate::params::BiasFlag;
use crate::precision::{F32, Int8, Precision, Requantization};
use crate::shape::Vector;
use crate::tensor::Tensor;

/// `torch.nn.Linear(in_features=I, out_features=O, bias=B)` on a [`Vector<I>`].
///
/// ```
/// use staticnn_core::{layer::Layer, layers::Linear, shape::{Shape, Vector}};
/// use typenum::{U10, U64};
///
/// type Out = <Linear<U64, U10> as Layer<Vector<U64>>>::Output;
/// assert_eq!(<Out as Shape>::DIMS, &[10]);
/// ```
///
/// `Q` is the number format ([`F32`], or [`Int8`] with its per-channel requantization).
pub struct Linear<I, O, B = B1, Q = F32>
where
    O: ArrayLength + Mul<I> + Mul<<B as BiasFlag>::PerOutput>,
    B: BiasFlag,
    Q: Precision,
    Prod<O, I>: ArrayLength,
    Prod<O, B::PerOutput>: ArrayLength,
{
    /// `weight`, `[out_features, in_features]`, row-major.
    pub weight: GenericArray<Q::Weight, Prod<O, I>>,
    /// `bias`, `[out_features]` (empty with `bias=False`).
    pub bias: GenericArray<Q::Bias, Prod<O, B::PerOutput>>,
    /// Per output feature: nothing in `f32`, the requantization in int8.
    pub quant: Q::PerChannel<O>,
    marker: PhantomData<(I, O, B)>,
}

impl<I, O, B> Linear<I, O, B>
where
    I: Unsigned,
    O: ArrayLength + Mul<I> + Mul<B::PerOutput>,
    B: BiasFlag,
    Prod<O, I>: ArrayLength,
    Prod<O, B::PerOutput>: ArrayLength,
{
    const DIMS: &'static [usize] = &[O::USIZE, I::USIZE];

    /// A layer from its `weight` and `bias` (empty with `bias=False`); `const`, so trained
    /// weights can be a `static` in read-only memory.
    #[must_use]
    pub const fn from_parts(
        weight: GenericArray<f32, Prod<O, I>>,
        bias: GenericArray<f32, Prod<O, B::PerOutput>>,
    ) -> Self {
        Self { weight, bias, quant: (), marker: PhantomData }
    }

    /// A layer with all weights and biases zero.
    #[must_use]
    pub fn zeros() -> Self {
        Self {
            weight: GenericArray::default(),
            bias: GenericArray::default(),
            quant: (),
            marker: PhantomData,
        }
    }

    /// A layer with PyTorch's default initialisation drawn from a generator seeded with `seed`.
    #[must_use]
    pub fn seeded(seed: u64) -> Self {
        let mut layer = Self::zeros();
        layer.reset_parameters(&mut Rng::seed(seed));
        layer
    }

    fn run<E: Epilogue>(&self, input: &[f32], output: &mut [f32], epilogue: &E) {
        let bias = if B::BIAS { Some(self.bias.as_slice()) } else { None };
        linear(I::USIZE, O::USIZE, input, &self.weight, bias, output, epilogue);
    }
}

impl<I, O, B, N> Layer<Vector<N>> for Linear<I, O, B>
where
    I: Unsigned,
    O: ArrayLength + Mul<I> + Mul<B::PerOutput>,
    B: BiasFlag,
    Prod<O, I>: ArrayLength,
    Prod<O, B::PerOutput>: ArrayLength,
    N: InFeaturesMatch<I> + ArrayLength,
{
    type Output = Vector<O>;

    fn forward(&self, input: &Tensor<Vector<N>>, output: &mut Tensor<Vector<O>>) {
        self.run(input.as_slice(), output.as_mut_slice(), &Identity);
    }
}

impl<I, O, B, N> Fusable<Vector<N>> for Linear<I, O, B>
where
    I: Unsigned,
    O: ArrayLength + Mul<I> + Mul<B::PerOutput>,
    B: BiasFlag,
    Prod<O, I>: ArrayLength,
    Prod<O, B::PerOutput>: ArrayLength,
    N: InFeaturesMatch<I> + ArrayLength,
{
    fn forward_fused<E: Epilogue>(
        &self,
        input: &Tensor<Vector<N>>,
        output: &mut Tensor<Vector<O>>,
        epilogue: &E,
    ) {
        self.run(input.as_slice(), output.as_mut_slice(), epilogue);
    }
}

impl<I, O, B> Default for Linear<I, O, B>
where
    I: Unsigned,
    O: ArrayLength + Mul<I> + Mul<B::PerOutput>,
    B: BiasFlag,
    Prod<O, I>: ArrayLength,
    Prod<O, B::PerOutput>: ArrayLength,
{
    fn default() -> Self {
        Self::zeros()
    }
}

// SAFETY: `weight` and `bias` are arrays of `f32`s and `marker` is zero-sized; all-zero bits
// are `0.0` (what `zeros` gives).
unsafe impl<I, O, B> crate::zeroable::Zeroable for Linear<I, O, B>
where
    O: ArrayLength + Mul<I> + Mul<B::PerOutput>,
    B: BiasFlag,
    Prod<O, I>: ArrayLength,
    Prod<O, B::PerOutput>: ArrayLength,
{
}

impl<I, O, B> Parameters for Linear<I, O, B>
where
    I: Unsigned,
    O: ArrayLength + Mul<I> + Mul<B::PerOutput>,
    B: BiasFlag,
    Prod<O, I>: ArrayLength,
    Prod<O, B::PerOutput>: ArrayLength,
{
    const PARAMS: usize = <Prod<O, I>>::USIZE + <Prod<O, B::PerOutput>>::USIZE;

    fn visit(&self, f: &mut ParamVisitor<'_>) {
        f("weight", Self::DIMS, &self.weight);
        if B::BIAS {
            f("bias", &Self::DIMS[..1], &self.bias);
        }
    }

    fn visit_mut(&mut self, f: &mut ParamVisitorMut<'_>) {
        f("weight", Self::DIMS, &mut self.weight);
        if B::BIAS {
            f("bias", &Self::DIMS[..1], &mut self.bias);
        }
    }

    fn reset_parameters(&mut self, rng: &mut Rng) {
        rng.fill_fan_in_uniform(&mut self.weight, I::USIZE);
        rng.fill_fan_in_uniform(&mut self.bias, I::USIZE);
    }
}

/// The int8 layer: the same features and checks as the `f32` one, integer weights and kernel.
impl<I, O, B> Linear<I, O, B, Int8>
where
    I: Unsigned,
    O: ArrayLength + Mul<I> + Mul<B::PerOutput>,
    B: BiasFlag,
    Prod<O, I>: ArrayLength,
    Prod<O, B::PerOutput>: ArrayLength,
{
    /// A layer from its int8 weights, int32 biases (empty with `bias=False`) and per-feature
    /// requantization; `const`, so trained weights can be a `static` in read-only memory.
    #[must_use]
    pub const fn from_quantized(
        weight: GenericArray<i8, Prod<O, I>>,
        bias: GenericArray<i32, Prod<O, B::PerOutput>>,
        quant: Requantization<O>,
    ) -> Self {
        Self { weight, bias, quant, marker: PhantomData }
    }

    /// Runs the layer on int8 activations; the shapes are those of the `f32` layer
    /// (`Linear<I, O, B>: Layer<Vector<N>>`).
    #[inline]
    pub fn forward_int8<N>(&self, input: &Tensor<Vector<N>, i8>, output: &mut Tensor<Vector<O>, i8>)
    where
        N: ArrayLength,
        Linear<I, O, B>: Layer<Vector<N>, Output = Vector<O>>,
    {
        let bias = if B::BIAS { Some(self.bias.as_slice()) } else { None };
        crate::kernels::int8::linear(
            I::USIZE,
            O::USIZE,
            input.as_slice(),
            &self.weight,
            bias,
            &self.quant.requant(),
            output.as_mut_slice(),
        );
    }
}
