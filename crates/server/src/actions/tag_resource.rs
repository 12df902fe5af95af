//! TagResource: adds or overwrites tags (`Tags` JSON) on one key.

use keyward_protocol::params::ParamError;
use serde_json::{Value, json};

use super::create_key::tags as json_tags;
use super::tag_params::key_only;
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let key = key_only(ctx.params)?;
    let tags = json_tags(ctx, "Tags")?;
    if tags.is_empty() {
        return Err(ParamError::Missing("Tags".into()).into());
    }
    ctx.kms.tag_key(ctx.caller, key, &tags).await?;
    Ok(json!({}))
}
