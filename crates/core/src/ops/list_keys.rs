//! ListKeys (ALIBABA.md §5.1): paging plus `Filters` (different keys ANDed, values ORed).

use crate::error::Error;
use crate::model::{KeyRecord, KeySpec, KeyState, KeyUsage, ProtectionLevel};
use crate::ops::{Page, Paged};
use crate::service::{Caller, Kms};

/// One ListKeys filter: a key and the values any of which may match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyFilter {
    /// `KeyState`.
    State(Vec<KeyState>),
    /// `KeySpec`.
    Spec(Vec<KeySpec>),
    /// `KeyUsage`.
    Usage(Vec<KeyUsage>),
    /// `ProtectionLevel`.
    ProtectionLevel(Vec<ProtectionLevel>),
    /// `CreatorType`: `User` or `Service` (true = Service). Every key created through the API is
    /// a user key.
    CreatorIsService(Vec<bool>),
    /// `DKMSInstanceId`.
    Instance(Vec<String>),
    /// `TagKey`: the key has a tag with one of these keys.
    TagKey(Vec<String>),
    /// `TagValue`: the key has a tag with one of these values.
    TagValue(Vec<String>),
}

impl KeyFilter {
    fn matches(&self, k: &KeyRecord, tags: &[(String, crate::model::Tag)]) -> bool {
        let key_tags = || tags.iter().filter(|(id, _)| *id == k.key_id).map(|(_, t)| t);
        match self {
            Self::TagKey(v) => key_tags().any(|t| v.contains(&t.key)),
            Self::TagValue(v) => key_tags().any(|t| v.contains(&t.value)),
            Self::State(v) => v.contains(&k.state),
            Self::Spec(v) => v.contains(&k.spec),
            Self::Usage(v) => v.contains(&k.usage),
            Self::ProtectionLevel(v) => v.contains(&k.protection_level),
            Self::CreatorIsService(v) => v.contains(&false),
            Self::Instance(v) => k.instance_id.as_ref().is_some_and(|i| v.contains(i)),
        }
    }
}

impl Kms {
    /// Lists keys matching every filter, ordered by creation date.
    pub async fn list_keys(
        &self,
        caller: &Caller,
        filters: &[KeyFilter],
        page: Page,
    ) -> Result<Paged<KeyRecord>, Error> {
        self.authorize_arn(caller, "kms:ListKeys", &self.collection_arn("key")).await?;
        let all = self.store.list_keys().await?.into_iter().map(|k| self.effective(k));
        let by_tag = filters.iter().any(|f| matches!(f, KeyFilter::TagKey(_) | KeyFilter::TagValue(_)));
        let tags = if by_tag { self.store.list_all_key_tags().await? } else { Vec::new() };
        let matching = all.filter(|k| filters.iter().all(|f| f.matches(k, &tags))).collect();
        Ok(Paged::cut(matching, page))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::create_key::CreateKeyRequest;
    use crate::ops::testkit::{admin, kms};

    #[tokio::test]
    async fn filters_and_paging() {
        let kms = kms().await;
        for _ in 0..3 {
            kms.create_key(&admin(), CreateKeyRequest::default()).await.unwrap();
        }
        let ec = CreateKeyRequest { spec: Some(KeySpec::EcP256), ..Default::default() };
        let ec = kms.create_key(&admin(), ec).await.unwrap();
        let all = kms.list_keys(&admin(), &[], Page { number: 1, size: 10 }).await.unwrap();
        assert_eq!((all.items.len(), all.total), (4, 4));
        let p2 = kms.list_keys(&admin(), &[], Page { number: 2, size: 3 }).await.unwrap();
        assert_eq!((p2.items.len(), p2.total), (1, 4));
        let sign = [KeyFilter::Usage(vec![KeyUsage::SignVerify])];
        let s = kms.list_keys(&admin(), &sign, Page { number: 1, size: 10 }).await.unwrap();
        assert_eq!(s.items, vec![ec.clone()]);
        let both = [KeyFilter::Usage(vec![KeyUsage::SignVerify]), KeyFilter::State(vec![KeyState::Disabled])];
        assert_eq!(kms.list_keys(&admin(), &both, Page { number: 1, size: 10 }).await.unwrap().total, 0);
        let either = [KeyFilter::Spec(vec![KeySpec::EcP256, KeySpec::Aes256])];
        assert_eq!(kms.list_keys(&admin(), &either, Page { number: 1, size: 10 }).await.unwrap().total, 4);
    }
}
