//! CancelKeyDeletion (ALIBABA.md §5.6): PendingDeletion → Enabled, or PendingImport for an
//! EXTERNAL key whose material is missing or expired.

use crate::error::Error;
use crate::model::{KeyRecord, KeyState, Origin};
use crate::service::{Caller, Kms};

impl Kms {
    /// Cancels a scheduled deletion.
    pub async fn cancel_key_deletion(&self, caller: &Caller, key_ref: &str) -> Result<KeyRecord, Error> {
        let id = self.authorized_key(caller, "kms:CancelKeyDeletion", key_ref, None).await?.record.key_id.clone();
        let has_material = match self.store.get_key(&id).await? {
            Some(k) if k.origin == Origin::External => {
                let versions = self.store.list_key_versions(&id).await?;
                let primary = versions.iter().find(|v| Some(&v.version_id) == k.primary_version.as_ref());
                primary.is_some_and(|v| v.sealed_material.is_some()) && !self.material_expired(&k)
            }
            Some(_) => true,
            None => return Err(Error::KeyNotFound),
        };
        self.update_key_with(&id, |k| {
            if k.state != KeyState::PendingDeletion {
                return Err(Error::StateModifiedFailed(k.state));
            }
            k.state = if has_material { KeyState::Enabled } else { KeyState::PendingImport };
            k.delete_date = None;
            Ok(())
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
    async fn schedule_and_cancel_follow_the_state_matrix() {
        let kms = kms().await;
        let k = kms.create_key(&admin(), CreateKeyRequest::default()).await.unwrap();
        assert!(matches!(kms.schedule_key_deletion(&admin(), &k.key_id, 6).await, Err(Error::InvalidParameter { .. })));
        assert!(matches!(
            kms.schedule_key_deletion(&admin(), &k.key_id, 367).await,
            Err(Error::InvalidParameter { .. })
        ));
        assert!(matches!(
            kms.cancel_key_deletion(&admin(), &k.key_id).await,
            Err(Error::StateModifiedFailed(KeyState::Enabled))
        ));
        kms.disable_key(&admin(), &k.key_id).await.unwrap();
        let s = kms.schedule_key_deletion(&admin(), &k.key_id, 7).await.unwrap();
        assert_eq!(s.state, KeyState::PendingDeletion);
        let dd = s.delete_date.unwrap();
        assert!((dd - s.creation_date - 7 * 86_400).abs() < 60);
        assert!(matches!(kms.schedule_key_deletion(&admin(), &k.key_id, 7).await, Err(Error::StateModifiedFailed(_))));
        let c = kms.cancel_key_deletion(&admin(), &k.key_id).await.unwrap();
        assert_eq!((c.state, c.delete_date), (KeyState::Enabled, None));

        let ext = CreateKeyRequest { origin: Some(Origin::External), ..Default::default() };
        let e = kms.create_key(&admin(), ext).await.unwrap();
        kms.schedule_key_deletion(&admin(), &e.key_id, 30).await.unwrap();
        assert_eq!(kms.cancel_key_deletion(&admin(), &e.key_id).await.unwrap().state, KeyState::PendingImport);
    }

    #[tokio::test]
    async fn deletion_protection_blocks_scheduling() {
        let kms = kms().await;
        let k = kms.create_key(&admin(), CreateKeyRequest::default()).await.unwrap();
        kms.set_deletion_protection(&admin(), &k.key_id, true, "prod".into()).await.unwrap();
        assert!(matches!(kms.schedule_key_deletion(&admin(), &k.key_id, 7).await, Err(Error::DeletionProtected)));
        let d = kms.describe_key(&admin(), &k.key_id).await.unwrap();
        assert!(d.deletion_protection.enabled);
        assert_eq!(d.deletion_protection.description, "prod");
        kms.set_deletion_protection(&admin(), &k.key_id, false, String::new()).await.unwrap();
        kms.schedule_key_deletion(&admin(), &k.key_id, 7).await.unwrap();
        assert!(matches!(
            kms.set_deletion_protection(&admin(), &k.key_id, true, String::new()).await,
            Err(Error::KeyState(KeyState::PendingDeletion))
        ));
    }
}
