//! Tags on keys (ALIBABA.md §5.1): TagResource/UntagResource/ListResourceTags and the batch
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
