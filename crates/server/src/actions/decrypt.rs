//! Decrypt: returns the `Plaintext` string Encrypt was given.

use serde_json::{Value, json};

use super::crypto_params::b64;
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    p.required("CiphertextBlob")?;
    let blob = b64(p, "CiphertextBlob").map_err(|_| ApiError::from(keyward_core::Error::InvalidCiphertext))?;
    let d = ctx.kms.decrypt(ctx.caller, &blob, p.opt("EncryptionContext")).await?;
    let text = String::from_utf8_lossy(d.plaintext.expose()).into_owned();
    Ok(json!({ "Plaintext": text, "KeyId": d.key_id, "KeyVersionId": d.version_id }))
}
