//! Parameter helpers of the tag actions: TagResource, UntagResource, ListResourceTags (one
//! resource, JSON parameters) and TagResources, UntagResources, ListTagResources (batch,
//! repeat-list parameters `ResourceId.N`, `Tag.N.Key`/`Tag.N.Value`, `TagKey.N`), on keys and
//! secrets. Certificates are not a keyward resource.

use crate::error::ApiError;
use keyward_core::model::Tag;
use keyward_protocol::params::Params;

/// Rows per ListTagResources page.
pub(crate) const PAGE: usize = 200;

/// The one resource a TagResource/UntagResource call names.
pub(crate) enum Resource<'a> {
    /// `KeyId`: a key id, ARN or alias.
    Key(&'a str),
    /// `SecretName`: a secret name or ARN.
    Secret(&'a str),
}

/// Which kind of resource a batch call (`ResourceType`) addresses.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `key`
    Key,
    /// `secret`
    Secret,
}

impl Kind {
    /// The wire name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Key => "key",
            Self::Secret => "secret",
        }
    }
}

/// Exactly one of `KeyId`, `SecretName` (`CertificateId` is refused: keyward has no
/// certificates).
pub(crate) fn resource(p: &Params) -> Result<Resource<'_>, ApiError> {
    if p.opt("CertificateId").is_some() {
        return Err(ApiError::with_message(
            keyward_protocol::codes::UNSUPPORTED_OPERATION,
            "keyward has no certificates; tag keys with KeyId or secrets with SecretName.",
        ));
    }
    match (p.opt("KeyId"), p.opt("SecretName")) {
        (Some(_), Some(_)) => Err(ApiError::invalid("SecretName", "give exactly one of KeyId and SecretName")),
        (Some(k), None) => Ok(Resource::Key(k)),
        (None, Some(s)) => Ok(Resource::Secret(s)),
        (None, None) => Err(keyward_protocol::params::ParamError::Missing("KeyId".into()).into()),
    }
}

/// Values of a repeat list `Name.1`, `Name.2`, … in index order.
pub(crate) fn repeat(p: &Params, prefix: &str) -> Vec<String> {
    let mut items: Vec<(u32, String)> = p
        .pairs()
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(prefix)?.strip_prefix('.')?.parse::<u32>().ok().map(|i| (i, v.clone())))
        .collect();
    items.sort_by_key(|(i, _)| *i);
    items.into_iter().map(|(_, v)| v).collect()
}

pub(crate) fn repeat_tags(p: &Params) -> Vec<Tag> {
    let mut idx: Vec<u32> =
        p.pairs().iter().filter_map(|(k, _)| k.strip_prefix("Tag.")?.split('.').next()?.parse::<u32>().ok()).collect();
    idx.sort_unstable();
    idx.dedup();
    idx.into_iter()
        .filter_map(|i| {
            let key = p.get(&format!("Tag.{i}.Key"))?.to_string();
            Some(Tag { key, value: p.get(&format!("Tag.{i}.Value")).unwrap_or_default().to_string() })
        })
        .collect()
}

pub(crate) fn resource_type(p: &Params) -> Result<Kind, ApiError> {
    match p.required("ResourceType")? {
        t if t.eq_ignore_ascii_case("key") => Ok(Kind::Key),
        t if t.eq_ignore_ascii_case("secret") => Ok(Kind::Secret),
        _ => Err(ApiError::invalid("ResourceType", "use key or secret")),
    }
}
