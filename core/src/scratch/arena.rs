//! [`Arena`]: where each region of the scratch buffer goes, computed by constant evaluation.
//!
//! `network!` knows which values an inference keeps, and from which step to which step each is
//! in use, but some sizes (a convolution's working memory) depend on the kernels the target
//! compiles; so it emits the sizes as constant expressions and lets [`Arena::plan`] place the
//! regions when the crate is compiled. Two regions may share memory when their lifetimes do not
//! overlap.
//!
//! The unit is the caller's: `network!` plans in bytes (rounded up to whole `f32`s by
//! [`region_bytes`](crate::scratch::region_bytes)), so an int8 network's `i8` values, its `i32`
//! working memory and its `f32` input and output share one buffer.

/// Which end of the buffer a region prefers (`side` of [`Arena::plan`]).
pub mod side {
    /// Low offsets.
    pub const FRONT: u8 = 0;
    /// High offsets.
    pub const BACK: u8 = 1;
    /// Anywhere it fits (working memory between the values in use).
    pub const BETWEEN: u8 = 2;
}

/// The placement of `N` regions in one buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arena<const N: usize> {
    /// Each region's offset, in elements.
    pub offsets: [usize; N],
    /// Each region's size, in elements.
    pub sizes: [usize; N],
    /// The buffer's length: the end of the last region.
    pub len: usize,
    /// The smallest length any placement could have: the largest total size of the regions in
    /// use at one step.
    pub lower_bound: usize,
}

impl<const N: usize> Arena<N> {
    /// Places regions of `sizes` elements, region `i` in use from step `first[i]` to step
    /// `last[i]` (inclusive), so that regions in use at the same step never overlap.
    ///
    /// It first tries to fit everything in [`Arena::lower_bound`] elements, values alternating
    /// between the two ends as `side` asks and working memory between them (for a chain this
    /// is always possible, and optimal); then places the regions largest first at the lowest
    /// offset that fits; and keeps the shorter of the two.
    ///
    /// # Panics
    /// If its own placement overlaps (a bug it checks for), which in constant evaluation is a
    /// compile error, not a run-time panic.
    #[must_use]
    pub const fn plan(
        sizes: [usize; N],
        first: [usize; N],
        last: [usize; N],
        side: [u8; N],
    ) -> Self {
        let lower_bound = lower_bound(&sizes, &first, &last);
        let two_ended = two_ended(&sizes, &first, &last, &side, lower_bound);
        let by_size = largest_first(&sizes, &first, &last);
        let by_size_len = end(&by_size, &sizes);
        let offsets = match two_ended {
            Some(offsets) if end(&offsets, &sizes) <= by_size_len => offsets,
            _ => by_size,
        };
        let arena = Arena { offsets, sizes, len: end(&offsets, &sizes), lower_bound };
        assert!(arena.is_valid(&first, &last), "staticnn: overlapping scratch regions");
        arena
    }

    /// Whether no two regions in use at the same step overlap, and all are inside `len`.
    #[must_use]
    pub const fn is_valid(&self, first: &[usize; N], last: &[usize; N]) -> bool {
        let mut i = 0;
        while i < N {
            if self.offsets[i] + self.sizes[i] > self.len {
                return false;
            }
            let mut j = i + 1;
            while j < N {
                if conflict(i, j, self.offsets[i], &self.sizes, first, last, self.offsets[j]) {
                    return false;
                }
                j += 1;
            }
            i += 1;
        }
        true
    }
}

/// Whether region `i` placed at `at_i` and region `j` placed at `at_j` are in use at one step
/// and overlap.
const fn conflict(
    i: usize,
    j: usize,
    at_i: usize,
    sizes: &[usize],
    first: &[usize],
    last: &[usize],
    at_j: usize,
) -> bool {
    let in_time = first[i] <= last[j] && first[j] <= last[i];
    let nonempty = sizes[i] > 0 && sizes[j] > 0;
    let in_space = at_i < at_j + sizes[j] && at_j < at_i + sizes[i];
    in_time && nonempty && in_space
}

/// Whether region `i` at `at` conflicts with any region already placed.
const fn fits<const N: usize>(
    i: usize,
    at: usize,
    offsets: &[usize; N],
    placed: &[bool; N],
    sizes: &[usize; N],
    first: &[usize; N],
    last: &[usize; N],
) -> bool {
    let mut j = 0;
    while j < N {
        if placed[j] && j != i && conflict(i, j, at, sizes, first, last, offsets[j]) {
            return false;
        }
        j += 1;
    }
    true
}

/// The largest total size of the regions in use at one step.
const fn lower_bound<const N: usize>(
    sizes: &[usize; N],
    first: &[usize; N],
    last: &[usize; N],
) -> usize {
    let mut best = 0;
    let mut i = 0;
    while i < N {
        // The total at the step where region `i` starts (totals only rise where one starts).
        let step = first[i];
        let mut total = 0;
        let mut j = 0;
        while j < N {
            if first[j] <= step && step <= last[j] {
                total += sizes[j];
            }
            j += 1;
        }
        if total > best {
            best = total;
        }
        i += 1;
    }
    best
}

/// The end of the last region.
const fn end<const N: usize>(offsets: &[usize; N], sizes: &[usize; N]) -> usize {
    let mut len = 0;
    let mut i = 0;
    while i < N {
        if offsets[i] + sizes[i] > len {
            len = offsets[i] + sizes[i];
        }
        i += 1;
    }
    len
}

/// The lowest offset at which region `i` fits among the placed ones (candidates: 0 and the end
/// of each placed region).
const fn lowest_fit<const N: usize>(
    i: usize,
    offsets: &[usize; N],
    placed: &[bool; N],
    sizes: &[usize; N],
    first: &[usize; N],
    last: &[usize; N],
) -> usize {
    let mut best = usize::MAX;
    if fits(i, 0, offsets, placed, sizes, first, last) {
        return 0;
    }
    let mut j = 0;
    while j < N {
        if placed[j] {
            let at = offsets[j] + sizes[j];
            if at < best && fits(i, at, offsets, placed, sizes, first, last) {
                best = at;
            }
        }
        j += 1;
    }
    best
}

/// The highest offset at which region `i` fits among the placed ones and ends by `bound`, if
/// any (candidates: `bound - size` and the start of each placed region minus the size).
const fn highest_fit<const N: usize>(
    i: usize,
    bound: usize,
    offsets: &[usize; N],
    placed: &[bool; N],
    sizes: &[usize; N],
    first: &[usize; N],
    last: &[usize; N],
) -> Option<usize> {
    if sizes[i] > bound {
        return None;
    }
    let top = bound - sizes[i];
    if fits(i, top, offsets, placed, sizes, first, last) {
        return Some(top);
    }
    let mut best: Option<usize> = None;
    let mut j = 0;
    while j < N {
        if placed[j] && offsets[j] >= sizes[i] {
            let at = offsets[j] - sizes[i];
            let better = match best {
                Some(b) => at > b,
                None => true,
            };
            if at <= top && better && fits(i, at, offsets, placed, sizes, first, last) {
                best = Some(at);
            }
        }
        j += 1;
    }
    best
}

/// Values at their preferred end, in order, then working memory wherever it fits; `None` if
/// something does not fit in `bound`.
const fn two_ended<const N: usize>(
    sizes: &[usize; N],
    first: &[usize; N],
    last: &[usize; N],
    side: &[u8; N],
    bound: usize,
) -> Option<[usize; N]> {
    let mut offsets = [0; N];
    let mut placed = [false; N];
    let mut pass = 0;
    while pass < 2 {
        let mut i = 0;
        while i < N {
            let between = side[i] == side::BETWEEN;
            if between == (pass == 1) {
                let at = if side[i] == side::BACK {
                    match highest_fit(i, bound, &offsets, &placed, sizes, first, last) {
                        Some(at) => at,
                        None => return None,
                    }
                } else {
                    lowest_fit(i, &offsets, &placed, sizes, first, last)
                };
                if at > bound || bound - at < sizes[i] {
                    return None;
                }
                offsets[i] = at;
                placed[i] = true;
            }
            i += 1;
        }
        pass += 1;
    }
    Some(offsets)
}

/// Regions largest first, each at the lowest offset that fits.
const fn largest_first<const N: usize>(
    sizes: &[usize; N],
    first: &[usize; N],
    last: &[usize; N],
) -> [usize; N] {
    let mut offsets = [0; N];
    let mut placed = [false; N];
    let mut count = 0;
    while count < N {
        // The largest region not placed yet (the earliest of equals).
        let mut pick = 0;
        let mut found = false;
        let mut i = 0;
        while i < N {
            if !placed[i] && (!found || sizes[i] > sizes[pick]) {
                pick = i;
                found = true;
            }
            i += 1;
        }
        offsets[pick] = lowest_fit(pick, &offsets, &placed, sizes, first, last);
        placed[pick] = true;
        count += 1;
    }
    offsets
}

#[cfg(test)]
mod tests {
    use super::{Arena, side};

    #[test]
    fn a_chain_alternates_ends_and_needs_its_lower_bound() {
        // Values 10, 8, 6 (steps 0-1, 1-2, 2-3), working memory 3 at step 1.
        const A: Arena<4> = Arena::plan(
            [10, 8, 6, 3],
            [0, 1, 2, 1],
            [1, 2, 3, 1],
            [side::FRONT, side::BACK, side::FRONT, side::BETWEEN],
        );
        assert_eq!(A.lower_bound, 21);
        assert_eq!(A.len, 21);
        assert_eq!(A.offsets, [0, 13, 0, 10]);
    }

    #[test]
    fn a_skip_connection_stays_alive_across_its_branch() {
        // x (0-3) is read again by the add at step 3; a, b are the branch.
        const A: Arena<3> =
            Arena::plan([16, 16, 16], [0, 1, 2], [3, 2, 3], [side::FRONT, side::BACK, side::FRONT]);
        assert_eq!(A.lower_bound, 48);
        assert_eq!(A.len, 48);
        assert!(A.is_valid(&[0, 1, 2], &[3, 2, 3]));
    }

    #[test]
    fn empty_regions_take_no_room() {
        const A: Arena<2> = Arena::plan([0, 5], [0, 0], [1, 1], [side::FRONT, side::BACK]);
        assert_eq!(A.len, 5);
    }
}
