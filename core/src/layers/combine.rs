//! The combinators of branching networks on typed tensors: `Add` (a residual connection),
//! `Mul` (a squeeze-and-excitation gate, broadcasting) and `Cat` (channels side by side).
//! `network!` calls them for `Add(..)`, `Mul(..)` and `Cat(..)` blocks; the shapes are checked
//! by the types (and, for broadcasting, by constant assertions).

use crate::element::Element;
use crate::kernels::elementwise;
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
