//! A strict, allocation-free reader for the JSON of a safetensors header.
//!
//! The header has a fixed schema, so there is no generic value type: the caller walks the text
//! with a [`Cursor`], asking for the token it expects next (an object's next key, a string, a
//! non-negative integer). Strings are borrowed undecoded as [`JsonStr`], validated once, and
//! decoded lazily by [`JsonStr::chars`] when they are compared or printed.

use core::fmt;

/// A JSON syntax error in the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonError {
    /// The header ended where more JSON was expected.
    UnexpectedEnd {
        /// What the reader expected, e.g. "`,` or `}`".
        expected: &'static str,
    },
    /// A character that cannot appear here.
    UnexpectedChar {
        /// What the reader expected, e.g. "`:`".
        expected: &'static str,
        /// The character found instead.
        found: char,
    },
    /// A control character (below U+0020) inside a string; JSON requires it escaped.
    ControlCharacter {
        /// The character.
        found: char,
    },
    /// A backslash followed by a character that is not a JSON escape.
    InvalidEscape {
        /// The character after the backslash.
        found: char,
    },
    /// `\u` not followed by four hexadecimal digits.
    InvalidUnicodeEscape,
    /// A `\uXXXX` escape of a UTF-16 surrogate without its other half.
    LoneSurrogate {
        /// The code unit.
        code_unit: u16,
    },
    /// Arrays and objects nested deeper than the reader follows.
    NestingTooDeep {
        /// The deepest nesting accepted.
        max: usize,
    },
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::UnexpectedEnd { expected } => {
                write!(f, "the header ends where {expected} was expected")
            }
            Self::UnexpectedChar { expected, found } => {
                write!(f, "expected {expected}, found {found:?}")
            }
            Self::ControlCharacter { found } => {
                write!(f, "control character {found:?} inside a string must be escaped")
            }
            Self::InvalidEscape { found } => {
                write!(
                    f,
                    "`\\{found}` is not a JSON escape (use \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX)"
                )
            }
            Self::InvalidUnicodeEscape => f.write_str("`\\u` must be followed by four hex digits"),
            Self::NestingTooDeep { max } => {
                write!(f, "arrays and objects are nested more than {max} deep")
            }
            Self::LoneSurrogate { code_unit } => {
                write!(
                    f,
                    "`\\u{code_unit:04X}` is half of a UTF-16 surrogate pair without its other half"
                )
            }
        }
    }
}

impl core::error::Error for JsonError {}

/// A syntax error and its byte offset in the header text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub(crate) pos: usize,
    pub(crate) error: JsonError,
}

/// A JSON string from the header, borrowed as written (escapes undecoded).
///
/// Equality with a `str` and [`Display`](fmt::Display) use the decoded text; [`JsonStr::raw`]
/// gives the text between the quotes as it is in the file.
#[derive(Clone, Copy, Debug)]
pub struct JsonStr<'a> {
    raw: &'a str,
    has_escapes: bool,
}

impl<'a> JsonStr<'a> {
    /// The text between the quotes, escapes not decoded.
    #[must_use]
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    /// The text as a `str` when it has no escapes (the usual case), else `None`.
    #[must_use]
    pub fn as_str(&self) -> Option<&'a str> {
        if self.has_escapes { None } else { Some(self.raw) }
    }

    /// The decoded characters.
    #[must_use]
    pub fn chars(&self) -> Chars<'a> {
        Chars { rest: self.raw }
    }

    /// Whether the decoded text ends with `suffix`.
    #[must_use]
    pub fn ends_with(&self, suffix: &str) -> bool {
        if let Some(text) = self.as_str() {
            return text.ends_with(suffix);
        }
        let len = self.chars().count();
        let Some(skip) = len.checked_sub(suffix.chars().count()) else {
            return false;
        };
        self.chars().skip(skip).eq(suffix.chars())
    }
}

impl PartialEq<str> for JsonStr<'_> {
    fn eq(&self, other: &str) -> bool {
        match self.as_str() {
            Some(text) => text == other,
            None => self.chars().eq(other.chars()),
        }
    }
}

impl PartialEq<&str> for JsonStr<'_> {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

impl PartialEq for JsonStr<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self.as_str(), other.as_str()) {
            (Some(a), Some(b)) => a == b,
            _ => self.chars().eq(other.chars()),
        }
    }
}

impl Eq for JsonStr<'_> {}

impl fmt::Display for JsonStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_str() {
            Some(text) => f.write_str(text),
            None => self.chars().try_for_each(|c| fmt::Write::write_char(f, c)),
        }
    }
}

/// The decoded characters of a [`JsonStr`].
#[derive(Clone, Debug)]
pub struct Chars<'a> {
    rest: &'a str,
}

impl Iterator for Chars<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        let (c, len) = if self.rest.starts_with('\\') {
            // The string was validated when it was read, so this cannot fail; stop if it does.
            decode_escape(self.rest.as_bytes()).ok()?
        } else {
            let c = self.rest.chars().next()?;
            (c, c.len_utf8())
        };
        self.rest = self.rest.get(len..).unwrap_or("");
        Some(c)
    }
}

/// Decodes the escape at the start of `s` (which begins with a backslash): the character and the
/// number of bytes the escape spans.
fn decode_escape(s: &[u8]) -> Result<(char, usize), JsonError> {
    let Some(&kind) = s.get(1) else {
        return Err(JsonError::UnexpectedEnd { expected: "an escape after `\\`" });
    };
    let c = match kind {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => return decode_unicode_escape(s),
        other => {
            return Err(JsonError::InvalidEscape { found: char::from(other) });
        }
    };
    Ok((c, 2))
}

/// Decodes `\uXXXX`, or a surrogate pair `\uD8XX\uDCXX`, at the start of `s`.
fn decode_unicode_escape(s: &[u8]) -> Result<(char, usize), JsonError> {
    let first = hex4(s, 2).ok_or(JsonError::InvalidUnicodeEscape)?;
    let (code, len) = match first {
        0xD800..=0xDBFF => {
            let lone = JsonError::LoneSurrogate { code_unit: first };
            if s.get(6..8) != Some(b"\\u".as_slice()) {
                return Err(lone);
            }
            let second = hex4(s, 8).ok_or(JsonError::InvalidUnicodeEscape)?;
            if !(0xDC00..=0xDFFF).contains(&second) {
                return Err(lone);
            }
            // Both halves are in range, so this is at most 0x10FFFF: no overflow.
            let high = u32::from(first - 0xD800);
            let low = u32::from(second - 0xDC00);
            (0x10000 + (high << 10 | low), 12)
        }
        0xDC00..=0xDFFF => return Err(JsonError::LoneSurrogate { code_unit: first }),
        _ => (u32::from(first), 6),
    };
    let c = char::from_u32(code).ok_or(JsonError::InvalidUnicodeEscape)?;
    Ok((c, len))
}

/// The four hex digits at `s[at..at + 4]` as a number.
fn hex4(s: &[u8], at: usize) -> Option<u16> {
    let digits = s.get(at..at.checked_add(4)?)?;
    digits.iter().try_fold(0u16, |acc, &d| {
        let digit = char::from(d).to_digit(16)?;
        // Four hex digits fit in a u16.
        Some(acc << 4 | digit as u16)
    })
}

/// The deepest nesting of arrays and objects [`Cursor::skip_value`] accepts (a safetensors
/// header needs 3).
pub(crate) const MAX_DEPTH: usize = 128;

/// The kinds of the open containers, innermost in the lowest bit: a stack without a heap.
#[derive(Default)]
struct Nesting {
    /// Bit `i` is 1 for an object, 0 for an array, at `depth - 1 - i` levels down.
    kinds: u128,
    depth: usize,
}

impl Nesting {
    /// Opens a container; `false` if that would exceed [`MAX_DEPTH`].
    fn push(&mut self, is_object: bool) -> bool {
        if self.depth >= MAX_DEPTH {
            return false;
        }
        self.kinds = self.kinds << 1 | u128::from(is_object);
        self.depth += 1;
        true
    }

    fn pop(&mut self) {
        self.kinds >>= 1;
        self.depth = self.depth.saturating_sub(1);
    }

    /// Whether the innermost open container is an object; `None` if none is open.
    fn innermost(&self) -> Option<bool> {
        (self.depth > 0).then_some(self.kinds & 1 == 1)
    }
}

/// Why a value could not be read as a non-negative integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IntegerError {
    /// Something other than digits (a sign, a fraction, an exponent, another type).
    NotAnInteger,
    /// More than `u64::MAX`.
    TooLarge,
}

/// A position in the header text, with methods that read the next token.
#[derive(Clone, Debug)]
pub(crate) struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Self { text, pos: 0 }
    }

    /// A cursor on the same text at byte offset `pos`.
    pub(crate) fn at(&self, pos: usize) -> Self {
        Self { text: self.text, pos }
    }

    /// The current byte offset in the text.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// Moves past one byte; callers only do so after peeking an ASCII byte.
    fn bump(&mut self) {
        self.pos = self.pos.saturating_add(1);
    }

    pub(crate) fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.bump();
        }
    }

    /// Skips whitespace and returns the next byte without consuming it.
    pub(crate) fn peek_token(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.peek()
    }

    /// An error at the current position: `expected` was wanted, something else is there.
    pub(crate) fn unexpected(&self, expected: &'static str) -> SyntaxError {
        let found = self.text.get(self.pos..).and_then(|rest| rest.chars().next());
        let error = match found {
            None => JsonError::UnexpectedEnd { expected },
            Some(found) => JsonError::UnexpectedChar { expected, found },
        };
        SyntaxError { pos: self.pos, error }
    }

    /// Skips whitespace and consumes `byte`, or fails saying `expected` was wanted.
    pub(crate) fn expect(&mut self, byte: u8, expected: &'static str) -> Result<(), SyntaxError> {
        if self.peek_token() == Some(byte) {
            self.bump();
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    /// Inside an array or object whose opening bracket was consumed: consumes the separator
    /// before the next item and returns `true`, or consumes the closing `close` and returns
    /// `false`. `first` tracks whether an item was read already (no comma before the first).
    pub(crate) fn next_item(
        &mut self,
        first: &mut bool,
        close: u8,
        expected: &'static str,
    ) -> Result<bool, SyntaxError> {
        if self.peek_token() == Some(close) {
            // `[1,]` never gets here: after a comma, the item itself is read.
            self.bump();
            return Ok(false);
        }
        if *first {
            *first = false;
        } else {
            self.expect(b',', expected)?;
        }
        Ok(true)
    }

    /// Inside an object whose `{` was consumed: reads `"key":` and returns the key, or consumes
    /// the `}` and returns `None`.
    pub(crate) fn next_key(
        &mut self,
        first: &mut bool,
    ) -> Result<Option<JsonStr<'a>>, SyntaxError> {
        if !self.next_item(first, b'}', "`,` or `}`")? {
            return Ok(None);
        }
        let key = self.string()?;
        self.expect(b':', "`:`")?;
        Ok(Some(key))
    }

    /// Reads a string (after whitespace), validating its escapes.
    pub(crate) fn string(&mut self) -> Result<JsonStr<'a>, SyntaxError> {
        self.expect(b'"', "a string")?;
        let start = self.pos;
        let mut has_escapes = false;
        loop {
            match self.peek() {
                None => return Err(self.unexpected("`\"` closing the string")),
                Some(b'"') => break,
                Some(b'\\') => {
                    has_escapes = true;
                    let rest = self.text.as_bytes().get(self.pos..).unwrap_or(&[]);
                    let (_, len) = decode_escape(rest)
                        .map_err(|error| SyntaxError { pos: self.pos, error })?;
                    self.pos = self.pos.saturating_add(len);
                }
                Some(byte) if byte < 0x20 => {
                    let error = JsonError::ControlCharacter { found: char::from(byte) };
                    return Err(SyntaxError { pos: self.pos, error });
                }
                // Bytes of multi-byte characters are stepped over one by one; the text is
                // valid UTF-8 and the string ends at an ASCII `"`, a character boundary.
                Some(_) => self.bump(),
            }
        }
        let raw = self.text.get(start..self.pos).ok_or_else(|| self.unexpected("a string"))?;
        self.bump();
        Ok(JsonStr { raw, has_escapes })
    }

    /// Reads a non-negative integer in plain JSON notation (no sign, fraction or exponent).
    /// On failure the cursor stays at the value.
    pub(crate) fn integer(&mut self) -> Result<u64, IntegerError> {
        self.skip_whitespace();
        let start = self.pos;
        let mut value: u64 = 0;
        let mut digits = 0usize;
        while let Some(digit @ b'0'..=b'9') = self.peek() {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(digit - b'0')))
                .ok_or(IntegerError::TooLarge)
                .inspect_err(|_| self.pos = start)?;
            digits = digits.saturating_add(1);
            self.bump();
            if value == 0 {
                // JSON forbids leading zeros: `01` ends after the `0`, and the caller then
                // rejects the `1` where it wants a separator.
                break;
            }
        }
        // A leading zero (`01`) is left for the caller to reject as a missing separator.
        let integral = digits > 0 && !matches!(self.peek(), Some(b'.' | b'e' | b'E'));
        if integral {
            Ok(value)
        } else {
            self.pos = start;
            Err(IntegerError::NotAnInteger)
        }
    }

    /// Checks that the text from here is one JSON value followed by nothing but whitespace.
    pub(crate) fn validate_document(&mut self) -> Result<(), SyntaxError> {
        self.skip_value()?;
        self.end()
    }

    /// Reads any JSON value, checking its syntax. Iterative, so deep nesting cannot overflow
    /// the stack; nesting beyond [`MAX_DEPTH`] is an error.
    pub(crate) fn skip_value(&mut self) -> Result<(), SyntaxError> {
        let mut open = Nesting::default();
        loop {
            // One value; a non-empty container is opened and its first item started.
            match self.peek_token() {
                Some(bracket @ (b'{' | b'[')) => {
                    let is_object = bracket == b'{';
                    if !open.push(is_object) {
                        let error = JsonError::NestingTooDeep { max: MAX_DEPTH };
                        return Err(SyntaxError { pos: self.pos, error });
                    }
                    self.bump();
                    let close = if is_object { b'}' } else { b']' };
                    if self.peek_token() == Some(close) {
                        self.bump();
                        open.pop();
                    } else {
                        if is_object {
                            self.member_key()?;
                        }
                        continue;
                    }
                }
                Some(b'"') => {
                    self.string()?;
                }
                Some(b'-' | b'0'..=b'9') => self.number()?,
                Some(b't') => self.literal("true")?,
                Some(b'f') => self.literal("false")?,
                Some(b'n') => self.literal("null")?,
                _ => return Err(self.unexpected("a JSON value")),
            }
            // After a complete value: close the containers it completes, then go on with the
            // next item of the innermost open one.
            loop {
                let Some(is_object) = open.innermost() else {
                    return Ok(());
                };
                match self.peek_token() {
                    Some(b',') => {
                        self.bump();
                        if is_object {
                            self.member_key()?;
                        }
                        break;
                    }
                    Some(b'}') if is_object => open.pop(),
                    Some(b']') if !is_object => open.pop(),
                    _ if is_object => return Err(self.unexpected("`,` or `}`")),
                    _ => return Err(self.unexpected("`,` or `]`")),
                }
                self.bump();
            }
        }
    }

    /// Reads `"key":` inside an object.
    fn member_key(&mut self) -> Result<(), SyntaxError> {
        self.string()?;
        self.expect(b':', "`:`")
    }

    /// Reads a number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Result<(), SyntaxError> {
        if self.peek() == Some(b'-') {
            self.bump();
        }
        match self.peek() {
            Some(b'0') => self.bump(),
            Some(b'1'..=b'9') => self.digits()?,
            _ => return Err(self.unexpected("a digit")),
        }
        if self.peek() == Some(b'.') {
            self.bump();
            self.digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.bump();
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.bump();
            }
            self.digits()?;
        }
        Ok(())
    }

    /// Reads one or more decimal digits.
    fn digits(&mut self) -> Result<(), SyntaxError> {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(self.unexpected("a digit"));
        }
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.bump();
        }
        Ok(())
    }

    /// Reads the literal `word` (`true`, `false` or `null`).
    fn literal(&mut self, word: &'static str) -> Result<(), SyntaxError> {
        let rest = self.text.get(self.pos..).unwrap_or("");
        if !rest.starts_with(word) {
            return Err(self.unexpected("a JSON value"));
        }
        self.pos = self.pos.saturating_add(word.len());
        Ok(())
    }

    /// Skips trailing whitespace and fails unless the text ends there.
    pub(crate) fn end(&mut self) -> Result<(), SyntaxError> {
        if self.peek_token().is_some() {
            return Err(self.unexpected("the end of the header (only whitespace may follow)"));
        }
        Ok(())
    }

    /// The text from `start` to the current position.
    pub(crate) fn since(&self, start: usize) -> &'a str {
        self.text.get(start..self.pos).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::{Cursor, IntegerError, JsonError, JsonStr, MAX_DEPTH};

    extern crate std;

    fn string(text: &str) -> Result<JsonStr<'_>, JsonError> {
        Cursor::new(text).string().map_err(|e| e.error)
    }

    #[test]
    fn plain_strings_borrow_the_text() {
        let s = string(r#" "conv1.weight" "#).unwrap();
        assert_eq!(s.as_str(), Some("conv1.weight"));
        assert_eq!(s, "conv1.weight");
    }

    #[test]
    fn escapes_decode() {
        let s = string(r#""a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\ud83d\ude00""#).unwrap();
        assert_eq!(s.as_str(), None);
        assert!(s.chars().eq("a\"b\\c/d\u{8}\u{c}\n\r\tA\u{e9}\u{1F600}".chars()));
        assert_eq!(s, "a\"b\\c/d\u{8}\u{c}\n\r\tA\u{e9}\u{1F600}");
        assert!(s.ends_with("\u{e9}\u{1F600}"));
        assert!(!s.ends_with("x\u{1F600}"));
    }

    #[test]
    fn escaped_and_plain_spellings_are_equal() {
        let a = string(r#""\u0062n""#).unwrap();
        let b = string(r#""bn""#).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn bad_strings_are_rejected() {
        assert_eq!(string(r#""\x""#), Err(JsonError::InvalidEscape { found: 'x' }));
        assert_eq!(string(r#""\u12G4""#), Err(JsonError::InvalidUnicodeEscape));
        assert_eq!(string(r#""\u12""#), Err(JsonError::InvalidUnicodeEscape));
        assert_eq!(string(r#""\ud800""#), Err(JsonError::LoneSurrogate { code_unit: 0xD800 }));
        assert_eq!(
            string(r#""\ud800\u0041""#),
            Err(JsonError::LoneSurrogate { code_unit: 0xD800 })
        );
        assert_eq!(string(r#""\udc00""#), Err(JsonError::LoneSurrogate { code_unit: 0xDC00 }));
        assert_eq!(string("\"a\nb\""), Err(JsonError::ControlCharacter { found: '\n' }));
        assert!(matches!(string("\"abc"), Err(JsonError::UnexpectedEnd { .. })));
        assert!(matches!(string("\"abc\\"), Err(JsonError::UnexpectedEnd { .. })));
        assert!(matches!(string("abc"), Err(JsonError::UnexpectedChar { found: 'a', .. })));
    }

    #[test]
    fn integers_are_strict() {
        let int = |text| Cursor::new(text).integer();
        assert_eq!(int(" 0"), Ok(0));
        assert_eq!(int("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(int("18446744073709551616"), Err(IntegerError::TooLarge));
        assert_eq!(int("-1"), Err(IntegerError::NotAnInteger));
        assert_eq!(int("1.0"), Err(IntegerError::NotAnInteger));
        assert_eq!(int("1e3"), Err(IntegerError::NotAnInteger));
        assert_eq!(int("\"1\""), Err(IntegerError::NotAnInteger));
        assert_eq!(int(""), Err(IntegerError::NotAnInteger));
        // A leading zero ends the number; the `1` is then a syntax error for the caller.
        let mut c = Cursor::new("01");
        assert_eq!(c.integer(), Ok(0));
        assert_eq!(c.pos(), 1);
    }

    #[test]
    fn objects_and_arrays_walk_items() {
        let mut c = Cursor::new(r#"{ "a" : [1 , 2], "b":[] }"#);
        c.expect(b'{', "{").unwrap();
        let mut first = true;
        assert_eq!(c.next_key(&mut first).unwrap().unwrap(), "a");
        c.expect(b'[', "[").unwrap();
        let mut first_item = true;
        let mut items = [0u64; 2];
        for slot in &mut items {
            assert!(c.next_item(&mut first_item, b']', "`,` or `]`").unwrap());
            *slot = c.integer().unwrap();
        }
        assert!(!c.next_item(&mut first_item, b']', "`,` or `]`").unwrap());
        assert_eq!(items, [1, 2]);
        assert_eq!(c.next_key(&mut first).unwrap().unwrap(), "b");
        c.expect(b'[', "[").unwrap();
        assert!(!c.next_item(&mut true, b']', "`,` or `]`").unwrap());
        assert_eq!(c.next_key(&mut first).unwrap(), None);
        c.end().unwrap();
    }

    fn document(text: &str) -> Result<(), JsonError> {
        Cursor::new(text).validate_document().map_err(|e| e.error)
    }

    #[test]
    fn any_json_value_validates() {
        let ok = [
            r#"{"a":[1,-2.5e+3,0.0,1E-9,true,false,null,{"b":[]},"s",{}]}"#,
            " [ ] ",
            "0",
            "-0",
            r#""é""#,
            "{\"a\":\n\t{\"b\" : [ [ ] ] } }\r\n",
        ];
        for text in ok {
            assert_eq!(document(text), Ok(()), "{text}");
        }
    }

    #[test]
    fn bad_json_is_rejected() {
        let bad = [
            "",
            "[1,]",
            r#"{"a":1,}"#,
            "[01]",
            "-",
            "1.",
            "1e",
            "1e+",
            ".5",
            "+1",
            "tru",
            "nul",
            "[1 2]",
            r#"{"a" 1}"#,
            "{1:2}",
            "[}",
            "{]",
            "{} {}",
            "[",
            r#"{"a":"#,
            "'a'",
            "NaN",
        ];
        for text in bad {
            assert!(document(text).is_err(), "{text}");
        }
    }

    #[test]
    fn nesting_is_limited_without_recursion() {
        let deep = |n| "[".repeat(n) + &"]".repeat(n);
        assert_eq!(document(&deep(MAX_DEPTH)), Ok(()));
        assert_eq!(
            document(&deep(MAX_DEPTH + 1)),
            Err(JsonError::NestingTooDeep { max: MAX_DEPTH })
        );
        assert_eq!(
            document(&"[".repeat(100_000)),
            Err(JsonError::NestingTooDeep { max: MAX_DEPTH })
        );
        let mixed = r#"{"a":[{"b":[{"c":[]}]}]}"#;
        assert_eq!(document(mixed), Ok(()));
    }

    #[test]
    fn separators_are_required() {
        let mut c = Cursor::new(r#"{"a":1 "b":2}"#);
        c.expect(b'{', "{").unwrap();
        let mut first = true;
        c.next_key(&mut first).unwrap();
        c.integer().unwrap();
        let err = c.next_key(&mut first).unwrap_err();
        assert_eq!(err.error, JsonError::UnexpectedChar { expected: "`,` or `}`", found: '"' });
        assert_eq!(err.pos, 7);
    }
}
