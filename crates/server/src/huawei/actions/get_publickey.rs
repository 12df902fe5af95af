//! get-publickey (`show_public_key`): the primary version's SubjectPublicKeyInfo as PEM with
//! CRLF line ends, as Huawei's examples show. Symmetric keys → `KMS.0331`, HMAC `KMS.0341`.

use keyward_protocol::huawei::codes;
use serde_json::json;

use crate::huawei::actions::common;
use crate::huawei::error::HwError;
use crate::huawei::{Ctx, Reply};

/// Handles `POST …/kms/get-publickey`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let key = common::body_key(ctx, "kms:GetPublicKey").await?;
    if key.spec.is_hmac() {
        return Err(HwError::new(codes::KMS_0341));
    }
    if !key.spec.is_asymmetric() {
        return Err(HwError::new(codes::KMS_0331));
    }
    let version = common::primary_version(&key)?;
    let pem = ctx.kms.get_public_key(ctx.caller, &key.key_id, version).await?.value;
    let crlf: String = pem.lines().map(|l| format!("{l}\r\n")).collect();
    Ok(Reply::Json(json!({"key_id": key.key_id, "public_key": crlf})))
}
