//! create-datakey-without-plaintext: create-datakey without `plain_text`.

use serde_json::json;

use crate::huawei::actions::create_datakey;
use crate::huawei::error::HwError;
use crate::huawei::{Ctx, Reply};

/// Handles `POST …/kms/create-datakey-without-plaintext`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let (key, _dek, cipher) = create_datakey::generate(ctx, "kms:GenerateDataKeyWithoutPlaintext").await?;
    Ok(Reply::Json(json!({"key_id": key.key_id, "cipher_text": cipher})))
}
