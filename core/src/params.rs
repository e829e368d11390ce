//! Marker types for hyper-parameters that are not numbers: `bias`, `padding_mode`, `ceil_mode`.

use typenum::{B0, B1, U0, U1, Unsigned};

use crate::kernels::PaddingMode;

/// `bias=True` / `bias=False` as a type: [`typenum::B1`] or [`typenum::B0`].
pub trait BiasFlag {
    /// Whether the layer has a bias.
    const BIAS: bool;
    /// Bias elements per output channel: 1 or 0.
    type PerOutput: Unsigned;
}

impl BiasFlag for B1 {
    const BIAS: bool = true;
    type PerOutput = U1;
}

impl BiasFlag for B0 {
    const BIAS: bool = false;
    type PerOutput = U0;
}

/// `ceil_mode=True` / `ceil_mode=False` as a type: [`typenum::B1`] or [`typenum::B0`].
pub trait CeilFlag {
    /// Whether the output size rounds up.
    const CEIL: bool;
}

impl CeilFlag for B1 {
    const CEIL: bool = true;
}

impl CeilFlag for B0 {
    const CEIL: bool = false;
}

/// A convolution's `padding_mode` as a type.
pub trait PaddingModeKind {
    /// The mode.
    const MODE: PaddingMode;
    /// PyTorch's name for it.
    const NAME: &'static str;
}

macro_rules! padding_modes {
    ($($(#[$doc:meta])* $ty:ident => $mode:ident, $name:literal;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $ty;
        impl PaddingModeKind for $ty {
            const MODE: PaddingMode = PaddingMode::$mode;
            const NAME: &'static str = $name;
        }
    )*};
}

padding_modes! {
    /// `padding_mode="zeros"` (the default).
    Zeros => Zeros, "zeros";
    /// `padding_mode="reflect"`.
    Reflect => Reflect, "reflect";
    /// `padding_mode="replicate"`.
    Replicate => Replicate, "replicate";
    /// `padding_mode="circular"`.
    Circular => Circular, "circular";
}
