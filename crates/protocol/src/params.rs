//! [`Params`]: the request parameters (URL query merged with a form body) and typed accessors
//! that turn bad values into [`ParamError`]s naming the parameter (ALIBABA.md §1.3).

use serde::de::DeserializeOwned;

/// A parameter problem, reported as `MissingParameter` or `InvalidParameter`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// A required parameter is absent or empty.
    #[error("The parameter \"{0}\" is needed but not provided.")]
    Missing(String),
    /// A parameter has a bad value.
    #[error("The specified parameter \"{name}\" is not valid: {detail}")]
    Invalid {
        /// Parameter name.
        name: String,
        /// What is wrong.
        detail: String,
    },
}

impl ParamError {
    /// Shorthand for [`ParamError::Invalid`].
    pub fn invalid(name: &str, detail: impl Into<String>) -> Self {
        Self::Invalid { name: name.to_string(), detail: detail.into() }
    }
}

/// Decoded request parameters, in arrival order (query first, then body).
#[derive(Debug, Clone, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Wraps decoded pairs.
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        Self { pairs }
    }

    /// All pairs.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The first value of `name`, if present (possibly empty).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// A non-empty value of `name`, or `None`.
    pub fn opt(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// A required, non-empty value.
    pub fn required(&self, name: &str) -> Result<&str, ParamError> {
        self.opt(name).ok_or_else(|| ParamError::Missing(name.to_string()))
    }

    /// A boolean: `true`/`false` in any case (Python's Tea SDK sends `True`).
    pub fn bool(&self, name: &str) -> Result<Option<bool>, ParamError> {
        match self.opt(name) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(_) => Err(ParamError::invalid(name, "must be true or false")),
        }
    }

    /// A required boolean.
    pub fn required_bool(&self, name: &str) -> Result<bool, ParamError> {
        self.bool(name)?.ok_or_else(|| ParamError::Missing(name.to_string()))
    }

    /// A decimal integer.
    pub fn int(&self, name: &str) -> Result<Option<i64>, ParamError> {
        match self.opt(name) {
            None => Ok(None),
            Some(v) => v.trim().parse::<i64>().map(Some).map_err(|_| ParamError::invalid(name, "must be an integer")),
        }
    }

    /// A required decimal integer.
    pub fn required_int(&self, name: &str) -> Result<i64, ParamError> {
        self.int(name)?.ok_or_else(|| ParamError::Missing(name.to_string()))
    }

    /// A JSON-valued parameter decoded into `T`.
    pub fn json<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, ParamError> {
        match self.opt(name) {
            None => Ok(None),
            Some(v) => serde_json::from_str(v)
                .map(Some)
                .map_err(|e| ParamError::invalid(name, format!("must be valid JSON of the documented shape ({e})"))),
        }
    }

    /// `PageNumber` (≥ 1, default 1) and `PageSize` (within `1..=max`, default `default`).
    pub fn page(&self, default: u32, max: u32) -> Result<(u32, u32), ParamError> {
        let number = match self.int("PageNumber")? {
            None => 1,
            Some(n) if n >= 1 && n <= i64::from(u32::MAX) => n as u32,
            Some(_) => return Err(ParamError::invalid("PageNumber", "must be between 1 and 4294967295")),
        };
        let size = match self.int("PageSize")? {
            None => default,
            Some(n) if n >= 1 && n <= i64::from(max) => n as u32,
            Some(_) => return Err(ParamError::invalid("PageSize", format!("must be between 1 and {max}"))),
        };
        Ok((number, size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Params {
        Params::new(pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect())
    }

    #[test]
    fn typed_accessors() {
        let ps = p(&[("A", "True"), ("B", "FALSE"), ("N", "12"), ("E", ""), ("J", "[1,2]"), ("X", "maybe")]);
        assert_eq!(ps.bool("A"), Ok(Some(true)));
        assert_eq!(ps.bool("B"), Ok(Some(false)));
        assert!(ps.bool("X").is_err());
        assert_eq!(ps.int("N"), Ok(Some(12)));
        assert!(ps.int("X").is_err());
        assert_eq!(ps.required("E"), Err(ParamError::Missing("E".into())));
        assert_eq!(ps.json::<Vec<i32>>("J"), Ok(Some(vec![1, 2])));
        assert!(ps.json::<Vec<i32>>("X").is_err());
    }

    #[test]
    fn paging_defaults_and_limits() {
        assert_eq!(p(&[]).page(10, 100), Ok((1, 10)));
        assert_eq!(p(&[("PageNumber", "3"), ("PageSize", "100")]).page(10, 100), Ok((3, 100)));
        assert!(p(&[("PageSize", "101")]).page(10, 100).is_err());
        assert!(p(&[("PageNumber", "0")]).page(10, 100).is_err());
    }
}
