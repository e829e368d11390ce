//! Kernels: the arithmetic of each operator on plain `f32` slices, sized by constants.
//!
//! Kernels know nothing of shape types; layers pass them a geometry (a type whose associated
//! constants are the sizes), so every loop bound is known when the kernel is compiled. They
//! never panic: every access is either proven in bounds by those constants or checked.

pub mod activation;
pub mod conv;
pub mod conv_tiled;
pub mod depthwise;
pub mod elementwise;
pub mod int8;
pub mod isa;
pub mod linear;
pub mod norm;
pub mod pool;
pub mod simd;
pub mod sum;
pub mod upsample;
#[cfg(all(target_arch = "arm", target_abi = "eabihf", target_feature = "mclass"))]
pub mod vfp;

pub use activation::Identity;

/// How a convolution fills its padding (PyTorch's `padding_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaddingMode {
    /// Zeros (`"zeros"`, the default).
    Zeros,
    /// Mirror without repeating the edge (`"reflect"`: `3 2 | 1 2 3 | 2 1`).
    Reflect,
    /// Repeat the edge (`"replicate"`: `1 1 | 1 2 3 | 3 3`).
    Replicate,
    /// Wrap around (`"circular"`: `2 3 | 1 2 3 | 1 2`).
    Circular,
}

impl PaddingMode {
    /// The input index read at position `padded` of the padded axis (`pad` elements before the
    /// input, `len` input elements). Not used for [`PaddingMode::Zeros`].
    #[inline(always)]
    #[must_use]
    pub const fn map(self, padded: usize, pad: usize, len: usize) -> usize {
        let len = len as isize;
        let i = padded as isize - pad as isize;
        let j = match self {
            Self::Zeros | Self::Replicate => {
                if i < 0 {
                    0
                } else if i >= len {
                    len - 1
                } else {
                    i
                }
            }
            Self::Reflect => {
                if i < 0 {
                    -i
                } else if i >= len {
                    2 * (len - 1) - i
                } else {
                    i
                }
            }
            Self::Circular => i.rem_euclid(if len > 0 { len } else { 1 }),
        };
        if j < 0 { 0 } else { j as usize }
    }
}

#[cfg(test)]
mod tests {
    use super::PaddingMode;

    #[test]
    fn padding_modes_map_like_pytorch() {
        let map = |m: PaddingMode| -> [usize; 7] { core::array::from_fn(|p| m.map(p, 2, 3)) };
        assert_eq!(map(PaddingMode::Reflect), [2, 1, 0, 1, 2, 1, 0]);
        assert_eq!(map(PaddingMode::Replicate), [0, 0, 0, 1, 2, 2, 2]);
        assert_eq!(map(PaddingMode::Circular), [1, 2, 0, 1, 2, 0, 1]);
    }
}
