//! [`SecretBytes`]: plaintext key material and other secrets in memory.
//!
//! It zeroizes on drop, has no `Debug`, `Display`, `Clone` or `Serialize`, and compares in
//! constant time. Code that needs the bytes calls [`SecretBytes::expose`], which makes every
//! use of plaintext material easy to find.

use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// Secret bytes (key material, AccessKey secrets). See the module docs.
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    /// Takes ownership of `bytes`; the caller's buffer is moved, not copied.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// Copies `bytes` into a new secret.
    pub fn from_slice(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }

    /// The plaintext bytes. Keep the borrow short; never log or serialize it.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A second copy of the secret. Deliberately not `Clone`, so each copy is visible.
    pub fn duplicate(&self) -> Self {
        Self(self.0.clone())
    }

    /// Constant-time equality.
    pub fn ct_eq(&self, other: &[u8]) -> bool {
        self.0.len() == other.len() && bool::from(self.0.as_slice().ct_eq(other))
    }
}

impl Drop for SecretBytes {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_equality_checks_length_and_content() {
        let s = SecretBytes::from_slice(b"abc");
        assert!(s.ct_eq(b"abc"));
        assert!(!s.ct_eq(b"abd"));
        assert!(!s.ct_eq(b"ab"));
        assert_eq!(s.len(), 3);
    }
}
