//! ListSecrets (ALIBABA.md §5.5): paging plus `Filters` (different keys ANDed, values ORed).
//! Secrets in their recovery window are listed (with their planned delete time).

use crate::error::Error;
use crate::model::{SecretRecord, SecretType, Tag};
use crate::ops::{Page, Paged};
use crate::service::{Caller, Kms};

/// One ListSecrets filter: a key and the values any of which may match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretFilter {
    /// `SecretName`: the name contains one of these.
    Name(Vec<String>),
    /// `Description`: the description contains one of these.
    Description(Vec<String>),
    /// `TagKey`: the secret has a tag with one of these keys.
    TagKey(Vec<String>),
    /// `TagValue`: the secret has a tag with one of these values.
    TagValue(Vec<String>),
    /// `DKMSInstanceId`.
    Instance(Vec<String>),
    /// `SecretType`.
    Type(Vec<SecretType>),
    /// `Creator`: the creator's account id.
    Creator(Vec<String>),
}

impl SecretFilter {
    fn matches(&self, s: &SecretRecord, tags: &[Tag]) -> bool {
        match self {
            Self::Name(v) => v.iter().any(|x| s.secret_name.contains(x.as_str())),
            Self::Description(v) => v.iter().any(|x| s.description.contains(x.as_str())),
            Self::TagKey(v) => tags.iter().any(|t| v.contains(&t.key)),
            Self::TagValue(v) => tags.iter().any(|t| v.contains(&t.value)),
            Self::Instance(v) => s.instance_id.as_ref().is_some_and(|i| v.contains(i)),
            Self::Type(v) => v.contains(&s.secret_type),
            Self::Creator(v) => v.contains(&s.creator),
        }
    }
}

/// A listed secret with its tags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedSecret {
    /// The secret's metadata.
    pub secret: SecretRecord,
    /// Its tags, by tag key.
    pub tags: Vec<Tag>,
}

impl Kms {
    /// Lists secrets matching every filter, by creation date then name.
    pub async fn list_secrets(
        &self,
        caller: &Caller,
        filters: &[SecretFilter],
        page: Page,
    ) -> Result<Paged<ListedSecret>, Error> {
        self.authorize_arn(caller, "kms:ListSecrets", &self.collection_arn("secret")).await?;
        let all_tags = self.store.list_all_secret_tags().await?;
        let matching = self
            .store
            .list_secrets()
            .await?
            .into_iter()
            .filter(|s| !self.secret_purged(s))
            .map(|secret| {
                let tags = all_tags.iter().filter(|(n, _)| *n == secret.secret_name).map(|(_, t)| t.clone()).collect();
                ListedSecret { secret, tags }
            })
            .filter(|l| filters.iter().all(|f| f.matches(&l.secret, &l.tags)))
            .collect();
        Ok(Paged::cut(matching, page))
    }
}
