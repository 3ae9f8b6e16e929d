//! A JSON reader that accepts what Go's `encoding/json` accepts, since Dapr's local file secret store parses its file
//! with it: RFC 8259 syntax with Go's error wording, no byte order mark, a repeated object key keeps its last value,
//! invalid UTF-8 inside strings becomes U+FFFD (one per invalid byte), lone `\u` surrogates become U+FFFD, numbers are
//! 64-bit floats. Errors carry the position of the offending byte.
//!
//! (There is no JSON crate among the Debian packages the components build with.)

use std::collections::HashMap;
use std::fmt;

/// Deepest nesting of arrays and objects. Go allows 10 000; parsing and flattening recurse once per level, and 1000
/// levels stay far inside a Wasm guest's 1 MiB stack.
pub const MAX_DEPTH: usize = 1000;

/// A parsed JSON value. Object members keep the order of their first appearance.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

impl Value {
    /// The JSON type's name, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
}

/// Malformed JSON: what is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What is wrong, worded as Go's `encoding/json` words it where it has a message for it.
    pub message: String,
    /// The offset of the offending byte (the input's length at an unexpected end).
    pub offset: usize,
    /// 1-based line of the offset.
    pub line: usize,
    /// 1-based column of the offset, in characters.
    pub column: usize,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at line {}, column {} (byte offset {})", self.message, self.line, self.column, self.offset)
    }
}

/// Parses one JSON document.
pub fn parse(input: &[u8]) -> Result<Value, ParseError> {
    let mut parser = Parser { input, pos: 0, depth: 0 };
    let value = parser.value()?;
    parser.skip_whitespace();
    if parser.pos < input.len() {
        return Err(parser.unexpected("after top-level value"));
    }
    Ok(value)
}

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn error_at(&self, offset: usize, message: String) -> ParseError {
        let before = &self.input[..offset];
        let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        // Characters, not bytes: UTF-8 continuation bytes do not start a character.
        let column = 1 + before[line_start..].iter().filter(|&&b| b & 0xC0 != 0x80).count();
        ParseError { message, offset, line, column }
    }

    /// The error for the byte at the current position (or the end of input) in a context such as "after array
    /// element".
    fn unexpected(&self, context: &str) -> ParseError {
        match self.peek() {
            None => self.error_at(self.pos, "unexpected end of JSON input".to_string()),
            Some(byte) => {
                let mut message = format!("invalid character {} {}", quote_byte(byte), context);
                if self.pos == 0 && self.input.starts_with(b"\xEF\xBB\xBF") {
                    message.push_str(" (the file starts with a UTF-8 byte order mark; save it without one)");
                }
                self.error_at(self.pos, message)
            }
        }
    }

    fn value(&mut self) -> Result<Value, ParseError> {
        self.skip_whitespace();
        match self.peek() {
            Some(b'{') => self.nested(Parser::object),
            Some(b'[') => self.nested(Parser::array),
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.unexpected("looking for beginning of value")),
        }
    }

    fn nested(&mut self, parse: fn(&mut Parser<'a>) -> Result<Value, ParseError>) -> Result<Value, ParseError> {
        if self.depth == MAX_DEPTH {
            return Err(self.error_at(self.pos, format!("nesting deeper than {} levels", MAX_DEPTH)));
        }
        self.depth += 1;
        self.pos += 1;
        let value = parse(self);
        self.depth -= 1;
        value
    }

    fn object(&mut self) -> Result<Value, ParseError> {
        let mut members: Vec<(String, Value)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected("looking for beginning of object key string"));
            }
            let key = self.string()?;
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return Err(self.unexpected("after object key"));
            }
            self.pos += 1;
            let value = self.value()?;
            // Go decodes into a map: a repeated key keeps its last value.
            match index.get(&key) {
                Some(&at) => members[at].1 = value,
                None => {
                    index.insert(key.clone(), members.len());
                    members.push((key, value));
                }
            }
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                _ => return Err(self.unexpected("after object key:value pair")),
            }
        }
    }

    fn array(&mut self) -> Result<Value, ParseError> {
        let mut elements = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(elements));
        }
        loop {
            elements.push(self.value()?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(elements));
                }
                _ => return Err(self.unexpected("after array element")),
            }
        }
    }

    fn literal(&mut self, word: &'static str, value: Value) -> Result<Value, ParseError> {
        // The first letter was what chose the literal.
        for expected in word.bytes() {
            if self.peek() != Some(expected) {
                return Err(self.unexpected(&format!("in literal {} (expecting {})", word, quote_byte(expected))));
            }
            self.pos += 1;
        }
        Ok(value)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Value, ParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.unexpected("in numeric literal")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.unexpected("after decimal point in numeric literal"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.unexpected("in exponent of numeric literal"));
            }
        }
        // The grammar above only lets ASCII through, and Rust parses every JSON number (correctly rounded, as Go).
        let text = std::str::from_utf8(&self.input[start..self.pos]).expect("a JSON number is ASCII");
        let number: f64 = text.parse().expect("a JSON number is a valid float literal");
        if number.is_infinite() {
            return Err(self.error_at(start, format!("number {} is out of range of a 64-bit float", text)));
        }
        Ok(Value::Number(number))
    }

    /// A string, from its opening quote.
    fn string(&mut self) -> Result<String, ParseError> {
        self.pos += 1;
        let mut out = String::new();
        let mut raw_start = self.pos;
        loop {
            match self.peek() {
                None => return Err(self.unexpected("in string literal")),
                Some(b'"') => {
                    push_lossy(&mut out, &self.input[raw_start..self.pos]);
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    push_lossy(&mut out, &self.input[raw_start..self.pos]);
                    self.pos += 1;
                    self.escape(&mut out)?;
                    raw_start = self.pos;
                }
                Some(byte) if byte < 0x20 => return Err(self.unexpected("in string literal")),
                Some(_) => self.pos += 1,
            }
        }
    }

    /// One escape, after its backslash.
    fn escape(&mut self, out: &mut String) -> Result<(), ParseError> {
        let decoded = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let unit = self.hex4()?;
                let decoded = if (0xD800..0xDC00).contains(&unit) && self.input[self.pos..].starts_with(b"\\u") {
                    // A high surrogate pairs with a following low one; anything else leaves it alone (U+FFFD) and the
                    // next escape is read on its own, as Go does.
                    let save = self.pos;
                    self.pos += 2;
                    let low = self.hex4()?;
                    if (0xDC00..0xE000).contains(&low) {
                        char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                    } else {
                        self.pos = save;
                        None
                    }
                } else {
                    char::from_u32(unit)
                };
                out.push(decoded.unwrap_or('\u{FFFD}'));
                return Ok(());
            }
            _ => return Err(self.unexpected("in string escape code")),
        };
        self.pos += 1;
        out.push(decoded);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let mut unit = 0;
        for _ in 0..4 {
            let digit = match self.peek() {
                Some(b @ b'0'..=b'9') => b - b'0',
                Some(b @ b'a'..=b'f') => b - b'a' + 10,
                Some(b @ b'A'..=b'F') => b - b'A' + 10,
                _ => return Err(self.unexpected("in \\u hexadecimal character escape")),
            };
            unit = unit * 16 + u32::from(digit);
            self.pos += 1;
        }
        Ok(unit)
    }
}

/// Appends bytes as text, each byte that is not part of valid UTF-8 as U+FFFD (Go's decoder replaces byte by byte,
/// where Rust's `from_utf8_lossy` would replace a whole invalid sequence once).
fn push_lossy(out: &mut String, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                out.push_str(text);
                return;
            }
            Err(e) => {
                let valid = e.valid_up_to();
                out.push_str(std::str::from_utf8(&bytes[..valid]).expect("checked valid"));
                out.push('\u{FFFD}');
                bytes = &bytes[valid + 1..];
            }
        }
    }
}

/// A byte in quotes as Go's JSON errors show it: `'x'`, `'\n'`, `'\x00'`, and bytes of 0x80 and above as the
/// Latin-1 character of that number (`'ï'` for the first byte of a byte order mark).
fn quote_byte(byte: u8) -> String {
    match byte {
        b'\'' => "'\\''".to_string(),
        b'\\' => "'\\\\'".to_string(),
        b'\n' => "'\\n'".to_string(),
        b'\r' => "'\\r'".to_string(),
        b'\t' => "'\\t'".to_string(),
        0x20..=0x7E => format!("'{}'", byte as char),
        0xA1..=0xFF if byte != 0xAD => format!("'{}'", char::from(byte)),
        0x80..=0xFF => format!("'\\u{:04x}'", byte),
        _ => format!("'\\x{:02x}'", byte),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(members: &[(&str, Value)]) -> Value {
        Value::Object(members.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
    }

    fn string(text: &str) -> Value {
        Value::String(text.to_string())
    }

    fn error(input: &str) -> ParseError {
        parse(input.as_bytes()).expect_err(input)
    }

    #[test]
    fn parses_every_kind_of_value() {
        let parsed = parse(
            br#" { "s": "text", "n": -12.5e1, "z": 0, "t": true, "f": false, "nil": null,
                  "a": [1, "two", [], {}], "o": {"inner": "x"} } "#,
        )
        .unwrap();
        assert_eq!(
            parsed,
            object(&[
                ("s", string("text")),
                ("n", Value::Number(-125.0)),
                ("z", Value::Number(0.0)),
                ("t", Value::Bool(true)),
                ("f", Value::Bool(false)),
                ("nil", Value::Null),
                ("a", Value::Array(vec![Value::Number(1.0), string("two"), Value::Array(vec![]), object(&[])])),
                ("o", object(&[("inner", string("x"))])),
            ])
        );
    }

    #[test]
    fn a_repeated_key_keeps_its_last_value_in_its_first_place() {
        assert_eq!(
            parse(br#"{"a": "1", "b": "2", "a": {"x": "3"}}"#).unwrap(),
            object(&[("a", object(&[("x", string("3"))])), ("b", string("2"))])
        );
    }

    #[test]
    fn decodes_escapes_and_replaces_what_is_not_text_like_go() {
        assert_eq!(
            parse(br#""q\" b\\ s\/ \b\f\n\r\t \u00e9 \ud83d\ude00""#).unwrap(),
            string("q\" b\\ s/ \u{8}\u{c}\n\r\t \u{e9} \u{1F600}")
        );
        // Lone surrogates, and a high surrogate followed by an escape that is not a low one.
        assert_eq!(parse(br#""\ud800 \udc00 \ud800\u0041""#).unwrap(), string("\u{FFFD} \u{FFFD} \u{FFFD}A"));
        // Invalid UTF-8: one replacement per byte (a truncated 3-byte sequence is two).
        assert_eq!(parse(b"\"a\xE2\x82b\xFFc\"").unwrap(), string("a\u{FFFD}\u{FFFD}b\u{FFFD}c"));
        assert_eq!(parse("\"日本\"".as_bytes()).unwrap(), string("日本"));
    }

    #[test]
    fn numbers_are_floats() {
        assert_eq!(
            parse(b"1e400"),
            Err(ParseError {
                message: "number 1e400 is out of range of a 64-bit float".into(),
                offset: 0,
                line: 1,
                column: 1
            })
        );
        assert_eq!(parse(b"1e-400").unwrap(), Value::Number(0.0));
        assert_eq!(parse(b"12345678901234567890").unwrap(), Value::Number(12345678901234567890.0));
    }

    #[test]
    fn syntax_errors_use_gos_words_and_give_the_position() {
        let e = error("{\n  \"a\": \"1\",\n  \"b\" \"2\"\n}");
        assert_eq!(e.message, "invalid character '\"' after object key");
        assert_eq!((e.line, e.column, e.offset), (3, 7, 20));
        assert_eq!(e.to_string(), "invalid character '\"' after object key at line 3, column 7 (byte offset 20)");

        let cases = [
            ("", "unexpected end of JSON input"),
            ("{\"a\": ", "unexpected end of JSON input"),
            ("{\"a\": \"x", "unexpected end of JSON input"),
            ("x", "invalid character 'x' looking for beginning of value"),
            ("{'a': 1}", "invalid character '\\'' looking for beginning of object key string"),
            ("{\"a\": 1,}", "invalid character '}' looking for beginning of object key string"),
            ("[1,]", "invalid character ']' looking for beginning of value"),
            ("{\"a\": 1 \"b\": 2}", "invalid character '\"' after object key:value pair"),
            ("[1 2]", "invalid character '2' after array element"),
            ("{} {}", "invalid character '{' after top-level value"),
            ("01", "invalid character '1' after top-level value"),
            ("-x", "invalid character 'x' in numeric literal"),
            ("1.e5", "invalid character 'e' after decimal point in numeric literal"),
            ("1e+", "unexpected end of JSON input"),
            ("1ex", "invalid character 'x' in exponent of numeric literal"),
            ("tru", "unexpected end of JSON input"),
            ("trux", "invalid character 'x' in literal true (expecting 'e')"),
            ("nul1", "invalid character '1' in literal null (expecting 'l')"),
            ("\"a\nb\"", "invalid character '\\n' in string literal"),
            ("\"a\u{1}b\"", "invalid character '\\x01' in string literal"),
            ("\"\\x\"", "invalid character 'x' in string escape code"),
            ("\"\\u12g4\"", "invalid character 'g' in \\u hexadecimal character escape"),
        ];
        for (input, message) in cases {
            assert_eq!(error(input).message, message, "{:?}", input);
        }
    }

    #[test]
    fn a_byte_order_mark_is_refused_with_a_hint() {
        let e = parse(b"\xEF\xBB\xBF{}").unwrap_err();
        assert_eq!(
            e.message,
            "invalid character '\u{ef}' looking for beginning of value (the file starts with a UTF-8 byte order \
             mark; save it without one)"
        );
        assert_eq!((e.line, e.column), (1, 1));
    }

    #[test]
    fn columns_count_characters() {
        let e = error("{\"é\": x}");
        assert_eq!((e.line, e.column, e.offset), (1, 7, 7));
    }

    #[test]
    fn nesting_is_bounded() {
        let deep_enough = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(deep_enough.as_bytes()).is_ok());
        let too_deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        let e = error(&too_deep);
        assert_eq!(e.message, format!("nesting deeper than {} levels", MAX_DEPTH));
        assert_eq!(e.offset, MAX_DEPTH);
    }
}
