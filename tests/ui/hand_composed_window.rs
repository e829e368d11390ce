// Composing layer types by hand: a pooling window larger than its input is a type error.
use staticnn::layer::Layer;
use staticnn::layers::MaxPool2d;
use staticnn::shape::Chw;
use staticnn::typenum::{U3, U4, U7};

type Out = <MaxPool2d<U7> as Layer<Chw<U3, U4, U4>>>::Output;

fn main() {
    let _ = core::mem::size_of::<Out>();
}
