//! DescribeAccountKmsStatus: `AccountStatus`.

use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    Ok(json!({ "AccountStatus": ctx.kms.describe_account_kms_status(ctx.caller).await? }))
}
