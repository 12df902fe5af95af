//! ScheduleKeyDeletion (ALIBABA.md §5.1, §5.6): the key is destroyed after a 7–366 day window
//! by the background job ([`Kms::destroy_due_keys`]). Refused while deletion protection is on.
//! The Huawei API allows 7–1096 days ([`HUAWEI_PENDING_DAYS`], through
//! [`Kms::schedule_key_deletion_within`]).

use crate::error::Error;
use crate::model::{KeyRecord, KeyState};
use crate::service::{Caller, Kms};

/// Allowed `PendingWindowInDays`.
pub const PENDING_WINDOW_DAYS: std::ops::RangeInclusive<i64> = 7..=366;
/// Allowed `pending_days` of the Huawei API (HUAWEI.md §1.3).
pub const HUAWEI_PENDING_DAYS: std::ops::RangeInclusive<i64> = 7..=1096;

impl Kms {
    /// Schedules the key for destruction `pending_window_days` from now.
    pub async fn schedule_key_deletion(
        &self,
        caller: &Caller,
        key_ref: &str,
        pending_window_days: i64,
    ) -> Result<KeyRecord, Error> {
        self.schedule_key_deletion_within(caller, key_ref, pending_window_days, PENDING_WINDOW_DAYS).await
    }

    /// [`Kms::schedule_key_deletion`] with the protocol's allowed window (`PendingWindowInDays`
    /// outside `allowed` is `InvalidParameter`).
    pub async fn schedule_key_deletion_within(
        &self,
        caller: &Caller,
        key_ref: &str,
        pending_window_days: i64,
        allowed: std::ops::RangeInclusive<i64>,
    ) -> Result<KeyRecord, Error> {
        self.authorized_key(caller, "kms:ScheduleKeyDeletion", key_ref, None).await?;
        if !allowed.contains(&pending_window_days) {
            return Err(Error::invalid(
                "PendingWindowInDays",
                format!("must be between {} and {}", allowed.start(), allowed.end()),
            ));
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
