//! [`Boot`]: `static` storage for a value too large for a microcontroller's stack (a network
//! holds its weights by value), set up in place once at start-up.
//!
//! `seeded()` builds a network on the stack and returns it, and the networks are not `const`;
//! so the storage starts as all-zero bytes (`.bss`, no flash), which is a valid value for
//! [`Zeroable`] types, and the caller then sets the weights in place (`reset_parameters`).
//! When the weights come from flash (a `static` network), the network needs no `Boot`.

use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicBool, Ordering};

use staticnn::network::Network;
use staticnn::scratch::Scratch;
use staticnn::shape::Shape;
use staticnn::tensor::Tensor;

/// Types for which all-zero bytes are a valid value.
///
/// # Safety
/// Implement it only for types whose every field accepts all-zero bytes (`f32`, arrays of
/// them, zero-sized types, other `Zeroable` types).
pub unsafe trait Zeroable {}

// SAFETY: `Tensor<S>` is `repr(transparent)` over an array of `f32`; zero bytes are 0.0.
unsafe impl<S: Shape> Zeroable for Tensor<S> {}
// SAFETY: `Scratch<LEN>` is `repr(C)` with one field, `[f32; LEN]`.
unsafe impl<const LEN: usize> Zeroable for Scratch<LEN> {}

/// A zero-initialised `T` in a `static`, handed out once as `&'static mut T`.
pub struct Boot<T> {
    value: UnsafeCell<MaybeUninit<T>>,
    taken: AtomicBool,
}

// SAFETY: the only access to `value` is the one `&'static mut T` that `take` hands out, once
// (guarded by the atomic `taken`); so sharing a `Boot` gives no aliasing access, and the value
// may move to whichever thread (or interrupt) takes it, hence `T: Send`.
unsafe impl<T: Send> Sync for Boot<T> {}

impl<T> Boot<T> {
    /// All-zero storage (in `.bss`: it costs no flash).
    #[must_use]
    pub const fn new() -> Self {
        Self { value: UnsafeCell::new(MaybeUninit::zeroed()), taken: AtomicBool::new(false) }
    }
}

impl<T> Default for Boot<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Zeroable> Boot<T> {
    /// The value, all zero, on the first call; `None` on every later call.
    #[allow(clippy::mut_from_ref)] // one `&mut` ever, guarded by `taken` (see the SAFETY below)
    pub fn take(&'static self) -> Option<&'static mut T> {
        if self.taken.swap(true, Ordering::AcqRel) {
            return None;
        }
        // SAFETY: `taken` was false, and `swap` set it, so this is the first and only
        // reference ever made to `value`; it lives in `self`, a `static`. Nothing wrote the
        // bytes since `new` made them zero, and all-zero bytes are a valid `T` (`T: Zeroable`).
        Some(unsafe { (*self.value.get()).assume_init_mut() })
    }
}

/// Everything one inference of `N` touches, to keep in one [`Boot`].
pub struct Workspace<N: Network> {
    /// The network (weights by value).
    pub net: N,
    /// Its input.
    pub input: Tensor<N::Input>,
    /// The output of `forward_into`.
    pub output: Tensor<N::Output>,
    /// The output of the layer-by-layer run.
    pub by_layer: Tensor<N::Output>,
    /// Working memory (`N::SCRATCH_BYTES`).
    pub scratch: N::Scratch,
}

// SAFETY: each field is `Zeroable` (the bounds, and `Tensor`'s impl above), so all-zero bytes
// are a valid `Workspace`.
unsafe impl<N: Network + Zeroable> Zeroable for Workspace<N> where N::Scratch: Zeroable {}
