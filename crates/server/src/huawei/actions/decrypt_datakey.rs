//! decrypt-datakey: `cipher_text` = HEX of a create-datakey / encrypt-datakey blob (not hex or
//! not a blob of this key → `KMS.2201`), `datakey_cipher_length` = the DEK byte length
//! (mismatch → `KMS.2204`), the same context as when sealed.
//! `{"data_key": HEX,"datakey_length","datakey_dgst": HEX(SHA-256)}`.

use aws_lc_rs::digest;
use keyward_protocol::huawei::codes;
use serde_json::json;

use crate::huawei::actions::{common, create_datakey};
use crate::huawei::error::HwError;
use crate::huawei::{Ctx, Reply};

/// Handles `POST …/kms/decrypt-datakey`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let cipher = common::hex_field(&ctx.body.req_str("cipher_text")?, HwError::new(codes::KMS_2201))?;
    let len = ctx.body.opt_int("datakey_cipher_length", codes::KMS_2202)?;
    let key = common::body_key(ctx, "kms:Decrypt").await?;
    create_datakey::check_symmetric(&key)?;
    let context = common::context_json(ctx)?;
    let d = ctx.kms.decrypt(ctx.caller, &cipher, context.as_deref()).await?;
    if d.key_id != key.key_id {
        return Err(HwError::with_message(codes::KMS_2201, "Invalid cipher_text: it was made under another key."));
    }
    let dek = d.plaintext.expose();
    if len.is_some_and(|n| usize::try_from(n).ok() != Some(dek.len())) {
        return Err(HwError::new(codes::KMS_2204));
    }
    let plain = zeroize::Zeroizing::new(hex::encode_upper(dek));
    Ok(Reply::Json(json!({
        "data_key": plain.as_str(),
        "datakey_length": dek.len().to_string(),
        "datakey_dgst": hex::encode_upper(digest::digest(&digest::SHA256, dek)),
    })))
}
