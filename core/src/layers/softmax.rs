//! [`Softmax`] and [`LogSoftmax`] along one axis of a sample.

use core::marker::PhantomData;
use typenum::Unsigned;

use crate::kernels::norm::softmax;
use crate::layer::{InPlace, Layer, no_parameters};
use crate::shape::Shape;
use crate::tensor::Tensor;

/// `torch.nn.Softmax(dim)`: `exp(x) / sum(exp(x))` along axis `A` of the sample (PyTorch's
/// `dim - 1`: the batch dimension is not part of a sample's shape).
pub struct Softmax<A>(PhantomData<A>);

/// `torch.nn.LogSoftmax(dim)`: `x - log(sum(exp(x)))` along axis `A` of the sample.
pub struct LogSoftmax<A>(PhantomData<A>);

macro_rules! softmax_layer {
    ($ty:ident, $log:literal) => {
        impl<A> $ty<A> {
            /// The layer (it has no parameters).
            #[must_use]
            pub const fn new() -> Self {
                Self(PhantomData)
            }
        }

        impl<A> Default for $ty<A> {
            fn default() -> Self {
                Self::new()
            }
        }

        no_parameters!($ty<A>);

        impl<A: Unsigned, S: Shape> Layer<S> for $ty<A> {
            type Output = S;

            fn forward(&self, input: &Tensor<S>, output: &mut Tensor<S>) {
                output.as_mut_slice().copy_from_slice(input.as_slice());
                self.forward_in_place(output);
            }
        }

        impl<A: Unsigned, S: Shape> InPlace<S> for $ty<A> {
            fn forward_in_place(&self, x: &mut Tensor<S>) {
                let dims = S::DIMS;
                let len = dims.get(A::USIZE).copied().unwrap_or(1);
                let inner: usize = dims.iter().skip(A::USIZE + 1).product();
                softmax(x.as_mut_slice(), len, inner, $log);
            }
        }
    };
}

softmax_layer!(Softmax, false);
softmax_layer!(LogSoftmax, true);
