//! AsymmetricVerify: `Value` comes back as a JSON boolean.

use serde_json::{Value, json};

use super::crypto_params::{algorithm, b64};
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let (key, version, alg) = (p.required("KeyId")?, p.required("KeyVersionId")?, algorithm(p, "Algorithm")?);
    let digest = b64(p, "Digest")?;
    let signature = b64(p, "Value")?;
    let o = ctx.kms.asymmetric_verify(ctx.caller, key, version, alg, &digest, &signature).await?;
    Ok(json!({ "Value": o.value, "KeyId": o.key_id, "KeyVersionId": o.version_id }))
}
