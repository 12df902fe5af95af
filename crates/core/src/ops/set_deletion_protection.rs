//! SetDeletionProtection: while on, ScheduleKeyDeletion is refused. Not for PendingDeletion keys.

use crate::error::Error;
use crate::model::{KeyRecord, KeyState};
use crate::service::{Caller, Kms};

impl Kms {
    /// Turns deletion protection on or off, with a free-text reason.
    pub async fn set_deletion_protection(
        &self,
        caller: &Caller,
        key_ref: &str,
        enabled: bool,
        description: String,
    ) -> Result<KeyRecord, Error> {
        self.authorized_key(caller, "kms:SetDeletionProtection", key_ref, None).await?;
        if description.chars().count() > 1024 {
            return Err(Error::invalid("DeletionProtectionDescription", "at most 1024 characters"));
        }
        self.update_key_with(key_ref, |k| {
            if k.state == KeyState::PendingDeletion {
                return Err(Error::KeyState(k.state));
            }
            k.deletion_protection.enabled = enabled;
            k.deletion_protection.description = if enabled { description.clone() } else { String::new() };
            Ok(())
        })
        .await
    }
}
