//! Parameter helpers of the tag actions: TagResource, UntagResource, ListResourceTags (one
//! resource, JSON parameters) and TagResources, UntagResources, ListTagResources (batch,
//! repeat-list parameters `ResourceId.N`, `Tag.N.Key`/`Tag.N.Value`, `TagKey.N`). Keys only for
//! now; secrets join when they exist.

use crate::error::ApiError;
use keyward_core::model::Tag;
use keyward_protocol::params::Params;

/// Rows per ListTagResources page.
pub(crate) const PAGE: usize = 200;

pub(crate) fn key_only(p: &Params) -> Result<&str, ApiError> {
    if p.opt("SecretName").is_some() || p.opt("CertificateId").is_some() {
        return Err(ApiError::with_message(
            keyward_protocol::codes::UNSUPPORTED_OPERATION,
            "Tags on secrets and certificates are not available yet; tag keys with KeyId.",
        ));
    }
    Ok(p.required("KeyId")?)
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

pub(crate) fn resource_type(p: &Params) -> Result<(), ApiError> {
    match p.required("ResourceType")? {
        t if t.eq_ignore_ascii_case("key") => Ok(()),
        t if t.eq_ignore_ascii_case("secret") => Err(ApiError::with_message(
            keyward_protocol::codes::UNSUPPORTED_OPERATION,
            "Tags on secrets are not available yet.",
        )),
        _ => Err(ApiError::invalid("ResourceType", "use key or secret")),
    }
}
