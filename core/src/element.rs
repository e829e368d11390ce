//! [`Element`]: the numbers a [`Tensor`](crate::tensor::Tensor) can hold: `f32` for float
//! networks, `i8` for the activations and weights of int8 networks, `i32` for their biases and
//! accumulators.

use core::fmt::Debug;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for i8 {}
    impl Sealed for i32 {}
}

/// A number a tensor holds. All-zero bits are its zero, so a tensor of any element can be made
/// zeroed by constant evaluation (`Tensor::zeros` is `const`).
pub trait Element:
    Copy + Default + PartialEq + Debug + Send + Sync + 'static + sealed::Sealed
{
    /// Its zero.
    const ZERO: Self;
    /// Its name in a `.safetensors` header (`F32`, `I8`, `I32`).
    const DTYPE: &'static str;
}

impl Element for f32 {
    const ZERO: Self = 0.0;
    const DTYPE: &'static str = "F32";
}

impl Element for i8 {
    const ZERO: Self = 0;
    const DTYPE: &'static str = "I8";
}

impl Element for i32 {
    const ZERO: Self = 0;
    const DTYPE: &'static str = "I32";
}
