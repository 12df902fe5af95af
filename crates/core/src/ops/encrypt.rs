//! Encrypt (ALIBABA.md §5.3): seals the `Plaintext` parameter — an opaque string, whose UTF-8
//! bytes are encrypted and returned unchanged by Decrypt — under the key's primary version.

use crate::error::Error;
use crate::ops::keyops::{Encrypted, MAX_PLAINTEXT, canonical_context};
use crate::service::{Caller, Kms};

impl Kms {
    /// Encrypts `plaintext` (at most 6 KB) with the optional JSON encryption context.
    pub async fn encrypt(
        &self,
        caller: &Caller,
        key_ref: &str,
        plaintext: &[u8],
        context: Option<&str>,
    ) -> Result<Encrypted, Error> {
        let _ = caller;
        if plaintext.len() > MAX_PLAINTEXT {
            return Err(Error::invalid("Plaintext", "at most 6144 bytes"));
        }
        let ctx = canonical_context(context, "EncryptionContext")?;
        let key = self.usable_key(key_ref).await?;
        self.seal_primary(&key, plaintext, &ctx)
    }
}
