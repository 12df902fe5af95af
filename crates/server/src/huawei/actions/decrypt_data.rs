//! decrypt-data. Symmetric (`SYMMETRIC_DEFAULT`, the default): the blob names its key, `key_id`
//! is optional and, when given, must be that key (else `KMS.2201`); the same context as at
//! encryption ([`common::context_json`]). Asymmetric: `key_id` is required and the primary
//! version decrypts. `{"key_id","plain_text","plain_text_base64"}` (`plain_text` is the UTF-8
//! reading of the bytes).

use keyward_core::Error;
use keyward_protocol::huawei::codes;
use serde_json::json;

use crate::huawei::actions::common;
use crate::huawei::actions::encrypt_data::{SYMMETRIC_DEFAULT, asymmetric_algorithm, check_encryption_key};
use crate::huawei::error::HwError;
use crate::huawei::{Ctx, Reply, body};

/// Handles `POST …/kms/decrypt-data`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let bad_cipher = || HwError::with_message(codes::KMS_2201, "Invalid cipher_text: it must be base64.");
    let cipher = common::base64_field(&ctx.body.req_str("cipher_text")?, bad_cipher())?;
    let algorithm = ctx.body.opt_str("encryption_algorithm")?.filter(|a| !a.is_empty());
    let algorithm = algorithm.as_deref().unwrap_or(SYMMETRIC_DEFAULT);
    let key_id = ctx.body.opt_str("key_id")?.filter(|k| !k.is_empty());
    if let Some(k) = &key_id {
        body::check_key_id(k)?;
    }
    let (key_id, plain) = if algorithm == SYMMETRIC_DEFAULT {
        let context = common::context_json(ctx)?;
        let d = ctx.kms.decrypt(ctx.caller, &cipher, context.as_deref()).await?;
        if let Some(k) = &key_id {
            let named = ctx.kms.resolve_key(k).await?;
            if named != d.key_id {
                return Err(HwError::with_message(
                    codes::KMS_2201,
                    "Invalid cipher_text: it was made under another key.",
                ));
            }
        }
        (d.key_id, d.plaintext)
    } else {
        if asymmetric_algorithm(algorithm).is_none() {
            return Err(HwError::invalid(
                "encryption_algorithm",
                "SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_256 or SM2_ENCRYPT",
            ));
        }
        let key_id = key_id.ok_or_else(|| HwError::missing("key_id"))?;
        let key = ctx.kms.describe_key(ctx.caller, &key_id).await?;
        let alg = check_encryption_key(&key, algorithm)?.ok_or_else(|| HwError::new(codes::KMS_2105))?;
        let version = common::primary_version(&key)?;
        let out =
            ctx.kms.asymmetric_decrypt(ctx.caller, &key.key_id, version, alg, &cipher).await.map_err(|e| match e {
                Error::InvalidParameter { name: "CiphertextBlob", .. } => {
                    HwError::with_message(codes::KMS_2201, "Invalid cipher_text: it does not decrypt with this key.")
                }
                other => other.into(),
            })?;
        (key.key_id, out.value)
    };
    Ok(Reply::Json(json!({
        "key_id": key_id,
        "plain_text": String::from_utf8_lossy(plain.expose()),
        "plain_text_base64": common::b64(plain.expose()),
    })))
}
