//! [`Scratch`]: the one buffer that holds a network's intermediate activations.
//!
//! `network!` plans where each activation lives: consecutive activations alternate between
//! the front and the back of the buffer, so its length is the largest sum of two adjacent
//! activations (layers that work in place or only reshape need no room of their own).

use crate::shape::Shape;
use crate::tensor::Tensor;

/// `LEN` floats of working memory for one inference. Create it once (a `static` on a
/// microcontroller) and pass it to `forward_into`.
#[repr(C)]
pub struct Scratch<const LEN: usize> {
    data: [f32; LEN],
}

impl<const LEN: usize> Scratch<LEN> {
    /// Its size in bytes.
    pub const BYTES: usize = LEN * core::mem::size_of::<f32>();

    /// A zeroed buffer; `const`, so it can initialise a `static`.
    #[must_use]
    pub const fn new() -> Self {
        Self { data: [0.0; LEN] }
    }

    /// The activation of shape `S` at the front of the buffer.
    #[inline(always)]
    pub fn front<S: Shape>(&mut self) -> &mut Tensor<S> {
        const { assert!(S::NUMEL <= LEN, "activation larger than the scratch buffer") };
        // SAFETY: the constant assertion above keeps `0..S::NUMEL` inside `data`; `f32`
        // alignment suffices for `Tensor<S>`, which is a `repr(transparent)` array of `f32`
        // (`Tensor::view_raw`); the returned borrow is tied to `&mut self`.
        unsafe { Tensor::view_raw(self.data.as_mut_ptr()) }
    }

    /// The activation of shape `S` at the back of the buffer.
    #[inline(always)]
    pub fn back<S: Shape>(&mut self) -> &mut Tensor<S> {
        const { assert!(S::NUMEL <= LEN, "activation larger than the scratch buffer") };
        // SAFETY: `LEN - S::NUMEL..LEN` is inside `data` by the assertion; as in `front`.
        unsafe { Tensor::view_raw(self.data.as_mut_ptr().add(LEN - S::NUMEL)) }
    }

    /// The activation `A` at the front (read) and `B` at the back (written).
    #[inline(always)]
    pub fn front_to_back<A: Shape, B: Shape>(&mut self) -> (&Tensor<A>, &mut Tensor<B>) {
        const { assert!(A::NUMEL + B::NUMEL <= LEN, "adjacent activations overlap") };
        let ptr = self.data.as_mut_ptr();
        // SAFETY: `0..A::NUMEL` and `LEN - B::NUMEL..LEN` are inside `data` and disjoint by
        // the assertion, so one shared and one exclusive borrow never alias.
        unsafe { (Tensor::view_raw(ptr), Tensor::view_raw(ptr.add(LEN - B::NUMEL))) }
    }

    /// The activation `A` at the back (read) and `B` at the front (written).
    #[inline(always)]
    pub fn back_to_front<A: Shape, B: Shape>(&mut self) -> (&Tensor<A>, &mut Tensor<B>) {
        const { assert!(A::NUMEL + B::NUMEL <= LEN, "adjacent activations overlap") };
        let ptr = self.data.as_mut_ptr();
        // SAFETY: as in `front_to_back`, with the regions swapped.
        unsafe { (Tensor::view_raw(ptr.add(LEN - A::NUMEL)), Tensor::view_raw(ptr)) }
    }
}

impl<const LEN: usize> Default for Scratch<LEN> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::Scratch;
    use crate::shape::Vector;
    use typenum::{U2, U3};

    #[test]
    fn front_and_back_do_not_overlap() {
        let mut s = Scratch::<5>::new();
        s.front::<Vector<U2>>().as_mut_slice().fill(1.0);
        s.back::<Vector<U3>>().as_mut_slice().fill(2.0);
        let (a, b) = s.front_to_back::<Vector<U2>, Vector<U3>>();
        assert_eq!(a.as_slice(), &[1.0, 1.0]);
        assert_eq!(b.as_slice(), &[2.0, 2.0, 2.0]);
        assert_eq!(Scratch::<5>::BYTES, 20);
    }
}
