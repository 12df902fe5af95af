//! UpdateKeyDescription: replaces a key's description.

use crate::error::Error;
use crate::model::KeyRecord;
use crate::ops::create_key::MAX_DESCRIPTION;
use crate::service::{Caller, Kms};

impl Kms {
    /// Replaces the description (0–8192 characters).
    pub async fn update_key_description(
        &self,
        caller: &Caller,
        key_ref: &str,
        description: String,
    ) -> Result<KeyRecord, Error> {
        self.authorized_key(caller, "kms:UpdateKeyDescription", key_ref, None).await?;
        if description.chars().count() > MAX_DESCRIPTION {
            return Err(Error::invalid("Description", "at most 8192 characters"));
        }
        self.update_key_with(key_ref, |k| {
            k.description.clone_from(&description);
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use crate::ops::create_key::CreateKeyRequest;
    use crate::ops::testkit::{admin, kms};

    #[tokio::test]
    async fn replaces_the_description() {
        let kms = kms().await;
        let k =
            kms.create_key(&admin(), CreateKeyRequest { description: "a".into(), ..Default::default() }).await.unwrap();
        kms.update_key_description(&admin(), &k.key_id, "b c".into()).await.unwrap();
        assert_eq!(kms.describe_key(&admin(), &k.key_id).await.unwrap().description, "b c");
        assert!(kms.update_key_description(&admin(), &k.key_id, "x".repeat(8193)).await.is_err());
    }
}
