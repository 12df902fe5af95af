//! DescribeSecret (ALIBABA.md §5.5): a secret's metadata, and its tags on request. Works in the
//! recovery window (the answer carries the planned delete time).

use crate::error::Error;
use crate::model::{SecretRecord, Tag};
use crate::service::{Caller, Kms};

/// What DescribeSecret returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretDescription {
    /// The secret's metadata.
    pub secret: SecretRecord,
    /// Its tags, when asked for (empty otherwise).
    pub tags: Vec<Tag>,
}

impl Kms {
    /// Describes a secret (metadata from the secret cache; tags from the store when asked).
    pub async fn describe_secret(
        &self,
        caller: &Caller,
        secret_ref: &str,
        fetch_tags: bool,
    ) -> Result<SecretDescription, Error> {
        let secret = self.authorized_secret(caller, "kms:DescribeSecret", secret_ref).await?.record.clone();
        let tags = if fetch_tags { self.store.list_secret_tags(&secret.secret_name).await? } else { Vec::new() };
        Ok(SecretDescription { secret, tags })
    }
}
