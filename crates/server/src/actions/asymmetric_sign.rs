//! AsymmetricSign: signs the base64 `Digest`; `Value` is the base64 signature.

use base64::Engine;
use serde_json::{Value, json};

use super::crypto_params::{B64, algorithm, b64};
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let (key, version, alg) = (p.required("KeyId")?, p.required("KeyVersionId")?, algorithm(p, "Algorithm")?);
    let digest = b64(p, "Digest")?;
    let o = ctx.kms.asymmetric_sign(ctx.caller, key, version, alg, &digest).await?;
    Ok(json!({ "Value": B64.encode(&o.value), "KeyId": o.key_id, "KeyVersionId": o.version_id }))
}
