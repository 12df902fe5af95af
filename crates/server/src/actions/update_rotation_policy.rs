//! UpdateRotationPolicy: `EnableAutomaticRotation` (required), `RotationInterval` (required when
//! enabling; `7d`, `168h`, `604800s`).

use serde_json::{Value, json};

use super::parse_interval;
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let key_id = p.required("KeyId")?;
    let enable = p.required_bool("EnableAutomaticRotation")?;
    let interval = match p.opt("RotationInterval") {
        Some(s) => Some(parse_interval("RotationInterval", s)?),
        None => None,
    };
    ctx.kms.update_rotation_policy(ctx.caller, key_id, enable, interval).await?;
    Ok(json!({}))
}
