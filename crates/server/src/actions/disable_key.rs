//! DisableKey.

use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    ctx.kms.disable_key(ctx.caller, ctx.params.required("KeyId")?).await?;
    Ok(json!({}))
}
