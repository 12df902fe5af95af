//! UpdateKeyDescription.

use keyward_protocol::params::ParamError;
use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let key_id = ctx.params.required("KeyId")?;
    // Required, but an empty value is a legitimate way to clear the description.
    let description = ctx.params.get("Description").ok_or_else(|| ParamError::Missing("Description".into()))?;
    ctx.kms.update_key_description(ctx.caller, key_id, description.to_string()).await?;
    Ok(json!({}))
}
