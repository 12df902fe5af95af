//! Creation of a KMS instance (`kst-…`): an administrative operation (`keyward admin instance
//! create`), not part of the Alibaba API, where instances are bought.

use keyward_crypto::random;

use crate::error::Error;
use crate::model::{InstanceKind, InstanceRecord};
use crate::service::Kms;
use crate::store::StoreError;

/// Default computing performance of a new instance, in QPS.
pub const DEFAULT_SPEC_QPS: i64 = 1000;
/// Default key quota of a new instance.
pub const DEFAULT_KEY_QUOTA: i64 = 1000;
/// Default secret quota of a new instance.
pub const DEFAULT_SECRET_QUOTA: i64 = 1000;

impl Kms {
    /// Creates an instance. Hardware (PKCS#11) instances are not available yet.
    pub async fn create_instance(
        &self,
        kind: InstanceKind,
        name: Option<String>,
        spec_qps: i64,
        key_quota: i64,
    ) -> Result<InstanceRecord, Error> {
        if kind == InstanceKind::Hardware {
            return Err(Error::UnsupportedOperation(
                "hardware (PKCS#11) KMS instances are not available yet; use --type software".into(),
            ));
        }
        if !(1..=1_000_000).contains(&spec_qps) {
            return Err(Error::invalid("Spec", "QPS must be between 1 and 1000000"));
        }
        if !(1..=1_000_000).contains(&key_quota) {
            return Err(Error::invalid("KeyQuota", "must be between 1 and 1000000"));
        }
        let instance_id = format!("kst-{}", random::string_from(random::BASE36, 21)?);
        let rec = InstanceRecord {
            name: name.unwrap_or_else(|| instance_id.clone()),
            instance_id,
            kind,
            spec_qps,
            key_quota,
            secret_quota: DEFAULT_SECRET_QUOTA,
            creation_date: self.now(),
        };
        match self.store.create_instance(&rec).await {
            Ok(()) => Ok(rec),
            Err(StoreError::AlreadyExists) => Err(Error::AlreadyExists("KMS instance")),
            Err(e) => Err(e.into()),
        }
    }
}
