//! create-datakey: a random data key (`datakey_length` bits, 8–8192 in multiples of 8, wins
//! over `key_spec` `AES_256`/`AES_128`; 256 bits by default) returned as upper-case hex, and
//! sealed under the key as `cipher_text` = HEX(ciphertext blob of the raw data key), with the
//! request's context ([`common::context_json`]). decrypt-datakey opens it.

use keyward_core::model::KeyRecord;
use keyward_crypto::{SecretBytes, random};
use keyward_protocol::huawei::codes;
use serde_json::json;

use crate::huawei::actions::common;
use crate::huawei::error::HwError;
use crate::huawei::{Ctx, Reply};

/// The data key length in bytes from `datakey_length` (bits) or `key_spec`.
pub fn datakey_len(ctx: &Ctx<'_>) -> Result<usize, HwError> {
    if let Some(bits) = ctx.body.opt_int("datakey_length", codes::KMS_1901)? {
        if !(8..=8192).contains(&bits) {
            return Err(HwError::new(codes::KMS_1901));
        }
        if bits % 8 != 0 {
            return Err(HwError::new(codes::KMS_1903));
        }
        return usize::try_from(bits / 8).map_err(|_| HwError::new(codes::KMS_1901));
    }
    match ctx.body.opt_str("key_spec")?.filter(|s| !s.is_empty()).as_deref() {
        None | Some("AES_256") => Ok(32),
        Some("AES_128") => Ok(16),
        Some(_) => Err(HwError::new(codes::KMS_1902)),
    }
}

/// Refuses keys that cannot seal data keys: HMAC `KMS.0341`, asymmetric `KMS.0325`.
pub fn check_symmetric(key: &KeyRecord) -> Result<(), HwError> {
    if key.spec.is_hmac() {
        return Err(HwError::new(codes::KMS_0341));
    }
    if !key.spec.is_symmetric() {
        return Err(HwError::new(codes::KMS_0325));
    }
    Ok(())
}

/// Seals a raw data key under the key with the request's context: HEX of the blob.
/// `action` is what the caller asked for (`kms:GenerateDataKey`, `kms:Encrypt`, ...).
pub async fn seal(ctx: &Ctx<'_>, action: &str, key: &KeyRecord, dek: &[u8]) -> Result<String, HwError> {
    let context = common::context_json(ctx)?;
    let e = ctx.kms.encrypt_as(ctx.caller, action, &key.key_id, dek, context.as_deref()).await?;
    Ok(hex::encode_upper(e.blob))
}

/// A fresh data key sealed under the body's key: (key, data key, HEX cipher).
/// `action`: `kms:GenerateDataKey` or `kms:GenerateDataKeyWithoutPlaintext`.
pub async fn generate(ctx: &Ctx<'_>, action: &str) -> Result<(KeyRecord, SecretBytes, String), HwError> {
    let len = datakey_len(ctx)?;
    let key = common::body_key(ctx, action).await?;
    check_symmetric(&key)?;
    let dek = SecretBytes::new(random::bytes(len).map_err(|e| HwError::internal(e.to_string()))?);
    let cipher = seal(ctx, action, &key, dek.expose()).await?;
    Ok((key, dek, cipher))
}

/// Handles `POST …/kms/create-datakey`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let (key, dek, cipher) = generate(ctx, "kms:GenerateDataKey").await?;
    let plain = zeroize::Zeroizing::new(hex::encode_upper(dek.expose()));
    Ok(Reply::Json(json!({"key_id": key.key_id, "plain_text": plain.as_str(), "cipher_text": cipher})))
}
