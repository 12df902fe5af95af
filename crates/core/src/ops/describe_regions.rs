//! DescribeRegions and DescribeAccountKmsStatus: this server is one region of one account, and
//! its KMS service is always enabled.

use crate::error::Error;
use crate::service::{Caller, Kms};

impl Kms {
    /// The regions served: the configured one.
    pub async fn describe_regions(&self, caller: &Caller) -> Result<Vec<String>, Error> {
        self.authorize_arn(caller, "kms:DescribeRegions", &self.collection_arn("*")).await?;
        Ok(vec![self.config.region.clone()])
    }

    /// The account's KMS status: always `Enabled` on a self-hosted server.
    pub async fn describe_account_kms_status(&self, caller: &Caller) -> Result<&'static str, Error> {
        self.authorize_arn(caller, "kms:DescribeAccountKmsStatus", &self.collection_arn("*")).await?;
        Ok("Enabled")
    }
}
