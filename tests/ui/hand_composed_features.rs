// Composing layer types by hand: a Linear layer fed the wrong number of features.
use staticnn::layer::forward;
use staticnn::layers::{Chain, Flatten, Linear};
use staticnn::shape::Chw;
use staticnn::tensor::Tensor;
use staticnn::typenum::{U4, U10, U100};

fn main() {
    let net = Chain(Flatten, Linear::<U100, U10>::seeded(1));
    let x = Tensor::<Chw<U4, U4, U4>>::zeros();
    let _ = forward(&net, &x);
}
