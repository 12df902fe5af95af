//! ListResourceTags: `Tags.Tag[]{KeyId,TagKey,TagValue}` of one key.

use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let (key_id, tags) = ctx.kms.list_key_tags(ctx.caller, ctx.params.required("KeyId")?).await?;
    let list: Vec<Value> =
        tags.iter().map(|t| json!({ "KeyId": key_id, "TagKey": t.key, "TagValue": t.value })).collect();
    Ok(json!({ "Tags": { "Tag": list } }))
}
