//! [`TakeOnce`]: a `static` lent out once as `&'static mut` (the firmware's large buffers,
//! in `.bss`), without a heap and without `static mut`. Works on ARMv6-M, which has no atomic
//! swap: the check and the mark happen in a critical section.

use core::cell::{Cell, UnsafeCell};

/// A value in a `static`, lent out mutably once, for the rest of the program.
pub struct TakeOnce<T> {
    value: UnsafeCell<T>,
    taken: critical_section::Mutex<Cell<bool>>,
}

// SAFETY: the only access to `value` is the one `&'static mut T` that `take` hands out, once
// (the flag is tested and set inside a critical section); the value may move to whichever
// context takes it, hence `T: Send`.
unsafe impl<T: Send> Sync for TakeOnce<T> {}

impl<T> TakeOnce<T> {
    /// `value`, not yet lent out.
    pub const fn new(value: T) -> Self {
        Self { value: UnsafeCell::new(value), taken: critical_section::Mutex::new(Cell::new(false)) }
    }

    /// The value on the first call; `None` on every later call.
    #[allow(clippy::mut_from_ref)] // one `&mut` ever, guarded by `taken`
    pub fn take(&'static self) -> Option<&'static mut T> {
        let first = critical_section::with(|cs| !self.taken.borrow(cs).replace(true));
        // SAFETY: `taken` was false and is now true, so this is the first and only reference
        // ever made to `value`, which lives in `self`, a `static`.
        first.then(|| unsafe { &mut *self.value.get() })
    }
}
