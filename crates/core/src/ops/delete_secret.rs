//! DeleteSecret and RestoreSecret (ALIBABA.md §5.5), and the purge job. DeleteSecret starts a
//! 7–30 day recovery window (default 30) or, with `ForceDeleteWithoutRecovery`, removes the
//! secret at once. RestoreSecret ends the window. [`Kms::purge_due_secrets`] removes secrets
//! whose window has passed (run by the server's background job).

use crate::error::Error;
use crate::model::UnixTime;
use crate::service::{Caller, Kms};

/// Allowed `RecoveryWindowInDays`.
pub const RECOVERY_WINDOW_DAYS: std::ops::RangeInclusive<i64> = 7..=30;
/// Default `RecoveryWindowInDays`.
pub const DEFAULT_RECOVERY_WINDOW_DAYS: i64 = 30;

impl Kms {
    /// Schedules the secret's deletion, or deletes it now with `force`. Returns the secret name
    /// and the planned delete time (now, when forced).
    pub async fn delete_secret(
        &self,
        caller: &Caller,
        secret_ref: &str,
        force: bool,
        recovery_window_days: Option<i64>,
    ) -> Result<(String, UnixTime), Error> {
        self.authorized_secret(caller, "kms:DeleteSecret", secret_ref).await?;
        if force && recovery_window_days.is_some() {
            return Err(Error::invalid(
                "RecoveryWindowInDays",
                "must not be combined with ForceDeleteWithoutRecovery=true",
            ));
        }
        let days = recovery_window_days.unwrap_or(DEFAULT_RECOVERY_WINDOW_DAYS);
        if !RECOVERY_WINDOW_DAYS.contains(&days) {
            return Err(Error::invalid("RecoveryWindowInDays", "must be between 7 and 30"));
        }
        let name = self.resolve_secret_name(secret_ref)?;
        let now = self.now();
        if force {
            let secret = self.store.get_secret(&name).await?.ok_or(Error::SecretNotFound)?;
            if self.secret_purged(&secret) {
                return Err(Error::SecretNotFound);
            }
            let deleted = self.store.delete_secret(&name).await?;
            self.invalidate_secret(&name);
            if !deleted {
                return Err(Error::SecretNotFound);
            }
            tracing::info!(secret_name = %name, "secret deleted without recovery");
            return Ok((name, now));
        }
        let planned = now.saturating_add(days * 86_400);
        let (rec, ()) = self
            .update_secret_with(&name, |rec, _| {
                if rec.planned_delete.is_some() {
                    return Err(Error::SecretInDeleteWindow);
                }
                rec.planned_delete = Some(planned);
                Ok(())
            })
            .await?;
        Ok((rec.secret_name, planned))
    }

    /// Cancels a scheduled deletion. Returns the secret name.
    pub async fn restore_secret(&self, caller: &Caller, secret_ref: &str) -> Result<String, Error> {
        self.authorized_secret(caller, "kms:RestoreSecret", secret_ref).await?;
        let name = self.resolve_secret_name(secret_ref)?;
        self.update_secret_with(&name, |rec, _| {
            if rec.planned_delete.is_none() {
                return Err(Error::SecretNotInDeleteWindow);
            }
            rec.planned_delete = None;
            Ok(())
        })
        .await?;
        Ok(name)
    }

    /// Removes every secret whose recovery window ended at or before `now` (with its versions
    /// and tags). Returns the names removed.
    pub async fn purge_due_secrets(&self, now: UnixTime) -> Result<Vec<String>, Error> {
        let mut purged = Vec::new();
        for name in self.store.secrets_due_for_deletion(now).await? {
            // Re-check under the current record: a concurrent RestoreSecret wins.
            let Some(s) = self.store.get_secret(&name).await? else { continue };
            if s.planned_delete.is_none_or(|t| t > now) {
                continue;
            }
            let deleted = self.store.delete_secret(&name).await?;
            self.invalidate_secret(&name);
            if deleted {
                tracing::info!(secret_name = %name, "secret purged at the end of its recovery window");
                purged.push(name);
            }
        }
        Ok(purged)
    }
}
