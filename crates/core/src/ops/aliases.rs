//! Aliases (ALIBABA.md §5.1): CreateAlias, UpdateAlias, DeleteAlias, ListAliases,
//! ListAliasesByKeyId. An alias (`alias/…`) is accepted wherever a `KeyId` is.

use crate::error::Error;
use crate::model::{AliasRecord, KeyState};
use crate::ops::{Page, Paged};
use crate::service::{Caller, Kms};
use crate::store::StoreError;

/// Validates an alias name: `alias/` + 1–249 characters of `[A-Za-z0-9_/:-]` (255 in all), not
/// starting with `alias/acs` (reserved for cloud services).
pub fn validate_alias_name(name: &str) -> Result<(), Error> {
    let Some(rest) = name.strip_prefix("alias/") else {
        return Err(Error::invalid("AliasName", "must start with alias/"));
    };
    if rest.is_empty() || name.len() > 255 {
        return Err(Error::invalid("AliasName", "alias/ followed by 1 to 249 characters"));
    }
    if !rest.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'/' | b':')) {
        return Err(Error::invalid("AliasName", "letters, digits, _ - / : only"));
    }
    if rest.starts_with("acs") {
        return Err(Error::invalid("AliasName", "must not start with alias/acs (reserved)"));
    }
    Ok(())
}

impl Kms {
    /// The ARN of an alias.
    pub fn alias_arn(&self, alias_name: &str) -> String {
        format!("acs:kms:{}:{}:{}", self.config.region, self.config.account_id, alias_name)
    }

    /// Aliases (of one key, or all), by name, without authorization: for entry points that show
    /// a key's alias inside metadata the caller was already authorized to read (Huawei key
    /// info, list-keys).
    pub async fn aliases_unchecked(&self, key_id: Option<&str>) -> Result<Vec<AliasRecord>, Error> {
        Ok(self.store.list_aliases(key_id).await?)
    }

    /// CreateAlias: a new alias for a key (not PendingDeletion).
    pub async fn create_alias(&self, caller: &Caller, alias_name: &str, key_ref: &str) -> Result<AliasRecord, Error> {
        validate_alias_name(alias_name)?;
        self.authorize_arn(caller, "kms:CreateAlias", &self.alias_arn(alias_name)).await?;
        let key = self.authorized_record(caller, "kms:CreateAlias", key_ref).await?;
        if key.state == KeyState::PendingDeletion {
            return Err(Error::StateModifiedFailed(key.state));
        }
        let alias = AliasRecord { alias_name: alias_name.to_string(), key_id: key.key_id, creation_date: self.now() };
        match self.store.create_alias(&alias, self.config.alias_quota).await {
            Ok(()) => {
                self.invalidate_aliases();
                Ok(alias)
            }
            Err(StoreError::AlreadyExists) => Err(Error::AliasAlreadyExists),
            Err(StoreError::QuotaExceeded) => Err(Error::LimitExceeded(format!(
                "at most {} aliases may exist; delete some first",
                self.config.alias_quota
            ))),
            Err(StoreError::Conflict) => Err(Error::KeyNotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// UpdateAlias: points an existing alias at another key (which must not be PendingDeletion).
    pub async fn update_alias(&self, caller: &Caller, alias_name: &str, key_ref: &str) -> Result<(), Error> {
        validate_alias_name(alias_name)?;
        self.authorize_arn(caller, "kms:UpdateAlias", &self.alias_arn(alias_name)).await?;
        let key = self.authorized_record(caller, "kms:UpdateAlias", key_ref).await?;
        if key.state == KeyState::PendingDeletion {
            return Err(Error::KeyState(key.state));
        }
        match self.store.update_alias(alias_name, &key.key_id).await {
            Ok(true) => {
                self.invalidate_aliases();
                Ok(())
            }
            Ok(false) => Err(Error::AliasNotFound),
            Err(StoreError::Conflict) => Err(Error::KeyNotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// DeleteAlias.
    pub async fn delete_alias(&self, caller: &Caller, alias_name: &str) -> Result<(), Error> {
        self.authorize_arn(caller, "kms:DeleteAlias", &self.alias_arn(alias_name)).await?;
        let deleted = self.store.delete_alias(alias_name).await?;
        self.invalidate_aliases();
        if deleted { Ok(()) } else { Err(Error::AliasNotFound) }
    }

    /// ListAliases, or ListAliasesByKeyId when `key_ref` is given; ordered by name.
    pub async fn list_aliases(
        &self,
        caller: &Caller,
        key_ref: Option<&str>,
        page: Page,
    ) -> Result<Paged<AliasRecord>, Error> {
        let key_id = match key_ref {
            Some(r) => Some(self.authorized_record(caller, "kms:ListAliasesByKeyId", r).await?.key_id),
            None => {
                self.authorize_arn(caller, "kms:ListAliases", &self.collection_arn("alias")).await?;
                None
            }
        };
        Ok(Paged::cut(self.store.list_aliases(key_id.as_deref()).await?, page))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_names() {
        for ok in ["alias/a", "alias/my-key_1", "alias/team/app:prod"] {
            validate_alias_name(ok).unwrap();
        }
        for bad in ["a", "alias/", "alias/acs-x", "alias/sp ace", "alias/é", &format!("alias/{}", "x".repeat(250))] {
            assert!(validate_alias_name(bad).is_err(), "{bad}");
        }
    }
}
