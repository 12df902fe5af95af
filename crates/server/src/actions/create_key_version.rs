//! CreateKeyVersion: `KeyVersion{KeyId,KeyVersionId,CreationDate}`.

use keyward_protocol::time::format as t;
use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let v = ctx.kms.create_key_version(ctx.caller, ctx.params.required("KeyId")?).await?;
    Ok(json!({ "KeyVersion": { "KeyId": v.key_id, "KeyVersionId": v.version_id, "CreationDate": t(v.creation_date) } }))
}
