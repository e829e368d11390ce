//! Layers that only change how the elements are indexed, or nothing at inference:
//! [`Flatten`], [`Reshape`], [`Identity`], [`Dropout`].

use core::marker::PhantomData;

use crate::layer::{InPlace, Layer, no_parameters};
use crate::shape::{Shape, Vector};
use crate::tensor::Tensor;

/// `torch.nn.Flatten()`: every dimension of a sample into one vector (PyTorch's default
/// `start_dim=1, end_dim=-1`, the batch dimension being 0).
#[derive(Clone, Copy, Debug, Default)]
pub struct Flatten;

/// Views a sample as another shape with the same number of elements (what `Flatten` with other
/// `start_dim` / `end_dim` and `Unflatten` do); the memory order does not change.
pub struct Reshape<To>(PhantomData<To>);

impl<To> Reshape<To> {
    /// The layer (it has no parameters).
    #[must_use]
    pub const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<To> Default for Reshape<To> {
    fn default() -> Self {
        Self::new()
    }
}

/// `torch.nn.Identity()`: returns its input (also the "no activation" epilogue).
pub use crate::kernels::Identity;

/// `torch.nn.Dropout(p)`: the identity at inference.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dropout {
    /// The training-time drop probability (unused at inference).
    pub p: f32,
}

impl Dropout {
    /// `Dropout(p)`.
    #[must_use]
    pub const fn new(p: f32) -> Self {
        Self { p }
    }
}

impl Default for Dropout {
    fn default() -> Self {
        Self::new(0.5)
    }
}

no_parameters!(Flatten, Reshape<To>, Identity, Dropout);

/// Layers that return their input unchanged at inference.
macro_rules! identity_layers {
    ($($ty:ident),*) => {$(
        impl<S: Shape> Layer<S> for $ty {
            type Output = S;

            fn forward(&self, input: &Tensor<S>, output: &mut Tensor<S>) {
                output.as_mut_slice().copy_from_slice(input.as_slice());
            }
        }

        impl<S: Shape> InPlace<S> for $ty {
            fn forward_in_place(&self, _: &mut Tensor<S>) {}
        }
    )*};
}
identity_layers!(Identity, Dropout);

impl<S: Shape> Layer<S> for Flatten {
    type Output = Vector<S::Len>;

    fn forward(&self, input: &Tensor<S>, output: &mut Tensor<Vector<S::Len>>) {
        output.as_mut_slice().copy_from_slice(input.as_slice());
    }
}

impl<S: Shape, To: Shape<Len = S::Len>> Layer<S> for Reshape<To> {
    type Output = To;

    fn forward(&self, input: &Tensor<S>, output: &mut Tensor<To>) {
        output.as_mut_slice().copy_from_slice(input.as_slice());
    }
}

impl<S: Shape> InPlace<S> for Flatten {
    fn forward_in_place(&self, _: &mut Tensor<S>) {}
}
