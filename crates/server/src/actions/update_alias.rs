//! UpdateAlias.

use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    ctx.kms.update_alias(ctx.caller, p.required("AliasName")?, p.required("KeyId")?).await?;
    Ok(json!({}))
}
