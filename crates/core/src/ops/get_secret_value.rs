//! GetSecretValue (ALIBABA.md §5.5): one version's data, chosen by `VersionId` and/or
//! `VersionStage` (default `ACSCurrent`). The hot path: the secret comes from the secret cache
//! (sealed versions only) and is opened with the key from the key cache — no store round trip
//! while both are fresh.

use crate::error::Error;
use crate::model::SecretVersionRecord;
use crate::ops::secrets::{ACS_CURRENT, SecretValue, ensure_live};
use crate::service::{Caller, Kms};

/// Picks the version named by `version_id` and/or `stage` (default `ACSCurrent`). When both are
/// given they must name the same version ([`Error::InvalidRequest`]).
pub(crate) fn select_version<'a>(
    versions: &'a [SecretVersionRecord],
    version_id: Option<&str>,
    stage: Option<&str>,
) -> Result<&'a SecretVersionRecord, Error> {
    let by_id = match version_id {
        None => None,
        Some(id) => Some(
            versions
                .iter()
                .find(|v| v.version_id == id)
                .ok_or_else(|| Error::SecretVersionNotFound(format!("version {id}")))?,
        ),
    };
    let by_stage = match (stage, by_id) {
        (None, Some(_)) => None,
        (stage, _) => {
            let stage = stage.unwrap_or(ACS_CURRENT);
            Some(
                versions
                    .iter()
                    .find(|v| v.stages.iter().any(|s| s == stage))
                    .ok_or_else(|| Error::SecretVersionNotFound(format!("version with stage {stage}")))?,
            )
        }
    };
    match (by_id, by_stage) {
        (Some(a), Some(b)) if a.version_id != b.version_id => Err(Error::InvalidRequest(format!(
            "version {} does not hold stage {}",
            a.version_id,
            stage.unwrap_or(ACS_CURRENT)
        ))),
        (Some(v), _) | (None, Some(v)) => Ok(v),
        (None, None) => Err(Error::Internal("no version selector".into())),
    }
}

impl Kms {
    /// Reads one version of a secret. Refused in the recovery window, and while the secret's
    /// encryption key is not Enabled ([`Error::SecretKeyState`]).
    pub async fn get_secret_value(
        &self,
        caller: &Caller,
        secret_ref: &str,
        version_id: Option<&str>,
        stage: Option<&str>,
    ) -> Result<SecretValue, Error> {
        let secret = self.authorized_secret(caller, "kms:GetSecretValue", secret_ref).await?;
        ensure_live(&secret.record)?;
        let version = select_version(&secret.versions, version_id, stage)?;
        let key = self.secret_key(caller, "kms:Decrypt", &secret.record.encryption_key_id).await?;
        let data = self.open_secret_data(&key, version)?;
        Ok(SecretValue {
            secret_name: secret.record.secret_name.clone(),
            secret_type: secret.record.secret_type,
            version_id: version.version_id.clone(),
            data,
            data_type: version.data_type,
            creation_date: version.creation_date,
            stages: version.stages.clone(),
        })
    }
}
