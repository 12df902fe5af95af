//! Helpers shared by the cryptographic operations: the key-state gate (ALIBABA.md §5.6), the
//! usage gate, sealing under a key's primary version and opening a ciphertext blob
//! (DESIGN.md §3) — all from the hot-path cache, with no store round trip.

use std::sync::Arc;

use keyward_crypto::{KeyUsage, SecretBytes, blob, context, random};

use crate::cache::{LoadedKey, LoadedVersion, Material};
use crate::error::Error;
use crate::model::KeyState;
use crate::service::{Caller, Kms};

/// The result of sealing under a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encrypted {
    /// The key.
    pub key_id: String,
    /// The version used.
    pub version_id: String,
    /// Raw ciphertext blob (the wire form is its base64).
    pub blob: Vec<u8>,
}

/// The result of opening a ciphertext blob.
pub struct Decrypted {
    /// The key.
    pub key_id: String,
    /// The version that opened it.
    pub version_id: String,
    /// The plaintext.
    pub plaintext: SecretBytes,
}

/// Largest Encrypt plaintext (6 KB).
pub const MAX_PLAINTEXT: usize = 6 * 1024;

/// Canonical encryption context bytes (empty when absent).
pub fn canonical_context(json: Option<&str>, name: &'static str) -> Result<Vec<u8>, Error> {
    match json {
        None => Ok(Vec::new()),
        Some(j) => context::canonical(j).map_err(|e| Error::invalid(name, e.to_string())),
    }
}

impl Kms {
    /// Refuses keys whose (effective) state forbids cryptographic use.
    pub(crate) fn check_usable(&self, key: &LoadedKey) -> Result<(), Error> {
        if self.material_expired(&key.record) && key.record.state != KeyState::PendingDeletion {
            return Err(Error::KeyState(KeyState::PendingImport));
        }
        match key.record.state {
            KeyState::Enabled => Ok(()),
            s => Err(Error::KeyState(s)),
        }
    }

    /// Loads a key for a cryptographic operation by `KeyId` parameter, authorizes `action` on
    /// it (with the request's encryption context for conditions), and checks its state.
    pub(crate) async fn usable_key(
        &self,
        caller: &Caller,
        action: &str,
        key_ref: &str,
        context: Option<&str>,
    ) -> Result<Arc<LoadedKey>, Error> {
        let key = self.authorized_key(caller, action, key_ref, context).await?;
        self.check_usable(&key)?;
        Ok(key)
    }

    /// Refuses keys that are not symmetric ENCRYPT/DECRYPT keys.
    pub(crate) fn check_symmetric(key: &LoadedKey) -> Result<(), Error> {
        if key.record.spec.is_symmetric() && key.record.usage == KeyUsage::EncryptDecrypt {
            Ok(())
        } else if key.record.spec.is_hmac() {
            Err(Error::HmacKeyUnsupported(format!(
                "this operation needs a symmetric ENCRYPT/DECRYPT key; {} is an {} key",
                key.record.key_id,
                key.record.spec.as_str()
            )))
        } else {
            Err(Error::UnsupportedOperation(format!(
                "this operation needs a symmetric ENCRYPT/DECRYPT key; {} is {} {}",
                key.record.key_id,
                key.record.spec.as_str(),
                key.record.usage.as_str()
            )))
        }
    }

    /// Seals `plaintext` under the key's primary version.
    pub(crate) fn seal_primary(&self, key: &LoadedKey, plaintext: &[u8], ctx: &[u8]) -> Result<Encrypted, Error> {
        Self::check_symmetric(key)?;
        let version = key.primary().ok_or(Error::KeyState(KeyState::PendingImport))?;
        let Some(Material::Symmetric(sk)) = &version.material else {
            return Err(Error::KeyState(KeyState::PendingImport));
        };
        let mut iv = [0u8; 12];
        random::fill(&mut iv)?;
        let aad = blob::aad(&version.version_id, ctx);
        let ct = sk.seal(&iv, &aad, plaintext)?;
        Ok(Encrypted {
            key_id: key.record.key_id.clone(),
            version_id: version.version_id.clone(),
            blob: blob::encode(&version.version_id, &iv, &ct),
        })
    }

    /// Opens a ciphertext blob made by any version of its key, after authorizing `action` on
    /// that key (`context` is the request's encryption context JSON, `ctx` its canonical form)
    /// and checking its state.
    pub(crate) async fn open_blob(
        &self,
        caller: &Caller,
        action: &str,
        raw: &[u8],
        context: Option<&str>,
        ctx: &[u8],
    ) -> Result<Decrypted, Error> {
        let parsed = blob::decode(raw).map_err(|_| Error::InvalidCiphertext)?;
        let key_id = self.key_for_version(parsed.version_id).await.map_err(|e| match e {
            Error::KeyNotFound => Error::InvalidCiphertext,
            other => other,
        })?;
        let key = self.authorize_key_id(caller, action, &key_id, context).await?;
        self.check_usable(&key)?;
        Self::check_symmetric(&key)?;
        let version: &LoadedVersion = key.version(parsed.version_id).ok_or(Error::InvalidCiphertext)?;
        let Some(Material::Symmetric(sk)) = &version.material else {
            return Err(Error::KeyState(KeyState::PendingImport));
        };
        let aad = blob::aad(parsed.version_id, ctx);
        let plaintext = sk.open(&parsed.iv, &aad, parsed.ciphertext_and_tag).map_err(|_| Error::InvalidCiphertext)?;
        Ok(Decrypted { key_id, version_id: parsed.version_id.to_string(), plaintext })
    }
}

#[cfg(test)]
mod tests {
    use keyward_crypto::KeySpec;
    use keyward_crypto::byok::{self, WrappingAlgorithm, WrappingKeySpec};

    use crate::Error;
    use crate::model::{InstanceKind, KeyState, Origin};
    use crate::ops::create_key::CreateKeyRequest;
    use crate::ops::import_key_material::ImportKeyMaterialRequest;
    use crate::ops::testkit::{admin, kms};

    #[tokio::test]
    async fn symmetric_round_trips_with_context_binding() {
        let kms = kms().await;
        for spec in [KeySpec::Aes256, KeySpec::Aes128, KeySpec::Sm4] {
            let k =
                kms.create_key(&admin(), CreateKeyRequest { spec: Some(spec), ..Default::default() }).await.unwrap();
            let ctx = Some(r#"{"tenant":"a","purpose":"x y"}"#);
            let e = kms.encrypt(&admin(), &k.key_id, b"hello", ctx).await.unwrap();
            assert_eq!(e.version_id, k.primary_version.clone().unwrap());
            let d = kms.decrypt(&admin(), &e.blob, Some(r#"{"purpose":"x y","tenant":"a"}"#)).await.unwrap();
            assert_eq!((d.plaintext.expose(), d.key_id.as_str()), (&b"hello"[..], k.key_id.as_str()));
            for wrong in [None, Some(r#"{"tenant":"b","purpose":"x y"}"#), Some("{}")] {
                assert!(matches!(kms.decrypt(&admin(), &e.blob, wrong).await, Err(Error::InvalidCiphertext)));
            }
            let mut tampered = e.blob.clone();
            let last = tampered.len() - 1;
            tampered[last] ^= 1;
            assert!(matches!(kms.decrypt(&admin(), &tampered, ctx).await, Err(Error::InvalidCiphertext)));
            assert!(matches!(kms.decrypt(&admin(), &e.blob[..40], ctx).await, Err(Error::InvalidCiphertext)));
            kms.disable_key(&admin(), &k.key_id).await.unwrap();
            assert!(matches!(kms.decrypt(&admin(), &e.blob, ctx).await, Err(Error::KeyState(KeyState::Disabled))));
            assert!(matches!(
                kms.encrypt(&admin(), &k.key_id, b"x", None).await,
                Err(Error::KeyState(KeyState::Disabled))
            ));
        }
        let ec = kms
            .create_key(&admin(), CreateKeyRequest { spec: Some(KeySpec::EcP256), ..Default::default() })
            .await
            .unwrap();
        assert!(matches!(kms.encrypt(&admin(), &ec.key_id, b"x", None).await, Err(Error::UnsupportedOperation(_))));
        let bad_ctx = kms.encrypt(&admin(), &ec.key_id, b"x", Some(r#"{"n":1}"#)).await;
        assert!(matches!(bad_ctx, Err(Error::InvalidParameter { name: "EncryptionContext", .. })));
    }

    #[tokio::test]
    async fn data_keys_decrypt_to_their_base64_text() {
        use base64::Engine;
        let kms = kms().await;
        let k = kms.create_key(&admin(), CreateKeyRequest::default()).await.unwrap();
        let dk = kms.generate_data_key(&admin(), "kms:GenerateDataKey", &k.key_id, 32, None).await.unwrap();
        assert_eq!(dk.plaintext.len(), 32);
        let d = kms.decrypt(&admin(), &dk.encrypted.blob, None).await.unwrap();
        let text = base64::engine::general_purpose::STANDARD.encode(dk.plaintext.expose());
        assert_eq!(d.plaintext.expose(), text.as_bytes());
    }

    #[tokio::test]
    async fn rotation_keeps_old_ciphertexts_and_aliases_follow_keys() {
        let kms = kms().await;
        let k = kms.create_key(&admin(), CreateKeyRequest::default()).await.unwrap();
        let old = kms.encrypt(&admin(), &k.key_id, b"old", None).await.unwrap();
        let v2 = kms.create_key_version(&admin(), &k.key_id).await.unwrap();
        let new = kms.encrypt(&admin(), &k.key_id, b"new", None).await.unwrap();
        assert_eq!(new.version_id, v2.version_id);
        assert_ne!(old.version_id, new.version_id);
        assert_eq!(kms.decrypt(&admin(), &old.blob, None).await.unwrap().plaintext.expose(), b"old");
        assert_eq!(kms.describe_key(&admin(), &k.key_id).await.unwrap().primary_version, Some(v2.version_id));

        kms.create_alias(&admin(), "alias/app", &k.key_id).await.unwrap();
        assert!(matches!(kms.create_alias(&admin(), "alias/app", &k.key_id).await, Err(Error::AliasAlreadyExists)));
        let via = kms.encrypt(&admin(), "alias/app", b"via alias", None).await.unwrap();
        assert_eq!(via.key_id, k.key_id);
        let arn = kms.alias_arn("alias/app");
        assert_eq!(kms.describe_key(&admin(), &arn).await.unwrap().key_id, k.key_id);
        let other = kms.create_key(&admin(), CreateKeyRequest::default()).await.unwrap();
        kms.update_alias(&admin(), "alias/app", &other.key_id).await.unwrap();
        assert_eq!(kms.encrypt(&admin(), "alias/app", b"x", None).await.unwrap().key_id, other.key_id);
        kms.delete_alias(&admin(), "alias/app").await.unwrap();
        assert!(matches!(kms.encrypt(&admin(), "alias/app", b"x", None).await, Err(Error::AliasNotFound)));
    }

    #[tokio::test]
    async fn byok_material_works_rotates_by_hand_and_is_bound_to_its_key() {
        let kms = kms().await;
        let inst = kms.create_instance(InstanceKind::Software, None, 1000, 100).await.unwrap();
        let req = CreateKeyRequest {
            origin: Some(Origin::External),
            instance_id: Some(inst.instance_id.clone()),
            ..Default::default()
        };
        let k1 = kms.create_key(&admin(), req.clone()).await.unwrap();
        let k2 = kms.create_key(&admin(), req).await.unwrap();
        let material = keyward_crypto::random::bytes(32).unwrap();
        let a = WrappingAlgorithm::RsaesOaepSha256;
        let import = |key_id: String, version: Option<String>, m: Vec<u8>| {
            let kms = &kms;
            async move {
                let p = kms
                    .get_parameters_for_import(&admin(), &key_id, WrappingKeySpec::Rsa2048, a, version.as_deref())
                    .await
                    .unwrap();
                let wrapped = byok::wrap_material(&p.public_key_der, a, &m, KeySpec::Aes256).unwrap();
                let r = ImportKeyMaterialRequest {
                    key_ref: &key_id,
                    encrypted_key_material: &wrapped,
                    import_token: &p.import_token,
                    expire_unix: None,
                };
                kms.import_key_material(&admin(), r).await
            }
        };
        import(k1.key_id.clone(), None, material.clone()).await.unwrap();
        import(k2.key_id.clone(), None, material.clone()).await.unwrap();
        let e1 = kms.encrypt(&admin(), &k1.key_id, b"secret", None).await.unwrap();
        assert_eq!(kms.decrypt(&admin(), &e1.blob, None).await.unwrap().plaintext.expose(), b"secret");
        // The same material in k2 does not open k1's ciphertext, even with the header edited.
        let e2 = kms.encrypt(&admin(), &k2.key_id, b"other", None).await.unwrap();
        let mut forged = e1.blob.clone();
        forged[..36].copy_from_slice(&e2.blob[..36]);
        assert!(matches!(kms.decrypt(&admin(), &forged, None).await, Err(Error::InvalidCiphertext)));

        // Deleted material: unusable; the same material again: old ciphertexts decrypt again.
        kms.delete_key_material(&admin(), &k1.key_id).await.unwrap();
        assert!(matches!(kms.decrypt(&admin(), &e1.blob, None).await, Err(Error::KeyState(KeyState::PendingImport))));
        import(k1.key_id.clone(), None, material.clone()).await.unwrap();
        assert_eq!(kms.decrypt(&admin(), &e1.blob, None).await.unwrap().plaintext.expose(), b"secret");

        // Rotation by hand: the new version waits for (new) material, then becomes primary.
        let v2 = kms.create_key_version(&admin(), &k1.key_id).await.unwrap();
        assert_eq!(kms.encrypt(&admin(), &k1.key_id, b"x", None).await.unwrap().version_id, e1.version_id);
        let material2 = keyward_crypto::random::bytes(32).unwrap();
        import(k1.key_id.clone(), Some(v2.version_id.clone()), material2).await.unwrap();
        assert_eq!(kms.encrypt(&admin(), &k1.key_id, b"x", None).await.unwrap().version_id, v2.version_id);
        assert_eq!(kms.decrypt(&admin(), &e1.blob, None).await.unwrap().plaintext.expose(), b"secret");
        // Automatic rotation is refused for EXTERNAL keys; asymmetric keys refuse rotation.
        let r = kms.update_rotation_policy(&admin(), &k1.key_id, true, Some(30 * 86_400)).await;
        assert!(matches!(r, Err(Error::UnsupportedOperation(_))));
        let ec = kms
            .create_key(&admin(), CreateKeyRequest { spec: Some(KeySpec::EcP256), ..Default::default() })
            .await
            .unwrap();
        assert!(matches!(kms.create_key_version(&admin(), &ec.key_id).await, Err(Error::UnsupportedOperation(_))));
    }

    #[tokio::test]
    async fn automatic_rotation_runs_when_due() {
        let clock = crate::clock::ManualClock::new();
        let kms = crate::ops::testkit::kms_with_clock(clock.clone()).await;
        let k = kms.create_key(&admin(), CreateKeyRequest::default()).await.unwrap();
        kms.update_rotation_policy(&admin(), &k.key_id, true, Some(7 * 86_400)).await.unwrap();
        assert!(kms.rotate_due_keys().await.unwrap().is_empty());
        clock.advance_ms(7 * 86_400 * 1000);
        assert_eq!(kms.rotate_due_keys().await.unwrap(), vec![k.key_id.clone()]);
        let d = kms.describe_key(&admin(), &k.key_id).await.unwrap();
        assert_ne!(d.primary_version, k.primary_version);
        assert_eq!(d.rotation.next_rotation, Some(kms.now() + 7 * 86_400));
        kms.disable_key(&admin(), &k.key_id).await.unwrap();
        clock.advance_ms(8 * 86_400 * 1000);
        assert!(kms.rotate_due_keys().await.unwrap().is_empty(), "rotation pauses while Disabled");
    }
}
