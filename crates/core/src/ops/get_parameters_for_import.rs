//! GetParametersForImport (ALIBABA.md §5.2): a fresh wrapping key pair and an ImportToken,
//! valid 24 h, bound to one EXTERNAL key (and one of its versions). Allowed in every key state.
//!
//! Which wrappings a key accepts depends on where it lives and its spec (the BYOK issue's table):
//!
//! | key lives in | key spec | WrappingKeySpec | WrappingAlgorithm |
//! |---|---|---|---|
//! | default key | AES, SM4 | `RSA_2048` | `RSAES_OAEP_SHA_256`, `RSAES_OAEP_SHA_1`, `RSAES_PKCS1_V1_5` |
//! | default key | AES, SM4 | `EC_SM2` | `SM2PKE` |
//! | software instance | AES, SM4 | `RSA_2048` | `RSAES_OAEP_SHA_256`, `RSAES_PKCS1_V1_5` |
//! | software instance | RSA, `EC_P256`, `EC_P256K` | `RSA_2048` | `RSAES_OAEP_SHA_256_AES_256_ECB_PKCS7_PAD` |
//! | software instance | `EC_SM2` | `EC_SM2` | `SM2PKE_SM4_ECB` |
//! | default key | RSA, `EC_P256`, `EC_P256K`, `EC_P384` | `RSA_2048` | `RSAES_OAEP_SHA_256` (the Huawei flow: it wraps a temporary AES key; the private key comes RFC 5649-wrapped under it, see `Kms::import_wrapped_private_key`) |
//!
//! HMAC keys have no import ([`Error::HmacKeyUnsupported`]); nor do default `EC_SM2` keys (such
//! keys exist only in instances). Only the Huawei API creates EXTERNAL asymmetric default keys;
//! Alibaba's ImportKeyMaterial refuses them (its `RSAES_OAEP_SHA_256` layout is for symmetric
//! material), so such a key is imported through the Huawei API only.
//!
//! The ImportToken is `base64(0x01 ‖ token id (16 B) ‖ expiry (8 B, big-endian Unix seconds) ‖
//! MAC (16 B))`, the MAC (root-derived key) covering id, expiry and key id: a forged or
//! transplanted token fails before any lookup, and an expired one is recognised even after the
//! sweeper has deleted its wrapping key.

use base64::Engine;
use keyward_crypto::byok::{self, WrappingAlgorithm, WrappingKeySpec};
use keyward_crypto::{KeySpec, MacPurpose, RecordKind, random};
use subtle::ConstantTimeEq;

use crate::error::Error;
use crate::model::{ImportTokenRecord, KeyRecord, Origin};
use crate::service::{Caller, Kms};

/// How long an ImportToken and its wrapping key stay valid.
pub const TOKEN_LIFETIME_SECS: i64 = 24 * 3600;
const TOKEN_VERSION: u8 = 1;
const TOKEN_LEN: usize = 1 + 16 + 8 + 16;

/// What GetParametersForImport returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportParameters {
    /// The key.
    pub key_id: String,
    /// The opaque ImportToken.
    pub import_token: String,
    /// DER SubjectPublicKeyInfo of the wrapping public key.
    pub public_key_der: Vec<u8>,
    /// When the token expires.
    pub token_expire_time: i64,
}

/// Checks a (wrapping spec, algorithm) pair against the key's store and spec (module table).
pub fn check_wrapping(key: &KeyRecord, wspec: WrappingKeySpec, alg: WrappingAlgorithm) -> Result<(), Error> {
    use WrappingAlgorithm as A;
    use WrappingKeySpec as W;
    let in_instance = key.instance_id.is_some();
    if key.spec.is_hmac() {
        return Err(Error::HmacKeyUnsupported(format!("{} key material cannot be imported", key.spec.as_str())));
    }
    let allowed: &[(W, A)] = match (key.spec.is_symmetric(), key.spec, in_instance) {
        (true, _, false) => &[
            (W::Rsa2048, A::RsaesOaepSha256),
            (W::Rsa2048, A::RsaesOaepSha1),
            (W::Rsa2048, A::RsaesPkcs1V15),
            (W::EcSm2, A::Sm2Pke),
        ],
        (true, _, true) => &[(W::Rsa2048, A::RsaesOaepSha256), (W::Rsa2048, A::RsaesPkcs1V15)],
        (false, KeySpec::EcSm2, true) => &[(W::EcSm2, A::Sm2PkeSm4Ecb)],
        (false, _, true) => &[(W::Rsa2048, A::RsaesOaepSha256Aes256EcbPkcs7Pad)],
        (false, spec, false) if spec != KeySpec::EcSm2 => &[(W::Rsa2048, A::RsaesOaepSha256)],
        (false, _, false) => {
            return Err(Error::UnsupportedOperation(format!(
                "asymmetric ({}) key material can be imported only into keys of a software KMS instance",
                key.spec.as_str()
            )));
        }
    };
    if allowed.contains(&(wspec, alg)) {
        return Ok(());
    }
    let names = |w: W| allowed.iter().filter(|(s, _)| *s == w).map(|(_, a)| a.as_str()).collect::<Vec<_>>().join(", ");
    if !allowed.iter().any(|(s, _)| *s == wspec) {
        let specs: Vec<&str> = allowed.iter().map(|(s, _)| s.as_str()).collect();
        return Err(Error::invalid(
            "WrappingKeySpec",
            format!(
                "{} is not accepted for a {} key here; use {}",
                wspec.as_str(),
                key.spec.as_str(),
                specs.join(" or ")
            ),
        ));
    }
    Err(Error::invalid(
        "WrappingAlgorithm",
        format!(
            "{} is not accepted with {} for a {} key here; use {}",
            alg.as_str(),
            wspec.as_str(),
            key.spec.as_str(),
            names(wspec)
        ),
    ))
}

impl Kms {
    /// Issues import parameters for `key_ref`'s primary version, or for `version_id`.
    pub async fn get_parameters_for_import(
        &self,
        caller: &Caller,
        key_ref: &str,
        wspec: WrappingKeySpec,
        alg: WrappingAlgorithm,
        version_id: Option<&str>,
    ) -> Result<ImportParameters, Error> {
        let key = self.authorized_record(caller, "kms:GetParametersForImport", key_ref).await?;
        if key.origin != Origin::External {
            return Err(Error::UnsupportedOrigin);
        }
        check_wrapping(&key, wspec, alg)?;
        let version_id = match version_id {
            Some(v) => {
                let versions = self.store.list_key_versions(&key.key_id).await?;
                if !versions.iter().any(|x| x.version_id == v) {
                    return Err(Error::KeyVersionNotFound);
                }
                v.to_string()
            }
            None => {
                key.primary_version.clone().ok_or_else(|| Error::Internal("EXTERNAL key without a version".into()))?
            }
        };
        let pair = match wspec {
            WrappingKeySpec::Rsa2048 => self.wrapping_pool.take().await?,
            WrappingKeySpec::EcSm2 => byok::generate_wrapping_key(WrappingKeySpec::EcSm2)?,
        };
        let id_bytes = random::bytes(16)?;
        let token_id = hex::encode(&id_bytes);
        let now = self.now();
        let expires_at = now + TOKEN_LIFETIME_SECS;
        let record = ImportTokenRecord {
            sealed_private_key: self.barrier.seal(RecordKind::WrappingKey, &token_id, pair.private.expose())?,
            token_id: token_id.clone(),
            key_id: key.key_id.clone(),
            version_id,
            wrapping_spec: wspec.as_str().to_string(),
            wrapping_algorithm: alg.as_str().to_string(),
            public_key_der: pair.public_spki_der.clone(),
            creation_date: now,
            expires_at,
        };
        self.store.create_import_token(&record).await?;
        let mut token = Vec::with_capacity(TOKEN_LEN);
        token.push(TOKEN_VERSION);
        token.extend_from_slice(&id_bytes);
        token.extend_from_slice(&expires_at.to_be_bytes());
        token.extend_from_slice(&self.token_mac(&id_bytes, expires_at, &key.key_id));
        Ok(ImportParameters {
            key_id: key.key_id,
            import_token: base64::engine::general_purpose::STANDARD.encode(token),
            public_key_der: pair.public_spki_der,
            token_expire_time: expires_at,
        })
    }

    fn token_mac(&self, id: &[u8], expires_at: i64, key_id: &str) -> [u8; 16] {
        let full = self.barrier.mac(MacPurpose::ImportToken, &[id, &expires_at.to_be_bytes(), key_id.as_bytes()]);
        let mut out = [0u8; 16];
        out.copy_from_slice(&full[..16]);
        out
    }

    /// Checks an ImportToken for `key_id` and returns its stored record.
    pub(crate) async fn check_import_token(&self, token: &str, key_id: &str) -> Result<ImportTokenRecord, Error> {
        let invalid = |why: &str| Error::InvalidImportToken(why.to_string());
        let raw = base64::engine::general_purpose::STANDARD
            .decode(token.trim())
            .map_err(|_| invalid("the token is not base64 of a keyward import token"))?;
        if raw.len() != TOKEN_LEN || raw[0] != TOKEN_VERSION {
            return Err(invalid("the token is not a keyward import token"));
        }
        let (id, rest) = raw[1..].split_at(16);
        let (exp, mac) = rest.split_at(8);
        let mut exp_bytes = [0u8; 8];
        exp_bytes.copy_from_slice(exp);
        let expires_at = i64::from_be_bytes(exp_bytes);
        if !bool::from(self.token_mac(id, expires_at, key_id).ct_eq(mac)) {
            // A genuine token of another key (its MAC verifies for that key) is told apart from a
            // forged one.
            if let Some(other) = self.store.get_import_token(&hex::encode(id)).await?
                && other.key_id != key_id
                && bool::from(self.token_mac(id, expires_at, &other.key_id).ct_eq(mac))
            {
                return Err(Error::ImportTokenForAnotherKey);
            }
            return Err(invalid("the token was not issued for this key"));
        }
        if self.now() >= expires_at {
            return Err(Error::ExpiredImportToken);
        }
        let record = self
            .store
            .get_import_token(&hex::encode(id))
            .await?
            .ok_or_else(|| invalid("the token is no longer known (its key material parameters were deleted)"))?;
        if record.key_id != key_id {
            return Err(invalid("the token was not issued for this key"));
        }
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::InstanceKind;
    use crate::ops::create_key::CreateKeyRequest;
    use crate::ops::testkit::{admin, kms};

    #[tokio::test]
    async fn parameters_only_for_external_keys_with_allowed_wrappings() {
        let kms = kms().await;
        let own = kms.create_key(&admin(), CreateKeyRequest::default()).await.unwrap();
        let r = kms
            .get_parameters_for_import(
                &admin(),
                &own.key_id,
                WrappingKeySpec::Rsa2048,
                WrappingAlgorithm::RsaesOaepSha256,
                None,
            )
            .await;
        assert!(matches!(r, Err(Error::UnsupportedOrigin)));

        let ext = CreateKeyRequest { origin: Some(Origin::External), ..Default::default() };
        let ext = kms.create_key(&admin(), ext).await.unwrap();
        for (w, a) in [
            (WrappingKeySpec::Rsa2048, WrappingAlgorithm::RsaesOaepSha256),
            (WrappingKeySpec::Rsa2048, WrappingAlgorithm::RsaesOaepSha1),
            (WrappingKeySpec::Rsa2048, WrappingAlgorithm::RsaesPkcs1V15),
            (WrappingKeySpec::EcSm2, WrappingAlgorithm::Sm2Pke),
        ] {
            let p = kms.get_parameters_for_import(&admin(), &ext.key_id, w, a, None).await.unwrap();
            assert_eq!(p.token_expire_time - kms.now(), TOKEN_LIFETIME_SECS);
            kms.check_import_token(&p.import_token, &ext.key_id).await.unwrap();
            assert!(matches!(
                kms.check_import_token(&p.import_token, &own.key_id).await,
                Err(Error::ImportTokenForAnotherKey)
            ));
        }
        for (w, a, name) in [
            (WrappingKeySpec::EcSm2, WrappingAlgorithm::RsaesOaepSha256, "WrappingAlgorithm"),
            (WrappingKeySpec::Rsa2048, WrappingAlgorithm::Sm2PkeSm4Ecb, "WrappingAlgorithm"),
            (WrappingKeySpec::Rsa2048, WrappingAlgorithm::RsaesOaepSha256Aes256EcbPkcs7Pad, "WrappingAlgorithm"),
        ] {
            let e = kms.get_parameters_for_import(&admin(), &ext.key_id, w, a, None).await.unwrap_err();
            assert!(matches!(e, Error::InvalidParameter { name: n, .. } if n == name), "{e}");
        }

        let inst = kms.create_instance(InstanceKind::Software, None, 1000, 10).await.unwrap();
        let req = |spec| CreateKeyRequest {
            spec: Some(spec),
            origin: Some(Origin::External),
            instance_id: Some(inst.instance_id.clone()),
            ..Default::default()
        };
        let sym = kms.create_key(&admin(), req(KeySpec::Aes256)).await.unwrap();
        let e = kms
            .get_parameters_for_import(
                &admin(),
                &sym.key_id,
                WrappingKeySpec::Rsa2048,
                WrappingAlgorithm::RsaesOaepSha1,
                None,
            )
            .await
            .unwrap_err();
        assert!(matches!(e, Error::InvalidParameter { name: "WrappingAlgorithm", .. }));
        let e = kms
            .get_parameters_for_import(&admin(), &sym.key_id, WrappingKeySpec::EcSm2, WrappingAlgorithm::Sm2Pke, None)
            .await
            .unwrap_err();
        assert!(matches!(e, Error::InvalidParameter { name: "WrappingKeySpec", .. }));
        let sm2 = kms.create_key(&admin(), req(KeySpec::EcSm2)).await.unwrap();
        kms.get_parameters_for_import(
            &admin(),
            &sm2.key_id,
            WrappingKeySpec::EcSm2,
            WrappingAlgorithm::Sm2PkeSm4Ecb,
            None,
        )
        .await
        .unwrap();
        let rsa = kms.create_key(&admin(), req(KeySpec::Rsa2048)).await.unwrap();
        kms.get_parameters_for_import(
            &admin(),
            &rsa.key_id,
            WrappingKeySpec::Rsa2048,
            WrappingAlgorithm::RsaesOaepSha256Aes256EcbPkcs7Pad,
            None,
        )
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn default_asymmetric_keys_take_the_temporary_key_wrapping_and_hmac_keys_none() {
        use crate::ops::create_key::CreateKeyOptions;
        let kms = kms().await;
        let huawei = CreateKeyOptions { default_store_asymmetric_import: true };
        for spec in [KeySpec::Rsa2048, KeySpec::Rsa4096, KeySpec::EcP256, KeySpec::EcP384, KeySpec::EcP256K] {
            let req = CreateKeyRequest { spec: Some(spec), origin: Some(Origin::External), ..Default::default() };
            let k = kms.create_key_with(&admin(), req, huawei).await.unwrap();
            let p = kms
                .get_parameters_for_import(
                    &admin(),
                    &k.key_id,
                    WrappingKeySpec::Rsa2048,
                    WrappingAlgorithm::RsaesOaepSha256,
                    None,
                )
                .await
                .unwrap();
            assert_eq!(keyward_crypto::asymmetric::public_key_spec(&p.public_key_der), Some(KeySpec::Rsa2048));
            for a in [WrappingAlgorithm::RsaesOaepSha1, WrappingAlgorithm::RsaesOaepSha256Aes256EcbPkcs7Pad] {
                let e = kms.get_parameters_for_import(&admin(), &k.key_id, WrappingKeySpec::Rsa2048, a, None).await;
                assert!(matches!(e, Err(Error::InvalidParameter { name: "WrappingAlgorithm", .. })), "{spec:?}");
            }
        }
        // HMAC keys are never EXTERNAL; a KMS-origin one is refused as not EXTERNAL first.
        let mac = CreateKeyRequest { spec: Some(KeySpec::Hmac256), ..Default::default() };
        let mac = kms.create_key(&admin(), mac).await.unwrap();
        let e = kms
            .get_parameters_for_import(
                &admin(),
                &mac.key_id,
                WrappingKeySpec::Rsa2048,
                WrappingAlgorithm::RsaesOaepSha256,
                None,
            )
            .await;
        assert!(matches!(e, Err(Error::UnsupportedOrigin)));
        let mut ext_mac = mac.clone();
        ext_mac.origin = Origin::External;
        assert!(matches!(
            check_wrapping(&ext_mac, WrappingKeySpec::Rsa2048, WrappingAlgorithm::RsaesOaepSha256),
            Err(Error::HmacKeyUnsupported(_))
        ));
    }

    #[tokio::test]
    async fn forged_and_expired_tokens() {
        let clock = crate::clock::ManualClock::new();
        let kms = crate::ops::testkit::kms_with_clock(clock.clone()).await;
        let ext = CreateKeyRequest { origin: Some(Origin::External), ..Default::default() };
        let ext = kms.create_key(&admin(), ext).await.unwrap();
        let p = kms
            .get_parameters_for_import(&admin(), &ext.key_id, WrappingKeySpec::EcSm2, WrappingAlgorithm::Sm2Pke, None)
            .await
            .unwrap();
        let mut raw = base64::engine::general_purpose::STANDARD.decode(&p.import_token).unwrap();
        for i in 0..raw.len() {
            raw[i] ^= 0x40;
            let forged = base64::engine::general_purpose::STANDARD.encode(&raw);
            assert!(matches!(kms.check_import_token(&forged, &ext.key_id).await, Err(Error::InvalidImportToken(_))));
            raw[i] ^= 0x40;
        }
        for junk in ["", "!!!", "AAAA", &"A".repeat(10_000)] {
            assert!(matches!(kms.check_import_token(junk, &ext.key_id).await, Err(Error::InvalidImportToken(_))));
        }
        clock.advance_ms(TOKEN_LIFETIME_SECS * 1000 - 1000);
        kms.check_import_token(&p.import_token, &ext.key_id).await.unwrap();
        clock.advance_ms(1000);
        assert!(matches!(kms.check_import_token(&p.import_token, &ext.key_id).await, Err(Error::ExpiredImportToken)));
    }
}
