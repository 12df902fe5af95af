//! DeleteKeyMaterial: the key stays, its imported material goes (`PendingImport`).

use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    ctx.kms.delete_key_material(ctx.caller, ctx.params.required("KeyId")?).await?;
    Ok(json!({}))
}
