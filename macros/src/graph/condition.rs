//! The condition of `A if condition else B`: Python's comparisons of integers, `and`, `or`,
//! `not`, `True`, `False` and parentheses, evaluated when a block definition is used (its
//! parameters have been replaced by their values, so the condition holds only numbers).

use proc_macro2::{Delimiter, TokenStream, TokenTree};

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

impl Parser<'_> {
    fn peek_ident(&self, word: &str) -> bool {
        matches!(self.trees.get(self.at), Some(TokenTree::Ident(i)) if i == word)
    }

    fn or(&mut self) -> Result<bool, String> {
        let mut value = self.and()?;
        while self.peek_ident("or") {
            self.at += 1;
            let rhs = self.and()?;
            value = value || rhs;
        }
        Ok(value)
    }

    fn and(&mut self) -> Result<bool, String> {
        let mut value = self.not()?;
        while self.peek_ident("and") {
            self.at += 1;
            let rhs = self.not()?;
            value = value && rhs;
        }
        Ok(value)
    }

    fn not(&mut self) -> Result<bool, String> {
        if self.peek_ident("not") {
            self.at += 1;
            return self.not().map(|v| !v);
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<bool, String> {
        if self.peek_ident("True") || self.peek_ident("False") {
            let value = self.peek_ident("True");
            self.at += 1;
            return Ok(value);
        }
        if let Some(TokenTree::Group(g)) = self.trees.get(self.at)
            && g.delimiter() == Delimiter::Parenthesis
            && !self.is_number_group(g.stream())
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

    /// Whether a parenthesised group is a number (`(16)`) rather than a condition.
    fn is_number_group(&self, stream: TokenStream) -> bool {
        let trees: Vec<TokenTree> = stream.into_iter().collect();
        crate::graph::condition::number_of(&trees).is_some()
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
            "" => Err("expected a comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`) in the condition".to_owned()),
            other => Err(format!("`{other}` is not a comparison; use `==`, `!=`, `<`, `<=`, `>`, `>=`")),
        }
    }

    fn number(&mut self) -> Result<i64, String> {
        let start = self.at;
        // A number is a literal, `-` and a literal, or a parenthesised number.
        let len = match self.trees.get(start) {
            Some(TokenTree::Punct(p)) if p.as_char() == '-' => 2,
            Some(_) => 1,
            None => return Err("the condition ends where a number was expected".to_owned()),
        };
        let end = (start + len).min(self.trees.len());
        match number_of(&self.trees[start..end]) {
            Some(n) => {
                self.at = end;
                Ok(n)
            }
            None => Err(format!(
                "expected a number in the condition, found `{}` (only the block's parameters and \
                 integer literals can be compared)",
                self.trees[start]
            )),
        }
    }
}

/// The integer written by `trees`: a literal, `-` and a literal, or one in parentheses.
pub fn number_of(trees: &[TokenTree]) -> Option<i64> {
    match trees {
        [TokenTree::Literal(l)] => l.to_string().parse().ok(),
        [TokenTree::Punct(p), TokenTree::Literal(l)] if p.as_char() == '-' => {
            l.to_string().parse::<i64>().ok().map(|n| -n)
        }
        [TokenTree::Group(g)] if g.delimiter() == Delimiter::Parenthesis => {
            number_of(&g.stream().into_iter().collect::<Vec<_>>())
        }
        _ => None,
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
        assert!(eval("1 + 2 == 3").is_err());
        assert!(eval("stride != 1").is_err());
    }
}
