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
        self.encrypt_as(caller, "kms:Encrypt", key_ref, plaintext, context).await
    }

    /// [`Kms::encrypt`] authorized as `action` (the Huawei API seals its data keys this way,
    /// as `kms:GenerateDataKey`).
    pub async fn encrypt_as(
        &self,
        caller: &Caller,
        action: &str,
        key_ref: &str,
        plaintext: &[u8],
        context: Option<&str>,
    ) -> Result<Encrypted, Error> {
        if plaintext.len() > MAX_PLAINTEXT {
            return Err(Error::invalid("Plaintext", "at most 6144 bytes"));
        }
        let ctx = canonical_context(context, "EncryptionContext")?;
        let key = self.usable_key(caller, action, key_ref, context).await?;
        self.seal_primary(&key, plaintext, &ctx)
    }
}
