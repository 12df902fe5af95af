//! GenerateMac / VerifyMac with HMAC keys (`HMAC_256/384/512`, usage `GENERATE/VERIFY_MAC`;
//! HUAWEI.md §1.7) and random bytes (Huawei gen-random).
//!
//! Signatures (for the protocol layers):
//!
//! ```text
//! async fn generate_mac(&self, caller: &Caller, key_ref: &str, algorithm: MacAlgorithm, message: &[u8])
//!     -> Result<Vec<u8>, Error>
//! async fn verify_mac(&self, caller: &Caller, key_ref: &str, algorithm: MacAlgorithm, message: &[u8],
//!     mac: &[u8]) -> Result<bool, Error>
//! fn random_bytes(&self, n: usize) -> Result<Vec<u8>, Error>      // 1 ..= MAX_RANDOM_BYTES
//! ```
//!
//! Both MAC operations read the hot-path cache and honour the key state like every cryptographic
//! operation ([`Error::KeyState`]: Disabled, PendingDeletion, …). A key that is not an HMAC key is
//! [`Error::UnsupportedOperation`]; an algorithm that is not the key's (`HMAC_SHA_256` for
//! `HMAC_256`, …) is [`Error::InvalidParameter`] naming `MacAlgorithm`. Verification compares in
//! constant time; a MAC of the wrong length is `false`, not an error. Message length limits are
//! the protocol's (Huawei: 1–4096 bytes).

use keyward_crypto::mac::{MacAlgorithm, MacError, MacKey};
use keyward_crypto::random;

use crate::cache::Material;
use crate::error::Error;
use crate::model::KeyState;
use crate::service::{Caller, Kms};

/// Most bytes [`Kms::random_bytes`] returns at once (8192 bits, Huawei's limit).
pub const MAX_RANDOM_BYTES: usize = 1024;

impl Kms {
    /// Runs `f` with the primary version's HMAC key of a usable HMAC key.
    async fn with_mac_key<T>(
        &self,
        caller: &Caller,
        action: &str,
        key_ref: &str,
        algorithm: MacAlgorithm,
        f: impl FnOnce(&MacKey) -> Result<T, MacError>,
    ) -> Result<T, Error> {
        let key = self.usable_key(caller, action, key_ref, None).await?;
        let spec = key.record.spec;
        if !spec.is_hmac() {
            return Err(Error::UnsupportedOperation(format!(
                "MAC operations need an HMAC key (GENERATE/VERIFY_MAC); {} is {} {}",
                key.record.key_id,
                spec.as_str(),
                key.record.usage.as_str()
            )));
        }
        if !algorithm.fits(spec) {
            let want = MacAlgorithm::for_spec(spec).map_or("", MacAlgorithm::as_str);
            return Err(Error::invalid(
                "MacAlgorithm",
                format!("{} keys compute {want}, not {}", spec.as_str(), algorithm.as_str()),
            ));
        }
        let version = key.primary().ok_or(Error::KeyState(KeyState::PendingImport))?;
        let Some(Material::Mac(mac_key)) = &version.material else {
            return Err(Error::KeyState(KeyState::PendingImport));
        };
        f(mac_key).map_err(|e| match e {
            MacError::UnsupportedAlgorithm => Error::invalid("MacAlgorithm", e.to_string()),
        })
    }

    /// HMAC of `message` with the key's primary version (module docs).
    pub async fn generate_mac(
        &self,
        caller: &Caller,
        key_ref: &str,
        algorithm: MacAlgorithm,
        message: &[u8],
    ) -> Result<Vec<u8>, Error> {
        self.with_mac_key(caller, "kms:GenerateMac", key_ref, algorithm, |k| k.generate(algorithm, message)).await
    }

    /// Whether `mac` is the HMAC of `message` under the key (module docs).
    pub async fn verify_mac(
        &self,
        caller: &Caller,
        key_ref: &str,
        algorithm: MacAlgorithm,
        message: &[u8],
        mac: &[u8],
    ) -> Result<bool, Error> {
        self.with_mac_key(caller, "kms:VerifyMac", key_ref, algorithm, |k| k.verify(algorithm, message, mac)).await
    }

    /// `n` bytes from the system CSPRNG, 1 ≤ n ≤ [`MAX_RANDOM_BYTES`] (else `InvalidParameter`
    /// naming `NumberOfBytes`).
    pub async fn random_bytes(&self, caller: &Caller, n: usize) -> Result<Vec<u8>, Error> {
        self.authorize_arn(caller, "kms:GenerateRandom", &self.collection_arn("*")).await?;
        if n == 0 || n > MAX_RANDOM_BYTES {
            return Err(Error::invalid("NumberOfBytes", format!("must be 1 to {MAX_RANDOM_BYTES}")));
        }
        Ok(random::bytes(n)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Origin;
    use crate::ops::create_key::CreateKeyRequest;
    use crate::ops::testkit::{admin, kms};
    use keyward_crypto::{KeySpec, RecordKind};
    use std::process::Command;

    /// The key's material, unsealed from the store (to check MACs independently).
    async fn material(kms: &Kms, key_id: &str) -> Vec<u8> {
        let v = kms.store().list_key_versions(key_id).await.unwrap().remove(0);
        let aad = format!("{key_id}/{}", v.version_id);
        kms.barrier()
            .open(RecordKind::KeyMaterial, &aad, v.sealed_material.as_ref().unwrap())
            .unwrap()
            .expose()
            .to_vec()
    }

    fn openssl_hmac(md: &str, key: &[u8], message: &[u8]) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("m.bin");
        std::fs::write(&f, message).unwrap();
        let hexkey = format!("hexkey:{}", hex::encode(key));
        let out = Command::new("openssl")
            .args(["dgst", md, "-mac", "HMAC", "-macopt", &hexkey, "-binary", f.to_str().unwrap()])
            .output()
            .expect("openssl must be on PATH");
        assert!(out.status.success());
        out.stdout
    }

    #[tokio::test]
    async fn macs_are_hmacs_of_the_key_material_and_verify() {
        let kms = kms().await;
        for (spec, alg, md) in [
            (KeySpec::Hmac256, MacAlgorithm::HmacSha256, "-sha256"),
            (KeySpec::Hmac384, MacAlgorithm::HmacSha384, "-sha384"),
            (KeySpec::Hmac512, MacAlgorithm::HmacSha512, "-sha512"),
        ] {
            let k =
                kms.create_key(&admin(), CreateKeyRequest { spec: Some(spec), ..Default::default() }).await.unwrap();
            let m = material(&kms, &k.key_id).await;
            let msg = b"message to authenticate";
            let tag = kms.generate_mac(&admin(), &k.key_id, alg, msg).await.unwrap();
            assert_eq!(tag, openssl_hmac(md, &m, msg), "{spec:?}");
            assert!(kms.verify_mac(&admin(), &k.key_id, alg, msg, &tag).await.unwrap());
            let mut bad = tag.clone();
            bad[5] ^= 0x80;
            assert!(!kms.verify_mac(&admin(), &k.key_id, alg, msg, &bad).await.unwrap());
            assert!(!kms.verify_mac(&admin(), &k.key_id, alg, b"other", &tag).await.unwrap());
            assert!(!kms.verify_mac(&admin(), &k.key_id, alg, msg, &tag[..16]).await.unwrap());
            // Another algorithm than the key's.
            for other in MacAlgorithm::ALL.into_iter().filter(|&a| a != alg) {
                let r = kms.generate_mac(&admin(), &k.key_id, other, msg).await;
                assert!(matches!(r, Err(Error::InvalidParameter { name: "MacAlgorithm", .. })), "{spec:?} {other:?}");
                let r = kms.verify_mac(&admin(), &k.key_id, other, msg, &tag).await;
                assert!(matches!(r, Err(Error::InvalidParameter { name: "MacAlgorithm", .. })));
            }
            // Aliases resolve.
            let alias = format!("alias/mac-{}", spec.as_str());
            kms.create_alias(&admin(), &alias, &k.key_id).await.unwrap();
            assert_eq!(kms.generate_mac(&admin(), &alias, alg, msg).await.unwrap(), tag);
        }
    }

    #[tokio::test]
    async fn key_state_kind_and_other_operations() {
        let kms = kms().await;
        let k = kms
            .create_key(&admin(), CreateKeyRequest { spec: Some(KeySpec::Hmac256), ..Default::default() })
            .await
            .unwrap();
        let alg = MacAlgorithm::HmacSha256;
        kms.disable_key(&admin(), &k.key_id).await.unwrap();
        let r = kms.generate_mac(&admin(), &k.key_id, alg, b"m").await;
        assert!(matches!(r, Err(Error::KeyState(KeyState::Disabled))));
        let r = kms.verify_mac(&admin(), &k.key_id, alg, b"m", &[0; 32]).await;
        assert!(matches!(r, Err(Error::KeyState(KeyState::Disabled))));
        kms.enable_key(&admin(), &k.key_id).await.unwrap();
        kms.generate_mac(&admin(), &k.key_id, alg, b"m").await.unwrap();
        kms.schedule_key_deletion(&admin(), &k.key_id, 7).await.unwrap();
        let r = kms.generate_mac(&admin(), &k.key_id, alg, b"m").await;
        assert!(matches!(r, Err(Error::KeyState(KeyState::PendingDeletion))));
        assert!(matches!(
            kms.generate_mac(&admin(), "00000000-0000-4000-8000-000000000000", alg, b"m").await,
            Err(Error::KeyNotFound)
        ));

        // Not an HMAC key.
        let aes = kms.create_key(&admin(), CreateKeyRequest::default()).await.unwrap();
        let r = kms.generate_mac(&admin(), &aes.key_id, alg, b"m").await;
        assert!(matches!(r, Err(Error::UnsupportedOperation(_))));

        // HMAC keys do nothing else: encryption, data keys, signing, public key, import.
        let mac = kms
            .create_key(&admin(), CreateKeyRequest { spec: Some(KeySpec::Hmac512), ..Default::default() })
            .await
            .unwrap();
        let unsupported = |r: Result<(), Error>| matches!(r, Err(Error::HmacKeyUnsupported(_)));
        assert!(unsupported(kms.encrypt(&admin(), &mac.key_id, b"x", None).await.map(drop)));
        assert!(unsupported(
            kms.generate_data_key(&admin(), "kms:GenerateDataKey", &mac.key_id, 32, None).await.map(drop)
        ));
        let v = mac.primary_version.clone().unwrap();
        assert!(unsupported(kms.get_public_key(&admin(), &mac.key_id, &v).await.map(drop)));
        let rsa_pss = keyward_crypto::asymmetric::AsymmetricAlgorithm::RsaPssSha256;
        let sign = kms.asymmetric_sign(&admin(), &mac.key_id, &v, rsa_pss, &[0; 32]).await;
        assert!(unsupported(sign.map(drop)));
        let ext =
            CreateKeyRequest { spec: Some(KeySpec::Hmac256), origin: Some(Origin::External), ..Default::default() };
        assert!(unsupported(kms.create_key(&admin(), ext).await.map(drop)));
    }

    #[tokio::test]
    async fn random_bytes_bounds() {
        let kms = kms().await;
        for n in [1usize, 64, MAX_RANDOM_BYTES] {
            assert_eq!(kms.random_bytes(&admin(), n).await.unwrap().len(), n);
        }
        assert_ne!(kms.random_bytes(&admin(), 32).await.unwrap(), kms.random_bytes(&admin(), 32).await.unwrap());
        for n in [0usize, MAX_RANDOM_BYTES + 1] {
            assert!(matches!(
                kms.random_bytes(&admin(), n).await,
                Err(Error::InvalidParameter { name: "NumberOfBytes", .. })
            ));
        }
    }
}
