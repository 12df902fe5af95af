//! SetDeletionProtection: the key is named by `ProtectedResourceArn` (documented) or `KeyId`
//! (SDK 3.x).

use keyward_protocol::params::ParamError;
use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let key_ref = p
        .opt("ProtectedResourceArn")
        .or_else(|| p.opt("KeyId"))
        .ok_or_else(|| ParamError::Missing("ProtectedResourceArn".into()))?;
    let enabled = p.required_bool("EnableDeletionProtection")?;
    let description = p.get("DeletionProtectionDescription").unwrap_or_default().to_string();
    ctx.kms.set_deletion_protection(ctx.caller, key_ref, enabled, description).await?;
    Ok(json!({}))
}
