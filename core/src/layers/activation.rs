//! Element-wise activation layers.

use crate::kernels::activation::relu;
use crate::layer::{Activation, InPlace, Layer, no_parameters};
use crate::shape::Shape;
use crate::tensor::Tensor;

/// `torch.nn.ReLU()`: `max(0, x)` element-wise, any shape.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReLU;

no_parameters!(ReLU);

impl Activation for ReLU {
    #[inline(always)]
    fn activate(&self, x: f32) -> f32 {
        relu(x)
    }
}

/// Implements [`Layer`] and [`InPlace`] for an [`Activation`] on every shape.
macro_rules! elementwise_layer {
    ($($ty:ty),*) => {$(
        impl<S: Shape> Layer<S> for $ty {
            type Output = S;

            fn forward(&self, input: &Tensor<S>, output: &mut Tensor<S>) {
                for (y, &x) in output.as_mut_slice().iter_mut().zip(input.as_slice()) {
                    *y = self.activate(x);
                }
            }
        }

        impl<S: Shape> InPlace<S> for $ty {
            fn forward_in_place(&self, x: &mut Tensor<S>) {
                for v in x.as_mut_slice() {
                    *v = self.activate(*v);
                }
            }
        }
    )*};
}

elementwise_layer!(ReLU);
