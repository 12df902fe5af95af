//! DescribeKey.

use serde_json::{Value, json};

use super::key_metadata;
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let key = ctx.kms.describe_key(ctx.caller, ctx.params.required("KeyId")?).await?;
    Ok(json!({ "KeyMetadata": key_metadata(ctx.kms, &key, true) }))
}
