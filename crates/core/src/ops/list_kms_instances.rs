//! ListKmsInstances: the KMS instances, paged.

use crate::error::Error;
use crate::model::InstanceRecord;
use crate::ops::{Page, Paged};
use crate::service::{Caller, Kms};

impl Kms {
    /// Lists instances ordered by creation date.
    pub async fn list_kms_instances(&self, caller: &Caller, page: Page) -> Result<Paged<InstanceRecord>, Error> {
        self.authorize_arn(caller, "kms:ListKmsInstances", &self.collection_arn("keystore")).await?;
        Ok(Paged::cut(self.store.list_instances().await?, page))
    }
}
