//! What the user wrote inside `network! { .. }`, with the spans of every token that an error may
//! point at. Plain data: parsing fills it, checking and expansion read it.

use proc_macro2::Span;
use syn::{Attribute, Ident, Path, Visibility};

/// Everything inside one `network! { .. }`: one or more networks.
pub struct Input {
    /// The networks, in the order written.
    pub networks: Vec<Network>,
}

/// One `vis struct Name: [dims] { layers }`.
pub struct Network {
    /// Attributes to pass through to the struct (doc comments, `#[derive]`, `#[cfg]`, ...).
    pub attrs: Vec<Attribute>,
    /// Options given in `#[staticnn(..)]` attributes.
    pub options: Vec<NetworkOption>,
    /// The struct's visibility.
    pub vis: Visibility,
    /// The struct's name.
    pub name: Ident,
    /// The declared input shape.
    pub input: InputShape,
    /// The layers, in order.
    pub layers: Vec<LayerCall>,
    /// The span of the `{ .. }` holding the layers (for errors about the list as a whole).
    pub body_span: Span,
}

/// One `key = value` inside `#[staticnn(..)]`.
pub struct NetworkOption {
    /// The option's name.
    pub key: Ident,
    /// Its value.
    pub value: Spanned<Value>,
}

/// The `[C, H, W]` after the network's name.
pub struct InputShape {
    /// Each dimension, evaluated (`16 * 2` is 32; a negative one is reported by the checks).
    pub dims: Vec<Spanned<i64>>,
    /// The span of the whole `[..]`.
    pub span: Span,
}

/// One entry of the layer list: `name = Kind(args)` or `Kind(args)`.
pub struct LayerCall {
    /// Attributes on the entry (doc comments go to the generated field).
    pub attrs: Vec<Attribute>,
    /// The field name, if the user gave one.
    pub name: Option<Ident>,
    /// The layer's type name (`Conv2d`) or a path to a user-defined layer.
    pub kind: Path,
    /// The arguments, in order.
    pub args: Vec<Arg>,
    /// The span of the `( .. )`, or of the kind when there are no parentheses.
    pub args_span: Span,
}

impl LayerCall {
    /// The layer's type name as written (`Conv2d`, or the last segment of a path).
    pub fn kind_name(&self) -> String {
        self.kind.segments.last().map(|s| s.ident.to_string()).unwrap_or_default()
    }

    /// The span of the layer's name, where errors about the layer as a whole point.
    pub fn kind_span(&self) -> Span {
        self.kind.segments.last().map_or_else(Span::call_site, |s| s.ident.span())
    }
}

/// One argument: positional or `keyword = value`.
pub struct Arg {
    /// The keyword, for keyword arguments.
    pub keyword: Option<Ident>,
    /// The value.
    pub value: Spanned<Value>,
}

/// A value with the span of its tokens.
#[derive(Clone)]
pub struct Spanned<T> {
    /// The value (an arithmetic expression evaluated: `16 * 5 * 5` is 400).
    pub value: T,
    /// Where it was written: its first token (for a tuple, its parentheses).
    pub span: Span,
    /// All its tokens, where errors about it point.
    pub at: At,
    /// How it was written: one entry for a number (or any value that is not a tuple), one
    /// per element for a tuple.
    pub written: Vec<Written>,
}

/// The tokens something was written with, from the first to the last. Rust's stable
/// proc-macro API cannot join two spans into one, so an error that covers an expression such
/// as `16 * 5 * 5` keeps both ends.
#[derive(Clone, Copy)]
pub struct At {
    /// The first token's span.
    pub start: Span,
    /// The last token's span.
    pub end: Span,
}

impl From<Span> for At {
    fn from(span: Span) -> Self {
        At { start: span, end: span }
    }
}

/// How one item of a value was written: its source text (`16 * 5 * 5`, or `400` for a plain
/// literal) and its tokens.
#[derive(Clone)]
pub struct Written {
    /// The tokens as text, single-spaced around operators.
    pub text: String,
    /// Its tokens.
    pub at: At,
}

/// An argument value, in Python's vocabulary.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// An integer, possibly negative (`-1`).
    Int(i64),
    /// A float, with the text it was written as (`1e-5`).
    Float(f64),
    /// `True` / `False` (Rust's `true` / `false` are accepted too).
    Bool(bool),
    /// A string literal.
    Str(String),
    /// `(a, b, ..)` or `[a, b, ..]`.
    Tuple(Vec<Value>),
    /// `None`.
    None,
}

impl Value {
    /// A short description of what kind of value this is, for error messages.
    pub fn describe(&self) -> String {
        match self {
            Value::Int(i) => format!("the integer {i}"),
            Value::Float(f) => format!("the float {f}"),
            Value::Bool(b) => format!("the boolean {}", if *b { "True" } else { "False" }),
            Value::Str(s) => format!("the string {s:?}"),
            Value::Tuple(items) => format!("a tuple of {} values", items.len()),
            Value::None => "None".to_owned(),
        }
    }
}
