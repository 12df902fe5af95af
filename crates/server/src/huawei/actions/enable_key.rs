//! enable-key: only a disabled key can be enabled (`KMS.1201`; a key pending deletion gets
//! `KMS.0210`). `{"key_info":{"key_id","key_state":"2"}}`.

use keyward_core::model::KeyState;
use keyward_protocol::huawei::codes;
use serde_json::json;

use crate::huawei::actions::common;
use crate::huawei::error::HwError;
use crate::huawei::{Ctx, Reply, model};

/// Handles `POST …/kms/enable-key`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let key = common::body_key(ctx, "kms:EnableKey").await?;
    match key.state {
        KeyState::Disabled => {}
        KeyState::PendingDeletion => return Err(HwError::new(codes::KMS_0210)),
        KeyState::Enabled | KeyState::PendingImport => return Err(HwError::new(codes::KMS_1201)),
    }
    let key = ctx.kms.enable_key(ctx.caller, &key.key_id).await?;
    Ok(Reply::Json(json!({"key_info": {"key_id": key.key_id, "key_state": model::state_code(key.state)}})))
}
