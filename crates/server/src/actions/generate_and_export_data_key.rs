//! GenerateAndExportDataKey: GenerateDataKey plus ExportDataKey in one call.

use base64::Engine;
use keyward_core::ops::export_data_key::ExportTarget;
use keyward_core::ops::generate_data_key::data_key_len;
use serde_json::{Value, json};

use super::crypto_params::B64;
use super::export_data_key::target;
use crate::dispatch::Ctx;
use crate::error::ApiError;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let key_id = p.required("KeyId")?;
    let len = data_key_len(p.opt("KeySpec"), p.int("NumberOfBytes")?)?;
    let (public, spec, algorithm) = target(p)?;
    let t = ExportTarget { public_key_der: &public, spec, algorithm };
    let (enc, exported) =
        ctx.kms.generate_and_export_data_key(ctx.caller, key_id, len, p.opt("EncryptionContext"), t).await?;
    Ok(json!({
        "CiphertextBlob": B64.encode(&enc.blob),
        "ExportedDataKey": B64.encode(&exported),
        "KeyId": enc.key_id,
        "KeyVersionId": enc.version_id,
    }))
}
