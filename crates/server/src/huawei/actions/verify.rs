//! verify (`validate_signature`): the fields of sign plus `signature` (base64).
//! `{"key_id","signature_valid": "true"|"false"}` (strings).

use keyward_protocol::huawei::codes;
use serde_json::json;

use crate::huawei::actions::{common, sign};
use crate::huawei::error::HwError;
use crate::huawei::{Ctx, Reply};

/// Handles `POST …/kms/verify`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let signature = common::base64_field(
        &ctx.body.req_str("signature")?,
        HwError::with_message(codes::KMS_0308, "Invalid parameter signature: it must be base64."),
    )?;
    let p = sign::prepare(ctx, "kms:AsymmetricVerify").await?;
    let out = ctx
        .kms
        .asymmetric_verify(ctx.caller, &p.key.key_id, &p.version, p.algorithm, &p.digest, &signature)
        .await
        .map_err(sign::map_error)?;
    Ok(Reply::Json(json!({"key_id": p.key.key_id, "signature_valid": if out.value { "true" } else { "false" }})))
}
