//! [`Upsample`]: `torch.nn.Upsample` with `mode="nearest"` or `"bilinear"`.

use core::marker::PhantomData;
use typenum::Unsigned;

use crate::kernels::upsample::{Interpolation, upsample};
use crate::layer::{Layer, NonZero, no_parameters};
use crate::shape::{Channels, Chw};
use crate::tensor::Tensor;
use crate::window::Pair;

/// `torch.nn.Upsample(size=O, scale_factor, mode, align_corners)` on `[C, H, W]` samples: the
/// output size `O` is a number or a pair; `scale` holds PyTorch's per-axis source scale, which
/// `network!` computes from `scale_factor` or the sizes exactly as PyTorch does.
pub struct Upsample<O> {
    /// The source-index scale per axis (height, width).
    pub scale: [f32; 2],
    /// How outputs are interpolated.
    pub mode: Interpolation,
    size: PhantomData<O>,
}

impl<O> Upsample<O> {
    /// An upsampling layer with the given source scales and mode.
    #[must_use]
    pub const fn new(scale: [f32; 2], mode: Interpolation) -> Self {
        Self { scale, mode, size: PhantomData }
    }
}

no_parameters!(Upsample<O>);

impl<O, C, H, W> Layer<Chw<C, H, W>> for Upsample<O>
where
    O: Pair,
    O::H: NonZero,
    O::W: NonZero,
    Chw<C, H, W>: Channels,
    Chw<C, O::H, O::W>: Channels,
{
    type Output = Chw<C, O::H, O::W>;

    fn forward(&self, input: &Tensor<Chw<C, H, W>>, output: &mut Tensor<Self::Output>) {
        let [_, h, w] = <Chw<C, H, W> as Channels>::SPATIAL;
        let planes = input.as_slice().chunks_exact(<Chw<C, H, W> as Channels>::PLANE);
        let outs = output.as_mut_slice().chunks_exact_mut(<Self::Output as Channels>::PLANE);
        for (x, y) in planes.zip(outs) {
            upsample(x, y, [h, w], [O::H::USIZE, O::W::USIZE], self.scale, self.mode);
        }
    }
}
