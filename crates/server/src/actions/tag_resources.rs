//! TagResources: the same tags on up to 50 keys or secrets (`ResourceType`, `ResourceId.N`,
//! `Tag.N.Key`/`Tag.N.Value`).

use keyward_protocol::params::ParamError;
use serde_json::{Value, json};

use super::tag_params::{Kind, repeat, repeat_tags, resource_type};
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let kind = resource_type(p)?;
    let ids = repeat(p, "ResourceId");
    let tags = repeat_tags(p);
    if ids.is_empty() || ids.len() > 50 {
        return Err(ApiError::invalid("ResourceId", "give 1 to 50 ResourceId.N"));
    }
    if tags.is_empty() {
        return Err(ParamError::Missing("Tag.1.Key".into()).into());
    }
    for id in &ids {
        match kind {
            Kind::Key => ctx.kms.tag_key(ctx.caller, "kms:TagResources", id, &tags).await?,
            Kind::Secret => ctx.kms.tag_secret(ctx.caller, "kms:TagResources", id, &tags).await?,
        }
    }
    Ok(json!({}))
}
