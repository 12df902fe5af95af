//! DescribeKey: a key's metadata, by id, ARN or alias, in any state.

use crate::error::Error;
use crate::model::KeyRecord;
use crate::service::{Caller, Kms};

impl Kms {
    /// Returns the key's metadata.
    pub async fn describe_key(&self, caller: &Caller, key_ref: &str) -> Result<KeyRecord, Error> {
        self.authorized_record(caller, "kms:DescribeKey", key_ref).await
    }
}

#[cfg(test)]
mod tests {
    use crate::Error;
    use crate::ops::create_key::CreateKeyRequest;
    use crate::ops::testkit::{admin, kms};

    #[tokio::test]
    async fn by_id_and_by_arn_but_not_a_foreign_arn() {
        let kms = kms().await;
        let k = kms.create_key(&admin(), CreateKeyRequest::default()).await.unwrap();
        assert_eq!(kms.describe_key(&admin(), &k.key_id).await.unwrap(), k);
        assert_eq!(kms.describe_key(&admin(), &kms.key_arn(&k.key_id)).await.unwrap(), k);
        let foreign = format!("acs:kms:cn-beijing:1:key/{}", k.key_id);
        assert!(matches!(kms.describe_key(&admin(), &foreign).await, Err(Error::KeyNotFound)));
        assert!(matches!(kms.describe_key(&admin(), "nope").await, Err(Error::KeyNotFound)));
        assert!(matches!(kms.describe_key(&admin(), "alias/x").await, Err(Error::AliasNotFound)));
    }
}
