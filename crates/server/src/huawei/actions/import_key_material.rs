//! import-key-material (HUAWEI.md §1.4, §3.3, §3.4): answers `200 {}` and the key goes from
//! `"5"` to `"2"`.
//!
//! * Symmetric keys (`AES_256`, `SM4`): `encrypted_key_material` is the wrapped material itself
//!   (32 or 16 bytes, else `KMS.2604`), through `Kms::import_key_material`. An optional
//!   `expiration_time` (Unix seconds, integer or numeric string; `0` = never) must lie in the
//!   future (`KMS.2602`); the key returns to `"5"` from that second on.
//! * Asymmetric keys (RSA, `EC_P256`, `EC_P384`, `SECP256K1`): `encrypted_key_material` is
//!   RSA-OAEP-SHA-256 of a 16- or 32-byte temporary AES key and `encrypted_privatekey` the RFC 5649
//!   wrap of the PKCS#8 DER private key under it, through `Kms::import_wrapped_private_key`
//!   (missing `KMS.2608`, invalid `KMS.2609`, temporary key length `KMS.2610`,
//!   `expiration_time` `KMS.0325`).
//!
//! Common refusals: a KMS-origin key `KMS.0309`; a key not pending import `KMS.0310`; token
//! errors `KMS.2601` (expired), `KMS.2603` (another key's token), `KMS.2605` (forged or altered);
//! material that does not decrypt `KMS.0311`; material other than the key's first `KMS.2606`.
//! The codes come from the one mapping in `huawei::error`. `import_token` is the framed token of
//! get-parameters-for-import (see there); a bare core ImportToken is accepted too.

use keyward_core::model::{KeyState, Origin};
use keyward_core::ops::import_key_material::ImportKeyMaterialRequest;
use keyward_core::ops::import_wrapped_private_key::ImportWrappedPrivateKeyRequest;
use keyward_protocol::huawei::codes;
use serde_json::json;

use crate::huawei::actions::common;
use crate::huawei::actions::get_parameters_for_import::{not_pending, unwrap_token};
use crate::huawei::error::HwError;
use crate::huawei::{Ctx, Reply};

/// Longest accepted base64 text of either encrypted field (the regexes allow 6144 characters).
const MAX_FIELD: usize = 16 * 1024;

/// Handles `POST …/kms/import-key-material`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let key = common::body_key(ctx, "kms:ImportKeyMaterial").await?;
    let token = unwrap_token(&ctx.body.req_str("import_token")?)?;
    let material = decode(&ctx.body.req_str("encrypted_key_material")?, "encrypted_key_material")?;
    let private_key = match ctx.body.opt_str("encrypted_privatekey")?.filter(|s| !s.is_empty()) {
        Some(text) => Some(decode(&text, "encrypted_privatekey")?),
        None => None,
    };
    let expire_unix = ctx.body.opt_int("expiration_time", codes::KMS_0308)?;
    if key.origin != Origin::External {
        return Err(HwError::new(codes::KMS_0309));
    }
    if key.state != KeyState::PendingImport {
        return Err(not_pending(key.state));
    }
    if key.spec.is_asymmetric() {
        let req = ImportWrappedPrivateKeyRequest {
            key_ref: &key.key_id,
            import_token: &token,
            encrypted_temporary_key: &material,
            encrypted_private_key: private_key.as_deref(),
            expire_unix,
        };
        ctx.kms.import_wrapped_private_key(ctx.caller, req).await?;
    } else {
        if private_key.is_some() {
            return Err(HwError::with_message(
                codes::KMS_0331,
                "The symmetric key is not support this operation: symmetric material comes in \
                 encrypted_key_material alone, without encrypted_privatekey.",
            ));
        }
        let req = ImportKeyMaterialRequest {
            key_ref: &key.key_id,
            encrypted_key_material: &material,
            import_token: &token,
            expire_unix,
        };
        ctx.kms.import_key_material(ctx.caller, req).await?;
    }
    Ok(Reply::Json(json!({})))
}

/// Decodes a base64 field of bounded length (`KMS.0308` otherwise).
fn decode(text: &str, name: &str) -> Result<Vec<u8>, HwError> {
    if text.len() > MAX_FIELD {
        return Err(HwError::invalid(name, format!("longer than {MAX_FIELD} characters")));
    }
    common::base64_field(text, HwError::invalid(name, "must be standard base64"))
}
