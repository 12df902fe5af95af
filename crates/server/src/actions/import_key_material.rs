//! ImportKeyMaterial: `KeyId`, `EncryptedKeyMaterial` (base64), `ImportToken`,
//! `KeyMaterialExpireUnix` (seconds; 0 or absent = never).

use base64::Engine;
use keyward_core::ops::import_key_material::ImportKeyMaterialRequest;
use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::error::ApiError;

/// Longest accepted `EncryptedKeyMaterial` (base64 text): an RSA-4096 PKCS#8 wrapped for
/// import is about 3.3 KB.
const MAX_ENCRYPTED_MATERIAL: usize = 16 * 1024;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params;
    let key_ref = p.required("KeyId")?;
    let encoded = p.required("EncryptedKeyMaterial")?;
    let import_token = p.required("ImportToken")?;
    if encoded.len() > MAX_ENCRYPTED_MATERIAL {
        return Err(ApiError::invalid("EncryptedKeyMaterial", "too long"));
    }
    let encrypted = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| ApiError::invalid("EncryptedKeyMaterial", "must be base64"))?;
    let expire_unix = p.int("KeyMaterialExpireUnix")?;
    if expire_unix.is_some_and(|t| t < 0) {
        return Err(ApiError::invalid("KeyMaterialExpireUnix", "must not be negative"));
    }
    let req = ImportKeyMaterialRequest { key_ref, encrypted_key_material: &encrypted, import_token, expire_unix };
    ctx.kms.import_key_material(ctx.caller, req).await?;
    Ok(json!({}))
}
