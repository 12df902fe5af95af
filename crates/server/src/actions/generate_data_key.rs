//! GenerateDataKey: a data key in plaintext (base64) and sealed under the key.

use base64::Engine;
use keyward_core::ops::generate_data_key::data_key_len;
use serde_json::{Value, json};

use super::crypto_params::B64;
use crate::dispatch::Ctx;
use crate::error::ApiError;

/// Shared with GenerateDataKeyWithoutPlaintext.
pub(crate) async fn generate(ctx: &Ctx<'_>, with_plaintext: bool) -> Result<Value, ApiError> {
    let p = ctx.params;
    let key_id = p.required("KeyId")?;
    let len = data_key_len(p.opt("KeySpec"), p.int("NumberOfBytes")?)?;
    let action = if with_plaintext { "kms:GenerateDataKey" } else { "kms:GenerateDataKeyWithoutPlaintext" };
    let dk = ctx.kms.generate_data_key(ctx.caller, action, key_id, len, p.opt("EncryptionContext")).await?;
    let mut out = json!({
        "CiphertextBlob": B64.encode(&dk.encrypted.blob),
        "KeyId": dk.encrypted.key_id,
        "KeyVersionId": dk.encrypted.version_id,
    });
    if with_plaintext {
        out["Plaintext"] = json!(B64.encode(dk.plaintext.expose()));
    }
    Ok(out)
}

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    generate(ctx, true).await
}
