//! Encrypt: `Plaintext` is an opaque string (its UTF-8 bytes are sealed; Decrypt returns it
//! unchanged).

use base64::Engine;
use serde_json::{Value, json};

use super::crypto_params::B64;
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let key_id = p.required("KeyId")?;
    let plaintext =
        p.get("Plaintext").ok_or_else(|| keyward_protocol::params::ParamError::Missing("Plaintext".into()))?;
    let e = ctx.kms.encrypt(ctx.caller, key_id, plaintext.as_bytes(), p.opt("EncryptionContext")).await?;
    Ok(json!({ "CiphertextBlob": B64.encode(&e.blob), "KeyId": e.key_id, "KeyVersionId": e.version_id }))
}
