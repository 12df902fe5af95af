//! DescribeRegions and DescribeAccountKmsStatus: this server is one region of one account, and
//! its KMS service is always enabled.

use crate::service::{Caller, Kms};

impl Kms {
    /// The regions served: the configured one.
    pub fn describe_regions(&self, caller: &Caller) -> Vec<String> {
        let _ = caller;
        vec![self.config.region.clone()]
    }

    /// The account's KMS status: always `Enabled` on a self-hosted server.
    pub fn describe_account_kms_status(&self, caller: &Caller) -> &'static str {
        let _ = caller;
        "Enabled"
    }
}
