//! GenerateDataKey and GenerateDataKeyWithoutPlaintext (ALIBABA.md §5.3): a random data key,
//! returned as base64 and sealed as the **base64 text** under the key, so that
//! `Decrypt(CiphertextBlob).Plaintext` is the base64 data key, ready to use (the wire trap of
//! ALIBABA.md §5.3).

use base64::Engine;
use keyward_crypto::{SecretBytes, random};

use crate::error::Error;
use crate::ops::keyops::{Encrypted, canonical_context};
use crate::service::{Caller, Kms};

/// A generated data key.
pub struct DataKey {
    /// The sealed base64 text of the data key.
    pub encrypted: Encrypted,
    /// The raw data key.
    pub plaintext: SecretBytes,
}

/// Data key length from `KeySpec` (`AES_256` → 32, `AES_128` → 16) and `NumberOfBytes`
/// (1–1024, wins over KeySpec).
pub fn data_key_len(key_spec: Option<&str>, number_of_bytes: Option<i64>) -> Result<usize, Error> {
    let from_spec = match key_spec {
        None | Some("AES_256") => 32,
        Some("AES_128") => 16,
        Some(_) => return Err(Error::invalid("KeySpec", "use AES_256 or AES_128")),
    };
    match number_of_bytes {
        None => Ok(from_spec),
        Some(n) if (1..=1024).contains(&n) => Ok(n as usize),
        Some(_) => Err(Error::invalid("NumberOfBytes", "must be between 1 and 1024")),
    }
}

impl Kms {
    /// Generates a data key of `len` bytes sealed under the key. `action` is what the caller
    /// asked for (`kms:GenerateDataKey`, `kms:GenerateDataKeyWithoutPlaintext`, ...), which is
    /// what gets authorized.
    pub async fn generate_data_key(
        &self,
        caller: &Caller,
        action: &str,
        key_ref: &str,
        len: usize,
        context: Option<&str>,
    ) -> Result<DataKey, Error> {
        let ctx = canonical_context(context, "EncryptionContext")?;
        let key = self.usable_key(caller, action, key_ref, context).await?;
        let plaintext = SecretBytes::new(random::bytes(len)?);
        let text = zeroize::Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(plaintext.expose()));
        let encrypted = self.seal_primary(&key, text.as_bytes(), &ctx)?;
        Ok(DataKey { encrypted, plaintext })
    }
}
