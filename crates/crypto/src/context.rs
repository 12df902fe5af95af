//! `EncryptionContext` (ALIBABA.md §5.3): parsing and the canonical form bound into the AAD.
//!
//! The parameter is a JSON object of string → string, at most [`MAX_CHARS`] characters long.
//! Decrypt must present an *equivalent* context: the same pairs in any order, with any JSON
//! spelling (whitespace, `\u` escapes). [`canonical`] therefore decodes the object and re-encodes
//! it as compact JSON with the keys sorted by byte order (a `BTreeMap<String, String>` serialized by
//! serde_json). serde_json's string encoding is deterministic: it escapes `"` and `\` and the
//! control characters below U+0020 (as `\b \t \n \f \r` or `\u00XX`, lowercase hex) and writes
//! everything else, including non-ASCII and `/`, as raw UTF-8.
//!
//! An absent parameter, an empty (or all-whitespace) string and `{}` all canonicalize to the empty
//! byte string, so "no context" is one value.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserializer as _;
use serde::de::{self, MapAccess, Visitor};

/// Largest accepted `EncryptionContext`, in characters of the raw parameter.
pub const MAX_CHARS: usize = 8192;

/// Why an `EncryptionContext` is refused. Messages say why, for `InvalidParameter` responses.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ContextError {
    /// Longer than [`MAX_CHARS`] characters.
    #[error("EncryptionContext is {chars} characters long; at most {MAX_CHARS} are allowed")]
    TooLong {
        /// Characters in the parameter (counted up to a bound).
        chars: usize,
    },
    /// Not a JSON object of string → string, a duplicate key, or not JSON at all.
    #[error("EncryptionContext is invalid: {0}")]
    Invalid(String),
}

/// Parses an `EncryptionContext` parameter and returns its canonical form (see the module docs);
/// empty for an empty parameter or `{}`. Never panics.
pub fn canonical(json: &str) -> Result<Vec<u8>, ContextError> {
    let map = parse(json)?;
    if map.is_empty() {
        return Ok(Vec::new());
    }
    serde_json::to_vec(&map).map_err(|e| ContextError::Invalid(e.to_string()))
}

/// Parses an `EncryptionContext` parameter into its pairs (sorted by key). Never panics.
pub fn parse(json: &str) -> Result<BTreeMap<String, String>, ContextError> {
    // Counting stops just past the limit, so a huge parameter costs no more than a small one.
    let chars = json.chars().take(MAX_CHARS + 1).count();
    if chars > MAX_CHARS {
        return Err(ContextError::TooLong { chars: json.chars().count() });
    }
    if json.trim().is_empty() {
        return Ok(BTreeMap::new());
    }
    let mut de = serde_json::Deserializer::from_str(json);
    let map = de.deserialize_any(ContextVisitor).map_err(|e| ContextError::Invalid(e.to_string()))?;
    de.end().map_err(|e| ContextError::Invalid(e.to_string()))?;
    Ok(map)
}

/// Accepts only a top-level object whose values are all strings, without duplicate keys.
struct ContextVisitor;

impl<'de> Visitor<'de> for ContextVisitor {
    type Value = BTreeMap<String, String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of string keys to string values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut map = BTreeMap::new();
        while let Some(key) = access.next_key::<String>()? {
            let value = access.next_value::<StringValue>()?.0.map_err(|what| {
                de::Error::custom(format_args!("the value of key {key:?} is {what}, but only strings are allowed"))
            })?;
            if map.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate key {key:?}")));
            }
            map.insert(key, value);
        }
        Ok(map)
    }
}

/// A context value: `Ok` for a string, `Err(what)` naming the JSON type otherwise. Nested values
/// are rejected before they are descended into.
struct StringValue(Result<String, &'static str>);

impl<'de> de::Deserialize<'de> for StringValue {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StringValueVisitor)
    }
}

struct StringValueVisitor;

impl<'de> Visitor<'de> for StringValueVisitor {
    type Value = StringValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<StringValue, E> {
        Ok(StringValue(Ok(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<StringValue, E> {
        Ok(StringValue(Ok(v)))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<StringValue, E> {
        Ok(StringValue(Err("a boolean")))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<StringValue, E> {
        Ok(StringValue(Err("a number")))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<StringValue, E> {
        Ok(StringValue(Err("a number")))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<StringValue, E> {
        Ok(StringValue(Err("a number")))
    }
    fn visit_unit<E: de::Error>(self) -> Result<StringValue, E> {
        Ok(StringValue(Err("null")))
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<StringValue, A::Error> {
        Err(de::Error::custom("a value is a nested object, but only strings are allowed"))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<StringValue, A::Error> {
        Err(de::Error::custom("a value is an array, but only strings are allowed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Vec<u8> {
        canonical(s).unwrap()
    }

    fn err(s: &str) -> String {
        match canonical(s) {
            Err(e) => e.to_string(),
            Ok(b) => panic!("{s:?} accepted as {:?}", String::from_utf8_lossy(&b)),
        }
    }

    #[test]
    fn order_and_spelling_insensitive() {
        let want = br#"{"a":"1","b":"2"}"#.to_vec();
        assert_eq!(c(r#"{"a":"1","b":"2"}"#), want);
        assert_eq!(c(r#"{"b":"2","a":"1"}"#), want);
        assert_eq!(c(" {\n \"b\" : \"2\" ,\t\"a\":\"1\" } \r\n"), want);
        assert_eq!(c(r#"{"\u0062":"\u0032","a":"1"}"#), want);
    }

    #[test]
    fn keys_sort_by_bytes() {
        // Uppercase before lowercase, and by UTF-8 bytes (é = c3 a9 after z).
        assert_eq!(
            c(r#"{"z":"","é":"","B":"","a":"","aa":""}"#),
            r#"{"B":"","a":"","aa":"","z":"","é":""}"#.as_bytes()
        );
    }

    #[test]
    fn escaping_is_deterministic() {
        assert_eq!(
            c(r#"{"k":"q\"b\\s\/ \u00e9 \t\n\r\b\f \u0001 \u001f \u007f \u2028 😀 \ud83d\ude00"}"#),
            "{\"k\":\"q\\\"b\\\\s/ é \\t\\n\\r\\b\\f \\u0001 \\u001f \u{7f} \u{2028} 😀 😀\"}".as_bytes()
        );
        // Raw UTF-8 and its escaped spelling agree.
        assert_eq!(c(r#"{"名":"值"}"#), c(r#"{"\u540d":"\u503c"}"#));
    }

    #[test]
    fn empty_contexts_are_empty_bytes() {
        for s in ["", "  ", "\n", "{}", " { } "] {
            assert_eq!(c(s), Vec::<u8>::new(), "{s:?}");
        }
        assert_eq!(c(r#"{"":""}"#), br#"{"":""}"#);
    }

    #[test]
    fn only_string_values() {
        for (s, needle) in [
            (r#"{"a":1}"#, "number"),
            (r#"{"a":1.5}"#, "number"),
            (r#"{"a":-1}"#, "number"),
            (r#"{"a":true}"#, "boolean"),
            (r#"{"a":null}"#, "null"),
            (r#"{"a":{"b":"c"}}"#, "nested object"),
            (r#"{"a":["b"]}"#, "array"),
            (r#"["a","b"]"#, "expected a JSON object"),
            (r#""a""#, "expected a JSON object"),
            ("1", "expected a JSON object"),
            ("null", "expected a JSON object"),
            (r#"{"a":"1","a":"2"}"#, "duplicate key \"a\""),
            (r#"{"a":"1","a":"1"}"#, "duplicate key"),
            (r#"{"a":"1"} x"#, "trailing"),
            (r#"{"a":"1"}{}"#, "trailing"),
            (r#"{"a":"1""#, "EOF"),
            (r#"{a:"1"}"#, "key must be a string"),
            (r#"{"a":"\ud800"}"#, "escape"),
            (r#"{"a":"\udc00"}"#, "surrogate"),
        ] {
            let e = err(s);
            assert!(e.contains(needle), "{s:?}: {e}");
        }
        assert!(err(r#"{"k":7}"#).contains("\"k\""), "the message names the key");
    }

    #[test]
    fn length_limit_counts_characters() {
        let fill = |n: usize, ch: char| format!("{{\"k\":\"{}\"}}", ch.to_string().repeat(n - 8));
        let at_limit = fill(MAX_CHARS, 'x');
        assert_eq!(at_limit.chars().count(), MAX_CHARS);
        assert!(canonical(&at_limit).is_ok());
        assert_eq!(canonical(&fill(MAX_CHARS + 1, 'x')), Err(ContextError::TooLong { chars: MAX_CHARS + 1 }));
        // Multi-byte characters count once each.
        let wide = fill(MAX_CHARS, '值');
        assert!(wide.len() > MAX_CHARS);
        assert!(canonical(&wide).is_ok());
        assert!(matches!(canonical(&"x".repeat(1 << 20)), Err(ContextError::TooLong { chars }) if chars == 1 << 20));
    }

    #[test]
    fn deep_nesting_is_refused_without_recursion() {
        let deep = format!("{{\"a\":{}\"x\"{}}}", "[".repeat(4000), "]".repeat(4000));
        assert!(err(&deep).contains("array"));
        let deep_obj = "{\"a\":".repeat(1500) + "\"x\"" + &"}".repeat(1500);
        assert!(canonical(&deep_obj).is_err());
    }

    #[test]
    fn canonical_is_a_fixed_point() {
        for s in [r#"{"b":"2","a":"1"}"#, r#"{"x":"\u0000\n","\"":"\\"}"#, r#"{"名":"值 😀"}"#] {
            let once = c(s);
            assert_eq!(c(std::str::from_utf8(&once).unwrap()), once);
        }
    }

    #[test]
    fn mutations_never_panic() {
        let mut state = 0x0c0a_7ec7_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet: Vec<char> = "{}[]\":,\\ u0123456789abcdefnrtl-+.eE\u{e9}\u{540d}\u{1f600}\n".chars().collect();
        let seeds = [r#"{"a":"1","b":"2"}"#, r#"{"k":"\u00e9\n","z":""}"#, r#"{"x":{"y":["z",1,null]}}"#, "{}"];
        for seed in seeds {
            let base: Vec<char> = seed.chars().collect();
            for i in 0..3000 {
                let mut m = base.clone();
                for _ in 0..=(i % 4) {
                    let r = next() as usize;
                    let ch = alphabet[(r >> 8) % alphabet.len()];
                    match r % 3 {
                        0 if !m.is_empty() => {
                            let p = (r >> 20) % m.len();
                            m[p] = ch;
                        }
                        1 if !m.is_empty() => {
                            m.remove((r >> 20) % m.len());
                        }
                        _ => m.insert((r >> 20) % (m.len() + 1), ch),
                    }
                }
                let s: String = m.into_iter().collect();
                if let Ok(bytes) = canonical(&s) {
                    // Whatever is accepted canonicalizes to a fixed point.
                    if !bytes.is_empty() {
                        assert_eq!(c(std::str::from_utf8(&bytes).unwrap()), bytes, "{s:?}");
                    }
                }
            }
        }
    }
}
