//! verify-mac (HUAWEI.md §1.7): the fields of generate-mac plus `mac` (base64) →
//! `{"key_id", "mac_algorithm", "mac_valid": true|false}` — a JSON boolean here, unlike verify's
//! `signature_valid` string. A MAC of the wrong length is simply not valid; `mac` that is not
//! base64 is `KMS.0308`.

use serde_json::json;

use crate::huawei::actions::common;
use crate::huawei::actions::generate_mac::MacRequest;
use crate::huawei::error::HwError;
use crate::huawei::{Ctx, Reply};

/// Handles `POST …/kms/verify-mac`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let req = MacRequest::parse(ctx, "kms:VerifyMac").await?;
    let text = ctx.body.req_str("mac")?;
    let mac = common::base64_field(&text, HwError::invalid("mac", "must be standard base64"))?;
    let valid = ctx.kms.verify_mac(ctx.caller, &req.key_id, req.algorithm, &req.message, &mac).await?;
    Ok(Reply::Json(json!({
        "key_id": req.key_id,
        "mac_algorithm": req.algorithm.as_str(),
        "mac_valid": valid,
    })))
}
