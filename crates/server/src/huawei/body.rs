//! The JSON request body of a Huawei call and typed access to its fields. Numbers are accepted
//! as JSON numbers or numeric strings everywhere (HUAWEI.md §1.1: the SDKs disagree); strings
//! given as numbers or booleans are taken as their text.

use keyward_protocol::huawei::codes::{self, KmsCode};
use serde_json::{Map, Value};

use crate::huawei::error::HwError;

/// A parsed request body: always a JSON object (an empty body is `{}`).
#[derive(Debug, Default)]
pub struct Body {
    map: Map<String, Value>,
}

impl Body {
    /// Parses the body. Not JSON, or JSON but not an object → `KMS.0202`; a malformed
    /// `sequence` → `KMS.0206`.
    pub fn parse(raw: &[u8]) -> Result<Self, HwError> {
        if raw.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        let map = match serde_json::from_slice::<Value>(raw) {
            Ok(Value::Object(map)) => map,
            Ok(_) => return Err(HwError::with_message(codes::KMS_0202, "The request body must be a JSON object.")),
            Err(_) => return Err(HwError::new(codes::KMS_0202)),
        };
        let body = Self { map };
        if let Some(seq) = body.opt_str("sequence")?
            && (seq.len() != 36 || !seq.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        {
            return Err(HwError::new(codes::KMS_0206));
        }
        Ok(body)
    }

    /// A body made from a JSON object (tests).
    pub fn from_map(map: Map<String, Value>) -> Self {
        Self { map }
    }

    /// The raw value of a field (`null` counts as absent).
    pub fn raw(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// An optional text field.
    pub fn opt_str(&self, name: &str) -> Result<Option<String>, HwError> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(HwError::invalid(name, "must be a string")),
        }
    }

    /// A required, non-empty text field (`KMS.0204` when missing or empty).
    pub fn req_str(&self, name: &str) -> Result<String, HwError> {
        self.opt_str(name)?.filter(|s| !s.is_empty()).ok_or_else(|| HwError::missing(name))
    }

    /// An optional integer: a JSON integer or a string of decimal digits (with an optional
    /// sign). Anything else → `bad` with a message naming the field.
    pub fn opt_int(&self, name: &str, bad: KmsCode) -> Result<Option<i64>, HwError> {
        let invalid = || HwError::with_message(bad, format!("{} ({name} must be an integer)", bad.message));
        match self.raw(name) {
            None => Ok(None),
            Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Ok(Some(i)),
                (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Some(f as i64)),
                _ => Err(invalid()),
            },
            Some(Value::String(s)) => {
                let t = s.trim();
                if t.is_empty() {
                    return Ok(None);
                }
                let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
                if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid());
                }
                t.parse::<i64>().map(Some).map_err(|_| invalid())
            }
            Some(_) => Err(invalid()),
        }
    }

    /// The required `key_id`: a key id (`^[0-9a-z]{8}-…{12}$`), an Alibaba instance key id
    /// (`key-…`), or an alias (`alias/…`). Missing → `KMS.0204`; malformed → `KMS.0205`.
    pub fn key_id(&self) -> Result<String, HwError> {
        let id = self.req_str("key_id")?;
        check_key_id(&id)?;
        Ok(id)
    }
}

/// Validates a key reference (see [`Body::key_id`]).
pub fn check_key_id(id: &str) -> Result<(), HwError> {
    if is_uuid(id) || is_instance_key_id(id) || is_alias(id) { Ok(()) } else { Err(HwError::new(codes::KMS_0205)) }
}

/// `^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$`.
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_digit() || c.is_ascii_lowercase(),
        })
}

fn is_instance_key_id(s: &str) -> bool {
    s.strip_prefix("key-")
        .is_some_and(|r| r.len() == 20 && r.bytes().all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()))
}

fn is_alias(s: &str) -> bool {
    s.strip_prefix("alias/").is_some_and(|r| {
        !r.is_empty()
            && s.len() <= 255
            && r.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'/' | b':'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_and_typed_fields() {
        assert!(Body::parse(b"").unwrap().raw("x").is_none());
        assert!(Body::parse(b"  \n").is_ok());
        assert_eq!(Body::parse(b"{").unwrap_err().code.code, "KMS.0202");
        assert_eq!(Body::parse(b"[1]").unwrap_err().code.code, "KMS.0202");
        assert_eq!(Body::parse(br#"{"sequence":"abc"}"#).unwrap_err().code.code, "KMS.0206");
        Body::parse(br#"{"sequence":"919c82d4-8046-4722-9094-35c3c6524cff"}"#).unwrap();
        let b = Body::parse(
            br#"{"a": "12", "b": 13, "c": "x", "d": 1.5, "e": null, "f": [1], "g": " -7 ", "h": true, "i": 2.0}"#,
        )
        .unwrap();
        let int = |n: &str| b.opt_int(n, codes::KMS_1601);
        assert_eq!(
            (int("a").unwrap(), int("b").unwrap(), int("e").unwrap(), int("g").unwrap()),
            (Some(12), Some(13), None, Some(-7))
        );
        assert_eq!(int("i").unwrap(), Some(2));
        for bad in ["c", "d", "f", "h"] {
            assert_eq!(int(bad).unwrap_err().code.code, "KMS.1601", "{bad}");
        }
        assert_eq!(b.opt_str("b").unwrap().as_deref(), Some("13"));
        assert_eq!(b.opt_str("h").unwrap().as_deref(), Some("true"));
        assert_eq!(b.opt_str("f").unwrap_err().code.code, "KMS.0308");
        assert_eq!(b.req_str("zz").unwrap_err().code.code, "KMS.0204");
    }

    #[test]
    fn key_ids() {
        for ok in ["0d0466b0-e727-4d9c-b35d-f84bb474a37f", "key-abcdefghij0123456789", "alias/my-key"] {
            check_key_id(ok).unwrap();
        }
        for bad in [
            "",
            "0D0466B0-E727-4D9C-B35D-F84BB474A37F",
            "0d0466b0e7274d9cb35df84bb474a37f",
            "key-short",
            "alias/",
            "x/../y",
        ] {
            assert_eq!(check_key_id(bad).unwrap_err().code.code, "KMS.0205", "{bad}");
        }
    }
}
