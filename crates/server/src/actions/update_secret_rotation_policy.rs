//! UpdateSecretRotationPolicy: managed secrets only. keyward has only Generic secrets, so an
//! existing secret answers `Rejected.UnsupportedOperation`; an unknown one
//! `Forbidden.ResourceNotFound`. The parameters are still checked first.

use serde_json::{Value, json};

use super::parse_interval;
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let name = p.required("SecretName")?;
    p.required_bool("EnableAutomaticRotation")?;
    if let Some(s) = p.opt("RotationInterval") {
        parse_interval("RotationInterval", s)?;
    }
    ctx.kms.update_secret_rotation_policy(ctx.caller, name).await?;
    Ok(json!({ "SecretName": name }))
}
