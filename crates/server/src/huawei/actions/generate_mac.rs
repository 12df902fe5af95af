//! generate-mac (HUAWEI.md §1.7): `key_id` of an HMAC key (`HMAC_256/384/512`, usage
//! `GENERATE_VERIFY_MAC`), `mac_algorithm` (`HMAC_SHA_256/384/512`, the one of the key's spec),
//! `message` (base64 of 1–4096 bytes) → `{"key_id", "mac_algorithm", "mac": base64}`.
//!
//! The request parsing is shared with verify-mac ([`MacRequest`]). A key that is not an HMAC key,
//! or an algorithm of another spec, is refused by the core; a disabled key is `KMS.0209`.

use keyward_crypto::mac::MacAlgorithm;
use serde_json::json;

use crate::huawei::actions::common;
use crate::huawei::error::HwError;
use crate::huawei::{Ctx, Reply};

/// Longest `message`, in bytes after base64 decoding.
const MAX_MESSAGE: usize = 4096;

/// The fields generate-mac and verify-mac share.
pub(crate) struct MacRequest {
    /// The key's id (resolved from an alias if one was given).
    pub key_id: String,
    /// `mac_algorithm`.
    pub algorithm: MacAlgorithm,
    /// The decoded `message`.
    pub message: Vec<u8>,
}

impl MacRequest {
    /// Reads `key_id`, `mac_algorithm` and `message` (`KMS.0204` missing, `KMS.0308` malformed).
    /// `action` (`kms:GenerateMac` / `kms:VerifyMac`) is authorized on the key.
    pub(crate) async fn parse(ctx: &Ctx<'_>, action: &str) -> Result<Self, HwError> {
        let key = common::body_key(ctx, action).await?;
        let name = ctx.body.req_str("mac_algorithm")?;
        let algorithm = MacAlgorithm::parse(&name)
            .ok_or_else(|| HwError::invalid("mac_algorithm", "use HMAC_SHA_256, HMAC_SHA_384 or HMAC_SHA_512"))?;
        let text = ctx.body.req_str("message")?;
        let message = common::base64_field(&text, HwError::invalid("message", "must be standard base64"))?;
        if message.is_empty() || message.len() > MAX_MESSAGE {
            return Err(HwError::invalid("message", format!("must decode to 1 to {MAX_MESSAGE} bytes")));
        }
        Ok(Self { key_id: key.key_id, algorithm, message })
    }
}

/// Handles `POST …/kms/generate-mac`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let req = MacRequest::parse(ctx, "kms:GenerateMac").await?;
    let mac = ctx.kms.generate_mac(ctx.caller, &req.key_id, req.algorithm, &req.message).await?;
    Ok(Reply::Json(json!({
        "key_id": req.key_id,
        "mac_algorithm": req.algorithm.as_str(),
        "mac": common::b64(&mac),
    })))
}
