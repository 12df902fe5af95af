//! The SSRF token: a shared secret every request (except `GET /ping`) must present in one of the
//! configured headers, so that a server-side request forgery against some other local service
//! cannot read secrets through the agent (AWS Secrets Manager Agent's defence, ALIBABA.md §7).
//!
//! The token is read once at startup from the first *set* variable of `SSRFEnvVariables`. Its
//! value is either the token itself or `file:///absolute/path`, in which case the file is read and
//! trimmed (the usual container pattern: a token file mounted at `/var/run/kmstoken`). An empty
//! token is refused. Comparison is constant-time over SHA-256 digests, so neither the content nor
//! the length of the token leaks through timing.

use std::path::PathBuf;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Why no token could be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// None of the variables is set.
    #[error("no SSRF token: set one of {0} (the token, or file:///path to a file holding it)")]
    NotSet(String),
    /// The variable is set but empty, or the file is empty.
    #[error("the SSRF token from {0} is empty")]
    Empty(String),
    /// The `file://` reference is malformed.
    #[error("{var}: a file token must be file:///absolute/path")]
    BadFileUrl {
        /// The variable.
        var: String,
    },
    /// The token file cannot be read.
    #[error("{var}: cannot read the token file {path}: {source}")]
    File {
        /// The variable.
        var: String,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// The loaded token. No `Clone`, no `Display`; `Debug` is redacted; the bytes are zeroized on drop.
pub struct Token {
    digest: [u8; 32],
    /// Kept only so that the value is wiped from memory on drop; verification uses `digest`.
    _value: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

impl Token {
    /// A token from its value (trimmed of surrounding whitespace). Empty values are refused.
    pub fn new(value: &str, source: &str) -> Result<Self, TokenError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(TokenError::Empty(source.to_string()));
        }
        Ok(Self { digest: sha256(value.as_bytes()), _value: Zeroizing::new(value.as_bytes().to_vec()) })
    }

    /// Loads the token from the first set variable among `vars` (looked up with `env`).
    pub fn from_env(vars: &[String], env: impl Fn(&str) -> Option<String>) -> Result<Self, TokenError> {
        let Some((var, raw)) = vars.iter().find_map(|v| env(v).map(|val| (v, Zeroizing::new(val)))) else {
            return Err(TokenError::NotSet(vars.join(", ")));
        };
        match raw.strip_prefix("file://") {
            None => Self::new(&raw, var),
            Some(path) => {
                if !path.starts_with('/') {
                    return Err(TokenError::BadFileUrl { var: var.clone() });
                }
                let path = PathBuf::from(path);
                let text = std::fs::read_to_string(&path).map_err(|source| TokenError::File {
                    var: var.clone(),
                    path: path.clone(),
                    source,
                })?;
                let text = Zeroizing::new(text);
                Self::new(&text, &format!("{var} ({})", path.display()))
            }
        }
    }

    /// Whether `presented` is the token, in constant time.
    pub fn verify(&self, presented: &[u8]) -> bool {
        bool::from(sha256(presented).ct_eq(&self.digest))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn vars() -> Vec<String> {
        ["KMS_TOKEN", "KMS_SESSION_TOKEN", "KMS_CONTAINER_AUTHORIZATION_TOKEN"].map(String::from).to_vec()
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn literal_token_from_the_first_set_variable() {
        let t = Token::from_env(&vars(), env(&[("KMS_SESSION_TOKEN", "second"), ("KMS_TOKEN", " first\n")])).unwrap();
        assert!(t.verify(b"first"));
        assert!(!t.verify(b"second"));
        let t = Token::from_env(&vars(), env(&[("KMS_CONTAINER_AUTHORIZATION_TOKEN", "third")])).unwrap();
        assert!(t.verify(b"third"));
    }

    #[test]
    fn file_token_is_read_and_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kmstoken");
        std::fs::write(&path, "  tok-from-file \n").unwrap();
        let url = format!("file://{}", path.display());
        let t = Token::from_env(&vars(), env(&[("KMS_TOKEN", &url)])).unwrap();
        assert!(t.verify(b"tok-from-file"));
        assert!(!t.verify(url.as_bytes()));

        let missing = format!("file://{}", dir.path().join("nope").display());
        let e = Token::from_env(&vars(), env(&[("KMS_TOKEN", &missing)])).unwrap_err();
        assert!(matches!(e, TokenError::File { .. }), "{e}");
        let e = Token::from_env(&vars(), env(&[("KMS_TOKEN", "file://relative/path")])).unwrap_err();
        assert!(matches!(e, TokenError::BadFileUrl { .. }), "{e}");
        std::fs::write(&path, "\n \n").unwrap();
        let e = Token::from_env(&vars(), env(&[("KMS_TOKEN", &url)])).unwrap_err();
        assert!(matches!(e, TokenError::Empty(_)), "{e}");
    }

    #[test]
    fn no_or_empty_token_is_refused() {
        let e = Token::from_env(&vars(), env(&[])).unwrap_err();
        assert!(e.to_string().contains("KMS_TOKEN, KMS_SESSION_TOKEN"), "{e}");
        let e = Token::from_env(&vars(), env(&[("KMS_TOKEN", "   ")])).unwrap_err();
        assert!(matches!(e, TokenError::Empty(_)), "{e}");
    }

    #[test]
    fn verify_rejects_near_misses_and_debug_is_redacted() {
        let t = Token::new("s3cret-token", "test").unwrap();
        assert!(t.verify(b"s3cret-token"));
        for wrong in [&b""[..], b"s3cret-toke", b"s3cret-token ", b"S3cret-token", b"s3cret-token\0"] {
            assert!(!t.verify(wrong), "{wrong:?}");
        }
        assert_eq!(format!("{t:?}"), "Token(<redacted>)");
    }
}
