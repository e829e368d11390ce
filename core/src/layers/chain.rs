//! [`Chain`]: two layers in sequence, for composing layer types by hand.

use crate::init::Rng;
use crate::layer::{Layer, ParamVisitor, ParamVisitorMut, Parameters};
use crate::shape::Shape;
use crate::tensor::Tensor;

/// `A` then `B`, like a two-element `nn.Sequential`. Nest it for longer chains.
///
/// It accepts every input `A` accepts whose output `B` accepts, so a shape mismatch between
/// the two is a compile error naming the disagreement (channels, features, window size).
/// The intermediate activation lives on the stack; `network!` plans memory better.
///
/// ```
/// use staticnn_core::layers::{Chain, Conv2d, Flatten, Linear, MaxPool2d, ReLU};
/// use staticnn_core::{layer::Layer, shape::Chw, tensor::Tensor};
/// use typenum::{U1, U2, U4, U8, U10, U32, U3};
///
/// // Conv2d(1, 2, 3) -> ReLU -> MaxPool2d(2) -> Flatten -> Linear(32, 10) on 1 x 10 x 10.
/// let net = Chain(
///     Chain(Conv2d::<U1, U2, U3>::seeded(1), ReLU),
///     Chain(Chain(MaxPool2d::<U2>::new(), Flatten), Linear::<U32, U10>::seeded(2)),
/// );
/// let x = Tensor::<Chw<U1, U10, U10>>::from_fn(|i| i as f32 / 100.0);
/// let mut y = Tensor::zeros();
/// net.forward(&x, &mut y);
/// assert_eq!(y.as_slice().len(), 10);
/// # let _: (U4, U8);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Chain<A, B>(pub A, pub B);

impl<In: Shape, A: Layer<In>, B: Layer<A::Output>> Layer<In> for Chain<A, B> {
    type Output = B::Output;

    fn forward(&self, input: &Tensor<In>, output: &mut Tensor<B::Output>) {
        let mut middle = Tensor::<A::Output>::zeros();
        self.0.forward(input, &mut middle);
        self.1.forward(&middle, output);
    }
}

impl<A: Parameters, B: Parameters> Parameters for Chain<A, B> {
    const PARAMS: usize = A::PARAMS + B::PARAMS;

    fn visit(&self, f: &mut ParamVisitor<'_>) {
        self.0.visit(f);
        self.1.visit(f);
    }

    fn visit_mut(&mut self, f: &mut ParamVisitorMut<'_>) {
        self.0.visit_mut(f);
        self.1.visit_mut(f);
    }

    fn reset_parameters(&mut self, rng: &mut Rng) {
        self.0.reset_parameters(rng);
        self.1.reset_parameters(rng);
    }
}
