//! The Huawei private-key import (HUAWEI.md §1.4, §3.4): `encrypted_key_material` is
//! RSA-OAEP-SHA-256 of a temporary AES key (16 or 32 bytes) under the token's wrapping key, and
//! `encrypted_privatekey` is the RFC 5649 key wrap with padding (under that temporary key) of the
//! unencrypted PKCS#8 DER private key: the documentation's openssl recipe, literally.
//!
//! Signature (for the protocol layer):
//!
//! ```text
//! Kms::import_wrapped_private_key(&self, caller: &Caller, req: ImportWrappedPrivateKeyRequest<'_>)
//!     -> Result<KeyRecord, Error>
//! ImportWrappedPrivateKeyRequest { key_ref: &str, import_token: &str,
//!     encrypted_temporary_key: &[u8], encrypted_private_key: Option<&[u8]>, expire_unix: Option<i64> }
//! ```
//!
//! For asymmetric EXTERNAL keys (RSA, `EC_P256`, `EC_P384`, `EC_P256K`) in the default store
//! (created with `CreateKeyOptions::default_store_asymmetric_import`) or in an instance; symmetric
//! keys use `Kms::import_key_material`. The token must have been issued with `RSA_2048` /
//! `RSAES_OAEP_SHA_256`. Checks, in order, with the error each gives (Huawei code in brackets):
//!
//! 1. the key exists and is EXTERNAL: [`Error::KeyNotFound`] [KMS.0207], [`Error::UnsupportedOrigin`]
//!    [KMS.0309]; HMAC: [`Error::HmacKeyUnsupported`] [KMS.0341]; symmetric: `Import(Invalid)`;
//! 2. it is (effectively) `PendingImport`: `Import(NotPendingImport)` [KMS.0310];
//! 3. no expiry (asymmetric material never expires): `Import(ExpiryNotSupported)` [KMS.0325];
//! 4. the private key is present: `Import(PrivateKeyMissing)` [KMS.2608];
//! 5. the token: [`Error::InvalidImportToken`] [KMS.2605], [`Error::ImportTokenForAnotherKey`]
//!    [KMS.2603], [`Error::ExpiredImportToken`] [KMS.2601]; a token of another wrapping algorithm
//!    is `InvalidImportToken`;
//! 6. the temporary key decrypts: `Import(Undecryptable)` [KMS.0311] (or `InvalidImportToken` when
//!    it decrypts under another live token of the key: wrong token for that public key);
//! 7. it is 16 or 32 bytes: `Import(TemporaryKeyLength)` [KMS.2610];
//! 8. the private key unwraps (RFC 5649), is PKCS#8 and matches the spec: `Import(InvalidPrivateKey)`
//!    [KMS.2609];
//! 9. binding rule (fingerprint of the public key): `Import(MaterialMismatch)` [KMS.2606].
//!
//! Success seals the re-encoded PKCS#8 and enables the key, as `import_key_material` does.

use keyward_crypto::byok::{self, ByokError, WrappingAlgorithm, WrappingKeySpec};
use keyward_crypto::kwp;

use crate::error::{Error, ImportError};
use crate::model::{KeyRecord, KeyState, Origin};
use crate::ops::import_key_material::ANOTHER_TOKEN;
use crate::service::{Caller, Kms};

/// A private-key import request (see the module docs).
pub struct ImportWrappedPrivateKeyRequest<'a> {
    /// The key (id, ARN or alias).
    pub key_ref: &'a str,
    /// The ImportToken from `get_parameters_for_import` (`RSA_2048`, `RSAES_OAEP_SHA_256`).
    pub import_token: &'a str,
    /// Decoded `encrypted_key_material`: RSA-OAEP-SHA-256 of the temporary AES key.
    pub encrypted_temporary_key: &'a [u8],
    /// Decoded `encrypted_privatekey`: RFC 5649 KWP of the PKCS#8 DER private key; `None` (or
    /// empty) is `PrivateKeyMissing`.
    pub encrypted_private_key: Option<&'a [u8]>,
    /// Expiry in Unix seconds; anything but `None`/0 is `ExpiryNotSupported`.
    pub expire_unix: Option<i64>,
}

impl Kms {
    /// Imports an RFC 5649-wrapped private key under an OAEP-wrapped temporary key (module docs).
    pub async fn import_wrapped_private_key(
        &self,
        caller: &Caller,
        req: ImportWrappedPrivateKeyRequest<'_>,
    ) -> Result<KeyRecord, Error> {
        let key = self.authorized_record(caller, "kms:ImportKeyMaterial", req.key_ref).await?;
        if key.origin != Origin::External {
            return Err(Error::UnsupportedOrigin);
        }
        if key.spec.is_hmac() {
            return Err(Error::HmacKeyUnsupported(format!("{} key material cannot be imported", key.spec.as_str())));
        }
        if !key.spec.is_asymmetric() {
            return Err(ImportError::Invalid(format!(
                "{} is a symmetric key: import its material directly, without a private key",
                key.spec.as_str()
            ))
            .into());
        }
        if key.state != KeyState::PendingImport {
            return Err(ImportError::NotPendingImport(key.state).into());
        }
        if req.expire_unix.is_some_and(|t| t != 0) {
            return Err(ImportError::ExpiryNotSupported.into());
        }
        let wrapped_key = req.encrypted_private_key.filter(|w| !w.is_empty()).ok_or(ImportError::PrivateKeyMissing)?;
        let token = self.check_import_token(req.import_token, &key.key_id).await?;
        let is_temp_key_token = |t: &crate::model::ImportTokenRecord| {
            t.wrapping_spec == WrappingKeySpec::Rsa2048.as_str()
                && t.wrapping_algorithm == WrappingAlgorithm::RsaesOaepSha256.as_str()
        };
        if !is_temp_key_token(&token) {
            return Err(Error::InvalidImportToken(format!(
                "the token was issued for {} with {}; a private-key import needs RSA_2048 with RSAES_OAEP_SHA_256",
                token.wrapping_spec, token.wrapping_algorithm
            )));
        }
        let decrypt = |t: &crate::model::ImportTokenRecord| {
            let (_, alg, private) = self.open_wrapping_key(t)?;
            Ok::<_, Error>(byok::decrypt_temporary_key(alg, &private, req.encrypted_temporary_key))
        };
        let temporary = match decrypt(&token)? {
            Ok(k) => k,
            Err(ByokError::Crypto(e)) => return Err(e.into()),
            Err(_) => {
                let opens = |t: &crate::model::ImportTokenRecord| Ok(is_temp_key_token(t) && decrypt(t)?.is_ok());
                if self.wrapped_for_another_token(&token, &key.key_id, opens).await? {
                    return Err(Error::InvalidImportToken(ANOTHER_TOKEN.into()));
                }
                return Err(ImportError::Undecryptable(
                    "the temporary key does not decrypt with this token's wrapping key (RSAES_OAEP_SHA_256)".into(),
                )
                .into());
            }
        };
        if !matches!(temporary.len(), 16 | 32) {
            return Err(ImportError::TemporaryKeyLength(temporary.len()).into());
        }
        let pkcs8 = kwp::kwp_unwrap(temporary.expose(), wrapped_key).map_err(|_| {
            ImportError::InvalidPrivateKey(
                "the private key does not unwrap under the temporary key (RFC 5649 AES key wrap with padding)".into(),
            )
        })?;
        drop(temporary);
        let material = byok::private_key_from_pkcs8(key.spec, pkcs8.expose()).map_err(|e| match e {
            ByokError::InvalidMaterial(why) | ByokError::Unsupported(why) => {
                Error::Import(ImportError::InvalidPrivateKey(why))
            }
            ByokError::Undecryptable => ImportError::InvalidPrivateKey("the private key is not usable".into()).into(),
            ByokError::Crypto(c) => c.into(),
        })?;
        drop(pkcs8);
        self.store_imported_material(&key, &token, material, None, true).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::create_key::{CreateKeyOptions, CreateKeyRequest};
    use crate::ops::get_parameters_for_import::ImportParameters;
    use crate::ops::import_key_material::ImportKeyMaterialRequest;
    use crate::ops::testkit::{admin, kms};
    use keyward_crypto::asymmetric::{AsymmetricAlgorithm, AsymmetricKey};
    use keyward_crypto::{KeySpec, SecretBytes, keygen, random};
    use std::process::Command;

    const HUAWEI: CreateKeyOptions = CreateKeyOptions { default_store_asymmetric_import: true };

    /// An EXTERNAL default key; asymmetric ones for signing.
    async fn external(kms: &Kms, spec: KeySpec) -> KeyRecord {
        let usage = spec.is_asymmetric().then_some(keyward_crypto::KeyUsage::SignVerify);
        let req = CreateKeyRequest { spec: Some(spec), usage, origin: Some(Origin::External), ..Default::default() };
        kms.create_key_with(&admin(), req, HUAWEI).await.unwrap()
    }

    async fn params(kms: &Kms, key: &KeyRecord) -> ImportParameters {
        kms.get_parameters_for_import(
            &admin(),
            &key.key_id,
            WrappingKeySpec::Rsa2048,
            WrappingAlgorithm::RsaesOaepSha256,
            None,
        )
        .await
        .unwrap()
    }

    /// Client side: (encrypted temporary key, wrapped private key).
    fn wrap(p: &ImportParameters, temp: &[u8], pkcs8: &[u8]) -> (Vec<u8>, Vec<u8>) {
        (byok::encrypt_temporary_key(&p.public_key_der, temp).unwrap(), kwp::kwp_wrap(temp, pkcs8).unwrap())
    }

    async fn import(
        kms: &Kms,
        key: &KeyRecord,
        token: &str,
        enc_temp: &[u8],
        wrapped: Option<&[u8]>,
        expire: Option<i64>,
    ) -> Result<KeyRecord, Error> {
        let req = ImportWrappedPrivateKeyRequest {
            key_ref: &key.key_id,
            import_token: token,
            encrypted_temporary_key: enc_temp,
            encrypted_private_key: wrapped,
            expire_unix: expire,
        };
        kms.import_wrapped_private_key(&admin(), req).await
    }

    fn openssl(args: &[&str]) -> Vec<u8> {
        let out = Command::new("openssl").args(args).output().expect("openssl must be on PATH");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    }

    #[tokio::test]
    async fn imported_private_keys_sign_and_openssl_verifies() {
        let kms = kms().await;
        let dir = tempfile::tempdir().unwrap();
        let path = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
        for (spec, alg, md, temp_len) in [
            (KeySpec::Rsa2048, AsymmetricAlgorithm::RsaPssSha256, "-sha256", 32),
            (KeySpec::Rsa3072, AsymmetricAlgorithm::RsaPkcs1Sha512, "-sha512", 16),
            (KeySpec::EcP256, AsymmetricAlgorithm::EcdsaSha256, "-sha256", 32),
            (KeySpec::EcP384, AsymmetricAlgorithm::EcdsaSha384, "-sha384", 32),
        ] {
            let key = external(&kms, spec).await;
            assert_eq!(key.instance_id, None, "a default key");
            let p = params(&kms, &key).await;
            let pkcs8 = keygen::generate(spec).unwrap();
            let temp = random::bytes(temp_len).unwrap();
            let (enc, wrapped) = wrap(&p, &temp, pkcs8.expose());
            let k = import(&kms, &key, &p.import_token, &enc, Some(&wrapped), None).await.unwrap();
            assert_eq!((k.state, k.material_expire), (KeyState::Enabled, None));

            // The server signs with the imported key; openssl verifies with the user's own key.
            let version = k.primary_version.clone().unwrap();
            let msg = b"signed by an imported key";
            let h = alg.hash().unwrap();
            let digest = aws_lc_rs::digest::digest(h, msg);
            let sig = kms.asymmetric_sign(&admin(), &key.key_id, &version, alg, digest.as_ref()).await.unwrap().value;
            std::fs::write(path("k.der"), pkcs8.expose()).unwrap();
            std::fs::write(path("m.bin"), msg).unwrap();
            std::fs::write(path("s.bin"), &sig).unwrap();
            let publ = openssl(&["pkey", "-inform", "DER", "-in", &path("k.der"), "-pubout"]);
            std::fs::write(path("pub.pem"), &publ).unwrap();
            let mut args = vec!["dgst", md];
            if alg == AsymmetricAlgorithm::RsaPssSha256 {
                args.extend(["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"]);
            }
            let (pubf, sigf, msgf) = (path("pub.pem"), path("s.bin"), path("m.bin"));
            args.extend(["-verify", &pubf, "-signature", &sigf, &msgf]);
            assert_eq!(openssl(&args), b"Verified OK\n", "{spec:?}");
            let pem = kms.get_public_key(&admin(), &key.key_id, &version).await.unwrap().value;
            assert_eq!(pem.as_bytes(), publ.as_slice());

            // Imported once: no second import (the key is no longer PendingImport).
            let again = import(&kms, &key, &p.import_token, &enc, Some(&wrapped), None).await;
            assert!(matches!(again, Err(Error::Import(ImportError::NotPendingImport(KeyState::Enabled)))));
        }
    }

    #[tokio::test]
    async fn every_refusal_has_its_typed_error() {
        let kms = kms().await;
        let key = external(&kms, KeySpec::EcP256).await;
        let p = params(&kms, &key).await;
        let pkcs8 = keygen::generate(KeySpec::EcP256).unwrap();
        let temp = random::bytes(32).unwrap();
        let (enc, wrapped) = wrap(&p, &temp, pkcs8.expose());
        let t = &p.import_token;
        let is = |r: Result<KeyRecord, Error>, want: ImportError| matches!(r, Err(Error::Import(e)) if e == want);

        // KMS.2608: no private key.
        assert!(is(import(&kms, &key, t, &enc, None, None).await, ImportError::PrivateKeyMissing));
        assert!(is(import(&kms, &key, t, &enc, Some(&[]), None).await, ImportError::PrivateKeyMissing));
        // KMS.0325: an expiry.
        let later = kms.now() + 3600;
        assert!(is(import(&kms, &key, t, &enc, Some(&wrapped), Some(later)).await, ImportError::ExpiryNotSupported));
        // KMS.0311: the temporary key does not decrypt.
        let mut bad = enc.clone();
        bad[0] ^= 1;
        let r = import(&kms, &key, t, &bad, Some(&wrapped), None).await;
        assert!(matches!(r, Err(Error::Import(ImportError::Undecryptable(_)))));
        // KMS.2610: a 24-byte (or 8-byte) temporary key.
        for n in [24usize, 8, 31] {
            let enc_n = byok::encrypt_temporary_key(&p.public_key_der, &random::bytes(n).unwrap()).unwrap();
            let r = import(&kms, &key, t, &enc_n, Some(&wrapped), None).await;
            assert!(is(r, ImportError::TemporaryKeyLength(n)), "{n}");
        }
        // KMS.2609: wrapped under another temporary key, corrupt, not PKCS#8, wrong curve.
        let (_, other_wrap) = wrap(&p, &random::bytes(32).unwrap(), pkcs8.expose());
        let mut corrupt = wrapped.clone();
        corrupt[20] ^= 1;
        let p384 = keygen::generate(KeySpec::EcP384).unwrap();
        let sec1 = {
            // A P-256 SEC1 ECPrivateKey (what `openssl ec -outform DER` writes): not PKCS#8.
            let dir = tempfile::tempdir().unwrap();
            let f = dir.path().join("k.der");
            std::fs::write(&f, pkcs8.expose()).unwrap();
            openssl(&["ec", "-inform", "DER", "-in", f.to_str().unwrap(), "-outform", "DER"])
        };
        for body in
            [other_wrap, corrupt, kwp::kwp_wrap(&temp, &sec1).unwrap(), kwp::kwp_wrap(&temp, p384.expose()).unwrap()]
        {
            let r = import(&kms, &key, t, &enc, Some(&body), None).await;
            assert!(matches!(r, Err(Error::Import(ImportError::InvalidPrivateKey(_)))), "{r:?}");
        }
        // Tokens: garbage (KMS.2605), another key's (KMS.2603), a token of another wrapping.
        let r = import(&kms, &key, "AAAA", &enc, Some(&wrapped), None).await;
        assert!(matches!(r, Err(Error::InvalidImportToken(_))));
        let other_key = external(&kms, KeySpec::EcP256).await;
        let po = params(&kms, &other_key).await;
        let r = import(&kms, &key, &po.import_token, &enc, Some(&wrapped), None).await;
        assert!(matches!(r, Err(Error::ImportTokenForAnotherKey)));
        // Wrapped for another token's public key of the same key: a token mismatch.
        let p2 = params(&kms, &key).await;
        let (enc2, wrapped2) = wrap(&p2, &temp, pkcs8.expose());
        let r = import(&kms, &key, t, &enc2, Some(&wrapped2), None).await;
        assert!(matches!(r, Err(Error::InvalidImportToken(_))));
        // Still PendingImport after all that; the right inputs work.
        assert_eq!(kms.describe_key(&admin(), &key.key_id).await.unwrap().state, KeyState::PendingImport);
        import(&kms, &key, t, &enc, Some(&wrapped), None).await.unwrap();
    }

    #[tokio::test]
    async fn wrong_keys_and_the_binding_rule() {
        let kms = kms().await;
        // Not EXTERNAL; HMAC; symmetric.
        let own = CreateKeyRequest { spec: Some(KeySpec::EcP256), ..Default::default() };
        let own = kms.create_key(&admin(), own).await.unwrap();
        let r = import(&kms, &own, "x", &[], Some(&[1]), None).await;
        assert!(matches!(r, Err(Error::UnsupportedOrigin)));
        let aes = external(&kms, KeySpec::Aes256).await;
        let r = import(&kms, &aes, "x", &[], Some(&[1]), None).await;
        assert!(matches!(r, Err(Error::Import(ImportError::Invalid(_)))));
        // A token issued for another wrapping (Alibaba's instance layout) is not for this flow.
        let inst = kms.create_instance(crate::model::InstanceKind::Software, None, 1000, 10).await.unwrap();
        let req = CreateKeyRequest {
            spec: Some(KeySpec::Rsa2048),
            origin: Some(Origin::External),
            instance_id: Some(inst.instance_id.clone()),
            ..Default::default()
        };
        let in_instance = kms.create_key(&admin(), req).await.unwrap();
        let composite = WrappingAlgorithm::RsaesOaepSha256Aes256EcbPkcs7Pad;
        let pi = kms
            .get_parameters_for_import(&admin(), &in_instance.key_id, WrappingKeySpec::Rsa2048, composite, None)
            .await
            .unwrap();
        let r = import(&kms, &in_instance, &pi.import_token, &[0; 256], Some(&[1; 24]), None).await;
        assert!(matches!(r, Err(Error::InvalidImportToken(ref why)) if why.contains("RSAES_OAEP_SHA_256")), "{r:?}");
        let key = external(&kms, KeySpec::Rsa2048).await;
        let r = import(&kms, &key, &pi.import_token, &[0; 256], Some(&[1; 24]), None).await;
        assert!(matches!(r, Err(Error::ImportTokenForAnotherKey)));

        // Binding rule: the version's fingerprint is set by the first import; a key whose
        // material is gone (simulated: state forced back) takes only the same private key again.
        let p = params(&kms, &key).await;
        let pkcs8 = keygen::generate(KeySpec::Rsa2048).unwrap();
        let temp = random::bytes(16).unwrap();
        let (enc, wrapped) = wrap(&p, &temp, pkcs8.expose());
        import(&kms, &key, &p.import_token, &enc, Some(&wrapped), None).await.unwrap();
        let mut rec = kms.store().get_key(&key.key_id).await.unwrap().unwrap();
        rec.state = KeyState::PendingImport;
        kms.store().update_key(&rec).await.unwrap();
        kms.invalidate(&key.key_id);
        let other = keygen::generate(KeySpec::Rsa2048).unwrap();
        let (enc_o, wrapped_o) = wrap(&p, &temp, other.expose());
        let r = import(&kms, &key, &p.import_token, &enc_o, Some(&wrapped_o), None).await;
        assert!(matches!(r, Err(Error::Import(ImportError::MaterialMismatch))));
        // The same key in another encoding (openssl's PKCS#8) binds equally.
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("k.der");
        std::fs::write(&f, pkcs8.expose()).unwrap();
        let theirs =
            openssl(&["pkcs8", "-topk8", "-nocrypt", "-inform", "DER", "-in", f.to_str().unwrap(), "-outform", "DER"]);
        let (enc_s, wrapped_s) = wrap(&p, &temp, &theirs);
        let k = import(&kms, &key, &p.import_token, &enc_s, Some(&wrapped_s), None).await.unwrap();
        assert_eq!(k.state, KeyState::Enabled);
        let stored = kms.store().list_key_versions(&key.key_id).await.unwrap().remove(0);
        let aad = format!("{}/{}", key.key_id, stored.version_id);
        let m = kms
            .barrier()
            .open(keyward_crypto::RecordKind::KeyMaterial, &aad, &stored.sealed_material.unwrap())
            .unwrap();
        let mine = AsymmetricKey::new(KeySpec::Rsa2048, &m).unwrap();
        let users = AsymmetricKey::new(KeySpec::Rsa2048, &SecretBytes::from_slice(pkcs8.expose())).unwrap();
        assert_eq!(mine.public_key_spki_der(), users.public_key_spki_der());

        // The Alibaba import path refuses such a key's token layout for private keys.
        let key2 = external(&kms, KeySpec::EcP384).await;
        let p2 = params(&kms, &key2).await;
        let req = ImportKeyMaterialRequest {
            key_ref: &key2.key_id,
            encrypted_key_material: &byok::encrypt_temporary_key(&p2.public_key_der, &[1; 32]).unwrap(),
            import_token: &p2.import_token,
            expire_unix: None,
        };
        let r = kms.import_key_material(&admin(), req).await;
        assert!(matches!(r, Err(Error::Import(ImportError::Invalid(_)))), "{r:?}");
    }
}
