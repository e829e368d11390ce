//! [`Ctxt`]: collects every error of one invocation, so the user sees all mistakes at once.

use proc_macro2::Span;
use std::fmt::Display;

/// A collector of spanned errors.
#[derive(Default)]
pub struct Ctxt {
    errors: Vec<syn::Error>,
}

impl Ctxt {
    /// Records an error at `span`.
    pub fn error(&mut self, span: Span, message: impl Display) {
        self.errors.push(syn::Error::new(span, message));
    }

    /// How many errors were recorded so far.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// All errors folded into one (`syn::Error::combine`), or `None` when there were none.
    pub fn into_error(self) -> Option<syn::Error> {
        let mut errors = self.errors.into_iter();
        let mut first = errors.next()?;
        for e in errors {
            first.combine(e);
        }
        Some(first)
    }
}
