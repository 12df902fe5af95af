//! update-key-description: 0–255 characters (`KMS.1103`); refused for keys pending deletion
//! (`KMS.0210`). `{"key_info":{"key_id","key_description"}}`.

use keyward_core::model::KeyState;
use keyward_protocol::huawei::codes;
use serde_json::json;

use crate::huawei::actions::{common, create_key};
use crate::huawei::error::HwError;
use crate::huawei::{Ctx, Reply};

/// Handles `POST …/kms/update-key-description`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let description = ctx.body.opt_str("key_description")?.ok_or_else(|| HwError::missing("key_description"))?;
    if description.chars().count() > create_key::MAX_DESCRIPTION {
        return Err(HwError::with_message(codes::KMS_1103, "Invalid key_description: at most 255 characters."));
    }
    let key = common::body_key(ctx, "kms:UpdateKeyDescription").await?;
    if key.state == KeyState::PendingDeletion {
        return Err(HwError::new(codes::KMS_0210));
    }
    let key = ctx.kms.update_key_description(ctx.caller, &key.key_id, description).await?;
    Ok(Reply::Json(json!({"key_info": {"key_id": key.key_id, "key_description": key.description}})))
}
