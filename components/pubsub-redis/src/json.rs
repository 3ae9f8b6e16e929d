//! The `metadata` field of a stream entry: a JSON object of strings, as daprd writes it (Go's `json.Marshal` of a
//! `map[string]string`: keys sorted, `<`, `>` and `&` escaped as `\u003c`, ...). No JSON crate is packaged for the
//! guest toolchain, and this is the only JSON the component reads or writes.

use std::collections::HashMap;

/// Encodes string pairs as a JSON object, keys in byte order as Go sorts them.
pub fn encode_object(map: &HashMap<String, String>) -> String {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    let mut out = String::with_capacity(2 + map.iter().map(|(k, v)| k.len() + v.len() + 6).sum::<usize>());
    out.push('{');
    for (index, key) in keys.into_iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        encode_string(&mut out, key);
        out.push(':');
        encode_string(&mut out, &map[key]);
    }
    out.push('}');
    out
}

fn encode_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Go escapes these for HTML safety; so does daprd's metadata.
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Decodes a JSON object whose values are strings; `Err` names what is wrong.
pub fn decode_object(text: &[u8]) -> Result<HashMap<String, String>, String> {
    let mut parser = Parser { bytes: text, at: 0 };
    let mut map = HashMap::new();
    parser.expect(b'{')?;
    if !parser.eat(b'}') {
        loop {
            let key = parser.string()?;
            parser.expect(b':')?;
            let value = parser.string()?;
            map.insert(key, value);
            if parser.eat(b',') {
                continue;
            }
            parser.expect(b'}')?;
            break;
        }
    }
    parser.skip_space();
    if parser.at != text.len() {
        return Err(format!("unexpected data after the object at byte {}", parser.at));
    }
    Ok(map)
}

struct Parser<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Parser<'a> {
    fn skip_space(&mut self) {
        while self.bytes.get(self.at).map_or(false, |b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.skip_space();
        if self.bytes.get(self.at) == Some(&byte) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        if self.eat(byte) {
            Ok(())
        } else {
            Err(format!("expected '{}' at byte {}", byte as char, self.at))
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self.bytes.get(self.at..self.at + 4).ok_or("a truncated \\u escape")?;
        let text = std::str::from_utf8(digits).map_err(|_| "a malformed \\u escape")?;
        let value = u32::from_str_radix(text, 16).map_err(|_| format!("a malformed \\u escape at byte {}", self.at))?;
        self.at += 4;
        Ok(value)
    }

    fn string(&mut self) -> Result<String, String> {
        self.expect(b'"')?;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let byte = *self.bytes.get(self.at).ok_or("an unterminated string")?;
            self.at += 1;
            match byte {
                b'"' => return String::from_utf8(out).map_err(|_| "a string that is not UTF-8".to_string()),
                b'\\' => {
                    let escape = *self.bytes.get(self.at).ok_or("a truncated escape")?;
                    self.at += 1;
                    let c = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let first = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&first) && self.bytes.get(self.at..self.at + 2) == Some(b"\\u")
                            {
                                self.at += 2;
                                let second = self.hex4()?;
                                0x10000 + ((first - 0xD800) << 10) + second.wrapping_sub(0xDC00)
                            } else {
                                first
                            };
                            // A lone surrogate becomes U+FFFD, as Go decodes it.
                            char::from_u32(code).unwrap_or('\u{FFFD}')
                        }
                        other => return Err(format!("an unknown escape '\\{}'", other as char)),
                    };
                    let mut buffer = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
                }
                _ => out.push(byte),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn encodes_as_go_does() {
        assert_eq!(encode_object(&HashMap::new()), "{}");
        assert_eq!(
            encode_object(&map(&[("rawPayload", "true"), ("b", "x\"y\\z\n"), ("a<", "&\u{1}é🔑")])),
            r#"{"a\u003c":"\u0026\u0001é🔑","b":"x\"y\\z\n","rawPayload":"true"}"#
        );
    }

    #[test]
    fn decodes_what_it_encodes_and_what_daprd_writes() {
        let original = map(&[("k", "v \"q\" \\ \t <&>"), ("unicode", "ключ 🔑"), ("empty", "")]);
        assert_eq!(decode_object(encode_object(&original).as_bytes()), Ok(original));
        assert_eq!(
            decode_object(br#" { "a" : "\u00e9\ud83d\udd11\/" , "b":"" } "#),
            Ok(map(&[("a", "é🔑/"), ("b", "")]))
        );
        assert_eq!(decode_object(b"{}"), Ok(HashMap::new()));
    }

    #[test]
    fn refuses_what_is_not_an_object_of_strings() {
        for bad in [&b""[..], b"[]", b"{\"a\":1}", b"{\"a\":\"b\"", b"{\"a\" \"b\"}", b"{\"a\":\"b\"} x", b"{\"a\":\"\\x\"}"] {
            assert!(decode_object(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
