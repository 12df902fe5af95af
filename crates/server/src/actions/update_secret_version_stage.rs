//! UpdateSecretVersionStage: add, remove or move a stage. At least one of `RemoveFromVersion`
//! and `MoveToVersion` (else `MissingParameter`); `RemoveFromVersion` must name the stage's
//! holder (else `Rejected.InvalidRequest`, "param mismatch").

use keyward_protocol::params::ParamError;
use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let name = p.required("SecretName")?;
    let stage = p.required("VersionStage")?;
    let (remove, mv) = (p.opt("RemoveFromVersion"), p.opt("MoveToVersion"));
    if remove.is_none() && mv.is_none() {
        return Err(ParamError::Missing("MoveToVersion".into()).into());
    }
    let name = ctx.kms.update_secret_version_stage(ctx.caller, name, stage, remove, mv).await?;
    Ok(json!({ "SecretName": name }))
}
