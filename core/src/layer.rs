//! The traits every layer implements, and the named constraints that carry shape agreement.
//!
//! A layer is a type that implements [`Layer<In>`] for every input shape it accepts; its
//! [`Layer::Output`] shape is computed from `In` by type-level arithmetic with PyTorch's
//! formulas. A shape that does not fit is an unimplemented trait, reported through the
//! constraint traits below with a message about channels, features and windows.

use crate::init::Rng;
use crate::shape::Shape;
use crate::tensor::Tensor;

/// A layer that maps one sample of shape `In` to one sample of shape [`Layer::Output`].
///
/// Implement this for your own types to use them inside `network!` (see the crate docs).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot take an input of shape `{In}`",
    label = "this layer does not accept that input shape",
    note = "the shape types are `Vector<N>`, `Cl<C, L>`, `Chw<C, H, W>` and `Cdhw<C, D, H, W>`; \
            check that the previous layer's output matches what this layer expects"
)]
pub trait Layer<In: Shape> {
    /// The output shape, computed from `In`.
    type Output: Shape;

    /// Runs the layer: reads `input`, overwrites every element of `output`.
    fn forward(&self, input: &Tensor<In>, output: &mut Tensor<Self::Output>);
}

/// Layers whose output has the input's shape and may overwrite it (element-wise activations,
/// inference-time normalisation, dropout). The macro runs these in place, without a buffer.
pub trait InPlace<S: Shape> {
    /// Applies the layer to `x`, replacing its contents.
    fn forward_in_place(&self, x: &mut Tensor<S>);
}

/// An element-wise function applied to each output of a convolution or linear layer as it is
/// written, so an activation costs no extra pass over memory.
pub trait Activation {
    /// Whether [`Activation::activate`] commutes with max pooling: it never decreases (`x <= y`
    /// gives `activate(x) <= activate(y)`, exactly, in `f32`) and maps NaN to NaN. Then a
    /// convolution fused with it and a max pool can pool first and activate the pooled values
    /// only (a quarter of them after a 2 x 2 pool), with the same results.
    const COMMUTES_WITH_MAX: bool = false;

    /// Maps one pre-activation value.
    fn activate(&self, x: f32) -> f32;

    /// Maps every value of `values` in place (an output plane, a whole tensor). `ReLU`
    /// overrides it with explicit vectors at the CPU's instruction-set level.
    #[inline(always)]
    fn activate_in_place(&self, values: &mut [f32]) {
        for v in values {
            *v = self.activate(*v);
        }
    }
}

/// What a convolution or linear layer applies to its outputs while they are still in cache:
/// an activation, a folded inference-time `BatchNorm`, or both, with a residual `Add` between
/// them ([`ResidualEpilogue`](crate::layers::combine::ResidualEpilogue)).
pub trait Epilogue {
    /// Finishes the values of output channel `channel` (a whole plane of a convolution, one
    /// value of a linear layer).
    fn finish(&self, channel: usize, values: &mut [f32]);

    /// Whether [`Epilogue::finish`] commutes with max pooling (see
    /// [`Activation::COMMUTES_WITH_MAX`]).
    const COMMUTES_WITH_MAX: bool = false;

    /// Like [`Epilogue::finish`] on `values[i] * alpha + beta` (a folded batch norm before
    /// this epilogue). Activations override it to do both in one pass over `values`.
    #[inline(always)]
    fn finish_affine(&self, channel: usize, values: &mut [f32], alpha: f32, beta: f32) {
        for v in values.iter_mut() {
            *v = *v * alpha + beta;
        }
        self.finish(channel, values);
    }
}

impl<A: Activation> Epilogue for A {
    const COMMUTES_WITH_MAX: bool = A::COMMUTES_WITH_MAX;

    #[inline(always)]
    fn finish(&self, _: usize, values: &mut [f32]) {
        self.activate_in_place(values);
    }

    #[inline(always)]
    fn finish_affine(&self, _: usize, values: &mut [f32], alpha: f32, beta: f32) {
        for v in values {
            *v = self.activate(*v * alpha + beta);
        }
    }
}

/// Layers that can apply an [`Epilogue`] to their outputs as they produce them.
pub trait Fusable<In: Shape>: Layer<In> {
    /// Like [`Layer::forward`], with `epilogue` applied to every output channel.
    fn forward_fused<E: Epilogue>(
        &self,
        input: &Tensor<In>,
        output: &mut Tensor<Self::Output>,
        epilogue: &E,
    );
}

/// Runs `layer` on `input` and returns the output: a shape mismatch in a hand-composed chain
/// is reported as an unmet [`Layer`] bound naming the disagreement.
///
/// The output is returned by value; on a microcontroller prefer [`Layer::forward`] into a
/// buffer you own.
pub fn forward<In: Shape, L: Layer<In>>(layer: &L, input: &Tensor<In>) -> Tensor<L::Output> {
    let mut output = Tensor::zeros();
    layer.forward(input, &mut output);
    output
}

/// The callback of [`Parameters::visit`]: `(name, PyTorch dims, values)`.
pub type ParamVisitor<'v> = dyn FnMut(&'static str, &'static [usize], &[f32]) + 'v;

/// The callback of [`Parameters::visit_mut`]: `(name, PyTorch dims, values)`.
pub type ParamVisitorMut<'v> = dyn FnMut(&'static str, &'static [usize], &mut [f32]) + 'v;

/// The learnable parameters and buffers of a layer, under their PyTorch `state_dict` names.
pub trait Parameters {
    /// The number of learnable parameters (`sum(p.numel() for p in m.parameters())`).
    const PARAMS: usize;

    /// Calls `f(name, dims, values)` for each tensor of the layer's `state_dict`, in PyTorch's
    /// order (`weight`, `bias`, then buffers such as `running_mean`).
    fn visit(&self, f: &mut ParamVisitor<'_>);

    /// Like [`Parameters::visit`], with mutable access (loading weights).
    fn visit_mut(&mut self, f: &mut ParamVisitorMut<'_>);

    /// Re-initialises the parameters with PyTorch's default distribution for this layer,
    /// drawing from `rng` (deterministic for a given seed).
    fn reset_parameters(&mut self, rng: &mut Rng);
}

/// Implements [`Parameters`] for a layer without parameters or buffers.
macro_rules! no_parameters {
    ($($ty:ident $(<$($g:ident),*>)?),* $(,)?) => {$(
        impl$(<$($g),*>)? $crate::layer::Parameters for $ty$(<$($g),*>)? {
            const PARAMS: usize = 0;
            fn visit(&self, _: &mut $crate::layer::ParamVisitor<'_>) {}
            fn visit_mut(&mut self, _: &mut $crate::layer::ParamVisitorMut<'_>) {}
            fn reset_parameters(&mut self, _: &mut $crate::init::Rng) {}
        }
    )*};
}
pub(crate) use no_parameters;

/// Shape agreement: the channels of a layer's input equal the layer's `in_channels`.
#[diagnostic::on_unimplemented(
    message = "the channels of this layer's input differ from its `in_channels`",
    label = "input channels do not match",
    note = "a convolution's `in_channels` (its first argument) must equal the channel count `C` \
            of its input shape; change one of them",
    note = "typenum writes numbers in binary: `UInt<UInt<UTerm, B1>, B0>` is 0b10 = 2"
)]
pub trait InChannelsMatch<Expected> {}
impl<N> InChannelsMatch<N> for N {}

/// Shape agreement: the length of a vector equals a layer's `in_features`.
#[diagnostic::on_unimplemented(
    message = "the length of this layer's input vector differs from its `in_features`",
    label = "input features do not match",
    note = "`Linear(in_features, out_features)` needs a `Vector<in_features>` input; \
            after a feature map, insert `Flatten` and use C x H x W as `in_features`",
    note = "typenum writes numbers in binary: `UInt<UInt<UTerm, B1>, B0>` is 0b10 = 2"
)]
pub trait InFeaturesMatch<Expected> {}
impl<N> InFeaturesMatch<N> for N {}

/// Shape agreement: a normalisation layer's `num_features` equals its input's channels.
#[diagnostic::on_unimplemented(
    message = "the channels of this layer's input differ from its `num_features`",
    label = "num_features does not match",
    note = "BatchNorm's `num_features` must equal the channel count of its input"
)]
pub trait NumFeaturesMatch<Expected> {}
impl<N> NumFeaturesMatch<N> for N {}

/// Shape agreement: a window (kernel, dilated) fits inside the padded input along one axis.
///
/// Implemented only for [`typenum::B1`], the result of comparing the padded input length with
/// the window; `B0` means the window is larger than the padded input.
#[diagnostic::on_unimplemented(
    message = "the window of this layer is larger than its padded input",
    label = "window does not fit",
    note = "along each axis, `input + 2 * padding` must be at least `dilation * (kernel_size - 1) + 1`; \
            use a smaller kernel, more padding, or a larger input"
)]
pub trait WindowFits {}
impl WindowFits for typenum::B1 {}

/// Shape agreement: `in_channels` and `out_channels` are divisible by `groups`.
#[diagnostic::on_unimplemented(
    message = "`in_channels` or `out_channels` is not divisible by `groups`",
    label = "channels not divisible by groups",
    note = "`in_channels` and `out_channels` of a grouped convolution must be multiples of `groups`"
)]
pub trait DivisibleByGroups {}
impl DivisibleByGroups for typenum::UTerm {}

/// Shape agreement: an output size is at least one.
#[diagnostic::on_unimplemented(
    message = "this layer's output size along one axis is zero",
    label = "output would be empty",
    note = "PyTorch refuses layers whose output has a zero dimension; reduce the stride or the window"
)]
pub trait NonZero {}
impl<U, B> NonZero for typenum::UInt<U, B> {}

/// Shape agreement: a pooling layer's padding is at most half its window, as PyTorch requires.
///
/// Implemented only for [`typenum::B1`], the result of comparing `kernel_size / 2` with the
/// padding.
#[diagnostic::on_unimplemented(
    message = "the padding of this pooling layer is more than half its kernel size",
    label = "padding too large",
    note = "PyTorch requires `padding <= kernel_size / 2` for pooling layers"
)]
pub trait PaddingAtMostHalfWindow {}
impl PaddingAtMostHalfWindow for typenum::B1 {}
