//! AsymmetricEncrypt: raw RSA-OAEP or SM2 ciphertext with the version's public key; `Plaintext` is base64.

use base64::Engine;
use serde_json::{Value, json};

use super::crypto_params::{B64, algorithm, b64};
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let (key, version, alg) = (p.required("KeyId")?, p.required("KeyVersionId")?, algorithm(p, "Algorithm")?);
    let plaintext = b64(p, "Plaintext")?;
    let o = ctx.kms.asymmetric_encrypt(ctx.caller, key, version, alg, &plaintext).await?;
    Ok(json!({ "CiphertextBlob": B64.encode(&o.value), "KeyId": o.key_id, "KeyVersionId": o.version_id }))
}
