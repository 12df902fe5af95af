//! SetKeyPolicy: replaces the key's `default` policy document (a RAM resource policy, at most
//! 32 KiB), evaluated from the next request on.

use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    ctx.kms.set_key_policy(ctx.caller, p.required("KeyId")?, p.opt("PolicyName"), p.required("Policy")?).await?;
    Ok(json!({}))
}
