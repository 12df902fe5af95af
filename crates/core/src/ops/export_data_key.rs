//! ExportDataKey and GenerateAndExportDataKey (ALIBABA.md §5.3): a data key encrypted under a
//! caller-supplied public key (`PublicKeyBlob`, base64 DER SPKI) with `RSA_2048` +
//! `RSAES_OAEP_SHA_256`/`RSAES_OAEP_SHA_1` or `EC_SM2` + `SM2PKE`. The raw data key bytes are
//! encrypted (not their base64 text).

use base64::Engine;
use keyward_crypto::asymmetric::{self, AsymmetricAlgorithm};
use keyward_crypto::byok::WrappingKeySpec;
use keyward_crypto::{KeySpec, SecretBytes};

use crate::error::Error;
use crate::ops::keyops::{Encrypted, canonical_context};
use crate::service::{Caller, Kms};

/// Where to export a data key to.
pub struct ExportTarget<'a> {
    /// DER SubjectPublicKeyInfo.
    pub public_key_der: &'a [u8],
    /// `WrappingKeySpec`.
    pub spec: WrappingKeySpec,
    /// `WrappingAlgorithm`.
    pub algorithm: AsymmetricAlgorithm,
}

/// An exported data key.
pub struct Exported {
    /// Key and version that seal the data key.
    pub key_id: String,
    /// Version id.
    pub version_id: String,
    /// The data key encrypted under the target public key.
    pub exported: Vec<u8>,
}

fn export(target: &ExportTarget<'_>, dk: &SecretBytes) -> Result<Vec<u8>, Error> {
    let fits = matches!(
        (target.spec, target.algorithm),
        (WrappingKeySpec::Rsa2048, AsymmetricAlgorithm::RsaesOaepSha256 | AsymmetricAlgorithm::RsaesOaepSha1)
            | (WrappingKeySpec::EcSm2, AsymmetricAlgorithm::Sm2Pke)
    );
    if !fits {
        return Err(Error::invalid(
            "WrappingAlgorithm",
            "use RSAES_OAEP_SHA_256 or RSAES_OAEP_SHA_1 with RSA_2048, SM2PKE with EC_SM2",
        ));
    }
    let expected = match target.spec {
        WrappingKeySpec::Rsa2048 => KeySpec::Rsa2048,
        WrappingKeySpec::EcSm2 => KeySpec::EcSm2,
    };
    if asymmetric::public_key_spec(target.public_key_der) != Some(expected) {
        return Err(Error::invalid(
            "PublicKeyBlob",
            format!("must be the base64 DER SubjectPublicKeyInfo of a {} public key", target.spec.as_str()),
        ));
    }
    asymmetric::encrypt_with_public_key(target.public_key_der, target.algorithm, dk.expose()).map_err(|e| {
        Error::invalid(
            "PublicKeyBlob",
            format!("must be the base64 DER SubjectPublicKeyInfo of a {} public key ({e})", target.spec.as_str()),
        )
    })
}

impl Kms {
    /// Re-encrypts the data key inside `blob` (made by GenerateDataKey) under a public key.
    pub async fn export_data_key(
        &self,
        caller: &Caller,
        blob: &[u8],
        context: Option<&str>,
        target: ExportTarget<'_>,
    ) -> Result<Exported, Error> {
        let ctx = canonical_context(context, "EncryptionContext")?;
        let opened = self.open_blob(caller, "kms:ExportDataKey", blob, context, &ctx).await?;
        let text = std::str::from_utf8(opened.plaintext.expose()).map_err(|_| Error::InvalidCiphertext)?;
        let dk = SecretBytes::new(
            base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .map_err(|_| Error::invalid("CiphertextBlob", "does not hold a data key from GenerateDataKey"))?,
        );
        let exported = export(&target, &dk)?;
        Ok(Exported { key_id: opened.key_id, version_id: opened.version_id, exported })
    }

    /// GenerateDataKey plus ExportDataKey in one call.
    pub async fn generate_and_export_data_key(
        &self,
        caller: &Caller,
        key_ref: &str,
        len: usize,
        context: Option<&str>,
        target: ExportTarget<'_>,
    ) -> Result<(Encrypted, Vec<u8>), Error> {
        let dk = self.generate_data_key(caller, "kms:GenerateAndExportDataKey", key_ref, len, context).await?;
        let exported = export(&target, &dk.plaintext)?;
        Ok((dk.encrypted, exported))
    }
}
