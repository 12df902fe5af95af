//! RestoreSecret: ends a secret's recovery window (`Rejected.ResourceInUse` when there is none).

use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let name = ctx.kms.restore_secret(ctx.caller, ctx.params.required("SecretName")?).await?;
    Ok(json!({ "SecretName": name }))
}
