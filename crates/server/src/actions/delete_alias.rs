//! DeleteAlias.

use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    ctx.kms.delete_alias(ctx.caller, ctx.params.required("AliasName")?).await?;
    Ok(json!({}))
}
