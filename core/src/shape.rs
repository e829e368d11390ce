//! Tensor shapes as types.
//!
//! A shape is a marker type whose dimensions are [`typenum`] numbers, so the number of elements
//! and every output size are computed by the compiler. The batch dimension of PyTorch's `NCHW` is
//! not part of a shape: a network maps one sample to one sample (see `forward_batch` for more).
//!
//! | staticnn | PyTorch sample shape | used by |
//! | --- | --- | --- |
//! | [`Vector<N>`] | `(N,)` | `Linear`, `BatchNorm1d` |
//! | [`Cl<C, L>`] | `(C, L)` | `Conv1d`, `MaxPool1d` |
//! | [`Chw<C, H, W>`] | `(C, H, W)` | `Conv2d`, `MaxPool2d` |
//! | [`Cdhw<C, D, H, W>`] | `(C, D, H, W)` | `Conv3d` |

use core::marker::PhantomData;
use core::ops::Mul;
use generic_array::ArrayLength;
use typenum::{Prod, Unsigned};

/// A tensor shape known at compile time.
pub trait Shape: 'static {
    /// The number of elements, as a type (the storage length).
    type Len: ArrayLength;
    /// The number of elements.
    const NUMEL: usize = <Self::Len as Unsigned>::USIZE;
    /// The dimensions, outermost first, as PyTorch's `tensor.shape` without the batch dimension.
    const DIMS: &'static [usize];
}

/// A flat vector of `N` features: PyTorch's `(N,)` per sample.
pub struct Vector<N>(PhantomData<N>);

/// `C` channels of length `L`: PyTorch's `(C, L)` per sample (1-d convolutions).
pub struct Cl<C, L>(PhantomData<(C, L)>);

/// `C` channels of `H x W` pixels: PyTorch's `(C, H, W)` per sample, row-major.
pub struct Chw<C, H, W>(PhantomData<(C, H, W)>);

/// `C` channels of `D x H x W` voxels: PyTorch's `(C, D, H, W)` per sample (3-d convolutions).
pub struct Cdhw<C, D, H, W>(PhantomData<(C, D, H, W)>);

impl<N> Shape for Vector<N>
where
    N: ArrayLength + 'static,
{
    type Len = N;
    const DIMS: &'static [usize] = &[N::USIZE];
}

impl<C, L> Shape for Cl<C, L>
where
    C: Unsigned + Mul<L> + 'static,
    L: Unsigned + 'static,
    Prod<C, L>: ArrayLength,
{
    type Len = Prod<C, L>;
    const DIMS: &'static [usize] = &[C::USIZE, L::USIZE];
}

impl<C, H, W> Shape for Chw<C, H, W>
where
    C: Unsigned + Mul<Prod<H, W>> + 'static,
    H: Unsigned + Mul<W> + 'static,
    W: Unsigned + 'static,
    Prod<C, Prod<H, W>>: ArrayLength,
{
    type Len = Prod<C, Prod<H, W>>;
    const DIMS: &'static [usize] = &[C::USIZE, H::USIZE, W::USIZE];
}

impl<C, D, H, W> Shape for Cdhw<C, D, H, W>
where
    C: Unsigned + Mul<Prod<D, Prod<H, W>>> + 'static,
    D: Unsigned + Mul<Prod<H, W>> + 'static,
    H: Unsigned + Mul<W> + 'static,
    W: Unsigned + 'static,
    Prod<C, Prod<D, Prod<H, W>>>: ArrayLength,
{
    type Len = Prod<C, Prod<D, Prod<H, W>>>;
    const DIMS: &'static [usize] = &[C::USIZE, D::USIZE, H::USIZE, W::USIZE];
}

/// Shapes with channels first and at least one spatial axis ([`Cl`], [`Chw`], [`Cdhw`]).
///
/// Channel-wise layers (`BatchNorm`, `InstanceNorm`) and pooling use this to find the channel
/// count and the number of elements per channel.
pub trait Channels: Shape {
    /// The number of channels, as a type.
    type C: Unsigned;
    /// The number of elements of one channel, as a type (the storage of one plane).
    type Plane: ArrayLength;
    /// The number of elements of one channel (the product of the spatial sizes).
    const PLANE: usize;
    /// The spatial sizes as `[depth, height, width]`, 1 for the axes the shape lacks.
    const SPATIAL: [usize; 3];
}

impl<C, L> Channels for Cl<C, L>
where
    Cl<C, L>: Shape,
    C: Unsigned,
    L: ArrayLength,
{
    type C = C;
    type Plane = L;
    const PLANE: usize = L::USIZE;
    const SPATIAL: [usize; 3] = [1, 1, L::USIZE];
}

impl<C, H, W> Channels for Chw<C, H, W>
where
    Chw<C, H, W>: Shape,
    C: Unsigned,
    H: Unsigned + Mul<W>,
    W: Unsigned,
    Prod<H, W>: ArrayLength,
{
    type C = C;
    type Plane = Prod<H, W>;
    const PLANE: usize = H::USIZE * W::USIZE;
    const SPATIAL: [usize; 3] = [1, H::USIZE, W::USIZE];
}

impl<C, D, H, W> Channels for Cdhw<C, D, H, W>
where
    Cdhw<C, D, H, W>: Shape,
    C: Unsigned,
    D: Unsigned + Mul<Prod<H, W>>,
    H: Unsigned + Mul<W>,
    W: Unsigned,
    Prod<D, Prod<H, W>>: ArrayLength,
{
    type C = C;
    type Plane = Prod<D, Prod<H, W>>;
    const PLANE: usize = D::USIZE * H::USIZE * W::USIZE;
    const SPATIAL: [usize; 3] = [D::USIZE, H::USIZE, W::USIZE];
}

#[cfg(test)]
mod tests {
    use super::*;
    use typenum::{U3, U10, U32};

    #[test]
    fn numel_and_dims_follow_the_type() {
        assert_eq!(<Chw<U3, U32, U32> as Shape>::NUMEL, 3072);
        assert_eq!(<Chw<U3, U32, U32> as Shape>::DIMS, &[3, 32, 32]);
        assert_eq!(<Vector<U10> as Shape>::DIMS, &[10]);
        assert_eq!(<Cl<U3, U10> as Shape>::NUMEL, 30);
        assert_eq!(<Cdhw<U3, U3, U10, U10> as Shape>::NUMEL, 900);
    }
}
