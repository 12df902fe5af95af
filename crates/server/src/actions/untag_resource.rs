//! UntagResource: removes tags (`TagKeys`, JSON array or comma-separated) from one key (`KeyId`)
//! or secret (`SecretName`).

use serde_json::{Value, json};

use super::tag_params::{Resource, resource};
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let target = resource(ctx.params)?;
    let raw = ctx.params.required("TagKeys")?;
    // Documented as a JSON array; the description also says comma-separated: accept both.
    let keys: Vec<String> = match serde_json::from_str::<Vec<String>>(raw) {
        Ok(v) => v,
        Err(_) => raw.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
    };
    match target {
        Resource::Key(key) => ctx.kms.untag_key(ctx.caller, "kms:UntagResource", key, Some(&keys)).await?,
        Resource::Secret(name) => ctx.kms.untag_secret(ctx.caller, "kms:UntagResource", name, Some(&keys)).await?,
    }
    Ok(json!({}))
}
