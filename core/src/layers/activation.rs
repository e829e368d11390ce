//! Element-wise activation layers: `ReLU`, `ReLU6`, `LeakyReLU`, `Sigmoid`, `Tanh`,
//! `Hardtanh`, `Hardsigmoid`, `Hardswish`, `SiLU`, `GELU`, `ELU`, `Softplus`.
//!
//! Each works on any shape, runs in place, and can be fused into the convolution or linear
//! layer before it (it implements [`Activation`]).

use crate::kernels::activation as f;
use crate::kernels::isa;
use crate::layer::{Activation, InPlace, Layer, no_parameters};
use crate::shape::Shape;
use crate::tensor::Tensor;

/// Declares parameter-free activations: a unit struct per function, `COMMUTES_WITH_MAX` after
/// the ones that commute with max pooling.
macro_rules! unit_activations {
    ($($(#[$doc:meta])* $name:ident => $fun:path $(, $commutes:ident)?;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq)]
        pub struct $name;

        impl Activation for $name {
            $(const $commutes: bool = true;)?

            #[inline(always)]
            fn activate(&self, x: f32) -> f32 {
                $fun(x)
            }
        }
    )*};
}

unit_activations! {
    /// `torch.nn.ReLU()`: `max(0, x)`.
    ReLU => f::relu, COMMUTES_WITH_MAX;
    /// `torch.nn.ReLU6()`: `min(max(0, x), 6)`.
    ReLU6 => f::relu6, COMMUTES_WITH_MAX;
    /// `torch.nn.Sigmoid()`: `1 / (1 + exp(-x))`.
    Sigmoid => f::sigmoid;
    /// `torch.nn.Tanh()`.
    Tanh => f::tanh;
    /// `torch.nn.Hardsigmoid()`: `relu6(x + 3) / 6`.
    Hardsigmoid => f::hardsigmoid;
    /// `torch.nn.Hardswish()`: `x * relu6(x + 3) / 6`.
    Hardswish => f::hardswish;
    /// `torch.nn.SiLU()`: `x * sigmoid(x)`.
    SiLU => f::silu;
}

/// `torch.nn.LeakyReLU(negative_slope=0.01)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LeakyReLU {
    /// The slope for negative inputs.
    pub negative_slope: f32,
}

/// `torch.nn.Hardtanh(min_val=-1.0, max_val=1.0)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hardtanh {
    /// The lower bound.
    pub min_val: f32,
    /// The upper bound.
    pub max_val: f32,
}

/// `torch.nn.GELU(approximate="none" | "tanh")`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct GELU {
    /// `approximate="tanh"`.
    pub tanh: bool,
}

/// `torch.nn.ELU(alpha=1.0)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ELU {
    /// The value `x -> -inf` tends to is `-alpha`.
    pub alpha: f32,
}

/// `torch.nn.Softplus(beta=1.0, threshold=20.0)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Softplus {
    /// The sharpness.
    pub beta: f32,
    /// Above `beta * x > threshold` the function is `x`.
    pub threshold: f32,
}

impl LeakyReLU {
    /// `LeakyReLU(negative_slope)`.
    #[must_use]
    pub const fn new(negative_slope: f32) -> Self {
        Self { negative_slope }
    }
}

impl Hardtanh {
    /// `Hardtanh(min_val, max_val)`.
    #[must_use]
    pub const fn new(min_val: f32, max_val: f32) -> Self {
        Self { min_val, max_val }
    }
}

impl GELU {
    /// `GELU(approximate="tanh")` when `tanh`, else the exact form.
    #[must_use]
    pub const fn new(tanh: bool) -> Self {
        Self { tanh }
    }
}

impl ELU {
    /// `ELU(alpha)`.
    #[must_use]
    pub const fn new(alpha: f32) -> Self {
        Self { alpha }
    }
}

impl Softplus {
    /// `Softplus(beta, threshold)`.
    #[must_use]
    pub const fn new(beta: f32, threshold: f32) -> Self {
        Self { beta, threshold }
    }
}

impl Default for LeakyReLU {
    fn default() -> Self {
        Self::new(0.01)
    }
}

impl Default for Hardtanh {
    fn default() -> Self {
        Self::new(-1.0, 1.0)
    }
}

impl Default for ELU {
    fn default() -> Self {
        Self::new(1.0)
    }
}

impl Default for Softplus {
    fn default() -> Self {
        Self::new(1.0, 20.0)
    }
}

impl Activation for LeakyReLU {
    #[inline(always)]
    fn activate(&self, x: f32) -> f32 {
        f::leaky_relu(x, self.negative_slope)
    }
}

impl Activation for Hardtanh {
    #[inline(always)]
    fn activate(&self, x: f32) -> f32 {
        f::hardtanh(x, self.min_val, self.max_val)
    }
}

impl Activation for GELU {
    #[inline(always)]
    fn activate(&self, x: f32) -> f32 {
        if self.tanh { f::gelu_tanh(x) } else { f::gelu(x) }
    }
}

impl Activation for ELU {
    #[inline(always)]
    fn activate(&self, x: f32) -> f32 {
        f::elu(x, self.alpha)
    }
}

impl Activation for Softplus {
    #[inline(always)]
    fn activate(&self, x: f32) -> f32 {
        f::softplus(x, self.beta, self.threshold)
    }
}

/// Implements [`Layer`], [`InPlace`] and `Parameters` for activations, on every shape.
macro_rules! elementwise_layers {
    ($($ty:ident),*) => {$(
        no_parameters!($ty);

        impl<S: Shape> Layer<S> for $ty {
            type Output = S;

            // Compiled for the active instruction-set level, so the loop is vectorised with
            // the CPU's widest vectors in a default build too.
            fn forward(&self, input: &Tensor<S>, output: &mut Tensor<S>) {
                isa::dispatch!(_I => {
                    for (y, &x) in output.as_mut_slice().iter_mut().zip(input.as_slice()) {
                        *y = self.activate(x);
                    }
                });
            }
        }

        impl<S: Shape> InPlace<S> for $ty {
            fn forward_in_place(&self, x: &mut Tensor<S>) {
                isa::dispatch!(_I => {
                    for v in x.as_mut_slice() {
                        *v = self.activate(*v);
                    }
                });
            }
        }
    )*};
}

elementwise_layers!(
    ReLU,
    ReLU6,
    LeakyReLU,
    Sigmoid,
    Tanh,
    Hardtanh,
    Hardsigmoid,
    Hardswish,
    SiLU,
    GELU,
    ELU,
    Softplus
);
