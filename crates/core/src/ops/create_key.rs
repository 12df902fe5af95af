//! CreateKey (ALIBABA.md §5.1, HUAWEI.md §1.3): a KMS-generated or EXTERNAL key, default or in an
//! instance.
//!
//! EXTERNAL keys: HMAC specs are never importable ([`Error::HmacKeyUnsupported`]). Asymmetric
//! EXTERNAL keys live in a software KMS instance for the Alibaba API (its BYOK layouts for private
//! keys are instance-only); the Huawei API imports private keys into default keys (temporary AES
//! key + RFC 5649, `Kms::import_wrapped_private_key`), and asks for that with
//! [`CreateKeyOptions::default_store_asymmetric_import`] through [`Kms::create_key_with`].

use keyward_crypto::{KeySpec, KeyUsage, RecordKind, keygen, random};

use crate::error::Error;
use crate::model::{
    DeletionProtection, InstanceKind, KeyRecord, KeyState, KeyVersionRecord, Origin, ProtectionLevel, Rotation, Tag,
};
use crate::service::{Caller, Kms};
use crate::store::{NewKey, StoreError};

/// Most tags on CreateKey.
pub const MAX_TAGS: usize = 20;
/// Longest description.
pub const MAX_DESCRIPTION: usize = 8192;
/// Automatic rotation interval bounds, in seconds (7 to 730 days).
pub const ROTATION_INTERVAL_SECS: std::ops::RangeInclusive<i64> = 7 * 86_400..=730 * 86_400;

/// A CreateKey request; `None` fields take the documented defaults.
#[derive(Clone, Debug, Default)]
pub struct CreateKeyRequest {
    /// Default `Aliyun_AES_256`.
    pub spec: Option<KeySpec>,
    /// Default: the spec's default usage.
    pub usage: Option<KeyUsage>,
    /// Default `Aliyun_KMS`.
    pub origin: Option<Origin>,
    /// Default `SOFTWARE`.
    pub protection_level: Option<ProtectionLevel>,
    /// Default empty.
    pub description: String,
    /// `DKMSInstanceId`: place the key in this KMS instance.
    pub instance_id: Option<String>,
    /// Tags, at most [`MAX_TAGS`].
    pub tags: Vec<Tag>,
    /// `EnableAutomaticRotation`.
    pub enable_automatic_rotation: bool,
    /// `RotationInterval` in seconds.
    pub rotation_interval_secs: Option<i64>,
    /// `Policy`: the key policy document (checked with [`crate::policy::Policy::parse`]).
    pub policy: Option<String>,
}

/// Protocol-dependent policy of [`Kms::create_key_with`]; the default is the Alibaba API's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CreateKeyOptions {
    /// Allow EXTERNAL asymmetric keys outside a KMS instance (the Huawei API, whose private-key
    /// import is `Kms::import_wrapped_private_key`). `EC_SM2` stays instance-only: no default-key
    /// layout carries SM2 private keys.
    pub default_store_asymmetric_import: bool,
}

impl Kms {
    /// Creates a key. KMS-generated keys start `Enabled` with a first version holding fresh
    /// material; EXTERNAL keys start `PendingImport` with a first version awaiting import.
    /// The Alibaba policy: [`Kms::create_key_with`] with default [`CreateKeyOptions`].
    pub async fn create_key(&self, caller: &Caller, req: CreateKeyRequest) -> Result<KeyRecord, Error> {
        self.create_key_with(caller, req, CreateKeyOptions::default()).await
    }

    /// [`Kms::create_key`] with explicit options. Signature:
    /// `create_key_with(&self, caller: &Caller, req: CreateKeyRequest, options: CreateKeyOptions)
    /// -> Result<KeyRecord, Error>`.
    pub async fn create_key_with(
        &self,
        caller: &Caller,
        req: CreateKeyRequest,
        options: CreateKeyOptions,
    ) -> Result<KeyRecord, Error> {
        self.authorize_arn(caller, "kms:CreateKey", &self.collection_arn("key")).await?;
        if let Some(p) = &req.policy {
            crate::ops::key_policy::check_key_policy(p)?;
        }
        let spec = req.spec.unwrap_or(KeySpec::Aes256);
        let usage = req.usage.unwrap_or_else(|| spec.default_usage());
        if !spec.allowed_usages().contains(&usage) {
            return Err(Error::invalid(
                "KeyUsage",
                format!("{} keys cannot have usage {}", spec.as_str(), usage.as_str()),
            ));
        }
        let origin = req.origin.unwrap_or(Origin::Kms);
        let protection_level = req.protection_level.unwrap_or(ProtectionLevel::Software);
        if protection_level == ProtectionLevel::Hsm {
            return Err(Error::UnsupportedProtectionLevel);
        }
        if req.description.chars().count() > MAX_DESCRIPTION {
            return Err(Error::invalid("Description", "at most 8192 characters"));
        }
        validate_tags(&req.tags)?;
        let rotation = rotation_settings(&req, spec, origin)?;

        let instance = match &req.instance_id {
            Some(id) => {
                let inst = self.store.get_instance(id).await?.ok_or(Error::InstanceNotFound)?;
                if inst.kind != InstanceKind::Software {
                    return Err(Error::UnsupportedOperation(format!(
                        "KMS instance {id} is a hardware instance; hardware key stores are not available yet"
                    )));
                }
                Some(inst)
            }
            None => None,
        };
        if origin == Origin::External && spec.is_hmac() {
            return Err(Error::HmacKeyUnsupported(format!(
                "{} key material cannot be imported; create HMAC keys with origin KMS",
                spec.as_str()
            )));
        }
        let default_store_import = options.default_store_asymmetric_import && spec != KeySpec::EcSm2;
        if origin == Origin::External && spec.is_asymmetric() && instance.is_none() && !default_store_import {
            return Err(Error::UnsupportedOperation(format!(
                "an EXTERNAL {} key must be created in a software KMS instance (DKMSInstanceId): \
                 default keys import symmetric key material only",
                spec.as_str()
            )));
        }

        let key_id = match &instance {
            Some(_) => format!("key-{}", random::string_from(random::BASE36, 20)?),
            None => random::uuid_v4()?,
        };
        let version_id = random::uuid_v4()?;
        let now = self.now();
        let sealed_material = match origin {
            Origin::External => None,
            Origin::Kms => {
                let material = tokio::task::spawn_blocking(move || keygen::generate(spec))
                    .await
                    .map_err(|e| Error::Internal(format!("key generation task failed: {e}")))??;
                let aad_id = format!("{key_id}/{version_id}");
                Some(self.barrier.seal(RecordKind::KeyMaterial, &aad_id, material.expose())?)
            }
        };
        let key = KeyRecord {
            key_id: key_id.clone(),
            description: req.description,
            spec,
            usage,
            origin,
            protection_level,
            state: match origin {
                Origin::Kms => KeyState::Enabled,
                Origin::External => KeyState::PendingImport,
            },
            creation_date: now,
            delete_date: None,
            material_expire: None,
            primary_version: Some(version_id.clone()),
            last_rotation: Some(now),
            instance_id: instance.as_ref().map(|i| i.instance_id.clone()),
            rotation: Rotation {
                next_rotation: rotation.map(|secs| now.saturating_add(secs)),
                enabled: rotation.is_some(),
                interval_secs: rotation,
            },
            deletion_protection: DeletionProtection::default(),
            creator: self.config.account_id.clone(),
            revision: 0,
        };
        let version =
            KeyVersionRecord { key_id, version_id, creation_date: now, sealed_material, material_fingerprint: None };
        let new = NewKey {
            key: &key,
            version: Some(&version),
            tags: &req.tags,
            instance_quota: instance.as_ref().map(|i| i.key_quota),
            policy: req.policy.as_deref(),
        };
        match self.store.create_key(new).await {
            Ok(()) => Ok(key),
            Err(StoreError::AlreadyExists) => Err(Error::Internal("generated key id collided".into())),
            Err(e) => Err(e.into()),
        }
    }
}

/// Validates tags: at most [`MAX_TAGS`], keys 1–128 chars not starting with `aliyun`/`acs:`,
/// values ≤ 128 chars, no duplicate keys.
pub fn validate_tags(tags: &[Tag]) -> Result<(), Error> {
    if tags.len() > MAX_TAGS {
        return Err(Error::invalid("Tags", format!("at most {MAX_TAGS} tags")));
    }
    for (i, t) in tags.iter().enumerate() {
        let n = t.key.chars().count();
        if n == 0 || n > 128 {
            return Err(Error::invalid("Tags", "a TagKey must have 1-128 characters"));
        }
        let lower = t.key.to_ascii_lowercase();
        if lower.starts_with("aliyun") || lower.starts_with("acs:") {
            return Err(Error::invalid("Tags", "a TagKey must not start with aliyun or acs:"));
        }
        if t.value.chars().count() > 128 {
            return Err(Error::invalid("Tags", "a TagValue must have at most 128 characters"));
        }
        if tags[..i].iter().any(|o| o.key == t.key) {
            return Err(Error::invalid("Tags", format!("duplicate TagKey {}", t.key)));
        }
    }
    Ok(())
}

fn rotation_settings(req: &CreateKeyRequest, spec: KeySpec, origin: Origin) -> Result<Option<i64>, Error> {
    if !req.enable_automatic_rotation {
        if let Some(secs) = req.rotation_interval_secs {
            check_interval(secs)?;
        }
        return Ok(None);
    }
    if !spec.is_symmetric() || origin == Origin::External {
        return Err(Error::UnsupportedOperation(
            "automatic rotation applies only to KMS-generated symmetric keys".into(),
        ));
    }
    let secs = req.rotation_interval_secs.unwrap_or(365 * 86_400);
    check_interval(secs)?;
    Ok(Some(secs))
}

fn check_interval(secs: i64) -> Result<(), Error> {
    if ROTATION_INTERVAL_SECS.contains(&secs) {
        Ok(())
    } else {
        Err(Error::invalid("RotationInterval", "must be between 7 and 730 days"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testkit::{admin, kms};

    #[tokio::test]
    async fn defaults_give_an_enabled_aes_256_key_with_sealed_material() {
        let kms = kms().await;
        let k = kms.create_key(&admin(), CreateKeyRequest::default()).await.unwrap();
        assert_eq!(
            (k.spec, k.usage, k.origin, k.state),
            (KeySpec::Aes256, KeyUsage::EncryptDecrypt, Origin::Kms, KeyState::Enabled)
        );
        assert_eq!(k.key_id.len(), 36);
        let versions = kms.store().list_key_versions(&k.key_id).await.unwrap();
        assert_eq!(versions.len(), 1);
        let sealed = versions[0].sealed_material.as_ref().unwrap();
        let aad = format!("{}/{}", k.key_id, versions[0].version_id);
        assert_eq!(kms.barrier().open(RecordKind::KeyMaterial, &aad, sealed).unwrap().len(), 32);
    }

    #[tokio::test]
    async fn huawei_specs_generate_and_hmac_keys_are_not_importable() {
        let kms = kms().await;
        for (spec, usage, len) in [
            (KeySpec::Hmac256, KeyUsage::GenerateVerifyMac, 32),
            (KeySpec::Hmac384, KeyUsage::GenerateVerifyMac, 48),
            (KeySpec::Hmac512, KeyUsage::GenerateVerifyMac, 64),
            (KeySpec::EcP384, KeyUsage::SignVerify, 0),
        ] {
            let k =
                kms.create_key(&admin(), CreateKeyRequest { spec: Some(spec), ..Default::default() }).await.unwrap();
            assert_eq!((k.usage, k.state), (usage, KeyState::Enabled));
            let v = kms.store().list_key_versions(&k.key_id).await.unwrap().remove(0);
            let aad = format!("{}/{}", k.key_id, v.version_id);
            let m = kms.barrier().open(RecordKind::KeyMaterial, &aad, v.sealed_material.as_ref().unwrap()).unwrap();
            if len > 0 {
                assert_eq!(m.len(), len);
            }
            // The hot path loads it.
            kms.loaded_key(&k.key_id).await.unwrap();
            let ext = CreateKeyRequest { spec: Some(spec), origin: Some(Origin::External), ..Default::default() };
            let huawei = CreateKeyOptions { default_store_asymmetric_import: true };
            let r = kms.create_key_with(&admin(), ext, huawei).await;
            if spec.is_hmac() {
                assert!(matches!(r, Err(Error::HmacKeyUnsupported(_))), "{spec:?}");
            } else {
                assert_eq!(r.unwrap().state, KeyState::PendingImport);
            }
            let wrong =
                CreateKeyRequest { spec: Some(spec), usage: Some(KeyUsage::EncryptDecrypt), ..Default::default() };
            assert!(matches!(kms.create_key(&admin(), wrong).await, Err(Error::InvalidParameter { .. })));
        }
    }

    #[tokio::test]
    async fn default_store_asymmetric_import_is_opt_in() {
        let kms = kms().await;
        let req = |spec| CreateKeyRequest { spec: Some(spec), origin: Some(Origin::External), ..Default::default() };
        let huawei = CreateKeyOptions { default_store_asymmetric_import: true };
        for spec in [KeySpec::Rsa2048, KeySpec::EcP256, KeySpec::EcP384] {
            // Alibaba: instance only.
            assert!(matches!(kms.create_key(&admin(), req(spec)).await, Err(Error::UnsupportedOperation(_))));
            let k = kms.create_key_with(&admin(), req(spec), huawei).await.unwrap();
            assert_eq!((k.state, k.instance_id.as_deref(), k.key_id.len()), (KeyState::PendingImport, None, 36));
        }
        // No default-store layout for SM2 private keys.
        let r = kms.create_key_with(&admin(), req(KeySpec::EcSm2), huawei).await;
        assert!(matches!(r, Err(Error::UnsupportedOperation(_))));
    }

    #[tokio::test]
    async fn external_keys_wait_for_import_without_material() {
        let kms = kms().await;
        let req = CreateKeyRequest { origin: Some(Origin::External), ..Default::default() };
        let k = kms.create_key(&admin(), req).await.unwrap();
        assert_eq!(k.state, KeyState::PendingImport);
        let versions = kms.store().list_key_versions(&k.key_id).await.unwrap();
        assert!(versions[0].sealed_material.is_none());
    }

    #[tokio::test]
    async fn usage_must_fit_the_spec() {
        let kms = kms().await;
        let req = CreateKeyRequest {
            spec: Some(KeySpec::EcP256),
            usage: Some(KeyUsage::EncryptDecrypt),
            ..Default::default()
        };
        let e = kms.create_key(&admin(), req).await.unwrap_err();
        assert!(matches!(e, Error::InvalidParameter { name: "KeyUsage", .. }));
    }

    #[tokio::test]
    async fn external_asymmetric_keys_need_a_software_instance() {
        let kms = kms().await;
        let req =
            CreateKeyRequest { spec: Some(KeySpec::Rsa2048), origin: Some(Origin::External), ..Default::default() };
        assert!(matches!(kms.create_key(&admin(), req.clone()).await, Err(Error::UnsupportedOperation(_))));
        let inst = kms.create_instance(InstanceKind::Software, None, 1000, 10).await.unwrap();
        let req = CreateKeyRequest { instance_id: Some(inst.instance_id.clone()), ..req };
        let k = kms.create_key(&admin(), req).await.unwrap();
        assert!(k.key_id.starts_with("key-"));
        assert_eq!(k.instance_id.as_deref(), Some(inst.instance_id.as_str()));
    }

    #[tokio::test]
    async fn instance_quota_is_enforced() {
        let kms = kms().await;
        let inst = kms.create_instance(InstanceKind::Software, None, 1000, 2).await.unwrap();
        let req = CreateKeyRequest { instance_id: Some(inst.instance_id.clone()), ..Default::default() };
        kms.create_key(&admin(), req.clone()).await.unwrap();
        kms.create_key(&admin(), req.clone()).await.unwrap();
        assert!(matches!(kms.create_key(&admin(), req).await, Err(Error::LimitExceeded(_))));
        let other = CreateKeyRequest { instance_id: Some("kst-nope".into()), ..Default::default() };
        assert!(matches!(kms.create_key(&admin(), other).await, Err(Error::InstanceNotFound)));
    }

    #[tokio::test]
    async fn tags_and_rotation_are_validated() {
        let kms = kms().await;
        let bad_tag =
            CreateKeyRequest { tags: vec![Tag { key: "acs:x".into(), value: "v".into() }], ..Default::default() };
        assert!(matches!(kms.create_key(&admin(), bad_tag).await, Err(Error::InvalidParameter { name: "Tags", .. })));
        let bad_interval = CreateKeyRequest {
            enable_automatic_rotation: true,
            rotation_interval_secs: Some(86_400),
            ..Default::default()
        };
        assert!(matches!(
            kms.create_key(&admin(), bad_interval).await,
            Err(Error::InvalidParameter { name: "RotationInterval", .. })
        ));
        let hsm = CreateKeyRequest { protection_level: Some(ProtectionLevel::Hsm), ..Default::default() };
        assert!(matches!(kms.create_key(&admin(), hsm).await, Err(Error::UnsupportedProtectionLevel)));
    }
}
