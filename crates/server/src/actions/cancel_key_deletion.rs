//! CancelKeyDeletion.

use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    ctx.kms.cancel_key_deletion(ctx.caller, ctx.params.required("KeyId")?).await?;
    Ok(json!({}))
}
