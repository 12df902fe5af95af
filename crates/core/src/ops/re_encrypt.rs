//! ReEncrypt (ALIBABA.md §5.3): decrypts under the source (a symmetric blob, or an asymmetric
//! ciphertext with `SourceKeyId` + `SourceKeyVersionId` + `SourceEncryptionAlgorithm`) and
//! encrypts under the destination key without the plaintext leaving the server.

use keyward_crypto::asymmetric::AsymmetricAlgorithm;

use crate::error::Error;
use crate::ops::keyops::{Encrypted, canonical_context};
use crate::service::{Caller, Kms};

/// Where the ciphertext comes from.
pub enum ReEncryptSource<'a> {
    /// A blob of Encrypt/GenerateDataKey, with its context.
    Symmetric {
        /// `SourceEncryptionContext`.
        context: Option<&'a str>,
    },
    /// A raw asymmetric ciphertext.
    Asymmetric {
        /// `SourceKeyId`.
        key_ref: &'a str,
        /// `SourceKeyVersionId`.
        version_id: &'a str,
        /// `SourceEncryptionAlgorithm`.
        algorithm: AsymmetricAlgorithm,
    },
}

/// ReEncrypt's result: the new blob and the source ids.
pub struct ReEncrypted {
    /// The new ciphertext under the destination key.
    pub encrypted: Encrypted,
    /// Source key id.
    pub source_key_id: String,
    /// Source key version id.
    pub source_version_id: String,
}

impl Kms {
    /// Re-encrypts `ciphertext` from `source` to `destination_key_ref`.
    pub async fn re_encrypt(
        &self,
        caller: &Caller,
        ciphertext: &[u8],
        source: ReEncryptSource<'_>,
        destination_key_ref: &str,
        destination_context: Option<&str>,
    ) -> Result<ReEncrypted, Error> {
        let dest_ctx = canonical_context(destination_context, "DestinationEncryptionContext")?;
        let (plaintext, source_key_id, source_version_id) = match source {
            ReEncryptSource::Symmetric { context } => {
                let ctx = canonical_context(context, "SourceEncryptionContext")?;
                let d = self.open_blob(caller, "kms:ReEncryptFrom", ciphertext, context, &ctx).await?;
                (d.plaintext, d.key_id, d.version_id)
            }
            ReEncryptSource::Asymmetric { key_ref, version_id, algorithm } => {
                let d = self
                    .asymmetric_decrypt_as(caller, "kms:ReEncryptFrom", key_ref, version_id, algorithm, ciphertext)
                    .await?;
                (d.value, d.key_id, d.version_id)
            }
        };
        let dest = self.usable_key(caller, "kms:ReEncryptTo", destination_key_ref, destination_context).await?;
        let encrypted = self.seal_primary(&dest, plaintext.expose(), &dest_ctx)?;
        Ok(ReEncrypted { encrypted, source_key_id, source_version_id })
    }
}
