//! PutSecretValue (ALIBABA.md §5.5): a new version of a Generic secret. Stages move to it
//! (`VersionStages`, default `["ACSCurrent"]`); taking `ACSCurrent` gives the former current
//! version `ACSPrevious`. At most ten versions: the oldest versions without stages are dropped.
//! Idempotent on `VersionId` with identical data.

use keyward_crypto::SecretBytes;

use crate::error::Error;
use crate::model::{SecretDataType, SecretVersionRecord};
use crate::ops::secrets::{
    ACS_CURRENT, ACS_PREVIOUS, MAX_STAGES, assign_stage, ensure_live, make_current, roll_versions, validate_data,
    validate_version_id,
};
use crate::service::{Caller, Kms};

/// What PutSecretValue returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutSecretValueResult {
    /// The secret.
    pub secret_name: String,
    /// The version written (or found identical).
    pub version_id: String,
    /// Its stages.
    pub stages: Vec<String>,
}

/// Validates `VersionStages`: 1–64 characters each, at most [`MAX_STAGES`], duplicates merged,
/// not `ACSCurrent` and `ACSPrevious` together.
pub(crate) fn validate_stages(stages: Vec<String>) -> Result<Vec<String>, Error> {
    let mut out: Vec<String> = Vec::new();
    for s in stages {
        validate_version_id("VersionStages", &s)?;
        if !out.contains(&s) {
            out.push(s);
        }
    }
    if out.len() > MAX_STAGES {
        return Err(Error::invalid("VersionStages", format!("at most {MAX_STAGES} stages")));
    }
    if out.iter().any(|s| s == ACS_CURRENT) && out.iter().any(|s| s == ACS_PREVIOUS) {
        return Err(Error::invalid("VersionStages", "a version cannot be both ACSCurrent and ACSPrevious"));
    }
    Ok(out)
}

impl Kms {
    /// Adds a version. An existing `version_id` with the same data and type succeeds without
    /// change (returning its stages); with other data it is [`Error::AlreadyExists`].
    pub async fn put_secret_value(
        &self,
        caller: &Caller,
        secret_ref: &str,
        version_id: &str,
        data: SecretBytes,
        data_type: SecretDataType,
        stages: Option<Vec<String>>,
    ) -> Result<PutSecretValueResult, Error> {
        self.authorized_secret(caller, "kms:PutSecretValue", secret_ref).await?;
        validate_version_id("VersionId", version_id)?;
        validate_data(data.expose(), data_type)?;
        let stages = validate_stages(stages.unwrap_or_else(|| vec![ACS_CURRENT.to_string()]))?;
        let name = self.resolve_secret_name(secret_ref)?;
        let secret = self.store.get_secret(&name).await?.ok_or(Error::SecretNotFound)?;
        if self.secret_purged(&secret) {
            return Err(Error::SecretNotFound);
        }
        ensure_live(&secret)?;
        let key = self.secret_key(caller, "kms:Encrypt", &secret.encryption_key_id).await?;

        let existing = self.store.list_secret_versions(&name).await?.into_iter().find(|v| v.version_id == version_id);
        if let Some(v) = existing {
            let stored = self.open_secret_data(&key, &v)?;
            return if stored.ct_eq(data.expose()) && v.data_type == data_type {
                Ok(PutSecretValueResult { secret_name: name, version_id: v.version_id, stages: v.stages })
            } else {
                Err(Error::AlreadyExists("secret version (with different data)"))
            };
        }

        let ciphertext = self.seal_secret_data(&key, &name, version_id, data.expose())?;
        let now = self.now();
        let (_, stages) = self
            .update_secret_with(&name, |rec, versions| {
                ensure_live(rec)?;
                if versions.iter().any(|v| v.version_id == version_id) {
                    // Written concurrently by another request; its data may differ.
                    return Err(Error::AlreadyExists("secret version"));
                }
                let seq = versions.iter().map(|v| v.seq).max().unwrap_or(0) + 1;
                versions.push(SecretVersionRecord {
                    secret_name: rec.secret_name.clone(),
                    version_id: version_id.to_string(),
                    seq,
                    creation_date: now,
                    data_type,
                    ciphertext: ciphertext.clone(),
                    stages: Vec::new(),
                });
                for stage in &stages {
                    if stage == ACS_CURRENT {
                        make_current(versions, version_id);
                    } else {
                        assign_stage(versions, stage, version_id);
                    }
                }
                roll_versions(versions, version_id)?;
                Ok(versions.iter().find(|v| v.version_id == version_id).map(|v| v.stages.clone()).unwrap_or_default())
            })
            .await?;
        Ok(PutSecretValueResult { secret_name: name, version_id: version_id.to_string(), stages })
    }
}
