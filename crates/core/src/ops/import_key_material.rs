//! ImportKeyMaterial (ALIBABA.md §5.2): unwrap the material with the token's wrapping key,
//! check it against the key spec and the binding rule, seal it and enable the key.
//!
//! Binding: the first import records a keyed fingerprint (root-derived HMAC) of the material —
//! for asymmetric keys, of its public key — on the key version. Every later import must match
//! it (re-import after deletion or expiry, or to change the expiry); different material is
//! `Error::Import(ImportError::MaterialMismatch)`. The same material may go into several keys: each key's ciphertexts are
//! bound to its own version id, so they do not open under the other key.

use keyward_crypto::byok::{self, ByokError, WrappingAlgorithm, WrappingKeySpec};
use keyward_crypto::{KeySpec, MacPurpose, RecordKind, SecretBytes};
use subtle::ConstantTimeEq;

use crate::error::{Error, ImportError};
use crate::model::{ImportTokenRecord, KeyRecord, KeyState, Origin};
use crate::service::{Caller, Kms};
use crate::store::StoreError;

/// Latest accepted `KeyMaterialExpireUnix`: 9999-12-31T23:59:59Z.
pub const MAX_EXPIRE_UNIX: i64 = 253_402_300_799;

/// An ImportKeyMaterial request.
pub struct ImportKeyMaterialRequest<'a> {
    /// `KeyId` (id, ARN or alias).
    pub key_ref: &'a str,
    /// Decoded `EncryptedKeyMaterial`.
    pub encrypted_key_material: &'a [u8],
    /// `ImportToken`.
    pub import_token: &'a str,
    /// `KeyMaterialExpireUnix`: `None` or 0 = never expires.
    pub expire_unix: Option<i64>,
}

impl Kms {
    /// Imports material into the token's key version.
    ///
    /// Refusals: [`Error::UnsupportedOrigin`] (not EXTERNAL), [`Error::StateModifiedFailed`]
    /// (PendingDeletion), token errors ([`Error::InvalidImportToken`],
    /// [`Error::ImportTokenForAnotherKey`], [`Error::ExpiredImportToken`]), and [`Error::Import`]:
    /// `ExpiryNotInFuture`/`ExpiryTooLate`, `Undecryptable`, `MaterialLength` (symmetric),
    /// `InvalidPrivateKey` (Alibaba's private-key layouts), `MaterialMismatch`, `Invalid`.
    /// Re-import into an `Enabled` key is allowed (same material: it may change the expiry).
    pub async fn import_key_material(
        &self,
        caller: &Caller,
        req: ImportKeyMaterialRequest<'_>,
    ) -> Result<KeyRecord, Error> {
        let key = self.authorized_record(caller, "kms:ImportKeyMaterial", req.key_ref).await?;
        if key.origin != Origin::External {
            return Err(Error::UnsupportedOrigin);
        }
        if key.state == KeyState::PendingDeletion {
            return Err(Error::StateModifiedFailed(key.state));
        }
        let expire = self.check_material_expiry(req.expire_unix)?;
        let token = self.check_import_token(req.import_token, &key.key_id).await?;
        let material = self.unwrap_with_token(&token, req.encrypted_key_material, &key).await?;
        self.store_imported_material(&key, &token, material, expire, false).await
    }

    /// Checks an import's expiry (Unix seconds; `None` or 0 = never).
    pub(crate) fn check_material_expiry(&self, expire_unix: Option<i64>) -> Result<Option<i64>, Error> {
        match expire_unix {
            None | Some(0) => Ok(None),
            Some(t) if t <= self.now() => Err(ImportError::ExpiryNotInFuture.into()),
            // Unix seconds up to 9999-12-31T23:59:59Z; larger values are usually milliseconds.
            Some(t) if t > MAX_EXPIRE_UNIX => Err(ImportError::ExpiryTooLate.into()),
            Some(t) => Ok(Some(t)),
        }
    }

    /// Applies the binding rule, seals `material` into the token's version and enables the key.
    /// With `require_pending`, the key must (still) be `PendingImport`.
    pub(crate) async fn store_imported_material(
        &self,
        key: &KeyRecord,
        token: &ImportTokenRecord,
        material: SecretBytes,
        expire: Option<i64>,
        require_pending: bool,
    ) -> Result<KeyRecord, Error> {
        let fingerprint = self.material_fingerprint(key.spec, &material)?;
        let aad = format!("{}/{}", key.key_id, token.version_id);
        let sealed = self.barrier.seal(RecordKind::KeyMaterial, &aad, material.expose())?;
        drop(material);

        for _ in 0..16 {
            let mut key = self.store.get_key(&key.key_id).await?.ok_or(Error::KeyNotFound)?;
            if key.state == KeyState::PendingDeletion && !require_pending {
                return Err(Error::StateModifiedFailed(key.state));
            }
            if require_pending {
                let state = self.effective(key.clone()).state;
                if state != KeyState::PendingImport {
                    return Err(ImportError::NotPendingImport(state).into());
                }
            }
            let versions = self.store.list_key_versions(&key.key_id).await?;
            let version = versions
                .iter()
                .find(|v| v.version_id == token.version_id)
                .ok_or_else(|| Error::InvalidImportToken("the token's key version no longer exists".into()))?;
            let first_import = match &version.material_fingerprint {
                Some(bound) if !bool::from(bound.as_slice().ct_eq(&fingerprint)) => {
                    return Err(ImportError::MaterialMismatch.into());
                }
                Some(_) => false,
                None => true,
            };
            if key.state == KeyState::PendingImport {
                key.state = KeyState::Enabled;
            }
            // A manually rotated EXTERNAL key: material imported into a version newer than the
            // primary makes that version primary; older versions keep decrypting.
            let primary_created =
                versions.iter().find(|v| Some(&v.version_id) == key.primary_version.as_ref()).map(|v| v.creation_date);
            if key.primary_version.as_ref() != Some(&token.version_id)
                && primary_created.is_none_or(|c| version.creation_date >= c)
            {
                key.primary_version = Some(token.version_id.clone());
                key.last_rotation = Some(version.creation_date);
            }
            key.material_expire = expire;
            let fp = if first_import { Some(fingerprint.as_slice()) } else { None };
            match self.store.update_key_material(&key, &token.version_id, Some(&sealed), fp).await {
                Ok(()) => {
                    self.invalidate(&key.key_id);
                    key.revision += 1;
                    return Ok(key);
                }
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Internal("too many concurrent updates while importing key material".into()))
    }

    /// Parses a token's stored wrapping spec and algorithm and opens its wrapping private key.
    pub(crate) fn open_wrapping_key(
        &self,
        t: &ImportTokenRecord,
    ) -> Result<(WrappingKeySpec, WrappingAlgorithm, SecretBytes), Error> {
        let spec = WrappingKeySpec::parse(&t.wrapping_spec)
            .ok_or_else(|| Error::Internal(format!("stored wrapping spec {:?} unknown", t.wrapping_spec)))?;
        let alg = WrappingAlgorithm::parse(&t.wrapping_algorithm)
            .ok_or_else(|| Error::Internal(format!("stored wrapping algorithm {:?} unknown", t.wrapping_algorithm)))?;
        let private = self.barrier.open(RecordKind::WrappingKey, &t.token_id, &t.sealed_private_key)?;
        Ok((spec, alg, private))
    }

    /// After a failed unwrap: whether `encrypted` opens with another live token of the key, i.e.
    /// it was wrapped with the public key of another GetParametersForImport call.
    pub(crate) async fn wrapped_for_another_token(
        &self,
        token: &ImportTokenRecord,
        key_id: &str,
        opens: impl Fn(&ImportTokenRecord) -> Result<bool, Error>,
    ) -> Result<bool, Error> {
        for other in self.store.list_live_import_tokens(key_id, self.now()).await? {
            if other.token_id != token.token_id && opens(&other)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Unwraps with the token's wrapping key. When that fails, the material may have been
    /// wrapped with the public key of another live token of the same key: that is reported as a
    /// token mismatch (`InvalidImportToken`), anything else as [`Error::Import`].
    async fn unwrap_with_token(
        &self,
        token: &ImportTokenRecord,
        encrypted: &[u8],
        key: &KeyRecord,
    ) -> Result<SecretBytes, Error> {
        let attempt = |t: &ImportTokenRecord| -> Result<Result<SecretBytes, ByokError>, Error> {
            let (spec, alg, private) = self.open_wrapping_key(t)?;
            Ok(byok::unwrap_material(spec, alg, &private, encrypted, key.spec))
        };
        // With PKCS#1 v1.5 every unwrap failure gets the same message, so the answers do not
        // tell a bad padding from a bad length (no Bleichenbacher-style padding oracle).
        let pkcs1 = token.wrapping_algorithm == WrappingAlgorithm::RsaesPkcs1V15.as_str();
        let opaque = || {
            Error::from(ImportError::Undecryptable(
                "EncryptedKeyMaterial does not unwrap to valid key material for this key with this token".into(),
            ))
        };
        match attempt(token)? {
            Ok(m) => Ok(m),
            Err(ByokError::InvalidMaterial(_)) if pkcs1 => Err(opaque()),
            Err(ByokError::InvalidMaterial(why)) if key.spec.is_symmetric() => {
                Err(ImportError::MaterialLength(why).into())
            }
            Err(ByokError::InvalidMaterial(why)) => Err(ImportError::InvalidPrivateKey(why).into()),
            Err(ByokError::Unsupported(why)) => Err(ImportError::Invalid(why).into()),
            Err(ByokError::Crypto(e)) => Err(e.into()),
            Err(ByokError::Undecryptable) => {
                if self.wrapped_for_another_token(token, &key.key_id, |t| Ok(attempt(t)?.is_ok())).await? {
                    return Err(Error::InvalidImportToken(ANOTHER_TOKEN.into()));
                }
                if pkcs1 {
                    return Err(opaque());
                }
                Err(ImportError::Undecryptable(
                    "EncryptedKeyMaterial does not decrypt with this token's wrapping key and algorithm".into(),
                )
                .into())
            }
        }
    }

    /// Keyed fingerprint of material: of the raw bytes for symmetric specs, of the public key for
    /// asymmetric ones (so equal keys in different encodings bind equally).
    pub(crate) fn material_fingerprint(&self, spec: KeySpec, material: &SecretBytes) -> Result<Vec<u8>, Error> {
        let spec_name = spec.as_str().as_bytes();
        let mac = if spec.is_asymmetric() {
            let spki = byok::public_key_spki(spec, material)?;
            self.barrier.mac(MacPurpose::MaterialFingerprint, &[spec_name, &spki])
        } else {
            self.barrier.mac(MacPurpose::MaterialFingerprint, &[spec_name, material.expose()])
        };
        Ok(mac.to_vec())
    }
}

/// The text of a token mismatch found by trying the key's other live tokens.
pub(crate) const ANOTHER_TOKEN: &str = "the material was wrapped with the public key of another \
                                         GetParametersForImport call; use the ImportToken returned with that public key";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::model::InstanceKind;
    use crate::ops::create_key::CreateKeyRequest;
    use crate::ops::get_parameters_for_import::ImportParameters;
    use crate::ops::testkit::{admin, kms, kms_with_clock};

    async fn external(kms: &Kms, spec: KeySpec, instance: Option<String>) -> KeyRecord {
        let req = CreateKeyRequest {
            spec: Some(spec),
            origin: Some(Origin::External),
            instance_id: instance,
            ..Default::default()
        };
        kms.create_key(&admin(), req).await.unwrap()
    }

    async fn params(kms: &Kms, key: &KeyRecord, w: WrappingKeySpec, a: WrappingAlgorithm) -> ImportParameters {
        kms.get_parameters_for_import(&admin(), &key.key_id, w, a, None).await.unwrap()
    }

    async fn import(
        kms: &Kms,
        key: &KeyRecord,
        p: &ImportParameters,
        a: WrappingAlgorithm,
        material: &[u8],
        expire: Option<i64>,
    ) -> Result<KeyRecord, Error> {
        let wrapped = byok::wrap_material(&p.public_key_der, a, material, key.spec).unwrap();
        let req = ImportKeyMaterialRequest {
            key_ref: &key.key_id,
            encrypted_key_material: &wrapped,
            import_token: &p.import_token,
            expire_unix: expire,
        };
        kms.import_key_material(&admin(), req).await
    }

    async fn stored_material(kms: &Kms, key: &KeyRecord) -> Option<Vec<u8>> {
        let v = kms.store().list_key_versions(&key.key_id).await.unwrap().remove(0);
        v.sealed_material.map(|s| {
            let aad = format!("{}/{}", key.key_id, v.version_id);
            kms.barrier().open(RecordKind::KeyMaterial, &aad, &s).unwrap().expose().to_vec()
        })
    }

    #[tokio::test]
    async fn every_symmetric_wrapping_imports_and_enables() {
        let kms = kms().await;
        for (spec, len) in [(KeySpec::Aes256, 32), (KeySpec::Aes128, 16), (KeySpec::Sm4, 16)] {
            for (w, a) in [
                (WrappingKeySpec::Rsa2048, WrappingAlgorithm::RsaesOaepSha256),
                (WrappingKeySpec::Rsa2048, WrappingAlgorithm::RsaesOaepSha1),
                (WrappingKeySpec::Rsa2048, WrappingAlgorithm::RsaesPkcs1V15),
                (WrappingKeySpec::EcSm2, WrappingAlgorithm::Sm2Pke),
            ] {
                let key = external(&kms, spec, None).await;
                let material = keyward_crypto::random::bytes(len).unwrap();
                let p = params(&kms, &key, w, a).await;
                let k = import(&kms, &key, &p, a, &material, None).await.unwrap();
                assert_eq!((k.state, k.material_expire), (KeyState::Enabled, None));
                assert_eq!(stored_material(&kms, &key).await.unwrap(), material);
                let wrong_len = keyward_crypto::random::bytes(len + 1).unwrap();
                let wrapped = byok::wrap_material(&p.public_key_der, a, &wrong_len, KeySpec::Aes256);
                if let Ok(wrapped) = wrapped {
                    let req = ImportKeyMaterialRequest {
                        key_ref: &key.key_id,
                        encrypted_key_material: &wrapped,
                        import_token: &p.import_token,
                        expire_unix: None,
                    };
                    assert!(matches!(
                        kms.import_key_material(&admin(), req).await,
                        Err(Error::Import(ImportError::MaterialLength(_)))
                    ));
                }
            }
        }
    }

    #[tokio::test]
    async fn asymmetric_material_in_a_software_instance() {
        let kms = kms().await;
        let inst = kms.create_instance(InstanceKind::Software, None, 1000, 100).await.unwrap();
        for spec in [KeySpec::Rsa2048, KeySpec::EcP256, KeySpec::EcP256K, KeySpec::EcSm2] {
            let key = external(&kms, spec, Some(inst.instance_id.clone())).await;
            let (w, a) = if spec == KeySpec::EcSm2 {
                (WrappingKeySpec::EcSm2, WrappingAlgorithm::Sm2PkeSm4Ecb)
            } else {
                (WrappingKeySpec::Rsa2048, WrappingAlgorithm::RsaesOaepSha256Aes256EcbPkcs7Pad)
            };
            // The user's own private key, as PKCS#8.
            let stored = keyward_crypto::keygen::generate(spec).unwrap();
            let pkcs8 = if spec == KeySpec::EcSm2 { sm2_pkcs8(&stored) } else { stored.expose().to_vec() };
            let p = params(&kms, &key, w, a).await;
            let k = import(&kms, &key, &p, a, &pkcs8, None).await.unwrap();
            assert_eq!(k.state, KeyState::Enabled);
            let got = SecretBytes::new(stored_material(&kms, &key).await.unwrap());
            assert_eq!(byok::public_key_spki(spec, &got).unwrap(), byok::public_key_spki(spec, &stored).unwrap());
            // Another private key is different material.
            let other = keyward_crypto::keygen::generate(spec).unwrap();
            let other = if spec == KeySpec::EcSm2 { sm2_pkcs8(&other) } else { other.expose().to_vec() };
            assert!(matches!(
                import(&kms, &key, &p, a, &other, None).await,
                Err(Error::Import(ImportError::MaterialMismatch))
            ));
        }
    }

    fn sm2_pkcs8(scalar: &SecretBytes) -> Vec<u8> {
        use sm2::pkcs8::EncodePrivateKey;
        let sk = sm2::SecretKey::from_slice(scalar.expose()).unwrap();
        sk.to_pkcs8_der().unwrap().as_bytes().to_vec()
    }

    #[tokio::test]
    async fn binding_rule_delete_and_reimport() {
        let kms = kms().await;
        let key = external(&kms, KeySpec::Aes256, None).await;
        let a = WrappingAlgorithm::RsaesOaepSha256;
        let material = keyward_crypto::random::bytes(32).unwrap();
        let p = params(&kms, &key, WrappingKeySpec::Rsa2048, a).await;
        import(&kms, &key, &p, a, &material, None).await.unwrap();
        // Same material again (the token is reusable): fine, and it may change the expiry.
        let later = kms.now() + 3600;
        assert_eq!(import(&kms, &key, &p, a, &material, Some(later)).await.unwrap().material_expire, Some(later));
        // Different material: never.
        let other = keyward_crypto::random::bytes(32).unwrap();
        assert!(matches!(
            import(&kms, &key, &p, a, &other, None).await,
            Err(Error::Import(ImportError::MaterialMismatch))
        ));
        // Delete: PendingImport, no material; the same material comes back, a different one does not.
        let d = kms.delete_key_material(&admin(), &key.key_id).await.unwrap();
        assert_eq!((d.state, d.material_expire), (KeyState::PendingImport, None));
        assert!(stored_material(&kms, &key).await.is_none());
        let p2 = params(&kms, &key, WrappingKeySpec::Rsa2048, a).await;
        assert!(matches!(
            import(&kms, &key, &p2, a, &other, None).await,
            Err(Error::Import(ImportError::MaterialMismatch))
        ));
        assert_eq!(import(&kms, &key, &p2, a, &material, None).await.unwrap().state, KeyState::Enabled);
        assert_eq!(stored_material(&kms, &key).await.unwrap(), material);
        // The same material may go into a second key.
        let key2 = external(&kms, KeySpec::Aes256, None).await;
        let p3 = params(&kms, &key2, WrappingKeySpec::Rsa2048, a).await;
        import(&kms, &key2, &p3, a, &material, None).await.unwrap();
        // DeleteKeyMaterial is for EXTERNAL keys only, and keeps PendingDeletion.
        let own = kms.create_key(&admin(), CreateKeyRequest::default()).await.unwrap();
        assert!(matches!(kms.delete_key_material(&admin(), &own.key_id).await, Err(Error::UnsupportedOrigin)));
        kms.schedule_key_deletion(&admin(), &key.key_id, 7).await.unwrap();
        assert_eq!(kms.delete_key_material(&admin(), &key.key_id).await.unwrap().state, KeyState::PendingDeletion);
        assert!(matches!(
            import(&kms, &key, &p2, a, &material, None).await,
            Err(Error::StateModifiedFailed(KeyState::PendingDeletion))
        ));
    }

    #[tokio::test]
    async fn token_errors() {
        let kms = kms().await;
        let key = external(&kms, KeySpec::Aes256, None).await;
        let key2 = external(&kms, KeySpec::Aes256, None).await;
        let a = WrappingAlgorithm::RsaesOaepSha256;
        let material = keyward_crypto::random::bytes(32).unwrap();
        let p1 = params(&kms, &key, WrappingKeySpec::Rsa2048, a).await;
        let p2 = params(&kms, &key, WrappingKeySpec::Rsa2048, a).await;
        assert_ne!(p1.public_key_der, p2.public_key_der, "each call gives a fresh wrapping key");
        // Wrapped for p2's public key but sent with p1's token: a token mismatch.
        let wrapped = byok::wrap_material(&p2.public_key_der, a, &material, KeySpec::Aes256).unwrap();
        let mismatch = ImportKeyMaterialRequest {
            key_ref: &key.key_id,
            encrypted_key_material: &wrapped,
            import_token: &p1.import_token,
            expire_unix: None,
        };
        assert!(matches!(kms.import_key_material(&admin(), mismatch).await, Err(Error::InvalidImportToken(_))));
        // Another key's token.
        let other = ImportKeyMaterialRequest {
            key_ref: &key2.key_id,
            encrypted_key_material: &wrapped,
            import_token: &p2.import_token,
            expire_unix: None,
        };
        assert!(matches!(kms.import_key_material(&admin(), other).await, Err(Error::ImportTokenForAnotherKey)));
        // Garbage material with the right token.
        let garbage = ImportKeyMaterialRequest {
            key_ref: &key.key_id,
            encrypted_key_material: &[7u8; 256],
            import_token: &p1.import_token,
            expire_unix: None,
        };
        assert!(matches!(
            kms.import_key_material(&admin(), garbage).await,
            Err(Error::Import(ImportError::Undecryptable(_)))
        ));
        // An expiry in the past.
        let past = import(&kms, &key, &p2, a, &material, Some(kms.now() - 1)).await;
        assert!(matches!(past, Err(Error::Import(ImportError::ExpiryNotInFuture))));
        let ms = import(&kms, &key, &p2, a, &material, Some(kms.now() * 1000)).await;
        assert!(matches!(ms, Err(Error::Import(ImportError::ExpiryTooLate))));
        // KMS-generated keys refuse import.
        let own = kms.create_key(&admin(), CreateKeyRequest::default()).await.unwrap();
        let req = ImportKeyMaterialRequest {
            key_ref: &own.key_id,
            encrypted_key_material: &wrapped,
            import_token: &p2.import_token,
            expire_unix: None,
        };
        assert!(matches!(kms.import_key_material(&admin(), req).await, Err(Error::UnsupportedOrigin)));
    }

    #[tokio::test]
    async fn expired_material_is_never_used_and_the_sweeper_deletes_it() {
        let clock = ManualClock::new();
        let kms = kms_with_clock(clock.clone()).await;
        let key = external(&kms, KeySpec::Aes256, None).await;
        let a = WrappingAlgorithm::RsaesOaepSha256;
        let material = keyward_crypto::random::bytes(32).unwrap();
        let p = params(&kms, &key, WrappingKeySpec::Rsa2048, a).await;
        let expire = kms.now() + 100;
        import(&kms, &key, &p, a, &material, Some(expire)).await.unwrap();
        clock.set_ms(expire * 1000 - 1);
        assert_eq!(kms.describe_key(&admin(), &key.key_id).await.unwrap().state, KeyState::Enabled);
        clock.set_ms(expire * 1000);
        // From the exact millisecond of expiry the key is PendingImport, before any sweep.
        assert_eq!(kms.describe_key(&admin(), &key.key_id).await.unwrap().state, KeyState::PendingImport);
        assert!(matches!(kms.enable_key(&admin(), &key.key_id).await, Err(Error::StateModifiedFailed(_))));
        assert!(stored_material(&kms, &key).await.is_some());
        let report = kms.sweep_expired_material().await.unwrap();
        assert_eq!(report.keys, vec![key.key_id.clone()]);
        assert!(stored_material(&kms, &key).await.is_none());
        let k = kms.describe_key(&admin(), &key.key_id).await.unwrap();
        assert_eq!((k.state, k.material_expire), (KeyState::PendingImport, None));
        // Re-import of the same material revives it.
        assert_eq!(import(&kms, &key, &p, a, &material, None).await.unwrap().state, KeyState::Enabled);
        // Tokens expire after 24 h and their wrapping keys are deleted.
        clock.advance_ms(24 * 3600 * 1000);
        assert!(matches!(import(&kms, &key, &p, a, &material, None).await, Err(Error::ExpiredImportToken)));
        assert!(kms.sweep_expired_material().await.unwrap().tokens >= 1);
        assert!(kms.store().list_live_import_tokens(&key.key_id, 0).await.unwrap().is_empty());
    }
}
