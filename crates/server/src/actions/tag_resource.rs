//! TagResource: adds or overwrites tags (`Tags` JSON) on one key (`KeyId`) or secret (`SecretName`).

use keyward_protocol::params::ParamError;
use serde_json::{Value, json};

use super::create_key::tags as json_tags;
use super::tag_params::{Resource, resource};
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let target = resource(ctx.params)?;
    let tags = json_tags(ctx, "Tags")?;
    if tags.is_empty() {
        return Err(ParamError::Missing("Tags".into()).into());
    }
    match target {
        Resource::Key(key) => ctx.kms.tag_key(ctx.caller, "kms:TagResource", key, &tags).await?,
        Resource::Secret(name) => ctx.kms.tag_secret(ctx.caller, "kms:TagResource", name, &tags).await?,
    }
    Ok(json!({}))
}
