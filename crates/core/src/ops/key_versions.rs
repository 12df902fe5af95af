//! Key versions and rotation (ALIBABA.md §5.1): CreateKeyVersion, DescribeKeyVersion,
//! ListKeyVersions, UpdateRotationPolicy, and the automatic rotation job.
//!
//! - KMS-generated symmetric keys: a new version gets fresh material and becomes primary at once
//!   (by hand, or by the job every `RotationInterval`). Encrypt uses the primary version,
//!   Decrypt any version.
//! - EXTERNAL symmetric keys in a software instance may be rotated by hand only: the new version
//!   waits for material (GetParametersForImport / ImportKeyMaterial with its `KeyVersionId`)
//!   and becomes primary once imported. Asymmetric keys refuse rotation.
//! - Each version uses one unit of the instance's key quota.

use keyward_crypto::{RecordKind, keygen, random};

use crate::error::Error;
use crate::model::{KeyRecord, KeyState, KeyVersionRecord, Origin};
use crate::ops::create_key::ROTATION_INTERVAL_SECS;
use crate::ops::{Page, Paged};
use crate::service::{Caller, Kms};
use crate::store::StoreError;

/// A version as DescribeKeyVersion and ListKeyVersions show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyVersionInfo {
    /// The key.
    pub key_id: String,
    /// The version.
    pub version_id: String,
    /// Creation time.
    pub creation_date: i64,
}

impl Kms {
    /// CreateKeyVersion: a new version (see the module docs).
    pub async fn create_key_version(&self, caller: &Caller, key_ref: &str) -> Result<KeyVersionInfo, Error> {
        let id = self.authorized_key(caller, "kms:CreateKeyVersion", key_ref, None).await?.record.key_id.clone();
        self.rotate(&id, false).await
    }

    /// Adds a version to `key_id`. `automatic` = called by the rotation job.
    async fn rotate(&self, key_id: &str, automatic: bool) -> Result<KeyVersionInfo, Error> {
        for _ in 0..16 {
            let mut key = self.store.get_key(key_id).await?.ok_or(Error::KeyNotFound)?;
            key = self.effective(key);
            match key.state {
                KeyState::Enabled => {}
                KeyState::PendingImport => {
                    return Err(Error::UnsupportedOperation(
                        "the key is waiting for key material; import it before creating a new version".into(),
                    ));
                }
                s => return Err(Error::KeyState(s)),
            }
            if key.spec.is_hmac() {
                return Err(Error::HmacKeyUnsupported("HMAC keys cannot be rotated".into()));
            }
            if !key.spec.is_symmetric() {
                return Err(Error::UnsupportedOperation("asymmetric keys cannot be rotated".into()));
            }
            if key.origin == Origin::External && (automatic || key.instance_id.is_none()) {
                return Err(Error::UnsupportedOperation(
                    "EXTERNAL keys are rotated by hand only, and only in a software KMS instance".into(),
                ));
            }
            let quota = match &key.instance_id {
                Some(i) => Some(self.store.get_instance(i).await?.ok_or(Error::InstanceNotFound)?.key_quota),
                None => None,
            };
            let now = self.now();
            let version_id = random::uuid_v4()?;
            let sealed_material = match key.origin {
                Origin::External => None,
                Origin::Kms => {
                    let spec = key.spec;
                    let material = keygen::generate(spec)?;
                    let aad = format!("{key_id}/{version_id}");
                    Some(self.barrier.seal(RecordKind::KeyMaterial, &aad, material.expose())?)
                }
            };
            if key.origin == Origin::Kms {
                key.primary_version = Some(version_id.clone());
                key.last_rotation = Some(now);
            }
            if let (true, Some(secs)) = (key.rotation.enabled, key.rotation.interval_secs) {
                key.rotation.next_rotation = Some(now.saturating_add(secs));
            }
            let version = KeyVersionRecord {
                key_id: key_id.to_string(),
                version_id: version_id.clone(),
                creation_date: now,
                sealed_material,
                material_fingerprint: None,
            };
            let stored = KeyRecord { state: self.store.get_key(key_id).await?.map_or(key.state, |k| k.state), ..key };
            match self.store.add_key_version(&stored, &version, quota).await {
                Ok(()) => {
                    self.invalidate(key_id);
                    return Ok(KeyVersionInfo { key_id: key_id.to_string(), version_id, creation_date: now });
                }
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Internal(format!("too many concurrent updates of key {key_id}")))
    }

    /// DescribeKeyVersion.
    pub async fn describe_key_version(
        &self,
        caller: &Caller,
        key_ref: &str,
        version_id: &str,
    ) -> Result<KeyVersionInfo, Error> {
        let key = self.authorized_record(caller, "kms:DescribeKeyVersion", key_ref).await?;
        self.store
            .list_key_versions(&key.key_id)
            .await?
            .into_iter()
            .find(|v| v.version_id == version_id)
            .map(|v| KeyVersionInfo {
                key_id: key.key_id.clone(),
                version_id: v.version_id,
                creation_date: v.creation_date,
            })
            .ok_or(Error::KeyVersionNotFound)
    }

    /// ListKeyVersions, oldest first.
    pub async fn list_key_versions(
        &self,
        caller: &Caller,
        key_ref: &str,
        page: Page,
    ) -> Result<Paged<KeyVersionInfo>, Error> {
        let key = self.authorized_record(caller, "kms:ListKeyVersions", key_ref).await?;
        let all = self
            .store
            .list_key_versions(&key.key_id)
            .await?
            .into_iter()
            .map(|v| KeyVersionInfo {
                key_id: key.key_id.clone(),
                version_id: v.version_id,
                creation_date: v.creation_date,
            })
            .collect();
        Ok(Paged::cut(all, page))
    }

    /// UpdateRotationPolicy: automatic rotation of KMS-generated symmetric keys.
    pub async fn update_rotation_policy(
        &self,
        caller: &Caller,
        key_ref: &str,
        enable: bool,
        interval_secs: Option<i64>,
    ) -> Result<KeyRecord, Error> {
        self.authorized_key(caller, "kms:UpdateRotationPolicy", key_ref, None).await?;
        if enable && interval_secs.is_none() {
            return Err(Error::invalid("RotationInterval", "is required when EnableAutomaticRotation is true"));
        }
        if let Some(s) = interval_secs
            && !ROTATION_INTERVAL_SECS.contains(&s)
        {
            return Err(Error::invalid("RotationInterval", "must be between 7 and 730 days"));
        }
        let now = self.now();
        self.update_key_with(key_ref, |k| {
            if !k.spec.is_symmetric() || k.origin == Origin::External {
                return Err(Error::UnsupportedOperation(
                    "automatic rotation applies only to KMS-generated symmetric keys".into(),
                ));
            }
            if k.state == KeyState::PendingDeletion {
                return Err(Error::KeyState(k.state));
            }
            if enable {
                let secs = interval_secs.unwrap_or(365 * 86_400);
                k.rotation.enabled = true;
                k.rotation.interval_secs = Some(secs);
                k.rotation.next_rotation = Some(k.last_rotation.unwrap_or(now).saturating_add(secs).max(now));
            } else {
                k.rotation = crate::model::Rotation::default();
            }
            Ok(())
        })
        .await
    }

    /// The rotation job: adds a version to every Enabled key whose rotation is due. Disabled and
    /// PendingDeletion keys are skipped (rotation pauses) and rotate once enabled again.
    pub async fn rotate_due_keys(&self) -> Result<Vec<String>, Error> {
        let mut rotated = Vec::new();
        for id in self.store.keys_due_for_rotation(self.now()).await? {
            match self.rotate(&id, true).await {
                Ok(v) => {
                    tracing::info!(key_id = %id, version = %v.version_id, "key rotated automatically");
                    rotated.push(id);
                }
                Err(Error::KeyState(_) | Error::KeyNotFound | Error::UnsupportedOperation(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(rotated)
    }
}
