//! The expiry job: deletes imported material whose `KeyMaterialExpireUnix` has passed (the key
//! becomes `PendingImport`) and wrapping keys of expired ImportTokens. Expired material is
//! refused by every operation from the exact millisecond of expiry; this job only cleans up.

use crate::error::Error;
use crate::service::Kms;

/// What one run of the job did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Keys whose material was deleted.
    pub keys: Vec<String>,
    /// Number of expired import tokens deleted.
    pub tokens: u64,
}

impl Kms {
    /// Runs the expiry job at the service clock's current time.
    pub async fn sweep_expired_material(&self) -> Result<SweepReport, Error> {
        let now = self.now();
        let mut report = SweepReport::default();
        for id in self.store.keys_with_expired_material(now).await? {
            match self.clear_material(&id, true).await {
                Ok(_) => {
                    tracing::info!(key_id = %id, "imported key material expired and was deleted");
                    report.keys.push(id);
                }
                Err(Error::KeyNotFound) => {}
                Err(e) => return Err(e),
            }
        }
        report.tokens = self.store.delete_expired_import_tokens(now).await?;
        Ok(report)
    }
}
