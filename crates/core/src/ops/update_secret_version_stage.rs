//! UpdateSecretVersionStage (ALIBABA.md §5.5): add a stage to a version, remove a custom stage,
//! or move a stage between versions. A stage is held by at most one version. `ACSCurrent` and
//! `ACSPrevious` can be moved but never just removed; moving `ACSCurrent` gives the former
//! current version `ACSPrevious`. A stage held by a version must be named in
//! `RemoveFromVersion` to be moved away from it.

use crate::error::Error;
use crate::ops::secrets::{ACS_CURRENT, ACS_PREVIOUS, assign_stage, ensure_live, make_current, validate_version_id};
use crate::service::{Caller, Kms};

impl Kms {
    /// Moves, adds or removes `stage`. Returns the secret name.
    pub async fn update_secret_version_stage(
        &self,
        caller: &Caller,
        secret_ref: &str,
        stage: &str,
        remove_from: Option<&str>,
        move_to: Option<&str>,
    ) -> Result<String, Error> {
        self.authorized_secret(caller, "kms:UpdateSecretVersionStage", secret_ref).await?;
        validate_version_id("VersionStage", stage)?;
        if let Some(r) = remove_from {
            validate_version_id("RemoveFromVersion", r)?;
        }
        if let Some(m) = move_to {
            validate_version_id("MoveToVersion", m)?;
        }
        let system = stage == ACS_CURRENT || stage == ACS_PREVIOUS;
        match (remove_from, move_to) {
            (None, None) => {
                return Err(Error::invalid("MoveToVersion", "give RemoveFromVersion, MoveToVersion or both"));
            }
            (Some(_), None) if system => {
                return Err(Error::invalid(
                    "MoveToVersion",
                    format!("{stage} can only be moved to another version, never removed"),
                ));
            }
            (Some(r), Some(m)) if r == m => {
                return Err(Error::invalid("MoveToVersion", "must differ from RemoveFromVersion"));
            }
            _ => {}
        }
        let name = self.resolve_secret_name(secret_ref)?;
        self.update_secret_with(&name, |rec, versions| {
            ensure_live(rec)?;
            for id in [remove_from, move_to].into_iter().flatten() {
                if !versions.iter().any(|v| v.version_id == id) {
                    return Err(Error::SecretVersionNotFound(format!("version {id}")));
                }
            }
            let holder = versions.iter().find(|v| v.stages.iter().any(|s| s == stage)).map(|v| v.version_id.clone());
            match (remove_from, holder.as_deref()) {
                (Some(r), h) if h != Some(r) => {
                    return Err(Error::InvalidRequest(format!("stage {stage} is not on version {r}")));
                }
                (None, Some(h)) if Some(h) != move_to => {
                    return Err(Error::InvalidRequest(format!(
                        "stage {stage} is on version {h}; name it in RemoveFromVersion to move the stage"
                    )));
                }
                _ => {}
            }
            match move_to {
                Some(m) if stage == ACS_CURRENT => make_current(versions, m),
                Some(m) => {
                    if stage == ACS_PREVIOUS
                        && versions.iter().any(|v| v.version_id == m && v.stages.iter().any(|s| s == ACS_CURRENT))
                    {
                        return Err(Error::InvalidRequest(format!(
                            "version {m} is ACSCurrent; it cannot also be ACSPrevious"
                        )));
                    }
                    assign_stage(versions, stage, m);
                }
                None => {
                    for v in versions.iter_mut() {
                        v.stages.retain(|s| s != stage);
                    }
                }
            }
            Ok(())
        })
        .await?;
        Ok(name)
    }
}
