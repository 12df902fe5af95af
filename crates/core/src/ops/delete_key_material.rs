//! DeleteKeyMaterial (ALIBABA.md §5.2): removes an EXTERNAL key's material (every version);
//! the key becomes `PendingImport` (a `PendingDeletion` key keeps its state and DeleteDate).
//! The binding fingerprint stays, so only the same material can be imported again — after
//! which ciphertexts made before the deletion decrypt again.

use crate::error::Error;
use crate::model::{KeyRecord, KeyState, Origin};
use crate::service::{Caller, Kms};
use crate::store::StoreError;

impl Kms {
    /// Deletes the imported material of `key_ref`.
    pub async fn delete_key_material(&self, caller: &Caller, key_ref: &str) -> Result<KeyRecord, Error> {
        let id = self.authorized_key(caller, "kms:DeleteKeyMaterial", key_ref, None).await?.record.key_id.clone();
        self.clear_material(&id, false).await
    }

    /// Clears the material of every version of an EXTERNAL key and marks it `PendingImport`
    /// (unless `PendingDeletion`). With `only_if_expired`, does nothing unless the material has
    /// expired (the sweeper's re-check under the current record).
    pub(crate) async fn clear_material(&self, key_id: &str, only_if_expired: bool) -> Result<KeyRecord, Error> {
        self.invalidate(key_id);
        'retry: for _ in 0..16 {
            let mut key = self.store.get_key(key_id).await?.ok_or(Error::KeyNotFound)?;
            if key.origin != Origin::External {
                return Err(Error::UnsupportedOrigin);
            }
            if only_if_expired && !self.material_expired(&key) {
                return Ok(key);
            }
            if key.state != KeyState::PendingDeletion {
                key.state = KeyState::PendingImport;
            }
            key.material_expire = None;
            let versions = self.store.list_key_versions(key_id).await?;
            let with_material: Vec<_> = versions.iter().filter(|v| v.sealed_material.is_some()).collect();
            if with_material.is_empty() {
                // Nothing sealed: still record the state change.
                match self.store.update_key(&key).await {
                    Ok(()) => {
                        self.invalidate(key_id);
                        key.revision += 1;
                        return Ok(key);
                    }
                    Err(StoreError::Conflict) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            for v in with_material {
                match self.store.update_key_material(&key, &v.version_id, None, None).await {
                    Ok(()) => key.revision += 1,
                    Err(StoreError::Conflict) => continue 'retry,
                    Err(e) => return Err(e.into()),
                }
            }
            self.invalidate(key_id);
            return Ok(key);
        }
        Err(Error::Internal(format!("too many concurrent updates of key {key_id}")))
    }
}
