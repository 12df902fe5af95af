//! UntagResources: removes `TagKey.N` (or `All`) from up to 50 keys.

use keyward_protocol::params::ParamError;
use serde_json::{Value, json};

use super::tag_params::{repeat, resource_type};
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    resource_type(p)?;
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
        ctx.kms.untag_key(ctx.caller, id, if all { None } else { Some(&keys) }).await?;
    }
    Ok(json!({}))
}
