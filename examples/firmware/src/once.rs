//! [`TakeOnce`]: a `static` handed out once as `&'static mut`: how the firmware gives each
//! network its scratch buffer without a heap and without `static mut`.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

/// A value in a `static`, lent out mutably once, for the rest of the program.
pub struct TakeOnce<T> {
    value: UnsafeCell<T>,
    taken: AtomicBool,
}

// SAFETY: the only access to `value` is the one `&'static mut T` that `take` hands out, once
// (guarded by the atomic `taken`); so sharing a `TakeOnce` gives no aliasing access, and the
// value may move to whichever thread (or interrupt) takes it, hence `T: Send`.
unsafe impl<T: Send> Sync for TakeOnce<T> {}

impl<T> TakeOnce<T> {
    /// `value`, not yet lent out. `const`: with a zero `value` (a network's `new_scratch()`)
    /// the `static` lands in `.bss`, which costs no flash.
    pub const fn new(value: T) -> Self {
        Self { value: UnsafeCell::new(value), taken: AtomicBool::new(false) }
    }

    /// The value on the first call; `None` on every later call.
    #[allow(clippy::mut_from_ref)] // one `&mut` ever, guarded by `taken` (see the SAFETY below)
    pub fn take(&'static self) -> Option<&'static mut T> {
        if self.taken.swap(true, Ordering::AcqRel) {
            return None;
        }
        // SAFETY: `taken` was false and `swap` set it, so this is the first and only reference
        // ever made to `value`, which lives in `self`, a `static`.
        Some(unsafe { &mut *self.value.get() })
    }
}
