//! Syntax only: tokens to [`ast`](crate::ast). No shape or layer knowledge lives here.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned as _;
use syn::{Attribute, Ident, LitInt, Path, Token, Visibility, braced, bracketed, parenthesized};

use quote::ToTokens as _;

use crate::ast::{
    Arg, Block, BlockDef, BlockKind, BlockParam, Choice, Input, InputShape, Item, LayerCall,
    Network, NetworkOption, Spanned, Value, Written,
};
use crate::ctxt::error_at;
use crate::expr;

/// The keyword that starts a block definition: `block Name(params) { .. }`.
const BLOCK_KEYWORD: &str = "block";

/// The attribute that carries staticnn's own options: `#[staticnn(weights = "..")]`.
const OPTIONS_ATTR: &str = "staticnn";

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut networks = Vec::new();
        let mut blocks = Vec::new();
        while !input.is_empty() {
            if starts_block_def(input) {
                blocks.push(input.parse()?);
            } else {
                networks.push(input.parse()?);
            }
        }
        if networks.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "expected a network: `pub struct Name: [C, H, W] { Layer(..), .. }`",
            ));
        }
        Ok(Input { blocks, networks })
    }
}

/// Whether the next item is `block Name(..)` (after doc comments or other attributes).
fn starts_block_def(input: ParseStream) -> bool {
    let fork = input.fork();
    if fork.call(Attribute::parse_outer).is_err() {
        return false;
    }
    fork.peek(Ident) && fork.peek2(Ident) && fork.parse::<Ident>().is_ok_and(|i| i == BLOCK_KEYWORD)
}

impl Parse for BlockDef {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        // Doc comments on a definition document nothing generated; they are allowed and dropped.
        input.call(Attribute::parse_outer)?;
        input.parse::<Ident>()?; // `block`
        let name: Ident = input.parse()?;
        if !input.peek(syn::token::Paren) {
            return Err(syn::Error::new(
                input.span(),
                format!(
                    "expected `(` and the parameters of block `{name}`, e.g. \
                     `block {name}(in_channels, out_channels, stride = 1) {{ .. }}` \
                     (write `()` for none)"
                ),
            ));
        }
        let content;
        parenthesized!(content in input);
        let mut params = Vec::new();
        while !content.is_empty() {
            let param: Ident = content.parse().map_err(|e| {
                syn::Error::new(e.span(), "expected a parameter name, e.g. `in_channels`")
            })?;
            let default = if content.peek(Token![=]) {
                content.parse::<Token![=]>()?;
                let mut tokens = proc_macro2::TokenStream::new();
                while !content.is_empty() && !content.peek(Token![,]) {
                    tokens.extend([content.parse::<proc_macro2::TokenTree>()?]);
                }
                if tokens.is_empty() {
                    return Err(syn::Error::new(
                        content.span(),
                        format!("expected a default value after `{param} =`"),
                    ));
                }
                Some(tokens)
            } else {
                None
            };
            params.push(BlockParam { name: param, default });
            if content.is_empty() {
                break;
            }
            content.parse::<Token![,]>()?;
        }
        let body_span = input.span();
        let mut body = proc_macro2::TokenStream::new();
        if input.peek(syn::token::Brace) || input.peek(syn::token::Bracket) {
            body.extend([input.parse::<proc_macro2::TokenTree>()?]);
        } else if input.peek(Ident) && input.peek2(syn::token::Paren) {
            body.extend([input.parse::<proc_macro2::TokenTree>()?]);
            body.extend([input.parse::<proc_macro2::TokenTree>()?]);
        } else {
            return Err(syn::Error::new(
                input.span(),
                format!(
                    "expected the body of block `{name}`: `{{ .. }}` (layers that are \
                     attributes of the block), `[ .. ]` (an nn.Sequential), or \
                     `Add(..)`, `Mul(..)`, `Cat(..)`"
                ),
            ));
        }
        if input.peek(Token![;]) || input.peek(Token![,]) {
            input.parse::<proc_macro2::TokenTree>()?;
        }
        Ok(BlockDef { name, params, body, body_span })
    }
}

impl Parse for Network {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let all_attrs = input.call(Attribute::parse_outer)?;
        let mut attrs = Vec::new();
        let mut options = Vec::new();
        for attr in all_attrs {
            if attr.path().is_ident(OPTIONS_ATTR) {
                attr.parse_args_with(|p: ParseStream| parse_options(p, &mut options))?;
            } else {
                attrs.push(attr);
            }
        }
        let vis: Visibility = input.parse()?;
        let lookahead = input.lookahead1();
        if !lookahead.peek(Token![struct]) {
            return Err(syn::Error::new(
                input.span(),
                "expected `struct`: a network is declared as `pub struct Name: [C, H, W] { .. }`",
            ));
        }
        input.parse::<Token![struct]>()?;
        let name: Ident = input.parse()?;
        if !input.peek(Token![:]) {
            return Err(syn::Error::new(
                input.span(),
                format!(
                    "expected `:` and the input shape after `{name}`, e.g. `struct {name}: [3, 32, 32]`"
                ),
            ));
        }
        input.parse::<Token![:]>()?;
        let shape = parse_input_shape(input)?;
        let content;
        let brace = braced!(content in input);
        let body = parse_items(&content)?;
        Ok(Network { attrs, options, vis, name, input: shape, body, body_span: brace.span.join() })
    }
}

fn parse_options(input: ParseStream, options: &mut Vec<NetworkOption>) -> syn::Result<()> {
    while !input.is_empty() {
        let key: Ident = input.parse()?;
        input.parse::<Token![=]>()?;
        let value = parse_value(input)?;
        options.push(NetworkOption { key, value });
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(())
}

fn parse_input_shape(input: ParseStream) -> syn::Result<InputShape> {
    if !input.peek(syn::token::Bracket) {
        return Err(syn::Error::new(
            input.span(),
            "expected the input shape in brackets: `[C, H, W]` for images, `[C, L]` for \
             sequences, `[N]` for vectors",
        ));
    }
    let content;
    let bracket = bracketed!(content in input);
    let mut dims = Vec::new();
    while !content.is_empty() {
        let dim = expr::parse(&content, parse_size_operand)?;
        let Value::Int(value) = dim.value else {
            // Size operands are integers, and arithmetic on them gives integers.
            return Err(error_at(dim.at, "expected an integer size"));
        };
        dims.push(Spanned { value, span: dim.span, at: dim.at, written: dim.written });
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    Ok(InputShape { dims, span: bracket.span.join() })
}

/// An operand of an input size: an integer literal or a parenthesised expression.
fn parse_size_operand(input: ParseStream) -> syn::Result<Spanned<Value>> {
    if input.peek(syn::token::Paren) {
        let content;
        let paren = parenthesized!(content in input);
        let inner = expr::parse(&content, parse_size_operand)?;
        if !content.is_empty() {
            return Err(content.error("expected one size inside the parentheses"));
        }
        let span = paren.span.join();
        let text = format!("({})", inner.text());
        return Ok(Spanned::scalar(inner.value, span, span.into(), text));
    }
    let lit: LitInt = input.parse().map_err(|e| {
        syn::Error::new(
            e.span(),
            "expected an integer literal: the input shape lists sizes like `[3, 32, 32]`",
        )
    })?;
    let value = lit.base10_parse::<i64>().map_err(|_| {
        syn::Error::new(lit.span(), "expected an integer size without suffix that fits in 64 bits")
    })?;
    Ok(Spanned::scalar(Value::Int(value), lit.span(), lit.span().into(), lit.to_string()))
}

/// Items separated by commas, up to the end of `input` (a trailing comma is allowed).
fn parse_items(input: ParseStream) -> syn::Result<Vec<Item>> {
    let mut items = Vec::new();
    while !input.is_empty() {
        items.push(input.parse()?);
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(items)
}

impl Parse for Item {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let item = parse_entry(input)?;
        if !input.peek(Token![if]) {
            return Ok(item);
        }
        let if_token: Token![if] = input.parse()?;
        let mut condition = proc_macro2::TokenStream::new();
        while !input.is_empty() && !input.peek(Token![else]) {
            condition.extend([input.parse::<proc_macro2::TokenTree>()?]);
        }
        if condition.is_empty() || !input.peek(Token![else]) {
            return Err(syn::Error::new(
                if_token.span,
                "expected `A if condition else B`, as in Python, e.g. \
                 `Conv2d(cin, cout, 1, stride = stride) if stride != 1 else Identity()`",
            ));
        }
        let condition_span =
            condition.clone().into_iter().next().map_or(if_token.span, |t| t.span());
        input.parse::<Token![else]>()?;
        let otherwise: Item = input.parse()?;
        if let Some(name) = otherwise.name() {
            return Err(syn::Error::new(
                name.span(),
                "name the whole choice instead: `name = A if condition else B`",
            ));
        }
        let (name, then) = take_name(item);
        Ok(Item::Choice(Box::new(Choice { name, condition, condition_span, then, otherwise })))
    }
}

/// Splits the name off an item (the name of `name = A if c else B` belongs to the choice).
fn take_name(item: Item) -> (Option<Ident>, Item) {
    match item {
        Item::Layer(mut call) => (call.name.take(), Item::Layer(call)),
        Item::Block(mut block) => (block.name.take(), Item::Block(block)),
        Item::Choice(mut choice) => (choice.name.take(), Item::Choice(choice)),
    }
}

/// One item without a trailing `if .. else ..`.
fn parse_entry(input: ParseStream) -> syn::Result<Item> {
    let attrs = input.call(Attribute::parse_outer)?;
    let name = if input.peek(Ident) && input.peek2(Token![=]) && !input.peek2(Token![==]) {
        let name: Ident = input.parse()?;
        input.parse::<Token![=]>()?;
        Some(name)
    } else {
        None
    };
    if input.peek(syn::token::Bracket) || input.peek(syn::token::Brace) {
        let content;
        let (kind, span) = if input.peek(syn::token::Bracket) {
            (BlockKind::Sequential, bracketed!(content in input).span)
        } else {
            (BlockKind::Module, braced!(content in input).span)
        };
        let items = parse_items(&content)?;
        // Doc comments on a block document nothing generated: accepted, dropped.
        drop(attrs);
        return Ok(Item::Block(Block { name, kind, kind_span: span.open(), items, dim: None }));
    }
    let combinator = input
        .fork()
        .parse::<Ident>()
        .ok()
        .and_then(|i| BlockKind::combinator(&i.to_string()).map(|kind| (kind, i.span())));
    if let Some((kind, kind_span)) = combinator.filter(|_| input.peek2(syn::token::Paren)) {
        input.parse::<Ident>()?;
        let content;
        parenthesized!(content in input);
        let (items, dim) = parse_branches(&content)?;
        drop(attrs);
        return Ok(Item::Block(Block { name, kind, kind_span, items, dim }));
    }
    parse_call(input, attrs, name).map(Item::Layer)
}

/// The branches of `Add(..)`, `Mul(..)` or `Cat(..)`, and `Cat`'s `dim = ..` if given.
fn parse_branches(input: ParseStream) -> syn::Result<(Vec<Item>, Option<Spanned<Value>>)> {
    let mut items = Vec::new();
    let mut dim = None;
    while !input.is_empty() {
        let is_dim = input.fork().parse::<Ident>().is_ok_and(|i| i == "dim")
            && input.peek2(Token![=])
            && !input.peek2(Token![==]);
        if is_dim {
            input.parse::<Ident>()?;
            input.parse::<Token![=]>()?;
            dim = Some(parse_value(input)?);
        } else {
            items.push(input.parse()?);
        }
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok((items, dim))
}

/// A layer call after its attributes and name: `Kind(args)`.
fn parse_call(
    input: ParseStream,
    attrs: Vec<Attribute>,
    name: Option<Ident>,
) -> syn::Result<LayerCall> {
    let kind: Path = input.call(Path::parse_mod_style).map_err(|e| {
        syn::Error::new(
            e.span(),
            "expected a layer such as `Conv2d(3, 6, 5)` or `ReLU()`, a block `[..]`, `{..}`, \
             or `Add(..)`, `Mul(..)`, `Cat(..)`",
        )
    })?;
    if !input.peek(syn::token::Paren) {
        let kind_name = kind.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
        return Err(syn::Error::new(
            kind.span(),
            format!(
                "expected `(` after `{kind_name}`: layers are written as calls, \
                 e.g. `{kind_name}()`"
            ),
        ));
    }
    let content;
    let paren = parenthesized!(content in input);
    let mut args = Vec::new();
    while !content.is_empty() {
        args.push(content.parse()?);
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    Ok(LayerCall { attrs, name, kind, args, args_span: paren.span.join() })
}

impl Parse for Arg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let keyword = if input.peek(Ident) && input.peek2(Token![=]) && !input.peek2(Token![==]) {
            let keyword: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            Some(keyword)
        } else {
            None
        };
        let value = parse_value(input)?;
        Ok(Arg { keyword, value })
    }
}

/// Parses one Python-style value: integer, float, bool, string, `None`, a tuple of those, or
/// integer arithmetic on them (see [`expr`]).
pub(crate) fn parse_value(input: ParseStream) -> syn::Result<Spanned<Value>> {
    expr::parse(input, parse_operand)
}

/// One operand of a value: a literal, `True` / `False` / `None`, a tuple or list, or a
/// parenthesised value (`(16 * 5)` is 80, as in Python; `(80,)` is a tuple).
fn parse_operand(input: ParseStream) -> syn::Result<Spanned<Value>> {
    let start = input.span();
    if input.peek(syn::token::Paren) || input.peek(syn::token::Bracket) {
        let content;
        let is_paren = input.peek(syn::token::Paren);
        let span = if is_paren {
            parenthesized!(content in input).span.join()
        } else {
            bracketed!(content in input).span.join()
        };
        let mut items = Vec::new();
        let mut trailing_comma = false;
        while !content.is_empty() {
            items.push(parse_value(&content)?);
            trailing_comma = false;
            if content.is_empty() {
                break;
            }
            content.parse::<Token![,]>()?;
            trailing_comma = true;
        }
        if is_paren && items.len() == 1 && !trailing_comma {
            let inner = items.remove(0);
            if !matches!(inner.value, Value::Tuple(_)) {
                let text = format!("({})", inner.text());
                return Ok(Spanned::scalar(inner.value, span, span.into(), text));
            }
            return Ok(Spanned { span, at: span.into(), ..inner });
        }
        let written = items.iter().map(|item| Written { text: item.text(), at: item.at }).collect();
        let value = Value::Tuple(items.into_iter().map(|item| item.value).collect());
        return Ok(Spanned { value, span, at: span.into(), written });
    }
    if input.peek(syn::Lit) {
        let lit: syn::Lit = input.parse()?;
        let span = lit.span();
        let value = match &lit {
            syn::Lit::Int(i) => Value::Int(i.base10_parse::<i64>().map_err(|_| {
                syn::Error::new(span, "expected an integer without suffix that fits in 64 bits")
            })?),
            syn::Lit::Float(f) => match f.base10_parse::<f64>() {
                Ok(v) if v.is_finite() => Value::Float(v),
                Ok(_) => {
                    return Err(syn::Error::new(
                        span,
                        format!(
                            "the float {f} is out of range (the largest is about 1.8e308); \
                             write a finite value"
                        ),
                    ));
                }
                Err(_) => return Err(syn::Error::new(span, "expected a float without suffix")),
            },
            syn::Lit::Str(s) => Value::Str(s.value()),
            syn::Lit::Bool(b) => Value::Bool(b.value),
            _ => {
                return Err(syn::Error::new(
                    span,
                    "expected an integer, a float, a string, True, False, None or a tuple",
                ));
            }
        };
        let text = lit.to_token_stream().to_string();
        return Ok(Spanned::scalar(value, span, span.into(), text));
    }
    if input.peek(Ident) {
        let ident: Ident = input.parse()?;
        let value = match ident.to_string().as_str() {
            "True" => Value::Bool(true),
            "False" => Value::Bool(false),
            "None" => Value::None,
            other => {
                return Err(syn::Error::new(
                    ident.span(),
                    format!(
                        "expected a value (a number, a string, True, False, None or a tuple), \
                         found `{other}`; arguments must be literals so shapes can be checked \
                         at compile time"
                    ),
                ));
            }
        };
        let span = ident.span();
        return Ok(Spanned::scalar(value, span, span.into(), ident.to_string()));
    }
    Err(syn::Error::new(
        start,
        "expected a value: a number, a string, True, False, None or a tuple",
    ))
}
