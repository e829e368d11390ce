//! [`FileShape`]: a tensor's `shape` as written in the header, read without copying.

use core::fmt;

/// The `shape` of a tensor in a safetensors header: the JSON array text, already validated as
/// an array of non-negative integers that fit in a `u64`. Any rank; no storage of its own.
#[derive(Clone, Copy)]
pub struct FileShape<'a> {
    /// The array text, `[` to `]`, containing only digits, commas and whitespace inside.
    text: &'a str,
}

impl<'a> FileShape<'a> {
    /// Wraps validated array text; see the field's invariant.
    pub(crate) fn from_validated(text: &'a str) -> Self {
        Self { text }
    }

    /// The dimensions, outermost first.
    #[must_use]
    pub fn dims(&self) -> Dims<'a> {
        Dims { rest: self.text.as_bytes() }
    }

    /// The number of dimensions (0 for a scalar).
    #[must_use]
    pub fn rank(&self) -> usize {
        self.dims().count()
    }

    /// The number of elements, or `None` if it does not fit in a `u64`.
    #[must_use]
    pub fn numel(&self) -> Option<u64> {
        self.dims().try_fold(1u64, u64::checked_mul)
    }

    /// Whether the dimensions are exactly `expected` (same rank, same sizes).
    #[must_use]
    pub fn matches(&self, expected: &[usize]) -> bool {
        let mut dims = self.dims();
        let same_prefix = expected.iter().all(|&want| {
            let want = u64::try_from(want).ok();
            dims.next().is_some_and(|have| Some(have) == want)
        });
        same_prefix && dims.next().is_none()
    }
}

impl fmt::Display for FileShape<'_> {
    /// Formats like a Rust slice, `[6, 1, 5, 5]`, whatever the spacing in the file.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, dim) in self.dims().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{dim}")?;
        }
        f.write_str("]")
    }
}

impl fmt::Debug for FileShape<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl PartialEq for FileShape<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.dims().eq(other.dims())
    }
}

impl Eq for FileShape<'_> {}

/// The dimensions of a [`FileShape`], outermost first.
#[derive(Clone, Debug)]
pub struct Dims<'a> {
    rest: &'a [u8],
}

impl Iterator for Dims<'_> {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        let start = self.rest.iter().position(u8::is_ascii_digit)?;
        let digits = self.rest.get(start..)?;
        let len = digits.iter().position(|b| !b.is_ascii_digit()).unwrap_or(digits.len());
        let (number, rest) = digits.split_at_checked(len)?;
        self.rest = rest;
        // Validated when the header was read: the digits fit in a u64.
        number
            .iter()
            .try_fold(0u64, |acc, &d| acc.checked_mul(10)?.checked_add(u64::from(d - b'0')))
    }
}

#[cfg(test)]
mod tests {
    use super::FileShape;

    extern crate std;
    use std::string::ToString;
    use std::vec::Vec;

    #[test]
    fn reads_dims_of_any_rank() {
        let shape = FileShape::from_validated("[6, 1,5 ,\n5]");
        assert_eq!(shape.dims().collect::<Vec<_>>(), [6, 1, 5, 5]);
        assert_eq!(shape.rank(), 4);
        assert_eq!(shape.numel(), Some(150));
        assert!(shape.matches(&[6, 1, 5, 5]));
        assert!(!shape.matches(&[6, 1, 5]));
        assert!(!shape.matches(&[6, 1, 5, 5, 1]));
        assert!(!shape.matches(&[6, 3, 5, 5]));
        assert_eq!(shape.to_string(), "[6, 1, 5, 5]");
    }

    #[test]
    fn scalars_and_empty_tensors() {
        let scalar = FileShape::from_validated("[ ]");
        assert_eq!(scalar.rank(), 0);
        assert_eq!(scalar.numel(), Some(1));
        assert!(scalar.matches(&[]));
        assert_eq!(scalar.to_string(), "[]");
        assert_eq!(FileShape::from_validated("[3,0]").numel(), Some(0));
    }

    #[test]
    fn numel_overflow_is_none() {
        let huge = FileShape::from_validated("[4294967296, 4294967296]");
        assert_eq!(huge.numel(), None);
    }
}
