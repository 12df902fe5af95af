//! GetPublicKey: PEM SubjectPublicKeyInfo of a version.

use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let o = ctx.kms.get_public_key(ctx.caller, p.required("KeyId")?, p.required("KeyVersionId")?).await?;
    Ok(json!({ "PublicKey": o.value, "KeyId": o.key_id, "KeyVersionId": o.version_id }))
}
