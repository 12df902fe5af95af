//! DisableKey (ALIBABA.md §5.6): Enabled → Disabled; Disabled stays; other states refused.

use crate::error::Error;
use crate::model::{KeyRecord, KeyState};
use crate::service::{Caller, Kms};

impl Kms {
    /// Disables a key: it stays, but cryptographic operations are refused until EnableKey.
    pub async fn disable_key(&self, caller: &Caller, key_ref: &str) -> Result<KeyRecord, Error> {
        self.authorized_key(caller, "kms:DisableKey", key_ref, None).await?;
        self.update_key_with(key_ref, |k| match self.effective(k.clone()).state {
            KeyState::Enabled | KeyState::Disabled => {
                k.state = KeyState::Disabled;
                Ok(())
            }
            s => Err(Error::StateModifiedFailed(s)),
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use crate::Error;
    use crate::model::{KeyState, Origin};
    use crate::ops::create_key::CreateKeyRequest;
    use crate::ops::testkit::{admin, kms};

    #[tokio::test]
    async fn state_matrix_of_enable_and_disable() {
        let kms = kms().await;
        let k = kms.create_key(&admin(), CreateKeyRequest::default()).await.unwrap();
        assert_eq!(kms.disable_key(&admin(), &k.key_id).await.unwrap().state, KeyState::Disabled);
        assert_eq!(kms.disable_key(&admin(), &k.key_id).await.unwrap().state, KeyState::Disabled);
        assert_eq!(kms.enable_key(&admin(), &k.key_id).await.unwrap().state, KeyState::Enabled);
        assert_eq!(kms.enable_key(&admin(), &k.key_id).await.unwrap().state, KeyState::Enabled);

        let ext = CreateKeyRequest { origin: Some(Origin::External), ..Default::default() };
        let e = kms.create_key(&admin(), ext).await.unwrap();
        assert!(matches!(
            kms.enable_key(&admin(), &e.key_id).await,
            Err(Error::StateModifiedFailed(KeyState::PendingImport))
        ));
        assert!(matches!(
            kms.disable_key(&admin(), &e.key_id).await,
            Err(Error::StateModifiedFailed(KeyState::PendingImport))
        ));

        kms.schedule_key_deletion(&admin(), &k.key_id, 7).await.unwrap();
        assert!(matches!(
            kms.enable_key(&admin(), &k.key_id).await,
            Err(Error::StateModifiedFailed(KeyState::PendingDeletion))
        ));
        assert!(matches!(
            kms.disable_key(&admin(), &k.key_id).await,
            Err(Error::StateModifiedFailed(KeyState::PendingDeletion))
        ));
    }
}
