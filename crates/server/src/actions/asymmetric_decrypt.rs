//! AsymmetricDecrypt: `CiphertextBlob` is a raw RSA-OAEP or SM2 ciphertext (base64).

use base64::Engine;
use serde_json::{Value, json};

use super::crypto_params::{B64, algorithm, b64};
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let (key, version, alg) = (p.required("KeyId")?, p.required("KeyVersionId")?, algorithm(p, "Algorithm")?);
    let ciphertext = b64(p, "CiphertextBlob")?;
    let o = ctx.kms.asymmetric_decrypt(ctx.caller, key, version, alg, &ciphertext).await?;
    Ok(json!({ "Plaintext": B64.encode(o.value.expose()), "KeyId": o.key_id, "KeyVersionId": o.version_id }))
}
