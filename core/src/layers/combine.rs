//! The combinators of branching networks on typed tensors: `Add` (a residual connection),
//! `Mul` (a squeeze-and-excitation gate, broadcasting) and `Cat` (channels side by side).
//! `network!` calls them for `Add(..)`, `Mul(..)` and `Cat(..)` blocks; the shapes are checked
//! by the types (and, for broadcasting, by constant assertions).

use crate::element::Element;
use crate::kernels::elementwise;
use crate::layer::{Activation, Epilogue};
use crate::shape::Shape;
use crate::tensor::Tensor;

/// Whether `from` broadcasts to `to` (NumPy's rule: one rank, each size equal or 1).
const fn broadcasts(from: &[usize], to: &[usize]) -> bool {
    if from.len() != to.len() {
        return false;
    }
    let mut i = 0;
    while i < from.len() {
        if from[i] != to[i] && from[i] != 1 {
            return false;
        }
        i += 1;
    }
    true
}

/// `y += x`: the residual `Add` computed in the buffer of one operand.
#[inline]
pub fn add_assign<S: Shape>(y: &mut Tensor<S>, x: &Tensor<S>) {
    elementwise::add_assign(y.as_mut_slice(), x.as_slice());
}

/// A residual `Add` fused into the convolution before it (with its batch norm, if any), then
/// `then` (an activation or [`Identity`](crate::kernels::Identity)): each output channel gets
/// its plane of `residual` while it is still in cache, and the `Add` and the activation are
/// one loop over it, compiled into the convolution's kernel (for its instruction-set level),
/// so they cost no pass over memory. The same operations as the separate steps, in the same
/// order (`x * alpha + beta`, then `+ residual`, then the activation): bit for bit their
/// result.
pub struct ResidualEpilogue<'a, A> {
    residual: &'a [f32],
    then: &'a A,
}

impl<'a, A> ResidualEpilogue<'a, A> {
    /// Adds `residual` (the other operand, laid out as the layer's output) before `then`.
    #[must_use]
    pub const fn new(residual: &'a [f32], then: &'a A) -> Self {
        Self { residual, then }
    }

    /// The residual values of `channel`, which has `len` values.
    #[inline(always)]
    fn plane(&self, channel: usize, len: usize) -> &'a [f32] {
        self.residual.get(channel * len..(channel + 1) * len).unwrap_or(&[])
    }
}

impl<A: Activation> Epilogue for ResidualEpilogue<'_, A> {
    #[inline(always)]
    fn finish(&self, channel: usize, values: &mut [f32]) {
        let residual = self.plane(channel, values.len());
        for (v, r) in values.iter_mut().zip(residual) {
            *v = self.then.activate(*v + *r);
        }
    }

    #[inline(always)]
    fn finish_affine(&self, channel: usize, values: &mut [f32], alpha: f32, beta: f32) {
        let residual = self.plane(channel, values.len());
        for (v, r) in values.iter_mut().zip(residual) {
            *v = self.then.activate((*v * alpha + beta) + *r);
        }
    }
}

/// `y = a + b`.
#[inline]
pub fn add<S: Shape>(a: &Tensor<S>, b: &Tensor<S>, y: &mut Tensor<S>) {
    elementwise::add(a.as_slice(), b.as_slice(), y.as_mut_slice());
}

/// `y *= b`, `b` broadcast to `y`'s shape (`[C, H, W] * [C, 1, 1]`).
#[inline]
pub fn mul_assign<Y: Shape, B: Shape>(y: &mut Tensor<Y>, b: &Tensor<B>) {
    const { assert!(broadcasts(B::DIMS, Y::DIMS), "Mul: the operand does not broadcast") };
    elementwise::mul_assign_broadcast(y.as_mut_slice(), Y::DIMS, b.as_slice(), B::DIMS);
}

/// `y = a * b`, both broadcast to `y`'s shape.
#[inline]
pub fn mul<A: Shape, B: Shape, Y: Shape>(a: &Tensor<A>, b: &Tensor<B>, y: &mut Tensor<Y>) {
    const {
        assert!(broadcasts(A::DIMS, Y::DIMS), "Mul: an operand does not broadcast");
        assert!(broadcasts(B::DIMS, Y::DIMS), "Mul: an operand does not broadcast");
    };
    elementwise::mul_broadcast(
        a.as_slice(),
        A::DIMS,
        b.as_slice(),
        B::DIMS,
        y.as_mut_slice(),
        Y::DIMS,
    );
}

/// Copies `x` into `y` from channel `FIRST` on: one branch of a `Cat` along the channels
/// (NCHW: a branch's channels are one contiguous run of `y`).
#[inline]
pub fn cat_into<X: Shape, Y: Shape, E: Element, const FIRST: usize>(
    x: &Tensor<X, E>,
    y: &mut Tensor<Y, E>,
) {
    const {
        assert!(X::DIMS.len() == Y::DIMS.len(), "Cat: branches of another rank");
        assert!(
            FIRST * (Y::NUMEL / Y::DIMS[0]) + X::NUMEL <= Y::NUMEL,
            "Cat: the branch's channels do not fit"
        );
    };
    let start = FIRST * (Y::NUMEL / Y::DIMS[0]);
    if let Some(dst) = y.as_mut_slice().get_mut(start..start + X::NUMEL) {
        dst.copy_from_slice(x.as_slice());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::Identity;
    use crate::layers::{BatchNorm2d, BatchNormEpilogue, ReLU};
    use typenum::U3;

    /// The residual epilogue, with and without a batch norm before it, gives bit for bit what
    /// the separate steps give: the batch norm's epilogue, then `add`, then the `ReLU` layer.
    #[test]
    fn the_residual_epilogue_is_the_separate_steps_bit_for_bit() {
        const PLANE: usize = 37; // vectors and a remainder at every level
        let mut norm = BatchNorm2d::<U3>::new(1e-5);
        for c in 0..3 {
            norm.weight[c] = 0.7 + 0.3 * c as f32;
            norm.bias[c] = -0.2 * c as f32;
            norm.running_mean[c] = 0.11 * c as f32 - 0.05;
            norm.running_var[c] = 0.4 + 0.9 * c as f32;
        }
        let conv: [f32; 3 * PLANE] = core::array::from_fn(|i| ((i * 37 % 101) as f32 - 50.0) / 7.0);
        let residual: [f32; 3 * PLANE] =
            core::array::from_fn(|i| ((i * 53 % 89) as f32 - 44.0) / 9.0);
        let relu = ReLU;
        for with_norm in [false, true] {
            let mut fused = conv;
            let mut separate = conv;
            let add_relu = ResidualEpilogue::new(&residual, &relu);
            let planes = fused.chunks_exact_mut(PLANE).zip(separate.chunks_exact_mut(PLANE));
            for (c, (f, s)) in planes.enumerate() {
                if with_norm {
                    BatchNormEpilogue::new(&norm, &add_relu).finish(c, f);
                    BatchNormEpilogue::new(&norm, &Identity).finish(c, s);
                } else {
                    add_relu.finish(c, f);
                }
            }
            let sum = separate;
            elementwise::add(&sum, &residual, &mut separate);
            relu.activate_in_place(&mut separate);
            assert!(fused.contains(&0.0) && fused.iter().any(|&v| v > 0.0));
            assert_eq!(fused.map(f32::to_bits), separate.map(f32::to_bits), "norm {with_norm}");
        }
    }
}
