//! The condition of `A if condition else B`: Python's comparisons of integer expressions,
//! `and`, `or`, `not`, `True`, `False` and parentheses, evaluated when a block definition is
//! used (its parameters have been replaced by their values, so the condition holds numbers).

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use syn::parse::Parser as _;

use crate::ast::Value;

/// The condition's value, or what is wrong with it.
pub fn evaluate(tokens: &TokenStream) -> Result<bool, String> {
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let mut parser = Parser { trees: &trees, at: 0 };
    let value = parser.or()?;
    if parser.at < trees.len() {
        return Err(format!(
            "unexpected `{}` in the condition; write comparisons of numbers and block parameters \
             joined by `and`, `or`, `not` (as in Python)",
            trees[parser.at]
        ));
    }
    Ok(value)
}

struct Parser<'t> {
    trees: &'t [TokenTree],
    at: usize,
}

/// Whether `tree` starts a comparison operator.
fn is_comparison(tree: &TokenTree) -> bool {
    matches!(tree, TokenTree::Punct(p) if matches!(p.as_char(), '=' | '!' | '<' | '>'))
}

/// Whether `tree` is the word `word`.
fn is_word(tree: &TokenTree, word: &str) -> bool {
    matches!(tree, TokenTree::Ident(i) if i == word)
}

/// Whether a parenthesised group holds a condition (a comparison or a logical word) rather
/// than a number.
fn holds_condition(stream: &TokenStream) -> bool {
    stream.clone().into_iter().any(|t| {
        is_comparison(&t) || ["and", "or", "not", "True", "False"].iter().any(|w| is_word(&t, w))
    })
}

impl Parser<'_> {
    fn peek_word(&self, word: &str) -> bool {
        self.trees.get(self.at).is_some_and(|t| is_word(t, word))
    }

    fn or(&mut self) -> Result<bool, String> {
        let mut value = self.and()?;
        while self.peek_word("or") {
            self.at += 1;
            let rhs = self.and()?;
            value = value || rhs;
        }
        Ok(value)
    }

    fn and(&mut self) -> Result<bool, String> {
        let mut value = self.not()?;
        while self.peek_word("and") {
            self.at += 1;
            let rhs = self.not()?;
            value = value && rhs;
        }
        Ok(value)
    }

    fn not(&mut self) -> Result<bool, String> {
        if self.peek_word("not") {
            self.at += 1;
            return self.not().map(|v| !v);
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<bool, String> {
        if self.peek_word("True") || self.peek_word("False") {
            let value = self.peek_word("True");
            self.at += 1;
            return Ok(value);
        }
        if let Some(TokenTree::Group(g)) = self.trees.get(self.at)
            && g.delimiter() == Delimiter::Parenthesis
            && holds_condition(&g.stream())
        {
            self.at += 1;
            return evaluate(&g.stream());
        }
        let lhs = self.number()?;
        let op = self.operator()?;
        let rhs = self.number()?;
        Ok(match op.as_str() {
            "==" => lhs == rhs,
            "!=" => lhs != rhs,
            "<" => lhs < rhs,
            "<=" => lhs <= rhs,
            ">" => lhs > rhs,
            _ => lhs >= rhs,
        })
    }

    fn operator(&mut self) -> Result<String, String> {
        let mut op = String::new();
        while let Some(TokenTree::Punct(p)) = self.trees.get(self.at) {
            op.push(p.as_char());
            self.at += 1;
            if p.spacing() == proc_macro2::Spacing::Alone {
                break;
            }
        }
        match op.as_str() {
            "==" | "!=" | "<" | "<=" | ">" | ">=" => Ok(op),
            "" => {
                Err("expected a comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`) in the condition, \
                       as in `stride != 1`"
                    .to_owned())
            }
            other => {
                Err(format!("`{other}` is not a comparison; use `==`, `!=`, `<`, `<=`, `>`, `>=`"))
            }
        }
    }

    /// An integer expression (`cin * 2`, after the parameters were replaced), up to a
    /// comparison, `and`, `or` or the end.
    fn number(&mut self) -> Result<i64, String> {
        let start = self.at;
        while let Some(tree) = self.trees.get(self.at) {
            if is_comparison(tree) || is_word(tree, "and") || is_word(tree, "or") {
                break;
            }
            self.at += 1;
        }
        let tokens: TokenStream = self.trees[start..self.at].iter().cloned().collect();
        if tokens.is_empty() {
            return Err("expected a number in the condition".to_owned());
        }
        let text = tokens.to_string();
        match (|input: syn::parse::ParseStream| crate::parse::parse_value(input)).parse2(tokens) {
            Ok(value) => match value.value {
                Value::Int(n) => Ok(n),
                other => Err(format!(
                    "the condition compares integers, found {} (`{text}`)",
                    other.describe()
                )),
            },
            Err(e) => Err(format!(
                "expected a number in the condition, found `{text}`: {e} (only the block's \
                 parameters and integer arithmetic can be compared)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::evaluate;

    fn eval(text: &str) -> Result<bool, String> {
        evaluate(&text.parse().expect("tokens"))
    }

    #[test]
    fn comparisons_and_logic() {
        assert_eq!(eval("2 != 1"), Ok(true));
        assert_eq!(eval("16 == 32 or 1 != 1"), Ok(false));
        assert_eq!(eval("not (1 < 2) or 3 >= 3"), Ok(true));
        assert_eq!(eval("-1 < 0 and True"), Ok(true));
        assert_eq!(eval("16 * 2 == 32 and (8 + 8) / 2 == 8"), Ok(true));
        assert!(eval("1 + 2").is_err());
        assert!(eval("stride != 1").is_err());
    }
}
