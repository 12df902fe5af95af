//! GetKeyPolicy and SetKeyPolicy (ALIBABA.md §5.1): the key's `default` policy document. A key
//! without a policy of its own answers Alibaba's default document, whose account-wide principal
//! `acs:ram::<account>:*` grants nothing beyond what the account's principals get from their own
//! policies (see [`crate::authz`]). A stored policy takes effect at once on this node (the key
//! cache is invalidated) and within the cache TTL on others.

use crate::error::Error;
use crate::ops::check_policy_name;
use crate::policy::{MAX_POLICY_BYTES, Policy, PolicyKind};
use crate::service::{Caller, Kms};
use crate::store::StoreError;

/// Alibaba's default key policy for `account_id`.
pub fn default_key_policy(account_id: &str) -> String {
    format!(
        r#"{{"Version":"1","Statement":[{{"Sid":"Enable the use of KMS","Effect":"Allow","Principal":{{"RAM":["acs:ram::{account_id}:*"]}},"Action":["kms:*"],"Resource":["*"]}}]}}"#
    )
}

/// Checks a key policy document: at most 32 KiB, a valid resource policy.
pub(crate) fn check_key_policy(document: &str) -> Result<(), Error> {
    if document.is_empty() || document.len() > MAX_POLICY_BYTES {
        return Err(Error::invalid("Policy", format!("must have 1-{MAX_POLICY_BYTES} bytes")));
    }
    Policy::parse(document, PolicyKind::Resource)?;
    Ok(())
}

impl Kms {
    /// The key's policy document (Alibaba's default when none was set).
    pub async fn get_key_policy(
        &self,
        caller: &Caller,
        key_ref: &str,
        policy_name: Option<&str>,
    ) -> Result<String, Error> {
        check_policy_name(policy_name, "key")?;
        let key = self.authorized_key(caller, "kms:GetKeyPolicy", key_ref, None).await?;
        Ok(self
            .store
            .get_key_policy(&key.record.key_id)
            .await?
            .unwrap_or_else(|| default_key_policy(&self.config.account_id)))
    }

    /// Replaces the key's policy document.
    pub async fn set_key_policy(
        &self,
        caller: &Caller,
        key_ref: &str,
        policy_name: Option<&str>,
        document: &str,
    ) -> Result<(), Error> {
        check_policy_name(policy_name, "key")?;
        check_key_policy(document)?;
        let key_id = self.authorized_key(caller, "kms:SetKeyPolicy", key_ref, None).await?.record.key_id.clone();
        let result = self.store.put_key_policy(&key_id, document).await;
        self.invalidate(&key_id);
        match result {
            Ok(()) => Ok(()),
            Err(StoreError::Conflict) => Err(Error::KeyNotFound),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::create_key::CreateKeyRequest;
    use crate::ops::testkit::{admin, kms};

    #[tokio::test]
    async fn default_then_set_then_get() {
        let kms = kms().await;
        let k = kms.create_key(&admin(), CreateKeyRequest::default()).await.unwrap();
        let default = kms.get_key_policy(&admin(), &k.key_id, None).await.unwrap();
        assert_eq!(default, default_key_policy(&kms.config().account_id));
        Policy::parse(&default, PolicyKind::Resource).expect("the default policy parses");
        let doc = r#"{"Version":"1","Statement":[{"Effect":"Allow","Principal":{"RAM":["acs:ram::1:user/a"]},"Action":"kms:Encrypt","Resource":"*"}]}"#;
        kms.set_key_policy(&admin(), &k.key_id, Some("default"), doc).await.unwrap();
        assert_eq!(kms.get_key_policy(&admin(), &k.key_id, None).await.unwrap(), doc);
    }

    #[tokio::test]
    async fn bad_documents_and_names_are_refused() {
        let kms = kms().await;
        let k = kms.create_key(&admin(), CreateKeyRequest::default()).await.unwrap();
        for bad in ["", "{", r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#] {
            let e = kms.set_key_policy(&admin(), &k.key_id, None, bad).await.unwrap_err();
            assert!(matches!(e, Error::InvalidParameter { name: "Policy", .. }), "{bad}: {e:?}");
        }
        let big = format!(r#"{{"Version":"1","Statement":[],"x":"{}"}}"#, "a".repeat(MAX_POLICY_BYTES));
        assert!(matches!(
            kms.set_key_policy(&admin(), &k.key_id, None, &big).await,
            Err(Error::InvalidParameter { name: "Policy", .. })
        ));
        assert!(matches!(
            kms.get_key_policy(&admin(), &k.key_id, Some("other")).await,
            Err(Error::InvalidParameter { name: "PolicyName", .. })
        ));
        assert!(matches!(kms.get_key_policy(&admin(), "nope", None).await, Err(Error::KeyNotFound)));
    }

    #[tokio::test]
    async fn create_key_stores_its_policy_and_refuses_a_bad_one() {
        let kms = kms().await;
        let doc =
            r#"{"Version":"1","Statement":[{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*"}]}"#;
        let k = kms
            .create_key(&admin(), CreateKeyRequest { policy: Some(doc.into()), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(kms.get_key_policy(&admin(), &k.key_id, None).await.unwrap(), doc);
        let bad = CreateKeyRequest { policy: Some("[]".into()), ..Default::default() };
        assert!(matches!(kms.create_key(&admin(), bad).await, Err(Error::InvalidParameter { name: "Policy", .. })));
    }
}
