//! encrypt-datakey: `plain_text` = HEX(DEK ‖ SHA-256(DEK)), `datakey_plain_length` = the DEK's
//! byte length (1–1024). Not hex or too short → `KMS.2101`; a bad length → `KMS.2102`; length
//! mismatch → `KMS.2104`; digest mismatch → `KMS.2103`. Sealed like create-datakey:
//! `{"key_id","cipher_text": HEX,"datakey_length": "<bytes>"}`.

use aws_lc_rs::{constant_time, digest};
use keyward_crypto::SecretBytes;
use keyward_protocol::huawei::codes;
use serde_json::json;

use crate::huawei::actions::{common, create_datakey};
use crate::huawei::error::HwError;
use crate::huawei::{Ctx, Reply};

/// Largest data key, bytes (8192 bits).
pub const MAX_DATAKEY: usize = 1024;

/// Handles `POST …/kms/encrypt-datakey`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let text = zeroize::Zeroizing::new(ctx.body.req_str("plain_text")?);
    let raw = SecretBytes::new(common::hex_field(&text, HwError::new(codes::KMS_2101))?);
    let len = ctx.body.opt_int("datakey_plain_length", codes::KMS_2102)?;
    let Some(dek_len) = raw.expose().len().checked_sub(32).filter(|n| *n > 0) else {
        return Err(HwError::with_message(
            codes::KMS_2101,
            "Invalid plain_text: it is HEX(data key || SHA-256(data key)).",
        ));
    };
    if dek_len > MAX_DATAKEY {
        return Err(HwError::with_message(codes::KMS_2102, "The data key is at most 1024 bytes."));
    }
    match len {
        Some(n) if !(1..=1024).contains(&n) => return Err(HwError::new(codes::KMS_2102)),
        Some(n) if usize::try_from(n).ok() != Some(dek_len) => return Err(HwError::new(codes::KMS_2104)),
        _ => {}
    }
    let (dek, dgst) = raw.expose().split_at(dek_len);
    let actual = digest::digest(&digest::SHA256, dek);
    if constant_time::verify_slices_are_equal(actual.as_ref(), dgst).is_err() {
        return Err(HwError::new(codes::KMS_2103));
    }
    let key = common::body_key(ctx, "kms:Encrypt").await?;
    create_datakey::check_symmetric(&key)?;
    let cipher = create_datakey::seal(ctx, "kms:Encrypt", &key, dek).await?;
    Ok(Reply::Json(json!({"key_id": key.key_id, "cipher_text": cipher, "datakey_length": dek_len.to_string()})))
}
