//! [`Scratch`]: the one buffer that holds a network's intermediate activations.
//!
//! `network!` plans where each activation lives: every value an inference keeps (and every
//! kernel's working memory) is a region of the buffer, in use from the step that writes it to
//! the last step that reads it; [`Arena::plan`] places the regions at compile time so that
//! regions in use together never overlap. In a chain, consecutive activations alternate
//! between the front and the back of the buffer, so its length is the largest sum of two
//! adjacent activations and the working memory between them; a skip connection keeps its value
//! alive while its branch runs. Layers that work in place or only reshape need no room.

pub mod arena;

pub use arena::Arena;

use crate::element::Element;
use crate::shape::{Shape, Vector};
use crate::tensor::Tensor;

/// A region of no elements: what a step does not use in [`Scratch::regions`].
pub type Unused = Tensor<Vector<typenum::U0>>;

/// A tensor type that can be a region of the scratch buffer: its size and alignment in bytes.
pub trait Region: Sized {
    /// Bytes it occupies.
    const BYTES: usize;
    /// Its alignment in bytes.
    const ALIGN: usize;
}

impl<S: Shape, E: Element> Region for Tensor<S, E> {
    const BYTES: usize = S::NUMEL * core::mem::size_of::<E>();
    const ALIGN: usize = core::mem::align_of::<E>();
}

/// The bytes a region of `bytes` takes in the plan: rounded up to whole `f32`s, so every region
/// starts aligned for any element (the buffer is an array of `f32`).
#[must_use]
pub const fn region_bytes(bytes: usize) -> usize {
    bytes.div_ceil(4) * 4
}

/// Whether `[a, a + an)` and `[b, b + bn)` do not overlap (empty ranges overlap nothing).
const fn disjoint(a: usize, an: usize, b: usize, bn: usize) -> bool {
    an == 0 || bn == 0 || a + an <= b || b + bn <= a
}

/// Whether `[at, at + n)` is inside a buffer of `len` and starts aligned to `align` (an empty
/// range is, anywhere).
const fn inside(at: usize, n: usize, align: usize, len: usize) -> bool {
    n == 0 || (at + n <= len && at.is_multiple_of(align))
}

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

/// The regions of one planned step.
impl<const LEN: usize> Scratch<LEN> {
    /// The regions one step of an inference uses, placed by the plan (offsets in bytes): the
    /// values `A` at byte `AT_A` and `B` at `AT_B` that it reads, the value `Y` at `AT_Y` that it
    /// writes, and `LEN_W` elements `W` of working memory at `AT_W`. A region the step does not
    /// use is [`Unused`] (or `LEN_W` 0). The tensors may hold any element (`f32`, `i8`, ...):
    /// an int8 network keeps its `i8` values and `f32` fallbacks in one buffer.
    ///
    /// Every region is checked to be inside the buffer and aligned, and the written ones to
    /// overlap nothing else, when the crate is compiled: a wrong plan does not compile.
    #[inline(always)]
    #[allow(clippy::type_complexity)] // the four borrows of one step
    pub fn regions<
        A: Region,
        B: Region,
        Y: Region,
        W: Element,
        const AT_A: usize,
        const AT_B: usize,
        const AT_Y: usize,
        const AT_W: usize,
        const LEN_W: usize,
    >(
        &mut self,
    ) -> (&A, &B, &mut Y, &mut [W]) {
        let bytes = LEN * 4;
        let w_bytes = LEN_W * core::mem::size_of::<W>();
        let w_align = core::mem::align_of::<W>();
        const {
            assert!(inside(AT_A, A::BYTES, A::ALIGN, LEN * 4), "a region read outside the buffer");
            assert!(inside(AT_B, B::BYTES, B::ALIGN, LEN * 4), "a region read outside the buffer");
            assert!(
                inside(AT_Y, Y::BYTES, Y::ALIGN, LEN * 4),
                "a region written outside the buffer"
            );
            assert!(
                inside(
                    AT_W,
                    LEN_W * core::mem::size_of::<W>(),
                    core::mem::align_of::<W>(),
                    LEN * 4
                ),
                "working memory outside the buffer"
            );
            assert!(disjoint(AT_Y, Y::BYTES, AT_A, A::BYTES), "a step writes what it reads");
            assert!(disjoint(AT_Y, Y::BYTES, AT_B, B::BYTES), "a step writes what it reads");
            assert!(
                disjoint(AT_Y, Y::BYTES, AT_W, LEN_W * core::mem::size_of::<W>()),
                "working memory overlaps the output"
            );
            assert!(
                disjoint(AT_W, LEN_W * core::mem::size_of::<W>(), AT_A, A::BYTES),
                "working memory overlaps an input"
            );
            assert!(
                disjoint(AT_W, LEN_W * core::mem::size_of::<W>(), AT_B, B::BYTES),
                "working memory overlaps an input"
            );
        };
        let _ = (bytes, w_bytes, w_align);
        let base = self.data.as_mut_ptr().cast::<u8>();
        // An unused (empty) region may have any offset: point it at the start.
        let at = |offset: usize, n: usize| if n == 0 { 0 } else { offset };
        // SAFETY: the constant assertions above keep every region inside `data` and aligned
        // for its element, and the two written ones (`Y`, the working memory) disjoint from
        // each other and from the two read ones, so the exclusive borrows alias nothing; the
        // reads may overlap each other, being shared. All borrows are tied to `&mut self`. Any
        // bit pattern is a valid `f32`, `i8` or `i32` (`Element`), so viewing bytes another
        // step wrote with another element type is sound.
        unsafe {
            let a = &*base.add(at(AT_A, A::BYTES)).cast::<A>();
            let b = &*base.add(at(AT_B, B::BYTES)).cast::<B>();
            let y = &mut *base.add(at(AT_Y, Y::BYTES)).cast::<Y>();
            let w = core::slice::from_raw_parts_mut(base.add(at(AT_W, w_bytes)).cast::<W>(), LEN_W);
            (a, b, y, w)
        }
    }
}

/// Working memory of the scratch buffer: the floats between the activations in use.
impl<const LEN: usize> Scratch<LEN> {
    /// Splits the buffer into its first `front` floats, the middle, and its last `back`.
    #[inline(always)]
    fn thirds(&mut self, front: usize, back: usize) -> (&mut [f32], &mut [f32], &mut [f32]) {
        let (first, rest) = self.data.split_at_mut(front);
        let (middle, last) = rest.split_at_mut(LEN - front - back);
        (first, middle, last)
    }

    /// The whole buffer as working memory (no activation in it).
    #[inline(always)]
    pub fn workspace(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// `B` at the front (written) and the rest as working memory.
    #[inline(always)]
    pub fn front_and_workspace<B: Shape>(&mut self) -> (&mut Tensor<B>, &mut [f32]) {
        const { assert!(B::NUMEL <= LEN, "activation larger than the scratch buffer") };
        let (b, work, _) = self.thirds(B::NUMEL, 0);
        // SAFETY: `b` is exactly `B::NUMEL` floats of this buffer, borrowed mutably for the
        // returned lifetime and disjoint from `work` (`Tensor::view_raw`).
        (unsafe { Tensor::view_raw(b.as_mut_ptr()) }, work)
    }

    /// `B` at the back (written) and the rest as working memory.
    #[inline(always)]
    pub fn back_and_workspace<B: Shape>(&mut self) -> (&mut Tensor<B>, &mut [f32]) {
        const { assert!(B::NUMEL <= LEN, "activation larger than the scratch buffer") };
        let (_, work, b) = self.thirds(0, B::NUMEL);
        // SAFETY: as in `front_and_workspace`.
        (unsafe { Tensor::view_raw(b.as_mut_ptr()) }, work)
    }

    /// `A` at the front (read) and the rest as working memory.
    #[inline(always)]
    pub fn front_ref_and_workspace<A: Shape>(&mut self) -> (&Tensor<A>, &mut [f32]) {
        const { assert!(A::NUMEL <= LEN, "activation larger than the scratch buffer") };
        let (a, work, _) = self.thirds(A::NUMEL, 0);
        // SAFETY: as in `front_and_workspace` (shared instead of exclusive).
        (unsafe { Tensor::view_raw(a.as_mut_ptr()) }, work)
    }

    /// `A` at the back (read) and the rest as working memory.
    #[inline(always)]
    pub fn back_ref_and_workspace<A: Shape>(&mut self) -> (&Tensor<A>, &mut [f32]) {
        const { assert!(A::NUMEL <= LEN, "activation larger than the scratch buffer") };
        let (_, work, a) = self.thirds(0, A::NUMEL);
        // SAFETY: as in `front_ref_and_workspace`.
        (unsafe { Tensor::view_raw(a.as_mut_ptr()) }, work)
    }

    /// `A` at the front (read), `B` at the back (written), and working memory between them.
    #[inline(always)]
    pub fn front_to_back_and_workspace<A: Shape, B: Shape>(
        &mut self,
    ) -> (&Tensor<A>, &mut Tensor<B>, &mut [f32]) {
        const { assert!(A::NUMEL + B::NUMEL <= LEN, "adjacent activations overlap") };
        let (a, work, b) = self.thirds(A::NUMEL, B::NUMEL);
        // SAFETY: `a` and `b` are exactly `A::NUMEL` and `B::NUMEL` floats, disjoint from each
        // other and from `work`.
        unsafe { (Tensor::view_raw(a.as_mut_ptr()), Tensor::view_raw(b.as_mut_ptr()), work) }
    }

    /// `A` at the back (read), `B` at the front (written), and working memory between them.
    #[inline(always)]
    pub fn back_to_front_and_workspace<A: Shape, B: Shape>(
        &mut self,
    ) -> (&Tensor<A>, &mut Tensor<B>, &mut [f32]) {
        const { assert!(A::NUMEL + B::NUMEL <= LEN, "adjacent activations overlap") };
        let (b, work, a) = self.thirds(B::NUMEL, A::NUMEL);
        // SAFETY: as in `front_to_back_and_workspace`, the regions swapped.
        unsafe { (Tensor::view_raw(a.as_mut_ptr()), Tensor::view_raw(b.as_mut_ptr()), work) }
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
