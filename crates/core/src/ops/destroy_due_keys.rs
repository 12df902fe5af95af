//! The deletion job: destroys keys whose PendingDeletion window has ended. Run periodically by
//! the server's background task; `now` is explicit so tests can move time forward.

use crate::error::Error;
use crate::model::{KeyState, UnixTime};
use crate::service::Kms;

impl Kms {
    /// Destroys every key due at `now` (its versions, sealed material and tags with it).
    /// Returns the ids destroyed.
    pub async fn destroy_due_keys(&self, now: UnixTime) -> Result<Vec<String>, Error> {
        let mut destroyed = Vec::new();
        for id in self.store.keys_due_for_deletion(now).await? {
            // Re-check under the current record: a concurrent CancelKeyDeletion wins.
            let Some(k) = self.store.get_key(&id).await? else { continue };
            if k.state != KeyState::PendingDeletion || k.delete_date.is_none_or(|d| d > now) {
                continue;
            }
            self.invalidate(&id);
            let deleted = self.store.delete_key(&id).await?;
            self.invalidate(&id);
            if deleted {
                tracing::info!(key_id = %id, "key destroyed at the end of its deletion window");
                destroyed.push(id);
            }
        }
        Ok(destroyed)
    }
}

#[cfg(test)]
mod tests {
    use crate::Error;
    use crate::ops::create_key::CreateKeyRequest;
    use crate::ops::testkit::{admin, kms};

    #[tokio::test]
    async fn keys_are_destroyed_only_after_their_window() {
        let kms = kms().await;
        let k = kms.create_key(&admin(), CreateKeyRequest::default()).await.unwrap();
        let keep = kms.create_key(&admin(), CreateKeyRequest::default()).await.unwrap();
        kms.schedule_key_deletion(&admin(), &k.key_id, 7).await.unwrap();
        assert!(kms.destroy_due_keys(kms.now() + 6 * 86_400).await.unwrap().is_empty());
        assert_eq!(kms.destroy_due_keys(kms.now() + 8 * 86_400).await.unwrap(), vec![k.key_id.clone()]);
        assert!(matches!(kms.describe_key(&admin(), &k.key_id).await, Err(Error::KeyNotFound)));
        assert!(kms.store().list_key_versions(&k.key_id).await.unwrap().is_empty());
        kms.describe_key(&admin(), &keep.key_id).await.unwrap();
    }
}
