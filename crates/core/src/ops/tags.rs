//! Tags on keys and secrets (ALIBABA.md §5.1): TagResource/UntagResource/ListResourceTags and the batch
//! TagResources/UntagResources/ListTagResources. At most 20 tags per resource.

use crate::error::Error;
use crate::model::Tag;
use crate::ops::create_key::{MAX_TAGS, validate_tags};
use crate::service::{Caller, Kms};
use crate::store::StoreError;

impl Kms {
    /// Adds or overwrites tags on a key.
    /// `action` is what gets authorized (`kms:TagResource`, or `kms:TagResources` for the batch).
    pub async fn tag_key(&self, caller: &Caller, action: &str, key_ref: &str, tags: &[Tag]) -> Result<(), Error> {
        validate_tags(tags)?;
        let key = self.authorized_record(caller, action, key_ref).await?;
        let result = self.store.put_key_tags(&key.key_id, tags, MAX_TAGS).await;
        self.invalidate(&key.key_id);
        match result {
            Ok(()) => Ok(()),
            Err(StoreError::QuotaExceeded) => Err(Error::LimitExceeded(format!("a key holds at most {MAX_TAGS} tags"))),
            Err(StoreError::Conflict) => Err(Error::KeyNotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes tags from a key by tag key; `None` removes all of them.
    /// `action` is what gets authorized (`kms:UntagResource`, or `kms:UntagResources`).
    pub async fn untag_key(
        &self,
        caller: &Caller,
        action: &str,
        key_ref: &str,
        tag_keys: Option<&[String]>,
    ) -> Result<(), Error> {
        let key = self.authorized_record(caller, action, key_ref).await?;
        let all: Vec<String>;
        let keys = match tag_keys {
            Some(k) => k,
            None => {
                all = self.store.list_key_tags(&key.key_id).await?.into_iter().map(|t| t.key).collect();
                &all
            }
        };
        self.store.remove_key_tags(&key.key_id, keys).await?;
        self.invalidate(&key.key_id);
        Ok(())
    }

    /// The tags of a key, by tag key.
    pub async fn list_key_tags(&self, caller: &Caller, key_ref: &str) -> Result<(String, Vec<Tag>), Error> {
        self.key_tags_as(caller, "kms:ListResourceTags", key_ref).await
    }

    /// A key's id and tags, authorized as `action` (`kms:ListTagResources` for the batch listing).
    pub async fn key_tags_as(&self, caller: &Caller, action: &str, key_ref: &str) -> Result<(String, Vec<Tag>), Error> {
        let key = self.authorized_record(caller, action, key_ref).await?;
        let tags = self.store.list_key_tags(&key.key_id).await?;
        Ok((key.key_id, tags))
    }

    /// Every `(key id, tag)`, by key id then tag key (ListTagResources, ListKeys tag filters).
    pub async fn all_key_tags(&self, caller: &Caller) -> Result<Vec<(String, Tag)>, Error> {
        self.authorize_arn(caller, "kms:ListTagResources", &self.collection_arn("key")).await?;
        Ok(self.store.list_all_key_tags().await?)
    }
}

/// Tags on secrets: the same rules as on keys (at most 20 per secret). A secret in its deletion
/// window refuses tag changes (`SecretInDeleteWindow`); listing works in any state.
impl Kms {
    /// The name of an existing secret, after authorizing `action` on it; with `live`, one that
    /// is not scheduled for deletion.
    async fn tagged_secret(
        &self,
        caller: &Caller,
        action: &str,
        secret_ref: &str,
        live: bool,
    ) -> Result<String, Error> {
        let secret = self.authorized_secret(caller, action, secret_ref).await?;
        if live && secret.record.planned_delete.is_some() {
            return Err(Error::SecretInDeleteWindow);
        }
        Ok(secret.record.secret_name.clone())
    }

    /// Adds or overwrites tags on a secret.
    /// `action` is what gets authorized (`kms:TagResource`, or `kms:TagResources`).
    pub async fn tag_secret(&self, caller: &Caller, action: &str, secret_ref: &str, tags: &[Tag]) -> Result<(), Error> {
        validate_tags(tags)?;
        let name = self.tagged_secret(caller, action, secret_ref, true).await?;
        let result = self.store.put_secret_tags(&name, tags, MAX_TAGS).await;
        self.invalidate_secret(&name);
        match result {
            Ok(()) => Ok(()),
            Err(StoreError::QuotaExceeded) => {
                Err(Error::LimitExceeded(format!("a secret holds at most {MAX_TAGS} tags")))
            }
            Err(StoreError::Conflict) => Err(Error::SecretNotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes tags from a secret by tag key; `None` removes all of them.
    pub async fn untag_secret(
        &self,
        caller: &Caller,
        action: &str,
        secret_ref: &str,
        tag_keys: Option<&[String]>,
    ) -> Result<(), Error> {
        let name = self.tagged_secret(caller, action, secret_ref, true).await?;
        let all: Vec<String>;
        let keys = match tag_keys {
            Some(k) => k,
            None => {
                all = self.store.list_secret_tags(&name).await?.into_iter().map(|t| t.key).collect();
                &all
            }
        };
        self.store.remove_secret_tags(&name, keys).await?;
        self.invalidate_secret(&name);
        Ok(())
    }

    /// A secret's name and tags (ListTagResources by secret), in any state, after authorizing
    /// `kms:ListTagResources` on it.
    pub async fn secret_tags(&self, caller: &Caller, secret_ref: &str) -> Result<(String, Vec<Tag>), Error> {
        let name = self.tagged_secret(caller, "kms:ListTagResources", secret_ref, false).await?;
        let tags = self.store.list_secret_tags(&name).await?;
        Ok((name, tags))
    }

    /// Every `(secret name, tag)`, by secret name then tag key (ListTagResources).
    pub async fn all_secret_tags(&self, caller: &Caller) -> Result<Vec<(String, Tag)>, Error> {
        self.authorize_arn(caller, "kms:ListTagResources", &self.collection_arn("secret")).await?;
        Ok(self.store.list_all_secret_tags().await?)
    }
}
