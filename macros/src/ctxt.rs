//! [`Ctxt`]: collects every error of one invocation, so the user sees all mistakes at once.

use proc_macro2::{Punct, Spacing, TokenStream, TokenTree};
use std::fmt::Display;

use crate::ast::At;

/// A collector of spanned errors.
#[derive(Default)]
pub struct Ctxt {
    errors: Vec<syn::Error>,
}

impl Ctxt {
    /// Records an error at `at`: a span, or the first and last tokens of an expression.
    pub fn error(&mut self, at: impl Into<At>, message: impl Display) {
        self.errors.push(error_at(at.into(), message));
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

/// An error covering every token from `at.start` to `at.end` (for one token, the same as
/// `syn::Error::new`): `syn` renders a range from the first and last token it is given.
pub fn error_at(at: At, message: impl Display) -> syn::Error {
    let ends = [at.start, at.end].map(|span| {
        let mut punct = Punct::new('+', Spacing::Alone);
        punct.set_span(span);
        TokenTree::Punct(punct)
    });
    syn::Error::new_spanned(ends.into_iter().collect::<TokenStream>(), message)
}
