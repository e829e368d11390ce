//! Element-wise activation functions, with PyTorch's definitions.

use crate::layer::Activation;

/// The identity: no activation.
#[derive(Clone, Copy, Debug, Default)]
pub struct Identity;

impl Activation for Identity {
    #[inline(always)]
    fn activate(&self, x: f32) -> f32 {
        x
    }
}

/// `max(0, x)`; NaN stays NaN as in PyTorch.
#[inline(always)]
#[must_use]
pub fn relu(x: f32) -> f32 {
    if x < 0.0 { 0.0 } else { x }
}
