//! What the user wrote inside `network! { .. }`, with the spans of every token that an error may
//! point at. Plain data: parsing fills it, checking and expansion read it.

use proc_macro2::Span;
use syn::{Attribute, Ident, Path, Visibility};

/// Everything inside one `network! { .. }`: block definitions and one or more networks.
pub struct Input {
    /// Reusable blocks (`block BasicBlock(cin, cout, stride = 1) { .. }`), in the order written.
    pub blocks: Vec<BlockDef>,
    /// The networks, in the order written.
    pub networks: Vec<Network>,
}

/// `block Name(param, param = default, ..) <body>`: a block of layers written once and used by
/// name, with its parameters replaced by the arguments of each use (`BasicBlock(16, 32)`).
pub struct BlockDef {
    /// Its name, used like a layer (`stack2 = BasicBlock(16, 32, stride = 2)`).
    pub name: Ident,
    /// Its parameters, in order.
    pub params: Vec<BlockParam>,
    /// The body's tokens (`{ .. }`, `[ .. ]` or `Add(..)`/`Mul(..)`/`Cat(..)`), parsed again at
    /// each use after the parameters are replaced.
    pub body: proc_macro2::TokenStream,
    /// The span of the body (where errors about the definition point).
    pub body_span: Span,
}

/// One parameter of a [`BlockDef`].
pub struct BlockParam {
    /// Its name.
    pub name: Ident,
    /// Its default value's tokens, if it has one.
    pub default: Option<proc_macro2::TokenStream>,
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
    /// The items of the network's body (an `nn.Sequential`), in order.
    pub body: Vec<Item>,
    /// The span of the `{ .. }` holding the layers (for errors about the list as a whole).
    pub body_span: Span,
}

/// One entry of a list of layers: a layer call, or a block of several.
pub enum Item {
    /// `name = Kind(args)` or `Kind(args)` (a layer, or the use of a [`BlockDef`]).
    Layer(LayerCall),
    /// `[ .. ]`, `{ .. }`, `Add(..)`, `Mul(..)` or `Cat(..)`.
    Block(Block),
    /// `A if condition else B`: one of two items, chosen when a block definition is used.
    Choice(Box<Choice>),
}

/// `name = A if condition else B`, as Python's conditional expression: inside a block
/// definition, picks an item from the block's arguments (`shortcut = Conv2d(cin, cout, 1,
/// stride = stride) if stride != 1 else Identity()`).
pub struct Choice {
    /// The name, which applies to the chosen item.
    pub name: Option<Ident>,
    /// The condition's tokens (integers, comparisons, `and`, `or`, `not`, parentheses).
    pub condition: proc_macro2::TokenStream,
    /// The span of the condition.
    pub condition_span: Span,
    /// The item when the condition holds.
    pub then: Item,
    /// The item otherwise.
    pub otherwise: Item,
}

impl Item {
    /// The name the user gave the item, if any.
    pub fn name(&self) -> Option<&Ident> {
        match self {
            Item::Layer(call) => call.name.as_ref(),
            Item::Block(block) => block.name.as_ref(),
            Item::Choice(choice) => choice.name.as_ref(),
        }
    }
}

/// What a [`Block`] computes from its items.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BlockKind {
    /// `[a, b, ..]`: an `nn.Sequential`, each item feeding the next; unnamed items are keyed by
    /// their position.
    Sequential,
    /// `{ a, b, .. }`: a chain whose layers are attributes of the enclosing module (unnamed
    /// items add nothing to the keys, so layers with tensors must be named).
    Module,
    /// `Add(a, b, ..)`: every branch gets the block's input; their outputs are summed.
    Add,
    /// `Mul(a, b, ..)`: as `Add`, multiplied element-wise with broadcasting (`x * gate`).
    Mul,
    /// `Cat(a, b, .., dim = 1)`: as `Add`, concatenated along the channels.
    Cat,
}

impl BlockKind {
    /// The combinator named `name`, if it is one.
    pub fn combinator(name: &str) -> Option<Self> {
        match name {
            "Add" => Some(Self::Add),
            "Mul" => Some(Self::Mul),
            "Cat" => Some(Self::Cat),
            _ => None,
        }
    }

    /// Whether the items are branches of one input (`Add`, `Mul`, `Cat`) rather than a chain.
    pub fn is_combinator(self) -> bool {
        matches!(self, Self::Add | Self::Mul | Self::Cat)
    }

    /// How the block is written, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Sequential => "[..]",
            Self::Module => "{..}",
            Self::Add => "Add",
            Self::Mul => "Mul",
            Self::Cat => "Cat",
        }
    }
}

/// A block of items: a nested chain, or branches combined by `Add`, `Mul` or `Cat`.
pub struct Block {
    /// The name the user gave it (its `state_dict` prefix and field prefix).
    pub name: Option<Ident>,
    /// What it computes.
    pub kind: BlockKind,
    /// The span of `Add`/`Mul`/`Cat`, or of the opening bracket or brace.
    pub kind_span: Span,
    /// The items (the chain's layers, or the branches), in order.
    pub items: Vec<Item>,
    /// `Cat`'s `dim`, if given.
    pub dim: Option<Spanned<Value>>,
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
#[derive(Clone)]
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
#[derive(Clone)]
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
