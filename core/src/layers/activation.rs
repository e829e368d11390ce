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

/// `torch.nn.ReLU()`: `max(0, x)`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ReLU;

impl Activation for ReLU {
    const COMMUTES_WITH_MAX: bool = true;

    #[inline(always)]
    fn activate(&self, x: f32) -> f32 {
        f::relu(x)
    }

    #[inline(always)]
    fn activate_in_place(&self, values: &mut [f32]) {
        // Fewer values than the widest vector (a linear layer finishes one output at a time):
        // no vectors to gain, and no level to look up per value.
        if values.len() < 16 {
            for v in values {
                *v = f::relu(*v);
            }
            return;
        }
        isa::dispatch!(I => f::relu_in_place::<<I as isa::Isa>::Wide>(values));
    }
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
                isa::dispatch!(_I => self.activate_in_place(x.as_mut_slice()));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::isa;
    use crate::layer::Epilogue;

    /// At every instruction-set level, ReLU in place (a layer, and a convolution's epilogue)
    /// gives `relu` bit for bit: NaN stays NaN, -0.0 stays -0.0, on lengths that leave a
    /// partial vector.
    #[test]
    fn relu_in_place_is_the_scalar_relu_at_every_level() {
        let input: [f32; 67] = core::array::from_fn(|i| match i * 7919 % 11 {
            0 => f32::NAN,
            1 => -0.0,
            2 => 0.0,
            3 => f32::NEG_INFINITY,
            4 => f32::INFINITY,
            5 => -f32::MIN_POSITIVE / 2.0, // a negative subnormal
            k => (k as f32 - 8.0) * (i as f32 + 1.0) * 0.37,
        });
        for level in isa::available() {
            for len in [0, 1, 7, 8, 15, 16, 17, 33, 67] {
                let mut plane = input;
                let mut epilogue = input;
                isa::with_level(level, || {
                    ReLU.activate_in_place(&mut plane[..len]);
                    ReLU.finish(0, &mut epilogue[..len]);
                });
                for (i, ((&p, &e), &x)) in plane.iter().zip(&epilogue).zip(&input).enumerate() {
                    let want = if i < len { f::relu(x) } else { x };
                    let same =
                        |g: f32| g.to_bits() == want.to_bits() || (g.is_nan() && want.is_nan());
                    assert!(same(p), "{level:?}, {len} values: value {i} is {p:?}, want {want:?}");
                    assert!(same(e), "{level:?}, {len} values: epilogue {i} {e:?}, want {want:?}");
                }
            }
        }
    }
}
