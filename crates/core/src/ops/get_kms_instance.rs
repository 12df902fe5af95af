//! GetKmsInstance: one instance with its usage counts.

use crate::error::Error;
use crate::model::InstanceRecord;
use crate::service::{Caller, Kms};

/// An instance and how much of it is used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceDetails {
    /// The instance.
    pub instance: InstanceRecord,
    /// Key versions held (each uses one unit of key quota).
    pub key_versions: i64,
    /// Secrets held (secrets arrive in a later issue).
    pub secrets: i64,
}

impl Kms {
    /// Returns the instance or `InstanceNotFound`.
    pub async fn get_kms_instance(&self, caller: &Caller, instance_id: &str) -> Result<InstanceDetails, Error> {
        self.authorize_arn(caller, "kms:GetKmsInstance", &self.instance_arn(instance_id)).await?;
        self.instance_details(instance_id).await
    }

    /// An instance with its usage, unauthorized (for the operations that report it).
    pub(crate) async fn instance_details(&self, instance_id: &str) -> Result<InstanceDetails, Error> {
        let instance = self.store.get_instance(instance_id).await?.ok_or(Error::InstanceNotFound)?;
        let key_versions = self.store.count_instance_key_versions(instance_id).await?;
        Ok(InstanceDetails { instance, key_versions, secrets: 0 })
    }
}
