//! Integer arithmetic in arguments and input sizes, as PyTorch code writes them:
//! `Linear(16 * 5 * 5, 120)`, `kernel_size = (2 * 2, 3)`, `[3, 16 * 2, 32]`.
//!
//! The grammar, with Python's precedence (`parse.rs` parses the operands):
//!
//! ```text
//! sum     = product (("+" | "-") product)*
//! product = unary (("*" | "/") unary)*
//! unary   = "-" unary | operand
//! operand = a literal, a name (True, None, ..), a tuple or list, or "(" sum ")"
//! ```
//!
//! Evaluation is checked `i64` arithmetic: an overflow, a division by zero and a division that
//! leaves a remainder are errors spanned on the expression. `/` must divide exactly: Python's
//! `//` cannot be written, because Rust's lexer turns `//` and the rest of its line into a
//! comment before the macro sees the tokens. Each value keeps the text it was written as, so
//! messages can show both (`400 (= 16 * 5 * 5)`).

use std::fmt::Display;

use syn::Token;
use syn::parse::ParseStream;

use crate::ast::{At, Spanned, Value, Written};
use crate::ctxt::error_at;

/// Parses `sum` from `input`, with operands parsed by `operand`, and evaluates it.
pub fn parse(
    input: ParseStream,
    operand: fn(ParseStream) -> syn::Result<Spanned<Value>>,
) -> syn::Result<Spanned<Value>> {
    let mut lhs = parse_product(input, operand)?;
    loop {
        let op = if input.peek(Token![+]) {
            input.parse::<Token![+]>()?;
            Op::Add
        } else if input.peek(Token![-]) {
            input.parse::<Token![-]>()?;
            Op::Sub
        } else {
            reject_unsupported(input, &lhs)?;
            return Ok(lhs);
        };
        let rhs = parse_product(input, operand)?;
        lhs = binary(lhs, op, rhs)?;
    }
}

fn parse_product(
    input: ParseStream,
    operand: fn(ParseStream) -> syn::Result<Spanned<Value>>,
) -> syn::Result<Spanned<Value>> {
    let mut lhs = parse_unary(input, operand)?;
    loop {
        let op = if input.peek(Token![*]) {
            let star: Token![*] = input.parse()?;
            if input.peek(Token![*]) {
                return Err(error_at(
                    star.span.into(),
                    "`**` (power) is not supported in network! arguments; write the product \
                     out (`2 * 2 * 2`) or the value",
                ));
            }
            Op::Mul
        } else if input.peek(Token![/]) {
            input.parse::<Token![/]>()?;
            Op::Div
        } else {
            return Ok(lhs);
        };
        let rhs = parse_unary(input, operand)?;
        lhs = binary(lhs, op, rhs)?;
    }
}

fn parse_unary(
    input: ParseStream,
    operand: fn(ParseStream) -> syn::Result<Spanned<Value>>,
) -> syn::Result<Spanned<Value>> {
    if !input.peek(Token![-]) {
        return operand(input);
    }
    let minus: Token![-] = input.parse()?;
    let inner = parse_unary(input, operand)?;
    let at = At { start: minus.span, end: inner.at.end };
    let text = format!("-{}", inner.text());
    let value = match inner.value {
        Value::Int(i) => Value::Int(i.checked_neg().ok_or_else(|| {
            error_at(at, format!("`{text}` overflows: {i} has no negation in 64 bits"))
        })?),
        Value::Float(f) => Value::Float(-f),
        other => {
            return Err(error_at(
                inner.at,
                format!("`-` must be followed by a number, found {}", other.describe()),
            ));
        }
    };
    Ok(Spanned::scalar(value, minus.span, at, text))
}

/// Operators an argument might be written with that Python has but `network!` does not.
fn reject_unsupported(input: ParseStream, lhs: &Spanned<Value>) -> syn::Result<()> {
    if input.peek(Token![%]) {
        let percent: Token![%] = input.parse()?;
        return Err(error_at(
            percent.span.into(),
            format!(
                "`%` is not supported in network! arguments (only `+`, `-`, `*`, exact `/` and \
                 parentheses); write the value instead of `{} % ..`",
                lhs.text()
            ),
        ));
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Add => "+",
            Op::Sub => "-",
            Op::Mul => "*",
            Op::Div => "/",
        }
    }
}

/// `lhs op rhs`, evaluated; both must be integers.
fn binary(lhs: Spanned<Value>, op: Op, rhs: Spanned<Value>) -> syn::Result<Spanned<Value>> {
    let at = At { start: lhs.at.start, end: rhs.at.end };
    let text = format!("{} {} {}", lhs.text(), op.symbol(), rhs.text());
    let (a, b) = (integer(&lhs, op)?, integer(&rhs, op)?);
    let value = match op {
        Op::Add => a.checked_add(b),
        Op::Sub => a.checked_sub(b),
        Op::Mul => a.checked_mul(b),
        Op::Div => Some(divide(a, b, &rhs, &text, at)?),
    };
    let value = value.ok_or_else(|| {
        // `16 * 4294967296 * 4294967296` overflows: 68719476736 * 4294967296 is ...
        let evaluated = format!("{a} {} {b}", op.symbol());
        let what = if evaluated == text { "the result".to_owned() } else { evaluated };
        error_at(
            at,
            format!(
                "`{text}` overflows: {what} is outside the 64-bit integers ({} to {})",
                i64::MIN,
                i64::MAX
            ),
        )
    })?;
    Ok(Spanned::scalar(Value::Int(value), lhs.span, at, text))
}

/// The integer an operand holds, or an error saying arithmetic needs integers.
fn integer(operand: &Spanned<Value>, op: Op) -> syn::Result<i64> {
    match operand.value {
        Value::Int(i) => Ok(i),
        Value::Float(_) => Err(error_at(
            operand.at,
            format!(
                "`{}` works on integers only, but `{}` is {}; write a float argument as one \
                 number (e.g. `2e-5`, not `1e-5 * 2`)",
                op.symbol(),
                operand.text(),
                operand.value.describe()
            ),
        )),
        ref other => Err(error_at(
            operand.at,
            format!(
                "`{}` works on integers only, but `{}` is {}",
                op.symbol(),
                operand.text(),
                other.describe()
            ),
        )),
    }
}

/// `a / b` when `b` divides `a` exactly; an error at the expression otherwise, giving the
/// integers on either side of the quotient.
fn divide(a: i64, b: i64, rhs: &Spanned<Value>, text: &str, at: At) -> syn::Result<i64> {
    if b == 0 {
        let why =
            if rhs.text() == "0" { String::new() } else { format!(" (`{}` is 0)", rhs.text()) };
        return Err(error_at(at, format!("`{text}` divides by zero{why}")));
    }
    let overflow =
        || error_at(at, format!("`{text}` overflows: {a} / {b} is outside the 64-bit integers"));
    // `checked_rem` and `checked_div` fail only for i64::MIN / -1.
    match a.checked_rem(b) {
        Some(0) => a.checked_div(b).ok_or_else(overflow),
        Some(_) => Err(inexact(a, b, text, at)),
        None => Err(overflow()),
    }
}

/// The error for `a / b` that leaves a remainder, giving the integers on either side.
fn inexact(a: i64, b: i64, text: &str, at: At) -> syn::Error {
    // Inexact, so |b| >= 2 and the quotients are at most half of i64's range: neither `- 1`
    // nor `+ 1` overflows. `floor` is Python's `a // b`; the remainder (Python's `a % b`, of
    // the divisor's sign) is computed in i128, where `floor * b` cannot overflow.
    let truncated = a / b;
    let floor = if (a < 0) != (b < 0) { truncated - 1 } else { truncated };
    let remainder = i128::from(a) - i128::from(floor) * i128::from(b);
    error_at(
        at,
        format!(
            "`{text}` does not divide exactly ({a} / {b} leaves a remainder of {}); `/` in \
             network! must give an integer: write {floor} or {} instead (Python's `//` would \
             give {floor}, but Rust reads `//` as the start of a comment)",
            remainder,
            floor + 1
        ),
    )
}

impl Spanned<Value> {
    /// A value that is one item (not a tuple), written as `text`.
    pub fn scalar(value: Value, span: proc_macro2::Span, at: At, text: String) -> Self {
        Spanned { value, span, at, written: vec![Written { text, at }] }
    }

    /// How the whole value was written: `16 * 5 * 5`, `(2 * 2, 3)`.
    pub fn text(&self) -> String {
        match (&self.value, self.written.as_slice()) {
            (Value::Tuple(_), items) => {
                let items: Vec<&str> = items.iter().map(|w| w.text.as_str()).collect();
                if items.len() == 1 {
                    format!("({},)", items[0])
                } else {
                    format!("({})", items.join(", "))
                }
            }
            (_, [one]) => one.text.clone(),
            _ => String::new(),
        }
    }
}

impl Written {
    /// `value`, followed by how it was written when that differs from it:
    /// `400 (= 16 * 5 * 5)`, but `400` for a plain `400`.
    pub fn show(&self, value: impl Display) -> String {
        let value = value.to_string();
        if self.text == value { value } else { format!("{value} (= {})", self.text) }
    }
}

#[cfg(test)]
mod tests {
    use syn::parse::{ParseStream, Parser};
    use syn::{LitInt, parenthesized};

    use crate::ast::{Spanned, Value};

    /// Integer literals and parenthesised sums, like the input shape's operands.
    fn operand(input: ParseStream) -> syn::Result<Spanned<Value>> {
        if input.peek(syn::token::Paren) {
            let content;
            let paren = parenthesized!(content in input);
            let inner = super::parse(&content, operand)?;
            let (span, text) = (paren.span.join(), format!("({})", inner.text()));
            return Ok(Spanned::scalar(inner.value, span, span.into(), text));
        }
        let lit: LitInt = input.parse()?;
        let value = Value::Int(lit.base10_parse()?);
        Ok(Spanned::scalar(value, lit.span(), lit.span().into(), lit.to_string()))
    }

    /// The value and text of `source`, or the error message.
    fn eval(source: &str) -> Result<(i64, String), String> {
        let parsed = (|input: ParseStream| super::parse(input, operand)).parse_str(source);
        match parsed {
            Ok(Spanned { value: Value::Int(i), written, .. }) => {
                Ok((i, written.first().map(|w| w.text.clone()).unwrap_or_default()))
            }
            Ok(_) => Err("not an integer".to_owned()),
            Err(e) => Err(e.to_string()),
        }
    }

    fn value(source: &str) -> i64 {
        eval(source).map_or_else(|e| panic!("{source}: {e}"), |(v, _)| v)
    }

    fn error(source: &str) -> String {
        eval(source).map_or_else(|e| e, |(v, _)| panic!("{source} gave {v}, expected an error"))
    }

    #[test]
    fn pythons_precedence_and_associativity() {
        assert_eq!(value("16 * 5 * 5"), 400);
        assert_eq!(value("2 + 3 * 4"), 14);
        assert_eq!(value("(2 + 3) * 4"), 20);
        assert_eq!(value("10 - 4 - 3"), 3);
        assert_eq!(value("64 / 4 / 2"), 8);
        assert_eq!(value("-2 * -3"), 6);
        assert_eq!(value("- - 5"), 5);
        assert_eq!(value("8 / -2"), -4);
        assert_eq!(value("-(3 - 5) * 2"), 4);
        assert_eq!(value("9223372036854775807"), i64::MAX);
        assert_eq!(value("-9223372036854775807 - 1"), i64::MIN);
    }

    #[test]
    fn the_text_is_kept_single_spaced() {
        assert_eq!(eval("(2+3)*4").map(|(_, t)| t), Ok("(2 + 3) * 4".to_owned()));
        assert_eq!(eval("16*5*5").map(|(_, t)| t), Ok("16 * 5 * 5".to_owned()));
        assert_eq!(eval("400").map(|(_, t)| t), Ok("400".to_owned()));
    }

    #[test]
    fn inexact_division_names_both_integers_like_pythons_floor() {
        let e = error("7 / 2");
        assert!(e.contains("remainder of 1") && e.contains("write 3 or 4"), "{e}");
        // Python: -7 // 2 == -4, -7 % 2 == 1; 7 // -2 == -4, 7 % -2 == -1.
        let e = error("-7 / 2");
        assert!(e.contains("remainder of 1") && e.contains("write -4 or -3"), "{e}");
        let e = error("7 / -2");
        assert!(e.contains("remainder of -1") && e.contains("write -4 or -3"), "{e}");
        let e = error("-9223372036854775807 / 9");
        assert!(e.contains("write -1024819115206086201 or -1024819115206086200"), "{e}");
    }

    #[test]
    fn overflow_and_division_by_zero_are_errors() {
        assert!(error("1 / 0").contains("divides by zero"));
        assert!(error("1 / (2 - 2)").contains("divides by zero (`(2 - 2)` is 0)"));
        assert!(error("9223372036854775807 + 1").contains("overflows"));
        assert!(error("-9223372036854775807 - 2").contains("overflows"));
        assert!(error("4294967296 * 4294967296").contains("overflows: the result"));
        let e = error("16 * 4294967296 * 4294967296");
        assert!(e.contains("overflows: 68719476736 * 4294967296 is outside"), "{e}");
        assert!(error("-(-9223372036854775807 - 1)").contains("has no negation"));
        assert!(error("(-9223372036854775807 - 1) / -1").contains("overflows"));
    }

    #[test]
    fn pythons_other_operators_are_refused_by_name() {
        assert!(error("2 ** 3").contains("`**` (power) is not supported"));
        assert!(error("5 % 2").contains("`%` is not supported"));
    }
}
