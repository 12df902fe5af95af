//! Tags on keys and secrets (ALIBABA.md §5.1): TagResource/UntagResource/ListResourceTags and the batch
//! TagResources/UntagResources/ListTagResources. At most 20 tags per resource.

use crate::error::Error;
use crate::model::Tag;
use crate::ops::create_key::{MAX_TAGS, validate_tags};
use crate::service::{Caller, Kms};
use crate::store::StoreError;

impl Kms {
    /// Adds or overwrites tags on a key.
    pub async fn tag_key(&self, caller: &Caller, key_ref: &str, tags: &[Tag]) -> Result<(), Error> {
        let _ = caller;
        validate_tags(tags)?;
        let key = self.load_key(key_ref).await?;
        match self.store.put_key_tags(&key.key_id, tags, MAX_TAGS).await {
            Ok(()) => Ok(()),
            Err(StoreError::QuotaExceeded) => Err(Error::LimitExceeded(format!("a key holds at most {MAX_TAGS} tags"))),
            Err(StoreError::Conflict) => Err(Error::KeyNotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes tags from a key by tag key; `None` removes all of them.
    pub async fn untag_key(&self, caller: &Caller, key_ref: &str, tag_keys: Option<&[String]>) -> Result<(), Error> {
        let _ = caller;
        let key = self.load_key(key_ref).await?;
        let all: Vec<String>;
        let keys = match tag_keys {
            Some(k) => k,
            None => {
                all = self.store.list_key_tags(&key.key_id).await?.into_iter().map(|t| t.key).collect();
                &all
            }
        };
        self.store.remove_key_tags(&key.key_id, keys).await?;
        Ok(())
    }

    /// The tags of a key, by tag key.
    pub async fn list_key_tags(&self, caller: &Caller, key_ref: &str) -> Result<(String, Vec<Tag>), Error> {
        let _ = caller;
        let key = self.load_key(key_ref).await?;
        let tags = self.store.list_key_tags(&key.key_id).await?;
        Ok((key.key_id, tags))
    }

    /// Every `(key id, tag)`, by key id then tag key (ListTagResources, ListKeys tag filters).
    pub async fn all_key_tags(&self, caller: &Caller) -> Result<Vec<(String, Tag)>, Error> {
        let _ = caller;
        Ok(self.store.list_all_key_tags().await?)
    }
}

/// Tags on secrets: the same rules as on keys (at most 20 per secret). A secret in its deletion
/// window refuses tag changes (`SecretInDeleteWindow`); listing works in any state.
impl Kms {
    /// The name of an existing secret; with `live`, one that is not scheduled for deletion.
    async fn tagged_secret(&self, secret_ref: &str, live: bool) -> Result<String, Error> {
        Ok(if live {
            self.live_secret(secret_ref).await?.secret_name
        } else {
            self.loaded_secret(secret_ref).await?.record.secret_name.clone()
        })
    }

    /// Adds or overwrites tags on a secret.
    pub async fn tag_secret(&self, caller: &Caller, secret_ref: &str, tags: &[Tag]) -> Result<(), Error> {
        let _ = caller;
        validate_tags(tags)?;
        let name = self.tagged_secret(secret_ref, true).await?;
        match self.store.put_secret_tags(&name, tags, MAX_TAGS).await {
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
        secret_ref: &str,
        tag_keys: Option<&[String]>,
    ) -> Result<(), Error> {
        let _ = caller;
        let name = self.tagged_secret(secret_ref, true).await?;
        let all: Vec<String>;
        let keys = match tag_keys {
            Some(k) => k,
            None => {
                all = self.store.list_secret_tags(&name).await?.into_iter().map(|t| t.key).collect();
                &all
            }
        };
        self.store.remove_secret_tags(&name, keys).await?;
        Ok(())
    }

    /// The name of an existing secret (for listings by secret), in any state.
    pub async fn existing_secret_name(&self, caller: &Caller, secret_ref: &str) -> Result<String, Error> {
        let _ = caller;
        self.tagged_secret(secret_ref, false).await
    }

    /// Every `(secret name, tag)`, by secret name then tag key (ListTagResources).
    pub async fn all_secret_tags(&self, caller: &Caller) -> Result<Vec<(String, Tag)>, Error> {
        let _ = caller;
        Ok(self.store.list_all_secret_tags().await?)
    }
}
