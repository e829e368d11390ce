//! Values built in place on the heap (feature `alloc`, on by default in the `staticnn` crate
//! through `std`): for networks, inputs and outputs too large for a thread's stack.
//!
//! A `Linear(6400, 4096)` holds 105 MB of weights and a 3 x 512 x 512 image 3 MB, against a
//! main thread's 8 MiB of stack and 2 MiB for other threads: `Net::zeroed()` or
//! `Tensor::from_fn` build their value on the stack before moving it, and overflow. The
//! constructors here allocate zeroed memory and fill it where it is, so the stack never holds
//! more than a few bytes of it:
//!
//! - [`Tensor::boxed_zeros`], [`Tensor::boxed_from_fn`], [`Tensor::boxed_try_from_slice`];
//! - [`Scratch::boxed`];
//! - for every network made by `network!`: `Net::boxed_zeroed()`, `Net::boxed_seeded(seed)`,
//!   `Net::boxed_scratch()` and `net.forward_boxed(&input)`.
//!
//! ```
//! use staticnn_core::shape::Chw;
//! use staticnn_core::tensor::Tensor;
//! use typenum::{U3, U512};
//!
//! // 3 MB, never on the stack.
//! let image = Tensor::<Chw<U3, U512, U512>>::boxed_from_fn(|i| (i % 256) as f32 / 256.0);
//! assert_eq!(image[3 * 512 * 512 - 1], 255.0 / 256.0);
//! ```
//!
//! [`Tensor::boxed_zeros`]: crate::tensor::Tensor::boxed_zeros
//! [`Tensor::boxed_from_fn`]: crate::tensor::Tensor::boxed_from_fn
//! [`Tensor::boxed_try_from_slice`]: crate::tensor::Tensor::boxed_try_from_slice
//! [`Scratch::boxed`]: crate::scratch::Scratch::boxed

pub use alloc::boxed::Box;

use crate::zeroable::Zeroable;

/// A `T` whose bytes are all zero, allocated zeroed on the heap (`calloc`: large blocks come
/// straight from the operating system, already zero) and never built on the stack.
#[must_use]
pub fn boxed_zeroed<T: Zeroable>() -> Box<T> {
    // SAFETY: `new_zeroed` returns memory of `T`'s layout whose bytes are all zero, and
    // `T: Zeroable` promises that such bytes are a valid `T`.
    unsafe { Box::<T>::new_zeroed().assume_init() }
}

#[cfg(test)]
mod tests {
    use super::boxed_zeroed;
    use crate::scratch::Scratch;
    use crate::shape::{Chw, Vector};
    use crate::tensor::{LengthMismatch, Tensor};
    use typenum::{U3, U4, U512};

    type Image = Chw<U3, U512, U512>;

    /// Runs `f` on a thread with 64 KiB of stack, smaller than any value built here.
    fn on_small_stack(f: impl FnOnce() + Send) {
        std::thread::scope(|s| {
            std::thread::Builder::new()
                .stack_size(64 * 1024)
                .spawn_scoped(s, f)
                .expect("spawn a thread")
                .join()
                .expect("no panic");
        });
    }

    #[test]
    fn big_tensors_and_scratch_never_touch_the_stack() {
        on_small_stack(|| {
            let zeros = Tensor::<Image>::boxed_zeros();
            assert!(zeros.as_slice().iter().all(|&v| v == 0.0));
            let ramp = Tensor::<Image>::boxed_from_fn(|i| i as f32);
            assert_eq!(ramp[786_431], 786_431.0);
            let scratch = Scratch::<1_000_000>::boxed();
            assert_eq!(core::mem::size_of_val(&*scratch), 4_000_000);
        });
    }

    #[test]
    fn boxed_constructors_equal_the_stack_ones() {
        let values = [1.0, -2.0, 3.5, 0.25];
        assert_eq!(
            *Tensor::<Vector<U4>>::boxed_try_from_slice(&values).expect("4 values"),
            Tensor::try_from_slice(&values).expect("4 values")
        );
        assert_eq!(
            Tensor::<Vector<U4>>::boxed_try_from_slice(&values[..3]).map(|_| ()),
            Err(LengthMismatch { expected: 4, found: 3 })
        );
        assert_eq!(
            *Tensor::<Vector<U4>>::boxed_from_fn(|i| i as f32),
            Tensor::from_fn(|i| i as f32)
        );
        assert_eq!(*Tensor::<Vector<U4>>::boxed_zeros(), Tensor::zeros());
        assert_eq!(*boxed_zeroed::<Tensor<Vector<U4>>>(), Tensor::zeros());
    }
}
