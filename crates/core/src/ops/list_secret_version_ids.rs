//! ListSecretVersionIds (ALIBABA.md §5.5): a secret's versions, oldest first; by default only
//! those holding a stage (`IncludeDeprecated=true` adds the others). Works in the recovery
//! window: it reveals no data.

use crate::error::Error;
use crate::model::UnixTime;
use crate::ops::{Page, Paged};
use crate::service::{Caller, Kms};

/// One listed version (no data).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretVersionInfo {
    /// Version id.
    pub version_id: String,
    /// Creation time.
    pub creation_date: UnixTime,
    /// Stages it holds.
    pub stages: Vec<String>,
}

impl Kms {
    /// Lists a secret's versions. Returns the secret name and the page.
    pub async fn list_secret_version_ids(
        &self,
        caller: &Caller,
        secret_ref: &str,
        include_deprecated: bool,
        page: Page,
    ) -> Result<(String, Paged<SecretVersionInfo>), Error> {
        let secret = self.authorized_secret(caller, "kms:ListSecretVersionIds", secret_ref).await?;
        let versions = secret
            .versions
            .iter()
            .filter(|v| include_deprecated || !v.stages.is_empty())
            .map(|v| SecretVersionInfo {
                version_id: v.version_id.clone(),
                creation_date: v.creation_date,
                stages: v.stages.clone(),
            })
            .collect();
        Ok((secret.record.secret_name.clone(), Paged::cut(versions, page)))
    }
}
