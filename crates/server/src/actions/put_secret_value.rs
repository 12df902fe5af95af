//! PutSecretValue: a new version (`VersionStages` JSON array, default `["ACSCurrent"]`).
//! Version ids and stage names are 1–64 characters of `[A-Za-z0-9_.@+=:-]`.

use serde_json::{Value, json};

use super::secret_params::{data_type, secret_data, stages_json, version_stages};
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let name = p.required("SecretName")?;
    let version_id = p.required("VersionId")?;
    let data = secret_data(p)?;
    let r = ctx.kms.put_secret_value(ctx.caller, name, version_id, data, data_type(p)?, version_stages(p)?).await?;
    Ok(json!({ "SecretName": r.secret_name, "VersionId": r.version_id, "VersionStages": stages_json(&r.stages) }))
}
