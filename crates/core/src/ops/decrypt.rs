//! Decrypt (ALIBABA.md §5.3): the blob names the key version; any version of the key opens it,
//! with an equivalent encryption context (same pairs, any order).

use crate::error::Error;
use crate::ops::keyops::{Decrypted, canonical_context};
use crate::service::{Caller, Kms};

impl Kms {
    /// Decrypts a raw ciphertext blob.
    pub async fn decrypt(&self, caller: &Caller, blob: &[u8], context: Option<&str>) -> Result<Decrypted, Error> {
        let ctx = canonical_context(context, "EncryptionContext")?;
        self.open_blob(caller, "kms:Decrypt", blob, context, &ctx).await
    }
}
