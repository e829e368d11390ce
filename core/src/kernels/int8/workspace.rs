//! Views of a kernel's `i8` workspace as the words and halfwords its DSP loops read
//! ([`direct`](super::direct), [`pointwise_dsp`](super::pointwise_dsp)).

/// The words of `workspace` from its first 4-byte boundary on.
pub(super) fn words(workspace: &mut [i8]) -> &mut [u32] {
    // SAFETY: every bit pattern is a valid `u32`; `align_to_mut` returns only correctly
    // aligned, in-bounds middle elements.
    let (_, middle, _) = unsafe { workspace.align_to_mut::<u32>() };
    middle
}

/// `words` as halfwords.
pub(super) fn halfwords(words: &mut [u32]) -> &mut [u16] {
    // SAFETY: every bit pattern is a valid `u16`, and `u32`'s alignment is `u16`'s multiple,
    // so the middle covers all of `words`.
    let (_, middle, _) = unsafe { words.align_to_mut::<u16>() };
    middle
}
