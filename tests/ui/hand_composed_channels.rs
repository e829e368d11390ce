// Composing layer types by hand, without the macro: a channel mismatch is a type error that
// talks about channels.
use staticnn::layer::forward;
use staticnn::layers::{Chain, Conv2d};
use staticnn::shape::Chw;
use staticnn::tensor::Tensor;
use staticnn::typenum::{U3, U5, U6, U16, U32};

fn main() {
    let net = Chain(Conv2d::<U3, U6, U5>::seeded(1), Conv2d::<U5, U16, U5>::seeded(2));
    let x = Tensor::<Chw<U3, U32, U32>>::zeros();
    let _ = forward(&net, &x);
}
