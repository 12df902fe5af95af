//! disable-key: only an enabled key can be disabled (`KMS.1301`; a key pending deletion gets
//! `KMS.0210`). `{"key_info":{"key_id","key_state":"3"}}`.

use keyward_core::model::KeyState;
use keyward_protocol::huawei::codes;
use serde_json::json;

use crate::huawei::actions::common;
use crate::huawei::error::HwError;
use crate::huawei::{Ctx, Reply, model};

/// Handles `POST …/kms/disable-key`.
pub async fn handle(ctx: &Ctx<'_>) -> Result<Reply, HwError> {
    let key = common::body_key(ctx, "kms:DisableKey").await?;
    match key.state {
        KeyState::Enabled => {}
        KeyState::PendingDeletion => return Err(HwError::new(codes::KMS_0210)),
        KeyState::Disabled | KeyState::PendingImport => return Err(HwError::new(codes::KMS_1301)),
    }
    let key = ctx.kms.disable_key(ctx.caller, &key.key_id).await?;
    Ok(Reply::Json(json!({"key_info": {"key_id": key.key_id, "key_state": model::state_code(key.state)}})))
}
