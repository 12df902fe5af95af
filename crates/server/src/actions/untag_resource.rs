//! UntagResource: removes tags (`TagKeys`, JSON array or comma-separated) from one key.

use serde_json::{Value, json};

use super::tag_params::key_only;
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let key = key_only(ctx.params)?;
    let raw = ctx.params.required("TagKeys")?;
    // Documented as a JSON array; the description also says comma-separated: accept both.
    let keys: Vec<String> = match serde_json::from_str::<Vec<String>>(raw) {
        Ok(v) => v,
        Err(_) => raw.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
    };
    ctx.kms.untag_key(ctx.caller, key, Some(&keys)).await?;
    Ok(json!({}))
}
