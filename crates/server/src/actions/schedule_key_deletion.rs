//! ScheduleKeyDeletion.

use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let key_id = ctx.params.required("KeyId")?;
    let days = ctx.params.required_int("PendingWindowInDays")?;
    ctx.kms.schedule_key_deletion(ctx.caller, key_id, days).await?;
    Ok(json!({}))
}
