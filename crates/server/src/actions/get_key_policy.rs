//! GetKeyPolicy: the key's `default` policy document (Alibaba's default document when none was
//! set).

use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let policy = ctx.kms.get_key_policy(ctx.caller, p.required("KeyId")?, p.opt("PolicyName")).await?;
    Ok(json!({ "Policy": policy }))
}
