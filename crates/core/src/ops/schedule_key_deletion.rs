//! ScheduleKeyDeletion (ALIBABA.md §5.1, §5.6): the key is destroyed after a 7–366 day window
//! by the background job ([`Kms::destroy_due_keys`]). Refused while deletion protection is on.

use crate::error::Error;
use crate::model::{KeyRecord, KeyState};
use crate::service::{Caller, Kms};

/// Allowed `PendingWindowInDays`.
pub const PENDING_WINDOW_DAYS: std::ops::RangeInclusive<i64> = 7..=366;

impl Kms {
    /// Schedules the key for destruction `pending_window_days` from now.
    pub async fn schedule_key_deletion(
        &self,
        caller: &Caller,
        key_ref: &str,
        pending_window_days: i64,
    ) -> Result<KeyRecord, Error> {
        let _ = caller;
        if !PENDING_WINDOW_DAYS.contains(&pending_window_days) {
            return Err(Error::invalid("PendingWindowInDays", "must be between 7 and 366"));
        }
        let delete_date = self.now().saturating_add(pending_window_days * 86_400);
        self.update_key_with(key_ref, |k| {
            if k.state == KeyState::PendingDeletion {
                return Err(Error::StateModifiedFailed(k.state));
            }
            if k.deletion_protection.enabled {
                return Err(Error::DeletionProtected);
            }
            k.state = KeyState::PendingDeletion;
            k.delete_date = Some(delete_date);
            Ok(())
        })
        .await
    }
}
