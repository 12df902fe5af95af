//! RotateSecret: managed secrets only. keyward has only Generic secrets, so an existing secret
//! answers `Rejected.UnsupportedOperation` (rotate a Generic secret with PutSecretValue); an
//! unknown one `Forbidden.ResourceNotFound`.

use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let name = p.required("SecretName")?;
    let version_id = p.required("VersionId")?;
    ctx.kms.rotate_secret(ctx.caller, name, version_id).await?;
    Ok(json!({ "Arn": ctx.kms.secret_arn(name), "SecretName": name, "VersionId": version_id }))
}
