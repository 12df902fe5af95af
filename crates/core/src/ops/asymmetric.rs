//! AsymmetricEncrypt, AsymmetricDecrypt, AsymmetricSign, AsymmetricVerify and GetPublicKey
//! (ALIBABA.md §5.4; Huawei sign/verify/get-publickey). Every one names its `KeyVersionId`.
//! Ciphertexts are raw (no KMS header), so users can encrypt locally with the public key;
//! signatures are over a caller-computed digest of the algorithm's hash (SHA-256/384/512, or
//! SM3(Z‖M) for SM2DSA): `AsymmetricAlgorithm::digest_len` bytes, else `InvalidParameter` naming
//! `Digest` (Huawei: KMS.0329).

use keyward_crypto::SecretBytes;
use keyward_crypto::asymmetric::{AsymmetricAlgorithm, AsymmetricError, AsymmetricKey};

use crate::cache::Material;
use crate::error::Error;
use crate::service::{Caller, Kms};

/// The result of an asymmetric operation.
pub struct AsymmetricOutput<T> {
    /// The key.
    pub key_id: String,
    /// The version used.
    pub version_id: String,
    /// Ciphertext, plaintext, signature, verdict or public key.
    pub value: T,
}

fn map_err(e: AsymmetricError) -> Error {
    match e {
        AsymmetricError::UnsupportedAlgorithm => {
            Error::UnsupportedOperation("the algorithm does not fit this key's spec and usage".into())
        }
        AsymmetricError::PlaintextTooLong { max } => {
            Error::invalid("Plaintext", format!("at most {max} bytes for this key and algorithm"))
        }
        AsymmetricError::Undecryptable => Error::invalid("CiphertextBlob", "does not decrypt with this key version"),
        AsymmetricError::InvalidDigest => Error::invalid("Digest", DIGEST_DETAIL),
        AsymmetricError::Crypto(c) => c.into(),
    }
}

/// Detail of the `Digest` error: its length must match the algorithm.
const DIGEST_DETAIL: &str = "must be the base64 of a digest of the algorithm's hash \
                             (32 bytes for SHA-256 and SM3, 48 for SHA-384, 64 for SHA-512)";

/// Refuses symmetric and HMAC keys.
fn check_asymmetric(spec: keyward_crypto::KeySpec, what: &str) -> Result<(), Error> {
    if spec.is_hmac() {
        return Err(Error::HmacKeyUnsupported(format!("{what} needs an asymmetric key")));
    }
    if !spec.is_asymmetric() {
        return Err(Error::UnsupportedOperation(format!("{what} needs an asymmetric key")));
    }
    Ok(())
}

impl Kms {
    #[allow(clippy::too_many_arguments)]
    async fn with_asymmetric<T>(
        &self,
        caller: &Caller,
        action: &str,
        key_ref: &str,
        version_id: &str,
        algorithm: AsymmetricAlgorithm,
        check_state: bool,
        f: impl FnOnce(&AsymmetricKey) -> Result<T, Error>,
    ) -> Result<AsymmetricOutput<T>, Error> {
        let key = self.authorized_key(caller, action, key_ref, None).await?;
        let id = key.record.key_id.clone();
        if check_state {
            self.check_usable(&key)?;
        }
        check_asymmetric(key.record.spec, "this operation")?;
        if !algorithm.fits(key.record.spec, key.record.usage) {
            return Err(Error::UnsupportedOperation(format!(
                "{} does not fit a {} {} key",
                algorithm.as_str(),
                key.record.spec.as_str(),
                key.record.usage.as_str()
            )));
        }
        let version = key.version(version_id).ok_or(Error::KeyVersionNotFound)?;
        let Some(Material::Asymmetric(ak)) = &version.material else {
            return Err(Error::KeyState(crate::model::KeyState::PendingImport));
        };
        let value = f(ak)?;
        Ok(AsymmetricOutput { key_id: id, version_id: version.version_id.clone(), value })
    }

    /// Encrypts with the version's public key.
    pub async fn asymmetric_encrypt(
        &self,
        caller: &Caller,
        key_ref: &str,
        version_id: &str,
        algorithm: AsymmetricAlgorithm,
        plaintext: &[u8],
    ) -> Result<AsymmetricOutput<Vec<u8>>, Error> {
        if plaintext.is_empty() {
            return Err(Error::invalid("Plaintext", "must not be empty"));
        }
        self.with_asymmetric(caller, "kms:AsymmetricEncrypt", key_ref, version_id, algorithm, true, |k| {
            k.encrypt(algorithm, plaintext).map_err(map_err)
        })
        .await
    }

    /// Decrypts with the version's private key.
    pub async fn asymmetric_decrypt(
        &self,
        caller: &Caller,
        key_ref: &str,
        version_id: &str,
        algorithm: AsymmetricAlgorithm,
        ciphertext: &[u8],
    ) -> Result<AsymmetricOutput<SecretBytes>, Error> {
        self.asymmetric_decrypt_as(caller, "kms:AsymmetricDecrypt", key_ref, version_id, algorithm, ciphertext).await
    }

    /// [`Kms::asymmetric_decrypt`] authorized as `action` (ReEncrypt's source is
    /// `kms:ReEncryptFrom`).
    pub(crate) async fn asymmetric_decrypt_as(
        &self,
        caller: &Caller,
        action: &str,
        key_ref: &str,
        version_id: &str,
        algorithm: AsymmetricAlgorithm,
        ciphertext: &[u8],
    ) -> Result<AsymmetricOutput<SecretBytes>, Error> {
        self.with_asymmetric(caller, action, key_ref, version_id, algorithm, true, |k| {
            k.decrypt(algorithm, ciphertext).map_err(map_err)
        })
        .await
    }

    /// Signs a digest.
    pub async fn asymmetric_sign(
        &self,
        caller: &Caller,
        key_ref: &str,
        version_id: &str,
        algorithm: AsymmetricAlgorithm,
        digest: &[u8],
    ) -> Result<AsymmetricOutput<Vec<u8>>, Error> {
        self.with_asymmetric(caller, "kms:AsymmetricSign", key_ref, version_id, algorithm, true, |k| {
            k.sign_digest(algorithm, digest).map_err(map_err)
        })
        .await
    }

    /// Verifies a signature over a digest.
    pub async fn asymmetric_verify(
        &self,
        caller: &Caller,
        key_ref: &str,
        version_id: &str,
        algorithm: AsymmetricAlgorithm,
        digest: &[u8],
        signature: &[u8],
    ) -> Result<AsymmetricOutput<bool>, Error> {
        if algorithm.digest_len().is_some_and(|n| n != digest.len()) {
            return Err(Error::invalid("Digest", DIGEST_DETAIL));
        }
        self.with_asymmetric(caller, "kms:AsymmetricVerify", key_ref, version_id, algorithm, true, |k| {
            Ok(k.verify_digest(algorithm, digest, signature))
        })
        .await
    }

    /// The version's public key as PEM SubjectPublicKeyInfo.
    pub async fn get_public_key(
        &self,
        caller: &Caller,
        key_ref: &str,
        version_id: &str,
    ) -> Result<AsymmetricOutput<String>, Error> {
        let key = self.authorized_key(caller, "kms:GetPublicKey", key_ref, None).await?;
        let id = key.record.key_id.clone();
        self.check_usable(&key)?;
        check_asymmetric(key.record.spec, "GetPublicKey")?;
        let version = key.version(version_id).ok_or(Error::KeyVersionNotFound)?;
        let Some(Material::Asymmetric(ak)) = &version.material else {
            return Err(Error::KeyState(crate::model::KeyState::PendingImport));
        };
        Ok(AsymmetricOutput { key_id: id, version_id: version.version_id.clone(), value: ak.public_key_pem() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::create_key::CreateKeyRequest;
    use crate::ops::testkit::{admin, kms};
    use keyward_crypto::{KeySpec, KeyUsage};

    #[tokio::test]
    async fn sha384_and_sha512_signatures_check_the_digest_length() {
        use AsymmetricAlgorithm as A;
        let kms = kms().await;
        for (spec, alg) in [
            (KeySpec::EcP384, A::EcdsaSha384),
            (KeySpec::Rsa2048, A::RsaPssSha384),
            (KeySpec::Rsa2048, A::RsaPssSha512),
            (KeySpec::Rsa2048, A::RsaPkcs1Sha384),
            (KeySpec::Rsa2048, A::RsaPkcs1Sha512),
            (KeySpec::EcP256, A::EcdsaSha256),
        ] {
            let req = CreateKeyRequest { spec: Some(spec), usage: Some(KeyUsage::SignVerify), ..Default::default() };
            let k = kms.create_key(&admin(), req).await.unwrap();
            let v = k.primary_version.clone().unwrap();
            let n = alg.digest_len().unwrap();
            let d = vec![7u8; n];
            let sig = kms.asymmetric_sign(&admin(), &k.key_id, &v, alg, &d).await.unwrap().value;
            assert!(kms.asymmetric_verify(&admin(), &k.key_id, &v, alg, &d, &sig).await.unwrap().value);
            let mut other = d.clone();
            other[0] ^= 1;
            assert!(!kms.asymmetric_verify(&admin(), &k.key_id, &v, alg, &other, &sig).await.unwrap().value);
            for wrong in [32usize, 48, 64].into_iter().filter(|&w| w != n) {
                let d = vec![7u8; wrong];
                let r = kms.asymmetric_sign(&admin(), &k.key_id, &v, alg, &d).await.map(|o| o.value);
                assert!(matches!(r, Err(Error::InvalidParameter { name: "Digest", .. })), "{spec:?} {alg:?} {wrong}");
                let r = kms.asymmetric_verify(&admin(), &k.key_id, &v, alg, &d, &sig).await.map(|o| o.value);
                assert!(matches!(r, Err(Error::InvalidParameter { name: "Digest", .. })));
            }
        }
        // P-384 keys refuse SHA-256 ECDSA, P-256 keys SHA-384.
        let p384 = CreateKeyRequest { spec: Some(KeySpec::EcP384), ..Default::default() };
        let k = kms.create_key(&admin(), p384).await.unwrap();
        let v = k.primary_version.clone().unwrap();
        let r = kms.asymmetric_sign(&admin(), &k.key_id, &v, A::EcdsaSha256, &[1; 32]).await.map(|o| o.value);
        assert!(matches!(r, Err(Error::UnsupportedOperation(_))));
    }
}
