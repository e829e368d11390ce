//! [`Tensor`]: storage whose shape and element type are part of its type.

use core::fmt;
use core::marker::PhantomData;
use core::ops::{Index, IndexMut};
use generic_array::GenericArray;
use generic_array::sequence::GenericSequence;

use crate::element::Element;
use crate::shape::Shape;

/// One sample of data in PyTorch's layout (row-major, channels first), shaped by `S`, of
/// element type `E`: `f32` (the default), or `i8` in an int8 network (where passing an `f32`
/// tensor to an int8 entry point is a type error).
///
/// The storage is exactly `S::NUMEL` elements with no header, so a `Tensor` can live in a
/// `static`, on the stack, or inside a caller's buffer (see [`Tensor::from_mut_slice`]).
///
/// ```
/// use staticnn_core::{shape::Chw, tensor::Tensor};
/// use typenum::{U2, U3};
///
/// let x = Tensor::<Chw<U2, U3, U3>>::from_fn(|i| i as f32);
/// assert_eq!(x.as_slice().len(), 18);
/// assert_eq!(x[10], 10.0);
/// ```
#[repr(transparent)]
pub struct Tensor<S: Shape, E: Element = f32> {
    data: GenericArray<E, S::Len>,
    shape: PhantomData<S>,
}

/// A slice or array had a different number of elements than the shape needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LengthMismatch {
    /// The number of elements the shape needs.
    pub expected: usize,
    /// The number of elements that were given.
    pub found: usize,
}

impl fmt::Display for LengthMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected {} elements, found {}", self.expected, self.found)
    }
}

impl<S: Shape, E: Element> Tensor<S, E> {
    /// The dimensions of this tensor type, as PyTorch's `tensor.shape` without the batch.
    pub const DIMS: &'static [usize] = S::DIMS;
    /// The number of elements.
    pub const NUMEL: usize = S::NUMEL;

    /// The dimensions of this tensor, as PyTorch's `tensor.shape` without the batch.
    #[must_use]
    pub const fn dims(&self) -> &'static [usize] {
        S::DIMS
    }

    /// A tensor of zeros; `const`, so an output buffer can be a `static`.
    ///
    /// The tensor is built on the stack: for large ones (a 3 x 512 x 512 image is 3 MB) use
    /// `Tensor::boxed_zeros` (feature `alloc`).
    #[must_use]
    pub const fn zeros() -> Self {
        // SAFETY: a `GenericArray<E, _>` is an array of `E`s, and all-zero bits are an
        // `Element`'s zero (`f32`, `i8`, `i32`).
        let data = unsafe { core::mem::zeroed::<GenericArray<E, S::Len>>() };
        Self { data, shape: PhantomData }
    }

    /// A tensor whose element at flat index `i` is `f(i)`.
    ///
    /// The tensor is built on the stack: for large ones use `Tensor::boxed_from_fn` (feature
    /// `alloc`).
    #[must_use]
    pub fn from_fn(f: impl FnMut(usize) -> E) -> Self {
        Self { data: GenericArray::generate(f), shape: PhantomData }
    }

    /// A tensor wrapping an existing array of the right length.
    #[must_use]
    pub fn from_array(data: GenericArray<E, S::Len>) -> Self {
        Self { data, shape: PhantomData }
    }

    /// Copies a slice into a new tensor; fails if its length is not [`Self::NUMEL`].
    ///
    /// The tensor is built on the stack: for large ones use `Tensor::boxed_try_from_slice`
    /// (feature `alloc`), or view the slice in place with [`Tensor::from_slice`].
    ///
    /// # Errors
    /// [`LengthMismatch`] when `values.len() != Self::NUMEL`.
    pub fn try_from_slice(values: &[E]) -> Result<Self, LengthMismatch> {
        if values.len() != S::NUMEL {
            return Err(LengthMismatch { expected: S::NUMEL, found: values.len() });
        }
        Ok(Self::from_fn(|i| values.get(i).copied().unwrap_or(E::ZERO)))
    }

    /// Views a caller's buffer as a tensor without copying; `None` if the length is wrong.
    ///
    /// This is what lets a network's activations live in one scratch buffer.
    pub fn from_mut_slice(values: &mut [E]) -> Option<&mut Self> {
        let array = GenericArray::<E, S::Len>::try_from_mut_slice(values).ok()?;
        let ptr: *mut GenericArray<E, S::Len> = array;
        // SAFETY: `Tensor<S>` is `repr(transparent)` over `GenericArray<f32, S::Len>` (its
        // other field is a zero-sized `PhantomData`), so both types have the same layout and
        // validity; the returned borrow has the lifetime of `values`, like `array`.
        Some(unsafe { &mut *ptr.cast::<Self>() })
    }

    /// Views a caller's buffer as a tensor without copying; `None` if the length is wrong.
    #[must_use]
    pub fn from_slice(values: &[E]) -> Option<&Self> {
        let array = GenericArray::<E, S::Len>::try_from_slice(values).ok()?;
        let ptr: *const GenericArray<E, S::Len> = array;
        // SAFETY: as in `from_mut_slice`: identical layout, lifetime carried over.
        Some(unsafe { &*ptr.cast::<Self>() })
    }

    /// Views `S::NUMEL` elements starting at `ptr` as a tensor.
    ///
    /// # Safety
    /// `ptr` must be aligned for `E` and valid for reads and writes of `S::NUMEL` elements for
    /// `'a`, and nothing else may access them while the returned borrow lives (for a
    /// `&'a Tensor`, no writes).
    #[inline(always)]
    pub(crate) unsafe fn view_raw<'a, R: TensorRef<'a, S, E>>(ptr: *mut E) -> R {
        // SAFETY: `Tensor<S, E>` is `repr(transparent)` over `GenericArray<E, S::Len>`, whose
        // layout is `[E; S::NUMEL]`; the caller guarantees validity and exclusivity.
        unsafe { R::from_ptr(ptr.cast::<Self>()) }
    }

    /// The same elements viewed as another shape with as many elements (a free reshape).
    #[must_use]
    #[inline(always)]
    pub fn reshape<T: Shape<Len = S::Len>>(&self) -> &Tensor<T, E> {
        let ptr: *const Self = self;
        // SAFETY: `Tensor<T, E>` and `Tensor<S, E>` are both `repr(transparent)` over
        // `GenericArray<E, L>` with the same `L`, so they have the same layout.
        unsafe { &*ptr.cast::<Tensor<T, E>>() }
    }

    /// The same elements viewed mutably as another shape with as many elements.
    #[inline(always)]
    pub fn reshape_mut<T: Shape<Len = S::Len>>(&mut self) -> &mut Tensor<T, E> {
        let ptr: *mut Self = self;
        // SAFETY: as in `reshape`; the exclusive borrow of `self` carries over.
        unsafe { &mut *ptr.cast::<Tensor<T, E>>() }
    }

    /// The elements in PyTorch's memory order.
    #[must_use]
    pub fn as_slice(&self) -> &[E] {
        &self.data
    }

    /// The elements in PyTorch's memory order, mutably.
    pub fn as_mut_slice(&mut self) -> &mut [E] {
        &mut self.data
    }

    /// The underlying fixed-length array.
    #[must_use]
    pub fn as_array(&self) -> &GenericArray<E, S::Len> {
        &self.data
    }

    /// The underlying fixed-length array, mutably.
    pub fn as_mut_array(&mut self) -> &mut GenericArray<E, S::Len> {
        &mut self.data
    }
}

impl<S: Shape> Tensor<S> {
    /// The index of the largest element (the predicted class of a classifier's logits).
    ///
    /// Ties go to the first index, like `torch.argmax`; NaNs are never chosen over numbers.
    #[must_use]
    pub fn argmax(&self) -> usize {
        let mut best = 0;
        for (i, &v) in self.data.iter().enumerate() {
            if let Some(&b) = self.data.get(best)
                && (v > b || (b.is_nan() && !v.is_nan()))
            {
                best = i;
            }
        }
        best
    }
}

/// Tensors built in place on the heap, never on the stack (feature `alloc`).
#[cfg(feature = "alloc")]
impl<S: Shape, E: Element> Tensor<S, E> {
    /// A tensor of zeros on the heap: [`Tensor::zeros`] for tensors too large for the stack.
    #[must_use]
    pub fn boxed_zeros() -> crate::heap::Box<Self> {
        crate::heap::boxed_zeroed()
    }

    /// A tensor on the heap whose element at flat index `i` is `f(i)`: [`Tensor::from_fn`]
    /// for tensors too large for the stack (the zeroed allocation is filled in place).
    #[must_use]
    pub fn boxed_from_fn(mut f: impl FnMut(usize) -> E) -> crate::heap::Box<Self> {
        let mut tensor = Self::boxed_zeros();
        for (i, v) in tensor.as_mut_slice().iter_mut().enumerate() {
            *v = f(i);
        }
        tensor
    }

    /// Copies a slice into a new tensor on the heap: [`Tensor::try_from_slice`] for tensors
    /// too large for the stack.
    ///
    /// # Errors
    /// [`LengthMismatch`] when `values.len() != Self::NUMEL`.
    pub fn boxed_try_from_slice(values: &[E]) -> Result<crate::heap::Box<Self>, LengthMismatch> {
        if values.len() != S::NUMEL {
            return Err(LengthMismatch { expected: S::NUMEL, found: values.len() });
        }
        let mut tensor = Self::boxed_zeros();
        tensor.as_mut_slice().copy_from_slice(values);
        Ok(tensor)
    }
}

// SAFETY: a tensor is an array of `Element`s (and a zero-sized marker); all-zero bits are an
// `Element`'s zero (`0.0`, or `0` for `i8` and `i32`).
unsafe impl<S: Shape, E: Element> crate::zeroable::Zeroable for Tensor<S, E> {}

/// `&'a Tensor<S, E>` or `&'a mut Tensor<S, E>`, made from a raw pointer by
/// [`Tensor::view_raw`].
pub(crate) trait TensorRef<'a, S: Shape, E: Element> {
    /// # Safety
    /// As [`Tensor::view_raw`].
    unsafe fn from_ptr(ptr: *mut Tensor<S, E>) -> Self;
}

impl<'a, S: Shape, E: Element> TensorRef<'a, S, E> for &'a Tensor<S, E> {
    #[inline(always)]
    unsafe fn from_ptr(ptr: *mut Tensor<S, E>) -> Self {
        // SAFETY: forwarded from the caller of `view_raw`.
        unsafe { &*ptr }
    }
}

impl<'a, S: Shape, E: Element> TensorRef<'a, S, E> for &'a mut Tensor<S, E> {
    #[inline(always)]
    unsafe fn from_ptr(ptr: *mut Tensor<S, E>) -> Self {
        // SAFETY: forwarded from the caller of `view_raw`.
        unsafe { &mut *ptr }
    }
}

impl<S: Shape, E: Element> Clone for Tensor<S, E> {
    fn clone(&self) -> Self {
        Self { data: self.data.clone(), shape: PhantomData }
    }
}

impl<S: Shape, E: Element> Default for Tensor<S, E> {
    fn default() -> Self {
        Self::zeros()
    }
}

impl<S: Shape, E: Element> PartialEq for Tensor<S, E> {
    fn eq(&self, other: &Self) -> bool {
        self.data == other.data
    }
}

impl<S: Shape, E: Element> fmt::Debug for Tensor<S, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tensor").field("shape", &S::DIMS).field("data", &self.as_slice()).finish()
    }
}

impl<S: Shape, E: Element> Index<usize> for Tensor<S, E> {
    type Output = E;
    fn index(&self, index: usize) -> &E {
        &self.data[index]
    }
}

impl<S: Shape, E: Element> IndexMut<usize> for Tensor<S, E> {
    fn index_mut(&mut self, index: usize) -> &mut E {
        &mut self.data[index]
    }
}

impl<S: Shape, E: Element> AsRef<[E]> for Tensor<S, E> {
    fn as_ref(&self) -> &[E] {
        self.as_slice()
    }
}

impl<S: Shape, E: Element> AsMut<[E]> for Tensor<S, E> {
    fn as_mut(&mut self) -> &mut [E] {
        self.as_mut_slice()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::{Chw, Vector};
    use typenum::{U2, U4};

    #[test]
    fn views_share_the_callers_memory() {
        let mut buf = [0.0f32; 8];
        let t = Tensor::<Chw<U2, U2, U2>>::from_mut_slice(&mut buf).expect("8 elements");
        t[3] = 5.0;
        assert_eq!(buf[3], 5.0);
        assert!(Tensor::<Vector<U4>>::from_mut_slice(&mut buf).is_none());
    }

    #[test]
    fn argmax_prefers_the_first_maximum() {
        let t = Tensor::<Vector<U4>>::try_from_slice(&[1.0, 3.0, 3.0, -1.0]).expect("4 elements");
        assert_eq!(t.argmax(), 1);
        assert_eq!(
            Tensor::<Vector<U2>>::try_from_slice(&[1.0]),
            Err(LengthMismatch { expected: 2, found: 1 })
        );
    }
}
