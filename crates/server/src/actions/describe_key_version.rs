//! DescribeKeyVersion.

use keyward_protocol::time::format as t;
use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let v = ctx.kms.describe_key_version(ctx.caller, p.required("KeyId")?, p.required("KeyVersionId")?).await?;
    Ok(json!({ "KeyVersion": { "KeyId": v.key_id, "KeyVersionId": v.version_id, "CreationDate": t(v.creation_date) } }))
}
