//! UntagResources: removes `TagKey.N` (or `All`) from up to 50 keys or secrets (`ResourceType`).

use keyward_protocol::params::ParamError;
use serde_json::{Value, json};

use super::tag_params::{Kind, repeat, resource_type};
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let kind = resource_type(p)?;
    let ids = repeat(p, "ResourceId");
    if ids.is_empty() || ids.len() > 50 {
        return Err(ApiError::invalid("ResourceId", "give 1 to 50 ResourceId.N"));
    }
    let all = p.bool("All")?.unwrap_or(false);
    let keys = repeat(p, "TagKey");
    if !all && keys.is_empty() {
        return Err(ParamError::Missing("TagKey.1".into()).into());
    }
    for id in &ids {
        let keys = if all { None } else { Some(keys.as_slice()) };
        match kind {
            Kind::Key => ctx.kms.untag_key(ctx.caller, "kms:UntagResources", id, keys).await?,
            Kind::Secret => ctx.kms.untag_secret(ctx.caller, "kms:UntagResources", id, keys).await?,
        }
    }
    Ok(json!({}))
}
